/*
 * plug.c - glibc's plugin doors, which load native code without going
 * through dlopen (glibc uses its private __libc_dlopen):
 *  - gconv: iconv_open, and the charset conversions a locale needs, load
 *    modules from GCONV_PATH. glibc reads GCONV_PATH once, when it first
 *    reads its gconv configuration. Under block_native iconv_open,
 *    setlocale and newlocale are refused while GCONV_PATH is set; and
 *    under any guard, while it is not set, setlocale/newlocale/iconv_open
 *    make glibc read the configuration now (one builtin iconv_open), so
 *    a GCONV_PATH set later changes nothing. The launcher and the exec
 *    wrappers drop GCONV_PATH under block_native.
 *  - NSS: __nss_configure_lookup names the modules a database loads
 *    ("libnss_<name>.so.2", and a name with a '/' is a path): refused
 *    under block_native.
 * Refusals fail as each call reports failure, with EACCES: iconv_open
 * (iconv_t)-1, setlocale and newlocale NULL, __nss_configure_lookup -1.
 */
#include <errno.h>
#include <iconv.h>
#include <locale.h>
#include <stdatomic.h>
#include <string.h>

#include "shim.h"

int __nss_configure_lookup(const char *db, const char *line);

#define PLUG_NATIVE (HM_F_BLOCK_NATIVE | HM_F_INVALID)

extern char **environ;

/* GCONV_PATH's value in environ, or NULL (no getenv: it may be wrapped). */
static const char *gconv_path(void)
{
	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, "GCONV_PATH=", 11) == 0)
			return *e + 11;
	return NULL;
}

static atomic_int gconv_primed;

/*
 * Returns -1 (EACCES, traced) if the gconv door is open under
 * block_native; else 0, after making glibc read its gconv configuration
 * with the current (clean) environment once.
 */
static int gconv_gate(const char *api)
{
	uint32_t f = hm_shim_flags();
	const char *p;
	void *cd;

	if (!(f & HM_SHIM_ANY_GUARD))
		return 0;
	p = gconv_path();
	if (p && (f & PLUG_NATIVE)) {
		hm_shim_report(api, "path", p,
			       (f & HM_F_INVALID) ? HM_R_INVALID_POLICY
						  : HM_R_BLOCK_NATIVE);
		errno = EACCES;
		return -1;
	}
	if (!p && !atomic_load_explicit(&gconv_primed, memory_order_relaxed) &&
	    HM_REAL(iconv_open)) {
		int saved = errno;

		/* Both builtin: reads the configuration, loads no module. */
		HM_SHIM_GUARD();
		cd = HM_REAL(iconv_open)("UTF-8", "ISO-8859-1");
		if (cd != (void *)-1)
			iconv_close(cd);
		atomic_store_explicit(&gconv_primed, 1, memory_order_relaxed);
		errno = saved;
	}
	return 0;
}

static iconv_t iconv_open_slow(const char *to, const char *from)
{
	if (gconv_gate("iconv_open") < 0)
		return (iconv_t)-1;
	return HM_REAL(iconv_open)(to, from);
}

static char *setlocale_slow(int cat, const char *name)
{
	if (gconv_gate("setlocale") < 0)
		return NULL;
	return HM_REAL(setlocale)(cat, name);
}

static locale_t newlocale_slow(int mask, const char *name, locale_t base)
{
	if (gconv_gate("newlocale") < 0)
		return (locale_t)0;
	return HM_REAL(newlocale)(mask, name, base);
}

static int __nss_configure_lookup_slow(const char *db, const char *line)
{
	uint32_t f = hm_shim_flags();

	(void)db;
	hm_shim_report("__nss_configure_lookup", "name", line ? line : "",
		       (f & HM_F_INVALID) ? HM_R_INVALID_POLICY
					  : HM_R_BLOCK_NATIVE);
	errno = EACCES;
	return -1;
}

#define HM_TRAMPOLINE_ROWS "sym_plug.def"
#include "trampolines.h"
