/*
 * native_fs.c - hermetic._native: path arguments and the file-system
 * checks (open, the mutation events, /proc/<pid>/mem and environ).
 */
#include "native_int.h"

/* ------------------------------------------------------------------ */
/* Paths                                                               */
/* ------------------------------------------------------------------ */

/*
 * Turn a path argument into bytes (*@out, new reference). Returns 1 for a
 * path, 0 for something that is not one (an int fd, None, an object the
 * real call will reject anyway).
 */
int path_bytes(PyObject *o, PyObject **out)
{
	PyObject *p, *b;

	*out = NULL;
	if (!o || o == Py_None || PyLong_Check(o))
		return 0;
	p = PyOS_FSPath(o);
	if (!p) {
		PyErr_Clear();
		return 0;
	}
	if (PyUnicode_Check(p)) {
		b = PyUnicode_EncodeFSDefault(p);
		Py_DECREF(p);
		if (!b) {
			PyErr_Clear();
			return 0;
		}
	} else if (PyBytes_Check(p)) {
		b = p;
	} else {
		Py_DECREF(p);
		return 0;
	}
	*out = b;
	return 1;
}

/* The path an open fd refers to (absolute), or -1 (pipe, socket, ...). */
static int fd_path(long fd, char *out, size_t cap)
{
	char link[64];
	ssize_t n;

	if (fd < 0 || fd > INT_MAX)
		return -1;
	snprintf(link, sizeof(link), "/proc/self/fd/%ld", fd);
	n = readlink(link, out, cap - 1);
	if (n <= 0 || (size_t)n >= cap - 1)
		return -1;
	out[n] = '\0';
	return out[0] == '/' ? 0 : -1;
}

/*
 * Resolve @in (relative to @dirfd, or the cwd when @dirfd < 0) into an
 * absolute path in @out (PATH_MAX bytes) the way the kernel will see it:
 * symlinks resolved (the last component only if @follow), lexically
 * normalised otherwise. Returns 0, or -1 if it cannot be made absolute.
 */
static int resolve_path(const char *in, long dirfd, int follow, char *out)
{
	char joined[PATH_MAX], parent[PATH_MAX], real[PATH_MAX];
	char *slash, *leaf;
	size_t len;

	if (in[0] == '/') {
		if (strlen(in) >= sizeof(joined))
			return -1;
		strcpy(joined, in);
	} else {
		char base[PATH_MAX];

		if (dirfd >= 0) {
			if (fd_path(dirfd, base, sizeof(base)) < 0)
				return -1;
		} else if (!getcwd(base, sizeof(base))) {
			return -1;
		}
		if ((size_t)snprintf(joined, sizeof(joined), "%s/%s", base,
				     in) >= sizeof(joined))
			return -1;
	}
	if (follow && realpath(joined, real)) {
		strcpy(out, real);
		return 0;
	}
	/* The parent resolved, the last component as written. */
	len = strlen(joined);
	while (len > 1 && joined[len - 1] == '/')
		joined[--len] = '\0';
	slash = strrchr(joined, '/');
	leaf = slash + 1;
	if (slash != joined && *leaf && strcmp(leaf, ".") != 0 &&
	    strcmp(leaf, "..") != 0) {
		memcpy(parent, joined, (size_t)(slash - joined));
		parent[slash - joined] = '\0';
		if (realpath(parent, real) &&
		    (size_t)snprintf(parent, sizeof(parent), "%s/%s",
				     strcmp(real, "/") == 0 ? "" : real,
				     leaf) < sizeof(parent)) {
			strcpy(joined, parent);
		}
	}
	return hm_path_normalize(NULL, joined, out, PATH_MAX) < 0 ? -1 : 0;
}

/* Resolve a path-or-fd argument; *@shown gets the text as passed (new ref). */
static int arg_path(PyObject *o, long dirfd, int follow, char *out,
		    PyObject **shown)
{
	PyObject *b;

	*shown = NULL;
	if (o && PyLong_Check(o)) {
		long fd = PyLong_AsLong(o);

		if (fd == -1 && PyErr_Occurred()) {
			PyErr_Clear();
			return 0;
		}
		if (fd_path(fd, out, PATH_MAX) < 0)
			return 0;
		*shown = PyUnicode_DecodeFSDefault(out);
		if (!*shown)
			PyErr_Clear();
		return 1;
	}
	if (!path_bytes(o, &b))
		return 0;
	if (resolve_path(PyBytes_AS_STRING(b), dirfd, follow, out) < 0) {
		/* Unresolvable: check something that no rule allows. */
		strcpy(out, "/nonexistent/hermetic-unresolvable");
	}
	*shown = PyUnicode_DecodeFSDefault(PyBytes_AS_STRING(b));
	if (!*shown)
		PyErr_Clear();
	Py_DECREF(b);
	return 1;
}

