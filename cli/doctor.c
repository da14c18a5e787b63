/*
 * doctor.c - `hermetic doctor [FLAGS] [-- CMD ARGS...]`: what hermetic can
 * enforce on this machine, checked live.
 *
 *  - layers: the shim (found next to the launcher and loaded in a probe
 *    child), the Python layer (a Python target reports hermetic.layers()),
 *    the kernel (Landlock ABI, seccomp availability; hermetic's kernel
 *    layer itself is not built yet);
 *  - coverage: a probe child (this binary, `hermetic __doctor-probe`) runs
 *    under a throwaway policy that turns on every libc guard and calls each
 *    guarded family through each route: the named call, syscall(), a
 *    pointer from dlsym() and one from dlvsym(); it prints what was caught;
 *  - the command line: CMD (and a #! interpreter) resolved like execvp and
 *    inspected: statically linked, setuid, foreign or Go programs are ones
 *    the shim cannot follow.
 * Exit 0 when everything FLAGS ask for (every guard when no flag is given)
 * can be enforced, 1 otherwise.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

extern char **environ;

/* ------------------------------------------------------------------ */
/* The probe child (runs under the shim)                               */
/* ------------------------------------------------------------------ */

enum route { R_NAMED, R_SYSCALL, R_DLSYM, R_DLVSYM, N_ROUTES };
static const char *const route_names[N_ROUTES] = {"named", "syscall()", "dlsym",
						  "dlvsym"};

enum family { F_NET, F_EXEC, F_FS, F_NATIVE, N_FAMILIES };
static const char *const family_names[N_FAMILIES] = {"network", "subprocess",
						     "filesystem", "native"};
static const uint32_t family_flags[N_FAMILIES] = {
    HM_F_BLOCK_NETWORK, HM_F_BLOCK_SUBPROCESS, HM_F_FS_READONLY | HM_F_FS_ROOT,
    HM_F_BLOCK_NATIVE};
/* The symbol each family is probed through, and its glibc version. */
static const char *const family_syms[N_FAMILIES] = {"connect", "execve", "open",
						    "dlopen"};
#if defined(__x86_64__)
static const char *const family_vers[N_FAMILIES] = {
    "GLIBC_2.2.5", "GLIBC_2.2.5", "GLIBC_2.2.5", "GLIBC_2.34"};
#else
static const char *const family_vers[N_FAMILIES] = {NULL, NULL, NULL, NULL};
#endif

typedef int (*connect_fn)(int, const struct sockaddr *, socklen_t);
typedef int (*execve_fn)(const char *, char *const[], char *const[]);
typedef int (*open_fn)(const char *, int, ...);
typedef void *(*dlopen_fn)(const char *, int);

/* The function pointer a route hands out (NULL for the named route). */
static void *route_ptr(enum family f, enum route r)
{
	if (r == R_DLSYM)
		return dlsym(RTLD_DEFAULT, family_syms[f]);
	if (r == R_DLVSYM && family_vers[f])
		return dlvsym(RTLD_DEFAULT, family_syms[f], family_vers[f]);
	return NULL;
}

/*
 * One attempt. Returns "caught" (EACCES/EPERM, or ENETUNREACH, the errno
 * of a refused IP destination: a loopback connect can get it from nothing
 * else), "missed" (the action happened or failed for another reason), or
 * "n/a".
 */
static const char *probe_net(enum route r)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(1),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), rc, e;
	connect_fn fn = (connect_fn)route_ptr(F_NET, r);

	if (fd < 0)
		return "n/a";
	errno = 0;
	if (r == R_NAMED)
		rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	else if (r == R_SYSCALL)
		rc = (int)syscall(SYS_connect, fd, &sa, sizeof(sa));
	else if (fn)
		rc = fn(fd, (struct sockaddr *)&sa, sizeof(sa));
	else
		rc = -2;
	e = errno;
	close(fd);
	if (rc == -2)
		return "n/a";
	return rc < 0 && (e == EACCES || e == EPERM || e == ENETUNREACH)
		   ? "caught"
		   : "missed";
}

