/*
 * shim.h - shim-internal declarations: the real-symbol table, init and
 * re-entrancy helpers, and the deny/trace funnel shared by the family
 * files (net.c, fs.c, exec.c, dl.c). Never included outside shim/.
 */
#ifndef HERMETIC_SHIM_SHIM_H
#define HERMETIC_SHIM_SHIM_H

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <netdb.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <utime.h>

#include "hermetic/hermetic.h"

#define HM_EXPORT __attribute__((visibility("default")))
#define HM_HIDDEN __attribute__((visibility("hidden")))
#define HM_LIKELY(x) __builtin_expect(!!(x), 1)
#define HM_UNLIKELY(x) __builtin_expect(!!(x), 0)

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
	char pkgdir[4096];    /* parent directory of pysite, or "" */
};
extern struct hm_shim_state hm_shim HM_HIDDEN;

/*
 * Per-thread re-entrancy depth: non-zero while the shim itself is working,
 * so a wrapped call made by the shim (or by libc on its behalf) is
 * forwarded untouched. initial-exec: access never calls __tls_get_addr.
 */
extern __thread int hm_inside __attribute__((tls_model("initial-exec")))
HM_HIDDEN;

/* Run the one-time init (resolve symbols, map the policy). Idempotent. */
void hm_shim_init(void) HM_HIDDEN;

/*
 * The first thing every trampoline does. Returns 1 if the call must be
 * checked, 0 if it must be forwarded untouched (the shim itself is
 * working on this thread). Makes sure init has run.
 */
static inline int hm_shim_enter(void)
{
	if (HM_UNLIKELY(!hm_shim.ready))
		hm_shim_init();
	return hm_inside == 0;
}

/*
 * OR of the flags of every active layer; a cheap fast-path test. Returns
 * HM_F_INVALID plus all block flags when the segment is missing.
 */
uint32_t hm_shim_flags(void) HM_HIDDEN;

/*
 * The shim's exported wrapper for the real libc function at @real, or
 * @real itself if the shim does not wrap it (dlsym remapping, dl.c).
 */
void *hm_shim_wrapper_for(void *real) HM_HIDDEN;

/*
 * Copy the caller's string @s into @buf (@cap bytes) so that the text the
 * shim checks is the text the real call gets (another thread may change
 * or shorten the caller's buffer meanwhile). Returns 0, or -1 with errno
 * EFAULT (NULL) or ENAMETOOLONG (what the kernel would say too).
 */
static inline int hm_shim_copy_str(const char *s, char *buf, size_t cap)
{
	size_t n;

	if (!s) {
		errno = EFAULT;
		return -1;
	}
	n = strnlen(s, cap);
	if (n == cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 0;
}

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
/* Evaluate @rq against every layer (hm_segment_check, fail closed). */
enum hm_reason hm_shim_check(const struct hm_request *rq) HM_HIDDEN;

/*
 * Report a block: one trace line "[hermetic] blocked <api> <key>=<value>
 * reason=<r>" on the private stderr fd if any layer has HM_F_TRACE.
 * Preserves errno. @key/@value may be NULL.
 */
void hm_shim_report(const char *api, const char *key, const char *value,
		    enum hm_reason r) HM_HIDDEN;

/* Append the decimal form of @v at @p; returns the new end. */
static inline char *hm_shim_put_uint(char *p, unsigned int v)
{
	char tmp[12];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
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
