/*
 * fs_mutate.c - path mutations (rename, unlink, mkdir, link, symlink,
 * truncate, chmod, chown, utime*, xattrs, mknod, mkfifo) and metadata
 * changes through descriptors (fchmod, fchown, futimens, fsetxattr...).
 */
#include "fs_impl.h"

/* ------------------------------------------------------------------ */
/* Path mutations                                                      */
/* ------------------------------------------------------------------ */

/* rename-family: both names change. */
static int rename_common(const char *api, int olddir, const char *oldp,
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

static int rename_slow(const char *oldp, const char *newp)
{
	return rename_common("rename", AT_FDCWD, oldp, AT_FDCWD, newp, 0, 0);
}

static int renameat_slow(int olddir, const char *oldp, int newdir,
			 const char *newp)
{
	return rename_common("renameat", olddir, oldp, newdir, newp, 0, 1);
}

static int renameat2_slow(int olddir, const char *oldp, int newdir,
			  const char *newp, unsigned int flags)
{
	return rename_common("renameat2", olddir, oldp, newdir, newp, flags, 2);
}

static int unlink_slow(const char *path)
{
	char buf[PATH_MAX];

	if (gate_mutate("unlink", AT_FDCWD, path, NOFOLLOW, buf) < 0)
		return -1;
	return HM_REAL(unlink)(buf);
}

static int unlinkat_slow(int dirfd, const char *path, int flags)
{
	char buf[PATH_MAX];

	if (gate_mutate("unlinkat", dirfd, path, NOFOLLOW, buf) < 0)
		return -1;
	return HM_REAL(unlinkat)(dirfd, buf, flags);
}

static int remove_slow(const char *path)
{
	char buf[PATH_MAX];

	if (gate_mutate("remove", AT_FDCWD, path, NOFOLLOW, buf) < 0)
		return -1;
	return HM_REAL(remove)(buf);
}

static int rmdir_slow(const char *path)
{
	char buf[PATH_MAX];

	if (gate_mutate("rmdir", AT_FDCWD, path, NOFOLLOW, buf) < 0)
		return -1;
	return HM_REAL(rmdir)(buf);
}

static int mkdir_common(int dirfd, const char *path, mode_t mode, int at)
{
	char buf[PATH_MAX];

	if (gate_mutate(at ? "mkdirat" : "mkdir", dirfd, path, NOFOLLOW, buf) <
	    0)
		return -1;
	return at ? HM_REAL(mkdirat)(dirfd, buf, mode)
		  : HM_REAL(mkdir)(buf, mode);
}

static int mkdir_slow(const char *path, mode_t mode)
{
	return mkdir_common(AT_FDCWD, path, mode, 0);
}

static int mkdirat_slow(int dirfd, const char *path, mode_t mode)
{
	return mkdir_common(dirfd, path, mode, 1);
}

/*
 * link/linkat: the new name is a mutation, and so is the existing file:
 * a hard link of a read-only file into a writable hole would make it
 * writable (and, under fs_root, readable) through the hole's name. With
 * AT_EMPTY_PATH the existing file is the descriptor (an O_TMPFILE file
 * being given a name: "/hole/#123 (deleted)" passes).
 */
static int link_common(const char *api, int olddir, const char *oldp,
		       int newdir, const char *newp, int flags, int at)
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

static int link_slow(const char *oldp, const char *newp)
{
	return link_common("link", AT_FDCWD, oldp, AT_FDCWD, newp, 0, 0);
}

static int linkat_slow(int olddir, const char *oldp, int newdir,
		       const char *newp, int flags)
{
	return link_common("linkat", olddir, oldp, newdir, newp, flags, 1);
}

/* symlink: only the new name is checked; the target text is just data. */
static int symlink_common(const char *target, int dirfd, const char *path,
			  int at)
{
	char buf[PATH_MAX];

	if (gate_mutate(at ? "symlinkat" : "symlink", dirfd, path, NOFOLLOW,
			buf) < 0)
		return -1;
	return at ? HM_REAL(symlinkat)(target, dirfd, buf)
		  : HM_REAL(symlink)(target, buf);
}

static int symlink_slow(const char *target, const char *path)
{
	return symlink_common(target, AT_FDCWD, path, 0);
}

static int symlinkat_slow(const char *target, int dirfd, const char *path)
{
	return symlink_common(target, dirfd, path, 1);
}

static int truncate_common(const char *path, off64_t len, int is64)
{
	char buf[PATH_MAX];

	if (gate_mutate("truncate", AT_FDCWD, path, FOLLOW, buf) < 0)
		return -1;
	return is64 ? HM_REAL(truncate64)(buf, len)
		    : HM_REAL(truncate)(buf, (off_t)len);
}

static int truncate_slow(const char *path, off_t len)
{
	return truncate_common(path, len, 0);
}

static int truncate64_slow(const char *path, off64_t len)
{
	return truncate_common(path, len, 1);
}

static int chmod_common(const char *api, const char *path, mode_t mode,
			int follow)
{
	char buf[PATH_MAX];

	if (gate_mutate(api, AT_FDCWD, path, follow, buf) < 0)
		return -1;
	return follow ? HM_REAL(chmod)(buf, mode) : HM_REAL(lchmod)(buf, mode);
}

static int chmod_slow(const char *path, mode_t mode)
{
	return chmod_common("chmod", path, mode, FOLLOW);
}

static int fchmodat_slow(int dirfd, const char *path, mode_t mode, int flags)
{
	char buf[PATH_MAX];
	int rc = gate_at("fchmodat", dirfd, path, flags, FOLLOW, buf);

	if (rc < 0)
		return -1;
	return HM_REAL(fchmodat)(dirfd, rc ? path : buf, mode, flags);
}

static int lchmod_slow(const char *path, mode_t mode)
{
	return chmod_common("lchmod", path, mode, NOFOLLOW);
}

static int chown_common(const char *api, const char *path, uid_t uid, gid_t gid,
			int follow)
{
	char buf[PATH_MAX];

	if (gate_mutate(api, AT_FDCWD, path, follow, buf) < 0)
		return -1;
	return follow ? HM_REAL(chown)(buf, uid, gid)
		      : HM_REAL(lchown)(buf, uid, gid);
}

static int chown_slow(const char *path, uid_t uid, gid_t gid)
{
	return chown_common("chown", path, uid, gid, FOLLOW);
}

static int lchown_slow(const char *path, uid_t uid, gid_t gid)
{
	return chown_common("lchown", path, uid, gid, NOFOLLOW);
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

static int utime_slow(const char *path, const struct utimbuf *t)
{
	char buf[PATH_MAX];

	if (gate_mutate("utime", AT_FDCWD, path, FOLLOW, buf) < 0)
		return -1;
	return HM_REAL(utime)(buf, t);
}

static int utimes_common(const char *api, const char *path,
			 const struct timeval tv[2], int follow)
{
	char buf[PATH_MAX];

	if (gate_mutate(api, AT_FDCWD, path, follow, buf) < 0)
		return -1;
	return follow ? HM_REAL(utimes)(buf, tv) : HM_REAL(lutimes)(buf, tv);
}

static int utimes_slow(const char *path, const struct timeval tv[2])
{
	return utimes_common("utimes", path, tv, FOLLOW);
}

static int lutimes_slow(const char *path, const struct timeval tv[2])
{
	return utimes_common("lutimes", path, tv, NOFOLLOW);
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

static int setxattr_common(const char *api, const char *path, const char *name,
			   const void *value, size_t size, int flags,
			   int follow)
{
	char buf[PATH_MAX];

	if (gate_mutate(api, AT_FDCWD, path, follow, buf) < 0)
		return -1;
	return follow ? HM_REAL(setxattr)(buf, name, value, size, flags)
		      : HM_REAL(lsetxattr)(buf, name, value, size, flags);
}

static int setxattr_slow(const char *path, const char *name, const void *value,
			 size_t size, int flags)
{
	return setxattr_common("setxattr", path, name, value, size, flags,
			       FOLLOW);
}

static int lsetxattr_slow(const char *path, const char *name, const void *value,
			  size_t size, int flags)
{
	return setxattr_common("lsetxattr", path, name, value, size, flags,
			       NOFOLLOW);
}

static int removexattr_common(const char *api, const char *path,
			      const char *name, int follow)
{
	char buf[PATH_MAX];

	if (gate_mutate(api, AT_FDCWD, path, follow, buf) < 0)
		return -1;
	return follow ? HM_REAL(removexattr)(buf, name)
		      : HM_REAL(lremovexattr)(buf, name);
}

static int removexattr_slow(const char *path, const char *name)
{
	return removexattr_common("removexattr", path, name, FOLLOW);
}

static int lremovexattr_slow(const char *path, const char *name)
{
	return removexattr_common("lremovexattr", path, name, NOFOLLOW);
}

/* mknod and mkfifo families; which: 0 mknod, 1 mknodat, 2 mkfifo, 3 mkfifoat */
static int mknod_common(const char *api, int which, int dirfd, const char *path,
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

static int mknod_slow(const char *path, mode_t mode, dev_t dev)
{
	return mknod_common("mknod", 0, AT_FDCWD, path, mode, dev);
}

static int mknodat_slow(int dirfd, const char *path, mode_t mode, dev_t dev)
{
	return mknod_common("mknodat", 1, dirfd, path, mode, dev);
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

static int __xmknod_slow(int ver, const char *path, mode_t mode, dev_t *dev)
{
	return xmknod_slow("__xmknod", ver, AT_FDCWD, path, mode, dev);
}

static int __xmknodat_slow(int ver, int dirfd, const char *path, mode_t mode,
			   dev_t *dev)
{
	return xmknod_slow("__xmknodat", ver, dirfd, path, mode, dev);
}

static int mkfifo_slow(const char *path, mode_t mode)
{
	return mknod_common("mkfifo", 2, AT_FDCWD, path, mode, 0);
}

static int mkfifoat_slow(int dirfd, const char *path, mode_t mode)
{
	return mknod_common("mkfifoat", 3, dirfd, path, mode, 0);
}

/* ------------------------------------------------------------------ */
/* Metadata changes through descriptors                                */
/* ------------------------------------------------------------------ */
/*
 * These work on read-only (even O_PATH-less read) descriptors, so the
 * open gate does not cover them: check the object the descriptor names.
 */

static int fchmod_slow(int fd, mode_t mode)
{
	if (gate_fd("fchmod", fd) < 0)
		return -1;
	return HM_REAL(fchmod)(fd, mode);
}

static int fchown_slow(int fd, uid_t uid, gid_t gid)
{
	if (gate_fd("fchown", fd) < 0)
		return -1;
	return HM_REAL(fchown)(fd, uid, gid);
}

static int futimens_slow(int fd, const struct timespec ts[2])
{
	if (gate_fd("futimens", fd) < 0)
		return -1;
	return HM_REAL(futimens)(fd, ts);
}

static int futimes_slow(int fd, const struct timeval tv[2])
{
	if (gate_fd("futimes", fd) < 0)
		return -1;
	return HM_REAL(futimes)(fd, tv);
}

static int fsetxattr_slow(int fd, const char *name, const void *value,
			  size_t size, int flags)
{
	if (gate_fd("fsetxattr", fd) < 0)
		return -1;
	return HM_REAL(fsetxattr)(fd, name, value, size, flags);
}

static int fremovexattr_slow(int fd, const char *name)
{
	if (gate_fd("fremovexattr", fd) < 0)
		return -1;
	return HM_REAL(fremovexattr)(fd, name);
}

#define HM_TRAMPOLINE_ROWS "sym_fs_mutate.def"
#include "trampolines.h"
