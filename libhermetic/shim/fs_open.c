/*
 * fs_open.c - the open family (open, openat, creat and their *64,
 * fortified and underscore spellings), fopen/freopen, opendir, tmpfile,
 * mkstemp and mkdtemp; see fs.c for how paths are checked.
 */
#include "fs_impl.h"

/* ------------------------------------------------------------------ */
/* Opens                                                               */
/* ------------------------------------------------------------------ */

/*
 * Whether open(2) follows a final symlink: not with O_NOFOLLOW, and not
 * with O_CREAT|O_EXCL (the kernel then fails with EEXIST on any link).
 */
int open_follows(int flags)
{
	if (flags & O_NOFOLLOW)
		return NOFOLLOW;
	if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		return NOFOLLOW;
	return FOLLOW;
}

int needs_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

static int call_open(enum open_kind k, int dirfd, const char *p, int flags,
		     mode_t mode)
{
	switch (k) {
	case K_OPEN:
		return HM_REAL(open)(p, flags, mode);
	case K_OPEN64:
		return HM_REAL(open64)(p, flags, mode);
	case K_OPEN_2:
		return HM_REAL(__open_2)(p, flags);
	case K_OPEN64_2:
		return HM_REAL(__open64_2)(p, flags);
	case K_UOPEN:
		return HM_REAL(__open)(p, flags, mode);
	case K_UOPEN64:
		return HM_REAL(__open64)(p, flags, mode);
	case K_OPENAT:
		return HM_REAL(openat)(dirfd, p, flags, mode);
	case K_OPENAT64:
		return HM_REAL(openat64)(dirfd, p, flags, mode);
	case K_OPENAT_2:
		return HM_REAL(__openat_2)(dirfd, p, flags);
	case K_OPENAT64_2:
		return HM_REAL(__openat64_2)(dirfd, p, flags);
	case K_CREAT:
		return HM_REAL(creat)(p, mode);
	case K_CREAT64:
		return HM_REAL(creat64)(p, mode);
	case K_NOCANCEL:
		return HM_REAL(__open_nocancel)(p, flags, mode);
	case K_NOCANCEL64:
		return HM_REAL(__open64_nocancel)(p, flags, mode);
	default:
		errno = ENOSYS;
		return -1;
	}
}

/*
 * Post-check the descriptor an allowed open produced (the path may have
 * been swapped for a symlink in between). Returns @fd, or -1 after
 * closing it and denying.
 */
int post_check_fd(const char *api, const char *shown, int fd, int flags)
{
	char canon[PATH_MAX];
	int saved = errno;
	enum hm_reason r;

	HM_SHIM_GUARD();
	r = check_fd(fd, HM_OP_OPEN, flags, canon);
	if (r == HM_R_NONE && hm_open_flags_write(flags) && hm_fs_tamper_fd(fd))
		r = HM_R_UNGUARDABLE;
	if (r != HM_R_NONE)
		close(fd);
	if (r != HM_R_NONE)
		return hm_shim_deny_path(api, shown, r);
	errno = saved;
	return fd;
}

/* post_check_fd for a stream: a denied stream is closed. NULL passes. */
static FILE *post_check_file(const char *api, const char *shown, FILE *fp,
			     int flags)
{
	char canon[PATH_MAX];
	int saved = errno;
	enum hm_reason r;

	if (!fp)
		return NULL;
	HM_SHIM_GUARD();
	r = check_fd(fileno(fp), HM_OP_OPEN, flags, canon);
	if (r == HM_R_NONE && hm_open_flags_write(flags) &&
	    hm_fs_tamper_fd(fileno(fp)))
		r = HM_R_UNGUARDABLE;
	if (r != HM_R_NONE)
		fclose(fp);
	if (r != HM_R_NONE) {
		hm_shim_deny_path(api, shown, r);
		return NULL;
	}
	errno = saved;
	return fp;
}

