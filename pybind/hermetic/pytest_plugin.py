"""pytest plugin: run tests under hermetic policies.

Registered through the ``pytest11`` entry point when hermetic is installed
with pip; from a build tree use ``pytest -p hermetic.pytest_plugin``.
docs/pytest.md is the user's page (with a comparison with pytest-socket).

* ``@pytest.mark.hermetic(**kwargs)``: the test body runs inside
  ``hermetic_blocker(**kwargs)`` (the same keywords, validated at setup).
* ``--hermetic-no-network``, ``--hermetic-allow-localhost``, ... (one per
  launcher flag): a policy for every test of the session; a marker adds to
  it (nesting is a conjunction), ``@pytest.mark.no_hermetic`` exempts a
  test from it.
* the ``hermetic`` fixture: ``with hermetic(block_network=True): ...``
  inside a test, ``hermetic.layers()``, ``hermetic.policies``.
* a failure caused by a blocked action gets a ``hermetic`` report section
  naming the test, the guard, the target and the policies in force; the
  terminal summary lists them.
* ``--hermetic-preload``: pytest re-executes itself under the ``hermetic``
  launcher (no flags of its own: the shim is only loaded), so the same
  policies also govern the tests' C extensions, ctypes calls and child
  processes. pytest-xdist workers inherit the shim.

The policies are active while the test function runs (the call phase);
fixtures are set up and torn down outside them, so ``tmp_path``, servers on
loopback and the like keep working under ``--hermetic-fs-readonly`` or
``--hermetic-no-network``.
"""

import contextlib
import os
import sys

import pytest

import hermetic
from hermetic.errors import PolicyViolation

_MARKERS = (
    "hermetic(**kwargs): run the test body inside "
    "hermetic.hermetic_blocker(**kwargs) (same keywords)",
    "no_hermetic: the session-wide --hermetic-* options do not apply to "
    "this test (markers and the fixture still do)",
)

# (option, dest, hermetic_blocker keyword, kind, help)
_BOOL_OPTIONS = (
    ("--hermetic-no-network", "block_network",
     "block IP networking and DNS (AF_UNIX still works)"),
    ("--hermetic-allow-localhost", "allow_localhost",
     "with --hermetic-no-network: allow loopback"),
    ("--hermetic-no-subprocess", "block_subprocess",
     "block starting processes"),
    ("--hermetic-block-native", "block_native",
     "block loading new native code"),
    ("--hermetic-no-environment", "block_environment",
     "block os.environ reads and writes"),
    ("--hermetic-no-code-exec", "block_code_exec",
     "block eval/exec/compile"),
    ("--hermetic-no-interpreter-mutation", "block_interpreter_mutation",
     "block sys.path/meta_path changes and os.chdir"),
    ("--hermetic-trace", "trace",
     "print a [hermetic] line for every blocked action"),
)
_LIST_OPTIONS = (
    ("--hermetic-allow-domain", "allow_domains", "D",
     "with --hermetic-no-network: allow D and *.D (repeatable)"),
    ("--hermetic-deny-import", "deny_imports", "NAME",
     "deny importing NAME and NAME.* (repeatable)"),
    ("--hermetic-allow-write", "allow_write", "DIR",
     "with --hermetic-fs-readonly: allow writes under DIR (repeatable)"),
    ("--hermetic-allow-read", "allow_read", "PATH",
     "with --hermetic-fs-readonly=ROOT: PATH stays readable outside ROOT "
     "(repeatable)"),
)

_KEY = pytest.StashKey() if hasattr(pytest, "StashKey") else None


def pytest_addoption(parser):
    group = parser.getgroup("hermetic", "hermetic policies for tests")
    for opt, dest, text in _BOOL_OPTIONS:
        group.addoption(opt, action="store_true", default=False,
                        dest="hermetic_" + dest, help=text)
    group.addoption("--hermetic-fs-readonly", nargs="?", const=True,
                    default=None, metavar="ROOT", dest="hermetic_fs_readonly",
                    help="deny file system writes; with ROOT also reads "
                    "outside ROOT")
    for opt, dest, metavar, text in _LIST_OPTIONS:
        group.addoption(opt, action="append", default=[], metavar=metavar,
                        dest="hermetic_" + dest, help=text)
    group.addoption("--hermetic-profile", action="append", default=[],
                    metavar="NAME", dest="hermetic_profile",
                    help="add a named profile (repeatable): "
                    + ", ".join(hermetic.profiles()))
    group.addoption("--hermetic-policy", action="append", default=[],
                    metavar="FILE", dest="hermetic_policy",
                    help="add the policy of a policy file (repeatable)")
    group.addoption("--hermetic-preload", action="store_true", default=False,
                    dest="hermetic_preload",
                    help="re-run pytest under the hermetic launcher so the "
                    "policies also cover C extensions and subprocesses")


def _session_kwargs(config):
    """The hermetic_blocker keywords of the --hermetic-* options, as a list
    of dicts (one blocker each; entered together they are a conjunction),
    or [] when none is given."""
    opt = config.option
    kw = {}
    for _, dest, _ in _BOOL_OPTIONS:
        if getattr(opt, "hermetic_" + dest):
            kw[dest] = True
    fs = opt.hermetic_fs_readonly
    if fs is not None:
        kw["fs_readonly"] = True
        if fs is not True:
            kw["fs_root"] = fs
    for _, dest, _, _ in _LIST_OPTIONS:
        if getattr(opt, "hermetic_" + dest):
            kw[dest] = list(getattr(opt, "hermetic_" + dest))
    out = []
    profiles = list(opt.hermetic_profile)
    policies = list(getattr(opt, "hermetic_policy", []))
    if kw or profiles or policies:
        first = dict(kw)
        if profiles:
            first["profile"] = profiles.pop(0)
        if policies and "policy" not in first:
            first["policy"] = policies.pop(0)
        out.append(first)
    out.extend({"profile": p} for p in profiles)
    out.extend({"policy": p} for p in policies)
    return out


