"""Errors that mislead (issue 10 item 12): real clients give up at once on a
blocked connection or lookup; Java reports the spawn errno; a bare word
that is neither a command nor a module is "command not found" (127); no
"use --seal" hint. No timing assertions: "at once" is counted in attempts
(trace lines), each of which the shim refuses before any packet.
"""

import shutil

import pytest

from conftest import PYTHON, run, run_hermetic, static_fixture

SYS = {"PATH": "/usr/bin:/bin"}


def _need(prog):
    if not shutil.which(prog, path=SYS["PATH"]):
        pytest.skip(f"{prog} is not installed")


def _count(err, what):
    """Trace records in @err (wget prints them mid-line)."""
    return err.count("[hermetic] blocked " + what)


CLIENTS = {
    "curl": lambda url: ["curl", "-sS", url],
    # wget's default is 20 tries; a retryable errno would show 20 connects
    "wget": lambda url: ["wget", "-O", "-", url],
    "git": lambda url: ["git", "ls-remote", url + "repo"],
}


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_blocked_connect_is_not_retried(client, http_server):
    _need(client)
    r = run_hermetic(["--no-network", "--trace"],
                     CLIENTS[client](http_server.url), env_extra=SYS)
    assert r.rc != 0, r
    assert _count(r.err, "connect ") == 1, r   # exactly one attempt
    assert http_server.requests == 0
    if client == "wget":
        assert "Network is unreachable" in r.err, r
    # positive control: loopback allowed, the same client gets through
    ok = run_hermetic(["--no-network", "--allow-localhost"],
                      CLIENTS[client](http_server.url), env_extra=SYS)
    if client != "git":  # the test server is no git server
        assert ok.rc == 0, ok


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_blocked_lookup_is_not_retried(client, isolated):
    _need(client)
    r = run_hermetic(["--no-network", "--trace"],
                     CLIENTS[client]("http://pkg.example.invalid/"),
                     env_extra=SYS, prefix=isolated)
    assert r.rc != 0, r
    assert r.err.count("host=pkg.example.invalid") == 1, r


def test_connect_errno_is_enetunreach_at_the_libc_layer(http_server):
    code = ("import socket\n"
            "s = socket.socket()\n"
            "try:\n"
            f"    s.connect(('127.0.0.1', {http_server.port}))\n"
            "except OSError as e:\n"
            "    print(e.errno)\n")
    r = run_hermetic(["--no-network"], [PYTHON, "-I", "-S", "-c", code])
    assert r.out.strip() == "101", r          # ENETUNREACH
    # a refused AF_UNIX daemon socket stays EACCES (docs/errors.md)
    assert http_server.requests == 0


def test_java_processbuilder_reports_eacces(workdir):
    _need("javac")
    _need("java")
    (workdir / "P.java").write_text(
        "public class P { public static void main(String[] a) "
        "throws Exception { try { Process p = new ProcessBuilder("
        "\"/bin/true\").start(); System.out.println(\"rc=\" + p.waitFor()); }"
        " catch (java.io.IOException e) { System.out.println(\"IOE: \" + "
        "e.getMessage()); } } }\n")
    c = run(["javac", "P.java"], cwd=workdir, timeout=300)
    assert c.rc == 0, c
    r = run_hermetic(["--no-subprocess"], ["java", "-cp", ".", "P"],
                     cwd=workdir, timeout=300)
    assert "error=13, Permission denied" in r.out, r
    assert "error=0" not in r.out, r
    ok = run_hermetic([], ["java", "-cp", ".", "P"], cwd=workdir,
                      timeout=300)
    assert "rc=0" in ok.out, ok


def test_posix_spawn_sets_errno_too():
    code = ("import ctypes, os\n"
            "libc = ctypes.CDLL(None, use_errno=True)\n"
            "pid = ctypes.c_int()\n"
            "argv = (ctypes.c_char_p * 2)(b'/bin/true', None)\n"
            "ctypes.set_errno(0)\n"
            "rc = libc.posix_spawn(ctypes.byref(pid), b'/bin/true', None, "
            "None, argv, None)\n"
            "print(rc, ctypes.get_errno())\n")
    r = run_hermetic(["--no-subprocess"], [PYTHON, "-I", "-S", "-c", code])
    assert r.out.split() == ["13", "13"], r


def test_no_such_command_is_127_without_traceback():
    for word in ("nosuchcmd", "nosuch.mod", "nosuch.mod:main"):
        r = run_hermetic([], [word])
        assert r.rc == 127, r
        assert r.err.strip() == f"hermetic: command not found: {word}", r
        assert "Traceback" not in r.err
    # positive control: a real module still runs as python -m
    ok = run_hermetic([], ["json.tool"], input="{}")
    assert ok.rc == 0 and ok.out.strip() == "{}", ok
    # a module that exists but fails to import is the target's own error
    bad = run_hermetic([], ["hermetic._no_such_submodule_x"])
    assert bad.rc == 127, bad


def test_no_seal_hint():
    exe = static_fixture("static_ran")  # tests/fixtures/static_ran.c
    for flags in (["--no-network"], ["--no-network", "--seal"]):
        r = run_hermetic(flags, [str(exe)])
        assert r.rc == 1, r
        assert "statically linked" in r.err and "--seal" not in r.err, r