/*
 * A fork the shim does not see (an inline system call): under the probe's
 * --no-subprocess the fork family is refused too, and this probe is about
 * the exec routes, which the child then takes. x86-64 only, like the shim.
 */
static pid_t raw_fork(void)
{
	long ret = SYS_fork;

	__asm__ volatile("syscall" : "+a"(ret) : : "rcx", "r11", "memory");
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	return (pid_t)ret;
}

static const char *probe_exec(enum route r)
{
	char *argv[] = {"/bin/true", NULL};
	execve_fn fn = (execve_fn)route_ptr(F_EXEC, r);
	int status, rc, e;
	pid_t pid;

	if (r >= R_DLSYM && !fn)
		return "n/a";
	pid = raw_fork();
	if (pid < 0)
		return "n/a";
	if (pid == 0) {
		if (r == R_NAMED)
			execve(argv[0], argv, environ);
		else if (r == R_SYSCALL)
			syscall(SYS_execve, argv[0], argv, environ);
		else
			fn(argv[0], argv, environ);
		e = errno;
		_exit(e == EACCES || e == EPERM ? 42 : 43);
	}
	do
		rc = waitpid(pid, &status, 0);
	while (rc < 0 && errno == EINTR);
	if (rc < 0)
		return "n/a";
	/* /bin/true exits 0: the exec happened. */
	return WIFEXITED(status) && WEXITSTATUS(status) == 42 ? "caught"
							      : "missed";
}

