/*
 * native_state.c - hermetic._native: process state (the segment, set up
 * once per process), the policy check with its audit watches, and raising
 * violations.
 */
#include "native_int.h"

/*
 * Process-level state: one segment per process, whatever number of
 * interpreters or module objects load this extension. Written under
 * @lock (and only by this extension); the audit hook reads it lock-free.
 */
struct proc_state proc = {.lock = PTHREAD_MUTEX_INITIALIZER};
struct hm_hosts own_hosts;

/* Non-zero while this thread runs the audit hook (no re-entry). */
_Thread_local int in_hook;
/* Set by the eval/exec/compile wrappers: the name the user called. */
_Thread_local const char *code_label;
/* Set by the compile wrapper for compile(..., flags=PyCF_ONLY_AST). */
_Thread_local int code_ast_only;

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

int policy_has_imports(const struct hm_policy *p)
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
int proc_init(void)
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
struct py_watch watches[HM_PY_WATCH_MAX];
_Atomic uint32_t watch_flags; /* OR of the watches' flags */
int n_watches;
unsigned long next_watch_id;

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
enum hm_reason py_check(const struct hm_request *rq)
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

uint32_t seg_flags(void)
{
	if (!proc.ready)
		return 0;
	return hm_segment_flags(&proc.seg) | atomic_load(&watch_flags);
}

int import_checks_active(uint32_t f)
{
	return (f & HM_F_INVALID) || atomic_load(&proc.n_import_layers) > 0;
}

/* Under @dir (absolute, no trailing slash unless "/") on a '/' boundary. */
int under(const char *path, const char *dir)
{
	return dir[0] && hm_path_under(path, dir);
}

/* Reads the Python runtime itself needs: its stdlib and this package. */
int py_runtime_readable(const char *path)
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

void trace(const char *api, const char *key, const char *value,
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
int raise_violation(enum exc_kind kind, const char *guard, PyObject *target,
		    PyObject *msg)
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
		case EXC_CONNECT:
			cls = st->connect_blocked;
			break;
		case EXC_LOOKUP:
			cls = st->lookup_blocked;
			break;
		case EXC_ADDR_LOOKUP:
			cls = st->addr_lookup_blocked;
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
