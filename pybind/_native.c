/*
 * _native.c - hermetic._native, the Python layer of hermetic: it attaches
 * to this process's policy segment (the shim's, or a private one), pushes
 * and pops hermetic_blocker entries on its dynamic stack, and turns
 * CPython audit events into policy requests from one C audit hook.
 *
 * This file holds the module object: policy building from arguments, the
 * module functions and the module's lifecycle. The rest is split by
 * concern (native_int.h is the private header they share): native_state.c
 * (process state, checks, raising), native_fs.c, native_net.c,
 * native_checks.c (subprocess, environment, interpreter, code, imports,
 * native), native_hook.c (the audit hook), native_wrap.c (builtin
 * wrappers) and native_owner.c (the owner table, push and pop). The only
 * exported symbol is PyInit__native; everything else is hidden.
 */
#include "native_int.h"

PyMODINIT_FUNC PyInit__native(void);

/* ------------------------------------------------------------------ */
/* Module functions                                                    */
/* ------------------------------------------------------------------ */

int ensure_ready(void)
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

struct hm_policy *build_policy(unsigned long flags, PyObject *root,
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
	Py_VISIT(st->connect_blocked);
	Py_VISIT(st->lookup_blocked);
	Py_VISIT(st->addr_lookup_blocked);
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
	Py_CLEAR(st->connect_blocked);
	Py_CLEAR(st->lookup_blocked);
	Py_CLEAR(st->addr_lookup_blocked);
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
	st->connect_blocked = PyObject_GetAttrString(errors, "ConnectBlocked");
	st->lookup_blocked = PyObject_GetAttrString(errors, "LookupBlocked");
	st->addr_lookup_blocked =
	    PyObject_GetAttrString(errors, "AddressLookupBlocked");
	Py_DECREF(errors);
	if (!st->policy_violation || !st->import_blocked ||
	    !st->native_import_blocked || !st->fs_blocked ||
	    !st->socket_blocked || !st->connect_blocked ||
	    !st->lookup_blocked || !st->addr_lookup_blocked)
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
		if (hook_events_init() < 0 ||
		    PySys_AddAuditHook(audit_hook, NULL) < 0)
			return -1;
		proc.hook = 1;
	}
	return 0;
}

static PyModuleDef_Slot native_slots[] = {
    {Py_mod_exec, (void *)native_exec},
    {0, NULL},
};

struct PyModuleDef native_def = {
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
