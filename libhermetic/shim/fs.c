/*
 * fs.c - file-system interposers: write-intent opens and path or metadata
 * mutations are checked against fs_readonly (and its writable holes),
 * reads against fs_root. The kernel canonicalises every path (O_PATH plus
 * /proc/self/fd) and every checked open is re-checked on the descriptor it
 * produced, which closes the symlink race for reads. A write-intent open
 * is performed on the very object (or parent directory) that was checked
 * (anchored_open), so a symlink swapped in meanwhile cannot make O_TRUNC
 * or O_CREAT act outside a writable hole before that re-check.
 *
 * Trace api names: "open" (open, open64, __open_2, __open64_2, __open,
 * __open64), "openat" (openat, openat64, __openat_2, __openat64_2), "creat"
 * (creat, creat64), "fopen" (fopen, fopen64, _IO_fopen), "freopen"
 * (freopen, freopen64), "opendir",
 * "tmpfile" (tmpfile, tmpfile64), "mkstemp", "mkostemp", "mkstemps",
 * "mkostemps" (each with its *64 twin), "mkdtemp", "truncate" (truncate,
 * truncate64); every other call traces under its own name.
 *
 * Size: about 2,700 lines, over the project's 1,000. Its concerns split
 * cleanly (path resolution and the gates, opens, mutations, descriptor
 * metadata, glibc's side-door openers); the split is deferred to the next
 * issue-7 step because this session's branches all edited this file in
 * parallel and a move would have conflicted with each of them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <stdio_ext.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <utime.h>

#include "shim.h"

/*
 * The fortified entry points are declared only under _FORTIFY_SOURCE,
 * which the shim turns off.
 */
HM_EXPORT int __open_2(const char *path, int flags);
HM_EXPORT int __open64_2(const char *path, int flags);
HM_EXPORT int __openat_2(int dirfd, const char *path, int flags);
HM_EXPORT int __openat64_2(int dirfd, const char *path, int flags);
/*
 * Underscore aliases glibc exports at GLIBC_2.2.5 but declares in no
 * public header (libc-surface.md 1.2 D): __open/__open64 are open/open64,
 * _IO_fopen is fopen.
 */
HM_EXPORT int __open(const char *path, int flags, ...);
HM_EXPORT int __open64(const char *path, int flags, ...);
HM_EXPORT FILE *_IO_fopen(const char *path, const char *mode);
#define FS_FLAGS HM_GATE_FS
#define WRITE_FLAGS (HM_F_FS_READONLY | HM_F_INVALID)
#define READ_FLAGS (HM_F_FS_ROOT | HM_F_INVALID)
/* Flags open(2) implies for fopen's write modes, creat, mkstemp... */
#define CREATE_FLAGS (O_RDWR | O_CREAT | O_EXCL)
#define MODE_MAX 64 /* longest fopen mode we copy ("r,ccs=...") */

/* Whether the final path component is followed when it is a symlink. */
enum { NOFOLLOW = 0, FOLLOW = 1 };

/* Outcome of resolve(); @out holds a canonical path unless noted. */
enum {
	/* an existing object */
	RES_OK,
	/* the final name is free (the parent exists) */
	RES_NEW,
	/* the final name is a dangling symlink; @out names the link */
	RES_DANGLING,
	/* a directory on the way does not exist; @out unset */
	RES_MISSING,
	/* a free "." or ".." final name: deny; @out unset */
	RES_REFUSE,
	/* the kernel could not resolve it: use the lexical path */
	RES_FAIL,
};

/*
 * What resolve() looked at, kept open for a write-intent open so that the
 * open lands on the object that was checked (anchored_open): @fd is an
 * O_PATH descriptor of the object itself (@obj set) or of its parent
 * directory, where @last names it (a pointer into the caller's path, with
 * any trailing slashes; @dangling: it is a dangling symlink); -1 when
 * resolution failed, and then @err is the kernel's errno, or 0 when only
 * our introspection (/proc) failed.
 */
struct keep {
	int fd;
	int obj;
	int dangling;
	const char *last;
	int err;
};

/* The real open-family entry points, dispatched by call_open(). */
enum open_kind {
	K_OPEN,
	K_OPEN64,
	K_OPEN_2,
	K_OPEN64_2,
	K_UOPEN,
	K_UOPEN64,
	K_OPENAT,
	K_OPENAT64,
	K_OPENAT_2,
	K_OPENAT64_2,
	K_CREAT,
	K_CREAT64,
	K_NOCANCEL,
	K_NOCANCEL64,
};

/* ------------------------------------------------------------------ */
/* Helpers: relevance, copies, kernel path resolution                  */
/* ------------------------------------------------------------------ */

/*
 * Non-zero if an open with @oflags must take the slow path: a read under
 * fs_root, and a write-intent open under any guard (the /proc/<pid>/mem
 * rule, hm_fs_tamper_fd; without a file-system guard that is one fstatfs
 * on the new descriptor).
 */
static int open_relevant(int oflags)
{
	uint32_t f = hm_shim_flags();

	if (HM_LIKELY(!(f & HM_SHIM_ANY_GUARD)))
		return 0;
	/* A plain read (the common case) needs no call into the core. */
	if (!(oflags & (O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND |
			(O_TMPFILE & ~O_DIRECTORY))))
		return f & READ_FLAGS;
	if (hm_open_flags_write(oflags))
		return 1;
	return f & READ_FLAGS;
}

/* Non-zero if any file-system policy is active (mutations). */
static int fs_active(void)
{
	return hm_shim_flags() & FS_FLAGS;
}

/* Non-zero if a stream open must take the slow path (see open_relevant). */
static int fopen_active(void)
{
	return hm_shim_flags() & HM_SHIM_ANY_GUARD;
}

/*
 * readlink("/proc/<pid>/...") of our own process names the same objects
 * as "/proc/self/..."; rewrite it so the runtime allow-list ("/proc/self")
 * matches what the kernel hands back.
 */
static void proc_self_alias(char *path)
{
	char pid[24], *end;
	size_t n;

	if (strncmp(path, "/proc/", 6) != 0)
		return;
	end = hm_shim_put_uint(pid, (unsigned int)getpid());
	*end = '\0';
	n = (size_t)(end - pid);
	if (strncmp(path + 6, pid, n) != 0 ||
	    (path[6 + n] != '/' && path[6 + n] != '\0'))
		return;
	memcpy(path + 6, "self", 4);
	memmove(path + 10, path + 6 + n, strlen(path + 6 + n) + 1);
}

/*
 * The kernel's name for open descriptor @fd, in @out (PATH_MAX bytes).
 * Returns the length, or -1. Anonymous objects come back as non-absolute
 * text ("pipe:[12]", "socket:[3]", "anon_inode:[eventfd]").
 */
static int fd_path(int fd, char *out)
{
	char proc[32] = "/proc/self/fd/";
	ssize_t n;

	if (fd < 0)
		return -1;
	*hm_shim_put_uint(proc + 14, (unsigned int)fd) = '\0';
	n = readlink(proc, out, PATH_MAX);
	if (n <= 0 || n >= PATH_MAX)
		return -1;
	out[n] = '\0';
	proc_self_alias(out);
	return (int)strlen(out);
}

