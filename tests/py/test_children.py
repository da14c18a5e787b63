"""Policy inheritance: children and grandchildren stay guarded even when
the caller drops or rewrites LD_PRELOAD / HERMETIC_POLICY, a child can
never widen its policy, an unreadable policy fails closed with one
diagnostic line, and exec of a statically linked target under a guard is
refused (DESIGN.md section 2, issue 2 items 4 and "Bad input")."""

import shlex
import shutil

import pytest

from conftest import (BIN, LIB, PROBE, PYTHON, hermetic_lines, py_argv, run,
                      run_hermetic, run_preloaded, run_probe, static_fixture)

NO_NET = ["--no-network"]

PY_CONNECT = ("import socket, sys\n"
              "try:\n"
              "    socket.create_connection(('127.0.0.1', int(sys.argv[1])), 10)\n"
              "    print('connected')\n"
              "except Exception as e:\n"
              "    print(' '.join(c.__name__ for c in type(e).__mro__))\n")


def q(*argv):
    return shlex.join(str(a) for a in argv)


def probe_connect(port):
    return [PROBE, "connect", "127.0.0.1", str(port)]


def policy_of(flags):
    """The HERMETIC_POLICY text the launcher hands its target for @flags."""
    r = run_probe(["env", "HERMETIC_POLICY"], flags)
    assert r.rc == 0 and r.line.startswith("ok "), r
    return r.line[len("ok "):]


def assert_blocked_python(r):
    assert ("PermissionError" in r.out or "PolicyViolation" in r.out), r


# --- environment scrubbing by the caller ----------------------------------

def test_env_i_python_blocked(tcp_listener):
    lst = tcp_listener()
    inner = q("env", "-i", PYTHON, "-c", PY_CONNECT, lst.port)
    r = run_hermetic(NO_NET, ["sh", "-c", inner])
    assert_blocked_python(r)
    assert lst.accepted() == 0


def test_env_i_python_control(tcp_listener):
    lst = tcp_listener()
    inner = q("env", "-i", PYTHON, "-c", PY_CONNECT, lst.port)
    r = run_hermetic([], ["sh", "-c", inner])
    assert r.out.strip() == "connected", r
    assert lst.accepted() == 1


def test_execve_empty_env_blocked(tcp_listener):
    lst = tcp_listener()
    r = run_probe(["execve-empty-env", *probe_connect(lst.port)], NO_NET)
    assert r.line == "errno=ENETUNREACH", r
    assert lst.accepted() == 0


def test_execve_empty_env_control(tcp_listener):
    lst = tcp_listener()
    r = run_probe(["execve-empty-env", *probe_connect(lst.port)], [])
    assert r.line == "ok", r
    assert lst.accepted() == 1


def test_python_subprocess_explicit_env_blocked(tcp_listener):
    lst = tcp_listener()
    code = ("import subprocess, sys\n"
            "subprocess.run(sys.argv[1:], env={}, close_fds=True)\n")
    r = run_hermetic(NO_NET, py_argv(code) + probe_connect(lst.port))
    assert r.out.strip() == "errno=ENETUNREACH", r
    assert lst.accepted() == 0
    r = run_hermetic([], py_argv(code) + probe_connect(lst.port))
    assert r.out.strip() == "ok", r
    assert lst.accepted() == 1


def test_system_child_blocked(tcp_listener):
    lst = tcp_listener()
    r = run_probe(["system", q(*probe_connect(lst.port))], NO_NET)
    assert r.out.splitlines() == ["errno=ENETUNREACH", "ok exit=1"], r
    assert lst.accepted() == 0


def test_popen_child_blocked(tcp_listener):
    lst = tcp_listener()
    r = run_probe(["popen", q(*probe_connect(lst.port))], NO_NET)
    assert r.line == "ok errno=ENETUNREACH", r
    assert lst.accepted() == 0
    r = run_probe(["popen", q(*probe_connect(lst.port))], [])
    assert r.line == "ok ok", r


def test_posix_spawn_child_blocked(tcp_listener):
    lst = tcp_listener()
    r = run_probe(["posix_spawn", *probe_connect(lst.port)], NO_NET)
    assert r.out.splitlines() == ["errno=ENETUNREACH", "ok exit=1"], r
    assert lst.accepted() == 0


# --- grandchildren ----------------------------------------------------------

def test_grandchild_blocked(tcp_listener):
    lst = tcp_listener()
    inner = q("sh", "-c", q(*probe_connect(lst.port)))
    r = run_hermetic(NO_NET, ["sh", "-c", inner])
    assert r.line == "errno=ENETUNREACH", r
    assert lst.accepted() == 0


def test_grandchild_control(tcp_listener):
    lst = tcp_listener()
    inner = q("sh", "-c", q(*probe_connect(lst.port)))
    r = run_hermetic([], ["sh", "-c", inner])
    assert r.line == "ok", r
    assert lst.accepted() == 1


