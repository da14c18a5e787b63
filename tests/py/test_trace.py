"""--trace: one `[hermetic] blocked <api> [key=value] reason=<reason>` line
on stderr per block, from every process in the tree, never on stdout,
never without --trace, never carrying argv or environment values
(original-hermetic.md section 5, brief "Shared conventions")."""

import re
import shlex
import shutil

import pytest

from conftest import PROBE, PYTHON, run_hermetic, run_probe, trace_lines

TRACE_RE = re.compile(r"\[hermetic\] blocked (?P<api>[A-Za-z0-9_.]+)"
                      r"(?: (?P<key>host|path|name)=(?P<value>\S*))?"
                      r" reason=(?P<reason>[a-z-]+)")

T = ["--trace"]


def parse(line):
    m = TRACE_RE.fullmatch(line)
    assert m, f"malformed trace line: {line!r}"
    return m


def only_trace(r):
    """All of stderr is trace lines, each well-formed; return them."""
    lines = r.err.splitlines()
    for line in lines:
        parse(line)
    return lines


# --- network --------------------------------------------------------------

def test_connect_trace_line(tcp_listener):
    lst = tcp_listener()
    r = run_probe(["connect", "127.0.0.1", str(lst.port)],
                  T + ["--no-network"])
    assert r.out == "errno=ENETUNREACH\n", r
    assert only_trace(r) == [
        f"[hermetic] blocked connect host=127.0.0.1:{lst.port} "
        "reason=no-network"], r


def test_connect_trace_ipv6(tcp_listener):
    try:
        lst = tcp_listener("::1")
    except OSError:
        pytest.skip("no IPv6 loopback (::1) on this host")
    r = run_probe(["connect", "::1", str(lst.port)], T + ["--no-network"])
    assert only_trace(r) == [
        f"[hermetic] blocked connect host=[::1]:{lst.port} "
        "reason=no-network"], r


def test_one_line_per_block(tcp_listener):
    lst = tcp_listener()
    one = shlex.join([PROBE, "connect", "127.0.0.1", str(lst.port)])
    r = run_hermetic(T + ["--no-network"], ["sh", "-c", f"{one}; {one}; {one}"])
    assert r.out == "errno=ENETUNREACH\n" * 3, r
    assert len(only_trace(r)) == 3, r


def test_sendto_trace(udp_receiver):
    rx = udp_receiver()
    r = run_probe(["udp-sendto", "127.0.0.1", str(rx.port)],
                  T + ["--no-network"])
    assert only_trace(r) == [
        f"[hermetic] blocked sendto host=127.0.0.1:{rx.port} "
        "reason=no-network"], r


def test_getaddrinfo_trace(isolated):
    r = run_probe(["getaddrinfo", "unlisted.invalid"], T + ["--no-network"],
                  prefix=isolated)
    assert only_trace(r) == [
        "[hermetic] blocked getaddrinfo host=unlisted.invalid "
        "reason=no-network"], r


def test_bind_trace():
    # 0.0.0.0 is rebound to loopback (issue 10 item 9), so a routable
    # address is the refused bind here.
    r = run_probe(["bind", "10.0.0.1", "0"], T + ["--no-network"])
    lines = only_trace(r)
    assert len(lines) == 1, r
    m = parse(lines[0])
    assert m["api"] == "bind" and m["reason"] == "no-network", r
    assert m["value"].startswith("10.0.0.1:"), r


# --- filesystem -------------------------------------------------------------

@pytest.mark.parametrize("op,api", [
    (["open", "{p}", "w"], "open"),
    (["open64", "{p}", "w"], "open"),
    (["fortify-open", "{p}"], "open"),
    (["fortify-open64", "{p}"], "open"),
    (["openat", "{p}", "w"], "openat"),
    (["openat64", "{p}", "w"], "openat"),
    (["fortify-openat", "{p}"], "openat"),
    (["creat", "{p}"], "creat"),
    (["fopen", "{p}", "w"], "fopen"),
    (["fopen64", "{p}", "a"], "fopen"),
], ids=lambda x: x if isinstance(x, str) else x[0])
def test_write_open_trace(op, api, workdir):
    p = workdir / "f"
    p.write_text("x\n")
    argv = [str(p) if a == "{p}" else a for a in op]
    r = run_probe(argv, T + ["--fs-readonly"])
    assert r.out == "errno=EACCES\n", r
    lines = only_trace(r)
    assert len(lines) == 1, r
    m = parse(lines[0])
    # The api name loosely (open|openat|creat|fopen), but always without
    # the fortify/64 decorations (open64, __open_2 -> open).
    assert m["api"] in ("open", "openat", "creat", "fopen"), r
    assert not m["api"].endswith("64") and not m["api"].startswith("_"), r
    # openat variants: the probe passes (parent dirfd, "f"); the value is
    # the path as the caller passed it ("f") or its resolved form.
    expected = {str(p), "f"} if api == "openat" else {str(p)}
    assert m["key"] == "path" and m["value"] in expected, r
    assert m["reason"] == "fs-readonly", r


