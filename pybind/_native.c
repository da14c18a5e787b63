/*
 * _native.c - hermetic._native, the Python layer of hermetic: it attaches
 * to this process's policy segment (the shim's, or a private one), pushes
 * and pops hermetic_blocker entries on its dynamic stack, and turns
 * CPython audit events into policy requests from one C audit hook.
 *
 * Size: about 4,200 lines, over the project's 1,000. Issue 7 asks for a
 * split along its concerns (module state and the segment, the audit hook
 * and its event table, the net, fs and import checks, the hidden builtin
 * wrappers, the blocker owner table); it is deferred to the next issue-7
 * step because four branches of this session edited this file in
 * parallel and a move would have conflicted with each of them.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hermetic/hermetic.h"

PyMODINIT_FUNC PyInit__native(void);

/* Every flag that can make a layer deny something at the Python layer. */
#define ACTIVE_FLAGS                                                           \
	(HM_F_BLOCK_NETWORK | HM_F_BLOCK_SUBPROCESS | HM_F_FS_READONLY |       \
	 HM_F_FS_ROOT | HM_F_BLOCK_NATIVE | HM_F_BLOCK_ENVIRONMENT |           \
	 HM_F_BLOCK_CODE_EXEC | HM_F_BLOCK_INTERP_MUTATION | HM_F_INVALID)

/* Flags a hermetic_blocker entry may carry (push validates against it). */
#define PUSH_FLAGS                                                             \
	(HM_F_BLOCK_NETWORK | HM_F_ALLOW_LOCALHOST | HM_F_BLOCK_SUBPROCESS |   \
	 HM_F_FS_READONLY | HM_F_BLOCK_NATIVE | HM_F_BLOCK_ENVIRONMENT |       \
	 HM_F_BLOCK_CODE_EXEC | HM_F_BLOCK_INTERP_MUTATION | HM_F_TRACE)

#define FS_FLAGS HM_GATE_FS
#define NET_FLAGS HM_GATE_NET

/*
 * Process-level state: one segment per process, whatever number of
 * interpreters or module objects load this extension. Written under
 * @lock (and only by this file); the audit hook reads it lock-free.
 */
struct proc_state {
	pthread_mutex_t lock;
	int ready;    /* seg is usable */
	int attached; /* seg is the shim's: the libc layer is live */
	int hook;     /* the audit hook is installed */
	int atfork;   /* pthread_atfork handlers registered */
	int audit;    /* the launcher's --audit: record, do not raise */
	char audit_dir[PATH_MAX]; /* HERMETIC_AUDIT_DIR under audit */
	struct hm_segment seg;
	/* What the resolver answers without a query: the shim's snapshot
	 * (through the handshake) or, without the shim, own_hosts. */
	const struct hm_hosts *hosts;
	/* Layers (base + dynamic) carrying deny_imports entries. */
	_Atomic uint32_t n_import_layers;
	uint32_t import_ids[HM_MAX_DYN];
	uint32_t n_import_ids;
	/* realpath of this package's directory, and of the stdlib. */
	char pkgdir[PATH_MAX];
	char stdlib[PATH_MAX];
	/* The stdlib directory as os.__file__ spells it (code filenames). */
	char stdlib_raw[PATH_MAX];
};

static struct proc_state proc = {.lock = PTHREAD_MUTEX_INITIALIZER};
static struct hm_hosts own_hosts;

/* Non-zero while this thread runs the audit hook (no re-entry). */
static _Thread_local int in_hook;
/* Set by the eval/exec/compile wrappers: the name the user called. */
static _Thread_local const char *code_label;
/* Set by the compile wrapper for compile(..., flags=PyCF_ONLY_AST). */
static _Thread_local int code_ast_only;

/* Per-module-object state (one per interpreter that imported us). */
struct mod_state {
	PyObject *policy_violation;
	PyObject *import_blocked;
	PyObject *native_import_blocked;
	PyObject *fs_blocked;
	PyObject *socket_blocked;
	PyObject *orig_import;
	PyObject *orig_eval;
	PyObject *orig_exec;
	PyObject *orig_compile;
	PyObject *orig_fork_exec;
	PyObject *orig_getaddrinfo;
	PyObject *orig_gethostbyname;
	PyObject *orig_gethostbyname_ex;
	PyObject *orig_getnameinfo;
	PyObject *env_data;
};

static struct PyModuleDef native_def;

enum exc_kind { EXC_PLAIN, EXC_IMPORT, EXC_NATIVE_IMPORT, EXC_FS, EXC_SOCKET };

/* ------------------------------------------------------------------ */
/* Process state                                                       */
/* ------------------------------------------------------------------ */

static void atfork_prepare(void)
{
	pthread_mutex_lock(&proc.lock);
}

static void atfork_release(void)
{
	pthread_mutex_unlock(&proc.lock);
}

static int policy_has_imports(const struct hm_policy *p)
{
	return p && p->n_imports > 0;
}

/*
 * Decode HERMETIC_POLICY into @layers. An unreadable or empty value
 * becomes one fail-closed layer plus a warning, as in the shim.
 */
static size_t load_env_policy(struct hm_policy *layers)
{
	const char *text = getenv(HM_ENV_POLICY);
	size_t n = 0;
	int rc;

	if (!text)
		return 0;
	if (*text) {
		rc = hm_policy_env_decode(text, layers, HM_MAX_BASE, &n);
		hm_policy_env_cloexec(text);
		if (rc == 0)
			return n;
		hm_log_msg(2, "warning: invalid " HM_ENV_POLICY " (",
			   rc == -EPROTO ? hm_wire_error(rc) : strerror(-rc),
			   "); failing closed", (char *)0);
	} else {
		hm_log_msg(2,
			   "warning: empty " HM_ENV_POLICY "; failing closed",
			   (char *)0);
	}
	hm_policy_make_invalid(&layers[0]);
	return 1;
}

/* Set up the segment once per process. Caller holds proc.lock. */
static int proc_init(void)
{
	struct hm_policy *layers;
	size_t n = 0, i;
	uint32_t base_imports = 0;
	const struct hm_handshake *hs;
	int rc;

	if (proc.ready)
		return 0;
	/* The shim, if preloaded, exports its handshake (hermetic.h). */
	hs = dlsym(RTLD_DEFAULT, HM_SHIM_HANDSHAKE);
	rc = hm_segment_attach(&proc.seg, hs);
	if (rc == 0) {
		proc.attached = 1;
		proc.hosts = hs->hosts;
	} else {
		/* The same one-time read the shim does at its init. */
		hm_hosts_load(&own_hosts);
		proc.hosts = &own_hosts;
		layers = PyMem_Calloc(HM_MAX_BASE, sizeof(*layers));
		if (!layers) {
			PyErr_NoMemory();
			return -1;
		}
		if (rc == -ENOENT) {
			n = load_env_policy(layers);
		} else {
			hm_log_msg(2,
				   "warning: the shim's policy segment is "
				   "unreadable; failing closed",
				   (char *)0);
			hm_policy_make_invalid(&layers[0]);
			n = 1;
		}
		rc = hm_segment_create(&proc.seg, layers, n);
		PyMem_Free(layers);
		if (rc < 0) {
			PyErr_Format(PyExc_OSError,
				     "hermetic: cannot create the policy "
				     "segment: %s",
				     strerror(-rc));
			return -1;
		}
	}
	n = hm_segment_base_count(&proc.seg);
	for (i = 0; i < n; i++) {
		const struct hm_policy *p = hm_segment_base_layer(&proc.seg, i);

		if (policy_has_imports(p))
			base_imports++;
	}
	atomic_store(&proc.n_import_layers, base_imports);
	/*
	 * The launcher's --audit (docs/audit.md): HM_F_AUDIT can only come
	 * from the outermost inherited layer (pushes and inner layers with
	 * it are refused), and only with the launcher's record directory.
	 */
	if (hm_segment_flags(&proc.seg) & HM_F_AUDIT) {
		const char *dir = getenv(HM_ENV_AUDIT_DIR);

		if (dir && dir[0] == '/' &&
		    strlen(dir) < sizeof(proc.audit_dir)) {
			memcpy(proc.audit_dir, dir, strlen(dir) + 1);
			proc.audit = 1;
		}
	}
	if (!proc.atfork) {
		pthread_atfork(atfork_prepare, atfork_release, atfork_release);
		proc.atfork = 1;
	}
	proc.ready = 1;
	return 0;
}

/* "file:line" of the innermost Python frame into @out, or "". */
static void py_frame(char *out, size_t cap)
{
	PyFrameObject *f;
	PyCodeObject *co;
	const char *file;

	out[0] = '\0';
	if (!PyGILState_Check())
		return;
	f = PyEval_GetFrame();
	if (!f)
		return;
	co = PyFrame_GetCode(f);
	file = co ? PyUnicode_AsUTF8(co->co_filename) : NULL;
	if (file)
		snprintf(out, cap, "%s:%d", file, PyFrame_GetLineNumber(f));
	else
		PyErr_Clear();
	Py_XDECREF(co);
}

/* Append the audit record of @rq (@why) to the launcher's directory. */
static void audit_to_dir(const struct hm_request *rq, enum hm_reason why)
{
	char rec[HM_AUDIT_REC_MAX], frame[1024], file[PATH_MAX + 32];
	size_t len;
	int fd, saved = errno;

	py_frame(frame, sizeof(frame));
	len = hm_audit_format(rec, rq, why, (int)getpid(), "python", frame);
	snprintf(file, sizeof(file), "%s/" HM_AUDIT_RECORDS, proc.audit_dir);
	fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0) {
		if (write(fd, rec, len) < 0)
			hm_log_msg(2, "audit: cannot write to ", file,
				   (char *)0);
		close(fd);
	}
	errno = saved;
}

/*
 * hermetic_blocker(audit=True) (docs/audit.md): policies that are never
 * enforced, only evaluated after the real verdict allowed a request; each
 * would-be denial is appended (a JSON text) to the watch's list. They are
 * not in the segment, so they cannot weaken any layer. Changed and read
 * under the GIL only.
 */
#define HM_PY_WATCH_MAX 16
static struct {
	unsigned long id; /* 0: free */
	struct hm_policy *p;
	PyObject *sink; /* list of str */
} watches[HM_PY_WATCH_MAX];
static _Atomic uint32_t watch_flags; /* OR of the watches' flags */
static int n_watches;
static unsigned long next_watch_id;

static void watch_check(const struct hm_request *rq)
{
	char rec[HM_AUDIT_REC_MAX], frame[1024];
	int i, framed = 0;

	for (i = 0; i < HM_PY_WATCH_MAX; i++) {
		enum hm_reason w;
		PyObject *line;
		size_t len;

		if (!watches[i].id)
			continue;
		w = hm_policy_check(watches[i].p, rq);
		if (w == HM_R_NONE)
			continue;
		if (!framed) {
			py_frame(frame, sizeof(frame));
			framed = 1;
		}
		len =
		    hm_audit_format(rec, rq, w, (int)getpid(), "python", frame);
		line =
		    PyUnicode_DecodeUTF8(rec, (Py_ssize_t)len - 1, "replace");
		if (!line || PyList_Append(watches[i].sink, line) < 0)
			PyErr_Clear();
		Py_XDECREF(line);
	}
}

/*
 * Every Python-layer verdict: the segment's, except that under the
 * launcher's --audit a denial is recorded and allowed (an invalid policy
 * is never audited). An allowed request is shown to the audit watches.
 */
static enum hm_reason py_check(const struct hm_request *rq)
{
	enum hm_reason r = hm_segment_check(&proc.seg, rq);

	if (r != HM_R_NONE && proc.audit && r != HM_R_INVALID_POLICY) {
		audit_to_dir(rq, r);
		return HM_R_NONE;
	}
	if (r == HM_R_NONE && n_watches && PyGILState_Check())
		watch_check(rq);
	return r;
}

static uint32_t seg_flags(void)
{
	if (!proc.ready)
		return 0;
	return hm_segment_flags(&proc.seg) | atomic_load(&watch_flags);
}

static int import_checks_active(uint32_t f)
{
	return (f & HM_F_INVALID) || atomic_load(&proc.n_import_layers) > 0;
}

/* Under @dir (absolute, no trailing slash unless "/") on a '/' boundary. */
static int under(const char *path, const char *dir)
{
	return dir[0] && hm_path_under(path, dir);
}

/* Reads the Python runtime itself needs: its stdlib and this package. */
static int py_runtime_readable(const char *path)
{
	return under(path, proc.stdlib) || under(path, proc.pkgdir);
}

/* ------------------------------------------------------------------ */
/* Raising violations                                                  */
/* ------------------------------------------------------------------ */

/* The module state of the newest hermetic._native in this interpreter. */
static struct mod_state *current_state(void)
{
	PyObject *d = PyInterpreterState_GetDict(PyInterpreterState_Get());
	PyObject *m;

	if (!d)
		return NULL;
	m = PyDict_GetItemString(d, "hermetic._native");
	if (!m || !PyModule_Check(m) || PyModule_GetDef(m) != &native_def)
		return NULL;
	return PyModule_GetState(m);
}

static void trace(const char *api, const char *key, const char *value,
		  enum hm_reason r)
{
	if (seg_flags() & HM_F_TRACE)
		hm_log_blocked(2, api, key, value, r);
}

/*
 * Raise the violation class of @kind with @msg (stolen) and the guard and
 * target attributes. Without hermetic.errors (a subinterpreter that never
 * imported hermetic), a PermissionError still denies. Returns -1.
 */
