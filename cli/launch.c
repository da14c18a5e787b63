/*
 * launch.c - turn a complete policy into the target process: find
 * libhermetic.so and the Python bootstrap next to the launcher, set the
 * environment the shim reads, resolve the command like execvp and execve it
 * (normally no fork, no wait: the target's exit status becomes hermetic's).
 *
 * With a private TMPDIR (--fs-readonly) or --audit the launcher forks and
 * waits instead (cli/supervise.c), relaying signals and passing the exit
 * status through.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

extern char **environ;

/* Where execvp looks when PATH is unset. */
#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

/*
 * Candidates, relative to the launcher's directory: build tree, install
 * (BINDIR -> LIBDIR/hermetic, from CMake), wheel (hermetic/_bin/hermetic).
 */
#ifndef HERMETIC_INSTALL_PKGLIBDIR
#define HERMETIC_INSTALL_PKGLIBDIR "../lib/hermetic"
#endif
static const char *const shim_paths[] = {
    "../lib/libhermetic.so",
    "../lib/hermetic/libhermetic.so",
    HERMETIC_INSTALL_PKGLIBDIR "/libhermetic.so",
    "../_lib/libhermetic.so",
    NULL,
};
static const char *const pysite_paths[] = {
    "../python/hermetic/_site",
    "../lib/hermetic/python/hermetic/_site",
    HERMETIC_INSTALL_PKGLIBDIR "/python/hermetic/_site",
    "../_site",
    NULL,
};

/* The launcher's own path and directory, from /proc/self/exe. */
static int find_self(char exe[PATH_MAX], char dir[PATH_MAX])
{
	ssize_t n = readlink("/proc/self/exe", exe, PATH_MAX - 1);
	char *slash;

	if (n <= 0) {
		fprintf(stderr, "hermetic: cannot read /proc/self/exe: %s\n",
			n < 0 ? strerror(errno) : "empty link");
		return -1;
	}
	exe[n] = '\0';
	memcpy(dir, exe, (size_t)n + 1);
	slash = strrchr(dir, '/');
	if (!slash) {
		fprintf(stderr, "hermetic: odd launcher path '%s'\n", exe);
		return -1;
	}
	slash[slash == dir ? 1 : 0] = '\0';
	return 0;
}

/*
 * The first of @rel (relative to @dir) that exists with file type @type
 * (S_IFREG or S_IFDIR), as an absolute path without symlinks in @out.
 * Returns 0, or -1 if none does.
 */
static int find_near(const char *dir, const char *const *rel, mode_t type,
		     char out[PATH_MAX])
{
	char cand[PATH_MAX];
	struct stat st;
	int n;

	for (; *rel; rel++) {
		n = snprintf(cand, sizeof(cand), "%s/%s", dir, *rel);
		if (n < 0 || (size_t)n >= sizeof(cand))
			continue;
		/*
		 * @dir comes from /proc/self/exe, which the kernel gives
		 * without symlinks, so a lexical ".." is exact here and saves
		 * realpath's readlink per component.
		 */
		if (hm_path_normalize(NULL, cand, out, PATH_MAX) < 0 ||
		    stat(out, &st) != 0)
			continue;
		if ((st.st_mode & S_IFMT) == type)
			return 0;
	}
	return -1;
}

/*
 * The target's environment, from the core's one builder (the shim's exec
 * wrappers use the same): HERMETIC_POLICY=@policy, HERMETIC_PYSITE and
 * PYTHONPATH=<pysite>[:old], the caller's other entries, and
 * LD_PRELOAD=<shim>[:old] last; LD_AUDIT (an audit library can rebind
 * every interposed name back to libc) is dropped, under block_native
 * other preloaded libraries and GCONV_PATH too, and under block_network
 * the resolver-steering variables (LOCALDOMAIN, RES_OPTIONS, HOSTALIASES,
 * RESOLV_HOST_CONF; issue 8 class 7). The new vector becomes
 * environ, which every exec below passes on.
 */