int hm_fs_tamper_fd(int fd)
{
	char name[PATH_MAX];
	struct statfs sfs;
	int n;

	if (fstatfs(fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
		return 0;
	n = fd_path(fd, name);
	if (n < 0)
		return 1;
	return n >= 4 && strcmp(name + n - 4, "/mem") == 0;
}

/*
 * The post-check of a write-intent open without a file-system guard (the
 * path rules have nothing to say): only hm_fs_tamper_fd. Returns @fd, or
 * -1 (EACCES) after closing it.
 */
static int tamper_check_fd(const char *api, const char *shown, int fd)
{
	int saved = errno, bad;

	if (fd < 0)
		return fd;
	HM_SHIM_GUARD();
	bad = hm_fs_tamper_fd(fd);
	if (bad)
		close(fd);
	if (bad)
		return hm_shim_deny_path(api, shown, HM_R_UNGUARDABLE);
	errno = saved;
	return fd;
}

static int is_dot_name(const char *s, size_t n)
{
	return (n == 1 && s[0] == '.') ||
	       (n == 2 && s[0] == '.' && s[1] == '.');
}

/*
 * Canonicalise @p (relative to @dirfd) into @out (PATH_MAX) through the
 * kernel, without realpath and without allocating: open it O_PATH and
 * read the descriptor's name back; for a path that does not exist yet,
 * do the same for its parent and append the final component. @p is our
 * own copy; it is modified temporarily and restored. *@is_chr is set when
 * the target exists and is a character device. With @keep, the O_PATH
 * descriptor is handed back instead of closed (see struct keep).
 */
static int resolve(int dirfd, char *p, int follow, char *out, int *is_chr,
		   struct keep *keep)
{
	struct stat st;
	char *end, *slash, *last, save;
	size_t plen, lastlen;
	int fd, rc, state;

	*is_chr = 0;
	if (keep) {
		keep->fd = -1;
		keep->obj = 0;
		keep->dangling = 0;
		keep->last = NULL;
		keep->err = 0;
	}
	plen = strlen(p);
	end = p + plen;
	while (end > p + 1 && end[-1] == '/')
		end--;
	slash = memrchr(p, '/', (size_t)(end - p));
	last = slash ? slash + 1 : p;
	lastlen = (size_t)(end - last);
	/* "." and ".." are never symlinks: resolve them as directories. */
	if (is_dot_name(last, lastlen) || lastlen == 0)
		follow = FOLLOW;

	fd = HM_REAL(openat)(dirfd, p,
			     O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
	if (fd >= 0) {
		rc = fd_path(fd, out);
		if (rc > 0 && fstat(fd, &st) == 0 && S_ISCHR(st.st_mode))
			*is_chr = 1;
		if (keep && rc > 0) {
			keep->fd = fd;
			keep->obj = 1;
		} else {
			close(fd);
		}
		return rc > 0 ? RES_OK : RES_FAIL;
	}
	if (keep)
		keep->err = errno;
	if (errno == ENOTDIR)
		return RES_MISSING;
	if (errno != ENOENT || lastlen == 0)
		return RES_FAIL;
	if (is_dot_name(last, lastlen))
		return RES_REFUSE;

	/* The final component is missing (or a dangling symlink). */
	if (!slash) {
		fd = HM_REAL(openat)(dirfd, ".",
				     O_PATH | O_DIRECTORY | O_CLOEXEC);
	} else if (slash == p) {
		fd = HM_REAL(openat)(dirfd, "/",
				     O_PATH | O_DIRECTORY | O_CLOEXEC);
	} else {
		*slash = '\0';
		fd =
		    HM_REAL(openat)(dirfd, p, O_PATH | O_DIRECTORY | O_CLOEXEC);
		*slash = '/';
	}
	if (fd < 0) {
		if (keep)
			keep->err = errno;
		return (errno == ENOENT || errno == ENOTDIR) ? RES_MISSING
							     : RES_FAIL;
	}
	if (keep)
		keep->err = 0;
	rc = fd_path(fd, out);
	save = *end;
	*end = '\0';
	state = RES_NEW;
	if (rc > 0 && fstatat(fd, last, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(st.st_mode) && follow)
			state = RES_DANGLING;
		else
			state = RES_OK; /* it appeared meanwhile */
		if (S_ISCHR(st.st_mode))
			*is_chr = 1;
	}
	if (rc <= 0 || out[0] != '/' || (size_t)rc + 1 + lastlen >= PATH_MAX) {
		close(fd);
		*end = save;
		return RES_FAIL;
	}
	if (keep) {
		keep->fd = fd;
		keep->last = last;
		keep->dangling = state == RES_DANGLING;
	} else {
		close(fd);
	}
	if (rc > 1)
		out[rc++] = '/';
	memcpy(out + rc, last, lastlen + 1);
	*end = save;
	return state;
}

/*
 * The lexical form of @p: normalised against the directory of @dirfd or
 * the working directory. Returns 0, or -1 if there is no usable base.
 */
static int lexical(int dirfd, const char *p, char *out)
{
	char base[PATH_MAX];

	if (p[0] == '/')
		return hm_path_normalize(NULL, p, out, PATH_MAX) < 0 ? -1 : 0;
	if (dirfd == AT_FDCWD) {
		if (!getcwd(base, sizeof(base)) || base[0] != '/')
			return -1;
	} else if (fd_path(dirfd, base) < 0 || base[0] != '/') {
		return -1;
	}
	return hm_path_normalize(base, p, out, PATH_MAX) < 0 ? -1 : 0;
}

/* The reason for a denial the shim makes itself (fail closed). */
static enum hm_reason own_reason(int write)
{
	if (hm_shim_flags() & HM_F_INVALID)
		return HM_R_INVALID_POLICY;
	return write ? HM_R_FS_READONLY : HM_R_FS_ROOT;
}

/*
 * Ask the policy about @canon. Reads under the hermetic package directory
 * (the parent of HERMETIC_PYSITE: sitecustomize.py and the _native
 * extension) are always allowed, whatever fs_root says: without them the
 * Python layer could not start inside a root that excludes the package.
 * The launcher hands a realpath'd directory, so canonical paths match it.
 */
static enum hm_reason ask(enum hm_op op, const char *canon, int oflags,
			  int is_chr)
{
	struct hm_request rq = {.op = op, .path = canon, .flags = oflags};

	if (op == HM_OP_OPEN && !hm_open_flags_write(oflags) &&
	    hm_shim.pkgdir[0] && hm_path_under(canon, hm_shim.pkgdir))
		return HM_R_NONE;
	rq.is_chardev = is_chr;
	return hm_shim_check(&rq);
}

/*
 * check_path_at: check @op on the path @p (our copy) relative to @dirfd,
 * keeping what resolve() opened in @keep (may be NULL; see
 * check_path_keep, which closes it on a denial). For HM_OP_OPEN,
 * @oflags are the open(2) flags; @post says the caller re-checks the
 * descriptor it gets (open, fopen, opendir). Caller holds HM_SHIM_GUARD.
 *
 * A read of something that does not exist is let through when @post is
 * set: the kernel answers ENOENT as it would without hermetic (programs
 * probe for optional files all the time), and if the file appears in
 * between, the post-check judges what was actually opened.
 *
 * When the kernel cannot resolve the path (a parent directory is missing
 * or unsearchable, a loop, a name too long) the real call will fail the
 * same way, so the lexical path is checked instead and the call may run
 * to collect the kernel's errno (an anchored write open returns the errno
 * resolve() got instead). That never turns a failed resolution
 * into an allowed write: the lexical path of a write must itself lie in a
 * writable hole, and a "/hole/link/../x" whose kernel walk escapes the
 * hole needs that walk to succeed, which would have given RES_OK.
 */
static enum hm_reason check_path_at(int dirfd, char *p, enum hm_op op,
				    int oflags, int follow, int post,
				    struct keep *keep)
{
	char canon[PATH_MAX];
	int is_chr = 0;
	int write = op == HM_OP_MUTATE || hm_open_flags_write(oflags);
	int state = resolve(dirfd, p, follow, canon, &is_chr, keep);

	if (post && !write &&
	    (state == RES_NEW || state == RES_MISSING || state == RES_DANGLING))
		return HM_R_NONE;
	switch (state) {
	case RES_OK:
		/* An anonymous object (a pipe behind /proc/self/fd/N). */
		if (canon[0] != '/')
			return HM_R_NONE;
		break;
	case RES_NEW:
		break;
	case RES_DANGLING:
		/* open(O_CREAT) would create the link's target: fail closed. */
		if (op == HM_OP_OPEN && (oflags & O_CREAT))
			return own_reason(1);
		break;
	case RES_REFUSE:
		return own_reason(write);
	default: /* RES_MISSING, RES_FAIL */
		if (lexical(dirfd, p, canon) < 0)
			return own_reason(write);
		is_chr = 0;
		break;
	}
	return ask(op, canon, oflags, is_chr);
}

/* check_path_at; closes what it kept in @keep when it denies. */
static enum hm_reason check_path_keep(int dirfd, char *p, enum hm_op op,
				      int oflags, int follow, int post,
				      struct keep *keep)
{
	enum hm_reason r =
	    check_path_at(dirfd, p, op, oflags, follow, post, keep);

	if (r != HM_R_NONE && keep && keep->fd >= 0) {
		close(keep->fd);
		keep->fd = -1;
	}
	return r;
}

static enum hm_reason check_path(int dirfd, char *p, enum hm_op op, int oflags,
				 int follow, int post)
{
	return check_path_keep(dirfd, p, op, oflags, follow, post, NULL);
}

/*
 * Check the object open at @fd for @op (the post-check of an open, or a
 * metadata change through a descriptor). @out receives its name for the
 * trace. Character devices and anonymous objects (pipes, sockets) are not
 * file-system state and stay allowed. Caller holds HM_SHIM_GUARD.
 */
static enum hm_reason check_fd(int fd, enum hm_op op, int oflags, char *out)
{
	struct stat st;
	int is_chr;

	if (fd_path(fd, out) < 0) {
		memcpy(out, "?", 2);
		return own_reason(op == HM_OP_MUTATE ||
				  hm_open_flags_write(oflags));
	}
	if (out[0] != '/')
		return HM_R_NONE;
	is_chr = fstat(fd, &st) == 0 && S_ISCHR(st.st_mode);
	if (op == HM_OP_MUTATE && is_chr)
		return HM_R_NONE;
	return ask(op, out, oflags, is_chr);
}

/*
 * Copy @path into @buf and check @op on it. Returns 0 to forward @buf
 * (errno untouched), or -1 with errno set (EACCES on a denial).
 */
static int gate_path(const char *api, int dirfd, const char *path,
		     enum hm_op op, int oflags, int follow, int post, char *buf)
{
	int saved = errno;
	enum hm_reason r;

	if (hm_shim_copy_str(path, buf, PATH_MAX) < 0)
		return -1;
	HM_SHIM_GUARD();
	r = check_path(dirfd, buf, op, oflags, follow, post);
	if (r != HM_R_NONE)
		return hm_shim_deny_path(api, buf, r);
	errno = saved;
	return 0;
}

/*
 * The OS's own refusal (docs/guards/filesystem.md, "A refusal the OS would
 * have made anyway"): what a refused write would have failed with had no
 * policy existed, so that `rm -f /missing` and `except FileExistsError`
 * keep working. Judged with fstatat, i.e. metadata, which the policy does
 * not confine. @want: which outcome the call needs.
 */
/*
 * Deny @api on @buf for @r, unless the OS would have refused the call for
 * its own reason (only for fs_readonly refusals): then fail with that
 * errno, without a trace line (nothing was prevented).
 */
static int deny_or_own(const char *api, int dirfd, const char *buf, int follow,
		       int want, enum hm_reason r)
{
	int e;

	if (r == HM_R_FS_READONLY) {
		HM_SHIM_GUARD();
		e = hm_os_own_error(dirfd, buf, follow, want);
		if (e) {
			errno = e;
			return -1;
		}
	}
	return hm_shim_deny_path(api, buf, r);
}

/* The outcome a mutation @api needs (rename and link pass their own). */
static int mutate_want(const char *api)
{
	if (!strcmp(api, "rmdir"))
		return HM_OSE_EXIST | HM_OSE_NOTDIR;
	if (!strcmp(api, "unlink"))
		return HM_OSE_EXIST | HM_OSE_ISDIR;
	if (!strncmp(api, "mkdir", 5) || !strncmp(api, "symlink", 7) ||
	    !strncmp(api, "mknod", 5) || !strncmp(api, "mkfifo", 6) ||
	    !strncmp(api, "__xmknod", 8))
		return HM_OSE_ABSENT | HM_OSE_PARENT;
	if (!strcmp(api, "mkdtemp"))
		return 0;
	return HM_OSE_EXIST;
}

/* A mutation of @path relative to @dirfd needing @want; see gate_path. */
static int gate_mutate_want(const char *api, int dirfd, const char *path,
			    int follow, char *buf, int want)
{
	int saved = errno;
	enum hm_reason r;

	if (hm_shim_copy_str(path, buf, PATH_MAX) < 0)
		return -1;
	HM_SHIM_GUARD();
	r = check_path(dirfd, buf, HM_OP_MUTATE, 0, follow, 0);
	if (r != HM_R_NONE)
		return deny_or_own(api, dirfd, buf, follow, want, r);
	errno = saved;
	return 0;
}

/* A mutation of @path relative to @dirfd; see gate_path. */
static int gate_mutate(const char *api, int dirfd, const char *path, int follow,
		       char *buf)
{
	return gate_mutate_want(api, dirfd, path, follow, buf,
				mutate_want(api));
}

/* A metadata change through descriptor @fd. Returns 0 or -1 (EACCES). */
static int gate_fd(const char *api, int fd)
{
	char canon[PATH_MAX];
	int saved = errno;
	enum hm_reason r;

	HM_SHIM_GUARD();
	/* A bad descriptor: let the kernel say EBADF. */
	if (fcntl(fd, F_GETFD) < 0) {
		errno = saved;
		return 0;
	}
	r = check_fd(fd, HM_OP_MUTATE, 0, canon);
	if (r != HM_R_NONE)
		return hm_shim_deny_path(api, canon, r);
	errno = saved;
	return 0;
}

/*
 * The *at() form of a mutation: @path NULL (utimensat, futimesat) or ""
 * with AT_EMPTY_PATH means the object @dirfd itself. Returns 1 to forward
 * the caller's @path unchanged (the descriptor form), 0 to forward @buf,
 * -1 on a denial.
 */
static int gate_at(const char *api, int dirfd, const char *path, int atflags,
		   int follow, char *buf)
{
	char first = 'x';

	/*
	 * The caller's first byte matters only with AT_EMPTY_PATH, and is read
	 * EFAULT-safely: an invalid @path must fail like libc, not crash.
	 */
	if (path && (atflags & AT_EMPTY_PATH) &&
	    hm_shim_read_user(&first, path, 1) < 0)
		return -1;
	if (!path || (first == '\0' && (atflags & AT_EMPTY_PATH))) {
		if (dirfd != AT_FDCWD)
			return gate_fd(api, dirfd) < 0 ? -1 : 1;
		if (gate_mutate(api, AT_FDCWD, ".", FOLLOW, buf) < 0)
			return -1;
		return 1;
	}
	if (atflags & AT_SYMLINK_NOFOLLOW)
		follow = NOFOLLOW;
	return gate_mutate(api, dirfd, path, follow, buf);
}

enum hm_reason hm_fs_check_open(char *path, int oflags)
{
	return check_path(AT_FDCWD, path, HM_OP_OPEN, oflags,
			  (oflags & O_NOFOLLOW) ? NOFOLLOW : FOLLOW, 0);
}

/* ------------------------------------------------------------------ */
/* Opens                                                               */
/* ------------------------------------------------------------------ */

/*
 * Whether open(2) follows a final symlink: not with O_NOFOLLOW, and not
 * with O_CREAT|O_EXCL (the kernel then fails with EEXIST on any link).
 */
static int open_follows(int flags)
{
	if (flags & O_NOFOLLOW)
		return NOFOLLOW;
	if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		return NOFOLLOW;
	return FOLLOW;
}

static int needs_mode(int flags)
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
static int post_check_fd(const char *api, const char *shown, int fd, int flags)
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

static int open_slow(const char *api, enum open_kind k, int dirfd,
		     const char *path, int flags, mode_t mode)
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

HM_EXPORT int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (needs_mode(flags)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (!hm_shim_enter() || !open_relevant(flags))
		return HM_REAL(open)(path, flags, mode);
	return open_slow("open", K_OPEN, AT_FDCWD, path, flags, mode);
}

HM_EXPORT int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (needs_mode(flags)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (!hm_shim_enter() || !open_relevant(flags))
		return HM_REAL(open64)(path, flags, mode);
	return open_slow("open", K_OPEN64, AT_FDCWD, path, flags, mode);
}

HM_EXPORT int __open_2(const char *path, int flags)
{
	if (!hm_shim_enter() || !open_relevant(flags))
		return HM_REAL(__open_2)(path, flags);
	return open_slow("open", K_OPEN_2, AT_FDCWD, path, flags, 0);
}

HM_EXPORT int __open64_2(const char *path, int flags)
{
	if (!hm_shim_enter() || !open_relevant(flags))
		return HM_REAL(__open64_2)(path, flags);
	return open_slow("open", K_OPEN64_2, AT_FDCWD, path, flags, 0);
}

/*
 * __open and __open64 are optional rows (ENOSYS where libc lacks them)
 * with one body: @check is hm_shim_enter()'s answer, @real the alias's
 * real pointer, read only after that call resolved the table, @k its kind.
 */
static int uopen(int check, int (*real)(const char *, int, ...),
		 enum open_kind k, const char *path, int flags, mode_t mode)
{
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	if (!check || !open_relevant(flags))
		return real(path, flags, mode);
	return open_slow("open", k, AT_FDCWD, path, flags, mode);
}

HM_EXPORT int __open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;
	int check;

	if (needs_mode(flags)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	check = hm_shim_enter(); /* first: it resolves the real table */
	return uopen(check, HM_REAL(__open), K_UOPEN, path, flags, mode);
}

HM_EXPORT int __open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;
	int check;

	if (needs_mode(flags)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	check = hm_shim_enter(); /* first: it resolves the real table */
	return uopen(check, HM_REAL(__open64), K_UOPEN64, path, flags, mode);
}

HM_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (needs_mode(flags)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (!hm_shim_enter() || !open_relevant(flags))
		return HM_REAL(openat)(dirfd, path, flags, mode);
	return open_slow("openat", K_OPENAT, dirfd, path, flags, mode);
}

HM_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (needs_mode(flags)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (!hm_shim_enter() || !open_relevant(flags))
		return HM_REAL(openat64)(dirfd, path, flags, mode);
	return open_slow("openat", K_OPENAT64, dirfd, path, flags, mode);
}

HM_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	if (!hm_shim_enter() || !open_relevant(flags))
		return HM_REAL(__openat_2)(dirfd, path, flags);
	return open_slow("openat", K_OPENAT_2, dirfd, path, flags, 0);
}

HM_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	if (!hm_shim_enter() || !open_relevant(flags))
		return HM_REAL(__openat64_2)(dirfd, path, flags);
	return open_slow("openat", K_OPENAT64_2, dirfd, path, flags, 0);
}

#define CREAT_FLAGS (O_WRONLY | O_CREAT | O_TRUNC)

HM_EXPORT int creat(const char *path, mode_t mode)
{
	if (!hm_shim_enter() || !open_relevant(CREAT_FLAGS))
		return HM_REAL(creat)(path, mode);
	return open_slow("creat", K_CREAT, AT_FDCWD, path, CREAT_FLAGS, mode);
}

HM_EXPORT int creat64(const char *path, mode_t mode)
{
	if (!hm_shim_enter() || !open_relevant(CREAT_FLAGS))
		return HM_REAL(creat64)(path, mode);
	return open_slow("creat", K_CREAT64, AT_FDCWD, path, CREAT_FLAGS, mode);
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

static FILE *fopen_slow(const char *api, enum fopen_kind k, const char *path,
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

HM_EXPORT FILE *fopen(const char *path, const char *mode)
{
	if (!hm_shim_enter() || !fopen_active())
		return HM_REAL(fopen)(path, mode);
	return fopen_slow("fopen", F_FOPEN, path, mode, NULL);
}

HM_EXPORT FILE *fopen64(const char *path, const char *mode)
{
	if (!hm_shim_enter() || !fopen_active())
		return HM_REAL(fopen64)(path, mode);
	return fopen_slow("fopen", F_FOPEN64, path, mode, NULL);
}

HM_EXPORT FILE *_IO_fopen(const char *path, const char *mode)
{
	int check = hm_shim_enter();

	if (!HM_REAL(_IO_fopen)) {
		errno = ENOSYS;
		return NULL;
	}
	if (!check || !fopen_active())
		return HM_REAL(_IO_fopen)(path, mode);
	return fopen_slow("fopen", F_IO_FOPEN, path, mode, NULL);
}

HM_EXPORT FILE *freopen(const char *path, const char *mode, FILE *stream)
{
	if (!hm_shim_enter() || !fopen_active())
		return HM_REAL(freopen)(path, mode, stream);
	return fopen_slow("freopen", F_FREOPEN, path, mode, stream);
}

HM_EXPORT FILE *freopen64(const char *path, const char *mode, FILE *stream)
{
	if (!hm_shim_enter() || !fopen_active())
		return HM_REAL(freopen64)(path, mode, stream);
	return fopen_slow("freopen", F_FREOPEN64, path, mode, stream);
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
HM_EXPORT DIR *opendir(const char *path)
{
	if (!hm_shim_enter() || !(hm_shim_flags() & READ_FLAGS))
		return HM_REAL(opendir)(path);
	return opendir_slow(path);
}

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
static FILE *tmpfile_slow(int is64)
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

HM_EXPORT FILE *tmpfile(void)
{
	if (!hm_shim_enter() || !open_relevant(CREATE_FLAGS))
		return HM_REAL(tmpfile)();
	return tmpfile_slow(0);
}

HM_EXPORT FILE *tmpfile64(void)
{
	if (!hm_shim_enter() || !open_relevant(CREATE_FLAGS))
		return HM_REAL(tmpfile64)();
	return tmpfile_slow(1);
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
static int mkstemp_slow(const char *api, enum mkstemp_kind k, char *tmpl,
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

HM_EXPORT int mkstemp(char *tmpl)
{
	if (!hm_shim_enter() || !open_relevant(CREATE_FLAGS))
		return HM_REAL(mkstemp)(tmpl);
	return mkstemp_slow("mkstemp", M_MKSTEMP, tmpl, 0, 0);
}

HM_EXPORT int mkstemp64(char *tmpl)
{
	if (!hm_shim_enter() || !open_relevant(CREATE_FLAGS))
		return HM_REAL(mkstemp64)(tmpl);
	return mkstemp_slow("mkstemp", M_MKSTEMP64, tmpl, 0, 0);
}

HM_EXPORT int mkostemp(char *tmpl, int flags)
{
	if (!hm_shim_enter() || !open_relevant(CREATE_FLAGS))
		return HM_REAL(mkostemp)(tmpl, flags);
	return mkstemp_slow("mkostemp", M_MKOSTEMP, tmpl, flags, 0);
}

HM_EXPORT int mkostemp64(char *tmpl, int flags)
{
	if (!hm_shim_enter() || !open_relevant(CREATE_FLAGS))
		return HM_REAL(mkostemp64)(tmpl, flags);
	return mkstemp_slow("mkostemp", M_MKOSTEMP64, tmpl, flags, 0);
}

HM_EXPORT int mkstemps(char *tmpl, int suffix)
{
	if (!hm_shim_enter() || !open_relevant(CREATE_FLAGS))
		return HM_REAL(mkstemps)(tmpl, suffix);
	return mkstemp_slow("mkstemps", M_MKSTEMPS, tmpl, 0, suffix);
}

HM_EXPORT int mkstemps64(char *tmpl, int suffix)
{
	if (!hm_shim_enter() || !open_relevant(CREATE_FLAGS))
		return HM_REAL(mkstemps64)(tmpl, suffix);
	return mkstemp_slow("mkstemps", M_MKSTEMPS64, tmpl, 0, suffix);
}

HM_EXPORT int mkostemps(char *tmpl, int suffix, int flags)
{
	if (!hm_shim_enter() || !open_relevant(CREATE_FLAGS))
		return HM_REAL(mkostemps)(tmpl, suffix, flags);
	return mkstemp_slow("mkostemps", M_MKOSTEMPS, tmpl, flags, suffix);
}

HM_EXPORT int mkostemps64(char *tmpl, int suffix, int flags)
{
	if (!hm_shim_enter() || !open_relevant(CREATE_FLAGS))
		return HM_REAL(mkostemps64)(tmpl, suffix, flags);
	return mkstemp_slow("mkostemps", M_MKOSTEMPS64, tmpl, flags, suffix);
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

HM_EXPORT char *mkdtemp(char *tmpl)
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(mkdtemp)(tmpl);
	return mkdtemp_slow(tmpl);
}

/* ------------------------------------------------------------------ */
/* Path mutations                                                      */
/* ------------------------------------------------------------------ */

/* rename-family: both names change. */
static int rename_slow(const char *api, int olddir, const char *oldp,
		       int newdir, const char *newp, unsigned int flags,
		       int which)
{
	char a[PATH_MAX], b[PATH_MAX];

	if (gate_mutate_want(api, olddir, oldp, NOFOLLOW, a, HM_OSE_EXIST) <
		0 ||
	    gate_mutate_want(api, newdir, newp, NOFOLLOW, b, HM_OSE_PARENT) < 0)
		return -1;
	if (which == 0)
		return HM_REAL(rename)(a, b);
	if (which == 1)
		return HM_REAL(renameat)(olddir, a, newdir, b);
	return HM_REAL(renameat2)(olddir, a, newdir, b, flags);
}

HM_EXPORT int rename(const char *oldp, const char *newp)
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(rename)(oldp, newp);
	return rename_slow("rename", AT_FDCWD, oldp, AT_FDCWD, newp, 0, 0);
}

HM_EXPORT int renameat(int olddir, const char *oldp, int newdir,
		       const char *newp)
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(renameat)(olddir, oldp, newdir, newp);
	return rename_slow("renameat", olddir, oldp, newdir, newp, 0, 1);
}

HM_EXPORT int renameat2(int olddir, const char *oldp, int newdir,
			const char *newp, unsigned int flags)
{
	int check = hm_shim_enter();

	if (!HM_REAL(renameat2)) {
		errno = ENOSYS;
		return -1;
	}
	if (!check || !fs_active())
		return HM_REAL(renameat2)(olddir, oldp, newdir, newp, flags);
	return rename_slow("renameat2", olddir, oldp, newdir, newp, flags, 2);
}

static int unlink_slow(const char *path)
{
	char buf[PATH_MAX];

	if (gate_mutate("unlink", AT_FDCWD, path, NOFOLLOW, buf) < 0)
		return -1;
	return HM_REAL(unlink)(buf);
}

HM_EXPORT int unlink(const char *path)
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(unlink)(path);
	return unlink_slow(path);
}

static int unlinkat_slow(int dirfd, const char *path, int flags)
{
	char buf[PATH_MAX];

	if (gate_mutate("unlinkat", dirfd, path, NOFOLLOW, buf) < 0)
		return -1;
	return HM_REAL(unlinkat)(dirfd, buf, flags);
}

HM_EXPORT int unlinkat(int dirfd, const char *path, int flags)
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(unlinkat)(dirfd, path, flags);
	return unlinkat_slow(dirfd, path, flags);
}

static int remove_slow(const char *path)
{
	char buf[PATH_MAX];

	if (gate_mutate("remove", AT_FDCWD, path, NOFOLLOW, buf) < 0)
		return -1;
	return HM_REAL(remove)(buf);
}

HM_EXPORT int remove(const char *path)
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(remove)(path);
	return remove_slow(path);
}

static int rmdir_slow(const char *path)
{
	char buf[PATH_MAX];

	if (gate_mutate("rmdir", AT_FDCWD, path, NOFOLLOW, buf) < 0)
		return -1;
	return HM_REAL(rmdir)(buf);
}

HM_EXPORT int rmdir(const char *path)
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(rmdir)(path);
	return rmdir_slow(path);
}

