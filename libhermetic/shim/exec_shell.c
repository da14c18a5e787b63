/*
 * exec_shell.c - system, popen, pclose, _IO_popen/_IO_proc_open and
 * wordexp: the calls that start /bin/sh inside libc; see exec.c for the
 * gate and the child's environment.
 */
#include "exec_impl.h"

/* ------------------------------------------------------------------ */
/* system, popen, pclose                                               */
/* ------------------------------------------------------------------ */

/*
 * While any system() runs, SIGINT and SIGQUIT are ignored in the parent,
 * as system(3) requires. glibc serialises that with a lock; the shim
 * takes none, so the first caller in saves and the last caller out
 * restores. Narrow race: a call that starts exactly while the last one
 * restores may save SIG_IGN as "old" and restore SIG_IGN later.
 */
static atomic_int system_users;
static struct sigaction system_old_int, system_old_quit;

/* POSIX system() on posix_spawn with an explicit environment. */
static int run_shell(const char *cmd, char *const envp[])
{
	char *argv[] = {"sh", "-c", "--", (char *)cmd, NULL};
	struct sigaction ign = {.sa_handler = SIG_IGN};
	posix_spawnattr_t attr;
	sigset_t chld, old_mask, def;
	int status = -1, rc;
	pid_t pid = -1;

	sigemptyset(&ign.sa_mask);
	if (atomic_fetch_add(&system_users, 1) == 0) {
		sigaction(SIGINT, &ign, &system_old_int);
		sigaction(SIGQUIT, &ign, &system_old_quit);
	}
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old_mask);

	/* The child gets the caller's mask and default SIGINT/SIGQUIT. */
	sigemptyset(&def);
	if (system_old_int.sa_handler != SIG_IGN)
		sigaddset(&def, SIGINT);
	if (system_old_quit.sa_handler != SIG_IGN)
		sigaddset(&def, SIGQUIT);
	rc = posix_spawnattr_init(&attr);
	if (rc == 0) {
		posix_spawnattr_setsigdefault(&attr, &def);
		posix_spawnattr_setsigmask(&attr, &old_mask);
		posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF |
						    POSIX_SPAWN_SETSIGMASK);
		rc = HM_REAL(posix_spawn)(&pid, SHELL_PATH, NULL, &attr, argv,
					  envp);
		posix_spawnattr_destroy(&attr);
	}
	if (rc == 0) {
		while (waitpid(pid, &status, 0) < 0) {
			if (errno != EINTR) {
				status = -1;
				break;
			}
		}
	} else {
		/* POSIX: as if the shell had terminated with _exit(127). */
		status = W_EXITCODE(127, 0);
	}

	if (atomic_fetch_sub(&system_users, 1) == 1) {
		sigaction(SIGINT, &system_old_int, NULL);
		sigaction(SIGQUIT, &system_old_quit, NULL);
	}
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	if (rc != 0)
		errno = rc;
	return status;
}

/*
 * system() is re-implemented rather than forwarded: the real one passes
 * environ, which the program may have stripped of LD_PRELOAD.
 * system(NULL) asks whether a shell is available: not while subprocesses
 * are blocked.
 */
static int system_slow(const char *cmd)
{
	struct child_env ce;
	int rc;

	if (!cmd)
		return (hm_shim_flags() & BLOCK_FLAGS) ? 0 : 1;
	if (exec_gate("system", SHELL_PATH, SHELL_PATH, -1, environ, &ce) < 0)
		return -1;
	rc = run_shell(cmd, ce.envp ? ce.envp : environ);
	release_env(&ce);
	return rc;
}

static int __libc_system_slow(const char *cmd)
{
	return system_slow(cmd);
}

/*
 * Streams opened by our popen, for pclose: a fixed table claimed by CAS
 * (no locks, no allocation). fp is NULL (free), SLOT_BUSY (being filled
 * or released) or the stream; pid and fd are published before fp.
 */
static struct popen_slot {
	_Atomic(FILE *) fp;
	atomic_int pid;
	atomic_int fd;
} popen_slots[POPEN_SLOTS];

static struct popen_slot *slot_claim(void)
{
	for (size_t i = 0; i < POPEN_SLOTS; i++) {
		FILE *expect = NULL;

		if (atomic_compare_exchange_strong(&popen_slots[i].fp, &expect,
						   SLOT_BUSY))
			return &popen_slots[i];
	}
	return NULL;
}

/*
 * POSIX: the child must not inherit the parent ends of earlier popen
 * streams. Close them in the child first (glibc ignores EBADF there);
 * @keep is the child's own pipe end.
 */
static int add_closes(posix_spawn_file_actions_t *fa, int keep)
{
	for (size_t i = 0; i < POPEN_SLOTS; i++) {
		FILE *fp = atomic_load(&popen_slots[i].fp);
		int fd;

		if (!fp || fp == SLOT_BUSY)
			continue;
		fd = atomic_load(&popen_slots[i].fd);
		if (fd >= 0 && fd != keep &&
		    posix_spawn_file_actions_addclose(fa, fd) != 0)
			return -1;
	}
	return 0;
}

/* Parse a popen mode: "r" or "w", optionally with 'e' (close-on-exec). */
static int popen_mode(const char *mode, int *reading, int *cloexec)
{
	int r = 0, w = 0;

	*cloexec = 0;
	for (; mode && *mode; mode++) {
		if (*mode == 'r')
			r = 1;
		else if (*mode == 'w')
			w = 1;
		else if (*mode == 'e')
			*cloexec = 1;
		else
			return -1;
	}
	if (r == w)
		return -1;
	*reading = r;
	return 0;
}