const char *utf8_or(PyObject *s, const char *dflt)
{
	const char *r;

	if (!s || !PyUnicode_Check(s))
		return dflt;
	r = PyUnicode_AsUTF8(s);
	if (!r) {
		PyErr_Clear();
		return dflt;
	}
	return r;
}

/* ------------------------------------------------------------------ */
/* Filesystem                                                          */
/* ------------------------------------------------------------------ */

/*
 * The OS's own refusal, as the shim's fs.c judges it (the same rule in
 * both layers; docs/guards/filesystem.md): a refused write that the OS
 * would have refused for its own reason fails with that reason, so
 * `except FileNotFoundError` / `except FileExistsError` keep working.
 * fstatat is metadata, which the policy does not confine.
 */

/*
 * Raise the OS's own error @e for @path (shown as @shown if set), as the
 * real call would have: FileNotFoundError, FileExistsError, ... Returns -1.
 */
static int raise_own(int e, const char *path, PyObject *shown)
{
	errno = e;
	if (shown)
		PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, shown);
	else
		PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
	return -1;
}

/* The outcome the path argument @k of mutation event @api needs. */
static int mutate_want(const char *api, int k)
{
	if (!strcmp(api, "os.rename") || !strcmp(api, "shutil.move"))
		return k ? HM_OSE_PARENT : HM_OSE_EXIST;
	if (!strcmp(api, "os.link"))
		return k ? HM_OSE_ABSENT | HM_OSE_PARENT : HM_OSE_EXIST;
	if (!strcmp(api, "os.mkdir") || !strcmp(api, "os.symlink") ||
	    !strcmp(api, "os.mkfifo") || !strcmp(api, "os.mknod"))
		return HM_OSE_ABSENT | HM_OSE_PARENT;
	if (!strcmp(api, "os.rmdir"))
		return HM_OSE_EXIST | HM_OSE_NOTDIR;
	if (!strcmp(api, "os.remove"))
		return HM_OSE_EXIST | HM_OSE_ISDIR;
	if (!strcmp(api, "shutil.rmtree") || !strcmp(api, "shutil.chown"))
		return HM_OSE_EXIST;
	if (!strncmp(api, "shutil.", 7))
		return 0; /* copies and archives: the policy's error */
	return HM_OSE_EXIST;
}

static int check_open(PyObject *pathobj, int flags)
{
	char path[PATH_MAX];
	struct hm_request rq = {.op = HM_OP_OPEN};
	struct stat stb;
	PyObject *shown;
	enum hm_reason r;
	int write = hm_open_flags_write(flags);
	uint32_t f = hm_segment_flags(&proc.seg) | atomic_load(&watch_flags);

	/*
	 * Resolving the path costs a readlink per component: skip it when
	 * no layer can refuse this open (a read with no fs_root, a write
	 * with no fs_readonly).
	 */
	if (!(f & HM_F_INVALID) &&
	    !(f & (write ? HM_F_FS_READONLY : HM_F_FS_ROOT)))
		return 0;
	if (!arg_path(pathobj, -1, !(flags & O_NOFOLLOW), path, &shown))
		return 0;
	if (!write && py_runtime_readable(path)) {
		Py_XDECREF(shown);
		return 0;
	}
	rq.path = path;
	rq.flags = flags;
	rq.is_chardev = write && stat(path, &stb) == 0 && S_ISCHR(stb.st_mode);
	r = py_check(&rq);
	if (r == HM_R_NONE) {
		Py_XDECREF(shown);
		return 0;
	}
	if (write && r == HM_R_FS_READONLY) {
		int e = hm_os_own_error(AT_FDCWD, path, !(flags & O_NOFOLLOW),
					hm_os_open_want(flags));

		if (e) {
			raise_own(e, path, shown);
			Py_XDECREF(shown);
			return -1;
		}
	}
	trace("open", "path", utf8_or(shown, path), r);
	if (!shown)
		shown = PyUnicode_DecodeFSDefault(path);
	raise_violation(
	    EXC_FS, "filesystem", shown,
	    PyUnicode_FromFormat(write ? "filesystem readonly: %S"
				       : "read outside sandbox root: %S",
				 shown ? shown : Py_None));
	Py_XDECREF(shown);
	return -1;
}