static int mkdir_slow(int dirfd, const char *path, mode_t mode, int at)
{
	char buf[PATH_MAX];

	if (gate_mutate(at ? "mkdirat" : "mkdir", dirfd, path, NOFOLLOW, buf) <
	    0)
		return -1;
	return at ? HM_REAL(mkdirat)(dirfd, buf, mode)
		  : HM_REAL(mkdir)(buf, mode);
}

HM_EXPORT int mkdir(const char *path, mode_t mode)
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(mkdir)(path, mode);
	return mkdir_slow(AT_FDCWD, path, mode, 0);
}

HM_EXPORT int mkdirat(int dirfd, const char *path, mode_t mode)
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(mkdirat)(dirfd, path, mode);
	return mkdir_slow(dirfd, path, mode, 1);
}

/*
 * link/linkat: the new name is a mutation, and so is the existing file:
 * a hard link of a read-only file into a writable hole would make it
 * writable (and, under fs_root, readable) through the hole's name. With
 * AT_EMPTY_PATH the existing file is the descriptor (an O_TMPFILE file
 * being given a name: "/hole/#123 (deleted)" passes).
 */
static int link_slow(const char *api, int olddir, const char *oldp, int newdir,
		     const char *newp, int flags, int at)
{
	char a[PATH_MAX], b[PATH_MAX];
	int follow = (flags & AT_SYMLINK_FOLLOW) ? FOLLOW : NOFOLLOW;
	int rc = gate_at(api, olddir, oldp, flags & AT_EMPTY_PATH, follow, a);

	if (rc < 0 || gate_mutate_want(api, newdir, newp, NOFOLLOW, b,
				       HM_OSE_ABSENT | HM_OSE_PARENT) < 0)
		return -1;
	if (!at)
		return HM_REAL(link)(rc ? oldp : a, b);
	return HM_REAL(linkat)(olddir, rc ? oldp : a, newdir, b, flags);
}

