/*
 * native_hook.c - hermetic._native: the audit hook, its event dispatch,
 * and the uncaught-violation hook.
 */
#include "native_int.h"

/* ------------------------------------------------------------------ */
/* The audit hook                                                      */
/* ------------------------------------------------------------------ */

/*
 * The audit events the hook looks at, one sorted table (bsearch): the
 * handler kind, the flags under which the event matters (0: always; the
 * handler decides) and, for a file-system mutation, which arguments are
 * paths and their dir_fd slots. ctypes.* events are matched by prefix.
 */
enum ev_kind {
	EV_OPEN,
	EV_MUTATE,
	EV_EXEC,
	EV_CHDIR,
	EV_ENV,
	EV_SOCKET,
	EV_NATIVE,
	EV_IMPORT,
	EV_CODE,
	EV_IOCTL,
};

#define G_ALWAYS 0
#define G_SUB (HM_F_BLOCK_SUBPROCESS | HM_F_INVALID)
#define G_INTERP (HM_F_BLOCK_INTERP_MUTATION | HM_F_INVALID)
#define G_ENV (HM_F_BLOCK_ENVIRONMENT | HM_F_INVALID)
#define G_DOOR HM_GATE_DOOR /* daemon sockets under no-subprocess too */
#define G_NATIVE (HM_F_BLOCK_NATIVE | HM_F_INVALID)
#define G_CODE (HM_F_BLOCK_CODE_EXEC | HM_F_INVALID)
#define G_IOCTL (HM_F_BLOCK_SUBPROCESS | HM_F_BLOCK_NETWORK | FS_FLAGS)
/* clang-format off */
#define EV(name, kind, gate) { name, kind, gate, { -1, -1 }, { -1, -1 }, 0 }
#define SOCK(name, which) { name, EV_SOCKET, G_DOOR, { -1, -1 }, { -1, -1 }, which }
#define MUT(name, p0, p1, d0, d1, follow) \
	{ name, EV_MUTATE, FS_FLAGS, { p0, p1 }, { d0, d1 }, follow }

static const struct hook_event events[] = {
	EV("code.__new__", EV_CODE, G_CODE),
	EV("compile", EV_CODE, G_CODE),
	EV("exec", EV_CODE, G_CODE),
	EV("fcntl.ioctl", EV_IOCTL, G_IOCTL),
	EV("import", EV_IMPORT, G_ALWAYS),
	EV("marshal.load", EV_CODE, G_CODE),
	EV("marshal.loads", EV_CODE, G_CODE),
	EV("open", EV_OPEN, G_ALWAYS),
	EV("os.chdir", EV_CHDIR, G_INTERP),
	MUT("os.chflags", 0, -1, -1, -1, 1),
	MUT("os.chmod", 0, -1, 2, -1, 1),
	MUT("os.chown", 0, -1, 3, -1, 1),
	EV("os.exec", EV_EXEC, G_SUB),
	EV("os.fork", EV_EXEC, G_SUB),
	EV("os.forkpty", EV_EXEC, G_SUB),
	MUT("os.lchflags", 0, -1, -1, -1, 0),
	MUT("os.link", 0, 1, 2, 3, 0),
	MUT("os.mkdir", 0, -1, 2, -1, 0),
	EV("os.posix_spawn", EV_EXEC, G_SUB),
	EV("os.putenv", EV_ENV, G_ENV),
	MUT("os.remove", 0, -1, 1, -1, 0),
	MUT("os.removexattr", 0, -1, -1, -1, 1),
	MUT("os.rename", 0, 1, 2, 3, 0),
	MUT("os.rmdir", 0, -1, 1, -1, 0),
	MUT("os.setxattr", 0, -1, -1, -1, 1),
	EV("os.spawn", EV_EXEC, G_SUB),
	EV("os.startfile", EV_EXEC, G_SUB),
	MUT("os.symlink", 1, -1, 2, -1, 0),
	EV("os.system", EV_EXEC, G_SUB),
	MUT("os.truncate", 0, -1, -1, -1, 1),
	EV("os.unsetenv", EV_ENV, G_ENV),
	MUT("os.utime", 0, -1, 3, -1, 1),
	MUT("shutil.chown", 0, -1, -1, -1, 1),
	MUT("shutil.copyfile", 1, -1, -1, -1, 1),
	MUT("shutil.copymode", 1, -1, -1, -1, 1),
	MUT("shutil.copystat", 1, -1, -1, -1, 1),
	MUT("shutil.copytree", 1, -1, -1, -1, 0),
	MUT("shutil.make_archive", 0, -1, -1, -1, 0),
	MUT("shutil.move", 0, 1, -1, -1, 0),
	MUT("shutil.rmtree", 0, -1, 1, -1, 0),
	MUT("shutil.unpack_archive", 1, -1, -1, -1, 0),
	SOCK("socket.__new__", SOCK_NEW),
	SOCK("socket.bind", SOCK_BIND),
	SOCK("socket.connect", SOCK_CONNECT),
	SOCK("socket.getaddrinfo", SOCK_RESOLVE),
	SOCK("socket.gethostbyaddr", SOCK_REVERSE),
	SOCK("socket.gethostbyname", SOCK_RESOLVE),
	SOCK("socket.getnameinfo", SOCK_REVERSE),
	SOCK("socket.sendmsg", SOCK_SENDMSG),
	SOCK("socket.sendto", SOCK_SENDTO),
	EV("sqlite3.enable_load_extension", EV_NATIVE, G_NATIVE),
	EV("sqlite3.load_extension", EV_NATIVE, G_NATIVE),
	EV("subprocess.Popen", EV_EXEC, G_SUB),
};
/* clang-format on */