/* Every flag open(2) knows (the kernel's VALID_OPEN_FLAGS). */
#define OPEN_FLAGS_VALID                                                       \
	(O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND |        \
	 O_NONBLOCK | O_DSYNC | O_ASYNC | O_DIRECT | O_LARGEFILE |             \
	 O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_SYNC | O_PATH |  \
	 O_TMPFILE)
/* The flags O_PATH keeps (the kernel's O_PATH_FLAGS). */
#define OPEN_FLAGS_PATH (O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC)

/* Outcome of anchored_open() besides a descriptor. */
enum { ANCHOR_ESCAPE = -2, ANCHOR_LEGACY = -3 };

/*
 * openat2(@dirfd, @name, @flags, @mode) confined beneath @dirfd. open(2)
 * drops unknown flags and mode bits where openat2 refuses them with
 * EINVAL, so they are cleaned the way the kernel's build_open_how() does
 * for open(2). Returns the descriptor, -1 with errno (ENOSYS: no openat2
 * here), or ANCHOR_ESCAPE when the name now leads out of @dirfd.
 */
static int openat2_beneath(int dirfd, const char *name, int flags, mode_t mode)
{
	struct open_how how = {0};
	long fd;

	flags &= OPEN_FLAGS_VALID;
	if (flags & O_PATH)
		flags &= OPEN_FLAGS_PATH;
	how.flags = (unsigned int)flags;
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		how.mode = mode & 07777;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	fd = syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
	if (fd < 0 && errno == EXDEV)
		return ANCHOR_ESCAPE;
	return (int)fd;
}

/*
 * A write-intent open of @keep->last beneath the checked parent
 * directory @keep->fd (not an object of its own): ENOENT for a dangling
 * symlink (the kernel's answer at check time), else openat2 with
 * RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS, or, where the kernel lacks
 * openat2 (ENOSYS), openat with O_NOFOLLOW, which cannot leave the
 * directory either. Returns as openat2_beneath. Leaves @keep->fd open.
 */
static int anchored_new(const struct keep *keep, int flags, mode_t mode)
{
	int fd;

	if (keep->dangling) {
		errno = ENOENT;
		return -1;
	}
	fd = openat2_beneath(keep->fd, keep->last, flags, mode);
	if (fd == -1 && errno == ENOSYS)
		fd = HM_REAL(openat)(keep->fd, keep->last, flags | O_NOFOLLOW,
				     mode);
	return fd;
}

/*
 * The open itself, for a write-intent open that was allowed: it must land
 * on what check_path_keep() judged, not on whatever the caller's path
 * names by now (a component swapped for a symlink in between would
 * otherwise let O_CREAT or O_TRUNC act outside a writable hole before the
 * post-check could close the descriptor).
 *  - An existing object (@keep->obj): re-opened through its O_PATH
 *    descriptor's /proc/self/fd link, which names that very inode.
 *  - A new name (or a dangling symlink): anchored_new().
 *  - A path the kernel could not resolve: the kernel's answer at check
 *    time (ENOENT, ENOTDIR, ELOOP, ...).
 * Returns the descriptor; -1 with errno set; ANCHOR_ESCAPE (deny); or
 * ANCHOR_LEGACY when nothing was kept (no /proc, a fortified entry point
 * given O_CREAT): the caller then opens its path as before. Consumes
 * @keep->fd. Caller holds HM_SHIM_GUARD.
 */
static int anchored_open(enum open_kind k, struct keep *keep, int flags,
			 mode_t mode)
{
	char proc[32] = "/proc/self/fd/";
	struct stat st;
	int fd, e;

	if (keep->fd < 0) {
		if (keep->err == 0)
			return ANCHOR_LEGACY;
		errno = keep->err;
		return -1;
	}
	/* glibc's __open_2 family aborts on O_CREAT: let it. */
	if ((k == K_OPEN_2 || k == K_OPEN64_2 || k == K_OPENAT_2 ||
	     k == K_OPENAT64_2) &&
	    needs_mode(flags)) {
		close(keep->fd);
		return ANCHOR_LEGACY;
	}
	if (keep->obj) {
		if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) {
			fd = -1;
			e = EEXIST;
		} else if ((flags & O_NOFOLLOW) && fstat(keep->fd, &st) == 0 &&
			   S_ISLNK(st.st_mode)) {
			fd = -1;
			e = ELOOP;
		} else {
			*hm_shim_put_uint(proc + 14, (unsigned int)keep->fd) =
			    '\0';
			fd = HM_REAL(openat)(AT_FDCWD, proc,
					     flags & ~(O_CREAT | O_NOFOLLOW),
					     mode);
			e = errno;
		}
	} else {
		fd = anchored_new(keep, flags, mode);
		e = errno;
	}
	close(keep->fd);
	keep->fd = -1;
	errno = e;
	return fd;
}