static int set_child_env(const char *shim, const char *pysite,
			 const char *policy, uint32_t flags)
{
	struct hm_childenv spec = {
	    .preload = shim,
	    .pysite = pysite,
	    .policy = policy,
	    .audit_dir = hm_cli_audit_dir(),
	    .native = !!(flags & (HM_F_BLOCK_NATIVE | HM_F_INVALID)),
	    .network = !!(flags & (HM_F_BLOCK_NETWORK | HM_F_INVALID)),
	};
	size_t size;
	char **envp;
	void *buf;

	if (strpbrk(shim, ": \t\n")) {
		fprintf(stderr,
			"hermetic: the path of libhermetic.so contains ':' or "
			"a blank, which LD_PRELOAD cannot express: %s\n",
			shim);
		return -1;
	}
	size = hm_childenv_size(environ, &spec);
	buf = malloc(size);
	envp = buf ? hm_childenv_build(environ, &spec, buf, size) : NULL;
	if (!envp) {
		fprintf(stderr, "hermetic: out of memory\n");
		free(buf);
		return -1;
	}
	environ = envp; /* kept for the process's life: we exec next */
	return 0;
}

/*
 * The HERMETIC_POLICY value (*@value, malloc'd) = the inherited layers (if this
 * launcher already runs under hermetic) followed by our own. Appending a layer
 * can only narrow (every layer must allow), so honouring an inherited value is
 * safe; an inherited value we cannot read is refused rather than dropped, which
 * would widen. On success *@all_flags is the OR of every layer's flags.
 */
static int set_policy(const struct hm_policy *own, uint32_t *all_flags,
		      char **value)
{
	const char *old = getenv(HM_ENV_POLICY);
	struct hm_policy *layers;
	size_t n = 0, i, cap;
	char *text = NULL;
	int r, ret = -1;

	layers = calloc(HM_MAX_BASE, sizeof(*layers));
	if (!layers) {
		fprintf(stderr, "hermetic: out of memory\n");
		return -1;
	}
	if (old && *old) {
		r = hm_policy_env_decode(old, layers, HM_MAX_BASE - 1, &n);
		hm_policy_env_cloexec(old);
		if (r) {
			fprintf(stderr,
				"hermetic: the inherited " HM_ENV_POLICY
				" is invalid (%s); refusing to run\n",
				r == -EPROTO  ? hm_wire_error(r)
				: r == -E2BIG ? "too many layers"
					      : "corrupt");
			goto out;
		}
	}
	hm_policy_copy(&layers[n++], own);
	*all_flags = 0;
	for (i = 0; i < n; i++)
		*all_flags |= layers[i].flags;

	cap = hm_wire_encoded_size(layers, n);
	text = malloc(cap ? cap : 1);
	if (!text) {
		fprintf(stderr, "hermetic: out of memory\n");
		goto out;
	}
	r = hm_wire_encode(layers, n, text, cap);
	if (r < 0) {
		fprintf(stderr, "hermetic: cannot encode the policy: %s\n",
			strerror(-r));
		goto out;
	}
	/* Too long for one environment string: a sealed memfd, named. */
	if ((size_t)r > HM_ENV_INLINE_MAX) {
		char ref[64];
		int fd = hm_policy_memfd(text, (size_t)r, ref, sizeof(ref));

		if (fd < 0) {
			fprintf(stderr,
				"hermetic: cannot hand the policy over in a "
				"memfd: %s\n",
				strerror(-fd));
			goto out;
		}
		memcpy(text, ref, strlen(ref) + 1);
	}
	*value = text; /* the caller's: it goes into the target's environ */
	text = NULL;
	ret = 0;
out:
	free(text);
	free(layers);
	return ret;
}

/*
 * 0 if @path is a regular file we may execute, 126 if it exists but is
 * not (a directory, no x bit, no permission), 127 if it does not exist.
 */