static int raise_violation(enum exc_kind kind, const char *guard,
			   PyObject *target, PyObject *msg)
{
	struct mod_state *st = current_state();
	PyObject *cls = NULL, *args = NULL, *kw = NULL, *exc = NULL;

	if (!msg)
		return -1;
	if (st) {
		switch (kind) {
		case EXC_IMPORT:
			cls = st->import_blocked;
			break;
		case EXC_NATIVE_IMPORT:
			cls = st->native_import_blocked;
			break;
		case EXC_FS:
			cls = st->fs_blocked;
			break;
		case EXC_SOCKET:
			cls = st->socket_blocked;
			break;
		case EXC_PLAIN:
		default:
			cls = st->policy_violation;
			break;
		}
	}
	if (!cls) {
		PyErr_SetObject(PyExc_PermissionError, msg);
		Py_DECREF(msg);
		return -1;
	}
	args = PyTuple_Pack(1, msg);
	kw = Py_BuildValue("{s:s,s:O}", "guard", guard, "target",
			   target ? target : Py_None);
	if (args && kw)
		exc = PyObject_Call(cls, args, kw);
	if (exc) {
		PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
		Py_DECREF(exc);
	}
	Py_XDECREF(args);
	Py_XDECREF(kw);
	Py_DECREF(msg);
	/*
	 * C callers of a refused audit event (the interpreter opening the
	 * script named on its command line) print errno, not the exception:
	 * a refusal reads as EACCES there too, never a stale EINVAL.
	 */
	errno = EACCES;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Paths                                                               */
/* ------------------------------------------------------------------ */

/*
 * Turn a path argument into bytes (*@out, new reference). Returns 1 for a
 * path, 0 for something that is not one (an int fd, None, an object the
 * real call will reject anyway).
 */
static int path_bytes(PyObject *o, PyObject **out)
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

static const char *utf8_or(PyObject *s, const char *dflt)
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

static int check_mutate_path(const char *api, PyObject *o, long dirfd,
			     int follow)
{
	return check_mutate_path_k(api, o, dirfd, follow, 0);
}

/* Mutation events: which arguments are paths, and their dir_fd slots. */
struct mut_event {
	const char *name;
	signed char path[2];
	signed char dirfd[2];
	unsigned char follow;
};

/* clang-format off */
static const struct mut_event mut_events[] = {
	{ "os.remove",            { 0, -1 }, { 1, -1 }, 0 },
	{ "os.rmdir",             { 0, -1 }, { 1, -1 }, 0 },
	{ "os.mkdir",             { 0, -1 }, { 2, -1 }, 0 },
	{ "os.rename",            { 0,  1 }, { 2,  3 }, 0 },
	{ "os.link",              { 0,  1 }, { 2,  3 }, 0 },
	{ "os.symlink",           { 1, -1 }, { 2, -1 }, 0 },
	{ "os.chmod",             { 0, -1 }, { 2, -1 }, 1 },
	{ "os.chown",             { 0, -1 }, { 3, -1 }, 1 },
	{ "os.utime",             { 0, -1 }, { 3, -1 }, 1 },
	{ "os.truncate",          { 0, -1 }, { -1, -1 }, 1 },
	{ "os.chflags",           { 0, -1 }, { -1, -1 }, 1 },
	{ "os.lchflags",          { 0, -1 }, { -1, -1 }, 0 },
	{ "os.setxattr",          { 0, -1 }, { -1, -1 }, 1 },
	{ "os.removexattr",       { 0, -1 }, { -1, -1 }, 1 },
	{ "shutil.rmtree",        { 0, -1 }, { 1, -1 }, 0 },
	{ "shutil.move",          { 0,  1 }, { -1, -1 }, 0 },
	{ "shutil.copyfile",      { 1, -1 }, { -1, -1 }, 1 },
	{ "shutil.copymode",      { 1, -1 }, { -1, -1 }, 1 },
	{ "shutil.copystat",      { 1, -1 }, { -1, -1 }, 1 },
	{ "shutil.copytree",      { 1, -1 }, { -1, -1 }, 0 },
	{ "shutil.chown",         { 0, -1 }, { -1, -1 }, 1 },
	{ "shutil.make_archive",  { 0, -1 }, { -1, -1 }, 0 },
	{ "shutil.unpack_archive",{ 1, -1 }, { -1, -1 }, 0 },
};
/* clang-format on */

static long arg_long(PyObject *args, int i, long dflt)
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

static PyObject *arg_at(PyObject *args, int i)
{
	if (i < 0 || !PyTuple_Check(args) || i >= PyTuple_GET_SIZE(args))
		return NULL;
	return PyTuple_GET_ITEM(args, i);
}

static int on_mutation(const struct mut_event *m, PyObject *args)
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

static int on_open(PyObject *args, uint32_t f)
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

/* ------------------------------------------------------------------ */
/* Network                                                             */
/* ------------------------------------------------------------------ */

/* The family of a real socket object, read from _socket.socket's member. */
static int sock_family(PyObject *sock)
{
	PyObject *mro;
	Py_ssize_t i;

	if (!sock)
		return -1;
	mro = Py_TYPE(sock)->tp_mro;
	if (!mro || !PyTuple_Check(mro))
		return -1;
	for (i = 0; i < PyTuple_GET_SIZE(mro); i++) {
		PyTypeObject *t = (PyTypeObject *)PyTuple_GET_ITEM(mro, i);
		PyMemberDef *m;

		if (strcmp(t->tp_name, "_socket.socket") != 0)
			continue;
		for (m = t->tp_members; m && m->name; m++) {
			if (strcmp(m->name, "family") == 0 && m->type == T_INT)
				return *(int *)((char *)sock + m->offset);
		}
	}
	return -1;
}

/* Host text of an address tuple item (str or bytes); NULL if neither. */
static const char *host_text(PyObject *h, PyObject **keep)
{
	*keep = NULL;
	if (!h)
		return NULL;
	if (PyUnicode_Check(h))
		return utf8_or(h, NULL);
	if (PyBytes_Check(h))
		return PyBytes_AS_STRING(h);
	if (PyByteArray_Check(h)) {
		*keep = PyBytes_FromStringAndSize(PyByteArray_AS_STRING(h),
						  PyByteArray_GET_SIZE(h));
		return *keep ? PyBytes_AS_STRING(*keep) : NULL;
	}
	return NULL;
}

/*
 * A numeric host as a sockaddr: what CPython's setipaddr takes without a
 * lookup ("" for "any", "<broadcast>"), then the core's one parser of
 * what getaddrinfo answers without a query. Returns 1, or 0 for a name.
 */
static int numeric_sockaddr(const char *host, int family, int port,
			    struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (host[0] == '\0' ||
	    (family != AF_INET6 && strcmp(host, "<broadcast>") == 0)) {
		if (family == AF_INET6) {
			sin6->sin6_family = AF_INET6;
			sin6->sin6_addr = in6addr_any;
			sin6->sin6_port = htons((uint16_t)port);
			*len = sizeof(*sin6);
			return 1;
		}
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr =
		    htonl(host[0] ? INADDR_BROADCAST : INADDR_ANY);
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
		return 1;
	}
	if (!hm_addr_parse_numeric(host, family, ss, len))
		return 0;
	if (ss->ss_family == AF_INET)
		sin->sin_port = htons((uint16_t)port);
	else
		sin6->sin6_port = htons((uint16_t)port);
	return 1;
}

struct net_ctx {
	const char *api;  /* "socket.connect" */
	const char *verb; /* "connect" (message) */
	enum hm_op op;
};

static int deny_net(const struct net_ctx *c, const char *host,
		    const char *shown, enum hm_reason r, int dns)
{
	PyObject *target = PyUnicode_DecodeUTF8(host, strlen(host), "replace");

	trace(c->api, "host", shown, r);
	raise_violation(
	    EXC_PLAIN, "network", target,
	    dns ? PyUnicode_FromFormat("network disabled: DNS(%s)", host)
		: PyUnicode_FromFormat("network disabled: %s(%s)", c->verb,
				       host));
	Py_XDECREF(target);
	return -1;
}

/* Check one destination/local address against the policy. */
static int check_sa(const struct net_ctx *c, const struct sockaddr *sa,
		    socklen_t len, const char *name, const char *host, int dns)
{
	struct hm_request rq = {.op = c->op};
	char shown[INET6_ADDRSTRLEN + 64];
	enum hm_reason r;

	rq.sa = sa;
	rq.salen = len;
	rq.resolved_name = name;
	rq.hosts = proc.hosts;
	r = py_check(&rq);
	if (r == HM_R_NONE)
		return 0;
	hm_format_sockaddr(sa, len, shown, sizeof(shown));
	return deny_net(c, host, name ? host : shown, r, dns);
}

/*
 * A forward lookup of @name for @family through the name service switch:
 * the core's rule, with the same resolver snapshot the shim uses.
 */
static int check_resolve_name(const struct net_ctx *c, const char *name,
			      int family)
{
	struct hm_request rq = {.op = HM_OP_RESOLVE};
	enum hm_reason r;

	rq.name = name;
	rq.domain = family;
	rq.hosts = proc.hosts;
	r = py_check(&rq);
	if (r == HM_R_NONE)
		return 0;
	return deny_net(c, name, name, r, c->op == HM_OP_RESOLVE);
}

/*
 * A name the policy lets through is resolved here (GIL released) and
 * every address it yields is checked as coming from that name, so an
 * allowed name that points at a metadata endpoint is still refused.
 */
static int check_named(const struct net_ctx *c, const char *name, int family,
		       int port)
{
	struct addrinfo hints = {0}, *res = NULL, *ai;
	int rc;

	hints.ai_family = family == AF_INET6  ? AF_INET6
			  : family == AF_INET ? AF_INET
					      : AF_UNSPEC;
	if (check_resolve_name(c, name, hints.ai_family) < 0)
		return -1;
	hints.ai_socktype = SOCK_STREAM;
	Py_BEGIN_ALLOW_THREADS rc = getaddrinfo(name, NULL, &hints, &res);
	Py_END_ALLOW_THREADS if (rc != 0) return 0;
	for (ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET)
			((struct sockaddr_in *)ai->ai_addr)->sin_port =
			    htons((uint16_t)port);
		else if (ai->ai_family == AF_INET6)
			((struct sockaddr_in6 *)ai->ai_addr)->sin6_port =
			    htons((uint16_t)port);
		else
			continue;
		if (check_sa(c, ai->ai_addr, ai->ai_addrlen, name, name, 0) <
		    0) {
			freeaddrinfo(res);
			return -1;
		}
	}
	freeaddrinfo(res);
	return 0;
}

/*
 * Resolution provenance for the Python layer: which name each address
 * came from, recorded by the wrappers of _socket.getaddrinfo and
 * gethostbyname(_ex) from what the real resolver returned (never from
 * caller input). A connect to a recorded address is checked with that
 * name as resolved_name, so an allowed domain is reachable through any
 * client that resolves first (urllib, http.client, asyncio). Written and
 * read under the GIL. An address missing from the ring is only denied.
 */
static struct hm_prov_ring prov; /* the core's ring (core/prov.c) */

/* Record that lookup name @name answered with the numeric @host. */
static void prov_record(const char *name, const char *host)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (numeric_sockaddr(host, AF_UNSPEC, 0, &ss, &len))
		hm_prov_record(&prov, (struct sockaddr *)&ss, len, name);
}

/* The newest name recorded for @sa into @buf, or NULL. */
static const char *prov_lookup(const struct sockaddr *sa, socklen_t len,
			       char *buf, size_t cap)
{
	return hm_prov_lookup(&prov, sa, len, buf, cap) ? buf : NULL;
}

/*
 * connect/sendto to a pathname AF_UNIX address: a container-daemon socket
 * by name is the core's verdict (rq.is_door), as in the shim (which also
 * resolves symlinks and compares inodes; this layer judges the name).
 */
static int check_door(const struct net_ctx *c, PyObject *addr)
{
	struct hm_request rq = {.op = c->op, .is_door = 1};
	struct sockaddr sa = {.sa_family = AF_UNIX};
	PyObject *keep = NULL;
	const char *path;
	enum hm_reason r;
	int rc = 0;

	if (c->op != HM_OP_CONNECT && c->op != HM_OP_SENDTO)
		return 0;
	path = PyUnicode_Check(addr) ? utf8_or(addr, NULL)
				     : host_text(addr, &keep);
	if (path && path[0] && hm_door_name(path)) {
		rq.sa = &sa;
		rq.salen = sizeof(sa);
		r = py_check(&rq);
		if (r != HM_R_NONE) {
			PyObject *t = PyUnicode_DecodeFSDefault(path);

			trace(c->api, "host", path, r);
			raise_violation(
			    EXC_PLAIN,
			    r == HM_R_NO_SUBPROCESS ? "subprocess" : "network",
			    t,
			    PyUnicode_FromFormat("%s disabled: %s(%s)",
						 r == HM_R_NO_SUBPROCESS
						     ? "subprocess"
						     : "network",
						 c->verb, path));
			Py_XDECREF(t);
			rc = -1;
		}
	}
	Py_XDECREF(keep);
	return rc;
}

/* connect/bind/sendto/sendmsg: (socket, address). */
static int on_sock_addr(const struct net_ctx *c, PyObject *args)
{
	PyObject *sock = arg_at(args, 0), *addr = arg_at(args, 1), *keep;
	char pname[HM_DOMAIN_MAX];
	struct sockaddr_storage ss;
	socklen_t len;
	const char *host;
	int family = sock_family(sock), port = 0, rc;

	if (!addr || addr == Py_None)
		return 0; /* a connected socket: connect was checked */
	if (family < 0) {
		if (PyUnicode_Check(addr) || PyBytes_Check(addr) ||
		    PyByteArray_Check(addr))
			family = AF_UNIX;
		else
			family = AF_UNSPEC;
	}
	if (family == AF_UNIX && check_door(c, addr) < 0)
		return -1;
	if (family != AF_INET && family != AF_INET6 && family != AF_UNSPEC) {
		struct sockaddr sa = {.sa_family = (sa_family_t)family};

		return check_sa(c, &sa, sizeof(sa), NULL, "?", 0) < 0 ? -1 : 0;
	}
	if (!PyTuple_Check(addr) || PyTuple_GET_SIZE(addr) < 1)
		return 0; /* the real call rejects it */
	host = host_text(PyTuple_GET_ITEM(addr, 0), &keep);
	if (!host)
		return 0;
	port = (int)arg_long(addr, 1, 0);
	/*
	 * A wildcard bind ("", 0.0.0.0, ::): with the libc layer live, the
	 * shim binds the loopback address instead (core/bindaddr.c), so the
	 * loopback address is what is judged here. Without it nothing can
	 * rewrite the call, so "any" is judged as it is (refused).
	 */
	if (c->op == HM_OP_BIND && host[0] == '\0')
		host = family == AF_INET6 ? "::" : "0.0.0.0";
	if (numeric_sockaddr(host, family, port, &ss, &len)) {
		if (c->op == HM_OP_BIND && proc.attached)
			hm_bind_wildcard_to_loopback(&ss, len);
		rc = check_sa(c, (struct sockaddr *)&ss, len,
			      prov_lookup((struct sockaddr *)&ss, len, pname,
					  sizeof(pname)),
			      host, 0);
	} else
		rc = check_named(c, host, family, port);
	Py_XDECREF(keep);
	return rc;
}

/*
 * getaddrinfo: (host, port, family, type, proto); gethostbyname and
 * gethostbyname_ex: (host,), an IPv4 lookup.
 */
static int on_resolve(const char *api, PyObject *args)
{
	struct net_ctx c = {api, "DNS", HM_OP_RESOLVE};
	PyObject *h = arg_at(args, 0), *keep;
	const char *host;
	int rc;

	if (!h || h == Py_None)
		return 0;
	host = host_text(h, &keep);
	if (!host)
		return 0;
	rc = check_resolve_name(&c, host,
				strcmp(api, "socket.getaddrinfo") == 0
				    ? (int)arg_long(args, 2, AF_UNSPEC)
				    : AF_INET);
	Py_XDECREF(keep);
	return rc;
}

/*
 * gethostbyaddr(ip) / getnameinfo((ip, port)): a numeric address is a
 * reverse lookup the core judges (HM_OP_REVERSE, the shim's rule); a name
 * is first looked up forward (CPython's setipaddr, AF_UNSPEC) and judged
 * like getaddrinfo.
 */
/*
 * Non-zero while this thread is inside _socket.getnameinfo with
 * NI_NUMERICHOST: its audit event carries no flags, and such a call makes
 * no query, so on_reverse lets it through (the libc layer's rule).
 */
static __thread int nameinfo_numeric;

/*
 * gethostbyaddr(name): CPython resolves @name (setipaddr, the first
 * address) and then asks for that address's name. The forward lookup
 * passed; judge the reverse one as the libc layer will (HM_OP_REVERSE),
 * on the address the same lookup yields (resolved here, GIL released).
 */
static int check_reverse_of(const char *api, const char *name)
{
	struct net_ctx c = {api, "DNS", HM_OP_REVERSE};
	struct addrinfo hints = {0}, *res = NULL;
	int rc;

	hints.ai_family = AF_UNSPEC;
	Py_BEGIN_ALLOW_THREADS rc = getaddrinfo(name, NULL, &hints, &res);
	Py_END_ALLOW_THREADS if (rc != 0 || !res) return 0; /* fails itself */
	rc = 0;
	if (res->ai_family == AF_INET || res->ai_family == AF_INET6)
		rc = check_sa(&c, res->ai_addr, res->ai_addrlen, NULL, name, 1);
	freeaddrinfo(res);
	return rc;
}

static int on_reverse(const char *api, PyObject *h)
{
	struct net_ctx c = {api, "DNS", HM_OP_REVERSE};
	struct sockaddr_storage ss;
	socklen_t len;
	PyObject *keep;
	const char *host;
	int rc;

	/* getnameinfo(..., NI_NUMERICHOST) through our wrapper: no query. */
	if (nameinfo_numeric && strcmp(api, "socket.getnameinfo") == 0) {
		nameinfo_numeric = 0; /* one event per wrapped call */
		return 0;
	}
	if (h && PyTuple_Check(h))
		h = arg_at(h, 0);
	host = host_text(h, &keep);
	if (!host)
		return 0;
	if (numeric_sockaddr(host, AF_UNSPEC, 0, &ss, &len)) {
		rc = check_sa(&c, (struct sockaddr *)&ss, len, NULL, host, 1);
	} else {
		c.op = HM_OP_RESOLVE;
		rc = check_resolve_name(&c, host, AF_UNSPEC);
		if (rc == 0)
			rc = check_reverse_of(api, host);
	}
	Py_XDECREF(keep);
	return rc;
}

static int on_socket_new(PyObject *args)
{
	struct hm_request rq = {.op = HM_OP_SOCKET};
	char fam[32];
	enum hm_reason r;

	rq.domain = (int)arg_long(args, 1, -1);
	rq.type = (int)arg_long(args, 2, 0);
	rq.protocol = (int)arg_long(args, 3, 0);
	if (rq.domain <= 0)
		return 0; /* from an fd, or the default AF_INET */
	r = py_check(&rq);
	if (r == HM_R_NONE)
		return 0;
	snprintf(fam, sizeof(fam), "family=%d", rq.domain);
	trace("socket.socket", NULL, NULL, r);
	/*
	 * Also a PermissionError: feature probes (CPython's test_socket:
	 * "try: socket(AF_CAN, ...) except OSError") must see "unsupported",
	 * as they do with the shim's EACCES. Only socket creation: a refused
	 * connect stays a plain PolicyViolation (urllib wraps OSErrors).
	 */
	return raise_violation(
	    EXC_SOCKET, "network", NULL,
	    PyUnicode_FromFormat("network disabled: socket(%s)", fam));
}

