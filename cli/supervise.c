/*
 * supervise.c - the launcher's runs that fork and wait instead of exec'ing
 * in place: the private temporary directory (--fs-readonly without
 * --no-private-tmp) and audit mode (--audit). The launcher's process stays
 * as a supervisor that relays signals to CMD, waits, removes the private
 * directory, writes the audit report and ends the way CMD ended.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

/*
 * Audit mode (--audit): the per-run directory the shim records into
 * (HERMETIC_AUDIT_DIR), the report's absolute path, the audited command,
 * and whether this process is the supervisor that writes the report.
 */
static char audit_dir[PATH_MAX];
static char audit_report[PATH_MAX];
static char **audit_argv;
static char **audit_flags;
static int audit_n_flags;
static int audit_owner;

/* ------------------------------------------------------------------ */
/* The private temporary directory (--fs-readonly without              */
/* --no-private-tmp)                                                   */
/* ------------------------------------------------------------------ */

static char private_tmp[PATH_MAX];
static volatile pid_t child_pid;

/*
 * mkdtemp "<$TMPDIR or /tmp>/hermetic-tmp.XXXXXX", add it to @pol as a
 * writable hole and point TMPDIR at it. Returns 0 or -1 (printed).
 */
int hm_cli_make_private_tmp(struct hm_policy *pol)
{
	const char *base = getenv("TMPDIR");
	char made[PATH_MAX];
	int r;

	if (!base || base[0] != '/' || strlen(base) > PATH_MAX - 32)
		base = "/tmp";
	snprintf(made, sizeof(made), "%s/hermetic-tmp.XXXXXX", base);
	if (!mkdtemp(made)) {
		fprintf(stderr,
			"hermetic: cannot create a private temporary "
			"directory in %s: %s (--no-private-tmp runs without "
			"one)\n",
			base, strerror(errno));
		return -1;
	}
	if (!realpath(made, private_tmp)) {
		r = -errno;
		goto err_rmdir;
	}
	r = hm_policy_add_writable(pol, private_tmp);
	if (r)
		goto err_rmdir;
	if (setenv("TMPDIR", private_tmp, 1)) {
		r = -errno;
		goto err_rmdir;
	}
	return 0;
err_rmdir:
	fprintf(stderr,
		"hermetic: cannot use the private temporary directory %s: "
		"%s (--no-private-tmp runs without one)\n",
		made,
		r == -ENOSPC ? "too many --allow-write directories"
			     : strerror(-r));
	rmdir(made);
	private_tmp[0] = '\0';
	return -1;
}

