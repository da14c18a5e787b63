/*
 * fs_sidedoor.c - glibc's internal and side-door openers (issue 8 class 8):
 * __open_nocancel, _IO_file_fopen, setmntent, the utmp writers, glob,
 * scandir, ... each checked like the open it performs.
 */
#include "fs_impl.h"

/* ------------------------------------------------------------------ */
/* glibc's internal and side-door openers (issue 8 class 8)            */
/* ------------------------------------------------------------------ */

/*
 * Names glibc exports but declares in no public header (or no longer):
 * __open_nocancel/__open64_nocancel (GLIBC_PRIVATE open), _IO_file_fopen
 * (libio's fopen core), __setmntent, and the utmp writers (declared here with
 * void * so that <utmp.h> is not needed).
 */
HM_EXPORT int __open_nocancel(const char *path, int flags, ...);
HM_EXPORT int __open64_nocancel(const char *path, int flags, ...);
HM_EXPORT FILE *_IO_file_fopen(FILE *fp, const char *path, const char *mode,
			       int is32);
HM_EXPORT FILE *__setmntent(const char *file, const char *mode);
HM_EXPORT int utmpname(const char *file);
HM_EXPORT int utmpxname(const char *file);
HM_EXPORT void updwtmp(const char *file, const void *ut);
HM_EXPORT void updwtmpx(const char *file, const void *ut);
HM_EXPORT void *pututline(const void *ut);
HM_EXPORT void *pututxline(const void *ut);

static int __open_nocancel_slow(const char *path, int flags, mode_t mode)
{
	return open_checked("open", K_NOCANCEL, AT_FDCWD, path, flags, mode);
}

static int __open64_nocancel_slow(const char *path, int flags, mode_t mode)
{
	return open_checked("open", K_NOCANCEL64, AT_FDCWD, path, flags, mode);
}

/*
 * _IO_file_fopen opens into a FILE the caller owns, so a post-check
 * could not release it: the path is checked before (as fopen checks it)
 * and the new descriptor after; a refused descriptor is closed, which
 * leaves that FILE failing every read and write (EBADF).
 */
/*
 * The descriptor a libio open core put into the caller's @r (NULL: the
 * open failed): re-checked like any open, and closed when refused.
 */
static FILE *io_post_check(const char *api, FILE *r, int flags, char *buf)
{
	enum hm_reason why;

	if (!r)
		return NULL;
	HM_SHIM_GUARD();
	why = check_fd(fileno(r), HM_OP_OPEN, flags, buf);
	if (why == HM_R_NONE && hm_open_flags_write(flags) &&
	    hm_fs_tamper_fd(fileno(r)))
		why = HM_R_UNGUARDABLE;
	if (why != HM_R_NONE) {
		close(fileno(r));
		hm_shim_deny_path(api, buf, why);
		return NULL;
	}
	return r;
}

HM_EXPORT FILE *_IO_file_fopen(FILE *fp, const char *path, const char *mode,
			       int is32)
{
	char buf[PATH_MAX], m[MODE_MAX];
	int check = hm_shim_enter(), flags;
	FILE *r;

	if (!HM_REAL(_IO_file_fopen)) {
		errno = ENOSYS;
		return NULL;
	}
	if (!check || !fopen_active() || !mode ||
	    hm_shim_copy_str(mode, m, sizeof(m)) < 0 ||
	    (flags = hm_fopen_mode_flags(m)) < 0 || !open_relevant(flags))
		return HM_REAL(_IO_file_fopen)(fp, path, mode, is32);
	if (fs_active() && gate_path("fopen", AT_FDCWD, path, HM_OP_OPEN, flags,
				     open_follows(flags), 1, buf) < 0)
		return NULL;
	r = HM_REAL(_IO_file_fopen)(fp, fs_active() ? buf : path, m, is32);
	return io_post_check("fopen", r, flags, buf);
}

/*
 * _IO_file_open(fp, path, flags, prot, read_write, is32not64) is the
 * open(2) underneath _IO_file_fopen, exported at GLIBC_2.2.5: the same
 * checks, with the open(2) flags given directly.
 */
static FILE *_IO_file_open_slow(FILE *fp, const char *path, int flags, int prot,
				int rw, int is32)
{
	char buf[PATH_MAX];
	FILE *r;

	if (!open_relevant(flags))
		return HM_REAL(_IO_file_open)(fp, path, flags, prot, rw, is32);
	if (fs_active() && gate_path("open", AT_FDCWD, path, HM_OP_OPEN, flags,
				     open_follows(flags), 1, buf) < 0)
		return NULL;
	r = HM_REAL(_IO_file_open)(fp, fs_active() ? buf : path, flags, prot,
				   rw, is32);
	return io_post_check("open", r, flags, buf);
}