static const char *probe_fs(enum route r, const char *dir)
{
	char path[PATH_MAX];
	open_fn fn = (open_fn)route_ptr(F_FS, r);
	int fd, e;

	if (r >= R_DLSYM && !fn)
		return "n/a";
	snprintf(path, sizeof(path), "%s/%s", dir, route_names[r]);
	errno = 0;
	if (r == R_NAMED)
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	else if (r == R_SYSCALL)
		fd = (int)syscall(SYS_openat, AT_FDCWD, path,
				  O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	else
		fd = fn(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	e = errno;
	if (fd >= 0) {
		close(fd);
		return "missed"; /* the parent removes the file */
	}
	return e == EACCES || e == EPERM || e == EROFS ? "caught" : "missed";
}

static const char *probe_native(enum route r)
{
	/* Not loaded by the launcher; each route gets its own library. */
	static const char *const libs[N_ROUTES] = {
	    "libm.so.6", NULL, "libresolv.so.2", "libutil.so.1"};
	dlopen_fn fn = (dlopen_fn)route_ptr(F_NATIVE, r);
	const char *msg;
	void *h;

	if (r == R_SYSCALL)
		return "n/a"; /* dlopen is not a system call */
	if (r != R_NAMED && !fn)
		return "n/a";
	h = r == R_NAMED ? dlopen(libs[r], RTLD_NOW) : fn(libs[r], RTLD_NOW);
	if (h) {
		dlclose(h);
		return "missed";
	}
	/* A refusal, not a library missing on this system. */
	msg = dlerror();
	return msg && strstr(msg, "hermetic") ? "caught" : "n/a";
}

/* `hermetic __doctor-probe DIR`: one "family route result" line each. */
static int doctor_probe(const char *dir)
{
	char *maps = NULL;
	size_t cap = 0;
	FILE *f = fopen("/proc/self/maps", "r");
	int loaded = 0;

	if (f) {
		while (getline(&maps, &cap, f) > 0)
			if (strstr(maps, "/libhermetic.so"))
				loaded = 1;
		free(maps);
		fclose(f);
	}
	printf("shim %s\n", loaded ? "loaded" : "absent");
	for (int r = 0; r < N_ROUTES; r++) {
		printf("network %d %s\n", r, probe_net((enum route)r));
		printf("subprocess %d %s\n", r, probe_exec((enum route)r));
		printf("filesystem %d %s\n", r, probe_fs((enum route)r, dir));
		printf("native %d %s\n", r, probe_native((enum route)r));
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ------------------------------------------------------------------ */
/* The parent                                                          */
/* ------------------------------------------------------------------ */

/* Run @argv with stdout (and stderr when @err) captured into @buf. */
static int capture(char *const argv[], char *buf, size_t cap, int err)
{
	posix_spawn_file_actions_t fa;
	int pipefd[2], status = -1, rc;
	size_t used = 0;
	ssize_t n;
	pid_t pid;

	buf[0] = '\0';
	if (pipe2(pipefd, O_CLOEXEC))
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	if (err)
		posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	else
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY,
						 0);
	rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (rc) {
		close(pipefd[0]);
		return -1;
	}
	while (used + 1 < cap &&
	       ((n = read(pipefd[0], buf + used, cap - 1 - used)) > 0 ||
		(n < 0 && errno == EINTR)))
		if (n > 0)
			used += (size_t)n;
	buf[used] = '\0';
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

/* The seccomp and Landlock facts of this kernel. */
static void report_kernel(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
			   LANDLOCK_CREATE_RULESET_VERSION);
	int e = errno;
	unsigned int action = SECCOMP_RET_KILL_PROCESS;
	long sc = syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action);
	int se = errno;

	if (abi >= 0)
		printf("  kernel      landlock ABI %ld", abi);
	else
		printf("  kernel      landlock unavailable (%s)",
		       e == ENOSYS	 ? "not in this kernel"
		       : e == EOPNOTSUPP ? "disabled at boot"
					 : strerror(e));
	printf("; seccomp %s; hermetic's kernel layer is not built yet, "
	       "so neither is used\n",
	       sc == 0			      ? "available"
	       : se == EINVAL || se == ENOSYS ? "unavailable"
					      : strerror(se));
}

/* True if the ELF @path has a Go section (.go.buildinfo, .gopclntab). */
static int is_go(const char *path)
{
	Elf64_Ehdr eh;
	Elf64_Shdr sh, strsh;
	char names[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC), go = 0;
	ssize_t got;

	if (fd < 0)
		return 0;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_shstrndx == SHN_UNDEF ||
	    eh.e_shentsize != sizeof(Elf64_Shdr))
		goto out;
	if (pread(fd, &strsh, sizeof(strsh),
		  (off_t)(eh.e_shoff + eh.e_shstrndx * sizeof(Elf64_Shdr))) !=
	    sizeof(strsh))
		goto out;
	for (unsigned i = 0; i < eh.e_shnum && !go; i++) {
		if (pread(fd, &sh, sizeof(sh),
			  (off_t)(eh.e_shoff + i * sizeof(sh))) != sizeof(sh))
			break;
		if (sh.sh_name >= strsh.sh_size)
			continue;
		got = pread(fd, names, sizeof(names) - 1,
			    (off_t)(strsh.sh_offset + sh.sh_name));
		if (got <= 0)
			continue;
		names[got] = '\0';
		go = !strcmp(names, ".go.buildinfo") ||
		     !strcmp(names, ".gopclntab") ||
		     !strcmp(names, ".note.go.buildid");
	}
out:
	close(fd);
	return go;
}

/* @cmd resolved like execvp into @out. Returns 0 or -1. */
static int which(const char *cmd, char out[PATH_MAX])
{
	const char *path = getenv("PATH"), *p, *end;

	if (strchr(cmd, '/'))
		return snprintf(out, PATH_MAX, "%s", cmd) < PATH_MAX &&
			       access(out, X_OK) == 0
			   ? 0
			   : -1;
	for (p = path ? path : "/usr/local/bin:/usr/bin:/bin";; p = end + 1) {
		end = strchrnul(p, ':');
		if (snprintf(out, PATH_MAX, "%.*s/%s", (int)(end - p), p, cmd) <
			PATH_MAX &&
		    access(out, X_OK) == 0)
			return 0;
		if (!*end)
			return -1;
	}
}

/*
 * Report one program of the command line; follows a "#!" line (and
 * /usr/bin/env NAME) one step. Returns 1 if the shim can follow it.
 */
static int report_program(const char *cmd, int depth)
{
	char path[PATH_MAX], line[256], *interp, *arg;
	const char *why = NULL;
	int fd, ok = 1;
	ssize_t n;

	if (which(cmd, path)) {
		printf("  %s: not found (or not executable)\n", cmd);
		return 0;
	}
	switch (hm_exec_inspect_path(path)) {
	case HM_EXEC_STATIC:
		why = "statically linked: the shim cannot follow it";
		break;
	case HM_EXEC_SETID:
		why = "setuid/setgid or file capabilities: the loader drops "
		      "LD_PRELOAD";
		break;
	case HM_EXEC_FOREIGN:
		why = "another architecture or word size: its loader ignores "
		      "the shim";
		break;
	case HM_EXEC_DYNAMIC:
	case HM_EXEC_UNKNOWN:
	default:
		break;
	}
	if (!why && is_go(path))
		why = "a Go program: it makes raw system calls the shim "
		      "cannot see";
	printf("  %s: %s\n", path, why ? why : "the shim follows it");
	ok = !why;
	/* A script: its interpreter runs too. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || depth > 2)
		goto out;
	n = read(fd, line, sizeof(line) - 1);
	if (n < 3 || line[0] != '#' || line[1] != '!')
		goto out;
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';
	interp = line + 2 + strspn(line + 2, " \t");
	arg = interp + strcspn(interp, " \t");
	if (*arg) {
		*arg++ = '\0';
		arg += strspn(arg, " \t");
		arg[strcspn(arg, " \t")] = '\0';
	}
	ok &= report_program(interp, depth + 1);
	if (!strcmp(interp, "/usr/bin/env") && *arg && *arg != '-')
		ok &= report_program(arg, depth + 1);
out:
	if (fd >= 0)
		close(fd);
	return ok;
}

/* Remove what a probe that was not caught created in @dir. */
static void clean_dir(const char *dir)
{
	char path[PATH_MAX];

	for (int r = 0; r < N_ROUTES; r++) {
		snprintf(path, sizeof(path), "%s/%s", dir, route_names[r]);
		unlink(path);
	}
	rmdir(dir);
}

int hm_cli_doctor(int argc, char **argv)
{
	static struct hm_cli_options o;
	static char out[16384];
	char exe[PATH_MAX], dir[] = "/tmp/hermetic-doctor-XXXXXX";
	char err[1024], **pargv, *line, *save = NULL;
	const char *res[N_FAMILIES][N_ROUTES] = {{0}};
	uint32_t want, libc_want;
	int i, n, split = -1, ok = 1, shim_loaded = 0, status;
	ssize_t len;

	if (argc > 2 &&
	    (!strcmp(argv[2], "-h") || !strcmp(argv[2], "--help"))) {
		printf("Usage: hermetic doctor [FLAGS] [-- CMD [ARGS...]]\n"
		       "Report which layers work here, which call routes the "
		       "shim catches (checked\nlive in a probe child) and "
		       "which programs of CMD the shim cannot follow.\n"
		       "Exit 0 if everything FLAGS ask for (every guard when "
		       "none is given) can be\nenforced, 1 otherwise.\n");
		return 0;
	}
	/* Parse FLAGS with the launcher's own parser: hermetic FLAGS -- X. */
	pargv = calloc((size_t)argc + 3, sizeof(*pargv));
	if (!pargv)
		return HM_EXIT_USAGE;
	pargv[0] = argv[0];
	n = 1;
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			split = i;
			break;
		}
		pargv[n++] = argv[i];
	}
	pargv[n++] = "--";
	pargv[n++] = split >= 0 && split + 1 < argc ? argv[split + 1] : "true";
	pargv[n] = NULL;
	if (hm_cli_parse(n, pargv, &o, err, sizeof(err)) != HM_CLI_RUN) {
		fprintf(stderr, "%s\n", err[0] ? err : "hermetic: bad flags");
		free(pargv);
		return HM_EXIT_USAGE;
	}
	free(pargv);
	want = o.policy.flags;
	libc_want =
	    want & (HM_F_BLOCK_NETWORK | HM_F_BLOCK_SUBPROCESS |
		    HM_F_FS_READONLY | HM_F_FS_ROOT | HM_F_BLOCK_NATIVE);
	if (!(want & ~(HM_F_TRACE)))
		libc_want = HM_F_BLOCK_NETWORK | HM_F_BLOCK_SUBPROCESS |
			    HM_F_FS_READONLY | HM_F_BLOCK_NATIVE;

	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len <= 0 || !mkdtemp(dir)) {
		fprintf(stderr, "hermetic: doctor: %s\n", strerror(errno));
		return HM_EXIT_USAGE;
	}
	exe[len] = '\0';
	printf("hermetic doctor %s\n\nlayers:\n", HERMETIC_VERSION);

	/* The probe child, under every libc guard. */
	{
		char *probe[] = {exe,
				 "--no-network",
				 "--no-subprocess",
				 "--fs-readonly",
				 "--block-native",
				 "--",
				 exe,
				 "__doctor-probe",
				 dir,
				 NULL};

		status = capture(probe, out, sizeof(out), 1);
	}
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char fam[32], result[32];
		int r;

		if (!strcmp(line, "shim loaded"))
			shim_loaded = 1;
		if (sscanf(line, "%31s %d %31s", fam, &r, result) != 3 ||
		    r < 0 || r >= N_ROUTES)
			continue;
		for (i = 0; i < N_FAMILIES; i++)
			if (!strcmp(fam, family_names[i]))
				res[i][r] = !strcmp(result, "caught") ? "caught"
					    : !strcmp(result, "n/a")  ? "n/a"
								     : "MISSED";
	}
	clean_dir(dir);
	if (shim_loaded)
		printf("  libc shim   loaded in a probe child\n");
	else
		printf("  libc shim   NOT loaded in a probe child (exit "
		       "status %d): %s\n",
		       status, out[0] ? out : "no output");

	/* The Python layer: a Python target reports its layers. */
	{
		char *py[] = {exe,
			      "--",
			      "python3",
			      "-c",
			      "import hermetic; print(','.join(sorted("
			      "hermetic.layers())))",
			      NULL};

		status = capture(py, out, sizeof(out), 0);
		out[strcspn(out, "\n")] = '\0';
		if (status == 0 && strstr(out, "python"))
			printf("  python      python3 targets load the Python "
			       "layer (layers: %s)\n",
			       out);
		else
			printf("  python      NOT available for python3 "
			       "targets\n");
		if ((want & (HM_F_BLOCK_ENVIRONMENT | HM_F_BLOCK_CODE_EXEC |
			     HM_F_BLOCK_INTERP_MUTATION)) ||
		    o.policy.n_imports)
			ok &= status == 0 && strstr(out, "python") != NULL;
	}
	report_kernel();
	if (want & HM_F_SEALED) {
		printf("  --seal asks for the kernel layer, which is not "
		       "built: raw system calls are not covered\n");
		ok = 0;
	}

	printf("\ncoverage (a probe child under --no-network "
	       "--no-subprocess --fs-readonly --block-native):\n");
	printf("  %-11s", "family");
	for (int r = 0; r < N_ROUTES; r++)
		printf(" %-9s", route_names[r]);
	printf("\n");
	for (i = 0; i < N_FAMILIES; i++) {
		int needed = !!(libc_want & family_flags[i]);

		printf("  %-11s", family_names[i]);
		for (int r = 0; r < N_ROUTES; r++) {
			const char *v = res[i][r] ? res[i][r] : "no-answer";

			printf(" %-9s", v);
			if (needed && strcmp(v, "caught") && strcmp(v, "n/a"))
				ok = 0;
		}
		printf("%s\n", needed ? "" : "  (not asked for)");
	}
	if (libc_want && !shim_loaded)
		ok = 0;

	if (split >= 0 && split + 1 < argc) {
		printf("\ncommand:\n");
		if (!report_program(argv[split + 1], 0) && libc_want)
			ok = 0;
	}
	printf("\nverdict: %s\n",
	       ok ? "everything asked for can be enforced"
		  : "some of what was asked for cannot be enforced here");
	fflush(stdout);
	return ok ? 0 : 1;
}

int hm_cli_doctor_probe(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "hermetic: __doctor-probe is internal\n");
		return HM_EXIT_USAGE;
	}
	return doctor_probe(argv[2]);
}
