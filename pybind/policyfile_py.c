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

static int set_list(PyObject *d, const char *key, size_t n, size_t stride,
		    const char *first)
{
	PyObject *l = PyList_New((Py_ssize_t)n);
	size_t i;
	int r;

	if (!l)
		return -1;
	for (i = 0; i < n; i++) {
		PyObject *s = PyUnicode_DecodeFSDefault(first + i * stride);

		if (!s) {
			Py_DECREF(l);
			return -1;
		}
		PyList_SET_ITEM(l, (Py_ssize_t)i, s);
	}
	r = PyDict_SetItemString(d, key, l);
	Py_DECREF(l);
	return r;
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
	if (set_list(d, "allow_write", pf->n_writable, HM_PATH_MAX,
		     pf->writable[0]) ||
	    set_list(d, "allow_domains", pf->policy.n_domains, HM_DOMAIN_MAX,
		     pf->policy.domains[0]) ||
	    set_list(d, "deny_imports", pf->policy.n_imports, HM_IMPORT_MAX,
		     pf->policy.imports[0]))
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
