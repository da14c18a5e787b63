"""sys.path mutation past the guarded list (issue 8 class 4 sibling).

Under block_interpreter_mutation, sys.path, sys.meta_path and
sys.path_hooks are GuardedList objects whose methods refuse mutation. The
list type's own methods (``list.append(sys.path, d)``) and a reassigned
``sys.path`` get past them: no audit event covers list mutation. The
import event, though, carries the live lists, so the hook refuses a fresh
import while one of them differs from what it was when the block was
entered. Controls: fresh imports with unchanged lists, and the same
mutation after the block.
"""

import pytest

from pyhelpers import check

CODE = r'''
import os, sys, importlib.machinery
tmp = sys.argv[1]
for name in ("hm_evil_a", "hm_evil_b", "hm_evil_c", "hm_after"):
    with open(os.path.join(tmp, name + ".py"), "w") as f:
        f.write("X = 1\n")

class Finder:
    @staticmethod
    def find_spec(name, path=None, target=None):
        return None

def list_append():
    list.append(sys.path, tmp)
    try:
        import hm_evil_a
        return "imported"
    finally:
        list.remove(sys.path, tmp)

def reassign():
    saved = sys.path
    sys.path = [tmp] + list(saved)
    try:
        import hm_evil_b
        return "imported"
    finally:
        sys.path = saved

def meta_insert():
    list.insert(sys.meta_path, 0, Finder)
    try:
        import hm_evil_c
        return "imported"
    finally:
        list.remove(sys.meta_path, Finder)

with hermetic_blocker(block_interpreter_mutation=True):
    attempt("method_append", sys.path.append, tmp)
    attempt("list_append", list_append)
    attempt("reassign", reassign)
    attempt("meta_insert", meta_insert)
    attempt("ctl_fresh_import", lambda: __import__("colorsys").__name__)
list.append(sys.path, tmp)
attempt("ctl_after", lambda: __import__("hm_after").X)
'''


@pytest.mark.parametrize("preload", [False, True],
                         ids=["python-only", "with-shim"])
def test_list_bypass_cannot_import(preload, tmp_path):
    got, r = check(CODE, preload=preload, args=[str(tmp_path)])
    assert got["method_append"].blocked, r
    for label in ("list_append", "reassign", "meta_insert"):
        o = got[label]
        assert o.blocked, (label, o, r)
        assert "ImportError" in o.mro and o.guard == "interpreter", o
    assert got["ctl_fresh_import"].ok, r
    assert got["ctl_after"].ok, r