static int on_socket(const char *ev, PyObject *args)
{
	static const struct net_ctx connect = {"socket.connect", "connect",
					       HM_OP_CONNECT};
	static const struct net_ctx bind = {"socket.bind", "bind", HM_OP_BIND};
	static const struct net_ctx sendto = {"socket.sendto", "sendto",
					      HM_OP_SENDTO};
	static const struct net_ctx sendmsg = {"socket.sendmsg", "sendmsg",
					       HM_OP_SENDTO};

	if (strcmp(ev, "socket.connect") == 0)
		return on_sock_addr(&connect, args);
	if (strcmp(ev, "socket.bind") == 0)
		return on_sock_addr(&bind, args);
	if (strcmp(ev, "socket.sendto") == 0)
		return on_sock_addr(&sendto, args);
	if (strcmp(ev, "socket.sendmsg") == 0)
		return on_sock_addr(&sendmsg, args);
	if (strcmp(ev, "socket.getaddrinfo") == 0)
		return on_resolve(ev, args);
	if (strcmp(ev, "socket.gethostbyname") == 0)
		return on_resolve(ev, args);
	if (strcmp(ev, "socket.gethostbyaddr") == 0 ||
	    strcmp(ev, "socket.getnameinfo") == 0)
		return on_reverse(ev, arg_at(args, 0));
	if (strcmp(ev, "socket.__new__") == 0)
		return on_socket_new(args);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Subprocess, environment, interpreter, code, imports, native         */
/* ------------------------------------------------------------------ */

static int check_exec(void)
{
	struct hm_request rq = {.op = HM_OP_EXEC};
	enum hm_reason r = py_check(&rq);

	if (r == HM_R_NONE)
		return 0;
	trace("subprocess", NULL, NULL, r);
	return raise_violation(EXC_PLAIN, "subprocess", NULL,
			       PyUnicode_FromString("subprocess disabled"));
}

/*
 * fcntl.ioctl(fd, request, arg): TIOCSTI and TIOCLINUX push input into a
 * terminal (a command for the parent shell to run later). Refused under
 * a subprocess, network or file-system guard, as the shim does (tty.c).
 */
static int on_ioctl(PyObject *args, uint32_t f)
{
	PyObject *req = arg_at(args, 1);
	unsigned long r;
	const char *guard = "subprocess";
	enum hm_reason why = HM_R_NO_SUBPROCESS;

	if (!req || !PyLong_Check(req))
		return 0;
	r = PyLong_AsUnsignedLongMask(req);
	if (r == (unsigned long)-1 && PyErr_Occurred())
		return -1;
	if ((unsigned int)r != TIOCSTI && (unsigned int)r != TIOCLINUX)
		return 0;
	if (f & HM_F_INVALID) {
		why = HM_R_INVALID_POLICY;
	} else if (!(f & HM_F_BLOCK_SUBPROCESS)) {
		guard = (f & HM_F_BLOCK_NETWORK) ? "network" : "filesystem";
		why = (f & HM_F_BLOCK_NETWORK) ? HM_R_NO_NETWORK
					       : HM_R_FS_READONLY;
	}
	trace("ioctl", NULL, NULL, why);
	return raise_violation(
	    EXC_PLAIN, guard, req,
	    PyUnicode_FromString("terminal input injection disabled"));
}

static int is_subprocess_event(const char *ev)
{
	static const char *const names[] = {
	    "subprocess.Popen", "os.system",	"os.exec",
	    "os.posix_spawn",	"os.spawn",	"os.fork",
	    "os.forkpty",	"os.startfile", NULL,
	};
	int i;

	for (i = 0; names[i]; i++)
		if (strcmp(ev, names[i]) == 0)
			return 1;
	return 0;
}

static int check_env(int write, PyObject *key, const char *api)
{
	struct hm_request rq = {.op = HM_OP_ENV};
	enum hm_reason r = py_check(&rq);
	PyObject *target = NULL;

	if (r == HM_R_NONE)
		return 0;
	if (key && PyBytes_Check(key))
		target = PyUnicode_DecodeFSDefault(PyBytes_AS_STRING(key));
	else if (key && PyUnicode_Check(key))
		target = Py_NewRef(key);
	if (!target)
		PyErr_Clear();
	trace(api, target ? "name" : NULL, utf8_or(target, NULL), r);
	raise_violation(EXC_PLAIN, "environment", target,
			PyUnicode_FromString(write ? "environment mutation "
						     "disabled"
						   : "environment disabled"));
	Py_XDECREF(target);
	return -1;
}

static int check_interp(const char *label, const char *api, PyObject *path)
{
	struct hm_request rq = {.op = HM_OP_INTERP};
	enum hm_reason r = py_check(&rq);
	PyObject *target;

	if (r == HM_R_NONE)
		return 0;
	trace(api, path ? "path" : NULL, path ? utf8_or(path, "?") : NULL, r);
	target = PyUnicode_FromString(label);
	raise_violation(
	    EXC_PLAIN, "interpreter", target,
	    PyUnicode_FromFormat("interpreter mutation disabled: %s", label));
	Py_XDECREF(target);
	return -1;
}

/* True if @fn (a code object's file name) is runpy's. */
static int is_runpy_file(const char *fn)
{
	size_t n = strlen(proc.stdlib_raw);

	return fn && (strcmp(fn, "<frozen runpy>") == 0 ||
		      (n && strncmp(fn, proc.stdlib_raw, n) == 0 &&
		       strcmp(fn + n, "/runpy.py") == 0));
}

/*
 * @f is a runpy frame about to compile or run code. runpy is trusted for
 * the interpreter's own "python -m" (runpy._run_module_as_main, called
 * from C: no Python frame above runpy) and for hermetic's launcher
 * (hermetic._run); a program calling runpy.run_path or run_module itself
 * is running code it names at run time, which block_code_exec refuses
 * (the original's rule, original-hermetic.md 3.5). Returns 1 if trusted;
 * else 0 with @entry set to the runpy function the program called.
 */
static int runpy_trusted(PyFrameObject *f, const char **entry)
{
	static _Thread_local char name[64];
	PyFrameObject *cur = (PyFrameObject *)Py_NewRef(f), *up;
	PyCodeObject *co;
	const char *fn;
	char real[PATH_MAX];
	int ok = 1;

	name[0] = '\0';
	for (;;) {
		co = PyFrame_GetCode(cur);
		fn = utf8_or(co->co_filename, NULL);
		if (!is_runpy_file(fn)) {
			/* The first frame above runpy: who called it. */
			ok = fn &&
			     (under(fn, proc.pkgdir) ||
			      (realpath(fn, real) && under(real, proc.pkgdir)));
			Py_DECREF(co);
			break;
		}
		snprintf(name, sizeof(name), "%s",
			 utf8_or(co->co_name, "run_module"));
		Py_DECREF(co);
		up = PyFrame_GetBack(cur);
		Py_DECREF(cur);
		cur = up;
		if (!cur)
			return 1; /* called from C: python -m */
	}
	Py_DECREF(cur);
	*entry = name;
	return ok;
}

/*
 * Code that may compile and run code under block_code_exec: the import
 * system, runpy (python -m; see runpy_trusted), ast.parse, and the stdlib
 * helpers that generate methods from validated identifiers (namedtuple,
 * dataclasses). No Python frame at all means the interpreter itself runs
 * the program (python -c, python script.py). @entry is set when the
 * caller is untrusted because a program called runpy itself.
 */
static int trusted_code_caller(const char **entry)
{
	static const char *const frozen[] = {
	    "<frozen importlib._bootstrap>",
	    "<frozen importlib._bootstrap_external>",
	    "<frozen zipimport>",
	    NULL,
	};
	static const char *const files[] = {
	    "/importlib/_bootstrap.py",
	    "/importlib/_bootstrap_external.py",
	    "/zipimport.py",
	    "/ast.py",
	    "/collections/__init__.py",
	    "/dataclasses.py",
	    "/types.py", /* types.coroutine: co.replace(co_flags=...) */
	    NULL,
	};
	PyFrameObject *f = PyEval_GetFrame();
	PyCodeObject *co;
	const char *fn;
	size_t n = strlen(proc.stdlib_raw);
	int i, ok = 0;

	if (!f)
		return 1;
	co = PyFrame_GetCode(f);
	fn = utf8_or(co->co_filename, NULL);
	if (fn) {
		for (i = 0; frozen[i] && !ok; i++)
			ok = strcmp(fn, frozen[i]) == 0;
		if (!ok && n && strncmp(fn, proc.stdlib_raw, n) == 0)
			for (i = 0; files[i] && !ok; i++)
				ok = strcmp(fn + n, files[i]) == 0;
		if (!ok && is_runpy_file(fn))
			ok = runpy_trusted(f, entry);
	}
	Py_DECREF(co);
	return ok;
}

static int on_code(const char *ev)
{
	struct hm_request rq = {.op = HM_OP_CODE_EXEC};
	/* The wrapper's label names only the first event of its call. */
	const char *label = code_label;
	const char *entry = NULL;
	int ast_only = code_ast_only;
	PyObject *target;
	enum hm_reason r;

	code_label = NULL;
	code_ast_only = 0;
	if (ast_only && strcmp(ev, "compile") == 0)
		return 0; /* compile(..., PyCF_ONLY_AST): no code object */
	if (trusted_code_caller(&entry))
		return 0;
	r = py_check(&rq);
	if (r == HM_R_NONE)
		return 0;
	if (entry) {
		/* A program's own runpy.run_path/run_module call. */
		char api[80];

		snprintf(api, sizeof(api), "runpy.%s", entry);
		trace(api, NULL, NULL, r);
		target = PyUnicode_FromString(entry);
		raise_violation(
		    EXC_PLAIN, "code_exec", target,
		    PyUnicode_FromFormat("dynamic code execution disabled: %s",
					 entry));
		Py_XDECREF(target);
		return -1;
	}
	if (!label) {
		if (strcmp(ev, "code.__new__") == 0)
			label = "code";
		else
			label = ev;
	}
	trace(label, NULL, NULL, r);
	target = PyUnicode_FromString(label);
	raise_violation(
	    EXC_PLAIN, "code_exec", target,
	    PyUnicode_FromFormat("dynamic code execution disabled: %s", label));
	Py_XDECREF(target);
	return -1;
}

static int deny_import_name(const char *name, enum exc_kind kind,
			    enum hm_reason r)
{
	PyObject *target = PyUnicode_FromString(name);

	trace("import", "name", name, r);
	raise_violation(kind, "imports", target,
			PyUnicode_FromFormat(kind == EXC_NATIVE_IMPORT
						 ? "native import blocked: %s"
						 : "import blocked: %s",
					     name));
	Py_XDECREF(target);
	return -1;
}

/* hermetic's own package: never refused (it is the Python layer). */
static int is_own_module(const char *name)
{
	return strncmp(name, "hermetic", 8) == 0 &&
	       (name[8] == '\0' || name[8] == '.');
}

static int check_import_name(const char *name)
{
	struct hm_request rq = {.op = HM_OP_IMPORT};
	enum hm_reason r;

	if (is_own_module(name))
		return 0;
	rq.name = name;
	r = py_check(&rq);
	if (r == HM_R_NONE)
		return 0;
	return deny_import_name(name, EXC_IMPORT, r);
}

/* True if module @name is one of @list (NULL-ended) or a submodule of one. */
static int module_in(const char *name, const char *const *list)
{
	for (; *list; list++) {
		size_t n = strlen(*list);

		if (strncmp(name, *list, n) == 0 &&
		    (name[n] == '\0' || name[n] == '.'))
			return 1;
	}
	return 0;
}

/*
 * Libraries that exist to spawn subprocesses (original-hermetic.md 3.7):
 * refused by name when the effective policy blocks both subprocesses and
 * native code, whether or not they are installed (the import event comes
 * before the search). A copy imported before the block stays loaded; what
 * it spawns is refused by the subprocess guard.
 */
static int is_spawn_lib(const char *name)
{
	static const char *const libs[] = {"sh",    "pexpect",	 "plumbum",
					   "sarge", "delegator", NULL};

	return module_in(name, libs);
}

/* Modules that exist to call native code (original-hermetic.md 3.7). */
static int is_ffi_module(const char *name)
{
	static const char *const ffi[] = {"ctypes", "_ctypes", "cffi",
					  "_cffi_backend", NULL};

	return module_in(name, ffi);
}

static int check_native(const char *name, const char *path)
{
	struct hm_request rq = {.op = HM_OP_DLOPEN};
	enum hm_reason r;

	rq.path = path;
	r = py_check(&rq);
	if (r == HM_R_NONE)
		return 0;
	return deny_import_name(name, EXC_NATIVE_IMPORT, r);
}

/* True if @path is owned by root and not writable by group or others. */
static int root_owned(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && st.st_uid == 0 &&
	       !(st.st_mode & (S_IWGRP | S_IWOTH));
}

/*
 * The trusted-runtime rule (core/native.c, the shim's dl.c applies the
 * same): @real (a realpath) is a listed stdlib extension module in the
 * running interpreter's own lib-dynload directory (derived from
 * /proc/self/exe), and that directory and the file are owned by root and
 * not writable by group or others.
 */
static int runtime_extension(const char *real)
{
	const char *slash = strrchr(real, '/');
	char exe[PATH_MAX], dir[PATH_MAX];
	ssize_t k;
	size_t len;

	if (!slash || !hm_runtime_ext_file(slash + 1))
		return 0;
	len = (size_t)(slash - real);
	k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (k <= 0 || len == 0 || len >= sizeof(dir))
		return 0;
	exe[k] = '\0';
	if (!hm_runtime_dynload_dir(exe, real, len))
		return 0;
	memcpy(dir, real, len);
	dir[len] = '\0';
	return root_owned(dir) && root_owned(real);
}

/*
 * import(module, filename, sys.path, sys.meta_path, sys.path_hooks) is
 * raised before a module that is not in sys.modules is looked for, and
 * again with the file name (and None for the rest) when an extension
 * module is about to be loaded.
 */
/*
 * Modules whose attributes hermetic replaced or whose state it moved
 * (issue 8 class 4): posix (environ, mkfifo, mknod), _posixsubprocess
 * (fork_exec), builtins (__import__, eval, exec, compile), _socket (the
 * resolver wrappers), _imp (create_builtin, create_dynamic). A fresh copy
 * of one, by re-import after popping sys.modules or by
 * _imp.create_builtin, would hand out the unwrapped originals and a new
 * posix.environ; so while any layer is active a fresh copy of one that
 * was loaded when hermetic started is refused. Bit i of @guarded_loaded:
 * guarded_modules[i] was in sys.modules then.
 */
static int import_paths_changed(PyObject *args);

static const char *const guarded_modules[] = {
    "posix", "nt", "_posixsubprocess", "builtins", "_socket", "_imp", NULL,
};
static unsigned int guarded_loaded;

static void note_guarded_loaded(void)
{
	PyObject *mod, *n;
	int i;

	for (i = 0; guarded_modules[i]; i++) {
		n = PyUnicode_FromString(guarded_modules[i]);
		mod = n ? PyImport_GetModule(n) : NULL;
		if (mod)
			guarded_loaded |= 1u << i;
		Py_XDECREF(mod);
		Py_XDECREF(n);
		PyErr_Clear();
	}
}

/* -1 (raised) if a fresh copy of module @name must not be made now. */
static int fresh_copy_refused(const char *name)
{
	uint32_t f;
	int i;

	if (!proc.ready || !name)
		return 0;
	/*
	 * A sub-interpreter imports its own first copy of every module (its
	 * sys.modules is new): refusing that kills it at creation (CPython's
	 * test_threading). hermetic's wrappers live in the main interpreter
	 * only; a sub-interpreter gets the audit hook, not the wrappers
	 * (docs/threat-model.md).
	 */
	if (PyInterpreterState_Get() != PyInterpreterState_Main())
		return 0;
	f = hm_segment_flags(&proc.seg);
	if (!(f & ACTIVE_FLAGS) && !atomic_load(&proc.n_import_layers))
		return 0;
	for (i = 0; guarded_modules[i]; i++) {
		if (!(guarded_loaded & (1u << i)) ||
		    strcmp(name, guarded_modules[i]) != 0)
			continue;
		trace("import", "name", name, HM_R_NO_INTERP_MUTATION);
		return raise_violation(
		    EXC_IMPORT, "interpreter", PyUnicode_FromString(name),
		    PyUnicode_FromFormat("interpreter mutation disabled: a "
					 "fresh copy of %s would drop "
					 "hermetic's guards",
					 name));
	}
	return 0;
}

static int on_import(PyObject *args, uint32_t f)
{
	const char *name = utf8_or(arg_at(args, 0), NULL);
	PyObject *file = arg_at(args, 1), *spath = arg_at(args, 2), *b;
	int ext = file && file != Py_None && (!spath || spath == Py_None);
	char real[PATH_MAX];
	int rc;

	if (!name)
		return 0;
	if (fresh_copy_refused(name) < 0)
		return -1;
	if ((f & (HM_F_BLOCK_INTERP_MUTATION | HM_F_INVALID)) &&
	    import_paths_changed(args) < 0)
		return -1;
	if (import_checks_active(f) && check_import_name(name) < 0)
		return -1;
	if (((f & HM_F_INVALID) ||
	     (f & (HM_F_BLOCK_NATIVE | HM_F_BLOCK_SUBPROCESS)) ==
		 (HM_F_BLOCK_NATIVE | HM_F_BLOCK_SUBPROCESS)) &&
	    is_spawn_lib(name))
		return deny_import_name(name, EXC_IMPORT,
					(f & HM_F_INVALID)
					    ? HM_R_INVALID_POLICY
					    : HM_R_NO_SUBPROCESS);
	if (!(f & (HM_F_BLOCK_NATIVE | HM_F_INVALID)))
		return 0;
	if (!ext)
		return is_ffi_module(name) ? check_native(name, name) : 0;
	if (!path_bytes(file, &b))
		return check_native(name, NULL);
	if (realpath(PyBytes_AS_STRING(b), real) &&
	    (under(real, proc.pkgdir) || runtime_extension(real))) {
		Py_DECREF(b);
		return 0; /* hermetic's own extension, or trusted runtime */
	}
	rc = check_native(name, PyBytes_AS_STRING(b));
	Py_DECREF(b);
	return rc;
}

/* ctypes.* and sqlite3 extension loading under block_native. */
static int on_native_interface(const char *ev, PyObject *args)
{
	struct hm_request rq = {.op = HM_OP_DLOPEN};
	PyObject *a0 = arg_at(args, 0), *target;
	const char *what = NULL;
	enum hm_reason r;

	if (strcmp(ev, "ctypes.dlopen") == 0)
		what = utf8_or(a0, NULL);
	else if (strcmp(ev, "sqlite3.enable_load_extension") == 0 &&
		 !PyObject_IsTrue(arg_at(args, 1) ? arg_at(args, 1) : Py_None))
		return 0;
	else if (strcmp(ev, "sqlite3.load_extension") == 0)
		what = utf8_or(arg_at(args, 1), NULL);
	rq.path = what;
	r = py_check(&rq);
	if (r == HM_R_NONE)
		return 0;
	trace(ev, what ? "path" : NULL, what, r);
	target = what ? PyUnicode_FromString(what) : PyUnicode_FromString(ev);
	raise_violation(
	    EXC_PLAIN, "imports", target,
	    PyUnicode_FromFormat("native interface blocked: %s", ev));
	Py_XDECREF(target);
	return -1;
}

/* ------------------------------------------------------------------ */
/* The audit hook                                                      */
/* ------------------------------------------------------------------ */

/*
 * Event -> request map (decisions recorded in the lead's docs):
 *  open                     OPEN (an int fd is not a path: allowed)
 *  os.* / shutil.* mutators MUTATE on every path argument (dir_fd aware)
 *  socket.__new__           SOCKET; connect/bind/sendto/sendmsg: by address,
 *                           names resolved here and checked per address
 *  getaddrinfo, gethostbyname(_ex)  RESOLVE (numeric literals allowed)
 *  gethostbyaddr, getnameinfo       a reverse lookup queries DNS about an
 *                           address: numeric -> checked like a connect to
 *                           it (loopback needs allow_localhost), name ->
 *                           RESOLVE. The event carries no NI_* flags, so a
 *                           NI_NUMERICHOST call is treated the same.
 *  subprocess.Popen, os.system/exec/posix_spawn/spawn/fork/forkpty/
 *  startfile                EXEC
 *  os.putenv/unsetenv       ENV; os.chdir (and fchdir) INTERP
 *  compile, exec            CODE_EXEC unless the calling frame is trusted
 *  code.__new__, marshal.load(s)  CODE_EXEC too (they make code objects),
 *                           same trusted frames
 *  import                   IMPORT (deny_imports; fresh imports only, the
 *                           __import__ wrapper covers loaded modules);
 *                           with a file name (an extension module) DLOPEN
 *  ctypes.*, sqlite3 extension loading  DLOPEN ("native interface")
 *  fcntl.ioctl              TIOCSTI/TIOCLINUX refused under a subprocess,
 *                           network or file-system guard (terminal input
 *                           injection); every other request passes
 *  sys.addaudithook         nothing is refused
 */
static int dispatch(const char *ev, PyObject *args, uint32_t f)
{
	size_t i;

	switch (ev[0]) {
	case 'o':
		if (ev[1] == 'p' && strcmp(ev, "open") == 0)
			return on_open(args, f);
		if (ev[1] != 's' || ev[2] != '.')
			return 0;
		if ((f & (HM_F_BLOCK_SUBPROCESS | HM_F_INVALID)) &&
		    is_subprocess_event(ev))
			return check_exec();
		if (strcmp(ev, "os.chdir") == 0) {
			PyObject *p = arg_at(args, 0);

			if (!(f & (HM_F_BLOCK_INTERP_MUTATION | HM_F_INVALID)))
				return 0;
			return check_interp(
			    p && PyLong_Check(p) ? "fchdir" : "chdir",
			    "os.chdir", p && PyUnicode_Check(p) ? p : NULL);
		}
		if (strcmp(ev, "os.putenv") == 0 ||
		    strcmp(ev, "os.unsetenv") == 0) {
			if (!(f & (HM_F_BLOCK_ENVIRONMENT | HM_F_INVALID)))
				return 0;
			return check_env(1, arg_at(args, 0), ev);
		}
		break;
	case 's':
		if (strncmp(ev, "socket.", 7) == 0)
			/* HM_GATE_DOOR: daemon sockets under no-subprocess */
			return (f & HM_GATE_DOOR) ? on_socket(ev, args) : 0;
		if (strcmp(ev, "subprocess.Popen") == 0)
			return (f & (HM_F_BLOCK_SUBPROCESS | HM_F_INVALID))
				   ? check_exec()
				   : 0;
		if (strncmp(ev, "sqlite3.", 8) == 0 &&
		    (f & (HM_F_BLOCK_NATIVE | HM_F_INVALID)) &&
		    (strcmp(ev, "sqlite3.load_extension") == 0 ||
		     strcmp(ev, "sqlite3.enable_load_extension") == 0))
			return on_native_interface(ev, args);
		if (strncmp(ev, "shutil.", 7) != 0)
			return 0;
		break;
	case 'i':
		if (strcmp(ev, "import") == 0)
			return on_import(args, f);
		return 0;
	case 'c':
		if (strncmp(ev, "ctypes.", 7) == 0)
			return (f & (HM_F_BLOCK_NATIVE | HM_F_INVALID))
				   ? on_native_interface(ev, args)
				   : 0;
		if (strcmp(ev, "compile") == 0 ||
		    strcmp(ev, "code.__new__") == 0)
			return (f & (HM_F_BLOCK_CODE_EXEC | HM_F_INVALID))
				   ? on_code(ev)
				   : 0;
		return 0;
	case 'e':
		if (strcmp(ev, "exec") == 0)
			return (f & (HM_F_BLOCK_CODE_EXEC | HM_F_INVALID))
				   ? on_code(ev)
				   : 0;
		return 0;
	case 'f':
		if (strcmp(ev, "fcntl.ioctl") == 0)
			return (f & (HM_F_BLOCK_SUBPROCESS |
				     HM_F_BLOCK_NETWORK | FS_FLAGS))
				   ? on_ioctl(args, f)
				   : 0;
		return 0;
	case 'm':
		if (strcmp(ev, "marshal.loads") == 0 ||
		    strcmp(ev, "marshal.load") == 0)
			return (f & (HM_F_BLOCK_CODE_EXEC | HM_F_INVALID))
				   ? on_code(ev)
				   : 0;
		return 0;
	default:
		return 0;
	}
	/* os.* and shutil.* mutations */
	if (!(f & FS_FLAGS))
		return 0;
	for (i = 0; i < sizeof(mut_events) / sizeof(mut_events[0]); i++)
		if (strcmp(ev, mut_events[i].name) == 0)
			return on_mutation(&mut_events[i], args);
	return 0;
}

/*
 * The launcher's bootstrap (sitecustomize) registers one callable here,
 * once: it gets (event, args) for the audit event "sys.excepthook" (an
 * uncaught exception in the main thread is about to be shown) and
 * "thread.start" from w_start_thread below, and turns an uncaught
 * PolicyViolation into exit 2 without replacing sys.excepthook or
 * threading.excepthook, which programs can see (issue 10 item 11). Main
 * interpreter only; its errors are dropped. Called outside in_hook, so what it
 * runs (atexit handlers) stays guarded.
 */
static PyObject *uncaught_hook;

static void call_uncaught_hook(const char *event, PyObject *args)
{
	PyObject *r;

	if (PyInterpreterState_Get() != PyInterpreterState_Main())
		return;
	r = PyObject_CallFunction(uncaught_hook, "sO", event, args);
	if (!r)
		PyErr_Clear();
	Py_XDECREF(r);
}

/*
 * _thread.start_new_thread (and its alias start_new), wrapped once by the
 * bootstrap: CPython 3.11 raises no audit event when a thread starts, so
 * the wrapper hands the thread's function to uncaught_hook as
 * ("thread.start", (function,)) and then calls the original unchanged.
 */
static PyObject *orig_start_thread;

static PyObject *w_start_thread(PyObject *m, PyObject *args, PyObject *kw)
{
	PyObject *one;

	(void)m;
	if (uncaught_hook && PyTuple_Check(args) &&
	    PyTuple_GET_SIZE(args) > 0) {
		one = PyTuple_Pack(1, PyTuple_GET_ITEM(args, 0));
		if (one) {
			call_uncaught_hook("thread.start", one);
			Py_DECREF(one);
		} else {
			PyErr_Clear();
		}
	}
	return PyObject_Call(orig_start_thread, args, kw);
}

static PyMethodDef wrap_start_thread_def = {
    "start_new_thread", (PyCFunction)(void (*)(void))w_start_thread,
    METH_VARARGS | METH_KEYWORDS,
    "start_new_thread(function, args[, kwargs]) (hermetic wrapper)"};

static PyObject *native_wrap_thread_start(PyObject *m, PyObject *noargs)
{
	PyObject *thr, *w;
	int rc = 0;

	(void)noargs;
	if (orig_start_thread)
		Py_RETURN_NONE;
	thr = PyImport_ImportModule("_thread");
	if (!thr)
		return NULL;
	orig_start_thread = PyObject_GetAttrString(thr, "start_new_thread");
	w = orig_start_thread
		? PyCFunction_NewEx(&wrap_start_thread_def, m, NULL)
		: NULL;
	if (!w || PyObject_SetAttrString(thr, "start_new_thread", w) < 0 ||
	    (PyObject_HasAttrString(thr, "start_new") &&
	     PyObject_SetAttrString(thr, "start_new", w) < 0))
		rc = -1;
	Py_XDECREF(w);
	Py_DECREF(thr);
	if (rc < 0)
		return NULL;
	Py_RETURN_NONE;
}

static PyObject *native_set_uncaught_hook(PyObject *m, PyObject *fn)
{
	(void)m;
	if (!PyCallable_Check(fn)) {
		PyErr_SetString(PyExc_TypeError, "a callable is required");
		return NULL;
	}
	if (uncaught_hook) {
		PyErr_SetString(PyExc_RuntimeError, "already set");
		return NULL;
	}
	Py_INCREF(fn);
	uncaught_hook = fn;
	Py_RETURN_NONE;
}

static int audit_hook(const char *event, PyObject *args, void *data)
{
	uint32_t f;
	int rc;

	(void)data;
	if (!proc.ready || in_hook || !event)
		return 0;
	if (uncaught_hook && event[0] == 's' &&
	    strcmp(event, "sys.excepthook") == 0)
		call_uncaught_hook(event, args);
	f = hm_segment_flags(&proc.seg) | atomic_load(&watch_flags);
	if (!(f & ACTIVE_FLAGS) && !atomic_load(&proc.n_import_layers))
		return 0;
	in_hook = 1;
	rc = dispatch(event, args, f);
	in_hook = 0;
	return rc;
}

/* ------------------------------------------------------------------ */
/* Wrappers installed over builtins (labels and cached imports)        */
/* ------------------------------------------------------------------ */

static PyObject *call_labelled(PyObject *orig, const char *label,
			       PyObject *const *args, Py_ssize_t nargs,
			       PyObject *kwnames)
{
	const char *prev = code_label;
	PyObject *res;

	if (!orig) {
		PyErr_SetString(PyExc_RuntimeError, "hermetic: no original");
		return NULL;
	}
	code_label = label;
	res = PyObject_Vectorcall(orig, args, (size_t)nargs, kwnames);
	code_label = prev;
	return res;
}

static PyObject *w_eval(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
			PyObject *kwnames)
{
	struct mod_state *st = PyModule_GetState(m);

	return call_labelled(st->orig_eval, "eval", args, nargs, kwnames);
}

static PyObject *w_exec(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
			PyObject *kwnames)
{
	struct mod_state *st = PyModule_GetState(m);

	return call_labelled(st->orig_exec, "exec", args, nargs, kwnames);
}

static PyObject *import_arg(PyObject *const *args, Py_ssize_t nargs,
			    PyObject *kwnames, Py_ssize_t pos, const char *kw);

static PyObject *w_compile(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
			   PyObject *kwnames)
{
	struct mod_state *st = PyModule_GetState(m);
	PyObject *flags = import_arg(args, nargs, kwnames, 3, "flags"), *res;
	int prev = code_ast_only;
	long f = 0;

	if (flags && PyLong_Check(flags)) {
		f = PyLong_AsLong(flags);
		if (f == -1 && PyErr_Occurred())
			PyErr_Clear();
	}
	code_ast_only = (f & PyCF_ONLY_AST) != 0;
	res = call_labelled(st->orig_compile, "compile", args, nargs, kwnames);
	code_ast_only = prev;
	return res;
}

/* An argument of __import__(name, globals, locals, fromlist, level). */
static PyObject *import_arg(PyObject *const *args, Py_ssize_t nargs,
			    PyObject *kwnames, Py_ssize_t pos, const char *kw)
{
	Py_ssize_t i, nkw;

	if (pos < nargs)
		return args[pos];
	if (!kwnames)
		return NULL;
	nkw = PyTuple_GET_SIZE(kwnames);
	for (i = 0; i < nkw; i++) {
		PyObject *k = PyTuple_GET_ITEM(kwnames, i);

		if (PyUnicode_Check(k) &&
		    PyUnicode_CompareWithASCIIString(k, kw) == 0)
			return args[nargs + i];
	}
	return NULL;
}

/* The package a relative import in @globals is relative to (new ref). */
static PyObject *import_package(PyObject *globals)
{
	PyObject *pkg, *name, *spec;

	if (!globals || !PyDict_Check(globals))
		return NULL;
	pkg = PyDict_GetItemString(globals, "__package__");
	if (pkg && PyUnicode_Check(pkg))
		return Py_NewRef(pkg);
	spec = PyDict_GetItemString(globals, "__spec__");
	if (spec && spec != Py_None) {
		pkg = PyObject_GetAttrString(spec, "parent");
		if (pkg && PyUnicode_Check(pkg))
			return pkg;
		Py_XDECREF(pkg);
		PyErr_Clear();
	}
	name = PyDict_GetItemString(globals, "__name__");
	if (!name || !PyUnicode_Check(name))
		return NULL;
	if (PyDict_GetItemString(globals, "__path__"))
		return Py_NewRef(name);
	{
		Py_ssize_t dot = PyUnicode_FindChar(
		    name, '.', 0, PyUnicode_GET_LENGTH(name), -1);

		if (dot < 0)
			return PyUnicode_FromString("");
		return PyUnicode_Substring(name, 0, dot);
	}
}

/* The absolute module name of an __import__ call (new ref) or NULL. */
static PyObject *import_absname(PyObject *name, PyObject *globals, long level)
{
	PyObject *pkg, *base, *res;
	Py_ssize_t end;
	long i;

	if (level <= 0)
		return Py_NewRef(name);
	pkg = import_package(globals);
	if (!pkg)
		return NULL;
	end = PyUnicode_GET_LENGTH(pkg);
	for (i = 1; i < level && end > 0; i++) {
		end = PyUnicode_FindChar(pkg, '.', 0, end, -1);
		if (end < 0)
			end = 0;
	}
	if (i < level || end == 0) {
		Py_DECREF(pkg);
		return NULL; /* beyond the top-level package: import fails */
	}
	base = PyUnicode_Substring(pkg, 0, end);
	Py_DECREF(pkg);
	if (!base)
		return NULL;
	if (PyUnicode_GET_LENGTH(name) == 0)
		return base;
	res = PyUnicode_FromFormat("%U.%U", base, name);
	Py_DECREF(base);
	return res;
}

static int check_import_obj(PyObject *name)
{
	const char *s = utf8_or(name, NULL);

	return s ? check_import_name(s) : 0;
}

/* The deny_imports check for modules already in sys.modules. */
static int check_import_call(PyObject *const *args, Py_ssize_t nargs,
			     PyObject *kwnames)
{
	PyObject *name = import_arg(args, nargs, kwnames, 0, "name");
	PyObject *globals = import_arg(args, nargs, kwnames, 1, "globals");
	PyObject *fromlist = import_arg(args, nargs, kwnames, 3, "fromlist");
	PyObject *lv = import_arg(args, nargs, kwnames, 4, "level");
	PyObject *abs, *seq;
	long level = 0;
	Py_ssize_t i;
	int rc = 0;

	if (!name || !PyUnicode_Check(name))
		return 0;
	if (lv && PyLong_Check(lv)) {
		level = PyLong_AsLong(lv);
		if (level == -1 && PyErr_Occurred()) {
			PyErr_Clear();
			return 0;
		}
	}
	abs = import_absname(name, globals, level);
	if (!abs) {
		PyErr_Clear();
		return 0;
	}
	if (PyUnicode_GET_LENGTH(abs) > 0)
		rc = check_import_obj(abs);
	if (rc == 0 && fromlist && fromlist != Py_None &&
	    PyObject_IsTrue(fromlist) > 0) {
		seq = PySequence_Fast(fromlist, "fromlist");
		if (!seq) {
			PyErr_Clear();
			Py_DECREF(abs);
			return 0;
		}
		for (i = 0; i < PySequence_Fast_GET_SIZE(seq) && rc == 0; i++) {
			PyObject *item = PySequence_Fast_GET_ITEM(seq, i),
				 *full;

			if (!PyUnicode_Check(item) ||
			    PyUnicode_CompareWithASCIIString(item, "*") == 0)
				continue;
			full = PyUnicode_GET_LENGTH(abs)
				   ? PyUnicode_FromFormat("%U.%U", abs, item)
				   : Py_NewRef(item);
			if (!full) {
				rc = -1;
				break;
			}
			rc = check_import_obj(full);
			Py_DECREF(full);
		}
		Py_DECREF(seq);
	}
	Py_DECREF(abs);
	return rc;
}

static PyObject *w_import(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
			  PyObject *kwnames)
{
	struct mod_state *st = PyModule_GetState(m);

	/*
	 * Only real deny lists: the fail-closed stand-in refuses fresh
	 * imports (audit hook) but not modules the process already holds.
	 */
	if (proc.ready && atomic_load(&proc.n_import_layers) > 0 && !in_hook) {
		int rc;

		in_hook = 1;
		rc = check_import_call(args, nargs, kwnames);
		in_hook = 0;
		if (rc < 0)
			return NULL;
	}
	if (!st->orig_import) {
		PyErr_SetString(PyExc_ImportError, "hermetic: no __import__");
		return NULL;
	}
	return PyObject_Vectorcall(st->orig_import, args, (size_t)nargs,
				   kwnames);
}

/* The lookup name of a resolver call's host argument, or NULL. */
static const char *lookup_name(PyObject *h, PyObject **keep)
{
	struct sockaddr_storage ss;
	socklen_t len;
	const char *name;

	*keep = NULL;
	if (!h || h == Py_None)
		return NULL;
	name = host_text(h, keep);
	if (!name || numeric_sockaddr(name, AF_UNSPEC, 0, &ss, &len))
		return NULL;
	return name;
}

static void prov_record_obj(const char *name, PyObject *ip)
{
	const char *host = utf8_or(ip, NULL);

	if (host)
		prov_record(name, host);
}

/* getaddrinfo -> [(family, type, proto, canonname, (host, port, ...))] */
static PyObject *w_getaddrinfo(PyObject *m, PyObject *const *args,
			       Py_ssize_t nargs, PyObject *kwnames)
{
	struct mod_state *st = PyModule_GetState(m);
	PyObject *res, *keep;
	const char *name;
	Py_ssize_t i;

	if (!st->orig_getaddrinfo) {
		PyErr_SetString(PyExc_RuntimeError, "hermetic: no getaddrinfo");
		return NULL;
	}
	res = PyObject_Vectorcall(st->orig_getaddrinfo, args, (size_t)nargs,
				  kwnames);
	if (!res || !PyList_Check(res))
		return res;
	name = lookup_name(import_arg(args, nargs, kwnames, 0, "host"), &keep);
	for (i = 0; name && i < PyList_GET_SIZE(res); i++) {
		PyObject *ai = PyList_GET_ITEM(res, i);
		PyObject *sa = PyTuple_Check(ai) && PyTuple_GET_SIZE(ai) >= 5
				   ? PyTuple_GET_ITEM(ai, 4)
				   : NULL;

		if (sa && PyTuple_Check(sa) && PyTuple_GET_SIZE(sa) >= 1)
			prov_record_obj(name, PyTuple_GET_ITEM(sa, 0));
	}
	Py_XDECREF(keep);
	return res;
}

/* gethostbyname -> "ip" */
static PyObject *w_gethostbyname(PyObject *m, PyObject *const *args,
				 Py_ssize_t nargs, PyObject *kwnames)
{
	struct mod_state *st = PyModule_GetState(m);
	PyObject *res, *keep = NULL;
	const char *name;

	if (!st->orig_gethostbyname) {
		PyErr_SetString(PyExc_RuntimeError, "hermetic: no resolver");
		return NULL;
	}
	res = PyObject_Vectorcall(st->orig_gethostbyname, args, (size_t)nargs,
				  kwnames);
	name = res ? lookup_name(nargs ? args[0] : NULL, &keep) : NULL;
	if (name)
		prov_record_obj(name, res);
	Py_XDECREF(keep);
	return res;
}

/* gethostbyname_ex -> (name, aliases, ["ip", ...]) */
static PyObject *w_gethostbyname_ex(PyObject *m, PyObject *const *args,
				    Py_ssize_t nargs, PyObject *kwnames)
{
	struct mod_state *st = PyModule_GetState(m);
	PyObject *res, *keep, *ips;
	const char *name;
	Py_ssize_t i;

	if (!st->orig_gethostbyname_ex) {
		PyErr_SetString(PyExc_RuntimeError, "hermetic: no resolver");
		return NULL;
	}
	res = PyObject_Vectorcall(st->orig_gethostbyname_ex, args,
				  (size_t)nargs, kwnames);
	if (!res || !PyTuple_Check(res) || PyTuple_GET_SIZE(res) < 3)
		return res;
	name = lookup_name(nargs ? args[0] : NULL, &keep);
	ips = PyTuple_GET_ITEM(res, 2);
	for (i = 0; name && PyList_Check(ips) && i < PyList_GET_SIZE(ips); i++)
		prov_record_obj(name, PyList_GET_ITEM(ips, i));
	Py_XDECREF(keep);
	return res;
}

static PyObject *w_getnameinfo(PyObject *m, PyObject *const *args,
			       Py_ssize_t nargs, PyObject *kwnames)
{
	struct mod_state *st = PyModule_GetState(m);
	long flags = 0;
	PyObject *res;
	int saved = nameinfo_numeric;

	if (!st->orig_getnameinfo) {
		PyErr_SetString(PyExc_RuntimeError, "hermetic: no resolver");
		return NULL;
	}
	if (nargs >= 2 && PyLong_Check(args[1])) {
		flags = PyLong_AsLong(args[1]);
		if (flags == -1 && PyErr_Occurred()) {
			PyErr_Clear();
			flags = 0;
		}
	}
	nameinfo_numeric = !!(flags & NI_NUMERICHOST);
	res = PyObject_Vectorcall(st->orig_getnameinfo, args, (size_t)nargs,
				  kwnames);
	nameinfo_numeric = saved;
	return res;
}

/* _posixsubprocess.fork_exec raises no audit event of its own. */

static PyObject *w_fork_exec(PyObject *m, PyObject *const *args,
			     Py_ssize_t nargs, PyObject *kwnames)
{
	struct mod_state *st = PyModule_GetState(m);

	if (seg_flags() & (HM_F_BLOCK_SUBPROCESS | HM_F_INVALID)) {
		if (check_exec() < 0)
			return NULL;
	}
	if (!st->orig_fork_exec) {
		PyErr_SetString(PyExc_RuntimeError, "hermetic: no fork_exec");
		return NULL;
	}
	return PyObject_Vectorcall(st->orig_fork_exec, args, (size_t)nargs,
				   kwnames);
}

#define FASTCALL_KW(fn) ((PyCFunction)(void (*)(void))(fn))

static PyMethodDef wrap_eval_def = {"eval", FASTCALL_KW(w_eval),
				    METH_FASTCALL | METH_KEYWORDS,
				    "eval(source, globals=None, locals=None)"};
static PyMethodDef wrap_exec_def = {"exec", FASTCALL_KW(w_exec),
				    METH_FASTCALL | METH_KEYWORDS,
				    "exec(source, globals=None, locals=None)"};
static PyMethodDef wrap_compile_def = {
    "compile", FASTCALL_KW(w_compile), METH_FASTCALL | METH_KEYWORDS,
    "compile(source, filename, mode, flags=0, dont_inherit=False, "
    "optimize=-1)"};
static PyMethodDef wrap_import_def = {
    "__import__", FASTCALL_KW(w_import), METH_FASTCALL | METH_KEYWORDS,
    "__import__(name, globals=None, locals=None, fromlist=(), level=0)"};
static PyMethodDef wrap_getaddrinfo_def = {
    "getaddrinfo", FASTCALL_KW(w_getaddrinfo), METH_FASTCALL | METH_KEYWORDS,
    "getaddrinfo(host, port, family=0, type=0, proto=0, flags=0)"};
static PyMethodDef wrap_gethostbyname_def = {
    "gethostbyname", FASTCALL_KW(w_gethostbyname),
    METH_FASTCALL | METH_KEYWORDS, "gethostbyname(host)"};
static PyMethodDef wrap_gethostbyname_ex_def = {
    "gethostbyname_ex", FASTCALL_KW(w_gethostbyname_ex),
    METH_FASTCALL | METH_KEYWORDS, "gethostbyname_ex(host)"};
static PyMethodDef wrap_getnameinfo_def = {
    "getnameinfo", FASTCALL_KW(w_getnameinfo), METH_FASTCALL | METH_KEYWORDS,
    "getnameinfo(sockaddr, flags)"};
static PyMethodDef wrap_fork_exec_def = {"fork_exec", FASTCALL_KW(w_fork_exec),
					 METH_FASTCALL | METH_KEYWORDS,
					 "fork_exec(...)"};

/*
 * Replace @owner.@name with a wrapper bound to @m; the original goes to
 * *@slot. A wrapper left by an earlier module object is unwrapped first.
 */
static int wrap_attr(PyObject *m, PyObject *owner, PyMethodDef *def,
		     PyObject **slot)
{
	PyObject *cur = PyObject_GetAttrString(owner, def->ml_name), *w;

	if (!cur)
		return -1;
	if (PyCFunction_Check(cur) &&
	    PyCFunction_GET_FUNCTION(cur) == def->ml_meth) {
		PyObject *self = PyCFunction_GET_SELF(cur);
		struct mod_state *old;
		PyObject *orig;

		if (!self || !PyModule_Check(self) ||
		    PyModule_GetDef(self) != &native_def) {
			Py_DECREF(cur);
			return 0;
		}
		old = PyModule_GetState(self);
		/* The same slot in the older module's state. */
		orig = *(
		    PyObject **)((char *)old +
				 ((char *)slot - (char *)PyModule_GetState(m)));
		Py_DECREF(cur);
		if (!orig)
			return 0;
		cur = Py_NewRef(orig);
	}
	Py_XSETREF(*slot, cur);
	w = PyCFunction_NewEx(def, m, NULL);
	if (!w)
		return -1;
	if (PyObject_SetAttrString(owner, def->ml_name, w) < 0) {
		Py_DECREF(w);
		return -1;
	}
	Py_DECREF(w);
	return 0;
}

static int install_wrappers(PyObject *m, struct mod_state *st)
{
	PyObject *builtins = PyImport_ImportModule("builtins"), *pse, *sock;
	int rc = 0;

	if (!builtins)
		return -1;
	if (wrap_attr(m, builtins, &wrap_import_def, &st->orig_import) < 0 ||
	    wrap_attr(m, builtins, &wrap_eval_def, &st->orig_eval) < 0 ||
	    wrap_attr(m, builtins, &wrap_exec_def, &st->orig_exec) < 0 ||
	    wrap_attr(m, builtins, &wrap_compile_def, &st->orig_compile) < 0)
		rc = -1;
	Py_DECREF(builtins);
	if (rc < 0)
		return -1;
	pse = PyImport_ImportModule("_posixsubprocess");
	if (!pse) {
		PyErr_Clear();
		return 0;
	}
	rc = wrap_attr(m, pse, &wrap_fork_exec_def, &st->orig_fork_exec);
	Py_DECREF(pse);
	if (rc < 0)
		return -1;
	sock = PyImport_ImportModule("_socket");
	if (!sock) {
		PyErr_Clear();
		return 0;
	}
	if (wrap_attr(m, sock, &wrap_getaddrinfo_def, &st->orig_getaddrinfo) <
		0 ||
	    wrap_attr(m, sock, &wrap_gethostbyname_def,
		      &st->orig_gethostbyname) < 0 ||
	    wrap_attr(m, sock, &wrap_gethostbyname_ex_def,
		      &st->orig_gethostbyname_ex) < 0 ||
	    wrap_attr(m, sock, &wrap_getnameinfo_def, &st->orig_getnameinfo) <
		0)
		rc = -1;
	Py_DECREF(sock);
	return rc;
}

/*
 * Wrappers whose originals Python code must not reach (issue 8 class 4):
 * the original lives in a static (not module state, so
 * gc.get_referents(_native) does not list it), is untracked by the
 * garbage collector (gc.get_objects() does not list it), and the wrapper
 * is a C function (no __wrapped__, no closure). Shared by every module
 * object of this process.
 */
static PyObject *orig_create_builtin, *orig_create_dynamic;
static PyObject *orig_mkfifo, *orig_mknod;

/* Hide @o from gc.get_objects() (a builtin function: no cycles). */
static void hide(PyObject *o)
{
	if (o && PyObject_IS_GC(o))
		PyObject_GC_UnTrack(o);
}

/* The spec's name for _imp.create_builtin/create_dynamic(spec, ...). */
static PyObject *w_imp_create(PyObject *orig, PyObject *const *args,
			      Py_ssize_t nargs, PyObject *kwnames)
{
	PyObject *name;
	const char *n;
	int rc = 0;

	if (!orig) {
		PyErr_SetString(PyExc_RuntimeError, "hermetic: no original");
		return NULL;
	}
	if (nargs >= 1) {
		name = PyObject_GetAttrString(args[0], "name");
		if (!name) {
			PyErr_Clear();
		} else {
			n = utf8_or(name, NULL);
			rc = fresh_copy_refused(n);
			Py_DECREF(name);
		}
	}
	if (rc < 0)
		return NULL;
	return PyObject_Vectorcall(orig, args, (size_t)nargs, kwnames);
}

static PyObject *w_create_builtin(PyObject *m, PyObject *const *args,
				  Py_ssize_t nargs, PyObject *kwnames)
{
	(void)m;
	return w_imp_create(orig_create_builtin, args, nargs, kwnames);
}

static PyObject *w_create_dynamic(PyObject *m, PyObject *const *args,
				  Py_ssize_t nargs, PyObject *kwnames)
{
	(void)m;
	return w_imp_create(orig_create_dynamic, args, nargs, kwnames);
}

/* os.mkfifo / os.mknod (no audit event): the read-only check, then on. */
static PyObject *w_mutator(const char *api, PyObject *orig,
			   PyObject *const *args, Py_ssize_t nargs,
			   PyObject *kwnames)
{
	PyObject *path = nargs >= 1 ? args[0] : NULL, *dirfd = NULL;
	Py_ssize_t i, nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
	const char *k;
	long fd = -1;

	if (!orig) {
		PyErr_SetString(PyExc_RuntimeError, "hermetic: no original");
		return NULL;
	}
	for (i = 0; i < nkw; i++) {
		k = utf8_or(PyTuple_GET_ITEM(kwnames, i), "");
		if (strcmp(k, "path") == 0)
			path = args[nargs + i];
		else if (strcmp(k, "dir_fd") == 0)
			dirfd = args[nargs + i];
	}
	if (proc.ready && (seg_flags() & FS_FLAGS) && path) {
		if (dirfd && dirfd != Py_None) {
			fd = PyLong_AsLong(dirfd);
			if (fd == -1 && PyErr_Occurred())
				return NULL;
		}
		if (check_mutate_path(api, path, fd, 0) < 0)
			return NULL;
	}
	return PyObject_Vectorcall(orig, args, (size_t)nargs, kwnames);
}

static PyObject *w_mkfifo(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
			  PyObject *kwnames)
{
	(void)m;
	return w_mutator("os.mkfifo", orig_mkfifo, args, nargs, kwnames);
}

static PyObject *w_mknod(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
			 PyObject *kwnames)
{
	(void)m;
	return w_mutator("os.mknod", orig_mknod, args, nargs, kwnames);
}

static PyMethodDef wrap_create_builtin_def = {
    "create_builtin", FASTCALL_KW(w_create_builtin),
    METH_FASTCALL | METH_KEYWORDS, "create_builtin(spec)"};
static PyMethodDef wrap_create_dynamic_def = {
    "create_dynamic", FASTCALL_KW(w_create_dynamic),
    METH_FASTCALL | METH_KEYWORDS, "create_dynamic(spec, file=None)"};
static PyMethodDef wrap_mkfifo_def = {
    "mkfifo", FASTCALL_KW(w_mkfifo), METH_FASTCALL | METH_KEYWORDS,
    "mkfifo(path, mode=0o666, *, dir_fd=None)"};
static PyMethodDef wrap_mknod_def = {
    "mknod", FASTCALL_KW(w_mknod), METH_FASTCALL | METH_KEYWORDS,
    "mknod(path, mode=0o600, device=0, *, dir_fd=None)"};

/*
 * Replace @def->ml_name in each of @owners (NULL-terminated) that holds
 * the same object as the first one, keeping the original in *@slot
 * (once: a later module object finds its own wrapper and stops).
 */
/*
 * os.supports_dir_fd & co. hold function objects: a wrapper joins the
 * sets its original is in, or feature probes ("needs dir_fd support in
 * os.mkfifo()", CPython's test_posix) see it missing. Best effort.
 */
static void join_supports_sets(PyObject *orig, PyObject *w)
{
	static const char *const sets[] = {"supports_dir_fd", "supports_fd",
					   "supports_follow_symlinks",
					   "supports_effective_ids"};
	PyObject *name, *os, *set;
	size_t i;

	name = PyUnicode_FromString("os");
	os = name ? PyImport_GetModule(name) : NULL;
	Py_XDECREF(name);
	if (!os) {
		PyErr_Clear();
		return;
	}
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		set = PyObject_GetAttrString(os, sets[i]);
		if (set && PySet_Check(set) && PySet_Contains(set, orig) == 1)
			(void)PySet_Add(set, w);
		Py_XDECREF(set);
		PyErr_Clear();
	}
	Py_DECREF(os);
}

