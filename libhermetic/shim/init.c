/*
 * init.c - the shim's one-time initialisation and the check/report funnel
 * every family file uses: resolve the real libc symbols, decode the
 * inherited policy from HERMETIC_POLICY, and create this process's
 * policy segment.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "shim.h"

struct hm_real_table hm_real;
struct hm_real_compat_table hm_real_compat;
/*
 * Trace and diagnostics go to fd 2 at the time of the write, not to a
 * private duplicate made at init: programs sweep descriptors (closefrom,
 * close_range, Python's close_fds) and a recycled private fd would send
 * trace lines into an unrelated file. See docs/hacking.md.
 */
struct hm_shim_state hm_shim; /* .bss: log_fd is set first thing in init */

/*
 * The handshake _native looks up with dlsym(RTLD_DEFAULT,
 * HM_SHIM_HANDSHAKE): the shim's segment and resolver snapshot. The
 * shim's one export that is not a libc name (hermetic.map.in). Constant;
 * what it points to is filled by init before any Python code runs.
 */
HM_EXPORT const struct hm_handshake hermetic_shim_handshake = {
    .magic = HM_HANDSHAKE_MAGIC,
    .size = sizeof(struct hm_handshake),
    .seg = &hm_shim.seg,
    .hosts = &hm_net_hosts,
};
__thread int hm_inside __attribute__((tls_model("initial-exec")));

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

extern char **environ;

/* getenv() without going through anything interposable, for init only. */
static const char *env_lookup(const char *name)
{
	size_t len = strlen(name);

	if (!environ)
		return NULL;
	for (char **e = environ; *e; e++) {
		if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
			return *e + len + 1;
	}
	return NULL;
}

/*
 * Decode the inherited layers and create the segment. An unreadable
 * policy becomes one HM_F_INVALID layer (fail closed) plus a diagnostic.
 */
