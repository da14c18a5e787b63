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
 * The family is four files, with one .def each (fs.c has no rows): fs.c (this
 * one: relevance, copies, kernel path resolution and the gates), fs_open.c (the
 * open family, fopen, opendir, tmpfile, mkstemp), fs_mutate.c (path mutations
 * and metadata changes through descriptors) and fs_sidedoor.c (glibc's internal
 * and side-door openers).
 */
#include "fs_impl.h"

/* ------------------------------------------------------------------ */
/* Helpers: relevance, copies, kernel path resolution                  */
/* ------------------------------------------------------------------ */

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
int tamper_check_fd(const char *api, const char *shown, int fd)
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
int resolve(int dirfd, char *p, int follow, char *out, int *is_chr,
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
enum hm_reason own_reason(int write)
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
enum hm_reason check_path_keep(int dirfd, char *p, enum hm_op op, int oflags,
			       int follow, int post, struct keep *keep)
{
	enum hm_reason r =
	    check_path_at(dirfd, p, op, oflags, follow, post, keep);

	if (r != HM_R_NONE && keep && keep->fd >= 0) {
		close(keep->fd);
		keep->fd = -1;
	}
	return r;
}

enum hm_reason check_path(int dirfd, char *p, enum hm_op op, int oflags,
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
enum hm_reason check_fd(int fd, enum hm_op op, int oflags, char *out)
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
int gate_path(const char *api, int dirfd, const char *path, enum hm_op op,
	      int oflags, int follow, int post, char *buf)
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
int deny_or_own(const char *api, int dirfd, const char *buf, int follow,
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
int gate_mutate_want(const char *api, int dirfd, const char *path, int follow,
		     char *buf, int want)
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
int gate_mutate(const char *api, int dirfd, const char *path, int follow,
		char *buf)
{
	return gate_mutate_want(api, dirfd, path, follow, buf,
				mutate_want(api));
}

/* A metadata change through descriptor @fd. Returns 0 or -1 (EACCES). */
int gate_fd(const char *api, int fd)
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
int gate_at(const char *api, int dirfd, const char *path, int atflags,
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