HM_EXPORT int link(const char *oldp, const char *newp)
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(link)(oldp, newp);
	return link_slow("link", AT_FDCWD, oldp, AT_FDCWD, newp, 0, 0);
}

HM_EXPORT int linkat(int olddir, const char *oldp, int newdir, const char *newp,
		     int flags)
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(linkat)(olddir, oldp, newdir, newp, flags);
	return link_slow("linkat", olddir, oldp, newdir, newp, flags, 1);
}

/* symlink: only the new name is checked; the target text is just data. */
static int symlink_slow(const char *target, int dirfd, const char *path, int at)
{
	char buf[PATH_MAX];

	if (gate_mutate(at ? "symlinkat" : "symlink", dirfd, path, NOFOLLOW,
			buf) < 0)
		return -1;
	return at ? HM_REAL(symlinkat)(target, dirfd, buf)
		  : HM_REAL(symlink)(target, buf);
}

HM_EXPORT int symlink(const char *target, const char *path)
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(symlink)(target, path);
	return symlink_slow(target, AT_FDCWD, path, 0);
}

HM_EXPORT int symlinkat(const char *target, int dirfd, const char *path)
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(symlinkat)(target, dirfd, path);
	return symlink_slow(target, dirfd, path, 1);
}

static int truncate_slow(const char *path, off64_t len, int is64)
{
	char buf[PATH_MAX];

	if (gate_mutate("truncate", AT_FDCWD, path, FOLLOW, buf) < 0)
		return -1;
	return is64 ? HM_REAL(truncate64)(buf, len)
		    : HM_REAL(truncate)(buf, (off_t)len);
}