/*
 * popen() on pipe2 + posix_spawn with an explicit environment. fdopen
 * allocates the FILE: that is what popen returns, as the real one does.
 */
static FILE *popen_slow(const char *cmd, const char *mode)
{
	char *argv[] = {"sh", "-c", "--", (char *)cmd, NULL};
	posix_spawn_file_actions_t fa;
	struct popen_slot *slot;
	struct child_env ce;
	int reading, cloexec, fds[2], mine, theirs, target, rc, e;
	pid_t pid = -1;
	FILE *fp;

	if (!cmd || popen_mode(mode, &reading, &cloexec) < 0) {
		errno = EINVAL;
		return NULL;
	}
	if (exec_gate("popen", SHELL_PATH, SHELL_PATH, -1, environ, &ce) < 0)
		return NULL;
	slot = slot_claim();
	if (!slot) {
		release_env(&ce);
		errno = EMFILE;
		return NULL;
	}
	if (pipe2(fds, O_CLOEXEC) < 0)
		goto err_release;
	mine = reading ? fds[0] : fds[1];
	theirs = reading ? fds[1] : fds[0];
	target = reading ? STDOUT_FILENO : STDIN_FILENO;
	if (theirs == target) {
		/* dup2 onto itself would keep close-on-exec set. */
		int moved = fcntl(theirs, F_DUPFD_CLOEXEC, 3);

		if (moved < 0)
			goto err_close;
		close(theirs);
		theirs = moved;
	}
	rc = posix_spawn_file_actions_init(&fa);
	if (rc != 0) {
		errno = rc;
		goto err_close;
	}
	rc = add_closes(&fa, theirs) < 0
		 ? ENOMEM
		 : posix_spawn_file_actions_adddup2(&fa, theirs, target);
	if (rc == 0)
		rc = HM_REAL(posix_spawn)(&pid, SHELL_PATH, &fa, NULL, argv,
					  ce.envp ? ce.envp : environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		errno = rc;
		goto err_close;
	}
	close(theirs);
	release_env(&ce);
	if (!cloexec)
		fcntl(mine, F_SETFD, 0);
	fp = fdopen(mine, reading ? "r" : "w");
	if (!fp) {
		e = errno;
		close(mine);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		atomic_store(&slot->fp, NULL);
		errno = e;
		return NULL;
	}
	atomic_store(&slot->pid, pid);
	atomic_store(&slot->fd, mine);
	atomic_store(&slot->fp, fp);
	return fp;

err_close:
	e = errno;
	close(mine);
	close(theirs);
	errno = e;
err_release:
	e = errno;
	atomic_store(&slot->fp, NULL);
	release_env(&ce);
	errno = e;
	return NULL;
}

static FILE *_IO_popen_slow(const char *cmd, const char *mode)
{
	return popen_slow(cmd, mode);
}

/*
 * _IO_proc_open(fp, cmd, mode) is popen's core: it fills in a FILE that
 * glibc allocated with its private process-stream layout and links it
 * into glibc's own chain for pclose. The shim cannot build that object,
 * so it does not re-implement the call: it is forwarded only when
 * implicit_shell() allows (environ already guards the shell), and
 * refused with NULL/EACCES otherwise.
 */
static FILE *_IO_proc_open_slow(FILE *fp, const char *cmd, const char *mode)
{
	int saved = errno;
	const char *why;
	enum hm_reason r;

	r = implicit_shell(&why);
	if (r != HM_R_NONE) {
		implicit_shell_report("popen", r, why);
		errno = EACCES;
		return NULL;
	}
	errno = saved;
	return HM_REAL(_IO_proc_open)(fp, cmd, mode);
}

/* Ours: close the stream and reap the shell. Otherwise: the real pclose. */
HM_EXPORT int pclose(FILE *fp)
{
	int status = -1;
	pid_t pid = -1;

	(void)hm_shim_enter();
	for (size_t i = 0; fp && fp != SLOT_BUSY && i < POPEN_SLOTS; i++) {
		FILE *expect = fp;

		if (!atomic_compare_exchange_strong(&popen_slots[i].fp, &expect,
						    SLOT_BUSY))
			continue;
		pid = atomic_load(&popen_slots[i].pid);
		fclose(fp);
		atomic_store(&popen_slots[i].fp, NULL);
		while (waitpid(pid, &status, 0) < 0) {
			if (errno != EINTR)
				return -1;
		}
		return status;
	}
	return HM_REAL(pclose)(fp);
}

/* ------------------------------------------------------------------ */
/* wordexp                                                             */
/* ------------------------------------------------------------------ */

/*
 * wordexp runs a command substitution ("$(...)", backquotes) through
 * /bin/sh with environ, inside libc. Unless the caller passed WRDE_NOCMD
 * or implicit_shell() allows the shell, the call runs with WRDE_NOCMD
 * added: text without a command substitution expands as before, and one
 * with it fails with WRDE_CMDSUB, which is then reported. One real call
 * either way (a second one after a failed WRDE_APPEND would reuse freed
 * memory). errno is left as the real call leaves it.
 */
static int wordexp_slow(const char *words, wordexp_t *we, int flags)
{
	int saved = errno, rc;
	const char *why;
	enum hm_reason r = implicit_shell(&why);

	errno = saved;
	if (r == HM_R_NONE)
		return HM_REAL(wordexp)(words, we, flags);
	rc = HM_REAL(wordexp)(words, we, flags | WRDE_NOCMD);
	if (rc == WRDE_CMDSUB) {
		saved = errno;
		implicit_shell_report("wordexp", r, why);
		errno = saved;
	}
	return rc;
}

#define HM_TRAMPOLINE_ROWS "sym_exec_shell.def"
#include "trampolines.h"
