/*
 * shim.h - shim-internal declarations: the real-symbol table, init and
 * re-entrancy helpers, and the deny/trace funnel shared by the family
 * files (net.c, fs.c, exec.c, dl.c). Never included outside shim/.
 */
#ifndef HERMETIC_SHIM_SHIM_H
#define HERMETIC_SHIM_SHIM_H

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <string.h>
#include <netdb.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <utime.h>
#include <wordexp.h>

#include "hermetic/hermetic.h"
#include "internal.h"

#if !defined(__x86_64__) || defined(__ILP32__)
#error "libhermetic's shim supports x86-64 (LP64) only; see docs/hacking.md"
#endif

#define HM_EXPORT __attribute__((visibility("default")))
#define HM_HIDDEN __attribute__((visibility("hidden")))
#define HM_LIKELY(x) __builtin_expect(!!(x), 1)
#define HM_UNLIKELY(x) __builtin_expect(!!(x), 0)

/*
 * HM_COMPAT_VERSION(name, target, "VER"); at file scope, in the file that
 * defines @target: export a one-jump stub to @target as name@VER, one of
 * glibc's older (non-default) versions of @name, so that a program linked
 * against that version, or dlvsym(h, "name", "VER"), reaches the shim
 * too. @target is the wrapper @name itself when glibc's versions behave
 * alike, or a separate wrapper forwarding to the old real function. A
 * jump keeps the caller's return address (the dl* stubs need it). The
 * default version (name@@V) comes from the generated version script;
 * tests/check_exports.sh fails if any version glibc has is missing.
 * (An alias made with .set would not do: .symver on an equated symbol
 * renames the original and loses name@@V.)
 */
#define HM_COMPAT_VERSION(name, target, ver)                                   \
	__asm__(".pushsection .text\n"                                         \
		".globl hm_v_" #name "\n"                                      \
		".type hm_v_" #name ", @function\n"                            \
		"hm_v_" #name ":\n"                                            \
		"endbr64\n"                                                    \
		"jmp .Lhm_t_" #name "\n"                                       \
		".size hm_v_" #name ", .-hm_v_" #name "\n"                     \
		".set .Lhm_t_" #name ", " #target "\n"                         \
		".symver hm_v_" #name ", " #name "@" ver "\n"                  \
		".popsection\n")

struct file_handle;	/* <fcntl.h>, for open_by_handle_at */
struct __res_state;	/* <resolv.h>: res_state, for the res_n* rows */
struct __locale_struct; /* <locale.h>: locale_t, for newlocale */

/* Real libc entry points, one member per symbols.def row. */
struct hm_real_table {
#define HM_SYM(family, req, ret, name, params) ret(*name) params;
#define HM_REAL_ONLY(req, ret, name, params) ret(*name) params;
#include "symbols.def"
#undef HM_SYM
#undef HM_REAL_ONLY
};

/* Written once by hm_shim_init (under pthread_once), read-only afterwards. */
extern struct hm_real_table hm_real HM_HIDDEN;

/*
 * glibc's older versions of symbols whose behaviour differs from the
 * default version, for the HM_COMPAT_VERSION wrappers that forward to
 * them (dlvsym at init; NULL if this libc lacks them).
 */
struct hm_real_compat_table {
	int (*posix_spawn)(pid_t *, const char *,
			   const posix_spawn_file_actions_t *,
			   const posix_spawnattr_t *, char *const[],
			   char *const[]);
	int (*posix_spawnp)(pid_t *, const char *,
			    const posix_spawn_file_actions_t *,
			    const posix_spawnattr_t *, char *const[],
			    char *const[]);
	/* glob@GLIBC_2.2.5: calls gl_stat where 2.27 calls gl_lstat. */
	int (*glob)(const char *, int, int (*)(const char *, int), glob_t *);
	int (*glob64)(const char *, int, int (*)(const char *, int),
		      glob64_t *);
};
extern struct hm_real_compat_table hm_real_compat HM_HIDDEN;
#define HM_REAL(name) (hm_real.name)

