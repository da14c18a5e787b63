/*
 * native_owner.c - hermetic._native: the owner table of dynamic entries
 * (who may pop), the re-import guard's sys.path snapshots, push and pop.
 */
#include "native_int.h"

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
int import_paths_changed(PyObject *args)
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

PyObject *native_bind_blocker(PyObject *m, PyObject *arg)
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

PyObject *native_push(PyObject *m, PyObject *args)
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

PyObject *native_pop(PyObject *m, PyObject *args)
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
