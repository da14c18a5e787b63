/*
 * dl.c - interposers for native-code loading: dlopen and dlmopen refuse
 * new code under block_native, and dlerror reports such a refusal. The
 * allow paths are tail calls, because glibc finds the caller's RUNPATH
 * and namespace from the return address.
 */
#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim.h"

/* Every libc-enforced block flag: "a policy is active" for this family. */
#define DL_ANY_BLOCK                                                           \
	(HM_F_BLOCK_NETWORK | HM_F_BLOCK_SUBPROCESS | HM_F_FS_READONLY |       \
	 HM_F_FS_ROOT | HM_F_BLOCK_NATIVE | HM_F_INVALID)

#define DL_PREFIX "hermetic: native code loading blocked: "
#define DL_PREFIX_LEN (sizeof(DL_PREFIX) - 1)

/*
 * Per-thread scratch: DL_PREFIX followed by a copy of the file name.
 * On the allow path the real dlopen gets the copy (path), so no other
 * thread can swap the name between check and load; glibc is done with
 * the name before it runs the new object's constructors, so a nested
 * dlopen from a constructor may reuse the buffer. On the deny path the
 * whole buffer is the dlerror() message, returned once (pending).
 * initial-exec TLS: no __tls_get_addr, no allocation.
 */
struct dl_tls {
	int pending;
	char msg[DL_PREFIX_LEN + 4096];
};
static __thread struct dl_tls dl_tls __attribute__((tls_model("initial-exec")));

/*
 * dl_decide's "denied" answer: a pointer, not an out-parameter, so the
 * trampolines take no local's address (which would add a stack canary).
 */
static const char dl_denied[1];

/* True if @path (absolute, normalised) is directly in the package dir. */
/* True if @path has a ".." component (a symlink could make it go anywhere). */
static int has_dotdot(const char *path)
{
	for (const char *p = path; (p = strstr(p, "..")) != NULL; p += 2)
		if ((p == path || p[-1] == '/') &&
		    (p[2] == '/' || p[2] == '\0'))
			return 1;
	return 0;
}

static int in_pkgdir(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!hm_shim.pkgdir[0] || !slash)
		return 0;
	n = (size_t)(slash - path);
	if (n == 0)
		n = 1; /* a file in "/" */
	return strlen(hm_shim.pkgdir) == n &&
	       memcmp(hm_shim.pkgdir, path, n) == 0;
}

/*
 * Decide a dlopen of @file under block_native (or an invalid policy).
 * Returns the name the real call must get (a stable copy, or NULL for
 * dlopen(NULL)), or dl_denied after reporting and arming dlerror().
 * Kept out of line so the trampolines' own frames hold no array (a stack
 * protector canary would forbid the tail call).
 *
 * Allowed, in order:
 *  - dlopen(NULL) (the main program) and RTLD_NOLOAD probes;
 *  - objects already loaded: a real dlopen(file, RTLD_NOLOAD|RTLD_LAZY)
 *    finds them by name, soname or file identity, whatever search path
 *    the caller would use; the probe handle is closed again;
 *  - files directly in hm_shim.pkgdir, the hermetic package directory
 *    (the parent of HERMETIC_PYSITE), which holds hermetic's own _native
 *    extension: the Python layer must load even when block_native is
 *    inherited. The path is normalised lexically (a relative one against
 *    the current directory) and its directory must equal pkgdir exactly;
 *    subdirectories and names with a ".." component (which a symlink
 *    could send anywhere) are not included. This entry trusts pkgdir's
 *    contents: it must not be writable by the guarded program (an
 *    installed package is not; under fs_readonly nothing is);
 *  - the running Python's own runtime-support extensions (see
 *    hm_runtime_trusted_ext in core/osfs.c), under the same path rules.
 * Anything else is denied.
 */

static __attribute__((noinline)) const char *
dl_decide(const char *file, int mode, const char *api)
{
	char *copy = dl_tls.msg + DL_PREFIX_LEN;
	size_t cap = sizeof(dl_tls.msg) - DL_PREFIX_LEN;
	char norm[4096], cwd[4096];
	struct hm_request rq = {.op = HM_OP_DLOPEN};
	int saved = errno;
	enum hm_reason r;
	void *h;
	size_t n;

	dl_tls.pending = 0;
	if (!file)
		return NULL;
	n = strnlen(file, cap);
	HM_SHIM_GUARD();
	if (n == cap) {
		/* No file name is this long: refuse rather than truncate. */
		r = (hm_shim_flags() & HM_F_INVALID) ? HM_R_INVALID_POLICY
						     : HM_R_BLOCK_NATIVE;
		goto deny;
	}
	memcpy(copy, file, n + 1);
	if (mode & RTLD_NOLOAD)
		goto allow;
	h = HM_REAL(dlopen)(copy, RTLD_NOLOAD | RTLD_LAZY);
	if (h) {
		dlclose(h);
		goto allow;
	}
	if (strchr(copy, '/') && !has_dotdot(copy) &&
	    (copy[0] == '/' || getcwd(cwd, sizeof(cwd))) &&
	    hm_path_normalize(copy[0] == '/' ? NULL : cwd, copy, norm,
			      sizeof(norm)) >= 0 &&
	    (in_pkgdir(norm) || hm_runtime_trusted_ext(norm)))
		goto allow;
	rq.path = copy;
	r = hm_shim_check(&rq);
	if (r == HM_R_NONE)
		goto allow;
deny:
	hm_shim_report(api, "path", n == cap ? file : copy, r);
	if (n == cap) {
		memcpy(copy, file, cap - 4);
		memcpy(copy + cap - 4, "...", 4);
	}
	/* Drop any stale libc error so the message after ours is NULL. */
	(void)HM_REAL(dlerror)();
	memcpy(dl_tls.msg, DL_PREFIX, DL_PREFIX_LEN);
	dl_tls.pending = 1;
	errno = EACCES;
	return dl_denied;
allow:
	errno = saved;
	return copy;
}