static int check_exec(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return errno == ENOENT || errno == ENOTDIR ? 127 : 126;
	if (!S_ISREG(st.st_mode) || access(path, X_OK) != 0)
		return 126;
	return 0;
}

/*
 * Resolve the command @cmd to the file to execute, the way execvp does:
 * a name with '/' is used as is, any other is searched in PATH. Returns 0
 * with @out set, or the exit status (127 or 126); prints why unless
 * @quiet (the caller may still try a Python target).
 */
static int resolve_target(const char *cmd, char out[PATH_MAX], int quiet)
{
	const char *path, *p, *end;
	int r, seen_denied = 0;
	size_t len;

	if (strchr(cmd, '/')) {
		if (strlen(cmd) >= PATH_MAX) {
			r = 127;
			goto fail;
		}
		strcpy(out, cmd);
		r = check_exec(out);
		if (r)
			goto fail;
		return 0;
	}
	r = 127;
	if (!*cmd)
		goto fail;
	path = getenv("PATH");
	if (!path)
		path = DEFAULT_PATH;
	for (p = path;; p = end + 1) {
		end = strchrnul(p, ':');
		len = (size_t)(end - p);
		/* An empty PATH entry means the current directory. */
		if (len == 0)
			r = snprintf(out, PATH_MAX, "%s", cmd);
		else
			r = snprintf(out, PATH_MAX, "%.*s/%s", (int)len, p,
				     cmd);
		if (r > 0 && r < PATH_MAX) {
			r = check_exec(out);
			if (r == 0)
				return 0;
			if (r == 126)
				seen_denied = 1;
		}
		if (!*end)
			break;
	}
	r = seen_denied ? 126 : 127;
fail:
	if (quiet)
		return r;
	if (r == 127)
		fprintf(stderr, "hermetic: command not found: %s\n",
			*cmd ? cmd : "''");
	else
		fprintf(stderr, "hermetic: permission denied: %s\n", cmd);
	return r;
}

/*
 * Refuse a target LD_PRELOAD cannot follow while a libc guard is on, by
 * the core's one decision and message table (hm_exec_refusal), which the
 * shim's exec wrappers use too. Returns 0 or -1 (printed).
 */
static int check_guardable(const char *path, uint32_t flags)
{
	const char *why;

	if (!(flags & HM_EXEC_GUARD_FLAGS))
		return 0;
	why = hm_exec_refusal(flags, hm_exec_inspect_path(path));
	if (!why)
		return 0;
	if (hm_cli_audit_dir()[0]) {
		/* Audit: record the refusal and run it anyway. */
		hm_cli_audit_record_exec(path);
		return 0;
	}
	fprintf(stderr, "hermetic: %s%s\n", path, why);
	return -1;
}

/*
 * execve @path; like execvp, a file the kernel cannot run (ENOEXEC: a
 * script without "#!") is run by /bin/sh. Returns the exit status.
 */
static int exec_target(const char *path, char **argv, int argc, uint32_t flags)
{
	char **sh_argv;
	int e;

	execve(path, argv, environ);
	e = errno;
	if (e == ENOEXEC) {
		if (check_guardable("/bin/sh", flags))
			return HM_EXIT_USAGE;
		sh_argv = calloc((size_t)argc + 2, sizeof(*sh_argv));
		if (sh_argv) {
			sh_argv[0] = "/bin/sh";
			sh_argv[1] = (char *)path;
			memcpy(sh_argv + 2, argv + 1,
			       (size_t)argc * sizeof(*sh_argv));
			execve("/bin/sh", sh_argv, environ);
			e = errno;
			free(sh_argv);
		} else {
			e = ENOMEM;
		}
	}
	fprintf(stderr, "hermetic: cannot execute %s: %s\n", path, strerror(e));
	return e == ENOENT ? 127 : 126;
}

