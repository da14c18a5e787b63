"""hermetic's Python bootstrap, run by ``site`` before the target's code.

The launcher puts this directory (HERMETIC_PYSITE) first on PYTHONPATH
and the shim keeps it there for every child. Loading the hermetic package
(the one this file belongs to) installs the Python layer with the
launcher's policy already active: that policy is the segment's base
layer, which nothing in the process can pop, so it is sealed. Then:

* an uncaught PolicyViolation (main thread or any other thread) prints
  ``hermetic: blocked action: <message>`` to stderr and the process exits
  2, after running atexit handlers and flushing stdio;
* the next ``sitecustomize`` on sys.path (the one this file shadows) runs.

If hermetic cannot be loaded the target still runs (the libc layer still
applies); a ``hermetic:`` warning is printed only under HERMETIC_DEBUG.
Start-up cost matters here (every Python process under the launcher pays
it): only modules the interpreter already holds are used.
"""


def _hermetic_bootstrap():
    import os
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    pkgdir = os.path.dirname(here)
    debug = bool(os.environ.get("HERMETIC_DEBUG"))

    def warn(msg):
        if debug:
            try:
                sys.stderr.write(f"hermetic: {msg}\n")
                sys.stderr.flush()
            except Exception:
                pass

    hermetic = sys.modules.get("hermetic")
    if hermetic is None:
        try:
            hermetic = _load_package(pkgdir)
        except Exception as e:  # never crash the target
            hermetic = None
            warn(f"warning: the Python layer is not active ({e!r})")

    if hermetic is not None:
        _install_exit_hooks(hermetic, hermetic.PolicyViolation)

    _chain(here, warn)


def _load_package(pkgdir):
    """Import the hermetic package from @pkgdir without touching sys.path."""
    import os
    import sys

    import _frozen_importlib as bootstrap
    import _frozen_importlib_external as external

    spec = external.spec_from_file_location(
        "hermetic", os.path.join(pkgdir, "__init__.py"),
        submodule_search_locations=[pkgdir])
    module = bootstrap.module_from_spec(spec)
    sys.modules["hermetic"] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop("hermetic", None)
        raise
    return module


def _blocked_exit(exc):
    """Report an uncaught violation and exit 2 (atexit handlers run)."""
    import os
    import sys

    try:
        sys.stderr.write(f"hermetic: blocked action: {exc}\n")
    except Exception:
        pass
    try:
        import atexit

        atexit._run_exitfuncs()
    except BaseException:
        pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(2)


def _install_exit_hooks(hermetic, pv_class):
    """Exit 2 on an uncaught PolicyViolation without replacing
    sys.excepthook or threading.excepthook (programs can see those: issue
    10 item 11). _native calls on_event from its audit hook:

    * "sys.excepthook" (hook, type, value, tb): raised by the interpreter
      just before it shows an uncaught exception of the main thread,
      whatever hook is installed;
    * "thread.start" (function,): from _native's wrapper of
      _thread.start_new_thread (CPython 3.11 has no audit event for a
      thread start). For a threading.Thread (function is its bound
      _bootstrap) the thread's private _invoke_excepthook is wrapped, so
      an uncaught violation in that thread exits 2 and anything else goes
      to threading.excepthook exactly as before.
    """
    import sys

    def wrap(thread):
        orig = getattr(thread, "_invoke_excepthook", None)
        if orig is None:
            return

        def invoke_excepthook(t):
            exc = sys.exc_info()[1]
            if isinstance(exc, pv_class):
                _blocked_exit(exc)
            return orig(t)

        thread._invoke_excepthook = invoke_excepthook

    def on_event(event, args):
        if event == "sys.excepthook":
            if len(args) >= 3 and isinstance(args[2], pv_class):
                _blocked_exit(args[2])
            return
        threading = sys.modules.get("threading")
        thread = getattr(args[0], "__self__", None) if args else None
        if threading is not None and isinstance(thread, threading.Thread):
            wrap(thread)

    try:
        hermetic._native._set_uncaught_hook(on_event)
    except RuntimeError:
        return  # already registered (this file ran before in the process)
    hermetic._native._wrap_thread_start()


def _chain(here, warn):
    """Run the sitecustomize this one shadows, if any."""
    import os
    import sys

    try:
        import _frozen_importlib as bootstrap
        import _frozen_importlib_external as external

        def same(p):
            try:
                return os.path.samefile(p or ".", here)
            except OSError:
                return False

        rest = [p for p in sys.path if not same(p)]
        spec = external.PathFinder.find_spec("sitecustomize", rest)
        if spec is None or spec.origin is None:
            return
        if os.path.dirname(os.path.abspath(spec.origin)) == here:
            return
        module = bootstrap.module_from_spec(spec)
        sys.modules["sitecustomize"] = module
        spec.loader.exec_module(module)
    except (OSError, RuntimeError) as e:
        # Typically the policy refusing what the other file does.
        warn(f"warning: the chained sitecustomize failed ({e!r})")
    except Exception as e:
        # What site.py itself prints for a failing sitecustomize.
        sys.stderr.write("Error in sitecustomize; set PYTHONVERBOSE for "
                         f"traceback:\n{type(e).__name__}: {e}\n")


_hermetic_bootstrap()