/*
 * dlopen, dlmopen, dlsym and dlvsym are entered through the assembly
 * stubs at the end of this file (HM_DL_ENTRY): glibc finds the caller's
 * RUNPATH, namespace and RTLD_NEXT position from its own return address,
 * so the real function must be reached by a jump with the caller's return
 * address still on the stack. A C wrapper only does that when the
 * optimiser emits a sibling call (not at -O0, not with a stack canary);
 * the stub does it always. Each stub saves the argument registers as
 * a[2] = rdi, a[1] = rsi, a[0] = rdx, calls the C filter below (which may
 * rewrite them), restores them and jumps to the function the filter
 * returns, or returns NULL if it returned NULL.
 */
void *hm_dl_filter_dlopen(long *a) HM_HIDDEN;
void *hm_dl_filter_dlmopen(long *a) HM_HIDDEN;
void *hm_dl_filter_dlsym(long *a) HM_HIDDEN;
void *hm_dl_filter_dlvsym(long *a) HM_HIDDEN;

/* dlopen(file = a[2], mode = a[1]). */
void *hm_dl_filter_dlopen(long *a)
{
	const char *file = (const char *)a[2];
	int mode = (int)a[1];
	uint32_t f;

	dl_tls.pending = 0; /* a refusal is reported by the next dlerror only */
	if (hm_shim_enter()) {
		f = hm_shim_flags();
		if (f & DL_ANY_BLOCK) {
			/* A deep-bound object binds libc before the shim. */
			mode &= ~RTLD_DEEPBIND;
			if (f & (HM_F_BLOCK_NATIVE | HM_F_INVALID)) {
				file = dl_decide(file, mode, "dlopen");
				if (file == dl_denied)
					return NULL;
			}
		}
	}
	a[2] = (long)file;
	a[1] = mode;
	return (void *)HM_REAL(dlopen);
}

/*
 * Report and arm dlerror() for a refused namespace: "hermetic: dlmopen
 * outside the base namespace blocked (its libc is not guarded): <file>".
 */
static __attribute__((noinline)) void dl_deny_namespace(const char *file,
							uint32_t f)
{
	static const char pfx[] = "hermetic: dlmopen outside the base "
				  "namespace blocked (its libc is not "
				  "guarded): ";
	enum hm_reason r = (f & HM_F_INVALID)	     ? HM_R_INVALID_POLICY
			   : (f & HM_F_BLOCK_NATIVE) ? HM_R_BLOCK_NATIVE
						     : HM_R_UNGUARDABLE;
	const char *v = file ? file : "(main program)";
	size_t n = strnlen(v, sizeof(dl_tls.msg) - sizeof(pfx));

	HM_SHIM_GUARD();
	hm_shim_report("dlmopen", "path", v, r);
	(void)HM_REAL(dlerror)();
	memcpy(dl_tls.msg, pfx, sizeof(pfx) - 1);
	memcpy(dl_tls.msg + sizeof(pfx) - 1, v, n);
	dl_tls.msg[sizeof(pfx) - 1 + n] = '\0';
	dl_tls.pending = 1;
	errno = EACCES;
}

/*
 * dlmopen(lmid = a[2], file = a[1], mode = a[0]). Any namespace but the
 * base one is refused while any block is active: LM_ID_NEWLM gets a
 * fresh libc that no preload interposes, and an existing secondary
 * namespace has one too. LM_ID_BASE is judged as dlopen.
 */
void *hm_dl_filter_dlmopen(long *a)
{
	Lmid_t lmid = (Lmid_t)a[2];
	const char *file = (const char *)a[1];
	int mode = (int)a[0];
	uint32_t f;

	dl_tls.pending = 0;
	if (hm_shim_enter()) {
		f = hm_shim_flags();
		if (f & DL_ANY_BLOCK) {
			mode &= ~RTLD_DEEPBIND;
			if (lmid != LM_ID_BASE) {
				dl_deny_namespace(file, f);
				return NULL;
			}
			if (f & (HM_F_BLOCK_NATIVE | HM_F_INVALID)) {
				file = dl_decide(file, mode, "dlopen");
				if (file == dl_denied)
					return NULL;
			}
		}
	}
	a[1] = (long)file;
	a[0] = mode;
	return (void *)HM_REAL(dlmopen);
}