static int wrap_hidden(PyObject *m, PyObject *const *owners, PyMethodDef *def,
		       PyObject **slot)
{
	PyObject *cur, *w, *o;
	int i;

	cur = PyObject_GetAttrString(owners[0], def->ml_name);
	if (!cur) {
		PyErr_Clear();
		return 0;
	}
	if (PyCFunction_Check(cur) &&
	    PyCFunction_GET_FUNCTION(cur) == def->ml_meth) {
		Py_DECREF(cur);
		return 0;
	}
	w = PyCFunction_NewEx(def, m, NULL);
	if (!w) {
		Py_DECREF(cur);
		return -1;
	}
	for (i = 0; owners[i]; i++) {
		o = PyObject_GetAttrString(owners[i], def->ml_name);
		if (!o) {
			PyErr_Clear();
			continue;
		}
		if (o == cur &&
		    PyObject_SetAttrString(owners[i], def->ml_name, w) < 0) {
			Py_DECREF(o);
			Py_DECREF(w);
			Py_DECREF(cur);
			return -1;
		}
		Py_DECREF(o);
	}
	join_supports_sets(cur, w);
	Py_DECREF(w);
	Py_XSETREF(*slot, cur);
	hide(cur);
	return 0;
}

static int install_hidden_wrappers(PyObject *m, struct mod_state *st)
{
	PyObject *owners[3] = {NULL, NULL, NULL};
	int rc = 0;

	owners[0] = PyImport_ImportModule("_imp");
	if (!owners[0])
		return -1;
	if (wrap_hidden(m, owners, &wrap_create_builtin_def,
			&orig_create_builtin) < 0 ||
	    wrap_hidden(m, owners, &wrap_create_dynamic_def,
			&orig_create_dynamic) < 0)
		rc = -1;
	Py_DECREF(owners[0]);
	if (rc < 0)
		return -1;
	owners[0] = PyImport_ImportModule("posix");
	if (!owners[0]) {
		PyErr_Clear(); /* not POSIX: nothing to wrap */
		return 0;
	}
	owners[1] = PyImport_ImportModule("os");
	if (!owners[1])
		PyErr_Clear();
	if (wrap_hidden(m, owners, &wrap_mkfifo_def, &orig_mkfifo) < 0 ||
	    wrap_hidden(m, owners, &wrap_mknod_def, &orig_mknod) < 0)
		rc = -1;
	Py_DECREF(owners[0]);
	Py_XDECREF(owners[1]);
	/* The originals behind the older wrappers: out of gc's sight too. */
	hide(st->orig_import);
	hide(st->orig_eval);
	hide(st->orig_exec);
	hide(st->orig_compile);
	hide(st->orig_fork_exec);
	hide(st->orig_getaddrinfo);
	hide(st->orig_gethostbyname);
	hide(st->orig_gethostbyname_ex);
	note_guarded_loaded();
	return rc;
}

