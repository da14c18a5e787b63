/*
 * fork.c - the fork family: fork, __fork, _Fork, vfork, __vfork, clone,
 * __clone, daemon and forkpty (and, through sys.c, syscall(SYS_fork,
 * SYS_vfork, SYS_clone, SYS_clone3)). Under block_subprocess a new
 * process is refused with EACCES (DESIGN.md: "fork-then-exec all
 * blocked"; libc-surface.md's errno table): clone only when CLONE_THREAD
 * is clear, since with it the call makes a thread. pthread_create uses
 * glibc's internal clone and never reaches these wrappers.
 *
 * The launch chain (chain.c) is the exception: a known wrapper such as
 * timeout, time or xargs forks the one program it runs while the chain
 * is open; what that child may exec is still decided by the exec gate.
 *
 * vfork is a real fork: a C function cannot stand in for vfork, its child
 * would return through the parent's stack frame and wreck it (CPython's
 * subprocess crashed, libc-surface.md 0.5). POSIX allows vfork to be a
 * fork, and the child then reaches the exec wrappers like any other.
 *
 * Trace api names are the libc names ("fork", "vfork", "clone", ...); a
 * refusal carries no key (there is no program yet).
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <unistd.h>

#include "shim.h"

/* Declared by no public header (or only under _GNU_SOURCE spellings). */
pid_t __fork(void);
pid_t _Fork(void);
pid_t __vfork(void);
int __clone(int (*fn)(void *), void *stack, int flags, void *arg, ...);
pid_t forkpty(int *amaster, char *name, const void *termp, const void *winp);

int hm_fork_refused(const char *api)
{
	struct hm_request rq = {.op = HM_OP_EXEC};
	uint32_t f = hm_shim_flags();
	int saved = errno;
	enum hm_reason r;

	if (!(f & HM_GATE_EXEC))
		return 0;
	/* A known wrapper forks the command it runs (chain.c). */
	if ((f & HM_GATE_EXEC) == HM_F_BLOCK_SUBPROCESS && hm_chain_forks())
		return 0;
	HM_SHIM_GUARD();
	r = hm_shim_check(&rq);
	/* Audit mode: recorded by hm_shim_check; the fork goes ahead. */
	if (r == HM_R_NONE && hm_shim.audit && !(f & HM_F_INVALID)) {
		errno = saved;
		return 0;
	}
	/* The flags said "blocked": a racing pop must not allow it. */
	if (r == HM_R_NONE)
		r = (f & HM_F_INVALID) ? HM_R_INVALID_POLICY
				       : HM_R_NO_SUBPROCESS;
	hm_shim_report(api, NULL, NULL, r);
	errno = EACCES;
	return 1;
}

static pid_t fork_slow(void)
{
	if (hm_fork_refused("fork"))
		return -1;
	return HM_REAL(fork)();
}

static pid_t __fork_slow(void)
{
	if (hm_fork_refused("__fork"))
		return -1;
	return HM_REAL(__fork)();
}

static pid_t _Fork_slow(void)
{
	if (hm_fork_refused("_Fork"))
		return -1;
	return HM_REAL(_Fork)();
}

/* vfork and __vfork: checked like fork, then a real fork (see above). */
HM_EXPORT pid_t vfork(void)
{
	if (hm_shim_enter() && hm_fork_refused("vfork"))
		return -1;
	return HM_REAL(fork)();
}

HM_EXPORT pid_t __vfork(void)
{
	if (hm_shim_enter() && hm_fork_refused("__vfork"))
		return -1;
	return HM_REAL(fork)();
}

/*
 * clone: a new process unless CLONE_THREAD is set. The optional
 * arguments (parent_tid, tls, child_tid) are passed on as read; the
 * kernel ignores those the flags do not name.
 */
typedef int (*clone_fn)(int (*)(void *), void *, int, void *, ...);

static int clone_common(clone_fn real, int check, const char *api,
			int (*fn)(void *), void *stack, int flags, void *arg,
			va_list ap)
{
	void *ptid = va_arg(ap, void *);
	void *tls = va_arg(ap, void *);
	void *ctid = va_arg(ap, void *);

	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	if (check && !(flags & CLONE_THREAD) && hm_fork_refused(api))
		return -1;
	return real(fn, stack, flags, arg, ptid, tls, ctid);
}

HM_EXPORT int clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)
{
	int check = hm_shim_enter(), rc;
	va_list ap;

	va_start(ap, arg);
	rc = clone_common(HM_REAL(clone), check, "clone", fn, stack, flags, arg,
			  ap);
	va_end(ap);
	return rc;
}

HM_EXPORT int __clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)
{
	int check = hm_shim_enter(), rc;
	va_list ap;

	va_start(ap, arg);
	rc = clone_common(HM_REAL(__clone), check, "__clone", fn, stack, flags,
			  arg, ap);
	va_end(ap);
	return rc;
}

static int daemon_slow(int nochdir, int noclose)
{
	if (hm_fork_refused("daemon"))
		return -1;
	return HM_REAL(daemon)(nochdir, noclose);
}

static pid_t forkpty_slow(int *amaster, char *name, const void *termp,
			  const void *winp)
{
	if (hm_fork_refused("forkpty"))
		return -1;
	return HM_REAL(forkpty)(amaster, name, termp, winp);
}

/* forkpty@GLIBC_2.2.5 (libutil's, before 2.34) behaves alike. */
HM_COMPAT_VERSION(forkpty, forkpty, "GLIBC_2.2.5");

#define HM_TRAMPOLINE_ROWS "sym_fork.def"
#include "trampolines.h"