/* Process-wide shim state. Written only by hm_shim_init. */
struct hm_shim_state {
	volatile int ready; /* init finished (the real table is usable) */
	int seg_ok;	    /* the segment exists; if 0 every check denies */
	int log_fd;	    /* private dup of stderr (CLOEXEC), or -1 */
	int debug;	    /* HERMETIC_DEBUG was set at init */
	int quiet;	    /* HERMETIC_QUIET: no first-block lines */
	struct hm_segment seg;
	char self_path[4096]; /* absolute path of libhermetic.so */
	char pysite[4096];    /* HERMETIC_PYSITE at init (absolute) or "" */
	char tmpdir[4096];    /* TMPDIR at init (absolute, normalised) or "" */
	char pkgdir[4096];    /* parent directory of pysite, or "" */
	int audit;	      /* HM_F_AUDIT in the base layer: record, allow */
	char audit_dir[4096]; /* HERMETIC_AUDIT_DIR under audit, or "" */
};
extern struct hm_shim_state hm_shim HM_HIDDEN;

/*
 * Per-thread depth of the shim's own work, raised only by HM_SHIM_GUARD()
 * (never by hand). It is NOT a free pass: a wrapper entered while it is
 * up (a signal handler that interrupted a wrapper, or libc calling one of
 * its own exported names on the shim's behalf) is checked like any call.
 * The shim's own code never calls an exported name except syscall(),
 * which tells its internal callers by return address (sys.c); every other
 * internal call goes through HM_REAL(). The depth is used for two things:
 * before init has finished, a wrapper entered on the initialising thread
 * forwards instead of re-entering pthread_once (which would deadlock); and
 * re-entry deeper than HM_SHIM_MAX_DEPTH aborts the process with a message
 * (fail closed) instead of recursing until the stack overflows.
 * initial-exec: access never calls __tls_get_addr.
 */
extern __thread int hm_inside __attribute__((tls_model("initial-exec")))
HM_HIDDEN;

#define HM_SHIM_MAX_DEPTH 16

/* HM_SHIM_GUARD's helpers; do not call them directly. */
void hm_shim_too_deep(void) HM_HIDDEN __attribute__((noreturn));
static inline int hm_shim_guard_enter(void)
{
	if (HM_UNLIKELY(++hm_inside > HM_SHIM_MAX_DEPTH))
		hm_shim_too_deep();
	return 0;
}
static inline void hm_shim_guard_exit(int *unused)
{
	(void)unused;
	hm_inside--;
}

#define HM_SHIM_GUARD_CAT2(a, b) a##b
#define HM_SHIM_GUARD_CAT(a, b) HM_SHIM_GUARD_CAT2(a, b)
/*
 * HM_SHIM_GUARD(); marks the rest of the enclosing block as the shim's own
 * work: it raises hm_inside and the compiler lowers it again on every
 * exit from the block (return, goto out, break), so a raise cannot be
 * left unpaired. Put it before any goto label of the block (clang refuses
 * a jump into the scope of a cleanup variable). The slow paths use it;
 * the fast path of a trampoline never does.
 */
#define HM_SHIM_GUARD()                                                        \
	__attribute__((cleanup(hm_shim_guard_exit), unused)) int               \
	HM_SHIM_GUARD_CAT(hm_guard_, __LINE__) = hm_shim_guard_enter()

/* Run the one-time init (resolve symbols, map the policy). Idempotent. */
void hm_shim_init(void) HM_HIDDEN;

/*
 * The first thing every trampoline does: makes sure init has run, and
 * returns 1 (the call must be checked). Returns 0 (forward untouched)
 * only on the thread that is running the init, before it has finished:
 * the real table may be incomplete and the policy is not mapped yet.
 * After init a re-entered call is checked like any other (see hm_inside).
 */
static inline int hm_shim_enter(void)
{
	if (HM_UNLIKELY(!hm_shim.ready)) {
		if (hm_inside)
			return 0;
		hm_shim_init();
	}
	return 1;
}

/* The shim's own image (linker-defined bounds); for hm_shim_is_self(). */
extern const char __ehdr_start[] HM_HIDDEN;
extern const char _end[] HM_HIDDEN;

/* True if @p (e.g. a return address) lies in libhermetic.so itself. */
static inline int hm_shim_is_self(const void *p)
{
	return (const char *)p >= __ehdr_start && (const char *)p < _end;
}

