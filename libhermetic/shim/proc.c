/*
 * proc.c - interposers that reach into another process (or this one)
 * past the policy: ptrace, process_vm_writev, pidfd_getfd and
 * process_madvise. Writing another process's memory or registers, or
 * taking its descriptors, hands the caller whatever that process may do
 * (a parent shell, a sibling without a policy), and writing this
 * process's memory switches the policy off. While any guard is active
 * (HM_SHIM_ANY_GUARD) they are refused with EACCES and traced with
 * reason=unguardable; the read-only and tracee-side requests stay
 * allowed. The /proc/<pid>/mem door is closed in fs.c (hm_fs_tamper_fd).
 *
 * Trace api names: "ptrace", "process_vm_writev", "pidfd_getfd",
 * "process_madvise", each with pid=<target> (a pidfd's process).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <unistd.h>

#include "shim.h"

/* Non-zero if a guard is active (a cheap test, done first). */
static int proc_guarded(void)
{
	return hm_shim_flags() & HM_SHIM_ANY_GUARD;
}

/* Trace and fail: EACCES, reason=unguardable, pid=@pid. */
static int proc_deny(const char *api, long pid)
{
	char num[24], *p = num;

	if (pid < 0) {
		*p++ = '-';
		pid = -pid;
	}
	*hm_shim_put_uint(p, (unsigned int)pid) = '\0';
	hm_shim_report(api, "pid", num, HM_R_UNGUARDABLE);
	errno = EACCES;
	return -1;
}

/*
 * The requests a guarded process may still make: becoming a tracee
 * (PTRACE_TRACEME hands power to the parent, which had it already) and
 * the requests that only read a tracee or let it run. Attaching
 * (PTRACE_ATTACH, PTRACE_SEIZE) and every request that writes a
 * tracee's memory, registers, signal state or seccomp state is refused;
 * an unknown request is refused too (fail closed).
 */
static int ptrace_allowed(long req)
{
	switch (req) {
	case PTRACE_TRACEME:
	case PTRACE_PEEKTEXT:
	case PTRACE_PEEKDATA:
	case PTRACE_PEEKUSER:
	case PTRACE_CONT:
	case PTRACE_KILL:
	case PTRACE_SINGLESTEP:
	case PTRACE_GETREGS:
	case PTRACE_GETFPREGS:
	case PTRACE_DETACH:
	case PTRACE_GETFPXREGS:
	case PTRACE_SYSCALL:
	case PTRACE_SYSEMU:
	case PTRACE_SYSEMU_SINGLESTEP:
	case PTRACE_SETOPTIONS:
	case PTRACE_GETEVENTMSG:
	case PTRACE_GETSIGINFO:
	case PTRACE_GETREGSET:
	case PTRACE_INTERRUPT:
	case PTRACE_LISTEN:
	case PTRACE_PEEKSIGINFO:
	case PTRACE_GETSIGMASK:
	case PTRACE_GET_SYSCALL_INFO:
		return 1;
	default:
		return 0;
	}
}

int hm_proc_ptrace_refused(long req, long pid)
{
	if (!proc_guarded() || ptrace_allowed(req))
		return 0;
	proc_deny("ptrace", pid);
	return 1;
}

HM_EXPORT long ptrace(enum __ptrace_request req, ...)
{
	va_list ap;
	long pid;
	void *addr, *data;

	/* glibc's own ptrace reads the three further arguments the same way. */
	va_start(ap, req);
	pid = (long)va_arg(ap, pid_t);
	addr = va_arg(ap, void *);
	data = va_arg(ap, void *);
	va_end(ap);
	if (hm_shim_enter() && hm_proc_ptrace_refused(req, pid))
		return -1;
	return HM_REAL(ptrace)(req, (pid_t)pid, addr, data);
}

/*
 * Hand-written: the generated trampoline keeps the six arguments in
 * callee-saved registers across hm_shim_flags() and costs 12 more
 * instructions on the fast path than this (docs/hacking.md).
 */
HM_EXPORT ssize_t process_vm_writev(pid_t pid, const struct iovec *lvec,
				    unsigned long liovcnt,
				    const struct iovec *rvec,
				    unsigned long riovcnt, unsigned long flags)
{
	if (hm_shim_enter() && proc_guarded())
		return proc_deny("process_vm_writev", pid);
	return HM_REAL(process_vm_writev)(pid, lvec, liovcnt, rvec, riovcnt,
					  flags);
}

/*
 * The pid a pidfd refers to, from /proc/self/fdinfo/<fd> ("Pid:\t<n>").
 * Returns the pid, or -1 if it cannot be read or @fd is no pidfd (the
 * caller then refuses: fail closed). Caller runs under HM_SHIM_GUARD.
 */
static long pidfd_pid(int fd)
{
	char path[40] = "/proc/self/fdinfo/", buf[512], *p;
	long pid = -1;
	ssize_t n;
	int f;

	if (fd < 0)
		return -1;
	*hm_shim_put_uint(path + 18, (unsigned int)fd) = '\0';
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -1;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "\nPid:\t");
	if (!p)
		return -1;
	p += 6;
	if (*p == '-' || *p < '0' || *p > '9')
		return -1;
	for (pid = 0; *p >= '0' && *p <= '9' && pid < 100000000; p++)
		pid = pid * 10 + (*p - '0');
	return pid;
}

/*
 * Returns 0 when @pidfd names this very process (nothing is gained by
 * reaching into oneself through it), else -1 after denying @api.
 */
static int pidfd_gate(const char *api, int pidfd)
{
	int saved = errno;
	long pid;

	HM_SHIM_GUARD();
	pid = pidfd_pid(pidfd);
	if (pid >= 0 && pid == (long)getpid()) {
		errno = saved;
		return 0;
	}
	return proc_deny(api, pid);
}

static int pidfd_getfd_slow(int pidfd, int targetfd, unsigned int flags)
{
	if (pidfd_gate("pidfd_getfd", pidfd) < 0)
		return -1;
	return HM_REAL(pidfd_getfd)(pidfd, targetfd, flags);
}

static ssize_t process_madvise_slow(int pidfd, const struct iovec *iov,
				    size_t n, int advice, unsigned int flags)
{
	if (pidfd_gate("process_madvise", pidfd) < 0)
		return -1;
	return HM_REAL(process_madvise)(pidfd, iov, n, advice, flags);
}

#define HM_TRAMPOLINE_ROWS "sym_proc.def"
#include "trampolines.h"
