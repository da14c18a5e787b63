"""--no-subprocess and the launch chain (issue 10 item 2).

The wrappers in front of the command (env, nice, nohup, stdbuf, taskset,
ionice, chrt, timeout, time, xargs, setsid, a "#!/usr/bin/env" line,
pyenv's shim) are part of the command and start it; whatever the command
itself starts is refused. Each allowed case has a refused twin next to it.
"""

import os
import shutil
from pathlib import Path

import pytest

from conftest import BIN, PYTHON, run, run_hermetic, trace_lines

SYS_PATH = "/usr/bin:/bin"
NOSUB = ["--no-subprocess", "--trace"]


def child_refused(r):
    """The wrapped sh's own child did not run: its fork is refused (the
    fork family, docs/guards/subprocess.md), so dash stops with "Cannot
    fork"; the trace names the fork, reason no-subprocess."""
    return ("Cannot fork" in r.err and "uid=" not in r.out and
            any(l.startswith("[hermetic] blocked vfork ") and
                "reason=no-subprocess" in l for l in trace_lines(r.err)))

# wrapper argv prefixes: each runs the command that follows it.
WRAPPERS = {
    "env": ["env"],
    "env-assign": ["env", "A=1"],
    "nice": ["nice", "-n", "1"],
    "nohup": ["nohup"],
    "stdbuf": ["stdbuf", "-o0"],
    "taskset": ["taskset", "-c", "0"],
    "ionice": ["ionice", "-c", "3"],
    "chrt": ["chrt", "-o", "0"],
    "timeout": ["timeout", "30"],
    "time": ["time"],
    "setsid": ["setsid"],
    "setsid-fork": ["setsid", "-f", "-w"],
    "xargs": ["xargs"],
}


def _have(prog):
    return shutil.which(prog, path=SYS_PATH) is not None


def _wrap(name, cmd, **kw):
    pre = WRAPPERS[name]
    if not _have(pre[0]):
        pytest.skip(f"{pre[0]} is not installed")
    kw.setdefault("env_extra", {"PATH": SYS_PATH})
    if name == "xargs":
        kw.setdefault("input", "\n")
    return run_hermetic(NOSUB, [*pre, *cmd], **kw)


@pytest.mark.parametrize("name", sorted(WRAPPERS))
def test_wrapper_starts_its_command(name):
    r = _wrap(name, ["/bin/echo", "started"])
    assert r.rc == 0, r
    assert "started" in r.out, r
    assert trace_lines(r.err) == [], r


@pytest.mark.parametrize("name", sorted(WRAPPERS))
def test_what_the_wrapped_command_starts_is_refused(name):
    """sh is the command: sh's own spawn of id is a subprocess."""
    r = _wrap(name, ["sh", "-c", "echo builtin-ok; /usr/bin/id; echo rc=$?"])
    assert "builtin-ok" in r.out, r           # the command ran
    assert child_refused(r), r                # its child did not


def test_wrapped_python_cannot_spawn():
    r = _wrap("env", [PYTHON, "-c", "import os; os.system('id')"])
    assert r.rc == 2, r
    assert "subprocess disabled" in r.err, r
    ok = _wrap("env", [PYTHON, "-c", "print('py-ok')"])
    assert ok.rc == 0 and "py-ok" in ok.out, ok


def test_env_shebang_script(workdir):
    script = workdir / "tool.py"
    script.write_text("#!/usr/bin/env python3\n"
                      "import os, sys\n"
                      "print('script-ok')\n"
                      "sys.exit(os.system('id') and 7)\n")
    script.chmod(0o755)
    r = run_hermetic(NOSUB, [str(script)], env_extra={"PATH": SYS_PATH})
    assert "script-ok" in r.out, r
    assert r.rc == 2 and "subprocess disabled" in r.err, r


def test_copy_of_env_elsewhere_is_not_a_wrapper(workdir):
    copy = workdir / "env"
    shutil.copy2("/usr/bin/env", copy)
    r = run_hermetic(NOSUB, [str(copy), "/bin/echo", "nope"])
    assert r.rc == 126, r
    assert "nope" not in r.out, r
    assert any("reason=no-subprocess" in l for l in trace_lines(r.err)), r
    # positive control: a symlink to the real env is the real env
    link = workdir / "envlink"
    link.symlink_to("/usr/bin/env")
    ok = run_hermetic(NOSUB, [str(link), "/bin/echo", "yes"])
    assert ok.rc == 0 and "yes" in ok.out, ok


def test_nested_wrappers_then_refused():
    r = run_hermetic(NOSUB, ["env", "nice", "timeout", "30", "nohup", "sh",
                             "-c", "echo deep; /bin/true; echo rc=$?"],
                     env_extra={"PATH": SYS_PATH})
    assert "deep" in r.out and child_refused(r), r


def test_xargs_runs_its_one_command_repeatedly():
    r = run_hermetic(NOSUB, ["xargs", "-n1", "/bin/echo"], input="a\nb\nc\n",
                     env_extra={"PATH": SYS_PATH})
    assert r.rc == 0 and r.out.split() == ["a", "b", "c"], r


def test_wrapper_cannot_shell_out():
    """system()/popen() from a wrapper are never part of the chain: GNU
    time and xargs do not use them; a program that did would be a shell."""
    # env's -S splits a string into argv (no shell): still one program.
    r = run_hermetic(NOSUB, ["env", "-S", "sh -c 'echo a; /bin/true || "
                             "echo refused'"], env_extra={"PATH": SYS_PATH})
    assert "a" in r.out and child_refused(r), r


def test_without_no_subprocess_nothing_changes():
    r = run_hermetic(["--trace"], ["env", "sh", "-c", "/usr/bin/id -u"],
                     env_extra={"PATH": SYS_PATH})
    assert r.rc == 0 and r.out.strip().isdigit(), r


PYENV_ROOT = Path(os.path.expanduser("~/.pyenv"))


@pytest.mark.skipif(not (PYENV_ROOT / "shims" / "python3").exists()
                    or not (PYENV_ROOT / "libexec" / "pyenv").exists(),
                    reason="pyenv is not installed on this machine")
def test_pyenv_shim(workdir):
    path = f"{PYENV_ROOT}/shims:{SYS_PATH}"
    extra = {"PATH": path, "PYENV_ROOT": str(PYENV_ROOT)}
    r = run_hermetic(NOSUB, ["python3", "-c", "import sys; print('v', sys.version_info[0])"],
                     env_extra=extra)
    assert r.rc == 0 and "v 3" in r.out, r
    script = workdir / "t.py"
    script.write_text("#!/usr/bin/env python3\nimport os\nprint('s-ok')\n"
                      "os.system('id')\n")
    script.chmod(0o755)
    r = run_hermetic(NOSUB, [str(script)], env_extra=extra)
    assert "s-ok" in r.out, r
    assert r.rc == 2 and "subprocess disabled" in r.err, r


@pytest.mark.parametrize("pre", [["env", "-i"], ["env", "-u", "LD_PRELOAD",
                                                  "-u", "HERMETIC_POLICY"],
                                 ["env", "LD_PRELOAD=", "HERMETIC_POLICY="]],
                         ids=["env-i", "env-u", "env-empty"])
def test_wrapper_cannot_drop_the_policy(pre):
    """A wrapper that clears the environment still hands its command the
    policy (the shim rebuilds it), so the command's own spawn is refused."""
    r = run_hermetic(NOSUB, [*pre, "/bin/sh", "-c",
                             "echo started; /usr/bin/id; echo rc=$?"],
                     env_extra={"PATH": SYS_PATH})
    assert "started" in r.out and child_refused(r), r