/* ------------------------------------------------------------------ */
/* Module functions                                                    */
/* ------------------------------------------------------------------ */

static int ensure_ready(void)
{
	if (proc.ready)
		return 0;
	PyErr_SetString(PyExc_RuntimeError, "hermetic: no policy segment");
	return -1;
}

/* Add each str of @seq with @add; ValueError/TypeError name @what. */
static int add_strings(struct hm_policy *p, PyObject *seq, const char *what,
		       int (*add)(struct hm_policy *, const char *))
{
	PyObject *fast;
	Py_ssize_t i;

	if (!seq || seq == Py_None)
		return 0;
	fast = PySequence_Fast(seq, "expected a sequence");
	if (!fast)
		return -1;
	for (i = 0; i < PySequence_Fast_GET_SIZE(fast); i++) {
		PyObject *o = PySequence_Fast_GET_ITEM(fast, i);
		const char *s;
		int rc;

		if (!PyUnicode_Check(o)) {
			PyErr_Format(PyExc_TypeError,
				     "%s entries must be str, not %.100s", what,
				     Py_TYPE(o)->tp_name);
			Py_DECREF(fast);
			return -1;
		}
		s = PyUnicode_AsUTF8(o);
		if (!s || strlen(s) != (size_t)PyUnicode_GET_LENGTH(o)) {
			if (s ||
			    PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) {
				PyErr_Clear();
				PyErr_Format(PyExc_ValueError,
					     "invalid %s entry: %R", what, o);
			}
			Py_DECREF(fast);
			return -1;
		}
		rc = add(p, s);
		if (rc == -ENOSPC) {
			PyErr_Format(PyExc_ValueError,
				     "too many %s entries for one block: the "
				     "lists of a block hold at most %u bytes "
				     "(hermetic._native.POOL_MAX)",
				     what, HM_POOL_MAX);
		} else if (rc == -ENAMETOOLONG) {
			PyErr_Format(PyExc_ValueError, "%s entry too long: %R",
				     what, o);
		} else if (rc < 0) {
			PyErr_Format(PyExc_ValueError, "invalid %s entry: %R",
				     what, o);
		}
		if (rc < 0) {
			Py_DECREF(fast);
			return -1;
		}
	}
	Py_DECREF(fast);
	return 0;
}

