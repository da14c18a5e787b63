/*
 * fs_impl.h - private to the file-system interposers: their includes, the
 * shared flag masks and types, and the helpers one fs*.c file defines and
 * another uses. Never included outside shim/.
 */
#ifndef HERMETIC_SHIM_FS_IMPL_H
#define HERMETIC_SHIM_FS_IMPL_H

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

/* Fast-path predicates, inline in every trampoline. */
/*
 * Non-zero if an open with @oflags must take the slow path: a read under
 * fs_root, and a write-intent open under any guard (the /proc/<pid>/mem
 * rule, hm_fs_tamper_fd; without a file-system guard that is one fstatfs
 * on the new descriptor).
 */
static inline int open_relevant(int oflags)
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
static inline int fs_active(void)
{
	return hm_shim_flags() & FS_FLAGS;
}

/* Non-zero if a stream open must take the slow path (see open_relevant). */
static inline int fopen_active(void)
{
	return hm_shim_flags() & HM_SHIM_ANY_GUARD;
}

/* Shared between the fs files (defined in the file named). */
int tamper_check_fd(const char *api, const char *shown, int fd) HM_HIDDEN;
int resolve(int dirfd, char *p, int follow, char *out, int *is_chr,
	    struct keep *keep) HM_HIDDEN;
enum hm_reason own_reason(int write) HM_HIDDEN;
enum hm_reason check_path_keep(int dirfd, char *p, enum hm_op op, int oflags,
			       int follow, int post,
			       struct keep *keep) HM_HIDDEN;
enum hm_reason check_path(int dirfd, char *p, enum hm_op op, int oflags,
			  int follow, int post) HM_HIDDEN;
enum hm_reason check_fd(int fd, enum hm_op op, int oflags, char *out) HM_HIDDEN;
int gate_path(const char *api, int dirfd, const char *path, enum hm_op op,
	      int oflags, int follow, int post, char *buf) HM_HIDDEN;
int deny_or_own(const char *api, int dirfd, const char *buf, int follow,
		int want, enum hm_reason r) HM_HIDDEN;
int gate_mutate_want(const char *api, int dirfd, const char *path, int follow,
		     char *buf, int want) HM_HIDDEN;
int gate_mutate(const char *api, int dirfd, const char *path, int follow,
		char *buf) HM_HIDDEN;
int gate_fd(const char *api, int fd) HM_HIDDEN;
int gate_at(const char *api, int dirfd, const char *path, int atflags,
	    int follow, char *buf) HM_HIDDEN;
int open_follows(int flags) HM_HIDDEN;
int needs_mode(int flags) HM_HIDDEN;
int post_check_fd(const char *api, const char *shown, int fd,
		  int flags) HM_HIDDEN;
int open_checked(const char *api, enum open_kind k, int dirfd, const char *path,
		 int flags, mode_t mode) HM_HIDDEN;

#endif /* HERMETIC_SHIM_FS_IMPL_H */
