"""Subprocess guard through the shim: every way a program starts another
one is refused under --no-subprocess, each in its own failure convention
(-1/EACCES, NULL/EACCES, a returned EACCES for posix_spawn), and works
without the flag (libc-surface.md sections 1.2 C and 1.4)."""

import pytest

from conftest import py_argv, run_hermetic, run_probe

NS = ["--no-subprocess"]

# (probe argv, expected stdout when allowed)
EXEC_OPS = [
    (["execve", "/bin/echo", "ran"], "ran"),
    (["execv", "/bin/echo", "ran"], "ran"),
    (["execvp", "echo", "ran"], "ran"),
    (["execvpe", "echo", "ran"], "ran"),
    (["execl", "/bin/echo", "ran"], "ran"),
    (["execlp", "echo", "ran"], "ran"),
    (["execle", "/bin/echo", "ran"], "ran"),
    (["fexecve", "/bin/echo", "ran"], "ran"),
    (["execve-empty-env", "/bin/echo", "ran"], "ran"),
    (["system", "exit 3"], "ok exit=3"),
    (["popen", "echo ran"], "ok ran"),
    (["posix_spawn", "/bin/sh", "-c", "exit 3"], "ok exit=3"),
    (["posix_spawnp", "sh", "-c", "exit 3"], "ok exit=3"),
    (["fork-exec", "/bin/sh", "-c", "exit 3"], "ok exit=3"),
    (["vfork-exec", "/bin/sh", "-c", "exit 3"], "ok exit=3"),
]


@pytest.mark.parametrize("argv", [o[0] for o in EXEC_OPS],
                         ids=[o[0][0] for o in EXEC_OPS])
def test_exec_refused(argv):
    r = run_probe(argv, NS)
    assert r.rc == 1 and r.line == "errno=EACCES", r


@pytest.mark.parametrize("argv,expected", EXEC_OPS,
                         ids=[o[0][0] for o in EXEC_OPS])
def test_exec_control(argv, expected):
    r = run_probe(argv, [])
    assert r.rc == 0 and r.line == expected, r


def test_refused_exec_runs_nothing(workdir):
    marker = workdir / "ran"
    for argv in (["execve", "/usr/bin/touch", str(marker)],
                 ["posix_spawn", "/usr/bin/touch", str(marker)],
                 ["system", f"/usr/bin/touch {marker}"],
                 ["popen", f"/usr/bin/touch {marker}"],
                 ["fork-exec", "/usr/bin/touch", str(marker)]):
        r = run_probe(argv, NS)
        assert r.line == "errno=EACCES", r
        assert not marker.exists(), r


def test_exec_of_script_refused(workdir):
    script = workdir / "s.sh"
    script.write_text("#!/bin/sh\necho script-ran\n")
    script.chmod(0o755)
    r = run_probe(["execve", str(script)], NS)
    assert r.line == "errno=EACCES", r
    r = run_probe(["execve", str(script)], [])
    assert r.out == "script-ran\n", r


PY_SUBPROCESS = ("import subprocess\n"
                 "try:\n"
                 "    subprocess.run(['true'], check=True)\n"
                 "    print('ran')\n"
                 "except Exception as e:\n"
                 "    print(' '.join(c.__name__ for c in type(e).__mro__))\n")


def test_python_subprocess_refused():
    r = run_hermetic(NS, py_argv(PY_SUBPROCESS))
    assert "PermissionError" in r.out or "PolicyViolation" in r.out, r


def test_python_subprocess_control():
    r = run_hermetic([], py_argv(PY_SUBPROCESS))
    assert r.rc == 0 and r.out.strip() == "ran", r


def test_python_subprocess_refused_twice():
    """A second attempt after a refusal is refused the same way (no crash:
    CPython's vfork path is where a naive shim segfaults)."""
    code = PY_SUBPROCESS + PY_SUBPROCESS
    r = run_hermetic(NS, py_argv(code))
    lines = r.out.splitlines()
    assert len(lines) == 2, r
    assert all("PermissionError" in l or "PolicyViolation" in l
               for l in lines), r
    assert r.rc >= 0, r


PY_OS_SYSTEM = ("import os\n"
                "try:\n"
                "    print(os.system('true'))\n"
                "except Exception as e:\n"
                "    print(type(e).__name__)\n")


def test_python_os_system_refused():
    r = run_hermetic(NS, py_argv(PY_OS_SYSTEM))
    out = r.out.strip()
    assert out != "0", r
    assert out != "" or r.rc != 0, r


def test_python_os_system_control():
    r = run_hermetic([], py_argv(PY_OS_SYSTEM))
    assert r.out.strip() == "0", r


def test_shell_pipeline_refused():
    r = run_hermetic(NS, ["sh", "-c", "echo a | cat"])
    assert r.rc != 0, r
    r = run_hermetic([], ["sh", "-c", "echo a | cat"])
    assert r.rc == 0 and r.out == "a\n", r


def test_shell_builtins_still_work():
    """A shell under --no-subprocess can still run its builtins."""
    r = run_hermetic(NS, ["sh", "-c", "x=4; echo $((x + 1))"])
    assert r.rc == 0 and r.out == "5\n", r