int open_checked(const char *api, enum open_kind k, int dirfd, const char *path,
		 int flags, mode_t mode)
{
	char buf[PATH_MAX];
	struct keep keep = {.fd = -1};
	int saved = errno;
	int fd, held, write, e;
	enum hm_reason r;

	if (hm_shim_copy_str(path, buf, PATH_MAX) < 0)
		return -1;
	write = hm_open_flags_write(flags);
	if (write && !(hm_shim_flags() & WRITE_FLAGS))
		return tamper_check_fd(api, buf,
				       call_open(k, dirfd, buf, flags, mode));
	HM_SHIM_GUARD();
	held = hm_os_held_reopen(buf, flags);
	r = held
		? HM_R_NONE
		: check_path_keep(dirfd, buf, HM_OP_OPEN, flags,
				  open_follows(flags), 1, write ? &keep : NULL);
	if (r != HM_R_NONE)
		return write ? deny_or_own(api, dirfd, buf, open_follows(flags),
					   hm_os_open_want(flags), r)
			     : hm_shim_deny_path(api, buf, r);
	if (write && !held) {
		fd = anchored_open(k, &keep, flags, mode);
		e = errno;
		if (fd == ANCHOR_ESCAPE)
			return hm_shim_deny_path(api, buf, own_reason(1));
		if (fd != ANCHOR_LEGACY) {
			if (fd < 0) {
				errno = e;
				return -1;
			}
			errno = saved;
			return post_check_fd(api, buf, fd, flags);
		}
	}
	errno = saved;
	fd = call_open(k, dirfd, buf, flags, mode);
	if (fd < 0 || held)
		return fd;
	return post_check_fd(api, buf, fd, flags);
}

static int open_slow(const char *path, int flags, mode_t mode)
{
	return open_checked("open", K_OPEN, AT_FDCWD, path, flags, mode);
}

static int open64_slow(const char *path, int flags, mode_t mode)
{
	return open_checked("open", K_OPEN64, AT_FDCWD, path, flags, mode);
}

static int __open_2_slow(const char *path, int flags)
{
	return open_checked("open", K_OPEN_2, AT_FDCWD, path, flags, 0);
}

static int __open64_2_slow(const char *path, int flags)
{
	return open_checked("open", K_OPEN64_2, AT_FDCWD, path, flags, 0);
}

/* __open and __open64 are optional rows (ENOSYS where libc lacks them). */
static int __open_slow(const char *path, int flags, mode_t mode)
{
	return open_checked("open", K_UOPEN, AT_FDCWD, path, flags, mode);
}

static int __open64_slow(const char *path, int flags, mode_t mode)
{
	return open_checked("open", K_UOPEN64, AT_FDCWD, path, flags, mode);
}

static int openat_slow(int dirfd, const char *path, int flags, mode_t mode)
{
	return open_checked("openat", K_OPENAT, dirfd, path, flags, mode);
}

static int openat64_slow(int dirfd, const char *path, int flags, mode_t mode)
{
	return open_checked("openat", K_OPENAT64, dirfd, path, flags, mode);
}

static int __openat_2_slow(int dirfd, const char *path, int flags)
{
	return open_checked("openat", K_OPENAT_2, dirfd, path, flags, 0);
}