HM_EXPORT int truncate(const char *path, off_t len)
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(truncate)(path, len);
	return truncate_slow(path, len, 0);
}

HM_EXPORT int truncate64(const char *path, off64_t len)
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(truncate64)(path, len);
	return truncate_slow(path, len, 1);
}

static int chmod_slow(const char *api, const char *path, mode_t mode,
		      int follow)
{
	char buf[PATH_MAX];

	if (gate_mutate(api, AT_FDCWD, path, follow, buf) < 0)
		return -1;
	return follow ? HM_REAL(chmod)(buf, mode) : HM_REAL(lchmod)(buf, mode);
}

HM_EXPORT int chmod(const char *path, mode_t mode)
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(chmod)(path, mode);
	return chmod_slow("chmod", path, mode, FOLLOW);
}

static int fchmodat_slow(int dirfd, const char *path, mode_t mode, int flags)
{
	char buf[PATH_MAX];
	int rc = gate_at("fchmodat", dirfd, path, flags, FOLLOW, buf);

	if (rc < 0)
		return -1;
	return HM_REAL(fchmodat)(dirfd, rc ? path : buf, mode, flags);
}

HM_EXPORT int fchmodat(int dirfd, const char *path, mode_t mode, int flags)
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(fchmodat)(dirfd, path, mode, flags);
	return fchmodat_slow(dirfd, path, mode, flags);
}