def test_children_inherit_fs_readonly(workdir):
    f = workdir / "f"
    r = run_hermetic(["--fs-readonly"],
                     ["sh", "-c", q(PROBE, "open", f, "w")])
    assert r.line == "errno=EACCES", r
    r = run_hermetic(["--fs-readonly"],
                     ["sh", "-c", q("env", "-i", PROBE, "open", f, "w")])
    assert r.line == "errno=EACCES", r
    r = run_hermetic(["--fs-readonly"],
                     ["sh", "-c", q("sh", "-c", q(PROBE, "creat", f))])
    assert r.line == "errno=EACCES", r
    assert not f.exists()


def test_children_inherit_fs_readonly_control(workdir):
    f = workdir / "f"
    r = run_hermetic([], ["sh", "-c", q("env", "-i", PROBE, "open", f, "w")])
    assert r.line == "ok", r
    assert f.exists()


# --- a child cannot widen ---------------------------------------------------

@pytest.mark.parametrize("tamper", [
    "HERMETIC_POLICY=",
    "LD_PRELOAD=",
    "HERMETIC_POLICY= LD_PRELOAD=",
    "env -u LD_PRELOAD -u HERMETIC_POLICY",
    "env -i",
    "LD_PRELOAD=libm.so.6",
], ids=["policy-empty", "preload-empty", "both-empty", "env-u", "env-i",
        "preload-replaced"])
def test_child_cannot_widen_by_env(tamper, tcp_listener):
    lst = tcp_listener()
    cmd = tamper + " " + q(*probe_connect(lst.port))
    r = run_hermetic(NO_NET, ["sh", "-c", cmd])
    assert r.line == "errno=ENETUNREACH", r
    assert lst.accepted() == 0


def test_child_cannot_widen_with_weaker_valid_policy(tcp_listener):
    lst = tcp_listener()
    weaker = policy_of(["--fs-readonly"])
    cmd = "HERMETIC_POLICY=" + weaker + " " + q(*probe_connect(lst.port))
    r = run_hermetic(NO_NET, ["sh", "-c", cmd])
    assert r.line == "errno=ENETUNREACH", r
    assert lst.accepted() == 0


def test_child_cannot_widen_with_nested_launcher(tcp_listener):
    lst = tcp_listener()
    r = run_hermetic(NO_NET, [BIN, "--", *probe_connect(lst.port)])
    assert r.line == "errno=ENETUNREACH", r
    r = run_hermetic(NO_NET, [BIN, "--no-network", "--allow-localhost", "--",
                              *probe_connect(lst.port)])
    assert r.line == "errno=ENETUNREACH", r
    assert lst.accepted() == 0


def test_child_can_narrow_with_nested_launcher(workdir, tcp_listener):
    lst = tcp_listener()
    r = run_hermetic(["--no-network", "--allow-localhost"],
                     [BIN, "--no-network", "--", *probe_connect(lst.port)])
    assert r.line == "errno=ENETUNREACH", r
    assert lst.accepted() == 0
    r = run_hermetic(NO_NET, [BIN, "--fs-readonly", "--", PROBE, "open",
                              workdir / "f", "w"])
    assert r.line == "errno=EACCES", r


def test_nested_launcher_control(tcp_listener):
    lst = tcp_listener()
    r = run_hermetic(["--no-network", "--allow-localhost"],
                     [BIN, "--", *probe_connect(lst.port)])
    assert r.line == "ok", r
    assert lst.accepted() == 1


# --- unreadable policies fail closed ------------------------------------------

def _garbage_cases():
    return ["zz", "", "0", "00", "g" * 64, "deadbeef" * 8]


def assert_fail_closed(r):
    # The numeric lookup before connect may already be refused.
    assert r.line in ("errno=EACCES", "gai=EAI_SYSTEM errno=EACCES"), r
    lines = r.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("hermetic: "), r


@pytest.mark.parametrize("policy", _garbage_cases(),
                         ids=["zz", "empty", "one-digit", "00", "not-hex",
                              "random-hex"])
def test_garbage_policy_fails_closed(policy, tcp_listener):
    lst = tcp_listener()
    r = run_preloaded(probe_connect(lst.port), policy=policy)
    assert_fail_closed(r)
    assert lst.accepted() == 0


def test_garbage_policy_denies_every_family(workdir):
    for argv in (["open", str(workdir / "f"), "w"],
                 ["execve", "/bin/true"],
                 ["posix_spawn", "/bin/true"]):
        r = run_preloaded([PROBE, *argv], policy="zz")
        assert_fail_closed(r)
    assert not (workdir / "f").exists()


def test_no_policy_with_preload_control(tcp_listener):
    lst = tcp_listener()
    r = run_preloaded(probe_connect(lst.port), policy=None)
    assert r.line == "ok" and r.err == "", r
    assert lst.accepted() == 1


def test_valid_policy_direct_control(tcp_listener):
    lst = tcp_listener()
    r = run_preloaded(probe_connect(lst.port), policy=policy_of(["--fs-readonly"]))
    assert r.line == "ok" and r.err == "", r
    assert lst.accepted() == 1
    r = run_preloaded(probe_connect(lst.port), policy=policy_of(NO_NET))
    assert r.line == "errno=ENETUNREACH" and hermetic_lines(r.err) == [], r
    assert lst.accepted() == 1


