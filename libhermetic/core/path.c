/*
 * path.c - pure path helpers for the filesystem rules: lexical
 * normalisation, '/'-boundary containment, the runtime read allow-list,
 * and write-intent detection from open(2) flags and fopen(3) modes.
 * No I/O, no allocation, no state; async-signal-safe.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>

#include "hermetic/hermetic.h"
#include "internal.h"

/*
 * What the runtime itself must read outside an fs_root: the dynamic
 * loader's cache and libraries, the interpreter's stdlib (under /usr/lib),
 * time zone and locale data, and the harmless character devices. Nothing
 * under /proc: its magic links (/proc/self/root, /proc/self/fd/N) would
 * escape any root.
 */
struct readable {
	const char *path;
	int is_dir; /* 1: the directory and everything below; 0: exact file */
};

/* clang-format off */
static const struct readable runtime_readable[] = {
	{ "/usr/lib",            1 },
	{ "/usr/local/lib",      1 },
	{ "/usr/lib64",          1 },
	{ "/usr/lib32",          1 },
	{ "/lib",                1 },
	{ "/lib64",              1 },
	{ "/lib32",              1 },
	{ "/etc/ld.so.cache",    0 },
	{ "/etc/localtime",      0 },
	{ "/usr/share/zoneinfo", 1 },
	{ "/usr/share/locale",   1 },
	{ "/usr/lib/locale",     1 },
	{ "/usr/share/ca-certificates", 1 },
	{ "/etc/ssl/certs",      1 },
	/*
	 * The default system read set (docs/guards/filesystem.md): what
	 * compilers, git, node and TLS clients read to start. Public system
	 * data only: never /etc/ssl/private, /etc/shadow, /etc/passwd, /root,
	 * /home or another process's /proc.
	 */
	{ "/usr/include",        1 },
	{ "/usr/local/include",  1 },
	{ "/usr/share",          1 },
	{ "/usr/libexec",        1 },
	{ "/etc/ssl/openssl.cnf", 0 },
	{ "/etc/gitconfig",      0 },
	{ "/etc/nsswitch.conf",  0 },
	{ "/dev/null",           0 },
	{ "/dev/zero",           0 },
	{ "/dev/urandom",        0 },
	{ "/dev/random",         0 },
	{ "/dev/tty",            0 },
	/* Not /proc/self/maps: _native attaches through the handshake. */
};
/* clang-format on */

int hm_open_flags_write(int flags)
{
	/* O_RDONLY|O_TRUNC truncates on Linux; O_APPEND counts for parity. */
	if ((flags & O_ACCMODE) != O_RDONLY)
		return 1;
	if (flags & (O_CREAT | O_TRUNC | O_APPEND))
		return 1;
	/* O_TMPFILE includes O_DIRECTORY: test both bits together. */
	return (flags & O_TMPFILE) == O_TMPFILE;
}

int hm_fopen_mode_flags(const char *mode)
{
	int flags;

	if (!mode)
		return -1;
	switch (mode[0]) {
	case 'r':
		flags = O_RDONLY;
		break;
	case 'w':
		flags = O_WRONLY | O_CREAT | O_TRUNC;
		break;
	case 'a':
		flags = O_WRONLY | O_CREAT | O_APPEND;
		break;
	default:
		return -1;
	}
	/*
	 * glibc reads up to six modifier characters after the first and
	 * ignores unknown ones, ',' included: "r,+" opens O_RDWR. Scanning
	 * the whole string (",ccs=" names too) can only report more write
	 * intent than glibc applies, never less.
	 */
	for (const char *c = mode + 1; *c; c++) {
		switch (*c) {
		case '+':
			flags = (flags & ~O_ACCMODE) | O_RDWR;
			break;
		case 'x':
			flags |= O_EXCL;
			break;
		case 'e':
			flags |= O_CLOEXEC;
			break;
		default:
			/* 'b', 't', 'm', 'c' and unknown characters: ignored.
			 */
			break;
		}
	}
	return flags;
}

/* True if @path contains a "." or ".." component. */
static int has_dot_component(const char *path)
{
	const char *c = path;

	while (*c) {
		if (c[0] == '.' && (c == path || c[-1] == '/')) {
			size_t n = (c[1] == '.') ? 2 : 1;

			if (c[n] == '/' || c[n] == '\0')
				return 1;
		}
		c++;
	}
	return 0;
}