/* Check one mutated path (argument @k of @api); @api is the trace name. */
static int check_mutate_path_k(const char *api, PyObject *o, long dirfd,
			       int follow, int k)
{
	char path[PATH_MAX];
	struct hm_request rq = {.op = HM_OP_MUTATE};
	PyObject *shown;
	enum hm_reason r;

	if (!arg_path(o, dirfd, follow, path, &shown)) {
		/* An unresolvable fd (pipe, socket) is no file system path. */
		return 0;
	}
	rq.path = path;
	r = py_check(&rq);
	if (r == HM_R_NONE) {
		Py_XDECREF(shown);
		return 0;
	}
	if (r == HM_R_FS_READONLY) {
		int e = hm_os_own_error(AT_FDCWD, path, follow,
					mutate_want(api, k));

		if (e) {
			raise_own(e, path, shown);
			Py_XDECREF(shown);
			return -1;
		}
	}
	trace(api, "path", utf8_or(shown, path), r);
	raise_violation(EXC_FS, "filesystem", shown,
			PyUnicode_FromString("filesystem mutation disabled"));
	Py_XDECREF(shown);
	return -1;
}

int check_mutate_path(const char *api, PyObject *o, long dirfd, int follow)
{
	return check_mutate_path_k(api, o, dirfd, follow, 0);
}

long arg_long(PyObject *args, int i, long dflt)
{
	PyObject *o;
	long v;

	if (i < 0 || i >= PyTuple_GET_SIZE(args))
		return dflt;
	o = PyTuple_GET_ITEM(args, i);
	if (!PyLong_Check(o))
		return dflt;
	v = PyLong_AsLong(o);
	if (v == -1 && PyErr_Occurred()) {
		PyErr_Clear();
		return dflt;
	}
	return v;
}

PyObject *arg_at(PyObject *args, int i)
{
	if (i < 0 || !PyTuple_Check(args) || i >= PyTuple_GET_SIZE(args))
		return NULL;
	return PyTuple_GET_ITEM(args, i);
}

int on_mutation(const struct hook_event *m, PyObject *args)
{
	int k, rc;

	for (k = 0; k < 2; k++) {
		PyObject *o = arg_at(args, m->path[k]);
		long dirfd = arg_long(args, m->dirfd[k], -1);

		if (m->path[k] < 0)
			continue;
		if (o && o != Py_None) {
			if (check_mutate_path_k(m->name, o, dirfd, m->follow,
						k) < 0)
				return -1;
			continue;
		}
		/* shutil.unpack_archive(extract_dir=None): the cwd */
		if (strcmp(m->name, "shutil.unpack_archive") != 0)
			continue;
		o = PyUnicode_FromString(".");
		if (!o)
			return -1;
		rc = check_mutate_path(m->name, o, -1, 0);
		Py_DECREF(o);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/*
 * Whether this process holds a descriptor on a procfs directory (other
 * than the one listing them): a relative "mem" opened with dir_fd= on
 * it reaches process memory, and the open event carries no dir_fd.
 * Fails closed (1) when the descriptors cannot be listed.
 */
static int holds_proc_dir_fd(void)
{
	char link[320], target[PATH_MAX];
	struct dirent *e;
	int found = 0, self;
	ssize_t n;
	DIR *d;

	d = opendir("/proc/self/fd");
	if (!d)
		return 1;
	self = dirfd(d);
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == self)
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strncmp(target, "/proc/", 6) == 0 &&
		    !hm_path_is_proc_mem(target)) {
			struct stat st;

			found = stat(link, &st) == 0 && S_ISDIR(st.st_mode);
		}
	}
	closedir(d);
	return found;
}

/* A relative name a dir_fd on a procfs directory could turn into one. */
static int rel_could_be_proc(const char *rel)
{
	const char *leaf = strrchr(rel, '/');

	leaf = leaf ? leaf + 1 : rel;
	return strcmp(leaf, "mem") == 0 || strcmp(leaf, "environ") == 0 ||
	       strstr(rel, "map_files") != NULL;
}

enum proc_hit { PROC_NONE, PROC_MEM, PROC_ENVIRON };

/* Classify one absolute name (normalised or kernel-resolved). */
static enum proc_hit proc_kind(const char *path)
{
	if (hm_path_is_proc_mem(path) ||
	    strncmp(path, "/memfd:hermetic", 15) == 0)
		return PROC_MEM;
	if (hm_path_is_proc_environ(path))
		return PROC_ENVIRON;
	return PROC_NONE;
}

/*
 * What an open of @in reaches in procfs, judged on the name as given
 * (normalised against the cwd), on what the kernel resolves it to
 * (symlinks, /proc/self/fd/N: an O_PATH open and its link), and, for a
 * relative name the open event cannot place (os.open(..., dir_fd=)
 * carries no dir_fd), on whether a procfs directory descriptor is held.
 * @want_mem / @want_env: which kinds the caller refuses.
 */
static enum proc_hit proc_target(const char *in, int want_mem, int want_env)
{
	char base[PATH_MAX], norm[PATH_MAX], link[64], real[PATH_MAX];
	enum proc_hit k = PROC_NONE;
	struct stat st;
	ssize_t n;
	long fd;