/* ------------------------------------------------------------------ */
/* Python targets (original-hermetic.md section 1.3)                  */
/* ------------------------------------------------------------------ */

#ifndef HERMETIC_DEFAULT_PYTHON
#define HERMETIC_DEFAULT_PYTHON "/usr/bin/python3"
#endif

/* True for a dotted Python identifier path such as "pkg.mod". */
static int is_module_name(const char *s, size_t len)
{
	int start = 1;

	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '.') {
			if (start)
				return 0;
			start = 1;
			continue;
		}
		if (!(c == '_' || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z') ||
		      (!start && c >= '0' && c <= '9')))
			return 0;
		start = 0;
	}
	return !start;
}

/*
 * The interpreter for module targets: the one hermetic._native was built
 * for (HERMETIC_DEFAULT_PYTHON) if it is there, else python3 from PATH.
 */
static int find_python(char out[PATH_MAX])
{
	if (access(HERMETIC_DEFAULT_PYTHON, X_OK) == 0 &&
	    strlen(HERMETIC_DEFAULT_PYTHON) < PATH_MAX) {
		strcpy(out, HERMETIC_DEFAULT_PYTHON);
		return 0;
	}
	return resolve_target("python3", out, 1);
}

/*
 * exec "<python> [-m hermetic._run] ARGV..." with the package root on
 * PYTHONPATH after the bootstrap dir. @runner selects the hermetic._run
 * form (module and module:attr targets); otherwise ARGV[0] is a script.
 */
static int exec_python(const struct hm_cli_options *o, const char *pysite,
		       uint32_t flags, int runner)
{
	char python[PATH_MAX], root[PATH_MAX], *slash, **argv;
	const char *old = getenv("PYTHONPATH"), *rest;
	char *val;
	int n = 0, e;

	if (find_python(python)) {
		fprintf(stderr,
			"hermetic: no Python interpreter found for "
			"target %s\n",
			o->target_argv[0]);
		return 127;
	}
	if (check_guardable(python, flags))
		return HM_EXIT_USAGE;
	/* pysite is <root>/hermetic/_site: the package root is two up. */
	strcpy(root, pysite);
	for (int up = 0; up < 2; up++) {
		slash = strrchr(root, '/');
		if (!slash || slash == root)
			return HM_EXIT_USAGE;
		*slash = '\0';
	}
	val =
	    malloc(strlen(pysite) + strlen(root) + (old ? strlen(old) : 0) + 3);
	argv = calloc((size_t)o->target_argc + 4, sizeof(*argv));
	if (!val || !argv) {
		fprintf(stderr, "hermetic: out of memory\n");
		return HM_EXIT_USAGE;
	}
	/*
	 * set_child_env made PYTHONPATH "<pysite>[:rest]"; the runner needs the
	 * package root too: "<pysite>:<root>[:rest]".
	 */
	rest = old ? strchr(old, ':') : NULL;
	sprintf(val, "%s:%s%s", pysite, root, rest ? rest : "");
	if (setenv("PYTHONPATH", val, 1)) {
		fprintf(stderr, "hermetic: cannot set PYTHONPATH: %s\n",
			strerror(errno));
		return HM_EXIT_USAGE;
	}
	argv[n++] = python;
	if (runner) {
		argv[n++] = "-m";
		argv[n++] = "hermetic._run";
	}
	for (int i = 0; i < o->target_argc; i++)
		argv[n++] = o->target_argv[i];
	argv[n] = NULL;
	execve(python, argv, environ);
	e = errno;
	fprintf(stderr, "hermetic: cannot execute %s: %s\n", python,
		strerror(e));
	return e == ENOENT ? 127 : 126;
}

/*
 * Python target forms the original accepts besides plain commands:
 * "module:attr" (call attr() in-process), a non-executable "*.py" script,
 * and a bare module name that is not a command (run as "python -m").
 * Returns an exit status if it handled the target (exec failed or bad
 * input), or -1 to let the plain command path run; then @path holds the
 * resolved command if it is one (resolve_target's answer), or "".
 */
