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
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wordexp.h>

#include "shim.h"

HM_EXPORT pid_t __vfork(void);
/* Exported by glibc (see sym_exec.def) but declared in no public header. */
HM_EXPORT int __libc_system(const char *cmd);
HM_EXPORT FILE *_IO_popen(const char *cmd, const char *mode);
HM_EXPORT FILE *_IO_proc_open(FILE *fp, const char *cmd, const char *mode);

#define SHELL_PATH "/bin/sh"
#define DEFAULT_PATH "/bin:/usr/bin" /* glibc's execvp default */
#define BLOCK_FLAGS (HM_F_BLOCK_SUBPROCESS | HM_F_INVALID)
#define STACK_ARGS 64	      /* execl* argv entries kept on the stack */
#define MAX_ARGS (1u << 21)   /* more than ARG_MAX can carry anyway */
#define POPEN_SLOTS 256	      /* concurrently open popen streams */
#define SLOT_BUSY ((FILE *)1) /* a slot being filled or released */

/* The child's environment, built in an anonymous mapping. */
struct child_env {
	void *map; /* the envp vector and its new strings */
	size_t size;
	char *pol; /* the policy text handed down */
	size_t pol_size;
	char **envp; /* NULL: forward the caller's environment untouched */
};

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

/* Whether an exec must take the slow path (a block, or any layer). */
static int exec_relevant(void)
{
	if (hm_shim_flags() & BLOCK_FLAGS)
		return 1;
	return hm_segment_base_count(&hm_shim.seg) +
		   hm_segment_dyn_count(&hm_shim.seg) >
	       0;
}

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

/*
 * Append to @p each element of @list (split at any of @seps) except
 * @skip, each preceded by ':'. Empty elements are dropped when
 * @drop_empty. The output is at most strlen(@list) + 1 bytes.
 */
