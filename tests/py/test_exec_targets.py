"""Exec targets the shim cannot follow (issue 8 class 5, issue 7 defect 1).

Each attack is a program that connects to a loopback listener while
``--no-network`` is in force, started in a way LD_PRELOAD cannot follow:

* a chain of five ``#!`` scripts ending in a static binary (the kernel
  follows five levels; the shim used to inspect four);
* a dynamic ELF whose PT_INTERP is a static "loader" of its own;
* Go programs, static and dynamically linked, and Debian's /usr/bin/go;
* an execute-only (``chmod 111``) static binary, run as a user who cannot
  read it (defect 1: the launcher ran it unguarded);
* a dynamic ELF of another architecture (its loader ignores the shim),
  refused by the shim's exec wrappers (found in review).

Each is refused both by the launcher and by the shim's exec wrappers
(``sh -c TARGET`` under the launcher), with the message from the core's
one table (``hm_exec_refusal``). Each has a positive control: the same
target runs without a guard, or the guardable variant runs under one.
"""

import os
import shutil
import stat
import subprocess
import tempfile

import pytest

from conftest import (BIN, PROBE, fixture_path, hermetic_lines, run,
                      run_hermetic, static_fixture, trace_lines)

NO_NET = ["--no-network"]
OUTSIDE = ("run it without hermetic's libc guards (--no-network, "
           "--no-subprocess, --fs-readonly, --block-native), for example in "
           "a container")


# A "loader" that never reads LD_PRELOAD: raw syscalls only. Compiled at
# test time: the listener's port is a compile-time constant (-DPORT) of a
# -nostdlib static-pie with no argv parsing.
OWN_LOADER_SRC = r'''
#include <sys/syscall.h>
static long sc(long n, long a, long b, long c)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return r;
}
void _start(void)
{
	struct { unsigned short f, port; unsigned int addr; char z[8]; } sa = {
	    2, (unsigned short)((PORT >> 8) | ((PORT & 0xff) << 8)),
	    0x0100007f, {0}};
	long s = sc(SYS_socket, 2, 1, 0);
	long r = sc(SYS_connect, s, (long)&sa, 16);
	sc(SYS_write, 1, (long)(r == 0 ? "target-connected\n"
				       : "target-refused\n"), r == 0 ? 17 : 15);
	sc(SYS_exit_group, 0, 0, 0);
}
'''

GO_SRC = '''package main
import ("fmt"; "net"; "os")
func main() {
	c, err := net.Dial("tcp", "127.0.0.1:" + os.Args[len(os.Args)-1])
	if err != nil { fmt.Println("target-refused"); return }
	fmt.Println("target-connected"); c.Close()
}
'''


def _gcc():
    gcc = shutil.which("gcc") or shutil.which("cc")
    if not gcc:
        pytest.skip("no C compiler on PATH")
    return gcc


def _cc(args, what):
    cp = subprocess.run(args, capture_output=True, text=True, timeout=300,
                        check=False)
    if cp.returncode != 0:
        tail = (cp.stderr.strip().splitlines() or ["(no output)"])[-1]
        pytest.skip(f"cannot build {what} here: {tail}")