static int resolve_python_target(const struct hm_cli_options *o,
				 const char *pysite, uint32_t flags,
				 char path[PATH_MAX])
{
	const char *t = o->target_argv[0];
	const char *colon = strchr(t, ':');
	size_t len = strlen(t);
	int r;

	path[0] = '\0';
	if (colon && !strchr(t, '/')) {
		if (!is_module_name(t, (size_t)(colon - t)) ||
		    !is_module_name(colon + 1, strlen(colon + 1)) ||
		    strchr(colon + 1, ':')) {
			fprintf(stderr,
				"hermetic: invalid module:attr target '%s'\n",
				t);
			return HM_EXIT_USAGE;
		}
		if (!pysite) {
			fprintf(stderr, "hermetic: module:attr targets need "
					"the Python package (not built)\n");
			return HM_EXIT_USAGE;
		}
		return exec_python(o, pysite, flags, 1);
	}
	r = resolve_target(t, path, 1);
	if (r == 0)
		return -1;
	path[0] = '\0';
	/* "script.py" that is not executable (or not on PATH, but here). */
	if (pysite && len > 3 && !strcmp(t + len - 3, ".py") &&
	    access(t, R_OK) == 0)
		return exec_python(o, pysite, flags, 0);
	if (r == 127 && pysite && !strchr(t, '/') && is_module_name(t, len))
		return exec_python(o, pysite, flags, 1);
	return -1;
}

/*
 * Resolve @path in place with realpath (the shim compares the package
 * directory with kernel-resolved paths, so it must hold no symlink).
 * Returns 1, or 0 if it cannot be resolved.
 */
static int canonical(char path[PATH_MAX])
{
	char real[PATH_MAX];

	if (!realpath(path, real))
		return 0;
	memcpy(path, real, PATH_MAX);
	return 1;
}

/*
 * pyenv's shims are bash scripts that run pyenv, which runs a dozen more
 * programs to pick a version: under --no-subprocess none of that may run
 * inside the guard. For a PATH entry "<root>/shims" with an executable
 * "<root>/libexec/pyenv", ask "pyenv prefix" here, before any policy
 * applies (what the user's own shell would run), and put "<prefix>/bin"
 * first on PATH, as "pyenv exec" itself does. Failures change nothing.
 */