static int __openat64_2_slow(int dirfd, const char *path, int flags)
{
	return open_checked("openat", K_OPENAT64_2, dirfd, path, flags, 0);
}

#define CREAT_FLAGS (O_WRONLY | O_CREAT | O_TRUNC)

static int creat_slow(const char *path, mode_t mode)
{
	return open_checked("creat", K_CREAT, AT_FDCWD, path, CREAT_FLAGS,
			    mode);
}

static int creat64_slow(const char *path, mode_t mode)
{
	return open_checked("creat", K_CREAT64, AT_FDCWD, path, CREAT_FLAGS,
			    mode);
}

/* The FILE-returning opens: fopen, fopen64, _IO_fopen, freopen, freopen64. */
enum fopen_kind { F_FOPEN, F_FOPEN64, F_IO_FOPEN, F_FREOPEN, F_FREOPEN64 };

static FILE *call_fopen(enum fopen_kind k, const char *path, const char *mode,
			FILE *stream)
{
	switch (k) {
	case F_FOPEN:
		return HM_REAL(fopen)(path, mode);
	case F_FOPEN64:
		return HM_REAL(fopen64)(path, mode);
	case F_IO_FOPEN:
		return HM_REAL(_IO_fopen)(path, mode);
	case F_FREOPEN:
		return HM_REAL(freopen)(path, mode, stream);
	case F_FREOPEN64:
		return HM_REAL(freopen64)(path, mode, stream);
	default:
		errno = ENOSYS;
		return NULL;
	}
}

/*
 * fopen/freopen with a policy active. The mode is copied before it is
 * decoded (another thread could turn "r" into "w"). freopen(NULL, mode, f)
 * re-opens f's own file: its name comes from the descriptor. A pre-check
 * denial leaves @stream open (nothing happened to it yet); a post-check
 * denial closes the re-opened stream, as a failed freopen does.
 */
/* "/proc/self/fd/<fd>" into @out (32 bytes); returns @out. */
static const char *proc_fd(char *out, int fd)
{
	memcpy(out, "/proc/self/fd/", 14);
	*hm_shim_put_uint(out + 14, (unsigned int)fd) = '\0';
	return out;
}

/*
 * A failed freopen closes its stream. When the anchored open fails before
 * the real freopen ran, run it on a directory ("/" through /proc), where
 * any write mode fails, so glibc closes @stream its own way; then report
 * @err. Returns NULL.
 */
