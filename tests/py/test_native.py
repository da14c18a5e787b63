"""Native-code guard through the shim: dlopen of anything not yet loaded is
refused under --block-native with a readable dlerror(), already-loaded
objects and dlopen(NULL) stay allowed, and pure-Python fallbacks keep
stdlib modules such as json working (DESIGN.md section 3, libc-surface.md
section 1.2 E)."""

from conftest import py_argv, run_hermetic, run_probe

BN = ["--block-native"]

CTYPES = "import ctypes; ctypes.CDLL('libm.so.6'); print('loaded')"


def test_python_ctypes_cdll_refused():
    r = run_hermetic(BN, py_argv(CTYPES))
    assert r.rc != 0, r
    assert "loaded" not in r.out, r


def test_python_ctypes_cdll_control():
    r = run_hermetic([], py_argv(CTYPES))
    assert r.rc == 0 and r.out == "loaded\n", r


def test_probe_dlopen_refused():
    r = run_probe(["dlopen", "libm.so.6"], BN)
    assert r.rc == 1 and r.line.startswith("dlerror="), r


def test_probe_dlopen_control():
    r = run_probe(["dlopen", "libm.so.6"], [])
    assert r.rc == 0 and r.line == "ok", r


def test_probe_dlopen_by_path_refused():
    r = run_probe(["dlopen", "/lib/x86_64-linux-gnu/libm.so.6"], BN)
    assert r.line.startswith("dlerror="), r


def test_dlopen_already_loaded_allowed():
    r = run_probe(["dlopen", "libc.so.6"], BN)
    assert r.line == "ok", r


def test_dlopen_self_allowed():
    r = run_probe(["dlopen-self"], BN)
    assert r.line == "ok", r


def test_dlmopen_new_namespace_refused():
    """dlmopen(LM_ID_NEWLM) gets a second, uninterposed libc: refused even
    for a library that is already loaded in the main namespace."""
    r = run_probe(["dlmopen", "libc.so.6"], BN)
    assert r.line.startswith("dlerror="), r
    r = run_probe(["dlmopen", "libm.so.6"], [])
    assert r.line == "ok", r


def test_dlerror_mentions_hermetic():
    r = run_probe(["dlerror-after", "libm.so.6"], BN)
    assert r.rc == 1, r
    assert "hermetic" in r.line, r
    assert "libm.so.6" in r.line, r


def test_dlerror_control_is_the_loaders_own():
    r = run_probe(["dlerror-after", "libhermetic-does-not-exist.so"], [])
    assert r.rc == 1 and "hermetic" not in r.line.replace(
        "libhermetic-does-not-exist.so", ""), r


def test_python_json_works():
    code = "import json; print(json.dumps([1]))"
    r = run_hermetic(BN, py_argv(code))
    assert r.rc == 0 and r.out == "[1]\n", r


def test_python_csv_works():
    code = ("import csv, io\n"
            "buf = io.StringIO(); csv.writer(buf).writerow([1, 2])\n"
            "print(buf.getvalue().strip())\n")
    r = run_hermetic(BN, py_argv(code))
    assert r.rc == 0 and r.out == "1,2\n", r


def test_python_decimal_works():
    """DESIGN.md names decimal among the modules that must keep working
    (its C accelerator _decimal is refused; _pydecimal must take over)."""
    code = ("import decimal\n"
            "print(decimal.Decimal('1.1') + decimal.Decimal('2.2'))\n")
    r = run_hermetic(BN, py_argv(code))
    assert r.rc == 0 and r.out == "3.3\n", r


def test_python_decimal_control():
    code = ("import decimal\n"
            "print(decimal.Decimal('1.1') + decimal.Decimal('2.2'))\n")
    r = run_hermetic([], py_argv(code))
    assert r.rc == 0 and r.out == "3.3\n", r