static void resolve_pyenv(void)
{
	const char *path = getenv("PATH"), *p, *end;
	char tool[PATH_MAX], out[PATH_MAX], *val, *q, *nl;
	char *argv[] = {tool, "prefix", NULL};
	int fds[2], status;
	ssize_t n, got = 0;
	size_t len, cap;
	posix_spawn_file_actions_t fa;
	pid_t pid;

	for (p = path; p && *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		len = (size_t)(end - p);
		if (len > 6 && len < PATH_MAX - 20 &&
		    !strncmp(end - 6, "/shims", 6)) {
			snprintf(tool, sizeof(tool), "%.*s/libexec/pyenv",
				 (int)(len - 6), p);
			if (access(tool, X_OK) == 0)
				break;
		}
	}
	if (!p || !*p || pipe(fds))
		return;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	if (posix_spawn(&pid, tool, &fa, NULL, argv, environ)) {
		posix_spawn_file_actions_destroy(&fa);
		close(fds[0]);
		close(fds[1]);
		return;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	while (
	    got < (ssize_t)sizeof(out) - 1 &&
	    ((n = read(fds[0], out + got, sizeof(out) - 1 - (size_t)got)) > 0 ||
	     (n < 0 && errno == EINTR)))
		got += n > 0 ? n : 0;
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	out[got] = '\0';
	nl = strchr(out, '\n');
	if (nl)
		*nl = '\0';
	if (!WIFEXITED(status) || WEXITSTATUS(status) || out[0] != '/')
		return;
	/* "<p1>:<p2>" -> "<p1>/bin:<p2>/bin:<PATH>" */
	cap = 2 * strlen(out) + strlen(path) + 8;
	val = malloc(cap);
	if (!val)
		return;
	val[0] = '\0';
	for (q = strtok(out, ":"); q; q = strtok(NULL, ":")) {
		strcat(val, q);
		strcat(val, "/bin:");
	}
	strcat(val, path);
	setenv("PATH", val, 1);
	free(val);
}

/* Add @path (made absolute without symlinks) to @pol's readable paths. */
static void add_read(struct hm_policy *pol, const char *path)
{
	char real[PATH_MAX];
	struct stat st;

	struct hm_list_iter it;
	const char *e;

	if (!path || !realpath(path, real) || stat(real, &st) < 0)
		return;
	for (e = hm_policy_list_first(pol, HM_LIST_READABLE, &it); e;
	     e = hm_policy_list_next(&it))
		if (!strcmp(e, real))
			return;
	/* Best effort: a full pool only leaves the file unreadable. */
	(void)hm_policy_add_readable(pol, real);
}

/* True if the basename of @path starts with "python". */
static int is_python(const char *path)
{
	const char *b = strrchr(path, '/');

	return !strncmp(b ? b + 1 : path, "python", 6);
}

/*
 * A Python interpreter @exe: its installation's lib directory
 * (<prefix>/lib, stdlib and site-packages) and the script it will run,
 * the first argument of @argv (argv[0] is the interpreter) that is not an
 * option: none after -c or -m.
 */
static void add_python_reads(struct hm_policy *pol, const char *exe,
			     char **argv)
{
	char real[PATH_MAX], *slash;
	int i;

	if (realpath(exe, real)) {
		for (int up = 0; up < 2; up++) {
			slash = strrchr(real, '/');
			if (!slash || slash == real)
				goto script;
			*slash = '\0';
		}
		if (strlen(real) + 5 < PATH_MAX) {
			strcat(real, "/lib");
			add_read(pol, real);
		}
	}
script:
	for (i = 1; argv[i]; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-' || !a[1])
			break;
		if (a[1] == '-') {
			if (!strcmp(a, "--check-hash-based-pycs") &&
			    argv[i + 1])
				i++;
			continue;
		}
		if (strpbrk(a + 1, "cm"))
			return; /* -c CODE, -m MOD: no script file */
		if ((!strcmp(a, "-W") || !strcmp(a, "-X")) && argv[i + 1])
			i++;
	}
	if (argv[i] && strcmp(argv[i], "-"))
		add_read(pol, argv[i]);
}

/*
 * Under --fs-readonly=ROOT the program the user named must be readable
 * where its interpreter reads it: the target file itself (a script is
 * read by its interpreter), a "#!" interpreter and, for Python, the
 * interpreter's lib directory and the script on its command line
 * (including "#!/usr/bin/env python3" scripts). docs/cli.md.
 */
static void add_target_reads(struct hm_policy *pol, char **argv)
{
	char path[PATH_MAX], interp[PATH_MAX], line[256], *p, *end, *word;
	const char *t = argv[0];
	ssize_t n;
	int fd;

	if (!(pol->flags & HM_F_FS_ROOT))
		return;
	/*
	 * The user's own git configuration (not the home directory): git
	 * treats an unreadable one as fatal. Missing files stay missing.
	 */
	if (getenv("HOME") && getenv("HOME")[0] == '/' &&
	    strlen(getenv("HOME")) < PATH_MAX - 32) {
		snprintf(interp, sizeof(interp), "%s/.gitconfig",
			 getenv("HOME"));
		add_read(pol, interp);
		snprintf(interp, sizeof(interp), "%s/.config/git",
			 getenv("HOME"));
		add_read(pol, interp);
	}
	if (resolve_target(t, path, 1)) {
		size_t len = strlen(t);

		if (len > 3 && !strcmp(t + len - 3, ".py") &&
		    access(t, R_OK) == 0) {
			add_read(pol, t);
			if (!find_python(interp))
				add_read(pol, interp);
		}
		return;
	}
	add_read(pol, path);
	if (is_python(path)) {
		add_python_reads(pol, path, argv);
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n < 3 || line[0] != '#' || line[1] != '!')
		return;
	line[n] = '\0';
	end = strchr(line, '\n');
	if (end)
		*end = '\0';
	p = line + 2;
	p += strspn(p, " \t");
	word = p;
	p += strcspn(p, " \t");
	if (*p)
		*p++ = '\0';
	add_read(pol, word);
	if (is_python(word)) {
		add_python_reads(pol, word, (char *[]){word, NULL});
	} else if (!strcmp(word, "/usr/bin/env") || !strcmp(word, "/bin/env")) {
		p += strspn(p, " \t");
		word = p;
		p += strcspn(p, " \t");
		*p = '\0';
		if (*word && is_python(word) &&
		    !resolve_target(word, interp, 1))
			add_python_reads(pol, interp, (char *[]){interp, NULL});
	}
}

int hm_cli_launch(const struct hm_cli_options *o)
{
	char exe[PATH_MAX], dir[PATH_MAX], shim[PATH_MAX], pysite[PATH_MAX];
	char target[PATH_MAX], *policy = NULL;
	/* 128 KiB: static rather than on the stack. */
	static struct hm_policy own;
	uint32_t flags = 0;
	int r, have_pysite;

	if (find_self(exe, dir))
		return HM_EXIT_USAGE;
	/*
	 * Not when nested: an outer launcher already did it, and an outer
	 * --no-subprocess would refuse (and report) the spawn.
	 */
	if ((o->policy.flags & (HM_F_BLOCK_SUBPROCESS | HM_F_FS_ROOT)) &&
	    !getenv(HM_ENV_POLICY))
		resolve_pyenv();
	if (find_near(dir, shim_paths, S_IFREG, shim)) {
		fprintf(stderr,
			"hermetic: cannot find libhermetic.so next to %s\n",
			exe);
		return HM_EXIT_USAGE;
	}
	/* The Python bootstrap is optional: a build without Python. */
	have_pysite =
	    !find_near(dir, pysite_paths, S_IFDIR, pysite) && canonical(pysite);
	hm_policy_copy(&own, &o->policy);
	if (o->audit) {
		if (hm_cli_audit_setup(o, o->target_argv))
			return HM_EXIT_USAGE;
		own.flags |= HM_F_AUDIT;
	}
	add_target_reads(&own, o->target_argv);
	if ((own.flags & HM_F_FS_READONLY) && !o->no_private_tmp &&
	    hm_cli_make_private_tmp(&own)) {
		hm_cli_drop_run_dirs();
		return HM_EXIT_USAGE;
	}
	if (set_policy(&own, &flags, &policy) ||
	    set_child_env(shim, have_pysite ? pysite : NULL, policy, flags)) {
		hm_cli_drop_run_dirs();
		return HM_EXIT_USAGE;
	}

	hm_cli_supervise_if_needed();
	r = resolve_python_target(o, have_pysite ? pysite : NULL, flags,
				  target);
	if (r >= 0)
		return r;
	/* Not a command: resolve again, now saying why it is not one. */
	if (!target[0]) {
		r = resolve_target(o->target_argv[0], target, 0);
		if (r)
			return r;
	}
	if (check_guardable(target, flags))
		return HM_EXIT_USAGE;
	/*
	 * The launcher itself is not preloaded, so this exec is always
	 * allowed; --no-subprocess applies to what the target starts.
	 */
	return exec_target(target, o->target_argv, o->target_argc, flags);
}
