/*
 * tty.c - the terminal's input-injection ioctls. TIOCSTI pushes bytes
 * into a terminal's input queue as if typed, and TIOCLINUX (subcode
 * TIOCL_PASTESEL and friends) pastes the console selection: either lets
 * a sandboxed program type a command into the shell that started it, to
 * run after it exits, outside every guard. While a subprocess, network or
 * file-system guard is active (or the policy is invalid) both are
 * refused with EACCES, traced as "ioctl" with the request number.
 *
 * ioctl is hot (terminals, sockets, every isatty()): every other request
 * is forwarded after one compare, before init or the policy is looked at.
 */
#include <errno.h>
#include <stdarg.h>
#include <sys/ioctl.h>

#include "shim.h"

#define TTY_GUARDS                                                             \
	(HM_F_BLOCK_SUBPROCESS | HM_F_BLOCK_NETWORK | HM_F_FS_READONLY |       \
	 HM_F_FS_ROOT | HM_F_INVALID)

/* The reason a refusal names: the first guard the injection would beat. */
static enum hm_reason tty_reason(uint32_t f)
{
	if (f & HM_F_INVALID)
		return HM_R_INVALID_POLICY;
	if (f & HM_F_BLOCK_SUBPROCESS)
		return HM_R_NO_SUBPROCESS;
	if (f & HM_F_BLOCK_NETWORK)
		return HM_R_NO_NETWORK;
	return HM_R_FS_READONLY;
}

static int tty_slow(int fd, unsigned long req, void *arg)
{
	char num[12];
	uint32_t f;

	if (hm_shim_enter()) {
		f = hm_shim_flags();
		if (f & TTY_GUARDS) {
			*hm_shim_put_uint(num, (unsigned int)req) = '\0';
			hm_shim_report("ioctl", "request", num, tty_reason(f));
			errno = EACCES;
			return -1;
		}
	}
	return HM_REAL(ioctl)(fd, req, arg);
}

HM_EXPORT int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	/* glibc's ioctl passes exactly one further argument on. */
	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	/* The kernel reads the request as a 32-bit unsigned int. */
	if (HM_UNLIKELY((unsigned int)req == TIOCSTI ||
			(unsigned int)req == TIOCLINUX))
		return tty_slow(fd, req, arg);
	if (HM_UNLIKELY(!hm_shim.ready))
		hm_shim_init();
	return HM_REAL(ioctl)(fd, req, arg);
}
