"""Issue 10, "Parity with the original" (original-hermetic.md 1.3, 3.5-3.7):
runpy.run_path/run_module refused under block_code_exec (python -m and
the launcher's own runpy use keep working); writes into
sys.path_importer_cache refused under block_interpreter_mutation (the
import system's own writes keep working); ctypes.util.find_library
refused under block_native; a console_scripts entry point name as a
launcher target; sh/pexpect/plumbum/sarge/delegator refused by name under
--no-subprocess --block-native, installed or not."""

import textwrap

import pytest

from conftest import PYTHON, run_hermetic, trace_lines
from pyhelpers import check


def py(code):
    return [PYTHON, "-c", textwrap.dedent(code)]


# --- runpy -------------------------------------------------------------------

RUNPY = """
    import runpy, sys
    from hermetic import PolicyViolation
    for fn, arg in ((runpy.run_path, {script!r}), (runpy.run_module, "rp_mod")):
        try:
            fn(arg)
            print("allowed")
        except PolicyViolation as e:
            print(str(e), e.target, e.guard)
"""


@pytest.fixture
def runpy_files(workdir):
    (workdir / "rp_script.py").write_text("print('script ran')\n")
    (workdir / "rp_mod.py").write_text("print('module ran')\n")
    return workdir


def test_runpy_refused_under_no_code_exec(runpy_files):
    code = RUNPY.format(script=str(runpy_files / "rp_script.py"))
    r = run_hermetic(["--no-code-exec", "--trace"], py(code),
                     cwd=runpy_files, env_extra={"PYTHONPATH": str(runpy_files)})
    assert r.rc == 0, r
    assert r.out.splitlines() == [
        "dynamic code execution disabled: run_path run_path code_exec",
        "dynamic code execution disabled: run_module run_module code_exec"], r
    apis = [l.split()[2] for l in trace_lines(r.err)]
    assert "runpy.run_path" in apis and "runpy.run_module" in apis, r


def test_runpy_control(runpy_files):
    code = RUNPY.format(script=str(runpy_files / "rp_script.py"))
    r = run_hermetic([], py(code), cwd=runpy_files,
                     env_extra={"PYTHONPATH": str(runpy_files)})
    assert r.rc == 0 and r.out == ("script ran\nallowed\nmodule ran\n"
                                   "allowed\n"), r


def test_python_m_and_module_targets_still_run(runpy_files):
    """The interpreter's own runpy (python -m) and the launcher's
    (hermetic._run) are not a program calling runpy."""
    env = {"PYTHONPATH": str(runpy_files)}
    r = run_hermetic(["--no-code-exec"], [PYTHON, "-m", "rp_mod"],
                     cwd=runpy_files, env_extra=env)
    assert r.rc == 0 and r.out == "module ran\n", r
    r = run_hermetic(["--no-code-exec"], ["rp_mod"], cwd=runpy_files,
                     env_extra=env)
    assert r.rc == 0 and r.out == "module ran\n", r


def test_runpy_api(runpy_files):
    got, r = check(f"""
        import runpy
        with hermetic_blocker(block_code_exec=True):
            attempt("run_path", runpy.run_path, {str(runpy_files / "rp_script.py")!r})
        attempt("after", runpy.run_path, {str(runpy_files / "rp_script.py")!r})
    """)
    assert got["run_path"].kind == "blocked", r
    assert got["run_path"].message == "dynamic code execution disabled: run_path"
    assert got["after"].kind == "ok", r


# --- sys.path_importer_cache ---------------------------------------------------

CACHE = """
    import sys, importlib, pkgutil
    from hermetic import PolicyViolation
    def t(label, fn):
        try:
            fn(); print(label, "allowed")
        except PolicyViolation as e:
            print(label, str(e), e.target)
    t("setitem", lambda: sys.path_importer_cache.__setitem__("/hm-x", None))
    t("pop", lambda: sys.path_importer_cache.pop("/hm-x", None))
    t("update", lambda: sys.path_importer_cache.update({"/hm-y": None}))
    t("setdefault", lambda: sys.path_importer_cache.setdefault("/hm-z", None))
    import email.mime.text, xml.dom.minidom
    importlib.invalidate_caches()
    print("imports", len(list(pkgutil.iter_modules())) > 10)
"""


def test_importer_cache_write_refused():
    r = run_hermetic(["--no-interpreter-mutation"], py(CACHE))
    assert r.rc == 0, r
    msg = "interpreter mutation disabled: sys.path_importer_cache"
    assert r.out.splitlines() == [
        f"setitem {msg} sys.path_importer_cache",
        f"pop {msg} sys.path_importer_cache",
        f"update {msg} sys.path_importer_cache",
        f"setdefault {msg} sys.path_importer_cache",
        "imports True"], r


def test_importer_cache_control():
    r = run_hermetic([], py(CACHE))
    assert r.rc == 0 and r.out.splitlines() == [
        "setitem allowed", "pop allowed", "update allowed",
        "setdefault allowed", "imports True"], r


def test_importer_cache_api():
    got, r = check("""
        import sys
        with hermetic_blocker(block_interpreter_mutation=True):
            attempt("set", sys.path_importer_cache.__setitem__, "/hm-a", None)
            attempt("import", __import__, "xml.dom.minidom")
        attempt("after", sys.path_importer_cache.__setitem__, "/hm-a", None)
    """)
    assert got["set"].kind == "blocked", r
    assert got["import"].kind == "ok", r
    assert got["after"].kind == "ok", r