@pytest.fixture(scope="module")
def tdir():
    # Traversable by other users (the execute-only test runs as nobody).
    d = tempfile.mkdtemp(prefix="hm-exectargets-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def static_connect(tdir):
    """(static, dynamic) builds of tests/fixtures/connect.c, copied into
    tdir (traversable by the other user of the execute-only test)."""
    out = os.path.join(tdir, "static-connect")
    shutil.copy(static_fixture("static_connect"), out)
    dyn = os.path.join(tdir, "dyn-connect")
    shutil.copy(fixture_path("connect"), dyn)
    return out, dyn


def make_chain(tdir, name, end, levels):
    """@levels "#!" scripts, the last one run first, ending in @end."""
    prev = end
    for i in range(1, levels + 1):
        path = os.path.join(tdir, f"{name}{i}")
        with open(path, "w") as f:
            f.write(f"#!{prev}\n")
        os.chmod(path, 0o755)
        prev = path
    return prev


def connected(r):
    return "target-connected" in r.out


def assert_refused(r, path, why, lst):
    assert not connected(r), r
    msgs = hermetic_lines(r.err)
    assert any(m.startswith(f"hermetic: {path}{why}") for m in msgs), r
    assert not any("use --seal" in m for m in msgs), r
    assert lst.accepted() == 0, r


# --- five "#!" levels ending in a static binary ---------------------------------

STATIC_WHY = " is statically linked: LD_PRELOAD cannot guard it"


def test_chain_of_five_to_static_refused(tdir, static_connect, tcp_listener):
    lst = tcp_listener()
    top = make_chain(tdir, "c5s", static_connect[0], 5)
    r = run_hermetic(NO_NET, [top, str(lst.port)])
    assert r.rc == 1, r
    assert_refused(r, top, STATIC_WHY, lst)
    # Through the shim's exec wrappers (sh runs the chain).
    r = run_hermetic(NO_NET, ["sh", "-c", f"{top} {lst.port}"])
    assert_refused(r, top, STATIC_WHY, lst)


def test_chain_of_six_refused_as_too_deep(tdir, static_connect,
                                          tcp_listener):
    lst = tcp_listener()
    top = make_chain(tdir, "c6d", static_connect[1], 6)
    r = run_hermetic(NO_NET, [top, str(lst.port)])
    assert r.rc == 1, r
    assert_refused(r, top, " starts a chain of more", lst)


def test_chain_controls(tdir, static_connect, tcp_listener):
    lst = tcp_listener()
    # Without a guard the static chain runs (and connects: nothing to stop).
    top = make_chain(tdir, "c5c", static_connect[0], 5)
    r = run_hermetic([], [top, str(lst.port)])
    assert r.rc == 0 and connected(r), r
    # Five levels ending in a dynamic binary run under the guard, guarded.
    top = make_chain(tdir, "c5d", static_connect[1], 5)
    r = run_hermetic(NO_NET, [top, str(lst.port)])
    assert r.rc == 0 and "target-refused" in r.out, r
    r = run_hermetic(NO_NET, ["sh", "-c", f"{top} {lst.port}"])
    assert r.rc == 0 and "target-refused" in r.out, r


# --- a PT_INTERP of the program's own --------------------------------------------

INTERP_WHY = " names a program loader (PT_INTERP) that is not the system's"


@pytest.fixture
def own_loader_prog(tdir, tcp_listener):
    import platform
    if platform.machine() != "x86_64":
        pytest.skip("the raw-syscall loader fixture is x86-64 assembly")
    lst = tcp_listener()
    d = tempfile.mkdtemp(dir=tdir)
    os.chmod(d, 0o755)
    src = os.path.join(d, "ld.c")
    with open(src, "w") as f:
        f.write(OWN_LOADER_SRC)
    ld = os.path.join(d, "ld.so")
    _cc([_gcc(), "-nostdlib", "-static-pie", "-fPIE", "-O1",
         f"-DPORT={lst.port}", "-o", ld, src], "a static-pie loader")
    # Linked here: its PT_INTERP is the per-test loader path above.
    msrc = os.path.join(d, "m.c")
    with open(msrc, "w") as f:
        f.write("int main(void) { return 0; }\n")
    prog = os.path.join(d, "prog")
    _cc([_gcc(), "-o", prog, msrc, f"-Wl,--dynamic-linker={ld}"],
        "a program with its own PT_INTERP")
    return prog, lst


def test_own_loader_refused(own_loader_prog):
    prog, lst = own_loader_prog
    r = run_hermetic(NO_NET, [prog])
    assert r.rc == 1, r
    assert_refused(r, prog, INTERP_WHY, lst)
    r = run_hermetic(NO_NET, ["sh", "-c", prog])
    assert_refused(r, prog, INTERP_WHY, lst)


def test_own_loader_control(own_loader_prog):
    prog, lst = own_loader_prog
    # The attack is real: without a guard its loader connects.
    r = run_hermetic([], [prog])
    assert r.rc == 0 and connected(r), r


# --- Go programs ------------------------------------------------------------------

GO_WHY = " is a Go program: it makes system calls directly"


@pytest.fixture(scope="module")
def go_programs(tdir):
    go = shutil.which("go")
    if not go:
        pytest.skip("no Go toolchain (apt-get install golang-go)")
    d = os.path.join(tdir, "go")
    os.makedirs(d)
    with open(os.path.join(d, "main.go"), "w") as f:
        f.write(GO_SRC)
    with open(os.path.join(d, "go.mod"), "w") as f:
        f.write("module gt\n\ngo 1.19\n")
    env = dict(os.environ, GOCACHE=os.path.join(tdir, "gocache"),
               GOPATH=os.path.join(tdir, "gopath"), GOPROXY="off",
               GOFLAGS="-mod=mod", GOTOOLCHAIN="local")
    out = {}
    for name, cgo, extra in (("go-static", "0", []),
                             ("go-dyn", "1", ["-ldflags=-linkmode=external"])):
        cp = subprocess.run([go, "build", *extra, "-o", name, "."], cwd=d,
                            env=dict(env, CGO_ENABLED=cgo),
                            capture_output=True, text=True, timeout=600,
                            check=False)
        if cp.returncode != 0:
            pytest.skip("go build failed: " + cp.stderr[-300:])
        out[name] = os.path.join(d, name)
    return out


@pytest.mark.parametrize("name", ["go-static", "go-dyn"])
def test_go_program_refused(go_programs, name, tcp_listener):
    lst = tcp_listener()
    prog = go_programs[name]
    r = run_hermetic(NO_NET, [prog, str(lst.port)])
    assert r.rc == 1, r
    assert_refused(r, prog, GO_WHY, lst)
    assert any(OUTSIDE in m for m in hermetic_lines(r.err)), r
    r = run_hermetic(NO_NET, ["sh", "-c", f"{prog} {lst.port}"])
    assert_refused(r, prog, GO_WHY, lst)


@pytest.mark.parametrize("name", ["go-static", "go-dyn"])
def test_go_program_control(go_programs, name, tcp_listener):
    lst = tcp_listener()
    # Without a guard it runs; and it would have connected past the shim.
    r = run_hermetic([], [go_programs[name], str(lst.port)])
    assert r.rc == 0 and connected(r), r


def test_debian_go_refused():
    go = "/usr/bin/go"
    if not os.path.exists(go):
        pytest.skip("golang-go is not installed")
    for flags in (NO_NET, ["--no-subprocess"], ["--fs-readonly"]):
        r = run_hermetic(flags, [go, "version"])
        assert r.rc == 1 and "go version" not in r.out, r
        assert any(GO_WHY in m for m in hermetic_lines(r.err)), r
    r = run_hermetic([], [go, "version"])
    assert r.rc == 0 and r.out.startswith("go version"), r


def test_fake_go_by_section(tdir, static_connect, tcp_listener):
    """A dynamic C program with only a .go.buildinfo section (no note) is
    recognised by its section name."""
    objcopy = shutil.which("objcopy")
    if not objcopy:
        pytest.skip("no objcopy")
    lst = tcp_listener()
    blob = os.path.join(tdir, "blob")
    with open(blob, "wb") as f:
        f.write(b"\xff Go buildinf:" + b"\0" * 16)
    fake = os.path.join(tdir, "fake-go")
    cp = subprocess.run([objcopy, "--add-section", f".go.buildinfo={blob}",
                         static_connect[1], fake], capture_output=True,
                        text=True, check=False)
    if cp.returncode != 0:
        pytest.skip("objcopy failed: " + cp.stderr)
    os.chmod(fake, 0o755)
    r = run_hermetic(NO_NET, [fake, str(lst.port)])
    assert r.rc == 1, r
    assert_refused(r, fake, GO_WHY, lst)
    # Control: the same program without the section runs, guarded.
    r = run_hermetic(NO_NET, [static_connect[1], str(lst.port)])
    assert r.rc == 0 and "target-refused" in r.out, r


# --- execute-only (issue 7 defect 1) ----------------------------------------------

OPAQUE_WHY = " cannot be read to inspect it"


def as_other_user():
    """argv prefix that runs a command as a user who cannot read a 0111
    file we own; [] when we are not root (we cannot read it either)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if not setpriv:
        pytest.skip("running as root and setpriv is missing: no user to "
                    "whom an execute-only file is unreadable")
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
            "--"]


def test_execute_only_static_refused(tdir, static_connect, tcp_listener):
    lst = tcp_listener()
    xo = os.path.join(tdir, "static-xo")
    shutil.copy(static_connect[0], xo)
    os.chmod(xo, 0o111)
    pre = as_other_user()
    r = run([BIN, *NO_NET, "--", xo, str(lst.port)], prefix=pre)
    assert r.rc == 1, r
    assert_refused(r, xo, OPAQUE_WHY, lst)
    r = run([BIN, *NO_NET, "--", "sh", "-c", f"{xo} {lst.port}"],
            prefix=pre)
    assert_refused(r, xo, OPAQUE_WHY, lst)
    # Control: a readable copy is inspected and refused as static.
    rd = os.path.join(tdir, "static-rd")
    shutil.copy(static_connect[0], rd)
    os.chmod(rd, 0o755)
    r = run([BIN, *NO_NET, "--", rd, str(lst.port)], prefix=pre)
    assert_refused(r, rd, STATIC_WHY, lst)
    # Control: the same user runs it without a guard (and it connects).
    r = run([BIN, "--", xo, str(lst.port)], prefix=pre)
    assert r.rc == 0 and connected(r), r
    assert stat.S_IMODE(os.stat(xo).st_mode) == 0o111


# --- exec of a foreign-architecture ELF (HM_EXEC_FOREIGN) ---------------------

@pytest.fixture
def foreign_elf(workdir):
    """A copy of /bin/true whose e_machine says AArch64 (x86-64 hosts) or
    x86-64 (elsewhere): a dynamic ELF this machine's loader would run
    without the shim (or, here, not at all: ENOEXEC)."""
    data = bytearray(open("/bin/true", "rb").read())
    machine = int.from_bytes(data[18:20], "little")
    other = 183 if machine != 183 else 62
    data[18:20] = other.to_bytes(2, "little")
    path = workdir / "foreign"
    path.write_bytes(bytes(data))
    path.chmod(0o755)
    return str(path)


@pytest.mark.parametrize("op", ["execv", "posix_spawn"])
def test_exec_foreign_elf_refused(op, foreign_elf):
    r = run_hermetic(["--no-network", "--trace"], [PROBE, op, foreign_elf])
    assert r.line == "errno=EACCES", r
    assert f"[hermetic] blocked {op} path={foreign_elf} " \
        "reason=unguardable" in trace_lines(r.err), r
    assert any("another architecture" in l for l in r.err.splitlines()), r


@pytest.mark.parametrize("op", ["execv", "posix_spawn"])
def test_exec_foreign_elf_control(op, foreign_elf):
    """Without any layer the exec is attempted: the kernel says ENOEXEC."""
    r = run([PROBE, op, foreign_elf])
    assert r.line == "errno=ENOEXEC", r