static int remove_one(const char *path, const struct stat *st, int type,
		      struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* Remove the private directory and everything in it (no symlink followed). */
static void remove_private_tmp(void)
{
	if (!private_tmp[0])
		return;
	nftw(private_tmp, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	rmdir(private_tmp);
}

/*
 * Relay a signal sent to the launcher (kill, a supervisor) to CMD. A
 * signal from the terminal (Ctrl-C: si_code SI_KERNEL) already went to
 * the whole foreground process group, CMD included: not sent twice.
 */
static void relay(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;

	(void)uc;
	if (child_pid > 0 && si->si_code != SI_KERNEL)
		kill(child_pid, sig);
	errno = saved;
}

/*
 * The launcher's side of the fork: relay signals, wait for CMD, remove
 * the private directory, then end the way CMD ended: its exit status, or
 * the same signal (so a shell sees Ctrl-C as Ctrl-C).
 */
/*
 * --audit: refuse under an inherited policy, create the per-run record
 * directory, export it, and fix the report's absolute path. Returns 0 or
 * -1 (printed).
 */
int hm_cli_audit_setup(const struct hm_cli_options *o, char **argv)
{
	const char *base = getenv("TMPDIR");
	const char *file =
	    o->audit_file ? o->audit_file : "hermetic-audit.json";
	char cwd[PATH_MAX];
	int n;

	if (getenv(HM_ENV_POLICY) && *getenv(HM_ENV_POLICY)) {
		fprintf(stderr,
			"hermetic: --audit cannot run under an inherited "
			"policy (" HM_ENV_POLICY
			" is set: an outer hermetic enforces, and audit "
			"would not switch it off)\n");
		return -1;
	}
	if (file[0] == '/') {
		n = snprintf(audit_report, sizeof(audit_report), "%s", file);
	} else {
		if (!getcwd(cwd, sizeof(cwd))) {
			fprintf(stderr,
				"hermetic: --audit: cannot read the current "
				"directory: %s\n",
				strerror(errno));
			return -1;
		}
		n = snprintf(audit_report, sizeof(audit_report), "%s/%s", cwd,
			     file);
	}
	if (n < 0 || (size_t)n >= sizeof(audit_report)) {
		fprintf(stderr, "hermetic: --audit: report path too long\n");
		return -1;
	}
	if (!base || base[0] != '/' || strlen(base) > PATH_MAX - 32)
		base = "/tmp";
	snprintf(audit_dir, sizeof(audit_dir), "%s/hermetic-audit.XXXXXX",
		 base);
	if (!mkdtemp(audit_dir)) {
		fprintf(stderr,
			"hermetic: --audit: cannot create a record directory "
			"in %s: %s\n",
			base, strerror(errno));
		audit_dir[0] = '\0';
		return -1;
	}
	if (setenv(HM_ENV_AUDIT_DIR, audit_dir, 1)) {
		fprintf(stderr, "hermetic: out of memory\n");
		rmdir(audit_dir);
		audit_dir[0] = '\0';
		return -1;
	}
	audit_argv = argv;
	/* The launcher's own words: argv[1] up to the "--" before CMD. */
	if (o->argv && argv > o->argv + 1) {
		audit_flags = o->argv + 1;
		audit_n_flags = (int)(argv - o->argv) - 2;
	}
	audit_owner = 1;
	return 0;
}

/* The launcher's own audit record: an exec the shim could not follow. */
void hm_cli_audit_record_exec(const char *path)
{
	struct hm_request rq = {.op = HM_OP_EXEC, .path = path};
	char file[PATH_MAX + 32], rec[HM_AUDIT_REC_MAX];
	size_t len = hm_audit_format(rec, &rq, HM_R_UNGUARDABLE, (int)getpid(),
				     "launcher", NULL);
	int fd;

	snprintf(file, sizeof(file), "%s/" HM_AUDIT_RECORDS, audit_dir);
	fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (write(fd, rec, len) != (ssize_t)len)
		fprintf(stderr, "hermetic: audit: cannot write to %s\n", file);
	close(fd);
}

/* Write the audit report (supervisor only) and remove the directory. */
static void audit_finish(int status)
{
	if (!audit_owner || !audit_dir[0])
		return;
	hm_cli_audit_finish(audit_dir, audit_report, audit_argv, status,
			    audit_flags, audit_n_flags);
	audit_dir[0] = '\0';
}

static int supervise(pid_t pid, const sigset_t *mask)
{
	static const int relayed[] = {SIGHUP,  SIGINT,	SIGQUIT, SIGTERM,
				      SIGUSR1, SIGUSR2, SIGALRM, SIGWINCH};
	struct sigaction sa;
	struct rlimit no_core = {0, 0};
	int status, sig;
	sigset_t all;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = relay;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	child_pid = pid;
	for (size_t i = 0; i < sizeof(relayed) / sizeof(relayed[0]); i++)
		sigaction(relayed[i], &sa, NULL);
	/* Signals held since before the fork are relayed now. */
	sigprocmask(SIG_SETMASK, mask, NULL);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "hermetic: cannot wait for %d: %s\n",
				(int)pid, strerror(errno));
			remove_private_tmp();
			return HM_EXIT_USAGE;
		}
	}
	remove_private_tmp();
	audit_finish(status);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	sig = WTERMSIG(status);
	/* Die of the same signal, without a core file of the launcher. */
	setrlimit(RLIMIT_CORE, &no_core);
	signal(sig, SIG_DFL);
	sigfillset(&all);
	sigdelset(&all, sig);
	sigprocmask(SIG_SETMASK, &all, NULL);
	raise(sig);
	return 128 + sig;
}

/*
 * With a private directory, fork: the child goes on to exec CMD, the
 * launcher waits and cleans up (never returns). Without one, nothing.
 */
void hm_cli_supervise_if_needed(void)
{
	sigset_t all, old;
	pid_t pid;

	if (!private_tmp[0] && !audit_dir[0])
		return;
	fflush(NULL);
	/*
	 * Hold every signal across the fork, so none can kill the launcher
	 * (leaving the directory behind) before its relay is installed.
	 */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		fprintf(stderr, "hermetic: cannot fork: %s\n", strerror(errno));
		remove_private_tmp();
		if (audit_dir[0])
			rmdir(audit_dir);
		exit(HM_EXIT_USAGE);
	}
	if (pid > 0)
		exit(supervise(pid, &old));
	sigprocmask(SIG_SETMASK, &old, NULL);
	private_tmp[0] = '\0'; /* the child never removes it */
	audit_owner = 0;       /* nor writes the report */
}

const char *hm_cli_audit_dir(void)
{
	return audit_dir;
}

void hm_cli_drop_run_dirs(void)
{
	remove_private_tmp();
	if (audit_dir[0])
		rmdir(audit_dir);
}
