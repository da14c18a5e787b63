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
