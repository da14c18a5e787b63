/*
 * exec.c - process-creation interposers: the exec family, posix_spawn*,
 * system and popen are refused under block_subprocess; otherwise every
 * child gets LD_PRELOAD and a snapshot of the effective policy put back
 * into its environment, and targets the shim cannot follow (static,
 * setuid/setgid, file capabilities, another architecture or word size)
 * are refused while a guard is active.
 *
 * Everything on the exec path runs in fork children too, so it is
 * async-signal-safe: system calls, pure helpers and mmap, never malloc.
 * Trace api names are the libc names ("execve", "execvp", "posix_spawn",
 * "system" (system, __libc_system), "popen" (popen, _IO_popen,
 * _IO_proc_open), "wordexp", ...); the key is "path", the program, never
 * argv or environment values (they may hold secrets).
 *
 * No spawn path hands a child the caller's environ implicitly while a
 * layer exists: exec*, posix_spawn*, system and popen build an explicit
 * environment; wordexp and _IO_proc_open, which cannot be re-implemented
 * faithfully, run only while environ already is that environment.
 *
 * The family is three files, each with its sym_*.def rows: exec.c (this
 * one: helpers, the child's environment, the exec family), exec_spawn.c
 * (posix_spawn and its file actions) and exec_shell.c (system, popen,
 * pclose, wordexp; the fork family is in fork.c).
 */
#include "exec_impl.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

/* Is @entry "NAME=..." for the @len-byte @name? */
static int name_is(const char *entry, const char *name, size_t len)
{
	return strncmp(entry, name, len) == 0 && entry[len] == '=';
}

/* The value of the first @name in @env, or NULL. */
static const char *env_value(char *const *env, const char *name)
{
	size_t len = strlen(name);

	for (; env && *env; env++) {
		if (name_is(*env, name, len))
			return *env + len + 1;
	}
	return NULL;
}