/*
 * open_by_handle_at opens an inode by its handle: no path, nothing for
 * the path rules to judge. Refused under any file-system guard.
 */
static int open_by_handle_at_slow(int mount_fd, struct file_handle *h,
				  int flags)
{
	(void)mount_fd;
	(void)h;
	return hm_shim_deny_path("open_by_handle_at", "handle",
				 own_reason(hm_open_flags_write(flags)));
}

/*
 * POSIX shared memory lives in /dev/shm/<name>: shm_open and shm_unlink
 * are judged as an open and an unlink of that file (a write-intent
 * shm_open is refused under fs_readonly unless /dev/shm is in a writable
 * hole). A name glibc refuses itself (an inner '/', "." or "..") is
 * forwarded for its EINVAL. sem_open is left alone on purpose: see
 * docs/guards/filesystem.md.
 */
static int shm_path(const char *name, char *out)
{
	size_t n;

	if (!name)
		return -1;
	while (*name == '/')
		name++;
	n = strlen(name);
	if (n == 0 || n > NAME_MAX || strchr(name, '/') ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -1;
	memcpy(out, "/dev/shm/", 9);
	memcpy(out + 9, name, n + 1);
	return 0;
}

HM_EXPORT int shm_open(const char *name, int oflag, mode_t mode)
{
	char path[PATH_MAX], buf[PATH_MAX];
	int fd;

	if (!hm_shim_enter() || !open_relevant(oflag | O_NOFOLLOW) ||
	    shm_path(name, path) < 0)
		return HM_REAL(shm_open)(name, oflag, mode);
	if (gate_path("shm_open", AT_FDCWD, path, HM_OP_OPEN,
		      oflag | O_NOFOLLOW, NOFOLLOW, 1, buf) < 0)
		return -1;
	fd = HM_REAL(shm_open)(name, oflag, mode);
	if (fd < 0)
		return fd;
	return post_check_fd("shm_open", path, fd, oflag);
}

HM_EXPORT int shm_unlink(const char *name)
{
	char path[PATH_MAX], buf[PATH_MAX];

	if (!hm_shim_enter() || !fs_active() || shm_path(name, path) < 0)
		return HM_REAL(shm_unlink)(name);
	if (gate_mutate("shm_unlink", AT_FDCWD, path, NOFOLLOW, buf) < 0)
		return -1;
	return HM_REAL(shm_unlink)(name);
}

/* shm_open@GLIBC_2.2.5 (librt's, before 2.34) behaves alike: same wrapper. */
HM_COMPAT_VERSION(shm_open, shm_open, "GLIBC_2.2.5");
HM_COMPAT_VERSION(shm_unlink, shm_unlink, "GLIBC_2.2.5");

/*
 * scandir lists a directory: under fs_root the directory is opened here
 * by openat (checked and post-checked like any open), and the real
 * scandirat lists that very descriptor.
 */
static int scan_open(int dirfd, const char *path)
{
	return openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/*
 * The slow paths of the four scandir rows: open the directory @path names
 * from @dirfd here (checked), list that descriptor with the real
 * scandirat(64), keep errno from the listing.
 */
#define SCANDIR_SLOW(fn, dirent_type, real_at, dirfd_expr)                     \
	static int fn(SCANDIR_PARAMS_##fn(dirent_type))                        \
	{                                                                      \
		int fd = scan_open(dirfd_expr, path), rc, e;                   \
                                                                               \
		if (fd < 0)                                                    \
			return -1;                                             \
		rc = HM_REAL(real_at)(fd, ".", list, sel, cmp);                \
		e = errno;                                                     \
		close(fd);                                                     \
		errno = e;                                                     \
		return rc;                                                     \
	}
#define SCANDIR_PATH_PARAMS(t)                                                 \
	const char *path, struct t ***list, int (*sel)(const struct t *),      \
	    int (*cmp)(const struct t **, const struct t **)
#define SCANDIR_PARAMS_scandir_slow(t) SCANDIR_PATH_PARAMS(t)
#define SCANDIR_PARAMS_scandir64_slow(t) SCANDIR_PATH_PARAMS(t)
#define SCANDIR_PARAMS_scandirat_slow(t) int dirfd, SCANDIR_PATH_PARAMS(t)
#define SCANDIR_PARAMS_scandirat64_slow(t) int dirfd, SCANDIR_PATH_PARAMS(t)

SCANDIR_SLOW(scandir_slow, dirent, scandirat, AT_FDCWD)
SCANDIR_SLOW(scandir64_slow, dirent64, scandirat64, AT_FDCWD)
SCANDIR_SLOW(scandirat_slow, dirent, scandirat, dirfd)
SCANDIR_SLOW(scandirat64_slow, dirent64, scandirat64, dirfd)

/*
 * glob lists every directory a pattern walks through. Under fs_root it
 * is given GLOB_ALTDIRFUNC with opendir = the shim's opendir (checked and
 * post-checked), so each directory is judged as it is opened; a refused
 * one reads as unreadable (glob skips it, or fails with GLOB_ERR). A
 * caller that brings its own GLOB_ALTDIRFUNC functions keeps them (their
 * opens go through the wrappers). The structure keeps our functions
 * afterwards; globfree does not use them.
 */
static void *glob_opendir(const char *path)
{
	return opendir(path);
}

static struct dirent *glob_readdir(void *d)
{
	return readdir(d);
}

static struct dirent64 *glob_readdir64(void *d)
{
	return readdir64(d);
}

static void glob_closedir(void *d)
{
	closedir(d);
}

typedef int (*glob_fn)(const char *, int, int (*)(const char *, int), glob_t *);
typedef int (*glob64_fn)(const char *, int, int (*)(const char *, int),
			 glob64_t *);

/*
 * glob through @real (the default or the old version) under fs_root; one
 * body for glob_t and glob64_t, which differ only in their readdir and
 * stat types.
 */
#define GLOB_WITH(fn, real_fn, glob_type, readdir_fn, stat_fn, lstat_fn)       \
	static int fn(real_fn real, const char *pattern, int flags,            \
		      int (*errfunc)(const char *, int), glob_type *pglob)     \
	{                                                                      \
		int check = hm_shim_enter(); /* resolves the real table */     \
                                                                               \
		if (!real) {                                                   \
			errno = ENOSYS;                                        \
			return GLOB_ABORTED;                                   \
		}                                                              \
		if (!check || !(hm_shim_flags() & READ_FLAGS) || !pglob ||     \
		    (flags & GLOB_ALTDIRFUNC))                                 \
			return real(pattern, flags, errfunc, pglob);           \
		pglob->gl_opendir = glob_opendir;                              \
		pglob->gl_readdir = readdir_fn;                                \
		pglob->gl_closedir = glob_closedir;                            \
		pglob->gl_stat = stat_fn;                                      \
		pglob->gl_lstat = lstat_fn;                                    \
		return real(pattern, flags | GLOB_ALTDIRFUNC, errfunc, pglob); \
	}

GLOB_WITH(glob_with, glob_fn, glob_t, glob_readdir, stat, lstat)
GLOB_WITH(glob64_with, glob64_fn, glob64_t, glob_readdir64, stat64, lstat64)

HM_EXPORT int glob(const char *pattern, int flags,
		   int (*errfunc)(const char *, int), glob_t *pglob)
{
	hm_shim_enter(); /* resolves the real table before it is read */
	return glob_with(HM_REAL(glob), pattern, flags, errfunc, pglob);
}

HM_EXPORT int glob64(const char *pattern, int flags,
		     int (*errfunc)(const char *, int), glob64_t *pglob)
{
	hm_shim_enter();
	return glob64_with(HM_REAL(glob64), pattern, flags, errfunc, pglob);
}

/*
 * glob@GLIBC_2.2.5 and glob64@GLIBC_2.2.5, for programs linked before
 * glibc 2.27: the same rule, forwarded to glibc's old versions (which
 * call gl_stat where the new ones call gl_lstat, so an old caller's
 * GLOB_ALTDIRFUNC without gl_lstat keeps working).
 */
int hm_compat_glob(const char *pattern, int flags,
		   int (*errfunc)(const char *, int), glob_t *pglob);
int hm_compat_glob(const char *pattern, int flags,
		   int (*errfunc)(const char *, int), glob_t *pglob)
{
	hm_shim_enter(); /* resolves hm_real_compat on first use */
	return glob_with(hm_real_compat.glob, pattern, flags, errfunc, pglob);
}

int hm_compat_glob64(const char *pattern, int flags,
		     int (*errfunc)(const char *, int), glob64_t *pglob);
int hm_compat_glob64(const char *pattern, int flags,
		     int (*errfunc)(const char *, int), glob64_t *pglob)
{
	hm_shim_enter();
	return glob64_with(hm_real_compat.glob64, pattern, flags, errfunc,
			   pglob);
}

HM_COMPAT_VERSION(glob, hm_compat_glob, "GLIBC_2.2.5");
HM_COMPAT_VERSION(glob64, hm_compat_glob64, "GLIBC_2.2.5");

/*
 * setmntent is glibc's fopen(file, mode + "ce") plus
 * __fsetlocking(BYCALLER); under a policy it is done that way here, so the
 * open is the fopen wrapper's (addmntent then only writes to that
 * stream).
 */
static FILE *mntent_open(FILE *(*real)(const char *, const char *),
			 const char *file, const char *mode)
{
	char m[MODE_MAX];
	size_t n;
	FILE *fp;

	if (!real) {
		errno = ENOSYS;
		return NULL;
	}
	if (!hm_shim_enter() || !fopen_active() || !mode)
		return real(file, mode);
	n = strnlen(mode, sizeof(m));
	if (n + 3 > sizeof(m)) {
		errno = EINVAL;
		return NULL;
	}
	memcpy(m, mode, n);
	memcpy(m + n, "ce", 3);
	fp = fopen(file, m);
	if (fp)
		__fsetlocking(fp, FSETLOCKING_BYCALLER);
	return fp;
}

HM_EXPORT FILE *setmntent(const char *file, const char *mode)
{
	hm_shim_enter(); /* first: it resolves the real table */
	return mntent_open(HM_REAL(setmntent), file, mode);
}

HM_EXPORT FILE *__setmntent(const char *file, const char *mode)
{
	hm_shim_enter(); /* first: it resolves the real table */
	return mntent_open(HM_REAL(__setmntent), file, mode);
}

/*
 * utmp/wtmp: utmpname names the file getutent & co read (and pututline
 * writes): under fs_root a name outside the root is refused. updwtmp
 * appends to a file: a write open of it. pututline writes the current
 * utmp file, whose name the shim does not track: refused under
 * fs_readonly (NULL, EACCES), holes or not.
 */
static int utmp_gate(const char *api, const char *file, int flags)
{
	char buf[PATH_MAX];

	return gate_path(api, AT_FDCWD, file, HM_OP_OPEN, flags, FOLLOW, 0,
			 buf);
}

HM_EXPORT int utmpname(const char *file)
{
	if (hm_shim_enter() && (hm_shim_flags() & READ_FLAGS) &&
	    utmp_gate("utmpname", file, O_RDONLY) < 0)
		return -1;
	return HM_REAL(utmpname)(file);
}

HM_EXPORT int utmpxname(const char *file)
{
	if (hm_shim_enter() && (hm_shim_flags() & READ_FLAGS) &&
	    utmp_gate("utmpxname", file, O_RDONLY) < 0)
		return -1;
	return HM_REAL(utmpxname)(file);
}

HM_EXPORT void updwtmp(const char *file, const void *ut)
{
	if (hm_shim_enter() && fs_active() &&
	    utmp_gate("updwtmp", file, O_WRONLY | O_APPEND) < 0)
		return;
	HM_REAL(updwtmp)(file, ut);
}

HM_EXPORT void updwtmpx(const char *file, const void *ut)
{
	if (hm_shim_enter() && fs_active() &&
	    utmp_gate("updwtmpx", file, O_WRONLY | O_APPEND) < 0)
		return;
	HM_REAL(updwtmpx)(file, ut);
}

static void *pututline_deny(const char *api)
{
	hm_shim_deny_path(api, "utmp", own_reason(1));
	return NULL;
}

HM_EXPORT void *pututline(const void *ut)
{
	if (hm_shim_enter() && (hm_shim_flags() & WRITE_FLAGS))
		return pututline_deny("pututline");
	return HM_REAL(pututline)(ut);
}

HM_EXPORT void *pututxline(const void *ut)
{
	if (hm_shim_enter() && (hm_shim_flags() & WRITE_FLAGS))
		return pututline_deny("pututxline");
	return HM_REAL(pututxline)(ut);
}

#define HM_TRAMPOLINE_ROWS "sym_fs_sidedoor.def"
#include "trampolines.h"
