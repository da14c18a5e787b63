/*
 * sys.c - the libc syscall() function: a guarded system call number made
 * through syscall(SYS_connect, ...) instead of connect() is routed to the
 * shim's own wrapper of that call, so it gets exactly the same checks and
 * failure convention; every other number is forwarded untouched (a deny
 * list, not torsocks' allow list, which breaks programs that use
 * syscall() for getrandom, pidfd_open, futex, ...). Inline `syscall`
 * instructions stay out of reach (docs/threat-model.md).
 */
#include <asm/unistd.h>
#include <errno.h>
#include <sched.h>
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

/* Not in every libc's <sys/syscall.h> yet; the same number everywhere. */
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

/* The return type of every HM_SYM row, for the casts in route(). */
#define HM_SYM(family, req, ret, name, params) typedef ret hm_ret_##name;
#define HM_REAL_ONLY(req, ret, name, params)
#include "symbols.def"
#undef HM_SYM
#undef HM_REAL_ONLY

typedef void (*sys_any_fn)(void);

/*
 * @f with the compiler's knowledge of its type erased (an empty asm), so
 * that the call below is not diagnosed or replaced with a trap as a call
 * "through a non-compatible type": the mismatch is deliberate.
 */
static inline sys_any_fn launder(sys_any_fn f)
{
	__asm__("" : "+r"(f));
	return f;
}

/*
 * A wrapper called the way syscall() itself is called: six long
 * arguments in registers. On the supported ABI (x86-64 SysV) an int,
 * unsigned or pointer parameter is read from the low bits of the same
 * register, and a variadic wrapper (open) reads its named and unnamed
 * arguments from the same registers too, so this is the call the caller
 * of syscall() would have made to the wrapper directly. The result is
 * read with the wrapper's own return type (an int result leaves the
 * upper half of the register undefined).
 */
#define HM_SYS_CALL(name, a)                                                   \
	((long)((hm_ret_##name(*)(long, long, long, long, long, long))launder( \
	    (sys_any_fn)name))(a[0], a[1], a[2], a[3], a[4], a[5]))

/* Largest struct clone_args copied for a check (the kernel's is 88 bytes). */
#define CLONE3_ARGS_MAX 256

/*
 * syscall(SYS_clone3, args, size): a new process (CLONE_THREAD clear in
 * args->flags) is checked like fork. The arguments are copied, checked,
 * and the copy is what the kernel gets, so a racing thread cannot clear
 * CLONE_THREAD after the check. An unreadable struct fails with EFAULT,
 * one larger than CLONE3_ARGS_MAX with E2BIG (what the kernel says for a
 * size it does not know). The child continues on the caller's stack
 * (syscall() cannot hand it another), as with the real syscall().
 */
static long route_clone3(long *a)
{
	uint64_t args[CLONE3_ARGS_MAX / sizeof(uint64_t)];
	size_t size = (size_t)a[1];

	if (size < sizeof(uint64_t) || size > sizeof(args)) {
		errno = size < sizeof(uint64_t) ? EINVAL : E2BIG;
		return -1;
	}
	if (hm_shim_read_user(args, (const void *)a[0], size) < 0)
		return -1;
	if (!(args[0] & CLONE_THREAD) && hm_fork_refused("clone3"))
		return -1;
	return HM_REAL(syscall)(SYS_clone3, args, size);
}

/*
 * Route one guarded number (low 32 bits, as the kernel reads it) to the
 * shim's wrapper, generated from the HM_SYSCALL rows. Returns 1 with *@ret
 * set if @nr is guarded, 0 to forward it. Arguments past the row's count
 * are passed as 0.
 */
static int route(unsigned int nr, long *a, long *ret)
{
	switch (nr) {
	/*
	 * Hand-written routes. ptrace's raw PEEK requests return their
	 * word differently from ptrace(), so an allowed request is forwarded
	 * to the kernel, not to the wrapper (shim/proc.c).
	 */
	case SYS_ptrace:
		if (!hm_proc_ptrace_refused(a[0], a[1]))
			return 0;
		*ret = -1;
		return 1;
	/*
	 * fork, vfork, clone and clone3 return twice (clone's child on a
	 * stack the caller chose), so they are not routed through a wrapper:
	 * a new process (CLONE_THREAD clear) is checked like fork(), then the
	 * call is forwarded as made (a raw fork runs no atfork handlers).
	 */
	case SYS_fork:
	case SYS_vfork:
		if (!hm_fork_refused(nr == SYS_fork ? "fork" : "vfork"))
			return 0;
		*ret = -1;
		return 1;
	case SYS_clone:
		if ((a[0] & CLONE_THREAD) || !hm_fork_refused("clone"))
			return 0;
		*ret = -1;
		return 1;
	case SYS_clone3:
		*ret = route_clone3(a);
		return 1;
#define HM_SYSCALL(name, number, nargs)                                        \
	case number:                                                           \
		for (int i = (nargs); i < 6; i++)                              \
			a[i] = 0;                                              \
		*ret = HM_SYS_CALL(name, a);                                   \
		return 1;
#define HM_SYSCALL_ENOSYS(number)                                              \
	case number:                                                           \
		errno = ENOSYS;                                                \
		*ret = -1;                                                     \
		return 1;
#define HM_SYM(family, req, ret, name, params)
#define HM_REAL_ONLY(req, ret, name, params)
#include "symbols.def"
#undef HM_SYM
#undef HM_REAL_ONLY
#undef HM_SYSCALL
#undef HM_SYSCALL_ENOSYS
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
	 * They are told apart by return address, not by hm_inside: a signal
	 * handler that interrupted a wrapper must still be checked.
	 */
	if (hm_shim_is_self(__builtin_return_address(0)) || !hm_shim_enter() ||
	    !(hm_shim_flags() & SYS_ANY_BLOCK))
		goto forward;
	/*
	 * The kernel reads only the low 32 bits of the number, so that is
	 * what is routed; syscall((1L << 32) | SYS_connect, ...) is connect.
	 */
	if (route((unsigned int)nr, a, &ret))
		return ret;
#ifdef __X32_SYSCALL_BIT
	/*
	 * An x32 number (compat struct layouts) from a 64-bit program: never
	 * legitimate, and each would need its own route. Refused.
	 */
	if ((unsigned int)nr & __X32_SYSCALL_BIT) {
		errno = ENOSYS;
		return -1;
	}
#endif
forward:
	if (HM_UNLIKELY(!HM_REAL(syscall))) {
		errno = ENOSYS;
		return -1;
	}
	return HM_REAL(syscall)(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