/*
 * OR of the flags of every active layer; a cheap fast-path test. Returns
 * HM_F_INVALID plus all block flags when the segment is missing.
 */
uint32_t hm_shim_flags(void) HM_HIDDEN;

/*
 * A pseudo-flag for a trampoline's gate (never set in a policy): the call
 * leaves the fast path whenever any layer exists, guard or not (the exec
 * family must hand every child the policy).
 */
#define HM_SHIM_GATE_LAYERS (1u << 31)

/*
 * The fast-path test of a generated trampoline (trampolines.h): non-zero
 * if a flag of @mask is active. @mask is a constant, so the layer test
 * disappears from every gate that does not name HM_SHIM_GATE_LAYERS.
 */
static inline int hm_shim_gate(uint32_t mask)
{
	if (hm_shim_flags() & mask & ~HM_SHIM_GATE_LAYERS)
		return 1;
	return (mask & HM_SHIM_GATE_LAYERS) &&
	       hm_segment_base_count(&hm_shim.seg) +
		       hm_segment_dyn_count(&hm_shim.seg) >
		   0;
}

/*
 * The fast-path test of most HM_FN_FAST rows (trampolines.h): non-zero if
 * the call is forwarded unchecked (the shim is not active in this thread,
 * or no flag of @mask is active), in that order.
 */
static inline int hm_shim_fast(uint32_t mask)
{
	return !hm_shim_enter() || !hm_shim_gate(mask);
}

/*
 * Every guard, of any layer (the Python-only ones too: tampering with the
 * process's memory would switch off the audit hook that enforces them).
 * Containment rules that protect the policy itself (/proc/<pid>/mem
 * writes, ptrace, process_vm_writev) apply whenever one is set.
 */
#define HM_SHIM_ANY_GUARD                                                      \
	(HM_F_BLOCK_NETWORK | HM_F_BLOCK_SUBPROCESS | HM_F_FS_READONLY |       \
	 HM_F_FS_ROOT | HM_F_BLOCK_NATIVE | HM_F_BLOCK_ENVIRONMENT |           \
	 HM_F_BLOCK_CODE_EXEC | HM_F_BLOCK_INTERP_MUTATION | HM_F_INVALID)

/*
 * fs.c: non-zero if the object open at @fd must not be held open for
 * writing while a guard is active: a procfs "mem" file (/proc/<pid>/mem,
 * /proc/<pid>/task/<tid>/mem, any spelling or mount of procfs) or a
 * procfs object whose name cannot be read. Caller holds hm_inside.
 */
int hm_fs_tamper_fd(int fd) HM_HIDDEN;

/*
 * The shim's exported wrapper for the real libc function at @real, or
 * @real itself if the shim does not wrap it (dlsym remapping, dl.c).
 */
void *hm_shim_wrapper_for(void *real) HM_HIDDEN;

/*
 * resolve.c: fill hm_real, hm_real_compat and the wrapper table (init
 * only; @debug: check against dlsym and say so). Returns the shim's own
 * file name as the loader has it, or NULL if the link map did not say.
 */
const char *hm_shim_resolve(int debug) HM_HIDDEN;

/*
 * Copy @len bytes of caller memory at @src into @dst without ever
 * faulting: an address the caller cannot read fails with -1 and errno
 * EFAULT, as the kernel would have said, instead of a SIGSEGV inside the
 * shim. Costs one process_vm_readv (plus getpid) per call, so use it only
 * on slow paths, where the shim dereferences caller memory anyway. Falls
 * back to a plain copy if the kernel refuses process_vm_readv itself
 * (seccomp, ENOSYS). Async-signal-safe; allocates nothing.
 */
int hm_shim_read_user(void *dst, const void *src, size_t len) HM_HIDDEN;

/*
 * Check that the NULL-terminated string vector @v (argv, envp; NULL is
 * fine) and the first byte of each of its strings are readable. Returns
 * 0, or -1 with errno EFAULT. A few batched process_vm_readv calls; slow
 * paths only. A string that starts readable and runs into an unmapped
 * page is not caught.
 */
int hm_shim_check_strv(char *const *v) HM_HIDDEN;