HM_EXPORT int lchmod(const char *path, mode_t mode)
{
	int check = hm_shim_enter();

	if (!HM_REAL(lchmod)) {
		errno = ENOSYS;
		return -1;
	}
	if (!check || !fs_active())
		return HM_REAL(lchmod)(path, mode);
	return chmod_slow("lchmod", path, mode, NOFOLLOW);
}

static int chown_slow(const char *api, const char *path, uid_t uid, gid_t gid,
		      int follow)
{
	char buf[PATH_MAX];

	if (gate_mutate(api, AT_FDCWD, path, follow, buf) < 0)
		return -1;
	return follow ? HM_REAL(chown)(buf, uid, gid)
		      : HM_REAL(lchown)(buf, uid, gid);
}

HM_EXPORT int chown(const char *path, uid_t uid, gid_t gid)
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(chown)(path, uid, gid);
	return chown_slow("chown", path, uid, gid, FOLLOW);
}

HM_EXPORT int lchown(const char *path, uid_t uid, gid_t gid)
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(lchown)(path, uid, gid);
	return chown_slow("lchown", path, uid, gid, NOFOLLOW);
}

static int fchownat_slow(int dirfd, const char *path, uid_t uid, gid_t gid,
			 int flags)
{
	char buf[PATH_MAX];
	int rc = gate_at("fchownat", dirfd, path, flags, FOLLOW, buf);

	if (rc < 0)
		return -1;
	return HM_REAL(fchownat)(dirfd, rc ? path : buf, uid, gid, flags);
}

HM_EXPORT int fchownat(int dirfd, const char *path, uid_t uid, gid_t gid,
		       int flags)
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(fchownat)(dirfd, path, uid, gid, flags);
	return fchownat_slow(dirfd, path, uid, gid, flags);
}

static int utime_slow(const char *path, const struct utimbuf *t)
{
	char buf[PATH_MAX];

	if (gate_mutate("utime", AT_FDCWD, path, FOLLOW, buf) < 0)
		return -1;
	return HM_REAL(utime)(buf, t);
}

HM_EXPORT int utime(const char *path, const struct utimbuf *t)
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(utime)(path, t);
	return utime_slow(path, t);
}

static int utimes_slow(const char *api, const char *path,
		       const struct timeval tv[2], int follow)
{
	char buf[PATH_MAX];

	if (gate_mutate(api, AT_FDCWD, path, follow, buf) < 0)
		return -1;
	return follow ? HM_REAL(utimes)(buf, tv) : HM_REAL(lutimes)(buf, tv);
}

HM_EXPORT int utimes(const char *path, const struct timeval tv[2])
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(utimes)(path, tv);
	return utimes_slow("utimes", path, tv, FOLLOW);
}

HM_EXPORT int lutimes(const char *path, const struct timeval tv[2])
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(lutimes)(path, tv);
	return utimes_slow("lutimes", path, tv, NOFOLLOW);
}

/* futimesat(fd, NULL, tv) changes the times of fd itself. */
static int futimesat_slow(int dirfd, const char *path,
			  const struct timeval tv[2])
{
	char buf[PATH_MAX];
	int rc = gate_at("futimesat", dirfd, path, 0, FOLLOW, buf);

	if (rc < 0)
		return -1;
	return HM_REAL(futimesat)(dirfd, rc ? path : buf, tv);
}