static void load_policy(void)
{
	const char *text = env_lookup(HM_ENV_POLICY);
	size_t size = sizeof(struct hm_policy) * HM_MAX_BASE;
	struct hm_policy *layers;
	size_t n = 0;
	int rc;

	layers = mmap(NULL, size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (layers == MAP_FAILED) {
		hm_shim_msg("cannot map policy scratch space; failing closed");
		return;
	}
	/*
	 * 32 full layers of address space, of which the decoder touches only
	 * the used bytes: no huge page for the first touch (THP "always").
	 */
	madvise(layers, size, MADV_NOHUGEPAGE);
	if (text && *text) {
		rc = hm_policy_env_decode(text, layers, HM_MAX_BASE, &n);
		hm_policy_env_cloexec(text);
		if (rc < 0) {
			hm_shim_msg("invalid " HM_ENV_POLICY " (",
				    rc == -EPROTO ? hm_wire_error(rc)
						  : strerror(-rc),
				    "); failing closed");
			hm_policy_make_invalid(&layers[0]);
			n = 1;
		}
	} else if (text) {
		hm_shim_msg("empty " HM_ENV_POLICY "; failing closed");
		hm_policy_make_invalid(&layers[0]);
		n = 1;
	}
	/*
	 * Audit mode: only in the outermost layer (hm_policy_env_decode
	 * refuses it elsewhere) and only with a directory to record into;
	 * without one the policy is enforced.
	 */
	if (n >= 1 && (layers[0].flags & HM_F_AUDIT)) {
		const char *dir = env_lookup(HM_ENV_AUDIT_DIR);

		if (dir && dir[0] == '/' &&
		    strlen(dir) < sizeof(hm_shim.audit_dir)) {
			memcpy(hm_shim.audit_dir, dir, strlen(dir) + 1);
			hm_shim.audit = 1;
		} else {
			hm_shim_msg("audit mode without " HM_ENV_AUDIT_DIR
				    "; enforcing the policy");
		}
	}
	rc = hm_segment_create(&hm_shim.seg, layers, n);
	if (rc < 0)
		hm_shim_msg("cannot create the policy segment (", strerror(-rc),
			    "); failing closed");
	else
		hm_shim.seg_ok = 1;
	munmap(layers, size);
}

/* Capture HERMETIC_PYSITE (normalised) and its parent directory. */
static void load_pysite(void)
{
	const char *v = env_lookup(HM_ENV_PYSITE);
	char *slash;

	/* Unset: pysite and pkgdir stay "" (zero since load, pages untouched).
	 */
	if (!v || v[0] != '/')
		return;
	if (hm_path_normalize(NULL, v, hm_shim.pysite, sizeof(hm_shim.pysite)) <
	    0) {
		hm_shim.pysite[0] = '\0';
		return;
	}
	memcpy(hm_shim.pkgdir, hm_shim.pysite, strlen(hm_shim.pysite) + 1);
	slash = strrchr(hm_shim.pkgdir, '/');
	if (slash && slash != hm_shim.pkgdir)
		*slash = '\0';
	else
		hm_shim.pkgdir[0] = '\0';
}

static void init_once_fn(void)
{
	const char *self;
	Dl_info di;

	HM_SHIM_GUARD();
	hm_shim.log_fd = 2;
	hm_shim.debug = env_lookup(HM_ENV_DEBUG) != NULL &&
			*env_lookup(HM_ENV_DEBUG) != '\0';
	/* The real symbols and the wrapper table (resolve.c). */
	self = hm_shim_resolve(hm_shim.debug);
	if (!self && dladdr((void *)hm_shim_init, &di))
		self = di.dli_fname;
	/*
	 * The path children get in LD_PRELOAD. The launcher and the exec
	 * wrappers always preload an absolute path, which only needs a
	 * lexical clean-up; realpath() (a readlink per component, on every
	 * process start) is kept for a relative name.
	 */
	if (!self ||
	    (self[0] == '/' ? hm_path_normalize(NULL, self, hm_shim.self_path,
						sizeof(hm_shim.self_path)) < 0
			    : !realpath(self, hm_shim.self_path)))
		hm_shim.self_path[0] = '\0';
	hm_shim.quiet = env_lookup("HERMETIC_QUIET") != NULL &&
			*env_lookup("HERMETIC_QUIET") != '\0';
	load_pysite();
	/*
	 * tmpfile() under fs_readonly uses it (fs.c, tmpfile_in_tmpdir).
	 * Without one the field stays "" (zero since load): not writing it
	 * keeps its page untouched.
	 */
	if (env_lookup("TMPDIR") && env_lookup("TMPDIR")[0] == '/' &&
	    hm_path_normalize(NULL, env_lookup("TMPDIR"), hm_shim.tmpdir,
			      sizeof(hm_shim.tmpdir)) < 0)
		hm_shim.tmpdir[0] = '\0';
	hm_net_init();
	load_policy();
	hm_chain_init();
	hm_shim_debug("initialised, preload=", hm_shim.self_path);
	hm_shim.ready = 1;
}

/*
 * Read @len bytes at @src into @dst through the kernel. Returns the byte
 * count read (a short count: the rest is unreadable), -1 with EFAULT if
 * nothing is readable, or -2 if the kernel refuses the call itself.
 */
static ssize_t peek(void *dst, const void *src, size_t len)
{
	struct iovec local = {dst, len};
	struct iovec remote = {(void *)src, len};
	ssize_t n;

	n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	if (n < 0 && errno != EFAULT)
		return -2;
	return n;
}

int hm_shim_read_user(void *dst, const void *src, size_t len)
{
	int saved = errno;
	ssize_t n;

	if (len == 0)
		return 0;
	if (!src) {
		errno = EFAULT;
		return -1;
	}
	n = peek(dst, src, len);
	if (n == -2) {
		memcpy(dst, src, len);
		errno = saved;
		return 0;
	}
	if (n != (ssize_t)len) {
		errno = EFAULT;
		return -1;
	}
	errno = saved;
	return 0;
}

int hm_shim_copy_str(const char *s, char *buf, size_t cap)
{
	int saved = errno;
	size_t done = 0, chunk, n;
	ssize_t got;

	if (!s) {
		errno = EFAULT;
		return -1;
	}
	/*
	 * Page by page: a string may end just before an unmapped page, and
	 * the read must not run into it. The first read stops after 256
	 * bytes (most paths are shorter; the kernel copies less); usually
	 * one read.
	 */
	while (done < cap) {
		chunk = 4096 - ((uintptr_t)(s + done) & 4095);
		if (done == 0 && chunk > 256)
			chunk = 256;
		if (chunk > cap - done)
			chunk = cap - done;
		got = peek(buf + done, s + done, chunk);
		if (got == -2)
			goto plain;
		if (got != (ssize_t)chunk) {
			errno = EFAULT;
			return -1;
		}
		n = strnlen(buf + done, chunk);
		if (n < chunk) {
			errno = saved;
			return 0;
		}
		done += chunk;
	}
	errno = ENAMETOOLONG;
	return -1;
plain:
	n = strnlen(s, cap);
	if (n == cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = saved;
	return 0;
}

int hm_shim_check_strv(char *const *v)
{
	enum { CHUNK = 64 };
	char *ptrs[CHUNK], bytes[CHUNK];
	struct iovec local[CHUNK], remote[CHUNK];
	int saved = errno;
	size_t n, i;
	ssize_t got;

	if (!v)
		return 0;
	for (;;) {
		/* Pointers up to the end of the page, at most CHUNK. */
		n = (4096 - ((uintptr_t)v & 4095)) / sizeof(*v);
		if (n == 0 || n > CHUNK)
			n = CHUNK;
		if (hm_shim_read_user(ptrs, v, n * sizeof(*v)) < 0)
			return -1;
		for (i = 0; i < n && ptrs[i]; i++) {
			local[i].iov_base = &bytes[i];
			local[i].iov_len = 1;
			remote[i].iov_base = ptrs[i];
			remote[i].iov_len = 1;
		}
		if (i > 0) {
			got =
			    process_vm_readv(getpid(), local, i, remote, i, 0);
			if (got >= 0 && (size_t)got != i) {
				errno = EFAULT;
				return -1;
			}
			if (got < 0 && errno == EFAULT)
				return -1;
		}
		if (i < n)
			break;
		v += n;
	}
	errno = saved;
	return 0;
}

void hm_shim_too_deep(void)
{
	hm_log_msg(2,
		   "libhermetic: wrappers re-entered more than 16 deep; "
		   "aborting",
		   (char *)0);
	_exit(1);
}

void hm_shim_init(void)
{
	int saved = errno;

	pthread_once(&init_once, init_once_fn);
	errno = saved;
}

__attribute__((constructor)) static void hm_shim_ctor(void)
{
	hm_shim_init();
}

uint32_t hm_shim_flags(void)
{
	if (HM_UNLIKELY(!hm_shim.seg_ok))
		return HM_F_INVALID | HM_F_BLOCK_NETWORK |
		       HM_F_BLOCK_SUBPROCESS | HM_F_FS_READONLY | HM_F_FS_ROOT |
		       HM_F_BLOCK_NATIVE;
	return hm_segment_flags(&hm_shim.seg);
}

enum hm_reason hm_shim_check(const struct hm_request *rq)
{
	enum hm_reason r;

	if (HM_UNLIKELY(!hm_shim.seg_ok))
		return HM_R_INVALID_POLICY;
	r = hm_segment_check(&hm_shim.seg, rq);
	if (HM_UNLIKELY(r != HM_R_NONE) && hm_shim.audit &&
	    r != HM_R_INVALID_POLICY) {
		hm_shim_audit_record(rq, r);
		return HM_R_NONE;
	}
	return r;
}

/*
 * Reasons already shown in this process without --trace (one bit per
 * enum hm_reason). A forked child inherits the set; an exec starts anew.
 */
static atomic_uint shown_reasons;

void hm_shim_report(const char *api, const char *key, const char *value,
		    enum hm_reason r)
{
	unsigned int bit;

	if (hm_shim_flags() & HM_F_TRACE) {
		hm_log_blocked(hm_shim.log_fd, api, key, value, r);
		return;
	}
	/*
	 * Without --trace a block would look like an ordinary failure: show
	 * the first block of each kind (reason) per process, in the trace
	 * format. Lock-free and async-signal-safe. HERMETIC_QUIET silences it.
	 */
	if (hm_shim.quiet || (unsigned int)r >= 32 || r == HM_R_NONE)
		return;
	/* These print their own "hermetic: " diagnostic already. */
	if (r == HM_R_INVALID_POLICY || r == HM_R_UNGUARDABLE)
		return;
	bit = 1u << (unsigned int)r;
	if (atomic_fetch_or(&shown_reasons, bit) & bit)
		return;
	hm_log_blocked(hm_shim.log_fd, api, key, value, r);
}