static char *put(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

/* The name of descriptor @fd for messages: its path, or "fd:N". */
static void fd_name(int fd, char *out)
{
	char proc[32] = "/proc/self/fd/";
	ssize_t n = -1;

	if (fd >= 0) {
		*hm_shim_put_uint(proc + 14, (unsigned int)fd) = '\0';
		n = readlink(proc, out, PATH_MAX - 1);
	}
	if (n > 0) {
		out[n] = '\0';
		return;
	}
	*hm_shim_put_uint(put(out, "fd:"), fd < 0 ? 0 : (unsigned int)fd) =
	    '\0';
}

/*
 * What execvp(@file) would run, found only to inspect it: @file itself
 * when it holds a '/', else the first executable regular file along PATH
 * (the caller's environ, as glibc does). Returns @out, or NULL when there
 * is none (the real call then fails with the kernel's errno).
 */
const char *search_path(const char *file, char *out)
{
	const char *list = env_value(environ, "PATH"), *e;
	size_t flen = strlen(file), dlen;
	struct stat st;

	if (strchr(file, '/'))
		return file;
	if (!flen)
		return NULL;
	if (!list)
		list = DEFAULT_PATH;
	for (;; list = e + 1) {
		e = strchrnul(list, ':');
		dlen = (size_t)(e - list);
		if (dlen + flen + 2 <= PATH_MAX) {
			char *p = out;

			if (dlen) { /* an empty element is the cwd */
				memcpy(p, list, dlen);
				p[dlen] = '/';
				p += dlen + 1;
			}
			memcpy(p, file, flen + 1);
			if (access(out, X_OK) == 0 && stat(out, &st) == 0 &&
			    S_ISREG(st.st_mode))
				return out;
		}
		if (!*e)
			return NULL;
	}
}

/* ------------------------------------------------------------------ */
/* The child's environment                                             */
/* ------------------------------------------------------------------ */

void release_env(struct child_env *ce)
{
	int saved = errno;

	if (ce->map)
		munmap(ce->map, ce->size);
	if (ce->pol)
		munmap(ce->pol, ce->pol_size);
	/* The child has its copy by now (or the exec failed). */
	if (ce->pol_fd1 > 0)
		close(ce->pol_fd1 - 1);
	ce->pol_fd1 = 0;
	ce->map = NULL;
	ce->pol = NULL;
	ce->envp = NULL;
	errno = saved;
}

static void *map_anon(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Encode this process's effective policy into ce->pol. Returns the length. */
static int snapshot(struct child_env *ce)
{
	int rc = -ENOSPC, tries;

	/* The policy can grow between sizing and encoding: retry. */
	for (tries = 0; tries < 3 && rc == -ENOSPC; tries++) {
		ce->pol_size = hm_segment_snapshot_size(&hm_shim.seg);
		ce->pol = map_anon(ce->pol_size);
		if (!ce->pol)
			return -ENOMEM;
		rc = hm_segment_snapshot(&hm_shim.seg, ce->pol, ce->pol_size);
		if (rc < 0) {
			munmap(ce->pol, ce->pol_size);
			ce->pol = NULL;
		}
	}
	return rc;
}

/*
 * Add to ce->pol (our snapshot, @len bytes of text) the valid layers of
 * the caller's own HERMETIC_POLICY @theirs that we do not already hold:
 * a nested launcher narrowing its target hands its extra layer down this
 * way. Layers are a conjunction, so this can only narrow; text that does
 * not decode adds nothing (our layers are there regardless). Returns the
 * new length, or a negative errno (-E2BIG: too many layers).
 */
static int merge_theirs(struct child_env *ce, int len, const char *theirs)
{
	size_t one = sizeof(struct hm_policy), na = 0, nb = 0, i, j, size;
	size_t added = 0;
	struct hm_policy *a, *b;
	char *text;
	int rc;

	if (!theirs || !*theirs || strcmp(theirs, ce->pol) == 0)
		return len;
	a = map_anon(2 * HM_MAX_BASE * one);
	if (!a)
		return -ENOMEM;
	/* Full layers of address space, touched only where used. */
	madvise(a, 2 * HM_MAX_BASE * one, MADV_NOHUGEPAGE);
	b = a + HM_MAX_BASE;
	rc = len ? hm_wire_decode(ce->pol, a, HM_MAX_BASE, &na) : 0;
	if (rc == 0 && hm_policy_env_decode(theirs, b, HM_MAX_BASE, &nb) < 0)
		nb = 0;
	for (j = 0; rc == 0 && j < nb; j++) {
		for (i = 0; i < na && !hm_policy_equal(&a[i], &b[j]); i++)
			;
		if (i < na)
			continue; /* conjunction is idempotent */
		if (na == HM_MAX_BASE) {
			rc = -E2BIG;
		} else {
			hm_policy_copy(&a[na++], &b[j]);
			added++;
		}
	}
	if (rc == 0 && added) {
		size = hm_wire_encoded_size(a, na);
		text = map_anon(size);
		rc = text ? hm_wire_encode(a, na, text, size) : -ENOMEM;
		if (rc >= 0) {
			munmap(ce->pol, ce->pol_size);
			ce->pol = text;
			ce->pol_size = size;
			len = rc;
		} else if (text) {
			munmap(text, size);
		}
	}
	munmap(a, 2 * HM_MAX_BASE * one);
	return rc < 0 ? rc : len;
}

/* Whether block_native (or an invalid policy) is in force. */
static int native_blocked(void)
{
	return !!(hm_shim_flags() & (HM_F_BLOCK_NATIVE | HM_F_INVALID));
}

/* A network guard: the resolver-steering variables do not reach a child. */
static int network_blocked(void)
{
	return !!(hm_shim_flags() & (HM_F_BLOCK_NETWORK | HM_F_INVALID));
}

/*
 * Build the child's environment from @src (NULL = empty) with the core's
 * builder (hm_childenv_build, shared with the launcher): the effective
 * policy (snapshot, merged with the caller's own layers; in a memfd when
 * longer than HM_ENV_INLINE_MAX), the shim and the Python bootstrap put
 * back whatever the caller passed. Returns 0, -ENOENT (shim path unknown),
 * -ENOMEM, -E2BIG (too many layers to hand down) or -EINVAL.
 * The buffers are mmap'd, never malloc'd (fork children call this). In a
 * CLONE_VM child (a real vfork by other code) a successful exec leaves
 * them mapped in the parent: a few pages per such exec, accepted.
 */
static int build_env(char *const *src, struct child_env *ce)
{
	struct hm_childenv spec = {.preload = hm_shim.self_path,
				   .pysite = hm_shim.pysite,
				   .audit_dir = hm_shim.audit_dir};
	int len;

	if (!hm_shim.self_path[0])
		return -ENOENT;
	/*
	 * Under block_native a child must not get native code by other
	 * means than dlopen either: extra LD_PRELOAD entries and GCONV_PATH
	 * (iconv_open loads modules from it) are dropped.
	 */
	spec.native = native_blocked();
	spec.network = network_blocked();
	ce->pol_fd1 = 0;
	len = snapshot(ce);
	if (len >= 0)
		len = merge_theirs(ce, len, env_value(src, HM_ENV_POLICY));
	if (len < 0) {
		release_env(ce);
		return len == -E2BIG || len == -ENOMEM ? len : -EINVAL;
	}
	/*
	 * One environment string holds at most 128 KiB: a longer policy goes
	 * into a sealed memfd the child inherits, named by the variable.
	 */
	if ((size_t)len > HM_ENV_INLINE_MAX) {
		int fd = hm_policy_memfd(ce->pol, (size_t)len, ce->pol_ref,
					 sizeof(ce->pol_ref));

		if (fd < 0) {
			release_env(ce);
			return fd == -ENOMEM ? fd : -EINVAL;
		}
		ce->pol_fd1 = fd + 1;
	}
	/* 0: every layer went away, nothing to pass. */
	spec.policy = len == 0 ? NULL : ce->pol_fd1 ? ce->pol_ref : ce->pol;
	ce->size = hm_childenv_size(src, &spec);
	ce->map = map_anon(ce->size);
	if (!ce->map) {
		release_env(ce);
		return -ENOMEM;
	}
	ce->envp = hm_childenv_build(src, &spec, ce->map, ce->size);
	if (!ce->envp) {
		release_env(ce);
		return -EINVAL;
	}
	return 0;
}

/*
 * Classify the exec target: descriptor @ifd if >= 0, else @ipath (NULL:
 * nothing known). A descriptor that cannot be read (O_PATH, as fexecve
 * accepts) is re-opened through /proc/self/fd, where an execute-only
 * file shows as HM_EXEC_OPAQUE. Caller runs under HM_SHIM_GUARD.
 */
static enum hm_exec_kind inspect_target(const char *ipath, int ifd)
{
	char proc[32] = "/proc/self/fd/";
	enum hm_exec_kind kind = HM_EXEC_UNKNOWN;

	if (ifd >= 0) {
		kind = hm_exec_inspect_fd(ifd);
		if (kind != HM_EXEC_UNKNOWN)
			return kind;
		*hm_shim_put_uint(proc + 14, (unsigned int)ifd) = '\0';
		ipath = proc;
	}
	if (!ipath)
		return kind;
	return hm_exec_inspect_path(ipath);
}

/*
 * The common decision for every way of starting a program.
 * @shown: the program as the caller named it (trace, messages);
 * @ipath / @ifd: what to inspect (NULL / -1: nothing known, the kernel
 * decides); @env: the environment the child would get.
 * Returns 0 with ce->envp set (forward with it) or NULL (no layer at all:
 * forward untouched), or -1 with errno EACCES after reporting.
 */
int exec_gate(const char *api, const char *shown, const char *ipath, int ifd,
	      char *const *env, struct child_env *ce)
{
	uint32_t f = hm_shim_flags();
	enum hm_exec_kind kind = HM_EXEC_UNKNOWN;
	const char *named = ipath ? ipath : shown, *why;
	int saved = errno, rc;

	ce->map = NULL;
	ce->pol = NULL;
	ce->envp = NULL;
	ce->size = ce->pol_size = 0;
	ce->pol_fd1 = 0;
	/*
	 * The launch chain (chain.c): a known wrapper starts its command.
	 * Never the shell of system/popen, which runs a command line.
	 */
	if ((f & BLOCK_FLAGS) == HM_F_BLOCK_SUBPROCESS &&
	    strcmp(api, "system") && strcmp(api, "popen") &&
	    hm_chain_allows(ipath))
		f &= ~(uint32_t)HM_F_BLOCK_SUBPROCESS;
	if (f & BLOCK_FLAGS) {
		struct hm_request rq = {.op = HM_OP_EXEC, .path = shown};
		enum hm_reason r = hm_shim_check(&rq);

		/* Audit mode: recorded by hm_shim_check; run it. */
		if (r == HM_R_NONE && hm_shim.audit && !(f & HM_F_INVALID))
			goto audited;
		/* The flags said "blocked": a racing pop must not allow it. */
		if (r == HM_R_NONE)
			r = (f & HM_F_INVALID) ? HM_R_INVALID_POLICY
					       : HM_R_NO_SUBPROCESS;
		return hm_shim_deny_path(api, shown, r);
	}
audited:
	if (hm_segment_base_count(&hm_shim.seg) +
		hm_segment_dyn_count(&hm_shim.seg) ==
	    0)
		return 0;

	HM_SHIM_GUARD();
	/* An unreadable environment: EFAULT, as execve(2) says; no crash. */
	if (hm_shim_check_strv(env) < 0)
		return -1;
	if (f & HM_EXEC_GUARD_FLAGS)
		kind = inspect_target(ipath, ifd);
	/* The one decision and message table, shared with the launcher. */
	why = hm_exec_refusal(f, kind);
	if (why && hm_shim.audit) {
		/* Audit mode: record it; the target runs unguarded. */
		struct hm_request rq = {.op = HM_OP_EXEC, .path = shown};

		hm_shim_audit_record(&rq, HM_R_UNGUARDABLE);
		why = NULL;
	}
	rc = why ? 0 : build_env(env, ce);

	if (why) {
		hm_shim_msg(named, why);
		return hm_shim_deny_path(api, shown, HM_R_UNGUARDABLE);
	}
	if (rc == -E2BIG) {
		hm_shim_msg("cannot hand the policy to ", named,
			    ": too many policy layers");
		return hm_shim_deny_path(api, shown, HM_R_UNGUARDABLE);
	}
	if (rc < 0) {
		hm_shim_msg("cannot build the environment for ", named,
			    rc == -ENOENT   ? ": libhermetic.so not found"
			    : rc == -ENOMEM ? ": out of memory"
					    : ": the policy cannot be encoded");
		return hm_shim_deny_path(api, shown, HM_R_UNGUARDABLE);
	}
	errno = saved;
	return 0;
}

/* Whether @p points into the strings build_env wrote for @ce. */
static int env_added(const struct child_env *ce, const char *p)
{
	uintptr_t lo = (uintptr_t)ce->map, a = (uintptr_t)p;

	return a >= lo && a < lo + ce->size;
}

/*
 * Whether @env already is what build_env made of it (@ce): every entry
 * build_env would drop (hm_childenv_dropped) is, once, one of the entries it
 * added (HERMETIC_POLICY with the exact current snapshot, LD_PRELOAD
 * with the shim, HERMETIC_PYSITE, PYTHONPATH), and all of those are
 * there. Duplicates fail: ld.so and getenv() disagree on which one wins.
 */
static int env_is_built(char *const *env, const struct child_env *ce)
{
	struct hm_childenv spec = {.pysite = hm_shim.pysite,
				   .audit_dir = hm_shim.audit_dir,
				   .native = native_blocked(),
				   .network = network_blocked()};
	const char *added[8];
	size_t n = 0, i;
	unsigned int used = 0;

	for (char *const *p = ce->envp; *p; p++) {
		if (!env_added(ce, *p))
			continue;
		if (n == sizeof(added) / sizeof(added[0]))
			return 0;
		added[n++] = *p;
	}
	for (; env && *env; env++) {
		if (!hm_childenv_dropped(*env, &spec))
			continue;
		for (i = 0; i < n; i++) {
			if (!(used & (1u << i)) && strcmp(added[i], *env) == 0)
				break;
		}
		if (i == n)
			return 0;
		used |= 1u << i;
	}
	return used == (1u << n) - 1;
}

/*
 * The verdict, not yet reported, on a shell that libc starts by itself
 * with environ (wordexp's command substitution, _IO_proc_open): refused
 * under block_subprocess, for an unguardable /bin/sh, and, while any
 * layer exists, unless environ already carries the shim and the exact
 * current policy (env_is_built). A program that unsetenv'd
 * HERMETIC_POLICY or LD_PRELOAD would otherwise hand an unguarded shell
 * to the child. *@why gets a message for a refusal that is not a block.
 */
enum hm_reason implicit_shell(const char **why)
{
	uint32_t f = hm_shim_flags();
	enum hm_exec_kind kind = HM_EXEC_UNKNOWN;
	struct child_env ce = {0};
	int ok = 0;

	*why = NULL;
	if (f & BLOCK_FLAGS) {
		struct hm_request rq = {.op = HM_OP_EXEC, .path = SHELL_PATH};

		/* Audit mode: hm_shim_check records it and says allowed. */
		if (!hm_shim.audit || (f & HM_F_INVALID) ||
		    hm_shim_check(&rq) != HM_R_NONE)
			return (f & HM_F_INVALID) ? HM_R_INVALID_POLICY
						  : HM_R_NO_SUBPROCESS;
	}
	if (hm_segment_base_count(&hm_shim.seg) +
		hm_segment_dyn_count(&hm_shim.seg) ==
	    0)
		return HM_R_NONE;
	HM_SHIM_GUARD();
	if (f & HM_EXEC_GUARD_FLAGS)
		kind = inspect_target(SHELL_PATH, -1);
	*why = hm_exec_refusal(f, kind);
	if (!*why && build_env(environ, &ce) < 0)
		*why = ": cannot build the guarded environment";
	else if (!*why && !(ok = env_is_built(environ, &ce)))
		*why = " would get the program's own environment, which no "
		       "longer carries LD_PRELOAD=libhermetic.so and the "
		       "current " HM_ENV_POLICY;
	release_env(&ce);
	return ok ? HM_R_NONE : HM_R_UNGUARDABLE;
}

/*
 * Report a refusal implicit_shell() decided (@r, @why) for @api. A block
 * goes through the core once more, so the family's counter counts it.
 */
void implicit_shell_report(const char *api, enum hm_reason r, const char *why)
{
	struct hm_request rq = {.op = HM_OP_EXEC, .path = SHELL_PATH};
	enum hm_reason again;

	if (why) {
		hm_shim_msg(api, ": ", SHELL_PATH, why, "; refused");
	} else {
		again = hm_shim_check(&rq);
		if (again != HM_R_NONE)
			r = again;
	}
	hm_shim_report(api, "path", SHELL_PATH, r);
}

/* ------------------------------------------------------------------ */
/* The exec family                                                     */
/* ------------------------------------------------------------------ */

enum exec_kind { X_EXECVE, X_EXECV, X_EXECVP, X_EXECVPE };

static int call_exec(enum exec_kind k, const char *file, char *const argv[],
		     char *const envp[])
{
	switch (k) {
	case X_EXECVE:
		return HM_REAL(execve)(file, argv, envp);
	case X_EXECV:
		return HM_REAL(execv)(file, argv);
	case X_EXECVP:
		return HM_REAL(execvp)(file, argv);
	case X_EXECVPE:
		return HM_REAL(execvpe)(file, argv, envp);
	default:
		errno = ENOSYS;
		return -1;
	}
}

/*
 * The inspected file and the executed one are found by name separately;
 * a file swapped in between is the kernel layer's business (--seal).
 */
static int exec_slow(const char *api, enum exec_kind k, const char *file,
		     char *const argv[], char *const envp[])
{
	char buf[PATH_MAX], found[PATH_MAX];
	int search = k == X_EXECVP || k == X_EXECVPE;
	char *const *env = (k == X_EXECVE || k == X_EXECVPE) ? envp : environ;
	const char *target = buf;
	struct child_env ce;
	int rc;

	if (hm_shim_copy_str(file, buf, PATH_MAX) < 0)
		return -1;
	if (search)
		target = search_path(buf, found);
	if (exec_gate(api, buf, target, -1, env, &ce) < 0)
		return -1;
	if (!ce.envp)
		return call_exec(k, buf, argv, envp);
	if (search)
		rc = HM_REAL(execvpe)(buf, argv, ce.envp);
	else
		rc = HM_REAL(execve)(buf, argv, ce.envp);
	release_env(&ce);
	return rc;
}

static int exec_common(const char *api, enum exec_kind k, const char *file,
		       char *const argv[], char *const envp[])
{
	if (!hm_shim_enter() || !exec_relevant())
		return call_exec(k, file, argv, envp);
	return exec_slow(api, k, file, argv, envp);
}

static int execve_slow(const char *path, char *const argv[], char *const envp[])
{
	return exec_slow("execve", X_EXECVE, path, argv, envp);
}

static int execv_slow(const char *path, char *const argv[])
{
	return exec_slow("execv", X_EXECV, path, argv, NULL);
}

static int execvp_slow(const char *file, char *const argv[])
{
	return exec_slow("execvp", X_EXECVP, file, argv, NULL);
}

static int execvpe_slow(const char *file, char *const argv[],
			char *const envp[])
{
	return exec_slow("execvpe", X_EXECVPE, file, argv, envp);
}

/* The argv of an execl* call: on the stack, or mmap'd when long. */
struct arg_vec {
	char *stack[STACK_ARGS];
	char **v;
	size_t map_size;
};

/* Count @first and the arguments after it up to the NULL. */
static size_t count_args(const char *first, va_list *ap)
{
	size_t n = 0;

	if (!first)
		return 0;
	for (n = 1; n <= MAX_ARGS && va_arg(*ap, char *); n++)
		;
	return n;
}

/*
 * Collect @n arguments (then the terminating NULL) into @av. Never
 * forwards the va_list: the real exec gets a plain argv. Returns 0, or
 * -1 with errno E2BIG/ENOMEM.
 */
static int collect_args(struct arg_vec *av, size_t n, const char *first,
			va_list *ap)
{
	size_t i;

	av->map_size = 0;
	av->v = av->stack;
	if (n > MAX_ARGS) {
		errno = E2BIG;
		return -1;
	}
	if (n + 1 > STACK_ARGS) {
		av->map_size = ((n + 1) * sizeof(char *) + 4095) & ~4095ul;
		av->v = mmap(NULL, av->map_size, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (av->v == MAP_FAILED) {
			errno = ENOMEM;
			return -1;
		}
	}
	for (i = 0; i < n; i++)
		av->v[i] = i ? va_arg(*ap, char *) : (char *)first;
	if (n)
		(void)va_arg(*ap, char *); /* the NULL */
	av->v[n] = NULL;
	return 0;
}

static void free_args(struct arg_vec *av)
{
	int saved = errno;

	if (av->map_size)
		munmap(av->v, av->map_size);
	errno = saved;
}

HM_EXPORT int execl(const char *path, const char *arg, ...)
{
	struct arg_vec av;
	va_list ap;
	size_t n;
	int rc;

	va_start(ap, arg);
	n = count_args(arg, &ap);
	va_end(ap);
	va_start(ap, arg);
	rc = collect_args(&av, n, arg, &ap);
	va_end(ap);
	if (rc < 0)
		return -1;
	rc = exec_common("execl", X_EXECV, path, av.v, NULL);
	free_args(&av);
	return rc;
}

HM_EXPORT int execle(const char *path, const char *arg, ...)
{
	struct arg_vec av;
	char *const *envp;
	va_list ap;
	size_t n;
	int rc;

	va_start(ap, arg);
	n = count_args(arg, &ap);
	va_end(ap);
	va_start(ap, arg);
	rc = collect_args(&av, n, arg, &ap);
	envp = rc < 0 ? NULL : va_arg(ap, char *const *);
	va_end(ap);
	if (rc < 0)
		return -1;
	rc = exec_common("execle", X_EXECVE, path, av.v, envp);
	free_args(&av);
	return rc;
}

HM_EXPORT int execlp(const char *file, const char *arg, ...)
{
	struct arg_vec av;
	va_list ap;
	size_t n;
	int rc;

	va_start(ap, arg);
	n = count_args(arg, &ap);
	va_end(ap);
	va_start(ap, arg);
	rc = collect_args(&av, n, arg, &ap);
	va_end(ap);
	if (rc < 0)
		return -1;
	rc = exec_common("execlp", X_EXECVP, file, av.v, NULL);
	free_args(&av);
	return rc;
}

static int fexecve_slow(int fd, char *const argv[], char *const envp[])
{
	char shown[PATH_MAX];
	struct child_env ce;
	int rc;

	fd_name(fd, shown);
	if (exec_gate("fexecve", shown, NULL, fd, envp, &ce) < 0)
		return -1;
	rc = HM_REAL(fexecve)(fd, argv, ce.envp ? ce.envp : envp);
	release_env(&ce);
	return rc;
}

/*
 * execveat: inspect through a descriptor of our own (or @dirfd itself
 * with AT_EMPTY_PATH), so a relative name resolves against @dirfd.
 */
static int execveat_slow(int dirfd, const char *path, char *const argv[],
			 char *const envp[], int flags)
{
	char buf[PATH_MAX], shown[PATH_MAX];
	struct child_env ce;
	int ifd, own = 0, rc;

	if (hm_shim_copy_str(path, buf, PATH_MAX) < 0)
		return -1;
	if (buf[0] == '\0' && (flags & AT_EMPTY_PATH)) {
		ifd = dirfd;
		fd_name(dirfd, shown);
	} else {
		ifd = HM_REAL(openat)(
		    dirfd, buf,
		    O_PATH | O_CLOEXEC |
			((flags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0));
		own = ifd >= 0;
		memcpy(shown, buf, strlen(buf) + 1);
	}
	rc = exec_gate("execveat", shown, NULL, ifd, envp, &ce);
	if (own)
		close(ifd);
	if (rc < 0)
		return -1;
	rc = HM_REAL(execveat)(dirfd, buf, argv, ce.envp ? ce.envp : envp,
			       flags);
	release_env(&ce);
	return rc;
}

#define HM_TRAMPOLINE_ROWS "sym_exec.def"
#include "trampolines.h"
