"""Issue 10 item 11: under the launcher, sys.excepthook,
threading.excepthook and threading.__excepthook__ are the interpreter's
own objects (CPython's test_threading compares them), and an uncaught
PolicyViolation still exits 2 with "hermetic: blocked action: <message>",
in the main thread and in a threading.Thread. The bootstrap learns of the
main-thread exception from the "sys.excepthook" audit event and of a
thread's through _native's wrapper of _thread.start_new_thread (it wraps
that Thread's private _invoke_excepthook)."""

import textwrap

from conftest import PYTHON, run_hermetic


def py(code):
    return [PYTHON, "-c", textwrap.dedent(code)]


IDENTITY = """
    import sys, threading, _thread
    print(sys.excepthook is sys.__excepthook__,
          threading.excepthook is threading.__excepthook__,
          threading.__excepthook__ is _thread._excepthook,
          type(sys.excepthook).__name__)
"""


def test_hooks_are_the_interpreters_own():
    r = run_hermetic(["--no-subprocess"], py(IDENTITY))
    assert r.rc == 0 and r.out == "True True True builtin_function_or_method\n", r
    control = run_hermetic([], py(IDENTITY))
    assert control.out == r.out, control


def test_main_thread_violation_exits_2():
    r = run_hermetic(["--no-subprocess"], py("""
        import atexit, os
        atexit.register(lambda: print("atexit ran", flush=True))
        os.system("true")
        print("not reached")
    """))
    assert r.rc == 2, r
    assert r.out == "atexit ran\n", r
    assert "hermetic: blocked action: subprocess disabled" in r.err, r
    assert "Traceback" not in r.err, r


def test_main_thread_violation_exits_2_despite_a_program_hook():
    """The audit event comes before whatever hook is installed: a
    program's own sys.excepthook does not turn a block into exit 1."""
    r = run_hermetic(["--no-subprocess"], py("""
        import os, sys
        sys.excepthook = lambda *a: print("program hook", flush=True)
        os.system("true")
    """))
    assert r.rc == 2 and "program hook" not in r.out, r
    assert "hermetic: blocked action: subprocess disabled" in r.err, r


def test_other_exceptions_go_to_the_program_hook_control():
    r = run_hermetic(["--no-subprocess"], py("""
        import sys
        sys.excepthook = lambda *a: print("program hook", a[0].__name__, flush=True)
        raise ValueError("x")
    """))
    assert r.rc == 1 and r.out == "program hook ValueError\n", r


def test_thread_violation_exits_2():
    r = run_hermetic(["--no-subprocess"], py("""
        import atexit, os, threading, time
        atexit.register(lambda: print("atexit ran", flush=True))
        t = threading.Thread(target=lambda: os.system("true"))
        t.start(); t.join()
        time.sleep(5)
        print("not reached")
    """))
    assert r.rc == 2, r
    assert r.out == "atexit ran\n", r
    assert "hermetic: blocked action: subprocess disabled" in r.err, r


def test_thread_other_exception_reaches_threading_excepthook_control():
    r = run_hermetic(["--no-subprocess"], py("""
        import threading
        seen = []
        threading.excepthook = lambda args: seen.append(args.exc_type.__name__)
        t = threading.Thread(target=lambda: 1 / 0)
        t.start(); t.join()
        print(seen)
    """))
    assert r.rc == 0 and r.out == "['ZeroDivisionError']\n", r


def test_caught_violation_in_thread_is_not_exit_2():
    r = run_hermetic(["--no-subprocess"], py("""
        import os, threading
        from hermetic.errors import PolicyViolation
        def work():
            try:
                os.system("true")
            except PolicyViolation as e:
                print("caught:", e, flush=True)
        t = threading.Thread(target=work); t.start(); t.join()
        print("done")
    """))
    assert r.rc == 0 and r.out == "caught: subprocess disabled\ndone\n", r


def test_explicit_excepthook_call_is_not_exit_2():
    """Calling the hook by hand (logging, test frameworks) shows the
    violation and the program goes on: only the interpreter's own
    uncaught-exception path ends it."""
    r = run_hermetic(["--no-subprocess"], py("""
        import os, sys, threading
        try:
            os.system("true")
        except Exception:
            sys.excepthook(*sys.exc_info())
            threading.excepthook(threading.ExceptHookArgs([*sys.exc_info(), None]))
        print("went on")
    """))
    assert r.rc == 0 and r.out == "went on\n", r
    assert "PolicyViolation: subprocess disabled" in r.err, r


def test_raw_thread_start_still_works():
    r = run_hermetic(["--no-subprocess"], py("""
        import _thread, threading
        done = threading.Event()
        _thread.start_new_thread(lambda a, b=0: (print(a + b), done.set()), (1,), {"b": 2})
        done.wait()
    """))
    assert r.rc == 0 and r.out == "3\n", r


def test_bootstrap_rerun_is_harmless():
    """Running the bootstrap again (importlib.reload(sitecustomize)) neither
    raises nor loses the exit-2 rule."""
    r = run_hermetic(["--no-subprocess"], py("""
        import importlib, os, sitecustomize
        importlib.reload(sitecustomize)
        print("reloaded", flush=True)
        os.system("true")
    """))
    assert r.rc == 2 and r.out == "reloaded\n", r
    assert "hermetic: blocked action: subprocess disabled" in r.err, r