HM_EXPORT int futimesat(int dirfd, const char *path, const struct timeval tv[2])
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(futimesat)(dirfd, path, tv);
	return futimesat_slow(dirfd, path, tv);
}

/* utimensat(fd, NULL, ts, 0) changes the times of fd itself. */
static int utimensat_slow(int dirfd, const char *path,
			  const struct timespec ts[2], int flags)
{
	char buf[PATH_MAX];
	int rc = gate_at("utimensat", dirfd, path, flags, FOLLOW, buf);

	if (rc < 0)
		return -1;
	return HM_REAL(utimensat)(dirfd, rc ? path : buf, ts, flags);
}

HM_EXPORT int utimensat(int dirfd, const char *path,
			const struct timespec ts[2], int flags)
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(utimensat)(dirfd, path, ts, flags);
	return utimensat_slow(dirfd, path, ts, flags);
}

static int setxattr_slow(const char *api, const char *path, const char *name,
			 const void *value, size_t size, int flags, int follow)
{
	char buf[PATH_MAX];

	if (gate_mutate(api, AT_FDCWD, path, follow, buf) < 0)
		return -1;
	return follow ? HM_REAL(setxattr)(buf, name, value, size, flags)
		      : HM_REAL(lsetxattr)(buf, name, value, size, flags);
}

HM_EXPORT int setxattr(const char *path, const char *name, const void *value,
		       size_t size, int flags)
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(setxattr)(path, name, value, size, flags);
	return setxattr_slow("setxattr", path, name, value, size, flags,
			     FOLLOW);
}

HM_EXPORT int lsetxattr(const char *path, const char *name, const void *value,
			size_t size, int flags)
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(lsetxattr)(path, name, value, size, flags);
	return setxattr_slow("lsetxattr", path, name, value, size, flags,
			     NOFOLLOW);
}

static int removexattr_slow(const char *api, const char *path, const char *name,
			    int follow)
{
	char buf[PATH_MAX];

	if (gate_mutate(api, AT_FDCWD, path, follow, buf) < 0)
		return -1;
	return follow ? HM_REAL(removexattr)(buf, name)
		      : HM_REAL(lremovexattr)(buf, name);
}

HM_EXPORT int removexattr(const char *path, const char *name)
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(removexattr)(path, name);
	return removexattr_slow("removexattr", path, name, FOLLOW);
}

HM_EXPORT int lremovexattr(const char *path, const char *name)
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(lremovexattr)(path, name);
	return removexattr_slow("lremovexattr", path, name, NOFOLLOW);
}

/* mknod and mkfifo families; which: 0 mknod, 1 mknodat, 2 mkfifo, 3 mkfifoat */
static int mknod_slow(const char *api, int which, int dirfd, const char *path,
		      mode_t mode, dev_t dev)
{
	char buf[PATH_MAX];

	if (gate_mutate(api, dirfd, path, NOFOLLOW, buf) < 0)
		return -1;
	switch (which) {
	case 0:
		return HM_REAL(mknod)(buf, mode, dev);
	case 1:
		return HM_REAL(mknodat)(dirfd, buf, mode, dev);
	case 2:
		return HM_REAL(mkfifo)(buf, mode);
	default:
		return HM_REAL(mkfifoat)(dirfd, buf, mode);
	}
}

HM_EXPORT int mknod(const char *path, mode_t mode, dev_t dev)
{
	int check = hm_shim_enter();

	if (!HM_REAL(mknod)) {
		errno = ENOSYS;
		return -1;
	}
	if (!check || !fs_active())
		return HM_REAL(mknod)(path, mode, dev);
	return mknod_slow("mknod", 0, AT_FDCWD, path, mode, dev);
}

HM_EXPORT int mknodat(int dirfd, const char *path, mode_t mode, dev_t dev)
{
	int check = hm_shim_enter();

	if (!HM_REAL(mknodat)) {
		errno = ENOSYS;
		return -1;
	}
	if (!check || !fs_active())
		return HM_REAL(mknodat)(dirfd, path, mode, dev);
	return mknod_slow("mknodat", 1, dirfd, path, mode, dev);
}

/* Not declared by glibc's headers since 2.33 (the rows give the types). */
int __xmknod(int ver, const char *path, mode_t mode, dev_t *dev);
int __xmknodat(int ver, int dirfd, const char *path, mode_t mode, dev_t *dev);

/* __xmknod, __xmknodat: mknod's check, the old entry points' arguments. */
static int xmknod_slow(const char *api, int ver, int dirfd, const char *path,
		       mode_t mode, dev_t *dev)
{
	char buf[PATH_MAX];

	if (gate_mutate(api, dirfd, path, NOFOLLOW, buf) < 0)
		return -1;
	if (dirfd == AT_FDCWD && strcmp(api, "__xmknod") == 0)
		return HM_REAL(__xmknod)(ver, buf, mode, dev);
	return HM_REAL(__xmknodat)(ver, dirfd, buf, mode, dev);
}

HM_EXPORT int __xmknod(int ver, const char *path, mode_t mode, dev_t *dev)
{
	int check = hm_shim_enter();

	if (!HM_REAL(__xmknod)) {
		errno = ENOSYS;
		return -1;
	}
	if (!check || !fs_active())
		return HM_REAL(__xmknod)(ver, path, mode, dev);
	return xmknod_slow("__xmknod", ver, AT_FDCWD, path, mode, dev);
}

HM_EXPORT int __xmknodat(int ver, int dirfd, const char *path, mode_t mode,
			 dev_t *dev)
{
	int check = hm_shim_enter();

	if (!HM_REAL(__xmknodat)) {
		errno = ENOSYS;
		return -1;
	}
	if (!check || !fs_active())
		return HM_REAL(__xmknodat)(ver, dirfd, path, mode, dev);
	return xmknod_slow("__xmknodat", ver, dirfd, path, mode, dev);
}

HM_EXPORT int mkfifo(const char *path, mode_t mode)
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(mkfifo)(path, mode);
	return mknod_slow("mkfifo", 2, AT_FDCWD, path, mode, 0);
}

HM_EXPORT int mkfifoat(int dirfd, const char *path, mode_t mode)
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(mkfifoat)(dirfd, path, mode);
	return mknod_slow("mkfifoat", 3, dirfd, path, mode, 0);
}

/* ------------------------------------------------------------------ */
/* Metadata changes through descriptors                                */
/* ------------------------------------------------------------------ */
/*
 * These work on read-only (even O_PATH-less read) descriptors, so the
 * open gate does not cover them: check the object the descriptor names.
 */

HM_EXPORT int fchmod(int fd, mode_t mode)
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(fchmod)(fd, mode);
	if (gate_fd("fchmod", fd) < 0)
		return -1;
	return HM_REAL(fchmod)(fd, mode);
}

HM_EXPORT int fchown(int fd, uid_t uid, gid_t gid)
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(fchown)(fd, uid, gid);
	if (gate_fd("fchown", fd) < 0)
		return -1;
	return HM_REAL(fchown)(fd, uid, gid);
}

HM_EXPORT int futimens(int fd, const struct timespec ts[2])
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(futimens)(fd, ts);
	if (gate_fd("futimens", fd) < 0)
		return -1;
	return HM_REAL(futimens)(fd, ts);
}

