/*
 * sys.c - the libc syscall() function: a guarded system call number made
 * through syscall(SYS_connect, ...) instead of connect() is routed to the
 * shim's own wrapper of that call, so it gets exactly the same checks and
 * failure convention; every other number is forwarded untouched (a deny
 * list, not torsocks' allow list, which breaks programs that use
 * syscall() for getrandom, pidfd_open, futex, ...). Inline `syscall`
 * instructions stay out of reach (docs/threat-model.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "shim.h"

/*
 * Any block, the Python-only ones included (a write open of /proc/self/mem
 * through syscall(SYS_openat) would switch them off): io_uring and
 * openat2 are refused under it.
 */
#define SYS_ANY_BLOCK HM_SHIM_ANY_GUARD

#define P(i) ((void *)a[i])
#define I(i) ((int)a[i])
#define U(i) ((unsigned int)a[i])

/*
 * Route one guarded number to the shim's wrapper. Returns 1 with *@ret
 * set if @nr is guarded, 0 to forward it.
 */
static int route(long nr, const long *a, long *ret)
{
	switch (nr) {
	/* network */
	case SYS_socket:
		*ret = socket(I(0), I(1), I(2));
		return 1;
	case SYS_connect:
		*ret = connect(I(0), P(1), (socklen_t)a[2]);
		return 1;
	case SYS_bind:
		*ret = bind(I(0), P(1), (socklen_t)a[2]);
		return 1;
	case SYS_setsockopt:
		*ret = setsockopt(I(0), I(1), I(2), P(3), (socklen_t)a[4]);
		return 1;
	case SYS_listen:
		*ret = listen(I(0), I(1));
		return 1;
	case SYS_sendto:
		*ret = sendto(I(0), P(1), (size_t)a[2], I(3), P(4),
			      (socklen_t)a[5]);
		return 1;
	case SYS_sendmsg:
		*ret = sendmsg(I(0), P(1), I(2));
		return 1;
	case SYS_sendmmsg:
		*ret = sendmmsg(I(0), P(1), U(2), I(3));
		return 1;
	/* processes */
	case SYS_execve:
		*ret = execve(P(0), P(1), P(2));
		return 1;
	case SYS_execveat:
		*ret = execveat(I(0), P(1), P(2), P(3), I(4));
		return 1;
	/* other processes (shim/proc.c) */
	case SYS_ptrace:
		if (!hm_proc_ptrace_refused(a[0], a[1]))
			return 0;
		*ret = -1;
		return 1;
	case SYS_process_vm_writev:
		*ret = process_vm_writev((pid_t)a[0], P(1), (unsigned long)a[2],
					 P(3), (unsigned long)a[4],
					 (unsigned long)a[5]);
		return 1;
	case SYS_pidfd_getfd:
		*ret = pidfd_getfd(I(0), I(1), U(2));
		return 1;
	case SYS_process_madvise:
		*ret = process_madvise(I(0), P(1), (size_t)a[2], I(3), U(4));
		return 1;
	/* terminal input injection (shim/tty.c); other requests forward */
	case SYS_ioctl:
		if (U(1) != TIOCSTI && U(1) != TIOCLINUX)
			return 0;
		*ret = ioctl(I(0), (unsigned long)a[1], P(2));
		return 1;
	/* files */
	case SYS_open:
		*ret = open(P(0), I(1), (mode_t)a[2]);
		return 1;
	case SYS_openat:
		*ret = openat(I(0), P(1), I(2), (mode_t)a[3]);
		return 1;
	case SYS_creat:
		*ret = creat(P(0), (mode_t)a[1]);
		return 1;
	case SYS_rename:
		*ret = rename(P(0), P(1));
		return 1;
	case SYS_renameat:
		*ret = renameat(I(0), P(1), I(2), P(3));
		return 1;
	case SYS_renameat2:
		*ret = renameat2(I(0), P(1), I(2), P(3), U(4));
		return 1;
	case SYS_unlink:
		*ret = unlink(P(0));
		return 1;
	case SYS_unlinkat:
		*ret = unlinkat(I(0), P(1), I(2));
		return 1;
	case SYS_rmdir:
		*ret = rmdir(P(0));
		return 1;
	case SYS_mkdir:
		*ret = mkdir(P(0), (mode_t)a[1]);
		return 1;
	case SYS_mkdirat:
		*ret = mkdirat(I(0), P(1), (mode_t)a[2]);
		return 1;
	case SYS_link:
		*ret = link(P(0), P(1));
		return 1;
	case SYS_linkat:
		*ret = linkat(I(0), P(1), I(2), P(3), I(4));
		return 1;
	case SYS_symlink:
		*ret = symlink(P(0), P(1));
		return 1;
	case SYS_symlinkat:
		*ret = symlinkat(P(0), I(1), P(2));
		return 1;
	case SYS_truncate:
		*ret = truncate(P(0), (off_t)a[1]);
		return 1;
	case SYS_chmod:
		*ret = chmod(P(0), (mode_t)a[1]);
		return 1;
	case SYS_fchmod:
		*ret = fchmod(I(0), (mode_t)a[1]);
		return 1;
	case SYS_fchmodat:
		*ret = fchmodat(I(0), P(1), (mode_t)a[2], 0);
		return 1;
	case SYS_chown:
		*ret = chown(P(0), (uid_t)a[1], (gid_t)a[2]);
		return 1;
	case SYS_lchown:
		*ret = lchown(P(0), (uid_t)a[1], (gid_t)a[2]);
		return 1;
	case SYS_fchown:
		*ret = fchown(I(0), (uid_t)a[1], (gid_t)a[2]);
		return 1;
	case SYS_fchownat:
		*ret = fchownat(I(0), P(1), (uid_t)a[2], (gid_t)a[3], I(4));
		return 1;
	case SYS_utimes:
		*ret = utimes(P(0), P(1));
		return 1;
	case SYS_utimensat:
		*ret = utimensat(I(0), P(1), P(2), I(3));
		return 1;
	case SYS_mknod:
		*ret = mknod(P(0), (mode_t)a[1], (dev_t)a[2]);
		return 1;
	case SYS_mknodat:
		*ret = mknodat(I(0), P(1), (mode_t)a[2], (dev_t)a[3]);
		return 1;
	case SYS_setxattr:
		*ret = setxattr(P(0), P(1), P(2), (size_t)a[3], I(4));
		return 1;
	case SYS_lsetxattr:
		*ret = lsetxattr(P(0), P(1), P(2), (size_t)a[3], I(4));
		return 1;
	case SYS_fsetxattr:
		*ret = fsetxattr(I(0), P(1), P(2), (size_t)a[3], I(4));
		return 1;
	case SYS_removexattr:
		*ret = removexattr(P(0), P(1));
		return 1;
	case SYS_lremovexattr:
		*ret = lremovexattr(P(0), P(1));
		return 1;
	case SYS_fremovexattr:
		*ret = fremovexattr(I(0), P(1));
		return 1;
	default:
		return 0;
	}
}

HM_EXPORT long syscall(long nr, ...)
{
	long a[6], ret;
	va_list ap;

	/* The kernel ignores argument registers a call does not use. */
	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	/*
	 * The shim's own system calls (the core's memfd/openat/pwrite, made
	 * even during init, with the real table already resolved) are
	 * forwarded before hm_shim_enter(), which would re-enter the init.
	 */
	if (hm_inside || !hm_shim_enter() || !(hm_shim_flags() & SYS_ANY_BLOCK))
		goto forward;
	if (route(nr, a, &ret))
		return ret;
	/*
	 * io_uring performs opens, connects and sends with no wrapper in
	 * the way, and openat2 has none in glibc 2.36: refuse both with
	 * ENOSYS, which their callers treat as "use the classic calls".
	 */
	if (nr == SYS_io_uring_setup || nr == SYS_openat2) {
		errno = ENOSYS;
		return -1;
	}
forward:
	if (HM_UNLIKELY(!HM_REAL(syscall))) {
		errno = ENOSYS;
		return -1;
	}
	return HM_REAL(syscall)(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