/* A pending refusal message is returned once; then libc's own state. */
HM_EXPORT char *dlerror(void)
{
	if (HM_UNLIKELY(dl_tls.pending)) {
		dl_tls.pending = 0;
		return dl_tls.msg;
	}
	if (HM_UNLIKELY(!hm_shim.ready))
		hm_shim_init();
	return HM_REAL(dlerror)();
}

/*
 * dlsym through an explicit handle (ctypes.CDLL("libc.so.6").connect,
 * dlopen("libc.so.6") + dlsym) searches only that object and would hand
 * out libc's own connect/execve/open, skipping every wrapper: such a
 * result is remapped by address to the shim's wrapper (aliases sharing
 * code, e.g. __connect, are caught the same way). dlvsym is treated the
 * same way. RTLD_DEFAULT and RTLD_NEXT are forwarded untouched by the
 * stub's jump: glibc resolves them from the caller's return address, and
 * a later preload asking for RTLD_NEXT must still get the next object (a
 * remap would loop). The remaining hole (RTLD_NEXT from a plugin) is
 * listed in docs/threat-model.md.
 */
static void *dl_sym_explicit(void *handle, const char *name)
{
	return hm_shim_wrapper_for(HM_REAL(dlsym)(handle, name));
}

static void *dl_vsym_explicit(void *handle, const char *name,
			      const char *version)
{
	return hm_shim_wrapper_for(HM_REAL(dlvsym)(handle, name, version));
}

/* dlsym(handle = a[2], name = a[1]). */
void *hm_dl_filter_dlsym(long *a)
{
	void *handle = (void *)a[2];

	if (!hm_shim_enter() || handle == RTLD_DEFAULT || handle == RTLD_NEXT)
		return (void *)HM_REAL(dlsym);
	return (void *)dl_sym_explicit;
}

/* dlvsym(handle = a[2], name = a[1], version = a[0]). */
void *hm_dl_filter_dlvsym(long *a)
{
	void *handle = (void *)a[2];

	if (!hm_shim_enter() || handle == RTLD_DEFAULT || handle == RTLD_NEXT)
		return (void *)HM_REAL(dlvsym);
	return (void *)dl_vsym_explicit;
}

/*
 * One entry stub (see above). endbr64 keeps it a valid indirect-branch
 * target under CET; the CFI lets unwinders and debuggers walk through it.
 */
#define HM_DL_ENTRY(name)                                                      \
	".globl " #name "\n"                                                   \
	".type " #name ", @function\n" #name ":\n"                             \
	".cfi_startproc\n"                                                     \
	"endbr64\n"                                                            \
	"push %rdi\n"                                                          \
	".cfi_adjust_cfa_offset 8\n"                                           \
	"push %rsi\n"                                                          \
	".cfi_adjust_cfa_offset 8\n"                                           \
	"push %rdx\n"                                                          \
	".cfi_adjust_cfa_offset 8\n"                                           \
	"mov %rsp, %rdi\n"                                                     \
	"call hm_dl_filter_" #name "\n"                                        \
	"pop %rdx\n"                                                           \
	".cfi_adjust_cfa_offset -8\n"                                          \
	"pop %rsi\n"                                                           \
	".cfi_adjust_cfa_offset -8\n"                                          \
	"pop %rdi\n"                                                           \
	".cfi_adjust_cfa_offset -8\n"                                          \
	"test %rax, %rax\n"                                                    \
	"jz 1f\n"                                                              \
	"jmp *%rax\n"                                                          \
	"1:\n"                                                                 \
	"ret\n"                                                                \
	".cfi_endproc\n"                                                       \
	".size " #name ", .-" #name "\n"

/* clang-format off */
__asm__(".pushsection .text\n"
	HM_DL_ENTRY(dlopen)
	HM_DL_ENTRY(dlmopen)
	HM_DL_ENTRY(dlsym)
	HM_DL_ENTRY(dlvsym)
	".popsection\n");
/* clang-format on */

/* glibc's older versions of the same functions (libdl before 2.34). */
HM_COMPAT_VERSION(dlopen, dlopen, "GLIBC_2.2.5");
HM_COMPAT_VERSION(dlmopen, dlmopen, "GLIBC_2.3.4");
HM_COMPAT_VERSION(dlsym, dlsym, "GLIBC_2.2.5");
HM_COMPAT_VERSION(dlvsym, dlvsym, "GLIBC_2.2.5");
HM_COMPAT_VERSION(dlerror, dlerror, "GLIBC_2.2.5");