static struct hm_policy *build_policy(unsigned long flags, PyObject *root,
				      PyObject *writable, PyObject *domains,
				      PyObject *imports, PyObject *readable)
{
	struct hm_policy *p;

	if (flags & ~(unsigned long)PUSH_FLAGS) {
		PyErr_Format(PyExc_ValueError, "unknown policy flags 0x%lx",
			     flags & ~(unsigned long)PUSH_FLAGS);
		return NULL;
	}
	p = PyMem_Malloc(sizeof(*p));
	if (!p) {
		PyErr_NoMemory();
		return NULL;
	}
	/* The header only: the pool is read up to its used bytes. */
	hm_policy_init(p);
	p->flags = (uint32_t)flags;
	if (root && root != Py_None) {
		PyObject *b;
		int rc;

		if (!PyUnicode_FSConverter(root, &b))
			goto fail;
		rc = hm_policy_set_root(p, PyBytes_AS_STRING(b));
		Py_DECREF(b);
		if (rc < 0) {
			PyErr_Format(PyExc_ValueError,
				     rc == -ENAMETOOLONG
					 ? "fs_root too long: %R"
					 : "fs_root must be an absolute "
					   "path: %R",
				     root);
			goto fail;
		}
	}
	if (add_strings(p, writable, "writable", hm_policy_add_writable) < 0 ||
	    add_strings(p, domains, "allow_domains", hm_policy_add_domain) <
		0 ||
	    add_strings(p, imports, "deny_imports", hm_policy_add_import) < 0 ||
	    (readable && add_strings(p, readable, "allow_read",
				     hm_policy_add_readable) < 0))
		goto fail;
	if (hm_policy_validate(p) < 0) {
		PyErr_SetString(PyExc_ValueError, "invalid policy");
		goto fail;
	}
	return p;
fail:
	PyMem_Free(p);
	return NULL;
}

/*
 * Who may pop a dynamic entry (issue 8 class 3). Untrusted code inside an
 * unsealed block can find the blocker (gc.get_objects(), f_locals) and
 * call its __exit__, or call pop() itself. So push records, in C state
 * that Python cannot reach (not module state: gc.get_referents(_native)
 * does not list it), the entry's owner: the blocker object, the thread,
 * the contextvars context, and the *entering frame*, the first frame
 * outside hermetic_blocker's own methods (the frame running the `with`).
 * That frame is the per-entry token: Python code can reach the frame
 * object but cannot run as it. pop(id, owner) is allowed when
 *  - @owner is the object that pushed, and
 *  - the first frame outside hermetic_blocker's methods is the entering
 *    frame (the with statement's own exit, also for a generator or a
 *    coroutine resumed in another thread or context), or
 *  - the entering frame is a plain function that has returned (a manual
 *    __enter__() in setUp, contextlib.ExitStack.enter_context) and the
 *    thread and context are the ones that pushed.
 * Anything else raises PermissionError and the entry stays. Only the
 * interpreter's thread holding the GIL touches this table.
 */
struct owner {
	uint32_t id; /* 0: free */
	int sealed;
	int resumable;	   /* the entering frame is a generator/coroutine */
	PyObject *obj;	   /* the blocker (strong) */
	PyObject *frame;   /* the entering frame (strong), or NULL */
	PyObject *context; /* tstate->context at push (strong), or NULL */
	unsigned long thread;
	/* block_interpreter_mutation: (sys.path, meta_path, path_hooks) as
	 * ((list, tuple copy), ...) at push, or NULL. */
	PyObject *paths;
};

static struct owner owners[HM_MAX_DYN];
/* hermetic_blocker's own method code objects (set once, strong refs). */
static PyObject *blocker_code[8];
static int n_blocker_code = -1;

static int is_blocker_code(PyObject *co)
{
	int i;

	for (i = 0; i < n_blocker_code; i++)
		if (blocker_code[i] == co)
			return 1;
	return 0;
}

/* The first frame outward from the caller that is not blocker code. */
static PyFrameObject *entering_frame(void)
{
	PyFrameObject *f = PyEval_GetFrame(), *back;
	PyCodeObject *co;
	int own;

	Py_XINCREF(f);
	while (f) {
		co = PyFrame_GetCode(f);
		own = is_blocker_code((PyObject *)co);
		Py_DECREF(co);
		if (!own)
			return f;
		back = PyFrame_GetBack(f);
		Py_DECREF(f);
		f = back;
	}
	return NULL;
}

/* Whether @target is on this thread's running stack. */
static int frame_on_stack(PyObject *target)
{
	PyFrameObject *f = PyEval_GetFrame(), *back;
	int found = 0;

	Py_XINCREF(f);
	while (f && !found) {
		found = (PyObject *)f == target;
		back = PyFrame_GetBack(f);
		Py_DECREF(f);
		f = back;
	}
	Py_XDECREF(f);
	return found;
}

/* This thread's current contextvars context (created if none yet). */
static PyObject *current_context(void)
{
	PyThreadState *ts = PyThreadState_Get();
	PyObject *copy;

	if (!ts->context) {
		copy = PyContext_CopyCurrent(); /* creates the base context */
		if (!copy) {
			PyErr_Clear();
			return NULL;
		}
		Py_DECREF(copy);
	}
	return ts->context;
}

static void owner_clear(struct owner *o)
{
	Py_CLEAR(o->paths);
	Py_CLEAR(o->obj);
	Py_CLEAR(o->frame);
	Py_CLEAR(o->context);
	o->id = 0;
}

static const char *const path_lists[] = {"path", "meta_path", "path_hooks",
					 NULL};

/* ((sys.path, tuple(sys.path)), ...) for path_lists, or NULL. */
static PyObject *paths_snapshot(void)
{
	PyObject *out = PyTuple_New(3), *l, *t, *pair;
	int i;

	if (!out)
		return NULL;
	for (i = 0; path_lists[i]; i++) {
		l = PySys_GetObject(path_lists[i]); /* borrowed */
		t = l ? PySequence_Tuple(l) : NULL;
		pair = t ? PyTuple_Pack(2, l, t) : NULL;
		Py_XDECREF(t);
		if (!pair) {
			PyErr_Clear();
			pair = Py_NewRef(Py_None);
		}
		PyTuple_SET_ITEM(out, i, pair);
	}
	return out;
}

/*
 * The import event carries the live sys.path, sys.meta_path and
 * sys.path_hooks. Under block_interpreter_mutation a fresh import is
 * refused if one of them is not the list, or not the contents, it was
 * when a block with that flag was entered: list.append(sys.path, x) and a
 * reassigned sys.path get past the GuardedList methods, not this.
 */
