"""Helpers for the Python-API suites (test_api*.py, test_py*.py).

Every scenario runs in a fresh interpreter (never in the pytest process)
so a policy, a sealed entry or a guard can never leak between tests.

  run_py(code, preload=False, ...)   run @code with the built package on
                                     PYTHONPATH; PRELUDE is prepended
  outcomes(result)                   {label: Outcome} from attempt() lines
  PRELUDE                            child-side helpers: attempt(label, fn)
                                     prints one JSON line per attempt

In the child, attempt() records "ok", "blocked" (a PolicyViolation, with
its message, guard, target and class) or "error" (any other exception).
"""

import ast
import os
import textwrap
from dataclasses import dataclass

from conftest import LIB, PYTHON, PYTHONPATH, run

PRELUDE = textwrap.dedent('''
    import sys as _hm_sys
    import hermetic
    from hermetic import hermetic_blocker, with_hermetic, PolicyViolation

    def _hm_emit(*fields):
        _hm_sys.stdout.write("@@" + repr(list(fields)) + "\\n")
        _hm_sys.stdout.flush()

    def attempt(label, fn, *args, **kwargs):
        try:
            r = fn(*args, **kwargs)
        except PolicyViolation as e:
            t = e.target if isinstance(e.target, (str, type(None))) else repr(e.target)
            _hm_emit(label, "blocked", str(e), e.guard, t, type(e).__name__,
                     [c.__name__ for c in type(e).__mro__])
            return None
        except BaseException as e:
            _hm_emit(label, "error", type(e).__name__, str(e))
            return None
        _hm_emit(label, "ok", repr(r)[:200])
        return r

    def note(label, value):
        _hm_emit(label, "value", value)
''')


@dataclass
class Outcome:
    label: str
    kind: str          # "ok", "blocked", "error", "value"
    fields: list

    @property
    def message(self):
        return self.fields[0] if self.kind == "blocked" else None

    @property
    def guard(self):
        return self.fields[1] if self.kind == "blocked" else None

    @property
    def target(self):
        return self.fields[2] if self.kind == "blocked" else None

    @property
    def cls(self):
        return self.fields[3] if self.kind == "blocked" else None

    @property
    def mro(self):
        return self.fields[4] if self.kind == "blocked" else []

    @property
    def value(self):
        return self.fields[0]

    @property
    def ok(self):
        return self.kind == "ok"

    @property
    def blocked(self):
        return self.kind == "blocked"

    def __repr__(self):
        return f"Outcome({self.label!r}, {self.kind!r}, {self.fields!r})"


def run_py(code, *, preload=False, policy=None, env_extra=None, cwd=None,
           prelude=True, args=(), timeout=120):
    """Run @code in a fresh /usr/bin/python3 with the package importable.

    @preload: LD_PRELOAD the shim (HERMETIC_POLICY=@policy when given).
    Without preload, @policy still sets HERMETIC_POLICY (the private
    segment decodes it)."""
    extra = {"PYTHONPATH": PYTHONPATH}
    if preload:
        extra["LD_PRELOAD"] = LIB
    if policy is not None:
        extra["HERMETIC_POLICY"] = policy
    extra.update(env_extra or {})
    src = (PRELUDE if prelude else "") + textwrap.dedent(code)
    return run([PYTHON, "-c", src, *args], env_extra=extra, cwd=cwd,
               timeout=timeout)


def outcomes(result):
    """Parse the attempt() lines of a finished child into {label: Outcome}."""
    got = {}
    for line in result.out.splitlines():
        if not line.startswith("@@"):
            continue
        label, kind, *fields = ast.literal_eval(line[2:])
        got[label] = Outcome(label, kind, fields)
    return got


def check(code, **kw):
    """run_py + outcomes, asserting the child exited 0."""
    r = run_py(code, **kw)
    assert r.rc == 0, str(r)
    return outcomes(r), r


def policy_text(**kwargs):
    """The HERMETIC_POLICY text of hermetic_blocker(**kwargs), as a child
    would inherit it (encoded by the segment in a helper interpreter)."""
    r = run_py(f"""
        with hermetic_blocker(**{kwargs!r}):
            print("POLICY=" + hermetic._native.snapshot())
    """)
    assert r.rc == 0, str(r)
    for line in r.out.splitlines():
        if line.startswith("POLICY="):
            return line[len("POLICY="):]
    raise AssertionError(str(r))


def site_dir():
    """The bootstrap directory of the built package (HERMETIC_PYSITE)."""
    return os.path.join(PYTHONPATH, "hermetic", "_site")


def run_site(argv, policy=None, *, preload=False, extra_path=(), **kw):
    """Run @argv the way the launcher runs a Python target, without the
    launcher: HERMETIC_PYSITE and PYTHONPATH=<_site>, HERMETIC_POLICY=
    @policy, and LD_PRELOAD when @preload."""
    env = dict(kw.pop("env_extra", None) or {})
    env["HERMETIC_PYSITE"] = site_dir()
    env["PYTHONPATH"] = os.pathsep.join([site_dir(), *extra_path])
    if policy is not None:
        env["HERMETIC_POLICY"] = policy
    if preload:
        env["LD_PRELOAD"] = LIB
    return run(argv, env_extra=env, **kw)
