/*
 * osfs.c - what the OS itself would say about a file-system call, for
 * both enforcing layers (the shim's fs.c and _native's audit hook): the
 * error a refused write would have failed with anyway, and whether a
 * re-open of a held descriptor by name grants anything new, and the
 * ownership half of block_native's trusted-runtime rule. System
 * helpers: they make system calls (newfstatat, fcntl, readlinkat) through
 * syscall(),
 * which the shim forwards untouched for its own image, and allocate
 * nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hermetic/hermetic.h"

static int stat_at(int dirfd, const char *p, struct stat *st, int follow)
{
	return (int)syscall(SYS_newfstatat, dirfd, p, st,
			    follow ? 0 : AT_SYMLINK_NOFOLLOW);
}

int hm_os_own_error(int dirfd, const char *p, int follow, int want)
{
	char parent[PATH_MAX];
	struct stat st;
	char *slash;
	size_t n;
	int e;

	if (!want)
		return 0;
	if (stat_at(dirfd, p, &st, follow) == 0) {
		if (want & HM_OSE_ABSENT)
			return EEXIST;
		if ((want & HM_OSE_NOTDIR) && !S_ISDIR(st.st_mode))
			return ENOTDIR;
		if ((want & HM_OSE_ISDIR) && S_ISDIR(st.st_mode))
			return EISDIR;
		return 0;
	}
	e = errno;
	if (e == ENOTDIR || e == ELOOP || e == ENAMETOOLONG)
		return e;
	if (e != ENOENT)
		return 0;
	if (want & HM_OSE_EXIST)
		return ENOENT;
	/* Created: ENOENT comes from a missing directory on the way. */
	n = strnlen(p, sizeof(parent));
	if (n == sizeof(parent))
		return 0;
	memcpy(parent, p, n + 1);
	while ((slash = strrchr(parent, '/')) && slash[1] == '\0' &&
	       slash != parent)
		*slash = '\0';
	slash = strrchr(parent, '/');
	if (!slash)
		memcpy(parent, ".", 2);
	else
		slash[slash == parent ? 1 : 0] = '\0';
	if (stat_at(dirfd, parent, &st, 1) < 0)
		return errno == ENOENT || errno == ENOTDIR ? errno : 0;
	return 0;
}

int hm_os_open_want(int oflags)
{
	/* O_TMPFILE: an unnamed file in an existing directory. */
	if ((oflags & O_TMPFILE) == O_TMPFILE)
		return HM_OSE_EXIST;
	if ((oflags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		return HM_OSE_ABSENT | HM_OSE_PARENT;
	if (oflags & O_CREAT)
		return HM_OSE_PARENT | HM_OSE_ISDIR;
	return HM_OSE_EXIST | HM_OSE_ISDIR;
}

int hm_os_held_reopen(const char *p, int oflags)
{
	const char *n = NULL;
	int fd = 0, fl, acc, want;

	if (strcmp(p, "/dev/stdin") == 0)
		fd = 0;
	else if (strcmp(p, "/dev/stdout") == 0)
		fd = 1;
	else if (strcmp(p, "/dev/stderr") == 0)
		fd = 2;
	else if (strncmp(p, "/dev/fd/", 8) == 0)
		n = p + 8;
	else if (strncmp(p, "/proc/self/fd/", 14) == 0)
		n = p + 14;
	else
		return 0;
	if (n) {
		if (!*n)
			return 0;
		for (; *n; n++) {
			if (*n < '0' || *n > '9' || fd > 100000000)
				return 0;
			fd = fd * 10 + (*n - '0');
		}
	}
	if ((oflags & O_TMPFILE) == O_TMPFILE)
		return 0;
	fl = (int)syscall(SYS_fcntl, fd, F_GETFL);
	if (fl < 0 || (fl & O_PATH))
		return 0;
	acc = fl & O_ACCMODE;
	want = oflags & O_ACCMODE;
	if (hm_open_flags_write(oflags) && acc == O_RDONLY)
		return 0;
	if (want != O_WRONLY && acc == O_WRONLY)
		return 0;
	return 1;
}

/* True if @path is owned by root and not writable by group or others. */
static int root_owned(const char *path)
{
	struct stat st;

	return stat_at(AT_FDCWD, path, &st, 1) == 0 && st.st_uid == 0 &&
	       !(st.st_mode & (S_IWGRP | S_IWOTH));
}

int hm_runtime_trusted_ext(const char *path)
{
	const char *slash = strrchr(path, '/');
	char exe[PATH_MAX], dir[PATH_MAX];
	long k;
	size_t len;

	if (!slash || !hm_runtime_ext_file(slash + 1))
		return 0;
	len = (size_t)(slash - path);
	k = syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", exe,
		    sizeof(exe) - 1);
	if (k <= 0 || len == 0 || len >= sizeof(dir))
		return 0;
	exe[k] = '\0';
	if (!hm_runtime_dynload_dir(exe, path, len))
		return 0;
	memcpy(dir, path, len);
	dir[len] = '\0';
	return root_owned(dir) && root_owned(path);
}
