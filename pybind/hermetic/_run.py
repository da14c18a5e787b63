"""``python -m hermetic._run TARGET [ARGS...]``: run a Python target.

The launcher uses this for the original's in-process target forms:

* ``module:attr``: import ``module`` and call ``attr()`` with no
  arguments; an int result (bool included) is the exit code, anything else
  exits 0; a non-callable ``attr`` runs the module as ``__main__``;
* a bare name: if a ``console_scripts`` entry point of an installed
  distribution (found through ``importlib.metadata`` on ``sys.path``) has
  that name, run its value as above (``module:attr``, or ``module`` run as
  ``__main__``), as the original does; otherwise run it like
  ``python -m module``.

``sys.argv`` becomes ``[TARGET, ARGS...]``. A ``SystemExit`` from the
target passes through; an uncaught PolicyViolation prints ``hermetic:
blocked action: <message>`` and exits 2; a target whose module does not
exist at all (the launcher tries a bare word that is no command on PATH as
a module) prints ``hermetic: command not found: TARGET`` and exits 127;
any other import error is the target's own and exits 1.
"""

import importlib.util
import runpy
import sys

from hermetic.errors import PolicyViolation


def _blocked(exc):
    sys.stderr.write(f"hermetic: blocked action: {exc}\n")
    sys.stderr.flush()
    return 2


def _missing(module):
    """True if no module @module exists (it, or a package above it)."""
    try:
        return importlib.util.find_spec(module) is None
    except ModuleNotFoundError as e:
        name = e.name or ""
        return module == name or module.startswith(name + ".")


def _console_script(name):
    """The value of the console_scripts entry point called @name, or
    None. Looked up only for bare names (the launcher found no such
    command on PATH)."""
    try:
        from importlib.metadata import entry_points

        for ep in entry_points(group="console_scripts", name=name):
            return ep.value
    except Exception:  # a broken dist-info must not hide the module
        return None
    return None


def run(argv):
    if not argv:
        sys.stderr.write("hermetic: usage: python -m hermetic._run "
                         "module[:attr] [args...]\n")
        return 1
    target = argv[0]
    sys.argv = list(argv)
    module, sep, attr = target.partition(":")
    if not sep:
        value = _console_script(target)
        if value is not None:
            module, sep, attr = value.partition(":")
            attr = attr.split("[", 1)[0].strip()
            module = module.strip()
    if _missing(module):
        sys.stderr.write(f"hermetic: command not found: {target}\n")
        return 127
    try:
        if not sep:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
            return 0
        sys.modules.pop(module, None)
        mod = __import__(module, fromlist=["_"])
        func = mod
        for part in attr.split("."):  # "Class.method" in an entry point
            func = getattr(func, part)
        if not callable(func):
            runpy.run_module(module, run_name="__main__", alter_sys=True)
            return 0
        result = func()
        return result if isinstance(result, int) else 0
    except PolicyViolation as e:
        return _blocked(e)


def main():
    code = run(sys.argv[1:])
    sys.exit(code)


if __name__ == "__main__":
    main()
