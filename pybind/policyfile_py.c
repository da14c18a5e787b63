/*
 * policyfile_py.c - hermetic._native.load_policy_file(path): the policy
 * file parser of the launcher (libhermetic/policyfile, json-c) for
 * hermetic_blocker(policy=...), so both front ends read a file the same
 * way. Returns a dict of hermetic_blocker keywords.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdlib.h>

#include "policyfile.h"

PyObject *hm_py_load_policy_file(PyObject *self, PyObject *arg);

/* @d[@key] = @l (a new reference, or NULL after an error). */
static int set_list(PyObject *d, const char *key, PyObject *l)
{
	int r;

	if (!l)
		return -1;
	r = PyDict_SetItemString(d, key, l);
	Py_DECREF(l);
	return r;
}

static int append_str(PyObject *l, const char *s)
{
	PyObject *o = PyUnicode_DecodeFSDefault(s);
	int r;

	if (!o)
		return -1;
	r = PyList_Append(l, o);
	Py_DECREF(o);
	return r;
}

/* A list of the entries of @p's list @which. */
static PyObject *policy_list(const struct hm_policy *p, enum hm_list which)
{
	struct hm_list_iter it;
	PyObject *l = PyList_New(0);
	const char *e;

	for (e = hm_policy_list_first(p, which, &it); l && e;
	     e = hm_policy_list_next(&it))
		if (append_str(l, e) < 0)
			Py_CLEAR(l);
	return l;
}

/* A list of the raw paths in @paths. */
static PyObject *paths_list(const struct hm_pf_paths *paths)
{
	PyObject *l = PyList_New(0);
	size_t off = 0;
	const char *e;

	while (l && (e = hm_pf_paths_next(paths, &off)))
		if (append_str(l, e) < 0)
			Py_CLEAR(l);
	return l;
}

static PyObject *to_dict(const struct hm_policy_file *pf)
{
	const struct hm_policy_key *k;
	PyObject *d = PyDict_New(), *root;

	if (!d)
		return NULL;
	for (k = hm_policy_bool_keys; k->key; k++)
		if (PyDict_SetItemString(
			d, k->key,
			(pf->policy.flags & k->flag) ? Py_True : Py_False))
			goto err;
	if (pf->fs_root[0]) {
		root = PyUnicode_DecodeFSDefault(pf->fs_root);
	} else {
		root = Py_None;
		Py_INCREF(root);
	}
	if (!root || PyDict_SetItemString(d, "fs_root", root)) {
		Py_XDECREF(root);
		goto err;
	}
	Py_DECREF(root);
	if (set_list(d, "allow_write", paths_list(&pf->writable)) ||
	    set_list(d, "allow_read", paths_list(&pf->readable)) ||
	    set_list(d, "allow_domains",
		     policy_list(&pf->policy, HM_LIST_DOMAINS)) ||
	    set_list(d, "deny_imports",
		     policy_list(&pf->policy, HM_LIST_IMPORTS)))
		goto err;
	return d;
err:
	Py_DECREF(d);
	return NULL;
}

PyObject *hm_py_load_policy_file(PyObject *self, PyObject *arg)
{
	struct hm_policy_file *pf;
	PyObject *bytes = NULL, *ret = NULL;
	char err[1024];
	int errnum, r;

	(void)self;
	if (!PyUnicode_FSConverter(arg, &bytes))
		return NULL;
	pf = malloc(sizeof(*pf));
	if (!pf) {
		Py_DECREF(bytes);
		return PyErr_NoMemory();
	}
	Py_BEGIN_ALLOW_THREADS r = hm_policy_file_load(
	    PyBytes_AS_STRING(bytes), pf, err, sizeof(err), &errnum);
	Py_END_ALLOW_THREADS if (r == 0)
	{
		ret = to_dict(pf);
	}
	else if (errnum)
	{
		PyObject *exc = PyObject_CallFunction(PyExc_OSError, "isO",
						      errnum, err, arg);
		if (exc) {
			PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
			Py_DECREF(exc);
		}
	}
	else
	{
		PyErr_SetString(PyExc_ValueError, err);
	}
	free(pf);
	Py_DECREF(bytes);
	return ret;
}