@pytest.mark.parametrize("cut", ["half", "minus2", "minus1", "flip-last",
                                 "flip-middle", "doubled"])
def test_truncated_policy_fails_closed(cut, tcp_listener):
    lst = tcp_listener()
    real = policy_of(["--fs-readonly"])  # allows connect when intact
    if cut == "half":
        bad = real[: len(real) // 2]
    elif cut == "minus2":
        bad = real[:-2]
    elif cut == "minus1":
        bad = real[:-1]
    elif cut == "flip-last":
        bad = real[:-1] + ("0" if real[-1] != "0" else "1")
    elif cut == "flip-middle":
        m = len(real) // 2
        bad = real[:m] + ("0" if real[m] != "0" else "1") + real[m + 1:]
    else:
        bad = real + real
    r = run_preloaded(probe_connect(lst.port), policy=bad)
    assert_fail_closed(r)
    assert lst.accepted() == 0


# --- statically linked targets ------------------------------------------------

@pytest.fixture(scope="module")
def static_binary():
    """tests/fixtures/static_ran.c, linked -static by CMake."""
    return static_fixture("static_ran")


def static_message(path):
    return (f"hermetic: {path} is statically linked: LD_PRELOAD cannot "
            "guard it and hermetic has no kernel layer yet; use a "
            "dynamically linked build, or run it without hermetic's libc "
            "guards (--no-network, --no-subprocess, --fs-readonly, "
            "--block-native), for example in a container")


@pytest.mark.parametrize("flags", [["--no-network"], ["--no-subprocess"],
                                   ["--fs-readonly"], ["--block-native"],
                                   ["--profile", "net-hermetic"]],
                         ids=lambda f: "-".join(f).strip("-"))
def test_static_target_refused_by_launcher(flags, static_binary):
    r = run_hermetic(flags, [static_binary])
    assert r.rc == 1, r
    assert "static-ran" not in r.out, r
    assert static_message(static_binary) in r.err.splitlines(), r


def test_static_target_runs_without_guard(static_binary):
    r = run_hermetic([], [static_binary])
    assert r.rc == 0 and r.out == "static-ran\n", r


def test_static_exec_refused_in_guarded_process(static_binary):
    r = run_probe(["execve", static_binary], NO_NET)
    assert r.line == "errno=EACCES", r
    assert static_message(static_binary) in r.err.splitlines(), r
    r = run_probe(["posix_spawn", static_binary], NO_NET)
    assert r.line == "errno=EACCES", r


def test_static_exec_from_shell_refused(static_binary):
    r = run_hermetic(NO_NET, ["sh", "-c", q(static_binary)])
    assert r.rc != 0 and "static-ran" not in r.out, r


def test_static_exec_control(static_binary):
    r = run_probe(["execve", static_binary], [])
    assert r.out == "static-ran\n", r
    r = run_probe(["posix_spawn", static_binary], [])
    assert r.out.splitlines() == ["static-ran", "ok exit=0"], r


def test_script_with_static_interpreter_refused(static_binary, workdir):
    script = workdir / "s"
    script.write_text(f"#!{static_binary}\n")
    script.chmod(0o755)
    r = run_probe(["execve", str(script)], NO_NET)
    assert r.line == "errno=EACCES", r
    r = run_probe(["execve", str(script)], [])
    assert r.out == "static-ran\n", r


def test_launcher_message_is_the_only_output(static_binary):
    r = run_hermetic(["--no-network"], [static_binary])
    assert hermetic_lines(r.err) == [static_message(static_binary)], r
    assert r.out == "", r


@pytest.fixture
def setid_copy(workdir):
    """Factory: a copy of /bin/echo with the given mode (set-id bits)."""
    def make(mode):
        p = workdir / f"echo-{mode:o}"
        shutil.copyfile("/bin/echo", p)
        p.chmod(mode)
        return p
    return make


@pytest.mark.parametrize("mode", [0o4755, 0o2755], ids=["setuid", "setgid"])
def test_setid_target_refused_by_launcher(mode, setid_copy):
    p = setid_copy(mode)
    r = run_hermetic(NO_NET, [str(p), "setid-ran"])
    assert r.rc == 1 and "setid-ran" not in r.out, r
    msgs = hermetic_lines(r.err)
    assert len(msgs) == 1 and str(p) in msgs[0], r
    assert "LD_PRELOAD cannot guard it" in msgs[0], r


@pytest.mark.parametrize("mode", [0o4755, 0o2755], ids=["setuid", "setgid"])
def test_setid_exec_refused_in_guarded_process(mode, setid_copy):
    p = setid_copy(mode)
    r = run_probe(["execve", str(p), "setid-ran"], NO_NET)
    assert r.line == "errno=EACCES", r


def test_setid_target_runs_without_guard(setid_copy):
    p = setid_copy(0o4755)
    r = run_hermetic([], [str(p), "setid-ran"])
    assert r.rc == 0 and r.out == "setid-ran\n", r


def test_lib_exists():
    assert run(["test", "-f", LIB]).rc == 0