def test_write_open_trace_relative_path(workdir):
    r = run_probe(["open", "rel.txt", "w"], T + ["--fs-readonly"],
                  cwd=workdir)
    lines = only_trace(r)
    assert len(lines) == 1, r
    m = parse(lines[0])
    assert m["value"] == "rel.txt", r
    assert m["reason"] == "fs-readonly", r


@pytest.mark.parametrize("op", ["unlink", "mkdir", "chmod", "truncate"])
def test_mutation_trace(op, workdir):
    p = workdir / "f"
    if op != "mkdir":
        p.write_text("x\n")
    else:
        p = workdir / "newdir"
    r = run_probe([op, str(p)], T + ["--fs-readonly"])
    assert r.out == "errno=EACCES\n", r
    lines = only_trace(r)
    assert len(lines) == 1, r
    m = parse(lines[0])
    assert m["api"] == op and m["value"] == str(p), r
    assert m["reason"] == "fs-readonly", r


def test_fs_root_read_trace(workdir):
    r = run_probe(["read", "/etc/passwd"], T + [f"--fs-readonly={workdir}"])
    assert r.out == "errno=EACCES\n", r
    lines = only_trace(r)
    assert len(lines) == 1, r
    m = parse(lines[0])
    assert m["api"] == "open" and m["value"] == "/etc/passwd", r
    assert m["reason"] == "fs-root", r


def test_control_characters_cannot_forge_lines(workdir):
    name = str(workdir / "a\n[hermetic] blocked forged reason=x")
    r = run_probe(["open", name, "w"], T + ["--fs-readonly"])
    lines = r.err.splitlines()
    assert len(lines) == 1, r
    assert lines[0].startswith("[hermetic] blocked open path="), r
    assert "\n" not in lines[0] and "a?[hermetic]" in lines[0], r


# --- exec and dlopen ------------------------------------------------------

def test_exec_trace():
    r = run_probe(["execve", "/bin/true"], T + ["--no-subprocess"])
    assert r.out == "errno=EACCES\n", r
    assert only_trace(r) == [
        "[hermetic] blocked execve path=/bin/true reason=no-subprocess"], r


@pytest.mark.parametrize("op", [["execvp", "true"], ["posix_spawn", "/bin/true"],
                                ["posix_spawnp", "true"], ["system", "true"],
                                ["popen", "true"],
                                ["fork-exec", "/bin/true"]],
                         ids=lambda o: o[0])
def test_exec_family_trace(op):
    r = run_probe(op, T + ["--no-subprocess"])
    assert r.out == "errno=EACCES\n", r
    lines = only_trace(r)
    assert len(lines) == 1, r
    assert parse(lines[0])["reason"] == "no-subprocess", r


def test_dlopen_trace():
    r = run_probe(["dlopen", "libm.so.6"], T + ["--block-native"])
    assert r.out.startswith("dlerror="), r
    assert only_trace(r) == [
        "[hermetic] blocked dlopen path=libm.so.6 reason=block-native"], r


def test_unguardable_exec_trace(workdir):
    """Exec of a set-id copy under a guard: refused, traced as
    reason=unguardable, next to the one-line `hermetic: ` explanation."""
    target = workdir / "echo-setuid"
    shutil.copyfile("/bin/echo", target)
    target.chmod(0o4755)
    r = run_probe(["execve", str(target)], T + ["--no-network"])
    assert r.out == "errno=EACCES\n", r
    lines = trace_lines(r.err)
    assert len(lines) == 1, r
    m = parse(lines[0])
    assert m["reason"] == "unguardable" and m["value"] == str(target), r