static int import_paths_changed(PyObject *args)
{
	PyObject *snap, *pair, *now, *t;
	int i, k, same;

	for (k = 0; k < HM_MAX_DYN; k++) {
		snap = owners[k].id ? owners[k].paths : NULL;
		if (!snap)
			continue;
		for (i = 0; path_lists[i]; i++) {
			pair = PyTuple_GET_ITEM(snap, i);
			now = arg_at(args, 2 + i);
			if (pair == Py_None || !now)
				continue;
			same = now == PyTuple_GET_ITEM(pair, 0);
			if (same) {
				t = PySequence_Tuple(now);
				same =
				    t ? PyObject_RichCompareBool(
					    t, PyTuple_GET_ITEM(pair, 1), Py_EQ)
				      : -1;
				Py_XDECREF(t);
				if (same < 0)
					PyErr_Clear();
			}
			if (same == 1)
				continue;
			trace("import", "name", path_lists[i],
			      HM_R_NO_INTERP_MUTATION);
			return raise_violation(
			    EXC_IMPORT, "interpreter", NULL,
			    PyUnicode_FromFormat("interpreter mutation "
						 "disabled: sys.%s changed "
						 "inside the block",
						 path_lists[i]));
		}
	}
	return 0;
}

static PyObject *native_bind_blocker(PyObject *m, PyObject *arg)
{
	static const char *const names[] = {
	    "__enter__", "__exit__", "__aenter__", "__aexit__", "_push", NULL};
	PyObject *fn, *co;
	int i;

	(void)m;
	if (n_blocker_code >= 0) {
		PyErr_SetString(PyExc_RuntimeError,
				"hermetic: the blocker class is already bound");
		return NULL;
	}
	for (i = 0; names[i]; i++) {
		fn = PyObject_GetAttrString(arg, names[i]);
		co = fn ? PyObject_GetAttrString(fn, "__code__") : NULL;
		Py_XDECREF(fn);
		if (!co || !PyCode_Check(co)) {
			Py_XDECREF(co);
			for (int k = 0; k < i; k++)
				Py_CLEAR(blocker_code[k]);
			if (!PyErr_Occurred())
				PyErr_SetString(
				    PyExc_TypeError,
				    "hermetic: not a blocker class");
			return NULL;
		}
		blocker_code[i] = co;
	}
	n_blocker_code = i;
	Py_RETURN_NONE;
}

/* Record the owner of entry @id just pushed (0, or -1 with an error). */
static int owner_record(uint32_t id, PyObject *obj, int sealed,
			unsigned long flags)
{
	PyFrameObject *f;
	PyCodeObject *co;
	int i;

	for (i = 0; i < HM_MAX_DYN && owners[i].id; i++)
		;
	if (i == HM_MAX_DYN) {
		PyErr_SetString(
		    PyExc_RuntimeError,
		    "hermetic: no room to record the block's owner");
		return -1;
	}
	owners[i].id = id;
	owners[i].sealed = sealed;
	owners[i].paths =
	    (flags & HM_F_BLOCK_INTERP_MUTATION) ? paths_snapshot() : NULL;
	owners[i].obj = Py_NewRef(obj);
	owners[i].thread = PyThread_get_thread_ident();
	owners[i].context = Py_XNewRef(current_context());
	f = entering_frame();
	owners[i].frame = (PyObject *)f;
	owners[i].resumable = 0;
	if (f) {
		co = PyFrame_GetCode(f);
		owners[i].resumable =
		    (co->co_flags &
		     (CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR |
		      CO_ITERABLE_COROUTINE)) != 0;
		Py_DECREF(co);
	}
	return 0;
}

/* Whether the caller may pop the entry @o records, for owner @obj. */
static int owner_may_pop(const struct owner *o, PyObject *obj)
{
	PyFrameObject *g;
	int same;

	if (obj != o->obj)
		return 0;
	g = entering_frame();
	same = g && (PyObject *)g == o->frame;
	Py_XDECREF(g);
	if (same)
		return 1;
	if (!o->frame || o->resumable || frame_on_stack(o->frame))
		return 0;
	return o->thread == PyThread_get_thread_ident() &&
	       o->context == current_context();
}

static PyObject *native_push(PyObject *m, PyObject *args)
{
	unsigned long flags;
	PyObject *root, *writable, *domains, *imports, *readable = NULL,
						       *obj = Py_None;
	int sealed, rc;
	uint32_t id = 0;
	struct hm_policy *p;

	(void)m;
	if (!PyArg_ParseTuple(args, "kOOOOp|OO:push", &flags, &root, &writable,
			      &domains, &imports, &sealed, &readable, &obj))
		return NULL;
	if (ensure_ready() < 0)
		return NULL;
	p = build_policy(flags, root, writable, domains, imports, readable);
	if (!p)
		return NULL;
	pthread_mutex_lock(&proc.lock);
	rc = hm_segment_push(&proc.seg, p, sealed, &id);
	if (rc == 0 && policy_has_imports(p)) {
		if (proc.n_import_ids < HM_MAX_DYN)
			proc.import_ids[proc.n_import_ids++] = id;
		atomic_fetch_add(&proc.n_import_layers, 1);
	}
	pthread_mutex_unlock(&proc.lock);
	PyMem_Free(p);
	if (rc == -ENOSPC) {
		PyErr_Format(PyExc_RuntimeError,
			     "hermetic: too many active blocks (at most %d)",
			     HM_MAX_DYN);
		return NULL;
	}
	if (rc < 0) {
		PyErr_Format(PyExc_RuntimeError,
			     "hermetic: cannot push the policy: %s",
			     strerror(-rc));
		return NULL;
	}
	/* Cannot fail for want of room: the segment holds as many. */
	if (owner_record(id, obj, sealed, flags) < 0)
		return NULL;
	return PyLong_FromUnsignedLong(id);
}

/*
 * check_policy(flags, fs_root, writable, domains, imports, readable):
 * build the policy as push would and drop it, so hermetic_blocker()
 * reports a policy that does not fit (ValueError) when it is created.
 */
static PyObject *native_check_policy(PyObject *m, PyObject *args)
{
	unsigned long flags;
	PyObject *root, *writable, *domains, *imports, *readable;
	struct hm_policy *p;

	(void)m;
	if (!PyArg_ParseTuple(args, "kOOOOO:check_policy", &flags, &root,
			      &writable, &domains, &imports, &readable))
		return NULL;
	p = build_policy(flags, root, writable, domains, imports, readable);
	if (!p)
		return NULL;
	PyMem_Free(p);
	Py_RETURN_NONE;
}

static void watch_flags_update(void)
{
	uint32_t f = 0;
	int i;

	for (i = 0; i < HM_PY_WATCH_MAX; i++)
		if (watches[i].id)
			f |= watches[i].p->flags;
	atomic_store(&watch_flags, f);
}

static PyObject *native_audit_add(PyObject *m, PyObject *args)
{
	unsigned long flags;
	PyObject *root, *writable, *domains, *imports, *readable, *sink;
	struct hm_policy *p;
	int i;

	(void)m;
	if (!PyArg_ParseTuple(args, "kOOOOOO!:audit_add", &flags, &root,
			      &writable, &domains, &imports, &readable,
			      &PyList_Type, &sink))
		return NULL;
	if (ensure_ready() < 0)
		return NULL;
	p = build_policy(flags, root, writable, domains, imports, readable);
	if (!p)
		return NULL;
	for (i = 0; i < HM_PY_WATCH_MAX; i++)
		if (!watches[i].id)
			break;
	if (i == HM_PY_WATCH_MAX) {
		PyMem_Free(p);
		PyErr_Format(PyExc_RuntimeError,
			     "hermetic: too many active audit blocks (at "
			     "most %d)",
			     HM_PY_WATCH_MAX);
		return NULL;
	}
	watches[i].id = ++next_watch_id;
	watches[i].p = p;
	Py_INCREF(sink);
	watches[i].sink = sink;
	n_watches++;
	watch_flags_update();
	return PyLong_FromUnsignedLong(watches[i].id);
}

static PyObject *native_audit_remove(PyObject *m, PyObject *arg)
{
	unsigned long id = PyLong_AsUnsignedLong(arg);
	int i;

	(void)m;
	if (id == (unsigned long)-1 && PyErr_Occurred())
		return NULL;
	for (i = 0; i < HM_PY_WATCH_MAX; i++) {
		if (id && watches[i].id == id) {
			watches[i].id = 0;
			PyMem_Free(watches[i].p);
			watches[i].p = NULL;
			Py_CLEAR(watches[i].sink);
			n_watches--;
			watch_flags_update();
			Py_RETURN_NONE;
		}
	}
	PyErr_Format(PyExc_KeyError, "no active audit block %lu", id);
	return NULL;
}

static PyObject *native_pop(PyObject *m, PyObject *args)
{
	PyObject *arg, *obj = Py_None;
	unsigned long id;
	struct owner *o = NULL;
	uint32_t i;
	int rc;

	(void)m;
	if (!PyArg_ParseTuple(args, "O|O:pop", &arg, &obj))
		return NULL;
	id = PyLong_AsUnsignedLong(arg);
	if (id == (unsigned long)-1 && PyErr_Occurred())
		return NULL;
	if (ensure_ready() < 0)
		return NULL;
	for (i = 0; i < HM_MAX_DYN; i++)
		if (owners[i].id && owners[i].id == id)
			o = &owners[i];
	if (!o) {
		PyErr_Format(PyExc_KeyError, "no active entry %lu", id);
		return NULL;
	}
	if (o->sealed) {
		PyErr_Format(PyExc_PermissionError, "entry %lu is sealed", id);
		return NULL;
	}
	if (!owner_may_pop(o, obj)) {
		PyErr_Format(PyExc_PermissionError,
			     "hermetic: entry %lu can only be removed by the "
			     "block that entered it, from the frame that "
			     "entered it",
			     id);
		return NULL;
	}
	pthread_mutex_lock(&proc.lock);
	rc = hm_segment_pop(&proc.seg, (uint32_t)id);
	if (rc == 0) {
		for (i = 0; i < proc.n_import_ids; i++) {
			if (proc.import_ids[i] != id)
				continue;
			proc.import_ids[i] =
			    proc.import_ids[--proc.n_import_ids];
			atomic_fetch_sub(&proc.n_import_layers, 1);
			break;
		}
	}
	pthread_mutex_unlock(&proc.lock);
	if (rc == -ENOENT) {
		PyErr_Format(PyExc_KeyError, "no active entry %lu", id);
		return NULL;
	}
	if (rc == -EPERM) {
		PyErr_Format(PyExc_PermissionError, "entry %lu is sealed", id);
		return NULL;
	}
	if (rc < 0) {
		PyErr_Format(PyExc_RuntimeError, "hermetic: cannot pop: %s",
			     strerror(-rc));
		return NULL;
	}
	owner_clear(o);
	Py_RETURN_NONE;
}

static PyObject *native_layers(PyObject *m, PyObject *unused)
{
	(void)m;
	(void)unused;
	if (!proc.ready)
		return PyTuple_New(0);
	/*
	 * "kernel" (Landlock + seccomp at --seal) is not built yet, so it is
	 * never reported: a seccomp filter someone else installed (Docker's
	 * default profile) is not hermetic's policy.
	 */
	if (proc.attached)
		return Py_BuildValue("(ss)", "python", "libc");
	return Py_BuildValue("(s)", "python");
}

static PyObject *native_flags(PyObject *m, PyObject *unused)
{
	(void)m;
	(void)unused;
	return PyLong_FromUnsignedLong(seg_flags());
}

static PyObject *native_counts(PyObject *m, PyObject *unused)
{
	static const char *const names[HM_FAM_COUNT] = {
	    "network", "subprocess", "filesystem", "native", "python"};
	PyObject *d = PyDict_New();
	int i;

	(void)m;
	(void)unused;
	if (!d || ensure_ready() < 0) {
		Py_XDECREF(d);
		return NULL;
	}
	for (i = 0; i < HM_FAM_COUNT; i++) {
		PyObject *v = PyLong_FromUnsignedLongLong(
		    hm_segment_count(&proc.seg, (enum hm_family)i));

		if (!v || PyDict_SetItemString(d, names[i], v) < 0) {
			Py_XDECREF(v);
			Py_DECREF(d);
			return NULL;
		}
		Py_DECREF(v);
	}
	return d;
}

static PyObject *native_depth(PyObject *m, PyObject *unused)
{
	(void)m;
	(void)unused;
	if (ensure_ready() < 0)
		return NULL;
	return Py_BuildValue("(nn)",
			     (Py_ssize_t)hm_segment_base_count(&proc.seg),
			     (Py_ssize_t)hm_segment_dyn_count(&proc.seg));
}

static PyObject *native_snapshot(PyObject *m, PyObject *unused)
{
	size_t cap;
	char *buf;
	int rc;
	PyObject *res;

	(void)m;
	(void)unused;
	if (ensure_ready() < 0)
		return NULL;
	cap = hm_segment_snapshot_size(&proc.seg);
	buf = PyMem_Malloc(cap ? cap : 1);
	if (!buf)
		return PyErr_NoMemory();
	rc = hm_segment_snapshot(&proc.seg, buf, cap ? cap : 1);
	if (rc < 0) {
		PyMem_Free(buf);
		PyErr_Format(PyExc_RuntimeError,
			     "hermetic: cannot snapshot the policy: %s",
			     strerror(-rc));
		return NULL;
	}
	res = PyUnicode_FromStringAndSize(buf, rc);
	PyMem_Free(buf);
	return res;
}

static PyObject *native_profile_flags(PyObject *m, PyObject *arg)
{
	struct hm_policy *p;
	const char *name;
	unsigned long flags;
	int rc;

	(void)m;
	if (!PyUnicode_Check(arg)) {
		PyErr_Format(PyExc_TypeError, "profile must be str, not %.100s",
			     Py_TYPE(arg)->tp_name);
		return NULL;
	}
	name = PyUnicode_AsUTF8(arg);
	if (!name)
		return NULL;
	p = PyMem_Malloc(sizeof(*p));
	if (!p)
		return PyErr_NoMemory();
	hm_policy_init(p);
	rc = hm_profile_apply(p, name);
	flags = p->flags;
	PyMem_Free(p);
	if (rc < 0) {
		PyErr_Format(PyExc_ValueError, "Unknown hermetic profile: %R",
			     arg);
		return NULL;
	}
	return PyLong_FromUnsignedLong(flags);
}

static PyObject *native_profiles(PyObject *m, PyObject *unused)
{
	const char *const *names = hm_profile_names();
	PyObject *list = PyList_New(0);

	(void)m;
	(void)unused;
	for (; list && names && *names; names++) {
		PyObject *s = PyUnicode_FromString(*names);

		if (!s || PyList_Append(list, s) < 0) {
			Py_XDECREF(s);
			Py_CLEAR(list);
			break;
		}
		Py_DECREF(s);
	}
	return list;
}

/* Validate one entry with @add; return its normalised form. */
static PyObject *normalize_one(PyObject *arg, const char *what,
			       int (*add)(struct hm_policy *, const char *),
			       int domains)
{
	struct hm_policy *p;
	PyObject *tuple, *res = NULL;
	struct hm_list_iter it;

	p = PyMem_Malloc(sizeof(*p));
	if (!p)
		return PyErr_NoMemory();
	hm_policy_init(p);
	tuple = PyTuple_Pack(1, arg);
	if (tuple && add_strings(p, tuple, what, add) == 0)
		res = PyUnicode_FromString(hm_policy_list_first(
		    p, domains ? HM_LIST_DOMAINS : HM_LIST_IMPORTS, &it));
	Py_XDECREF(tuple);
	PyMem_Free(p);
	return res;
}

static PyObject *native_normalize_domain(PyObject *m, PyObject *arg)
{
	(void)m;
	return normalize_one(arg, "allow_domains", hm_policy_add_domain, 1);
}

static PyObject *native_normalize_import(PyObject *m, PyObject *arg)
{
	(void)m;
	return normalize_one(arg, "deny_imports", hm_policy_add_import, 0);
}

/* resolve_dir(what, path): the launcher's fs_root validation (core). */
static PyObject *native_resolve_dir(PyObject *m, PyObject *args)
{
	char out[PATH_MAX];
	PyObject *path, *b;
	const char *what;
	int rc;

	(void)m;
	if (!PyArg_ParseTuple(args, "sO:resolve_dir", &what, &path) ||
	    !PyUnicode_FSConverter(path, &b))
		return NULL;
	Py_BEGIN_ALLOW_THREADS rc =
	    hm_resolve_dir(PyBytes_AS_STRING(b), out, sizeof(out));
	Py_END_ALLOW_THREADS Py_DECREF(b);
	if (rc < 0) {
		PyErr_Format(PyExc_ValueError, "%s %R %s", what, path,
			     hm_resolve_dir_error(rc));
		return NULL;
	}
	return PyUnicode_DecodeFSDefault(out);
}

