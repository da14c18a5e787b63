"""Subprocess guard through the shim: every way a program starts another
one is refused under --no-subprocess, each in its own failure convention
(-1/EACCES, NULL/EACCES, a returned EACCES for posix_spawn), and works
without the flag (libc-surface.md sections 1.2 C and 1.4). glibc's shell
aliases (_IO_popen, __libc_system, _IO_proc_open) and wordexp's command
substitution go through tests/fixtures/rf.c."""

import pytest

from conftest import (launcher_policy, py_argv, rf_run, run_hermetic,
                      run_preloaded, run_probe, trace_lines)

NS = ["--no-subprocess"]
RO = ["--fs-readonly"]
WRDE_CMDSUB = 4

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


# --- glibc's shell aliases and wordexp's command substitution (review fix) ---

SHELL_ALIASES = ["_IO_popen", "__libc_system", "_IO_proc_open"]


def _marker_cmd(marker):
    return f"echo ran > {marker}; echo hi"


@pytest.mark.parametrize("op", SHELL_ALIASES)
def test_shell_alias_refused(rf, op, workdir):
    marker = workdir / "marker"
    r = rf_run(rf, [op, _marker_cmd(marker)], NS + ["--trace"])
    assert r.rc == 1 and r.line == "errno=13 EACCES", r
    assert not marker.exists(), r
    api = "system" if op == "__libc_system" else "popen"
    assert trace_lines(r.err) == [
        f"[hermetic] blocked {api} path=/bin/sh reason=no-subprocess"], r


@pytest.mark.parametrize("op", SHELL_ALIASES)
@pytest.mark.parametrize("flags", [None, ["--no-network"]],
                         ids=["bare", "layer"])
def test_shell_alias_control(rf, op, flags, workdir):
    marker = workdir / "marker"
    r = rf_run(rf, [op, _marker_cmd(marker)], flags)
    assert r.rc == 0, r
    if op == "_IO_popen":
        assert r.line == "ok hi", r
    assert marker.read_text() == "ran\n", r


@pytest.mark.parametrize("op", ["_IO_popen", "__libc_system"])
def test_shell_alias_child_guarded(rf, op, workdir):
    """The re-implemented aliases hand the shell an explicit, guarded
    environment even after the program stripped its own."""
    target = workdir / "f"
    cmd = f"echo x > {target}; echo hi"
    r = rf_run(rf, ["-u", "LD_PRELOAD", "-u", "HERMETIC_POLICY", op, cmd],
               RO)
    assert r.rc == 0, r
    assert not target.exists(), r
    r = rf_run(rf, ["-u", "LD_PRELOAD", "-u", "HERMETIC_POLICY", op, cmd],
               [])
    assert r.rc == 0 and target.exists(), r


@pytest.mark.parametrize("var", ["HERMETIC_POLICY", "LD_PRELOAD"])
def test_proc_open_stripped_environ_refused(rf, var, workdir):
    """_IO_proc_open is forwarded, not re-implemented: it runs only while
    environ still carries the shim and the current policy."""
    marker = workdir / "marker"
    r = rf_run(rf, ["-u", var, "_IO_proc_open", _marker_cmd(marker)],
               ["--no-network", "--trace"])
    assert r.rc == 1 and r.line == "errno=13 EACCES", r
    assert not marker.exists(), r
    assert trace_lines(r.err) == [
        "[hermetic] blocked popen path=/bin/sh reason=unguardable"], r


def test_wordexp_cmdsub_refused(rf, workdir):
    marker = workdir / "marker"
    r = rf_run(rf, ["wordexp", f"$(echo ran > {marker}; echo X)"],
               NS + ["--trace"])
    assert r.rc == 1 and r.line == f"wrde={WRDE_CMDSUB}", r
    assert not marker.exists(), r
    assert trace_lines(r.err) == [
        "[hermetic] blocked wordexp path=/bin/sh reason=no-subprocess"], r
    r = rf_run(rf, ["wordexp", "`echo X`"], NS)
    assert r.line == f"wrde={WRDE_CMDSUB}", r