int hm_path_under(const char *path, const char *dir)
{
	size_t n;

	if (!path || !dir || path[0] != '/' || dir[0] != '/')
		return 0;
	/*
	 * The inputs should be normalised; if a "." or ".." slipped through,
	 * a string prefix would be a lie ("/root/../etc"), so fail closed.
	 */
	if (has_dot_component(path) || has_dot_component(dir))
		return 0;
	n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 1)
		return 1; /* "/" contains every absolute path */
	if (strncmp(path, dir, n) != 0)
		return 0;
	return path[n] == '\0' || path[n] == '/';
}

int hm_path_is_normal(const char *path)
{
	const char *c;

	if (!path || path[0] != '/')
		return 0;
	if (path[1] == '\0')
		return 1;
	for (c = path; *c; c++) {
		if (c[0] != '/')
			continue;
		/* "//" or a trailing '/' (the root alone was handled above). */
		if (c[1] == '/' || c[1] == '\0')
			return 0;
	}
	return !has_dot_component(path);
}

/*
 * Append the components of @in to the normalised absolute path in
 * @out[0..*len) (always starting with '/'). Components that do not fit
 * are only counted in *@over, so a later ".." can still cancel them: the
 * result is too long only if the final path is.
 */
static void push_components(const char *in, char *out, size_t cap, size_t *len,
			    size_t *over)
{
	const char *c = in;

	while (*c) {
		const char *start;
		size_t n;

		while (*c == '/')
			c++;
		start = c;
		while (*c && *c != '/')
			c++;
		n = (size_t)(c - start);
		if (n == 0 || (n == 1 && start[0] == '.'))
			continue;
		if (n == 2 && start[0] == '.' && start[1] == '.') {
			if (*over) {
				(*over)--;
				continue;
			}
			/* Drop the last component; "/.." stays "/". */
			while (*len > 1 && out[*len - 1] != '/')
				(*len)--;
			if (*len > 1)
				(*len)--;
			continue;
		}
		/* separator (unless at the root) + component + NUL */
		if (*over || *len + (*len > 1) + n + 1 > cap) {
			(*over)++;
			continue;
		}
		if (*len > 1)
			out[(*len)++] = '/';
		memcpy(out + *len, start, n);
		*len += n;
	}
}

int hm_path_normalize(const char *base, const char *in, char *out, size_t cap)
{
	size_t len = 1, over = 0;

	if (!in || !out || in[0] == '\0')
		return -EINVAL;
	if (in[0] != '/' && (!base || base[0] != '/'))
		return -EINVAL;
	if (cap > INT_MAX)
		cap = INT_MAX; /* the length is returned as an int */
	if (cap < 2)
		return -ENAMETOOLONG;
	out[0] = '/';
	if (in[0] != '/')
		push_components(base, out, cap, &len, &over);
	push_components(in, out, cap, &len, &over);
	if (over) {
		/* Never leave a half-built path that a careless caller might
		 * use. */
		out[0] = '\0';
		return -ENAMETOOLONG;
	}
	out[len] = '\0';
	return (int)len;
}

int hm_runtime_readable(const char *path)
{
	size_t i;

	if (!path || path[0] != '/')
		return 0;
	for (i = 0; i < sizeof(runtime_readable) / sizeof(runtime_readable[0]);
	     i++) {
		const struct readable *r = &runtime_readable[i];

		if (r->is_dir ? hm_path_under(path, r->path)
			      : strcmp(path, r->path) == 0)
			return 1;
	}
	return 0;
}

/* Length of the component at @p (up to '/' or the end). */
static size_t comp_len(const char *p)
{
	size_t n = 0;

	while (p[n] && p[n] != '/')
		n++;
	return n;
}

static int all_digits(const char *p, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

/* @p (one component of @n bytes) is @word. */
static int comp_is(const char *p, size_t n, const char *word)
{
	return n == strlen(word) && memcmp(p, word, n) == 0;
}

/* "mem" as the last component, or "map_files" with anything below it. */
static int mem_leaf(const char *p)
{
	size_t n = comp_len(p);

	if (comp_is(p, n, "mem"))
		return p[n] == '\0';
	return comp_is(p, n, "map_files");
}

int hm_path_is_proc_mem(const char *path)
{
	const char *p;
	size_t n;

	if (!path || strncmp(path, "/proc/", 6) != 0)
		return 0;
	p = path + 6;
	n = comp_len(p);
	if (!(comp_is(p, n, "self") || comp_is(p, n, "thread-self") ||
	      all_digits(p, n)) ||
	    p[n] != '/')
		return 0;
	p += n + 1;
	if (mem_leaf(p))
		return 1;
	n = comp_len(p);
	if (!comp_is(p, n, "task") || p[n] != '/')
		return 0;
	p += n + 1;
	n = comp_len(p);
	if (!all_digits(p, n) || p[n] != '/')
		return 0;
	return mem_leaf(p + n + 1);
}