#define N_EVENTS (sizeof(events) / sizeof(events[0]))

/* First characters of the table's names: most events miss at once. */
static uint64_t first_chars[4];

int hook_events_init(void)
{
	size_t i;

	for (i = 0; i < N_EVENTS; i++) {
		unsigned char c = (unsigned char)events[i].name[0];

		if (i && strcmp(events[i - 1].name, events[i].name) >= 0) {
			PyErr_Format(PyExc_SystemError,
				     "hermetic: audit event table not sorted "
				     "at %s",
				     events[i].name);
			return -1;
		}
		first_chars[c >> 6] |= (uint64_t)1 << (c & 63);
	}
	return 0;
}

static __thread const struct hook_event *last_event;

static int event_cmp(const void *key, const void *row)
{
	return strcmp(key, ((const struct hook_event *)row)->name);
}

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
	unsigned char c = (unsigned char)ev[0];
	const struct hook_event *e;
	PyObject *p;

	if (c == 'c' && strncmp(ev, "ctypes.", 7) == 0)
		return (f & G_NATIVE) ? on_native_interface(ev, args) : 0;
	if (!(first_chars[c >> 6] & ((uint64_t)1 << (c & 63))))
		return 0;
	/*
	 * The last row this thread found, checked by name (an event name may
	 * be a freed and reused buffer, so never by pointer): a loop of one
	 * event (open, connect) costs one strcmp instead of a bsearch.
	 */
	e = last_event;
	if (!e || strcmp(ev, e->name) != 0) {
		e = bsearch(ev, events, N_EVENTS, sizeof(events[0]), event_cmp);
		if (e)
			last_event = e;
	}
	if (!e || (e->gate && !(f & e->gate)))
		return 0;
	switch (e->kind) {
	case EV_OPEN:
		return on_open(args, f);
	case EV_MUTATE:
		return on_mutation(e, args);
	case EV_EXEC:
		return check_exec();
	case EV_CHDIR:
		p = arg_at(args, 0);
		return check_interp(p && PyLong_Check(p) ? "fchdir" : "chdir",
				    "os.chdir",
				    p && PyUnicode_Check(p) ? p : NULL);
	case EV_ENV:
		return check_env(1, arg_at(args, 0), ev);
	case EV_SOCKET:
		return on_socket(e->follow, ev, args);
	case EV_NATIVE:
		return on_native_interface(ev, args);
	case EV_IMPORT:
		return on_import(args, f);
	case EV_CODE:
		return on_code(ev);
	case EV_IOCTL:
		return on_ioctl(args, f);
	default:
		return 0;
	}
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

PyObject *native_wrap_thread_start(PyObject *m, PyObject *noargs)
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

PyObject *native_set_uncaught_hook(PyObject *m, PyObject *fn)
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

int audit_hook(const char *event, PyObject *args, void *data)
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
