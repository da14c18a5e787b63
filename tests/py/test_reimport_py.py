"""Python-layer escapes by re-import or unwrapping (issue 8 class 4).

Each attack reaches an original that a Python-level guard wrapped:
popping ``sys.modules["posix"]`` and importing it again (a fresh
``posix.environ`` under block_environment), ``_imp.create_builtin`` (the
same without an import event), a re-imported ``_posixsubprocess.fork_exec``,
``os.mkfifo.__wrapped__``, and the originals listed by
``gc.get_referents(_native)`` or ``gc.get_objects()``. Controls: the same
calls outside any block, and normal use inside one.
"""

import pytest

from pyhelpers import check

CODE = r'''
import gc, os, sys, subprocess, importlib, importlib.machinery, _imp
from hermetic import _native

os.environ["HM_SECRET"] = "s3cret"
tmp = sys.argv[1]
posix = sys.modules["posix"]
pse = sys.modules["_posixsubprocess"]
builtin_fork_exec = type(len)

def fresh_posix():
    sys.modules.pop("posix")
    try:
        import posix as p2
        return p2.environ.get(b"HM_SECRET")
    finally:
        sys.modules["posix"] = posix

def created_posix():
    spec = importlib.machinery.ModuleSpec(
        "posix", importlib.machinery.BuiltinImporter)
    m = _imp.create_builtin(spec)
    _imp.exec_builtin(m)
    return m.environ.get(b"HM_SECRET")

def fresh_fork_exec():
    sys.modules.pop("_posixsubprocess")
    try:
        import _posixsubprocess as p2
        return p2.fork_exec
    finally:
        sys.modules["_posixsubprocess"] = pse

def fresh_imp():
    sys.modules.pop("_imp")
    try:
        import _imp as i2
        return i2.create_builtin
    finally:
        sys.modules["_imp"] = _imp

OWNER = {"fork_exec": "_posixsubprocess", "mkfifo": "posix",
         "mknod": "posix", "create_builtin": "_imp",
         "create_dynamic": "_imp", "__import__": "builtins",
         "eval": "builtins", "exec": "builtins", "compile": "builtins"}

def unchecked(o):
    """An original behind one of hermetic's wrappers (not _native's)."""
    if not isinstance(o, builtin_fork_exec):
        return False
    owner = OWNER.get(getattr(o, "__name__", ""))
    self = getattr(o, "__self__", None)
    return owner is not None and getattr(self, "__name__", "") == owner

def referents():
    return sum(1 for o in gc.get_referents(_native) if unchecked(o)
               or (isinstance(o, dict) and b"HM_SECRET" in o))

def gc_objects():
    return sum(1 for o in gc.get_objects() if unchecked(o))

def wrapped():
    return getattr(os.mkfifo, "__wrapped__", None) is not None

def reload_os():
    importlib.reload(os)
    return os.environ.get("HM_SECRET")

def reach(p):
    gc.collect()
    note(p + "referents", referents())
    note(p + "gc_objects", gc_objects())
    note(p + "wrapped", wrapped())

def cases(p):
    attempt(p + "fresh_posix", fresh_posix)
    attempt(p + "created_posix", created_posix)
    attempt(p + "fresh_fork_exec", fresh_fork_exec)
    attempt(p + "fresh_imp", fresh_imp)
    attempt(p + "mkfifo", os.mkfifo, os.path.join(tmp, p + "fifo"))
    attempt(p + "posix_mkfifo", posix.mkfifo, path=os.path.join(tmp, p + "f2"))
    attempt(p + "mknod", os.mknod, os.path.join(tmp, p + "node"))

reach("free_")
with hermetic_blocker(block_environment=True, block_subprocess=True,
                      fs_readonly=True):
    reach("in_")
cases("free_")
with hermetic_blocker(block_environment=True, block_subprocess=True,
                      fs_readonly=True):
    cases("in_")
    attempt("in_reload_os", reload_os)
    attempt("in_import_posix", lambda: __import__("posix").getpid())
with hermetic_blocker(block_network=True):
    attempt("net_fresh_posix", fresh_posix)
attempt("free_subprocess", lambda: subprocess.run(["true"]).returncode)
attempt("free_fresh_posix_again", fresh_posix)
'''


@pytest.mark.parametrize("preload", [False, True],
                         ids=["python-only", "with-shim"])
def test_reimport_and_unwrap_refused(preload, tmp_path):
    got, r = check(CODE, preload=preload, args=[str(tmp_path)])
    # Without a guard a fresh copy is allowed (and shows the secret).
    assert got["free_fresh_posix"].ok and "s3cret" in got[
        "free_fresh_posix"].fields[0], r
    assert got["free_created_posix"].ok, r
    assert got["free_fresh_fork_exec"].ok, r
    assert got["free_fresh_imp"].ok, r
    assert got["free_mkfifo"].ok and got["free_posix_mkfifo"].ok, r
    # Under the guard: every fresh copy is refused, as ImportError too.
    for label in ("fresh_posix", "created_posix", "fresh_fork_exec",
                  "fresh_imp"):
        o = got["in_" + label]
        assert o.blocked, (label, o, r)
        assert "ImportError" in o.mro and o.guard == "interpreter", o
    assert got["net_fresh_posix"].blocked, r
    # No original is reachable through gc or __wrapped__, guard or not.
    for p in ("free_", "in_"):
        assert got[p + "referents"].value == 0, r
        assert got[p + "gc_objects"].value == 0, r
        assert got[p + "wrapped"].value is False, r
    for label in ("mkfifo", "posix_mkfifo", "mknod"):
        assert got["in_" + label].blocked, (label, got["in_" + label], r)
    # Controls: reading through the guarded environ is still refused after
    # reloading os; an already-loaded module imports; later spawns work.
    assert got["in_reload_os"].blocked, r
    assert got["in_import_posix"].ok, r
    assert got["free_subprocess"].ok, r
    assert got["free_fresh_posix_again"].ok, r