def test_wordexp_cmdsub_control(rf, workdir):
    marker = workdir / "marker"
    words = f"$(echo ran > {marker}; echo X)"
    for flags in (None, [], ["--no-network"]):
        marker.unlink(missing_ok=True)
        r = rf_run(rf, ["wordexp", words], flags)
        assert r.rc == 0 and r.line == "ok X", r
        assert marker.exists(), r


def test_wordexp_without_cmdsub_still_expands(rf):
    """Refusing the shell must not break plain expansion."""
    r = rf_run(rf, ["wordexp", "a  'b c' $HOME"], NS + ["--trace"],
               env_extra={"HOME": "/h"})
    assert r.rc == 0 and r.line == "ok a b c /h", r
    assert trace_lines(r.err) == [], r


def test_wordexp_nocmd_unchanged(rf):
    """WRDE_NOCMD callers get what they asked for, with or without us."""
    for flags in (None, NS, ["--no-network"]):
        r = rf_run(rf, ["wordexp", "$(echo X)", "nocmd"], flags)
        assert r.line == f"wrde={WRDE_CMDSUB}", r
        r = rf_run(rf, ["wordexp", "x y", "nocmd"], flags)
        assert r.line == "ok x y", r


@pytest.mark.parametrize("var", ["HERMETIC_POLICY", "LD_PRELOAD"])
def test_wordexp_stripped_environ_refused(rf, var, workdir):
    """glibc's wordexp spawns /bin/sh with environ: a program that
    unsetenv'd the policy must not get an unguarded shell."""
    marker = workdir / "marker"
    r = rf_run(rf, ["-u", var, "wordexp",
                    f"$(echo ran > {marker}; echo X)"],
               ["--no-network", "--trace"])
    assert r.rc == 1 and r.line == f"wrde={WRDE_CMDSUB}", r
    assert not marker.exists(), r
    assert trace_lines(r.err) == [
        "[hermetic] blocked wordexp path=/bin/sh reason=unguardable"], r


def test_wordexp_replaced_policy_refused(rf, workdir):
    """A valid HERMETIC_POLICY other than the current snapshot (here the
    empty policy a plain `hermetic --` gives) does not count."""
    marker = workdir / "marker"
    words = f"$(echo ran > {marker}; echo X)"
    weaker = launcher_policy([])
    r = rf_run(rf, ["-s", "HERMETIC_POLICY=" + weaker, "wordexp", words],
               ["--no-network"])
    assert r.rc == 1 and r.line == f"wrde={WRDE_CMDSUB}", r
    assert not marker.exists(), r
    # Control: setting it to the value it already has changes nothing.
    same = launcher_policy(["--no-network"])
    r = rf_run(rf, ["-s", "HERMETIC_POLICY=" + same, "wordexp", words],
               ["--no-network"])
    assert r.rc == 0 and r.line == "ok X", r
    assert marker.exists(), r


def test_wordexp_invalid_policy_refused(rf, workdir):
    """An unreadable policy fails closed: no shell."""
    marker = workdir / "marker"
    words = f"$(echo ran > {marker}; echo X)"
    r = run_preloaded([rf, "wordexp", words], policy="zz")
    assert r.line == f"wrde={WRDE_CMDSUB}", r
    assert not marker.exists(), r
    r = run_preloaded([rf, "wordexp", words], policy=None)
    assert r.line == "ok X", r
    assert marker.exists(), r


def test_wordexp_shell_is_guarded(rf, workdir):
    """When the shell may run, it runs under the shim."""
    target = workdir / "f"
    r = rf_run(rf, ["wordexp", f"$(echo x > {target}; echo X)"], RO)
    assert r.rc == 0 and r.line == "ok X", r
    assert not target.exists(), r
