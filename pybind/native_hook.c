/*
 * native_hook.c - hermetic._native: the audit hook, its event dispatch,
 * and the uncaught-violation hook.
 */
#include "native_int.h"

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
	for (i = 0; i < n_mut_events; i++)
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