static FILE *freopen_fail(enum fopen_kind k, const char *m, FILE *stream,
			  int err)
{
	char proc[32];
	int fd =
	    HM_REAL(openat)(AT_FDCWD, "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	FILE *fp;

	if (fd >= 0) {
		fp = call_fopen(k, proc_fd(proc, fd), m, stream);
		if (fp)
			fclose(fp); /* cannot happen: a directory */
		close(fd);
	}
	errno = err;
	return NULL;
}

/*
 * The write-intent counterpart of anchored_open() for the stream opens:
 * the real fopen/freopen gets "/proc/self/fd/<n>" of the checked object,
 * or of the file created beneath the checked parent (then with any 'x'
 * dropped from the mode @m, our copy: the name is ours already, O_EXCL
 * was honoured when it was made). Returns the stream (*@done set), NULL
 * with errno (*@done set), NULL with *@escape set (deny), or NULL with
 * neither (legacy: open the caller's path). Consumes @keep->fd.
 */
static FILE *anchored_fopen(enum fopen_kind k, struct keep *keep, int flags,
			    char *m, FILE *stream, int *done, int *escape)
{
	char proc[32], *w, *c;
	int fd = -1, e;
	FILE *fp = NULL;

	*done = 1;
	*escape = 0;
	if (keep->fd < 0) {
		*done = keep->err != 0;
		if (*done && (k == F_FREOPEN || k == F_FREOPEN64))
			return freopen_fail(k, m, stream, keep->err);
		errno = keep->err;
		return NULL;
	}
	HM_SHIM_GUARD();
	if (!keep->obj) {
		fd = anchored_new(keep, flags, 0666);
		if (fd == ANCHOR_ESCAPE)
			*escape = 1;
		if (fd < 0) {
			e = errno;
			*done = !*escape;
			if (*done && (k == F_FREOPEN || k == F_FREOPEN64)) {
				close(keep->fd);
				keep->fd = -1;
				return freopen_fail(k, m, stream, e);
			}
			goto out;
		}
		for (w = c = m; *c && *c != ','; c++)
			if (*c != 'x')
				*w++ = *c;
		memmove(w, c, strlen(c) + 1);
	}
	fp = call_fopen(k, proc_fd(proc, fd >= 0 ? fd : keep->fd), m, stream);
	e = errno;
	if (fd >= 0)
		close(fd);
out:
	close(keep->fd);
	keep->fd = -1;
	errno = e;
	return fp;
}

static FILE *fopen_common(const char *api, enum fopen_kind k, const char *path,
			  const char *mode, FILE *stream)
{
	char buf[PATH_MAX], m[MODE_MAX];
	struct keep keep = {.fd = -1};
	int saved = errno;
	int flags, held = 0, fd, write = 0, done, escape;
	enum hm_reason r;
	FILE *fp;

	if (!mode || hm_shim_copy_str(mode, m, sizeof(m)) < 0) {
		errno = EINVAL;
		return NULL;
	}
	flags = hm_fopen_mode_flags(m);
	if (flags < 0 || !open_relevant(flags)) {
		errno = saved;
		return call_fopen(k, path, m, stream);
	}
	if (hm_open_flags_write(flags) && !(hm_shim_flags() & WRITE_FLAGS)) {
		errno = saved;
		fp = call_fopen(k, path, m, stream);
		if (!fp)
			return NULL;
		saved = errno;
		HM_SHIM_GUARD();
		done = hm_fs_tamper_fd(fileno(fp));
		if (done)
			fclose(fp);
		if (done) {
			hm_shim_deny_path(api, path ? path : "?",
					  HM_R_UNGUARDABLE);
			return NULL;
		}
		errno = saved;
		return fp;
	}
	HM_SHIM_GUARD();
	if (!path) {
		/* freopen(NULL, ...): the stream's own file. */
		fd = stream ? fileno(stream) : -1;
		r = fd < 0 ? HM_R_NONE : check_fd(fd, HM_OP_OPEN, flags, buf);
	} else if (hm_shim_copy_str(path, buf, PATH_MAX) < 0) {
		return NULL;
	} else {
		write = hm_open_flags_write(flags);
		held = hm_os_held_reopen(buf, flags);
		r = held ? HM_R_NONE
			 : check_path_keep(AT_FDCWD, buf, HM_OP_OPEN, flags,
					   open_follows(flags), 1,
					   write ? &keep : NULL);
	}
	if (r != HM_R_NONE) {
		if (path && write)
			deny_or_own(api, AT_FDCWD, buf, open_follows(flags),
				    hm_os_open_want(flags), r);
		else
			hm_shim_deny_path(api, buf, r);
		return NULL;
	}
	if (path && write && !held) {
		errno = saved;
		fp = anchored_fopen(k, &keep, flags, m, stream, &done, &escape);
		if (escape) {
			hm_shim_deny_path(api, buf, own_reason(1));
			return NULL;
		}
		if (done)
			return post_check_file(api, buf, fp, flags);
	}
	errno = saved;
	fp = call_fopen(k, path ? buf : NULL, m, stream);
	if (held)
		return fp;
	return post_check_file(api, buf, fp, flags);
}

static FILE *fopen_slow(const char *path, const char *mode)
{
	return fopen_common("fopen", F_FOPEN, path, mode, NULL);
}

static FILE *fopen64_slow(const char *path, const char *mode)
{
	return fopen_common("fopen", F_FOPEN64, path, mode, NULL);
}

static FILE *_IO_fopen_slow(const char *path, const char *mode)
{
	return fopen_common("fopen", F_IO_FOPEN, path, mode, NULL);
}

static FILE *freopen_slow(const char *path, const char *mode, FILE *stream)
{
	return fopen_common("freopen", F_FREOPEN, path, mode, stream);
}

static FILE *freopen64_slow(const char *path, const char *mode, FILE *stream)
{
	return fopen_common("freopen", F_FREOPEN64, path, mode, stream);
}

static DIR *opendir_slow(const char *path)
{
	char buf[PATH_MAX], canon[PATH_MAX];
	int flags = O_RDONLY | O_DIRECTORY;
	int saved;
	enum hm_reason r;
	DIR *d;

	if (gate_path("opendir", AT_FDCWD, path, HM_OP_OPEN, flags, FOLLOW, 1,
		      buf) < 0)
		return NULL;
	d = HM_REAL(opendir)(buf);
	if (!d)
		return NULL;
	saved = errno;
	HM_SHIM_GUARD();
	r = check_fd(dirfd(d), HM_OP_OPEN, flags, canon);
	if (r != HM_R_NONE)
		closedir(d);
	if (r != HM_R_NONE) {
		hm_shim_deny_path("opendir", buf, r);
		return NULL;
	}
	errno = saved;
	return d;
}

/* opendir only reads: it matters under fs_root (or an invalid policy). */

/*
 * tmpfile() where P_tmpdir is refused: glibc ignores TMPDIR, but under
 * --fs-readonly the launcher's private TMPDIR (captured at start-up) is a
 * writable hole, so the unnamed file is made there (O_TMPFILE), as
 * tmpfile() would make it in /tmp. NULL (nothing reported) when there is
 * no TMPDIR, it is refused too, or the file system lacks O_TMPFILE.
 */
static FILE *tmpfile_in_tmpdir(void)
{
	char buf[PATH_MAX];
	int saved = errno, fd;
	enum hm_reason r;
	FILE *fp;

	if (!hm_shim.tmpdir[0] ||
	    hm_shim_copy_str(hm_shim.tmpdir, buf, PATH_MAX) < 0)
		return NULL;
	{
		HM_SHIM_GUARD();
		r = check_path(AT_FDCWD, buf, HM_OP_OPEN, CREATE_FLAGS, FOLLOW,
			       1);
	}
	if (r != HM_R_NONE)
		return NULL;
	fd = HM_REAL(open)(buf, O_TMPFILE | O_RDWR, 0600);
	if (fd < 0)
		goto err;
	fp = fdopen(fd, "w+");
	if (!fp) {
		close(fd);
		goto err;
	}
	errno = saved;
	return post_check_file("tmpfile", buf, fp, CREATE_FLAGS);
err:
	errno = saved;
	return NULL;
}

/*
 * tmpfile() creates an unnamed file in P_tmpdir ("/tmp"; glibc ignores
 * TMPDIR here): a write of that directory.
 */
static FILE *tmpfile_check(int is64)
{
	char buf[PATH_MAX];
	enum hm_reason r;
	FILE *fp;

	memcpy(buf, P_tmpdir, sizeof(P_tmpdir));
	{
		HM_SHIM_GUARD();
		r = check_path(AT_FDCWD, buf, HM_OP_OPEN, CREATE_FLAGS, FOLLOW,
			       1);
	}
	if (r != HM_R_NONE && (fp = tmpfile_in_tmpdir()) != NULL)
		return fp;
	if (gate_path("tmpfile", AT_FDCWD, P_tmpdir, HM_OP_OPEN, CREATE_FLAGS,
		      FOLLOW, 1, buf) < 0)
		return NULL;
	/* The post-check sees "/tmp/#123 (deleted)". */
	return post_check_file("tmpfile", buf,
			       is64 ? HM_REAL(tmpfile64)() : HM_REAL(tmpfile)(),
			       CREATE_FLAGS);
}

static FILE *tmpfile_slow(void)
{
	return tmpfile_check(0);
}

static FILE *tmpfile64_slow(void)
{
	return tmpfile_check(1);
}

/* The mkstemp family: which real function, and its extra arguments. */
enum mkstemp_kind {
	M_MKSTEMP,
	M_MKSTEMP64,
	M_MKOSTEMP,
	M_MKOSTEMP64,
	M_MKSTEMPS,
	M_MKSTEMPS64,
	M_MKOSTEMPS,
	M_MKOSTEMPS64,
};

static int call_mkstemp(enum mkstemp_kind k, char *t, int flags, int suffix)
{
	switch (k) {
	case M_MKSTEMP:
		return HM_REAL(mkstemp)(t);
	case M_MKSTEMP64:
		return HM_REAL(mkstemp64)(t);
	case M_MKOSTEMP:
		return HM_REAL(mkostemp)(t, flags);
	case M_MKOSTEMP64:
		return HM_REAL(mkostemp64)(t, flags);
	case M_MKSTEMPS:
		return HM_REAL(mkstemps)(t, suffix);
	case M_MKSTEMPS64:
		return HM_REAL(mkstemps64)(t, suffix);
	case M_MKOSTEMPS:
		return HM_REAL(mkostemps)(t, suffix, flags);
	case M_MKOSTEMPS64:
		return HM_REAL(mkostemps64)(t, suffix, flags);
	default:
		errno = ENOSYS;
		return -1;
	}
}

/*
 * mkstemp and friends create a file named after @tmpl in @tmpl's
 * directory: check that name as a creating open, run the real function on
 * our copy, and copy the chosen name back into the caller's template.
 */
static int mkstemp_common(const char *api, enum mkstemp_kind k, char *tmpl,
			  int flags, int suffix)
{
	char buf[PATH_MAX];
	size_t n;
	int fd;

	if (gate_path(api, AT_FDCWD, tmpl, HM_OP_OPEN, CREATE_FLAGS, NOFOLLOW,
		      1, buf) < 0)
		return -1;
	n = strlen(buf);
	fd = call_mkstemp(k, buf, flags, suffix);
	if (fd < 0)
		return fd;
	memcpy(tmpl, buf, n);
	return post_check_fd(api, buf, fd, CREATE_FLAGS);
}

static int mkstemp_slow(char *tmpl)
{
	return mkstemp_common("mkstemp", M_MKSTEMP, tmpl, 0, 0);
}

static int mkstemp64_slow(char *tmpl)
{
	return mkstemp_common("mkstemp", M_MKSTEMP64, tmpl, 0, 0);
}

static int mkostemp_slow(char *tmpl, int flags)
{
	return mkstemp_common("mkostemp", M_MKOSTEMP, tmpl, flags, 0);
}

static int mkostemp64_slow(char *tmpl, int flags)
{
	return mkstemp_common("mkostemp", M_MKOSTEMP64, tmpl, flags, 0);
}

static int mkstemps_slow(char *tmpl, int suffix)
{
	return mkstemp_common("mkstemps", M_MKSTEMPS, tmpl, 0, suffix);
}

static int mkstemps64_slow(char *tmpl, int suffix)
{
	return mkstemp_common("mkstemps", M_MKSTEMPS64, tmpl, 0, suffix);
}

static int mkostemps_slow(char *tmpl, int suffix, int flags)
{
	return mkstemp_common("mkostemps", M_MKOSTEMPS, tmpl, flags, suffix);
}

static int mkostemps64_slow(char *tmpl, int suffix, int flags)
{
	return mkstemp_common("mkostemps", M_MKOSTEMPS64, tmpl, flags, suffix);
}

/* mkdtemp creates a directory: a mutation of the template's name. */
static char *mkdtemp_slow(char *tmpl)
{
	char buf[PATH_MAX];
	size_t n;

	if (gate_mutate("mkdtemp", AT_FDCWD, tmpl, NOFOLLOW, buf) < 0)
		return NULL;
	n = strlen(buf);
	if (!HM_REAL(mkdtemp)(buf))
		return NULL;
	memcpy(tmpl, buf, n);
	return tmpl;
}

#define HM_TRAMPOLINE_ROWS "sym_fs_open.def"
#include "trampolines.h"
