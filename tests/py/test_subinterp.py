"""A sub-interpreter created under a guard starts (the corpus found
CPython's test_threading aborting): it imports its own first copy of
posix, which the re-import guard of issue 8 class 4 must not refuse. In
the main interpreter a fresh copy of posix stays refused (the control)."""

from conftest import py_argv, run_hermetic

SUB = ("import _testcapi\n"
       "print('sub', _testcapi.run_in_subinterp('import os, sys'))\n")

REIMPORT = ("import sys\n"
            "sys.modules.pop('posix')\n"
            "try:\n"
            "    import posix\n"
            "    print('reimport ok')\n"
            "except (ImportError, PermissionError) as e:\n"
            "    print('reimport refused')\n")


def test_subinterpreter_starts_under_a_guard():
    r = run_hermetic(["--no-network", "--allow-localhost"], py_argv(SUB))
    assert r.rc == 0 and r.out.strip() == "sub 0", r


def test_main_interpreter_reimport_still_refused():
    r = run_hermetic(["--no-network"], py_argv(REIMPORT))
    assert r.out.strip() == "reimport refused", r


def test_reimport_allowed_without_guard():
    r = run_hermetic([], py_argv(REIMPORT))
    assert r.out.strip() == "reimport ok", r
