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
 *    in_runtime_dynload), under the same path rules.
 * Anything else is denied.
 */
/* True if @path is owned by root and not writable by group or others. */
static int root_owned(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && st.st_uid == 0 &&
	       !(st.st_mode & (S_IWGRP | S_IWOTH));
}

/*
 * True if @path (absolute, normalised) is a trusted-runtime extension
 * module (the core's rule, core/native.c): a listed module's file in the
 * lib-dynload directory of the RUNNING interpreter (derived from the real
 * path of /proc/self/exe), with that directory and the file owned by root
 * and not writable by group or others, so the guarded program cannot
 * have planted them. Checked at each load decision (a stat of each), not
 * cached: the verdict then cannot go stale.
 */
static int in_runtime_dynload(const char *path)
{
	const char *base = strrchr(path, '/') + 1;
	char exe[4096];
	ssize_t k;
	size_t len = (size_t)(base - 1 - path);

	if (!hm_runtime_ext_file(base) || len == 0 || len >= sizeof(exe))
		return 0;
	k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (k <= 0)
		return 0;
	exe[k] = '\0';
	if (!hm_runtime_dynload_dir(exe, path, len))
		return 0;
	memcpy(exe, path, len);
	exe[len] = '\0';
	return root_owned(exe) && root_owned(path);
}

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
	    (in_pkgdir(norm) || in_runtime_dynload(norm)))
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
 * The allow path ends in a tail call (a jmp, checked in the build notes
 * and by objdump): nothing may follow the real call.
 */
HM_EXPORT void *dlopen(const char *file, int mode)
{
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
	return HM_REAL(dlopen)(file, mode);
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
 * Any namespace but the base one is refused while any block is active:
 * LM_ID_NEWLM gets a fresh libc that no preload interposes, and an
 * existing secondary namespace has one too. LM_ID_BASE is judged as
 * dlopen.
 */
HM_EXPORT void *dlmopen(Lmid_t lmid, const char *file, int mode)
{
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
	return HM_REAL(dlmopen)(lmid, file, mode);
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
 * code, e.g. __connect, are caught the same way). RTLD_DEFAULT and
 * RTLD_NEXT are forwarded untouched as tail calls: glibc resolves them
 * from the caller's return address, and a later preload asking for
 * RTLD_NEXT must still get the next object (a remap would loop). The
 * remaining holes (dlvsym, RTLD_NEXT from a plugin) are listed in
 * docs/threat-model.md.
 */
HM_EXPORT void *dlsym(void *handle, const char *name)
{
	if (!hm_shim_enter() || handle == RTLD_DEFAULT || handle == RTLD_NEXT)
		return HM_REAL(dlsym)(handle, name);
	return hm_shim_wrapper_for(HM_REAL(dlsym)(handle, name));
}