HM_EXPORT int futimes(int fd, const struct timeval tv[2])
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(futimes)(fd, tv);
	if (gate_fd("futimes", fd) < 0)
		return -1;
	return HM_REAL(futimes)(fd, tv);
}

HM_EXPORT int fsetxattr(int fd, const char *name, const void *value,
			size_t size, int flags)
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(fsetxattr)(fd, name, value, size, flags);
	if (gate_fd("fsetxattr", fd) < 0)
		return -1;
	return HM_REAL(fsetxattr)(fd, name, value, size, flags);
}

HM_EXPORT int fremovexattr(int fd, const char *name)
{
	if (!hm_shim_enter() || !fs_active())
		return HM_REAL(fremovexattr)(fd, name);
	if (gate_fd("fremovexattr", fd) < 0)
		return -1;
	return HM_REAL(fremovexattr)(fd, name);
}

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

HM_EXPORT int __open_nocancel(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;
	int check;

	if (needs_mode(flags)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	check = hm_shim_enter(); /* first: it resolves the real table */
	if (!HM_REAL(__open_nocancel)) {
		errno = ENOSYS;
		return -1;
	}
	if (!check || !open_relevant(flags))
		return HM_REAL(__open_nocancel)(path, flags, mode);
	return open_slow("open", K_NOCANCEL, AT_FDCWD, path, flags, mode);
}

HM_EXPORT int __open64_nocancel(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;
	int check;

	if (needs_mode(flags)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	check = hm_shim_enter(); /* first: it resolves the real table */
	if (!HM_REAL(__open64_nocancel)) {
		errno = ENOSYS;
		return -1;
	}
	if (!check || !open_relevant(flags))
		return HM_REAL(__open64_nocancel)(path, flags, mode);
	return open_slow("open", K_NOCANCEL64, AT_FDCWD, path, flags, mode);
}

/*
 * _IO_file_fopen opens into a FILE the caller owns, so a post-check
 * could not release it: the path is checked before (as fopen checks it)
 * and the new descriptor after; a refused descriptor is closed, which
 * leaves that FILE failing every read and write (EBADF).
 */
HM_EXPORT FILE *_IO_file_fopen(FILE *fp, const char *path, const char *mode,
			       int is32)
{
	char buf[PATH_MAX], m[MODE_MAX];
	int check = hm_shim_enter(), flags;
	enum hm_reason why;
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
	if (!r)
		return NULL;
	HM_SHIM_GUARD();
	why = check_fd(fileno(r), HM_OP_OPEN, flags, buf);
	if (why == HM_R_NONE && hm_open_flags_write(flags) &&
	    hm_fs_tamper_fd(fileno(r)))
		why = HM_R_UNGUARDABLE;
	if (why != HM_R_NONE)
		close(fileno(r));
	if (why != HM_R_NONE) {
		hm_shim_deny_path("fopen", buf, why);
		return NULL;
	}
	return r;
}

/*
 * open_by_handle_at opens an inode by its handle: no path, nothing for
 * the path rules to judge. Refused under any file-system guard.
 */
HM_EXPORT int open_by_handle_at(int mount_fd, struct file_handle *h, int flags)
{
	int check = hm_shim_enter();

	if (!HM_REAL(open_by_handle_at)) {
		errno = ENOSYS;
		return -1;
	}
	if (!check || !fs_active())
		return HM_REAL(open_by_handle_at)(mount_fd, h, flags);
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

HM_EXPORT int scandir(const char *path, struct dirent ***list,
		      int (*sel)(const struct dirent *),
		      int (*cmp)(const struct dirent **,
				 const struct dirent **))
{
	int fd, rc, e;

	if (!hm_shim_enter() || !(hm_shim_flags() & READ_FLAGS))
		return HM_REAL(scandir)(path, list, sel, cmp);
	fd = scan_open(AT_FDCWD, path);
	if (fd < 0)
		return -1;
	rc = HM_REAL(scandirat)(fd, ".", list, sel, cmp);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

HM_EXPORT int scandir64(const char *path, struct dirent64 ***list,
			int (*sel)(const struct dirent64 *),
			int (*cmp)(const struct dirent64 **,
				   const struct dirent64 **))
{
	int fd, rc, e;

	if (!hm_shim_enter() || !(hm_shim_flags() & READ_FLAGS))
		return HM_REAL(scandir64)(path, list, sel, cmp);
	fd = scan_open(AT_FDCWD, path);
	if (fd < 0)
		return -1;
	rc = HM_REAL(scandirat64)(fd, ".", list, sel, cmp);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

HM_EXPORT int scandirat(int dirfd, const char *path, struct dirent ***list,
			int (*sel)(const struct dirent *),
			int (*cmp)(const struct dirent **,
				   const struct dirent **))
{
	int fd, rc, e;

	if (!hm_shim_enter() || !(hm_shim_flags() & READ_FLAGS))
		return HM_REAL(scandirat)(dirfd, path, list, sel, cmp);
	fd = scan_open(dirfd, path);
	if (fd < 0)
		return -1;
	rc = HM_REAL(scandirat)(fd, ".", list, sel, cmp);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

HM_EXPORT int scandirat64(int dirfd, const char *path, struct dirent64 ***list,
			  int (*sel)(const struct dirent64 *),
			  int (*cmp)(const struct dirent64 **,
				     const struct dirent64 **))
{
	int fd, rc, e;

	if (!hm_shim_enter() || !(hm_shim_flags() & READ_FLAGS))
		return HM_REAL(scandirat64)(dirfd, path, list, sel, cmp);
	fd = scan_open(dirfd, path);
	if (fd < 0)
		return -1;
	rc = HM_REAL(scandirat64)(fd, ".", list, sel, cmp);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

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

/* glob through @real (the default or the old version) under fs_root. */
static int glob_with(glob_fn real, const char *pattern, int flags,
		     int (*errfunc)(const char *, int), glob_t *pglob)
{
	int check = hm_shim_enter(); /* first: it resolves the real table */

	if (!real) {
		errno = ENOSYS;
		return GLOB_ABORTED;
	}
	if (!check || !(hm_shim_flags() & READ_FLAGS) || !pglob ||
	    (flags & GLOB_ALTDIRFUNC))
		return real(pattern, flags, errfunc, pglob);
	pglob->gl_opendir = glob_opendir;
	pglob->gl_readdir = glob_readdir;
	pglob->gl_closedir = glob_closedir;
	pglob->gl_stat = stat;
	pglob->gl_lstat = lstat;
	return real(pattern, flags | GLOB_ALTDIRFUNC, errfunc, pglob);
}

static int glob64_with(glob64_fn real, const char *pattern, int flags,
		       int (*errfunc)(const char *, int), glob64_t *pglob)
{
	int check = hm_shim_enter();

	if (!real) {
		errno = ENOSYS;
		return GLOB_ABORTED;
	}
	if (!check || !(hm_shim_flags() & READ_FLAGS) || !pglob ||
	    (flags & GLOB_ALTDIRFUNC))
		return real(pattern, flags, errfunc, pglob);
	pglob->gl_opendir = glob_opendir;
	pglob->gl_readdir = glob_readdir64;
	pglob->gl_closedir = glob_closedir;
	pglob->gl_stat = stat64;
	pglob->gl_lstat = lstat64;
	return real(pattern, flags | GLOB_ALTDIRFUNC, errfunc, pglob);
}

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
