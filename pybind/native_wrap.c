/*
 * native_wrap.c - hermetic._native: the wrappers installed over builtins
 * (labels for eval/exec/compile, cached imports, the resolver functions,
 * fork_exec) and the hidden wrappers (_imp, mkfifo, mknod).
 */
#include "native_int.h"

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

int install_wrappers(PyObject *m, struct mod_state *st)
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

int install_hidden_wrappers(PyObject *m, struct mod_state *st)
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
