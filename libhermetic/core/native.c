/*
 * native.c - the trusted-runtime rule for block_native (DESIGN.md
 * section 3, "Native"): which of the interpreter's own lib-dynload
 * extension modules load although block_native refuses new native code.
 * Pure: the file-ownership half of the rule (stat) is done by the
 * callers, the shim's dl.c and pybind/_native.c. No I/O, no allocation,
 * no state; async-signal-safe.
 */
#include <string.h>

#include "hermetic/hermetic.h"
#include "internal.h"

/*
 * CPython's stdlib extension modules that give no capability beyond what
 * the Python layer already guards: codecs, hashes, parsers, accelerators,
 * the event loop, TLS, compression, terminals. A list, not "everything in
 * lib-dynload", so a module added by a later CPython stays refused until
 * someone reads it. Not here, and so refused, because they load or run
 * code the guards do not see:
 *   _ctypes, _ctypes_test      call any native function (FFI)
 *   _testcapi, _testinternalcapi, _testbuffer, _testclinic,
 *   _testimportmultiple, _testmultiphase, _testsinglephase,
 *   _xxtestfuzz, xxlimited, xxlimited_35, xxsubtype
 *                              test modules: raw memory access, audit
 *                              hook and interpreter internals
 *   _xxsubinterpreters, _xxinterpchannels, _interpreters
 *                              run code in a subinterpreter, where the
 *                              Python guards are not installed
 *   _tkinter                   Tcl's "load" command dlopens any library
 * Keep the list sorted (hm_runtime_ext_module does a linear scan).
 */
/* clang-format off */
static const char *const runtime_ext[] = {
	"_asyncio", "_bisect", "_blake2", "_bz2", "_codecs_cn", "_codecs_hk",
	"_codecs_iso2022", "_codecs_jp", "_codecs_kr", "_codecs_tw",
	"_contextvars", "_crypt", "_csv", "_curses", "_curses_panel",
	"_datetime", "_dbm", "_decimal", "_elementtree", "_gdbm", "_hashlib",
	"_heapq", "_json", "_lsprof", "_lzma", "_md5", "_multibytecodec",
	"_multiprocessing", "_opcode", "_pickle", "_posixshmem",
	"_posixsubprocess", "_queue", "_random", "_sha1", "_sha2", "_sha256",
	"_sha3", "_sha512", "_socket", "_sqlite3", "_ssl", "_statistics",
	"_struct", "_typing", "_uuid", "_zoneinfo", "array", "audioop",
	"binascii", "cmath", "fcntl", "grp", "math", "mmap", "nis",
	"ossaudiodev", "pyexpat", "readline", "resource", "select", "spwd",
	"syslog", "termios", "unicodedata", "zlib",
};
/* clang-format on */

int hm_runtime_ext_module(const char *name, size_t len)
{
	size_t i;

	if (!name)
		return 0;
	for (i = 0; i < sizeof(runtime_ext) / sizeof(runtime_ext[0]); i++)
		if (strlen(runtime_ext[i]) == len &&
		    memcmp(runtime_ext[i], name, len) == 0)
			return 1;
	return 0;
}

/*
 * @base is a file name without directory: "<module>.so" or
 * "<module>.<tag>.so" (tag without '/' or further "..").
 */
int hm_runtime_ext_file(const char *base)
{
	const char *dot;
	size_t n;

	if (!base || strchr(base, '/'))
		return 0;
	n = strlen(base);
	if (n < 4 || strcmp(base + n - 3, ".so") != 0)
		return 0;
	dot = strchr(base, '.');
	if (dot == base || strstr(base, ".."))
		return 0;
	return hm_runtime_ext_module(base, (size_t)(dot - base));
}

/*
 * The running interpreter's lib-dynload directory, derived from the
 * real path of its executable: <prefix>/bin/python3.N (any name starting
 * with "python") gives <prefix>/lib/python3.<N>/lib-dynload or
 * <prefix>/lib64/python3.<N>/lib-dynload. @dir is absolute and
 * normalised, @len bytes long (no terminator needed).
 */
int hm_runtime_dynload_dir(const char *exe, const char *dir, size_t len)
{
	static const char tail[] = "/lib-dynload";
	const char *slash, *bin, *d, *end = dir + len;
	size_t plen;

	if (!exe || !dir || exe[0] != '/' || dir[0] != '/')
		return 0;
	slash = strrchr(exe, '/');
	if (strncmp(slash + 1, "python", 6) != 0 || slash == exe)
		return 0;
	bin = slash; /* "/python3.N" */
	for (slash = bin - 1; slash > exe && *slash != '/'; slash--)
		;
	plen = (size_t)(slash - exe); /* 0 for a prefix of "/" */
	if (len < plen || memcmp(dir, exe, plen) != 0)
		return 0;
	d = dir + plen;
	if ((size_t)(end - d) > 15 && memcmp(d, "/lib64/python3.", 15) == 0)
		d += 15;
	else if ((size_t)(end - d) > 13 && memcmp(d, "/lib/python3.", 13) == 0)
		d += 13;
	else
		return 0;
	if (d == end || *d < '0' || *d > '9')
		return 0;
	while (d < end && *d >= '0' && *d <= '9')
		d++;
	return (size_t)(end - d) == sizeof(tail) - 1 &&
	       memcmp(d, tail, sizeof(tail) - 1) == 0;
}