# --- ctypes.util.find_library --------------------------------------------------

@pytest.mark.parametrize("preload", [False, True])
def test_find_library_refused_under_block_native(preload):
    got, r = check("""
        import ctypes.util
        attempt("before", ctypes.util.find_library, "m")
        with hermetic_blocker(block_native=True):
            attempt("inside", ctypes.util.find_library, "m")
        attempt("after", ctypes.util.find_library, "m")
    """, preload=preload)
    assert got["before"].kind == "ok" and "libm" in got["before"].fields[0], r
    assert got["inside"].kind == "blocked", r
    assert got["inside"].message == \
        "native interface blocked: ctypes.util.find_library", r
    assert got["after"].kind == "ok", r


def test_find_library_launcher():
    code = ("try:\n    import ctypes.util\n    print(ctypes.util.find_library('m'))\n"
            "except ImportError as e:\n    print('refused', e)\n")
    r = run_hermetic(["--block-native"], py(code))
    assert r.rc == 0 and r.out.startswith("refused native import blocked: ctypes"), r
    control = run_hermetic([], py(code))
    assert control.out.startswith("libm"), control


# --- console_scripts entry points -----------------------------------------------

@pytest.fixture
def dist(workdir):
    site = workdir / "site"
    pkg = site / "hmtoolpkg"
    info = site / "hmtoolpkg-1.0.dist-info"
    pkg.mkdir(parents=True)
    info.mkdir()
    (pkg / "__init__.py").write_text(textwrap.dedent("""
        import os, sys
        def main():
            print("hmtool", sys.argv[1:])
            return 5
        def spawn():
            os.system("true")
        class Tool:
            @staticmethod
            def run():
                print("method")
    """))
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hmtoolpkg\n"
                                   "Version: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[console_scripts]\nhmtool = hmtoolpkg:main\n"
        "hmspawn = hmtoolpkg:spawn\nhmmethod = hmtoolpkg:Tool.run\n")
    return {"PYTHONPATH": str(site)}


def test_console_script_target(dist, workdir):
    r = run_hermetic([], ["hmtool", "a", "b"], env_extra=dist, cwd=workdir)
    assert r.rc == 5 and r.out == "hmtool ['a', 'b']\n", r
    r = run_hermetic([], ["hmmethod"], env_extra=dist, cwd=workdir)
    assert r.rc == 0 and r.out == "method\n", r


def test_console_script_target_is_guarded(dist, workdir):
    r = run_hermetic(["--no-subprocess"], ["hmspawn"], env_extra=dist,
                     cwd=workdir)
    assert r.rc == 2, r
    assert "hermetic: blocked action: subprocess disabled" in r.err, r


def test_console_script_absent_control(workdir):
    """Without the dist on sys.path the name is not an entry point (and
    not a module): the target fails instead of running anything."""
    r = run_hermetic([], ["hmtool"], cwd=workdir)
    assert r.rc != 0 and "hmtool [" not in r.out, r


# --- subprocess wrapper libraries -------------------------------------------------

LIBS = ["sh", "pexpect", "plumbum", "sarge", "delegator"]
IMPORT_ALL = """
    for m in {libs!r}:
        try:
            __import__(m); print(m, "imported")
        except ImportError as e:
            kind = "blocked" if type(e).__name__ == "ImportBlocked" else "missing"
            print(m, kind)
"""


def test_spawn_libs_refused_not_installed(workdir):
    r = run_hermetic(["--no-subprocess", "--block-native"],
                     py(IMPORT_ALL.format(libs=LIBS)), cwd=workdir)
    assert r.rc == 0 and r.out.splitlines() == [f"{m} blocked" for m in LIBS], r
    control = run_hermetic(["--no-subprocess"],
                           py(IMPORT_ALL.format(libs=LIBS)), cwd=workdir)
    assert control.out.splitlines() == [f"{m} missing" for m in LIBS], control


def test_spawn_libs_refused_installed(workdir):
    site = workdir / "libs"
    site.mkdir()
    for m in LIBS:
        (site / f"{m}.py").write_text("X = 1\n")
    env = {"PYTHONPATH": str(site)}
    r = run_hermetic(["--no-subprocess", "--block-native"],
                     py(IMPORT_ALL.format(libs=LIBS)), cwd=workdir,
                     env_extra=env)
    assert r.rc == 0 and r.out.splitlines() == [f"{m} blocked" for m in LIBS], r
    for flags in (["--no-subprocess"], ["--block-native"]):
        control = run_hermetic(flags, py(IMPORT_ALL.format(libs=LIBS)),
                               cwd=workdir, env_extra=env)
        assert control.out.splitlines() == [f"{m} imported" for m in LIBS], \
            control


def test_spawn_lib_is_policy_violation_and_import_error(workdir):
    r = run_hermetic(["--no-subprocess", "--block-native"], py("""
        from hermetic import PolicyViolation
        try:
            import pexpect
        except PolicyViolation as e:
            print(str(e), e.guard, isinstance(e, ImportError))
    """), cwd=workdir)
    assert r.rc == 0 and r.out == "import blocked: pexpect imports True\n", r
