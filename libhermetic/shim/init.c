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
struct hm_shim_state hm_shim = {.log_fd = 2};

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
 * libc's dlsym. The shim exports dlsym and dlvsym itself, under glibc's
 * own versions, so neither a plain nor a versioned reference from here
 * can reach libc's: it is looked up in libc.so.6's dynamic symbol table
 * directly (libc_vsym).
 */
static void *(*real_dlsym)(void *, const char *);

struct vsym_query {
	const char *name;
	const char *version;
	void *addr;
};

/* An address field of a dynamic entry; ld.so relocated some, not all. */
static uintptr_t dyn_ptr(const ElfW(Dyn) * d, uintptr_t base)
{
	return d->d_un.d_ptr < base ? d->d_un.d_ptr + base : d->d_un.d_ptr;
}

static uint32_t gnu_hash(const char *s)
{
	uint32_t h = 5381;

	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

/* The version name of symbol index @ndx's version, or NULL. */
static const char *verdef_name(const ElfW(Verdef) * vd, const char *strtab,
			       unsigned int ndx)
{
	for (; vd; vd = vd->vd_next ? (const ElfW(Verdef) *)((const char *)vd +
							     vd->vd_next)
				    : NULL) {
		if (vd->vd_ndx == ndx) {
			const ElfW(Verdaux) *aux = (const ElfW(
			    Verdaux) *)((const char *)vd + vd->vd_aux);
			return strtab + aux->vda_name;
		}
	}
	return NULL;
}

/* dl_iterate_phdr callback: find q->name@q->version in libc.so.6. */
static int vsym_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct vsym_query *q = data;
	const char *n = info->dlpi_name, *slash = n ? strrchr(n, '/') : NULL;
	uintptr_t base = info->dlpi_addr;
	const ElfW(Dyn) *dyn = NULL;
	const ElfW(Sym) *symtab = NULL;
	const char *strtab = NULL;
	const uint32_t *gh = NULL;
	const ElfW(Half) *versym = NULL;
	const ElfW(Verdef) *verdef = NULL;
	const uint32_t *buckets, *chain;
	uint32_t h, i;

	(void)size;
	if (!slash || strcmp(slash, "/libc.so.6") != 0)
		return 0;
	for (int k = 0; k < info->dlpi_phnum; k++)
		if (info->dlpi_phdr[k].p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(base +
						  info->dlpi_phdr[k].p_vaddr);
	for (; dyn && dyn->d_tag != DT_NULL; dyn++) {
		if (dyn->d_tag == DT_SYMTAB)
			symtab = (const ElfW(Sym) *)dyn_ptr(dyn, base);
		else if (dyn->d_tag == DT_STRTAB)
			strtab = (const char *)dyn_ptr(dyn, base);
		else if (dyn->d_tag == DT_GNU_HASH)
			gh = (const uint32_t *)dyn_ptr(dyn, base);
		else if (dyn->d_tag == DT_VERSYM)
			versym = (const ElfW(Half) *)dyn_ptr(dyn, base);
		else if (dyn->d_tag == DT_VERDEF)
			verdef = (const ElfW(Verdef) *)dyn_ptr(dyn, base);
	}
	if (!symtab || !strtab || !gh || !versym || !verdef || gh[0] == 0)
		return 1;
	/* GNU hash: nbuckets, symoffset, bloom words (64-bit), shift. */
	buckets = gh + 4 + gh[2] * (sizeof(ElfW(Addr)) / 4);
	chain = buckets + gh[0];
	h = gnu_hash(q->name);
	for (i = buckets[h % gh[0]]; i >= gh[1]; i++) {
		uint32_t ch = chain[i - gh[1]];
		const ElfW(Sym) *sym = &symtab[i];
		const char *v;

		if ((ch | 1) == (h | 1) && sym->st_shndx != SHN_UNDEF &&
		    strcmp(strtab + sym->st_name, q->name) == 0) {
			v = verdef_name(verdef, strtab, versym[i] & 0x7fff);
			if (v && strcmp(v, q->version) == 0) {
				q->addr = (void *)(base + sym->st_value);
				return 1;
			}
		}
		if (ch & 1)
			break;
	}
	return 1; /* libc.so.6 seen: stop either way */
}

/* libc.so.6's own definition of @name@@/@@version, or NULL. */
static void *libc_vsym(const char *name, const char *version)
{
	struct vsym_query q = {name, version, NULL};

	dl_iterate_phdr(vsym_cb, &q);
	return q.addr;
}

/* One {real, wrapper} pair per HM_SYM row, for hm_shim_wrapper_for(). */
#define HM_SYM(family, req, ret, name, params) +1
#define HM_REAL_ONLY(req, ret, name, params)
enum {
	HM_N_EXPORTS = 0
#include "symbols.def"
};
#undef HM_SYM
#undef HM_REAL_ONLY
static struct {
	void *real;
	void *wrap;
} wraps[HM_N_EXPORTS];

/*
 * The shim's own image, from the linker-defined symbols around it: an
 * address test that costs two compares, where dladdr() scans a whole
 * symbol table (about 150 calls of it made every process start ~2 ms
 * slower; see docs/performance.md).
 */
static int in_self(const void *p)
{
	return hm_shim_is_self(p);
}

static void resolve_one(void **slot, const char *name, int required)
{
	void *p = real_dlsym(RTLD_NEXT, name);

	if (p && in_self(p)) {
		/* A circular reference would make every call recurse. */
		hm_log_msg(2, "libhermetic: ", name,
			   " resolves to the shim itself; aborting", (char *)0);
		_exit(1);
	}
	if (!p && required) {
		hm_log_msg(2, "libhermetic: required libc symbol ", name,
			   " not found; aborting", (char *)0);
		_exit(1);
	}
	*slot = p;
}

static void resolve_all(void)
{
	real_dlsym =
	    (void *(*)(void *, const char *))libc_vsym("dlsym", "GLIBC_2.34");
	if (!real_dlsym)
		real_dlsym = (void *(*)(void *, const char *))libc_vsym(
		    "dlsym", "GLIBC_2.2.5");
	if (!real_dlsym) {
		hm_log_msg(2, "libhermetic: cannot find libc's dlsym; aborting",
			   (char *)0);
		_exit(1);
	}
#define HM_SYM(family, req, ret, name, params)                                 \
	resolve_one((void **)&hm_real.name, #name, req);
#define HM_REAL_ONLY(req, ret, name, params)                                   \
	resolve_one((void **)&hm_real.name, #name, req);
#include "symbols.def"
#undef HM_SYM
#undef HM_REAL_ONLY
	/* Called from the shim, RTLD_NEXT means "after libhermetic.so". */
	hm_real_compat.posix_spawn =
	    (__typeof__(hm_real_compat.posix_spawn))HM_REAL(dlvsym)(
		RTLD_NEXT, "posix_spawn", "GLIBC_2.2.5");
	hm_real_compat.posix_spawnp =
	    (__typeof__(hm_real_compat.posix_spawnp))HM_REAL(dlvsym)(
		RTLD_NEXT, "posix_spawnp", "GLIBC_2.2.5");
	hm_real_compat.glob = (__typeof__(hm_real_compat.glob))HM_REAL(dlvsym)(
	    RTLD_NEXT, "glob", "GLIBC_2.2.5");
	hm_real_compat.glob64 = (__typeof__(hm_real_compat.glob64))HM_REAL(
	    dlvsym)(RTLD_NEXT, "glob64", "GLIBC_2.2.5");
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

	if (!v || v[0] != '/' ||
	    hm_path_normalize(NULL, v, hm_shim.pysite, sizeof(hm_shim.pysite)) <
		0) {
		hm_shim.pysite[0] = '\0';
		return;
	}
	memcpy(hm_shim.pkgdir, hm_shim.pysite, sizeof(hm_shim.pkgdir));
	slash = strrchr(hm_shim.pkgdir, '/');
	if (slash && slash != hm_shim.pkgdir)
		*slash = '\0';
	else
		hm_shim.pkgdir[0] = '\0';
}

/*
 * Pair every real libc entry point with the shim's exported wrapper of
 * the same name, so dlsym through an explicit libc handle can be remapped
 * to the wrapper. The wrapper is found in the global scope (where the
 * preloaded shim comes first) and kept only if it really lies in the
 * shim. Not dlopen(self, RTLD_NOLOAD): when another library's constructor
 * triggers this init before the shim's own constructor ran, that dlopen
 * would run the shim's constructor re-entrantly and deadlock in
 * pthread_once.
 */
static void build_wraps(void)
{
	void *w;
	size_t i = 0;

#define HM_SYM(family, req, ret, name, params)                                 \
	w = real_dlsym(RTLD_DEFAULT, #name);                                   \
	wraps[i].real = (void *)hm_real.name;                                  \
	wraps[i].wrap = w && in_self(w) ? w : NULL;                            \
	i++;
#define HM_REAL_ONLY(req, ret, name, params)
#include "symbols.def"
#undef HM_SYM
#undef HM_REAL_ONLY
}

void *hm_shim_wrapper_for(void *real)
{
	if (!real)
		return real;
	for (size_t i = 0; i < HM_N_EXPORTS; i++)
		if (wraps[i].real == real && wraps[i].wrap)
			return wraps[i].wrap;
	return real;
}

static void init_once_fn(void)
{
	Dl_info di;

	HM_SHIM_GUARD();
	/*
	 * The path children get in LD_PRELOAD. The launcher and the exec
	 * wrappers always preload an absolute path, which only needs a
	 * lexical clean-up; realpath() (a readlink per component, on every
	 * process start) is kept for a relative name.
	 */
	if (!dladdr((void *)hm_shim_init, &di) || !di.dli_fname ||
	    (di.dli_fname[0] == '/'
		 ? hm_path_normalize(NULL, di.dli_fname, hm_shim.self_path,
				     sizeof(hm_shim.self_path)) < 0
		 : !realpath(di.dli_fname, hm_shim.self_path)))
		hm_shim.self_path[0] = '\0';
	resolve_all();
	build_wraps();
	hm_shim.debug = env_lookup(HM_ENV_DEBUG) != NULL &&
			*env_lookup(HM_ENV_DEBUG) != '\0';
	hm_shim.quiet = env_lookup("HERMETIC_QUIET") != NULL &&
			*env_lookup("HERMETIC_QUIET") != '\0';
	load_pysite();
	/* tmpfile() under fs_readonly uses it (fs.c, tmpfile_in_tmpdir). */
	if (!env_lookup("TMPDIR") || env_lookup("TMPDIR")[0] != '/' ||
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
