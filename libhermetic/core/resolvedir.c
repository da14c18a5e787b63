/*
 * resolvedir.c - the one validation of a user-given directory (fs_root,
 * and the launcher's --allow-write holes): it must exist and be a
 * directory, and it is resolved once (realpath) to the absolute path the
 * policy stores. Used by the launcher and by _native, so both front-ends
 * accept and refuse the same roots. Not pure (it asks the file system);
 * never called from an interposer.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hermetic/hermetic.h"

int hm_resolve_dir(const char *raw, char *out, size_t cap)
{
	char buf[PATH_MAX];
	struct stat st;
	size_t n;

	if (!raw || !*raw)
		return -EINVAL;
	if (!realpath(raw, buf))
		return errno == ENOTDIR ? -ENOENT : -errno;
	if (stat(buf, &st) != 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	n = strlen(buf);
	if (n >= cap || n >= HM_PATH_MAX)
		return -ENAMETOOLONG;
	memcpy(out, buf, n + 1);
	return 0;
}

const char *hm_resolve_dir_error(int rc)
{
	switch (rc) {
	case -EINVAL:
		return "is empty";
	case -ENOENT:
		return "does not exist";
	case -ENOTDIR:
		return "is not a directory";
	case -ENAMETOOLONG:
		return "is too long";
	default:
		return "cannot be resolved";
	}
}