	if (in[0] != '/' && !getcwd(base, sizeof(base)))
		strcpy(base, "/");
	if (hm_path_normalize(base, in, norm, sizeof(norm)) >= 0)
		k = proc_kind(norm);
	else
		strcpy(norm, "/proc");
	/*
	 * Ask the kernel only when the name could lead there: under /proc,
	 * a leaf named like one (a directory symlink to /proc/self), or a
	 * symlink itself (map_files/ and fd/ entries are symlinks too).
	 */
	if (k == PROC_NONE &&
	    (strncmp(norm, "/proc/", 6) == 0 || rel_could_be_proc(norm) ||
	     (lstat(in, &st) == 0 && S_ISLNK(st.st_mode)))) {
		fd = open(in, O_PATH | O_CLOEXEC);
		if (fd >= 0) {
			snprintf(link, sizeof(link), "/proc/self/fd/%ld", fd);
			n = readlink(link, real, sizeof(real) - 1);
			if (n > 0) {
				real[n] = '\0';
				k = proc_kind(real);
			}
			close((int)fd);
		}
	}
	if (k == PROC_NONE && in[0] != '/' && rel_could_be_proc(in) &&
	    holds_proc_dir_fd()) {
		const char *leaf = strrchr(in, '/');

		leaf = leaf ? leaf + 1 : in;
		k = strcmp(leaf, "environ") == 0 ? PROC_ENVIRON : PROC_MEM;
	}
	if ((k == PROC_MEM && !want_mem) || (k == PROC_ENVIRON && !want_env))
		return PROC_NONE;
	return k;
}

/*
 * Writing a process's memory through procfs (/proc/self/mem and its
 * spellings, map_files/, the dynamic segment's memfd) turns every guard
 * off, so a write-intent open of one is refused while any layer is
 * active (issue 8 class 1). Reading a process's environment
 * (/proc/self/environ) is refused under block_environment, like
 * os.environ (a sibling of the fresh posix.environ, issue 8 class 4).
 */
static int check_proc_paths(PyObject *pathobj, int flags, uint32_t f)
{
	int want_mem = hm_open_flags_write(flags);
	int want_env = (f & (HM_F_BLOCK_ENVIRONMENT | HM_F_INVALID)) != 0;
	struct hm_request rq = {.op = HM_OP_ENV};
	PyObject *b = NULL, *shown;
	enum proc_hit k;
	enum hm_reason r = HM_R_UNGUARDABLE;

	if ((!want_mem && !want_env) || !path_bytes(pathobj, &b))
		return 0;
	k = proc_target(PyBytes_AS_STRING(b), want_mem, want_env);
	if (k == PROC_ENVIRON) {
		r = py_check(&rq);
		if (r == HM_R_NONE)
			k = PROC_NONE;
	}
	if (k == PROC_NONE) {
		Py_DECREF(b);
		return 0;
	}
	shown = PyUnicode_DecodeFSDefault(PyBytes_AS_STRING(b));
	if (!shown)
		PyErr_Clear();
	trace("open", "path", PyBytes_AS_STRING(b), r);
	Py_DECREF(b);
	if (k == PROC_ENVIRON)
		raise_violation(EXC_PLAIN, "environment", shown,
				PyUnicode_FromFormat("environment disabled: %S",
						     shown ? shown : Py_None));
	else
		raise_violation(
		    EXC_PLAIN, "interpreter", shown,
		    PyUnicode_FromFormat("process memory write disabled: %S",
					 shown ? shown : Py_None));
	Py_XDECREF(shown);
	return -1;
}

/*
 * Re-opening a descriptor this process already holds by name grants
 * nothing new when it already has the access asked for: the core's rule
 * (hm_os_held_reopen), which the shim's opens use too.
 */
static int held_reopen(PyObject *pathobj, int oflags)
{
	const char *p = utf8_or(pathobj, NULL);

	return p && hm_os_held_reopen(p, oflags);
}

int on_open(PyObject *args, uint32_t f)
{
	PyObject *path = arg_at(args, 0), *mode = arg_at(args, 1);
	long flags = arg_long(args, 2, -1);

	/*
	 * open(fd) / os.fdopen(fd) wraps a descriptor the process already
	 * holds (os.open, memfd_create, socket, pipe): acquiring it was the
	 * gated step, wrapping it is not (the shim agrees: it never sees a
	 * wrap at all).
	 */
	if (path && PyLong_Check(path))
		return 0;
	if (flags == -1) {
		const char *m = utf8_or(mode, "r");

		flags = hm_fopen_mode_flags(m);
		if (flags < 0)
			flags = O_RDWR | O_CREAT;
	}
	if (check_proc_paths(path, (int)flags, f) < 0)
		return -1;
	if (held_reopen(path, (int)flags))
		return 0;
	return (f & FS_FLAGS) ? check_open(path, (int)flags) : 0;
}
