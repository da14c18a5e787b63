"""Python targets under the launcher (and python -m hermetic): the
bootstrap gives the target the Python layer from its first line, sealed;
an uncaught PolicyViolation exits 2 with ``hermetic: blocked action:``;
the target's own exit code passes through; module:attr and bare module
targets run through hermetic._run; grandchildren stay guarded; another
sitecustomize still runs. Loopback only."""

import os
import shutil
import textwrap

import pytest

from conftest import BIN, PYTHON, PYTHONPATH, run, run_hermetic
from pyhelpers import policy_text, run_site


def py(code):
    return [PYTHON, "-c", textwrap.dedent(code)]


def test_urlopen_blocked_exits_2(http_server):
    r = run_hermetic(["--no-network"], py(f"""
        import urllib.request
        urllib.request.urlopen({http_server.url!r})
    """))
    assert r.rc == 2, str(r)
    assert ("hermetic: blocked action: network disabled: connect(127.0.0.1)"
            in r.err), str(r)
    assert http_server.requests == 0


def test_urlopen_allowed_with_localhost(http_server):
    r = run_hermetic(["--no-network", "--allow-localhost"], py(f"""
        import urllib.request
        print(urllib.request.urlopen({http_server.url!r}).read().decode())
    """))
    assert r.rc == 0, str(r)
    assert "hermetic-test-body" in r.out
    assert http_server.requests == 1


def test_exit_code_passes_through():
    assert run_hermetic(["--no-network"], py("import sys; sys.exit(7)")).rc == 7
    assert run_hermetic([], py("pass")).rc == 0
    r = run_hermetic([], py("raise ValueError('x')"))
    assert r.rc == 1 and "ValueError: x" in r.err


def test_layers_and_sealed_base():
    r = run_hermetic(["--no-subprocess"], py("""
        import os, hermetic
        from hermetic import hermetic_blocker, PolicyViolation
        print(sorted(hermetic.layers()))
        print(hermetic._native.depth()[0] >= 1)
        with hermetic_blocker():          # an empty block widens nothing
            try:
                os.system("true"); print("ran")
            except PolicyViolation as e:
                print(e)
    """))
    assert r.rc == 0, str(r)
    lines = r.out.splitlines()
    assert lines[0] in ("['libc', 'python']", "['kernel', 'libc', 'python']")
    assert lines[1:] == ["True", "subprocess disabled"]


def test_violation_in_a_thread_exits_2_and_runs_atexit():
    r = run_hermetic(["--no-subprocess"], py("""
        import atexit, os, threading, sys
        atexit.register(lambda: print("atexit ran", flush=True))
        print("before", flush=True)
        t = threading.Thread(target=lambda: os.system("true"))
        t.start(); t.join()
        import time; time.sleep(5)
        print("not reached")
    """))
    assert r.rc == 2, str(r)
    assert r.out == "before\natexit ran\n"
    assert "hermetic: blocked action: subprocess disabled" in r.err


def test_caught_violation_is_not_an_exit_2():
    r = run_hermetic(["--no-subprocess"], py("""
        import os
        from hermetic.errors import PolicyViolation
        try:
            os.system("true")
        except PolicyViolation as e:
            print("caught:", e)
    """))
    assert r.rc == 0 and r.out == "caught: subprocess disabled\n", str(r)


def test_module_attr_and_bare_module_targets(workdir):
    (workdir / "tool.py").write_text(textwrap.dedent("""
        import os, sys
        def three():
            return 3
        def flag():
            return True
        def text():
            return "not an int"
        def argv():
            print(sys.argv)
        def spawn():
            os.system("true")
        def bye():
            sys.exit(9)
        if __name__ == "__main__":
            print("main", sys.argv)
    """))
    def go(target, *args, flags=()):
        return run_hermetic(list(flags), [target, *args], cwd=workdir)
    assert go("tool:three").rc == 3
    assert go("tool:flag").rc == 1
    assert go("tool:text").rc == 0
    r = go("tool:argv", "a", "b")
    assert r.out == "['tool:argv', 'a', 'b']\n", str(r)
    assert go("tool:bye").rc == 9
    r = go("tool:spawn", flags=["--no-subprocess"])
    assert r.rc == 2 and "hermetic: blocked action: subprocess disabled" in r.err
    r = go("tool", "x")
    assert r.rc == 0 and r.out.startswith("main ["), str(r)
    r = go("tool", flags=["--no-code-exec"])
    assert r.rc == 0 and r.out.startswith("main ["), str(r)


def test_python_script_target(workdir):
    script = workdir / "script.py"
    script.write_text("import os\nos.system('true')\n")
    r = run_hermetic(["--no-subprocess"], [PYTHON, str(script)], cwd=workdir)
    assert r.rc == 2 and "subprocess disabled" in r.err, str(r)
    r = run_hermetic([], [PYTHON, str(script)], cwd=workdir)
    assert r.rc == 0, str(r)