/*
 * Copy the caller's string @s into @buf (@cap bytes) so that the text the
 * shim checks is the text the real call gets (another thread may change
 * or shorten the caller's buffer meanwhile). Returns 0, or -1 with errno
 * EFAULT (NULL or unreadable, as hm_shim_read_user) or ENAMETOOLONG (what
 * the kernel would say too).
 */
int hm_shim_copy_str(const char *s, char *buf, size_t cap) HM_HIDDEN;

/*
 * fs.c: the verdict for an open of @path (absolute or relative to the
 * cwd; canonicalised in place) with open(2) @oflags, as the open wrappers
 * decide it. exec.c uses it for posix_spawn_file_actions_addopen, whose
 * open happens in the child where no wrapper sees it.
 */
enum hm_reason hm_fs_check_open(char *path, int oflags) HM_HIDDEN;

/*
 * chain.c: open the launch chain if this process is a known wrapper under
 * block_subprocess (called once by init), and whether the chain lets this
 * process start the program at @target (the resolved path; records the
 * first one, later starts must be the same file).
 */
void hm_chain_init(void) HM_HIDDEN;
int hm_chain_allows(const char *target) HM_HIDDEN;
/* chain.c: non-zero if the open chain lets this wrapper fork (fork.c). */
int hm_chain_forks(void) HM_HIDDEN;

/*
 * fork.c: 1 (after tracing, errno EACCES) if starting a new process (fork,
 * vfork, clone without CLONE_THREAD, ...) is refused under the active
 * guards, else 0 with errno kept. @api names the call in the trace. sys.c
 * uses it for syscall(SYS_clone/SYS_clone3).
 */
int hm_fork_refused(const char *api) HM_HIDDEN;

/*
 * net.c: what the resolver answers without a query, read once by
 * hm_net_init (hm_hosts_load) from the shim's init, read-only afterwards
 * (the resolver interposers and, through the handshake, _native).
 */
extern struct hm_hosts hm_net_hosts HM_HIDDEN;
void hm_net_init(void) HM_HIDDEN;

/*
 * proc.c: 1 (after tracing, errno EACCES) if ptrace request @req on @pid
 * is refused under the active guards, else 0. sys.c uses it for
 * syscall(SYS_ptrace, ...), which it must not route to ptrace() (the raw
 * PEEK requests return their word differently).
 */
int hm_proc_ptrace_refused(long req, long pid) HM_HIDDEN;

/*
 * audit.c: append one record of @rq (which would be denied for @why) to
 * the audit directory. Deny path only; allocation-free; keeps errno.
 */
void hm_shim_audit_record(const struct hm_request *rq,
			  enum hm_reason why) HM_HIDDEN;

/*
 * Evaluate @rq against every layer (hm_segment_check, fail closed). */
enum hm_reason hm_shim_check(const struct hm_request *rq) HM_HIDDEN;

/*
 * Report a block: one trace line "[hermetic] blocked <api> <key>=<value>
 * reason=<r>" on the private stderr fd if any layer has HM_F_TRACE.
 * Preserves errno. @key/@value may be NULL.
 */
void hm_shim_report(const char *api, const char *key, const char *value,
		    enum hm_reason r) HM_HIDDEN;

/* Append the decimal form of @v at @p; returns the new end (internal.h). */
static inline char *hm_shim_put_uint(char *p, unsigned int v)
{
	return hm_put_u64(p, v);
}

/*
 * The usual path-family denial: report (trace) @api with path=@path and
 * reason @r, then fail with -1 and errno EACCES.
 */
static inline int hm_shim_deny_path(const char *api, const char *path,
				    enum hm_reason r)
{
	hm_shim_report(api, "path", path, r);
	errno = EACCES;
	return -1;
}

/* Write one "hermetic: ..." diagnostic line (always, not only under trace). */
#define hm_shim_msg(...) hm_log_msg(hm_shim.log_fd, __VA_ARGS__, (char *)0)

/* Debug line, only under HERMETIC_DEBUG. */
#define hm_shim_debug(...)                                                     \
	do {                                                                   \
		if (hm_shim.debug)                                             \
			hm_log_msg(hm_shim.log_fd, "debug: ", __VA_ARGS__,     \
				   (char *)0);                                 \
	} while (0)

#endif /* HERMETIC_SHIM_SHIM_H */