static PyObject *run_check(int rc)
{
	if (rc < 0)
		return NULL;
	Py_RETURN_NONE;
}

static PyObject *native_check_env(PyObject *m, PyObject *args)
{
	int write;
	PyObject *key = Py_None;
	int rc;

	(void)m;
	if (!PyArg_ParseTuple(args, "p|O:check_env", &write, &key))
		return NULL;
	if (!(seg_flags() & (HM_F_BLOCK_ENVIRONMENT | HM_F_INVALID)))
		Py_RETURN_NONE;
	rc = check_env(write, key == Py_None ? NULL : key, "os.environ");
	return run_check(rc);
}

static PyObject *native_check_interp(PyObject *m, PyObject *arg)
{
	const char *label;

	(void)m;
	if (!(seg_flags() & (HM_F_BLOCK_INTERP_MUTATION | HM_F_INVALID)))
		Py_RETURN_NONE;
	label = utf8_or(arg, "?");
	return run_check(check_interp(label, label, NULL));
}

static PyObject *native_check_import(PyObject *m, PyObject *arg)
{
	const char *name;

	(void)m;
	if (!proc.ready || !import_checks_active(seg_flags()))
		Py_RETURN_NONE;
	name = utf8_or(arg, NULL);
	if (!name)
		Py_RETURN_NONE;
	return run_check(check_import_name(name));
}

static PyObject *native_import_checks_active(PyObject *m, PyObject *unused)
{
	(void)m;
	(void)unused;
	return PyBool_FromLong(proc.ready && import_checks_active(seg_flags()));
}

static PyObject *native_check_mutate(PyObject *m, PyObject *args)
{
	const char *api;
	PyObject *path, *dirfd = Py_None;
	long fd = -1;

	(void)m;
	if (!PyArg_ParseTuple(args, "sO|O:check_mutate", &api, &path, &dirfd))
		return NULL;
	if (!(seg_flags() & FS_FLAGS))
		Py_RETURN_NONE;
	if (dirfd != Py_None) {
		fd = PyLong_AsLong(dirfd);
		if (fd == -1 && PyErr_Occurred())
			return NULL;
	}
	return run_check(check_mutate_path(api, path, fd, 0));
}

static PyObject *native_set_env_data(PyObject *m, PyObject *arg)
{
	struct mod_state *st = PyModule_GetState(m);

	if (!PyDict_Check(arg)) {
		PyErr_SetString(PyExc_TypeError, "expected a dict");
		return NULL;
	}
	if (st->env_data) {
		PyErr_SetString(PyExc_RuntimeError, "already set");
		return NULL;
	}
	st->env_data = Py_NewRef(arg);
	Py_RETURN_NONE;
}

static PyObject *native_env_data(PyObject *m, PyObject *unused)
{
	struct mod_state *st = PyModule_GetState(m);

	(void)unused;
	if (!st->env_data) {
		PyErr_SetString(PyExc_RuntimeError, "no environment data");
		return NULL;
	}
	if ((seg_flags() & (HM_F_BLOCK_ENVIRONMENT | HM_F_INVALID)) &&
	    check_env(0, NULL, "os.environ") < 0)
		return NULL;
	return Py_NewRef(st->env_data);
}

/*
 * Interpreter configuration variables that the standard library reads on
 * its own and that hold no secrets: readable one key at a time even under
 * block_environment (asyncio reads PYTHONASYNCIODEBUG whenever it creates
 * an event loop). Iteration, copies and every other key stay refused.
 */
static const char *const benign_env[] = {"PYTHONASYNCIODEBUG", NULL};

static PyObject *native_env_benign(PyObject *m, PyObject *key)
{
	struct mod_state *st = PyModule_GetState(m);
	PyObject *bkey, *value;
	const char *k = utf8_or(key, NULL);
	int i, ok = 0;

	for (i = 0; k && benign_env[i] && !ok; i++)
		ok = strcmp(k, benign_env[i]) == 0;
	if (!ok || !st->env_data)
		Py_RETURN_NOTIMPLEMENTED; /* not benign: the caller checks */
	bkey = PyUnicode_EncodeFSDefault(key);
	if (!bkey)
		return NULL;
	value = PyDict_GetItemWithError(st->env_data, bkey);
	Py_DECREF(bkey);
	if (!value) {
		if (PyErr_Occurred())
			return NULL;
		Py_RETURN_NONE;
	}
	if (!PyBytes_Check(value))
		Py_RETURN_NONE;
	return PyUnicode_DecodeFSDefault(PyBytes_AS_STRING(value));
}

static PyObject *native_reason_name(PyObject *m, PyObject *arg)
{
	long r = PyLong_AsLong(arg);

	(void)m;
	if (r == -1 && PyErr_Occurred())
		return NULL;
	return PyUnicode_FromString(hm_reason_name((enum hm_reason)r));
}

/* clang-format off */
/* policyfile_py.c: the launcher's policy-file parser (json-c). */
PyObject *hm_py_load_policy_file(PyObject *self, PyObject *arg);

static PyMethodDef native_methods[] = {
	{"load_policy_file", hm_py_load_policy_file, METH_O,
	 "load_policy_file(path) -> dict of hermetic_blocker keywords"},
	{"audit_add", native_audit_add, METH_VARARGS,
	 "audit_add(flags, fs_root, writable, domains, imports, readable, "
	 "sink) -> id\n"
	 "Watch a policy without enforcing it: the JSON record of every "
	 "request\nit would deny (that the real policy allows) is appended "
	 "to sink."},
	{"audit_remove", native_audit_remove, METH_O,
	 "audit_remove(id): stop that watch."},
	{"check_policy", native_check_policy, METH_VARARGS,
	 "check_policy(flags, fs_root, writable, domains, imports, readable)\n"
	 "Raise ValueError if push would refuse this policy."},
	{"push", native_push, METH_VARARGS,
	 "push(flags, fs_root, writable, domains, imports, sealed, owner) -> id\n"
	 "Push a validated entry on the dynamic policy stack."},
	{"pop", native_pop, METH_VARARGS,
	 "pop(id, owner): remove that entry; only the owner, from the frame\n"
	 "that entered it (see docs/api.md)."},
	{"_bind_blocker", native_bind_blocker, METH_O,
	 "Record hermetic_blocker's own methods (once)."},
	{"layers", native_layers, METH_NOARGS,
	 "The live enforcement layers: 'python', 'libc', 'kernel'."},
	{"flags", native_flags, METH_NOARGS,
	 "OR of the flags of every active layer."},
	{"counters", native_counts, METH_NOARGS,
	 "Blocks counted per family in this process."},
	{"depth", native_depth, METH_NOARGS,
	 "(base layers, dynamic entries)."},
	{"_set_uncaught_hook", native_set_uncaught_hook, METH_O,
	 "Register the launcher bootstrap's uncaught-violation callable (once)."},
	{"_wrap_thread_start", native_wrap_thread_start, METH_NOARGS,
	 "Wrap _thread.start_new_thread for the uncaught-violation callable."},
	{"snapshot", native_snapshot, METH_NOARGS,
	 "The effective policy in HERMETIC_POLICY form ('' when empty)."},
	{"profile_flags", native_profile_flags, METH_O,
	 "The flags of a named profile (ValueError if unknown)."},
	{"profiles", native_profiles, METH_NOARGS, "The profile names."},
	{"normalize_domain", native_normalize_domain, METH_O,
	 "Validate and normalise one allow_domains entry."},
	{"normalize_import", native_normalize_import, METH_O,
	 "Validate and normalise one deny_imports entry."},
	{"resolve_dir", native_resolve_dir, METH_VARARGS,
	 "resolve_dir(what, path) -> realpath; ValueError unless path is an "
	 "existing directory (the launcher's rule)."},
	{"check_env", native_check_env, METH_VARARGS,
	 "check_env(write, key=None): raise if the environment is blocked."},
	{"check_interp", native_check_interp, METH_O,
	 "check_interp(label): raise if interpreter mutation is blocked."},
	{"check_import", native_check_import, METH_O,
	 "check_import(name): raise if the import is denied."},
	{"import_checks_active", native_import_checks_active, METH_NOARGS,
	 "True if any layer denies imports by name."},
	{"check_mutate", native_check_mutate, METH_VARARGS,
	 "check_mutate(api, path, dir_fd=None): raise if read-only."},
	{"_set_env_data", native_set_env_data, METH_O,
	 "Hand over os.environ's backing dict (once)."},
	{"env_data", native_env_data, METH_NOARGS,
	 "os.environ's backing dict, if the environment is not blocked."},
	{"env_benign", native_env_benign, METH_O,
	 "The value (or None) of a benign interpreter variable, else "
	 "NotImplemented."},
	{"reason_name", native_reason_name, METH_O,
	 "The trace name of a reason code."},
	{NULL, NULL, 0, NULL},
};
/* clang-format on */

/* ------------------------------------------------------------------ */
/* Module lifecycle                                                    */
/* ------------------------------------------------------------------ */

static int native_traverse(PyObject *m, visitproc visit, void *arg)
{
	struct mod_state *st = PyModule_GetState(m);

	if (!st)
		return 0;
	Py_VISIT(st->policy_violation);
	Py_VISIT(st->import_blocked);
	Py_VISIT(st->native_import_blocked);
	Py_VISIT(st->fs_blocked);
	Py_VISIT(st->socket_blocked);
	/*
	 * Not visited: the originals behind the wrappers and os.environ's
	 * backing dict. Visiting them would hand them to
	 * gc.get_referents(_native) (issue 8 class 4); they are builtin
	 * functions and a dict of bytes, which form no cycles.
	 */
	return 0;
}

static int native_clear(PyObject *m)
{
	struct mod_state *st = PyModule_GetState(m);

	if (!st)
		return 0;
	Py_CLEAR(st->policy_violation);
	Py_CLEAR(st->import_blocked);
	Py_CLEAR(st->native_import_blocked);
	Py_CLEAR(st->fs_blocked);
	Py_CLEAR(st->socket_blocked);
	Py_CLEAR(st->orig_import);
	Py_CLEAR(st->orig_eval);
	Py_CLEAR(st->orig_exec);
	Py_CLEAR(st->orig_compile);
	Py_CLEAR(st->orig_fork_exec);
	Py_CLEAR(st->orig_getaddrinfo);
	Py_CLEAR(st->orig_gethostbyname);
	Py_CLEAR(st->orig_gethostbyname_ex);
	Py_CLEAR(st->orig_getnameinfo);
	Py_CLEAR(st->env_data);
	return 0;
}

static void native_free(void *m)
{
	native_clear((PyObject *)m);
}

/* The directory of @file into @out (realpath'd if @real), "" on failure. */
static void dir_of(PyObject *file, char *out, int real)
{
	PyObject *b;
	char *slash;
	char tmp[PATH_MAX];

	out[0] = '\0';
	if (!file || !PyUnicode_FSConverter(file, &b)) {
		PyErr_Clear();
		return;
	}
	if (real ? realpath(PyBytes_AS_STRING(b), tmp) != NULL
		 : (PyBytes_GET_SIZE(b) < PATH_MAX &&
		    PyBytes_AS_STRING(b)[0] == '/')) {
		if (!real)
			strcpy(tmp, PyBytes_AS_STRING(b));
		slash = strrchr(tmp, '/');
		if (slash && slash != tmp) {
			*slash = '\0';
			strcpy(out, tmp);
		}
	}
	Py_DECREF(b);
}

static void find_dirs(PyObject *m)
{
	PyObject *file, *os;

	if (!proc.pkgdir[0]) {
		file = PyObject_GetAttrString(m, "__file__");
		dir_of(file, proc.pkgdir, 1);
		Py_XDECREF(file);
		PyErr_Clear();
	}
	if (!proc.stdlib[0]) {
		PyObject *name = PyUnicode_FromString("os");

		os = name ? PyImport_GetModule(name) : NULL;
		Py_XDECREF(name);
		file = os ? PyObject_GetAttrString(os, "__file__") : NULL;
		dir_of(file, proc.stdlib, 1);
		dir_of(file, proc.stdlib_raw, 0);
		Py_XDECREF(file);
		Py_XDECREF(os);
		PyErr_Clear();
	}
}

static int load_errors(struct mod_state *st)
{
	PyObject *errors = PyImport_ImportModule("hermetic.errors");

	if (!errors)
		return -1;
	st->policy_violation =
	    PyObject_GetAttrString(errors, "PolicyViolation");
	st->import_blocked = PyObject_GetAttrString(errors, "ImportBlocked");
	st->native_import_blocked =
	    PyObject_GetAttrString(errors, "NativeImportBlocked");
	st->fs_blocked = PyObject_GetAttrString(errors, "FilesystemBlocked");
	st->socket_blocked = PyObject_GetAttrString(errors, "SocketBlocked");
	Py_DECREF(errors);
	if (!st->policy_violation || !st->import_blocked ||
	    !st->native_import_blocked || !st->fs_blocked ||
	    !st->socket_blocked)
		return -1;
	return 0;
}

static int add_constants(PyObject *m)
{
	/* clang-format off */
	static const struct { const char *name; long value; } consts[] = {
		{ "F_BLOCK_NETWORK",         HM_F_BLOCK_NETWORK },
		{ "F_ALLOW_LOCALHOST",       HM_F_ALLOW_LOCALHOST },
		{ "F_BLOCK_SUBPROCESS",      HM_F_BLOCK_SUBPROCESS },
		{ "F_FS_READONLY",           HM_F_FS_READONLY },
		{ "F_FS_ROOT",               HM_F_FS_ROOT },
		{ "F_BLOCK_NATIVE",          HM_F_BLOCK_NATIVE },
		{ "F_BLOCK_ENVIRONMENT",     HM_F_BLOCK_ENVIRONMENT },
		{ "F_BLOCK_CODE_EXEC",       HM_F_BLOCK_CODE_EXEC },
		{ "F_BLOCK_INTERP_MUTATION", HM_F_BLOCK_INTERP_MUTATION },
		{ "F_TRACE",                 HM_F_TRACE },
		{ "F_SEALED",                HM_F_SEALED },
		{ "F_INVALID",               HM_F_INVALID },
		{ "MAX_DYN",                 HM_MAX_DYN },
		{ "POOL_MAX",                HM_POOL_MAX },
		{ "DOMAIN_MAX",              HM_DOMAIN_MAX },
		{ "PATH_MAX",                HM_PATH_MAX },
		{ "IMPORT_MAX",              HM_IMPORT_MAX },
	};
	/* clang-format on */
	size_t i;

	for (i = 0; i < sizeof(consts) / sizeof(consts[0]); i++)
		if (PyModule_AddIntConstant(m, consts[i].name,
					    consts[i].value) < 0)
			return -1;
	return PyModule_AddStringConstant(m, "VERSION", HERMETIC_VERSION);
}

static int native_exec(PyObject *m)
{
	struct mod_state *st = PyModule_GetState(m);
	PyObject *interp_dict;
	int rc;

	pthread_mutex_lock(&proc.lock);
	rc = proc_init();
	pthread_mutex_unlock(&proc.lock);
	if (rc < 0)
		return -1;
	find_dirs(m);
	if (load_errors(st) < 0 || add_constants(m) < 0)
		return -1;
	if (install_wrappers(m, st) < 0 || install_hidden_wrappers(m, st) < 0)
		return -1;
	interp_dict = PyInterpreterState_GetDict(PyInterpreterState_Get());
	if (!interp_dict ||
	    PyDict_SetItemString(interp_dict, "hermetic._native", m) < 0) {
		if (!PyErr_Occurred())
			PyErr_SetString(PyExc_RuntimeError,
					"hermetic: no interpreter dict");
		return -1;
	}
	if (!proc.hook) {
		if (PySys_AddAuditHook(audit_hook, NULL) < 0)
			return -1;
		proc.hook = 1;
	}
	return 0;
}

static PyModuleDef_Slot native_slots[] = {
    {Py_mod_exec, (void *)native_exec},
    {0, NULL},
};

static struct PyModuleDef native_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "hermetic._native",
    .m_doc = "hermetic's Python layer: the policy segment and the audit "
	     "hook.",
    .m_size = sizeof(struct mod_state),
    .m_methods = native_methods,
    .m_slots = native_slots,
    .m_traverse = native_traverse,
    .m_clear = native_clear,
    .m_free = native_free,
};

PyMODINIT_FUNC PyInit__native(void)
{
	return PyModuleDef_Init(&native_def);
}
