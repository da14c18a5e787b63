/*
 * native_checks.c - hermetic._native: the subprocess, environment,
 * interpreter, code-execution, import and native-code checks.
 */
#include "native_int.h"

/* ------------------------------------------------------------------ */
/* Subprocess, environment, interpreter, code, imports, native         */
/* ------------------------------------------------------------------ */

int check_exec(void)
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
int on_ioctl(PyObject *args, uint32_t f)
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

int check_env(int write, PyObject *key, const char *api)
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

int check_interp(const char *label, const char *api, PyObject *path)
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

int on_code(const char *ev)
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

int check_import_name(const char *name)
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
static const char *const guarded_modules[] = {
    "posix", "nt", "_posixsubprocess", "builtins", "_socket", "_imp", NULL,
};
static unsigned int guarded_loaded;

void note_guarded_loaded(void)
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
int fresh_copy_refused(const char *name)
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

int on_import(PyObject *args, uint32_t f)
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
	    (under(real, proc.pkgdir) || hm_runtime_trusted_ext(real))) {
		Py_DECREF(b);
		return 0; /* hermetic's own extension, or trusted runtime */
	}
	rc = check_native(name, PyBytes_AS_STRING(b));
	Py_DECREF(b);
	return rc;
}

/* ctypes.* and sqlite3 extension loading under block_native. */
int on_native_interface(const char *ev, PyObject *args)
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