def test_grandchildren_stay_guarded(http_server):
    inner = (f"import urllib.request; "
             f"urllib.request.urlopen({http_server.url!r})")
    r = run_hermetic(["--no-network"], py(f"""
        import subprocess, sys
        r = subprocess.run([sys.executable, "-c", {inner!r}],
                           capture_output=True, text=True, env={{}})
        print(r.returncode)
        print(r.stderr.strip().splitlines()[-1])
    """))
    assert r.rc == 0, str(r)
    assert r.out.splitlines() == [
        "2", "hermetic: blocked action: network disabled: connect(127.0.0.1)"]
    assert http_server.requests == 0


def test_existing_sitecustomize_still_runs(workdir):
    user = workdir / "usersite"
    user.mkdir()
    (user / "sitecustomize.py").write_text("import builtins\n"
                                           "builtins.USER_SITE_RAN = True\n")
    r = run_hermetic(["--no-network"], py("""
        import builtins, hermetic
        print(getattr(builtins, "USER_SITE_RAN", False))
        print(sorted(hermetic.layers()))
    """), env_extra={"PYTHONPATH": str(user)})
    assert r.rc == 0, str(r)
    assert r.out.splitlines()[0] == "True"


def test_block_all_profile_runs_ordinary_code():
    # The original exits 2 here (its importer-cache guard broke imports).
    r = run_hermetic(["--profile", "block-all"], py("""
        import this, email.mime.text, json, csv, decimal
        print(json.dumps([1]))
    """))
    assert r.rc == 0, str(r)
    assert r.out.rstrip().endswith("[1]")


def test_python_dash_m_hermetic_matches_the_launcher(http_server):
    argv = ["--no-network", "--", PYTHON, "-c",
            f"import urllib.request; urllib.request.urlopen({http_server.url!r})"]
    env = {"PYTHONPATH": PYTHONPATH}
    a = run([BIN, *argv])
    b = run([PYTHON, "-m", "hermetic", *argv], env_extra=env)
    assert a.rc == b.rc == 2, (str(a), str(b))
    assert a.err == b.err
    v = run([PYTHON, "-m", "hermetic", "--version"], env_extra=env)
    assert v.rc == 0 and v.out == run([BIN, "--version"]).out
    bad = run([PYTHON, "-m", "hermetic", "--no-such-flag", "--", "true"],
              env_extra=env)
    assert bad.rc == 1 and bad.err.startswith("hermetic: ")


def test_python_dash_m_hermetic_without_launcher(tmp_path):
    pkg = tmp_path / "hermetic"
    shutil.copytree(os.path.join(PYTHONPATH, "hermetic"), pkg)
    r = run([PYTHON, "-m", "hermetic", "--", "true"],
            env_extra={"PYTHONPATH": str(tmp_path)}, cwd=tmp_path)
    assert r.rc == 1
    assert r.err == "hermetic: cannot find the hermetic launcher\n"


def test_bootstrap_without_launcher_or_shim():
    """The bootstrap alone (HERMETIC_PYSITE on PYTHONPATH, a policy in
    HERMETIC_POLICY): the Python layer is active and sealed; the exit-2
    contract holds."""
    policy = policy_text(block_subprocess=True)
    r = run_site(py("import os; os.system('true')"), policy)
    assert r.rc == 2, str(r)
    assert r.err == "hermetic: blocked action: subprocess disabled\n"
    r = run_site(py("""
        import hermetic
        print(sorted(hermetic.layers()), hermetic._native.depth())
    """), policy)
    assert r.out == "['python'] (1, 0)\n", str(r)


def test_bootstrap_never_crashes_the_target(tmp_path):
    """A broken package next to the bootstrap: the target still runs and
    only HERMETIC_DEBUG shows why."""
    pkg = tmp_path / "hermetic"
    shutil.copytree(os.path.join(PYTHONPATH, "hermetic"), pkg)
    (pkg / "__init__.py").write_text("raise RuntimeError('broken')\n")
    env = {"PYTHONPATH": str(pkg / "_site")}
    r = run(py("print('target ran')"), env_extra=env)
    assert r.rc == 0 and r.out == "target ran\n" and r.err == "", str(r)
    r = run(py("print('target ran')"),
            env_extra={**env, "HERMETIC_DEBUG": "1"})
    assert r.rc == 0 and r.out == "target ran\n"
    assert r.err.startswith("hermetic: warning: the Python layer is not "
                            "active"), str(r)


ORDINARY = """
import argparse, asyncio, collections, csv, dataclasses, decimal, email.mime.text
import json, logging, pathlib, re, typing, xml.dom.minidom, enum, functools
@dataclasses.dataclass
class P:
    x: int = 1
async def main():
    await asyncio.sleep(0)
    return P().x
assert asyncio.run(main()) == 1
print(json.dumps([str(decimal.Decimal("1.5") * 2)]))
"""


@pytest.mark.parametrize("flags", [
    ["--no-network"], ["--no-subprocess"], ["--fs-readonly"],
    ["--fs-readonly=/tmp"], ["--no-environment"], ["--no-code-exec"],
    ["--no-interpreter-mutation"], ["--block-native"],
    ["--deny-import", "pickle"], ["--profile", "block-all"], ["--trace"],
], ids=lambda f: " ".join(f))
def test_ordinary_program_runs_under_every_flag(flags, workdir):
    r = run_hermetic(flags, [PYTHON, "-c", ORDINARY], cwd=workdir)
    assert r.rc == 0, str(r)
    assert r.out == '["3.0"]\n', str(r)
