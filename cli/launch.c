/*
 * launch.c - turn a complete policy into the target process: find
 * libhermetic.so and the Python bootstrap next to the launcher, set the
 * environment the shim reads, resolve the command like execvp and execve it
 * (no fork, no wait: the target's exit status becomes hermetic's).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

extern char **environ;

/* Where execvp looks when PATH is unset. */
#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

/* Flags whose enforcement needs the shim inside the target (libc layer). */
#define LIBC_GUARDS                                                            \
	(HM_F_BLOCK_NETWORK | HM_F_BLOCK_SUBPROCESS | HM_F_FS_READONLY |       \
	 HM_F_FS_ROOT | HM_F_BLOCK_NATIVE)

/* Candidates, relative to the launcher's directory: build tree, install. */
static const char *const shim_paths[] = {
    "../lib/libhermetic.so",
    "../lib/hermetic/libhermetic.so",
    NULL,
};
static const char *const pysite_paths[] = {
    "../python/hermetic/_site",
    "../lib/hermetic/python/hermetic/_site",
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
 * every interposed name back to libc) is dropped, and under block_native
 * other preloaded libraries and GCONV_PATH too. The new vector becomes
 * environ, which every exec below passes on.
 */
static int set_child_env(const char *shim, const char *pysite,
			 const char *policy, uint32_t flags)
{
	struct hm_childenv spec = {
	    .preload = shim,
	    .pysite = pysite,
	    .policy = policy,
	    .native = !!(flags & (HM_F_BLOCK_NATIVE | HM_F_INVALID)),
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
				r == -E2BIG    ? "too many layers"
				: r == -EPROTO ? "unknown version"
					       : "corrupt");
			goto out;
		}
	}
	layers[n++] = *own;
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
 * Refuse a target LD_PRELOAD cannot follow while a libc guard is on:
 * the loader ignores the preload for setuid/setgid/capability binaries,
 * and a static binary never loads it. Returns 0 or -1 (printed).
 */
static int check_guardable(const char *path, uint32_t flags)
{
	if (!(flags & LIBC_GUARDS))
		return 0;
	/*
	 * The kernel layer (--seal: Landlock + seccomp) would cover these,
	 * but it is not built yet, so they are refused even with --seal.
	 */
	switch (hm_exec_inspect_path(path)) {
	case HM_EXEC_STATIC:
		fprintf(stderr,
			"hermetic: %s is statically linked: LD_PRELOAD cannot "
			"guard it; use --seal\n",
			path);
		return -1;
	case HM_EXEC_SETID:
		fprintf(
		    stderr,
		    "hermetic: %s is setuid/setgid or has file "
		    "capabilities: LD_PRELOAD cannot guard it; use --seal\n",
		    path);
		return -1;
	case HM_EXEC_FOREIGN:
		fprintf(stderr,
			"hermetic: %s is built for another architecture or "
			"word size: LD_PRELOAD cannot guard it; use --seal\n",
			path);
		return -1;
	case HM_EXEC_DYNAMIC:
	case HM_EXEC_UNKNOWN:
	default:
		return 0;
	}
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
 * input), or -1 to let the plain command path run.
 */
static int resolve_python_target(const struct hm_cli_options *o,
				 const char *pysite, uint32_t flags)
{
	const char *t = o->target_argv[0];
	const char *colon = strchr(t, ':');
	char path[PATH_MAX];
	size_t len = strlen(t);
	int r;

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

int hm_cli_launch(const struct hm_cli_options *o)
{
	char exe[PATH_MAX], dir[PATH_MAX], shim[PATH_MAX], pysite[PATH_MAX];
	char target[PATH_MAX], *policy = NULL;
	uint32_t flags = 0;
	int r, have_pysite;

	if (find_self(exe, dir))
		return HM_EXIT_USAGE;
	if (find_near(dir, shim_paths, S_IFREG, shim)) {
		fprintf(stderr,
			"hermetic: cannot find libhermetic.so next to %s\n",
			exe);
		return HM_EXIT_USAGE;
	}
	/* The Python bootstrap is optional: a build without Python. */
	have_pysite =
	    !find_near(dir, pysite_paths, S_IFDIR, pysite) && canonical(pysite);
	if (set_policy(&o->policy, &flags, &policy) ||
	    set_child_env(shim, have_pysite ? pysite : NULL, policy, flags))
		return HM_EXIT_USAGE;

	r = resolve_python_target(o, have_pysite ? pysite : NULL, flags);
	if (r >= 0)
		return r;
	r = resolve_target(o->target_argv[0], target, 0);
	if (r)
		return r;
	if (check_guardable(target, flags))
		return HM_EXIT_USAGE;
	/*
	 * The launcher itself is not preloaded, so this exec is always
	 * allowed; --no-subprocess applies to what the target starts.
	 */
	return exec_target(target, o->target_argv, o->target_argc, flags);
}