# --- process tree, silence, secrets -----------------------------------------

def test_grandchild_trace(tcp_listener):
    lst = tcp_listener()
    inner = shlex.join(["sh", "-c", shlex.join(
        [PROBE, "connect", "127.0.0.1", str(lst.port)])])
    r = run_hermetic(T + ["--no-network"], ["sh", "-c", inner])
    assert r.out == "errno=ENETUNREACH\n", r
    assert only_trace(r) == [
        f"[hermetic] blocked connect host=127.0.0.1:{lst.port} "
        "reason=no-network"], r


def test_concurrent_lines_are_whole(tcp_listener):
    """Twenty processes blocking at once: every line arrives whole (one
    write(2) per line)."""
    lst = tcp_listener()
    one = shlex.join([PROBE, "connect", "127.0.0.1", str(lst.port)])
    script = " ".join([f"{one} >/dev/null &"] * 20) + " wait"
    r = run_hermetic(T + ["--no-network"], ["sh", "-c", script])
    lines = only_trace(r)
    assert len(lines) == 20, r


@pytest.mark.parametrize("flags,op", [
    (["--no-network"], ["connect", "127.0.0.1", "9"]),
    (["--no-network"], ["getaddrinfo", "localhost."]),
    (["--fs-readonly"], ["open", "{w}/never-created", "w"]),
    (["--no-subprocess"], ["execve", "/bin/true"]),
    (["--block-native"], ["dlopen", "libm.so.6"]),
], ids=["connect", "getaddrinfo", "open", "execve", "dlopen"])
def test_first_block_shown_without_flag(flags, op, workdir):
    """Without --trace the first block of each kind in a process is shown
    (issue 10 item 12: a block must read as a block); HERMETIC_QUIET=1
    silences it."""
    op = [a.replace("{w}", str(workdir)) for a in op]
    r = run_probe(op, flags)
    assert r.rc == 1, r
    assert len(trace_lines(r.err)) == 1, r
    r = run_probe(op, flags, env_extra={"HERMETIC_QUIET": "1"})
    assert r.rc == 1, r
    assert trace_lines(r.err) == [] and "[hermetic]" not in r.err, r


def test_first_block_once_per_kind(workdir):
    code = ("import socket\n"
            "for port in (9, 10, 11):\n"
            "    try: socket.create_connection(('127.0.0.1', port))\n"
            "    except OSError: pass\n"
            "for i in range(3):\n"
            "    try: open(%r + '/f%%d' %% i, 'w')\n"
            "    except OSError: pass\n" % str(workdir))
    r = run_hermetic(["--no-network", "--fs-readonly", "--no-private-tmp"],
                     [PYTHON, "-I", "-S", "-c", code])
    lines = trace_lines(r.err)
    assert len(lines) == 2, r
    assert "reason=no-network" in lines[0] and "reason=fs-readonly" in lines[1]
    r = run_hermetic(["--no-network", "--fs-readonly", "--no-private-tmp",
                      "--trace"], [PYTHON, "-I", "-S", "-c", code])
    assert len(trace_lines(r.err)) == 6, r


def test_no_trace_for_allowed_actions(tcp_listener):
    lst = tcp_listener()
    r = run_probe(["connect", "127.0.0.1", str(lst.port)],
                  T + ["--no-network", "--allow-localhost"])
    assert r.out == "ok\n" and r.err == "", r


SECRET_ARG = "SECRET-ARG-31337"
SECRET_ENV = "topsecret-value-4242"


@pytest.mark.parametrize("op", [
    ["execve", "/bin/echo", SECRET_ARG],
    ["execvp", "echo", SECRET_ARG],
    ["posix_spawn", "/bin/echo", SECRET_ARG],
    ["system", "echo " + SECRET_ARG],
    ["popen", "echo " + SECRET_ARG],
], ids=lambda o: o[0])
def test_trace_never_shows_argv_or_env(op):
    r = run_probe(op, T + ["--no-subprocess"],
                  env_extra={"SECRET_TOKEN": SECRET_ENV})
    assert r.out == "errno=EACCES\n", r
    assert len(only_trace(r)) == 1, r
    assert SECRET_ARG not in r.err and SECRET_ENV not in r.err, r
    assert SECRET_ARG not in r.out, r