static char *put_others(char *p, const char *list, const char *seps,
			const char *skip, int drop_empty)
{
	size_t skiplen = strlen(skip), n;
	const char *e;

	for (;;) {
		e = list + strcspn(list, seps);
		n = (size_t)(e - list);
		if (!(n == skiplen && memcmp(list, skip, n) == 0) &&
		    !(n == 0 && drop_empty)) {
			*p++ = ':';
			memcpy(p, list, n);
			p += n;
		}
		if (!*e)
			return p;
		list = e + 1;
	}
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
static const char *search_path(const char *file, char *out)
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

static void release_env(struct child_env *ce)
{
	int saved = errno;

	if (ce->map)
		munmap(ce->map, ce->size);
	if (ce->pol)
		munmap(ce->pol, ce->pol_size);
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
	b = a + HM_MAX_BASE;
	rc = len ? hm_wire_decode(ce->pol, a, HM_MAX_BASE, &na) : 0;
	if (rc == 0 && hm_wire_decode(theirs, b, HM_MAX_BASE, &nb) < 0)
		nb = 0;
	for (j = 0; rc == 0 && j < nb; j++) {
		for (i = 0; i < na && memcmp(&a[i], &b[j], one) != 0; i++)
			;
		if (i < na)
			continue; /* conjunction is idempotent */
		if (na == HM_MAX_BASE) {
			rc = -E2BIG;
		} else {
			memcpy(&a[na++], &b[j], one);
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

/*
 * Whether build_env drops the entry @e of the caller's environment
 * (@slen: length of the shim's pysite; @native: block_native is on).
 * LD_AUDIT is dropped too: an audit library's la_symbind64 can rebind
 * every interposed name back to libc.
 */
static int env_dropped(const char *e, size_t slen, int native)
{
	return name_is(e, "LD_PRELOAD", 10) || name_is(e, "LD_AUDIT", 8) ||
	       name_is(e, HM_ENV_POLICY, sizeof(HM_ENV_POLICY) - 1) ||
	       name_is(e, HM_ENV_PYSITE, sizeof(HM_ENV_PYSITE) - 1) ||
	       (slen && name_is(e, "PYTHONPATH", 10)) ||
	       (native && name_is(e, "GCONV_PATH", 10));
}

/* Whether block_native (or an invalid policy) is in force. */
static int native_blocked(void)
{
	return !!(hm_shim_flags() & (HM_F_BLOCK_NATIVE | HM_F_INVALID));
}

/*
 * Build the child's environment from @src (NULL = empty): drop every
 * LD_PRELOAD, LD_AUDIT, HERMETIC_POLICY, HERMETIC_PYSITE (and, when the shim
 * has a pysite, PYTHONPATH), then add HERMETIC_POLICY=<snapshot, merged>,
 * HERMETIC_PYSITE and PYTHONPATH=<pysite>[:<old>] first and
 * LD_PRELOAD=<shim>[:<old, without the shim>] last. Order matters against
 * a thread rewriting one of the caller's strings after we looked at it:
 * getenv() (the child's shim, Python) takes the first match and ld.so
 * takes the last LD_PRELOAD. Returns 0, -ENOENT (shim path unknown),
 * -ENOMEM, -E2BIG (too many layers to hand down) or -EINVAL.
 * The buffers are mmap'd, never malloc'd (fork children call this). In a
 * CLONE_VM child (a real vfork by other code) a successful exec leaves
 * them mapped in the parent: a few pages per such exec, accepted.
 */
static int build_env(char *const *src, struct child_env *ce)
{
	static const char k_pre[] = "LD_PRELOAD=";
	static const char k_pol[] = HM_ENV_POLICY "=";
	static const char k_site[] = HM_ENV_PYSITE "=";
	static const char k_pp[] = "PYTHONPATH=";
	const char *self = hm_shim.self_path, *site = hm_shim.pysite;
	const char *old_pre = env_value(src, "LD_PRELOAD");
	const char *old_pp = env_value(src, "PYTHONPATH");
	size_t slen = strlen(site), n = 0, vec, text, k = 0, i;
	/*
	 * Under block_native a child must not get native code by other
	 * means than dlopen either: extra LD_PRELOAD entries and GCONV_PATH
	 * (iconv_open loads modules from it) are dropped.
	 */
	int native = native_blocked();
	char **envp, *t;
	int len;

	if (!self[0])
		return -ENOENT;
	while (src && src[n])
		n++;
	len = snapshot(ce);
	if (len >= 0)
		len = merge_theirs(ce, len, env_value(src, HM_ENV_POLICY));
	if (len < 0) {
		release_env(ce);
		return len == -E2BIG || len == -ENOMEM ? len : -EINVAL;
	}

	vec = (n + 5) * sizeof(char *);
	text = sizeof(k_pol) + (size_t)len + sizeof(k_pre) + strlen(self) +
	       (old_pre ? strlen(old_pre) : 0) + 2;
	if (slen)
		text += sizeof(k_site) + slen + sizeof(k_pp) + slen +
			(old_pp ? strlen(old_pp) : 0) + 2;
	ce->size = vec + text;
	ce->map = map_anon(ce->size);
	if (!ce->map) {
		release_env(ce);
		return -ENOMEM;
	}
	envp = ce->map;
	t = (char *)ce->map + vec;
	if (len > 0) { /* 0: every layer went away, nothing to pass */
		envp[k++] = t;
		t = put(put(t, k_pol), ce->pol);
		*t++ = '\0';
	}
	if (slen) {
		envp[k++] = t;
		t = put(put(t, k_site), site);
		*t++ = '\0';
		envp[k++] = t;
		t = put(put(t, k_pp), site);
		if (old_pp && *old_pp)
			t = put_others(t, old_pp, ":", site, 0);
		*t++ = '\0';
	}
	for (i = 0; i < n; i++) {
		if (env_dropped(src[i], slen, native))
			continue;
		envp[k++] = src[i];
	}
	envp[k++] = t;
	t = put(put(t, k_pre), self);
	if (old_pre && !native)
		t = put_others(t, old_pre, ": ", self, 1);
	*t = '\0';
	envp[k] = NULL;
	ce->envp = envp;
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
static int exec_gate(const char *api, const char *shown, const char *ipath,
		     int ifd, char *const *env, struct child_env *ce)
{
	uint32_t f = hm_shim_flags();
	enum hm_exec_kind kind = HM_EXEC_UNKNOWN;
	const char *named = ipath ? ipath : shown, *why;
	int saved = errno, rc;

	ce->map = NULL;
	ce->pol = NULL;
	ce->envp = NULL;
	ce->size = ce->pol_size = 0;
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

		/* The flags said "blocked": a racing pop must not allow it. */
		if (r == HM_R_NONE)
			r = (f & HM_F_INVALID) ? HM_R_INVALID_POLICY
					       : HM_R_NO_SUBPROCESS;
		return hm_shim_deny_path(api, shown, r);
	}
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
 * build_env would drop (env_dropped) is, once, one of the entries it
 * added (HERMETIC_POLICY with the exact current snapshot, LD_PRELOAD
 * with the shim, HERMETIC_PYSITE, PYTHONPATH), and all of those are
 * there. Duplicates fail: ld.so and getenv() disagree on which one wins.
 */
static int env_is_built(char *const *env, const struct child_env *ce)
{
	const char *added[8];
	size_t n = 0, i, slen = strlen(hm_shim.pysite);
	unsigned int used = 0;
	int native = native_blocked();

	for (char *const *p = ce->envp; *p; p++) {
		if (!env_added(ce, *p))
			continue;
		if (n == sizeof(added) / sizeof(added[0]))
			return 0;
		added[n++] = *p;
	}
	for (; env && *env; env++) {
		if (!env_dropped(*env, slen, native))
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
static enum hm_reason implicit_shell(const char **why)
{
	uint32_t f = hm_shim_flags();
	enum hm_exec_kind kind = HM_EXEC_UNKNOWN;
	struct child_env ce = {0};
	int ok = 0;

	*why = NULL;
	if (f & BLOCK_FLAGS)
		return (f & HM_F_INVALID) ? HM_R_INVALID_POLICY
					  : HM_R_NO_SUBPROCESS;
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
static void implicit_shell_report(const char *api, enum hm_reason r,
				  const char *why)
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

HM_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	return exec_common("execve", X_EXECVE, path, argv, envp);
}

HM_EXPORT int execv(const char *path, char *const argv[])
{
	return exec_common("execv", X_EXECV, path, argv, NULL);
}

HM_EXPORT int execvp(const char *file, char *const argv[])
{
	return exec_common("execvp", X_EXECVP, file, argv, NULL);
}

HM_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	return exec_common("execvpe", X_EXECVPE, file, argv, envp);
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

HM_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	if (!hm_shim_enter() || !exec_relevant())
		return HM_REAL(fexecve)(fd, argv, envp);
	return fexecve_slow(fd, argv, envp);
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

HM_EXPORT int execveat(int dirfd, const char *path, char *const argv[],
		       char *const envp[], int flags)
{
	int check = hm_shim_enter();

	if (!HM_REAL(execveat)) {
		errno = ENOSYS;
		return -1;
	}
	if (!check || !exec_relevant())
		return HM_REAL(execveat)(dirfd, path, argv, envp, flags);
	return execveat_slow(dirfd, path, argv, envp, flags);
}

/* ------------------------------------------------------------------ */
/* posix_spawn                                                         */
/* ------------------------------------------------------------------ */

/* posix_spawn reports failure as its return value; errno is left alone. */
static int spawn_slow(const char *api, int search, pid_t *pid, const char *file,
		      const posix_spawn_file_actions_t *fa,
		      const posix_spawnattr_t *attr, char *const argv[],
		      char *const envp[])
{
	char buf[PATH_MAX], found[PATH_MAX];
	const char *target = buf;
	struct child_env ce;
	int saved = errno, rc;

	if (hm_shim_copy_str(file, buf, PATH_MAX) < 0) {
		rc = errno;
		errno = saved;
		return rc;
	}
	if (search)
		target = search_path(buf, found);
	if (exec_gate(api, buf, target, -1, envp, &ce) < 0) {
		/*
		 * The code is the return value, and errno carries it too:
		 * callers such as Java's ProcessBuilder report errno (it used
		 * to say "error=0").
		 */
		rc = errno;
		return rc;
	}
	if (ce.envp)
		envp = ce.envp;
	if (search)
		rc = HM_REAL(posix_spawnp)(pid, buf, fa, attr, argv, envp);
	else
		rc = HM_REAL(posix_spawn)(pid, buf, fa, attr, argv, envp);
	release_env(&ce);
	errno = saved;
	return rc;
}

HM_EXPORT int posix_spawn(pid_t *pid, const char *path,
			  const posix_spawn_file_actions_t *fa,
			  const posix_spawnattr_t *attr, char *const argv[],
			  char *const envp[])
{
	if (!hm_shim_enter() || !exec_relevant())
		return HM_REAL(posix_spawn)(pid, path, fa, attr, argv, envp);
	return spawn_slow("posix_spawn", 0, pid, path, fa, attr, argv, envp);
}

HM_EXPORT int posix_spawnp(pid_t *pid, const char *file,
			   const posix_spawn_file_actions_t *fa,
			   const posix_spawnattr_t *attr, char *const argv[],
			   char *const envp[])
{
	if (!hm_shim_enter() || !exec_relevant())
		return HM_REAL(posix_spawnp)(pid, file, fa, attr, argv, envp);
	return spawn_slow("posix_spawnp", 1, pid, file, fa, attr, argv, envp);
}

/* Whether a child's open with @oflags falls under an active fs policy. */
static int addopen_relevant(int oflags)
{
	uint32_t f = hm_shim_flags();

	if (HM_LIKELY(!(f & (HM_F_FS_READONLY | HM_F_FS_ROOT | HM_F_INVALID))))
		return 0;
	if (hm_open_flags_write(oflags))
		return f & (HM_F_FS_READONLY | HM_F_INVALID);
	return f & (HM_F_FS_ROOT | HM_F_INVALID);
}

/*
 * The reason to refuse a relative path in a spawn file action (one of
 * addopen_relevant's cases holds): an invalid policy, a write under
 * fs_readonly, else a read under fs_root.
 */
static enum hm_reason addopen_relative_reason(int oflags)
{
	if (hm_shim_flags() & HM_F_INVALID)
		return HM_R_INVALID_POLICY;
	return hm_open_flags_write(oflags) ? HM_R_FS_READONLY : HM_R_FS_ROOT;
}

/*
 * The child performs this open inside glibc, where no wrapper sees it:
 * check it now and hand glibc our checked copy. An absolute path is
 * checked as the open wrappers check it. A relative one is refused
 * (EACCES) whenever the open is relevant, i.e. with write intent under
 * fs_readonly and any relative path under fs_root: the child resolves
 * it against its own working directory at spawn time, which
 * posix_spawn_file_actions_addchdir_np/addfchdir_np (in any order with
 * this action) or a later chdir() in the parent can move away from the
 * directory we would check it against now.
 */
static int addopen_slow(posix_spawn_file_actions_t *fa, int fd,
			const char *path, int oflags, mode_t mode)
{
	char buf[PATH_MAX];
	int saved = errno, rc;
	enum hm_reason r;

	if (hm_shim_copy_str(path, buf, PATH_MAX) < 0) {
		rc = errno == EFAULT ? EINVAL : errno;
		errno = saved;
		return rc;
	}
	HM_SHIM_GUARD();
	if (buf[0] != '/' && buf[0] != '\0')
		r = addopen_relative_reason(oflags);
	else
		r = hm_fs_check_open(buf, oflags);
	if (r != HM_R_NONE) {
		hm_shim_report("posix_spawn_file_actions_addopen", "path", buf,
			       r);
		errno = saved;
		return EACCES;
	}
	errno = saved;
	return HM_REAL(posix_spawn_file_actions_addopen)(fa, fd, buf, oflags,
							 mode);
}

HM_EXPORT int posix_spawn_file_actions_addopen(posix_spawn_file_actions_t *fa,
					       int fd, const char *path,
					       int oflags, mode_t mode)
{
	if (!hm_shim_enter() || !addopen_relevant(oflags))
		return HM_REAL(posix_spawn_file_actions_addopen)(fa, fd, path,
								 oflags, mode);
	return addopen_slow(fa, fd, path, oflags, mode);
}

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

HM_EXPORT int system(const char *cmd)
{
	if (!hm_shim_enter() || !exec_relevant())
		return HM_REAL(system)(cmd);
	return system_slow(cmd);
}

HM_EXPORT int __libc_system(const char *cmd)
{
	int check = hm_shim_enter();

	if (!HM_REAL(__libc_system)) {
		errno = ENOSYS;
		return -1;
	}
	if (!check || !exec_relevant())
		return HM_REAL(__libc_system)(cmd);
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

HM_EXPORT FILE *popen(const char *cmd, const char *mode)
{
	if (!hm_shim_enter() || !exec_relevant())
		return HM_REAL(popen)(cmd, mode);
	return popen_slow(cmd, mode);
}

HM_EXPORT FILE *_IO_popen(const char *cmd, const char *mode)
{
	int check = hm_shim_enter();

	if (!HM_REAL(_IO_popen)) {
		errno = ENOSYS;
		return NULL;
	}
	if (!check || !exec_relevant())
		return HM_REAL(_IO_popen)(cmd, mode);
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
HM_EXPORT FILE *_IO_proc_open(FILE *fp, const char *cmd, const char *mode)
{
	int check = hm_shim_enter(), saved = errno;
	const char *why;
	enum hm_reason r;

	if (!HM_REAL(_IO_proc_open)) {
		errno = ENOSYS;
		return NULL;
	}
	if (!check || !exec_relevant())
		return HM_REAL(_IO_proc_open)(fp, cmd, mode);
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

HM_EXPORT int wordexp(const char *words, wordexp_t *we, int flags)
{
	if (!hm_shim_enter() || (flags & WRDE_NOCMD) || !exec_relevant())
		return HM_REAL(wordexp)(words, we, flags);
	return wordexp_slow(words, we, flags);
}

/* ------------------------------------------------------------------ */
/* vfork                                                               */
/* ------------------------------------------------------------------ */
/*
 * A C function cannot stand in for vfork: its child would return through
 * the parent's stack frame and wreck it (CPython's subprocess crashed,
 * libc-surface.md 0.5). POSIX allows vfork to be a fork, and the child
 * then reaches the exec wrappers like any other. Never refused: a fork
 * starts no new program.
 */
HM_EXPORT pid_t vfork(void)
{
	(void)hm_shim_enter();
	return HM_REAL(fork)();
}

HM_EXPORT pid_t __vfork(void)
{
	(void)hm_shim_enter();
	return HM_REAL(fork)();
}