def _reexec_under_launcher(config):
    """--hermetic-preload: exec the launcher with this pytest's argv."""
    from hermetic._runtime import find_launcher

    launcher = find_launcher()
    if launcher is None:
        raise pytest.UsageError(
            "hermetic: --hermetic-preload: cannot find the hermetic launcher")
    args = list(config.invocation_params.args)
    argv = [launcher, "--", sys.executable, "-m", "pytest", *args]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(launcher, argv)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    for line in _MARKERS:
        config.addinivalue_line("markers", line)
    if config.option.hermetic_preload and "libc" not in hermetic.layers():
        if os.environ.get("HERMETIC_PYTEST_REEXEC"):
            raise pytest.UsageError(
                "hermetic: --hermetic-preload: the shim is still not loaded "
                "after re-executing under the launcher")
        if sys.argv and sys.argv[0].endswith(("pytest", "py.test",
                                              "__main__.py", "pytest.py")):
            os.environ["HERMETIC_PYTEST_REEXEC"] = "1"
            _reexec_under_launcher(config)
        raise pytest.UsageError(
            "hermetic: --hermetic-preload needs pytest started as a program "
            "(pytest or python -m pytest), not pytest.main() in a process")
    try:
        session = [hermetic.hermetic_blocker(**kw)
                   for kw in _session_kwargs(config)]
    except (TypeError, ValueError, OSError) as e:
        raise pytest.UsageError(f"hermetic: {e}") from None
    config._hermetic = _State(session)
    config.pluginmanager.register(config._hermetic, "hermetic-state")


def _report_text(nodeid, exc, policies):
    """The "hermetic" report section of a test a blocked action failed."""
    guard = getattr(exc, "guard", None) or "?"
    target = getattr(exc, "target", None)
    lines = [f"test {nodeid}",
             f"blocked by hermetic: guard={guard} "
             f"target={target if target is not None else '?'}",
             f"message: {exc}"]
    lines.extend(f"policy: {p}" for p in policies)
    return "\n".join(lines)


class _State:
    """Session policies, and the blocked tests for the terminal summary
    (collected from the reports, so it also works with pytest-xdist,
    whose workers send their reports to the controller)."""

    def __init__(self, session):
        self.session = session
        self.blocked = []

    def pytest_runtest_logreport(self, report):
        for name, content in getattr(report, "sections", ()):
            if name == "hermetic":
                lines = content.splitlines()
                self.blocked.append(
                    f"{report.nodeid}: {lines[1][len('blocked by hermetic: '):]}"
                    f" ({lines[2][len('message: '):]})")

    def pytest_terminal_summary(self, terminalreporter):
        if not self.blocked:
            return
        tr = terminalreporter
        tr.write_sep("=", "hermetic: blocked actions")
        for line in self.blocked:
            tr.write_line(line)


def _blockers_of(item):
    """(blocker, origin) pairs that apply to @item, built at setup."""
    state = item.config._hermetic
    out = []
    if item.get_closest_marker("no_hermetic") is None:
        out.extend((b, "session options") for b in state.session)
    for mark in reversed(list(item.iter_markers("hermetic"))):
        if mark.args:
            raise TypeError(
                "@pytest.mark.hermetic takes keyword arguments only "
                "(the keywords of hermetic_blocker)")
        out.append((hermetic.hermetic_blocker(**mark.kwargs), "marker"))
    return out


def _stash(item):
    if _KEY is not None:
        return item.stash
    if not hasattr(item, "_hermetic_stash"):
        item._hermetic_stash = {}
    return item._hermetic_stash


def pytest_runtest_setup(item):
    _stash(item)[_KEY] = _blockers_of(item)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    blockers = _stash(item).get(_KEY, ())
    with contextlib.ExitStack() as stack:
        for blocker, _ in blockers:
            stack.enter_context(blocker)
        yield


def _violation_in(exc):
    """The PolicyViolation @exc is or was caused by (chain walk), or None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, PolicyViolation):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if call.when != "call" or call.excinfo is None or not rep.failed:
        return
    exc = _violation_in(call.excinfo.value)
    if exc is None:
        return
    policies = [f"{b!r} ({origin})"
                for b, origin in _stash(item).get(_KEY, ())]
    rep.sections.append(("hermetic", _report_text(item.nodeid, exc, policies)))


class HermeticFixture:
    """What the ``hermetic`` fixture returns."""

    def __init__(self, item):
        self._item = item

    def __call__(self, **kwargs):
        """``hermetic_blocker(**kwargs)``: use it in a ``with`` block."""
        return hermetic.hermetic_blocker(**kwargs)

    @staticmethod
    def layers():
        return hermetic.layers()

    @staticmethod
    def counters():
        return hermetic.counters()

    @property
    def policies(self):
        """repr of the policies the plugin applies to this test's body."""
        return [repr(b) for b, _ in _stash(self._item).get(_KEY, ())]


# The fixture's name is "hermetic"; the function has another name so it
# does not shadow the imported package inside this module.
@pytest.fixture(name="hermetic")
def hermetic_fixture(request):
    return HermeticFixture(request.node)
