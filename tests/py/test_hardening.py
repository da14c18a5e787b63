"""Hardening details beyond the flag semantics: LD_AUDIT never reaches a
guarded program, and dlsym through an explicit libc handle returns the
shim's wrapper (the ctypes.CDLL("libc.so.6") hole)."""

from conftest import PROBE, PYTHON, fixture_path, run_hermetic


def test_launcher_drops_ld_audit():
    r = run_hermetic(["--no-network"], [PROBE, "env", "LD_AUDIT"],
                     env_extra={"LD_AUDIT": "/nonexistent-audit.so"})
    assert "nonexistent-audit" not in r.out, r
    # Positive control: an ordinary variable passes through.
    r = run_hermetic(["--no-network"], [PROBE, "env", "HM_TEST_KEEP"],
                     env_extra={"HM_TEST_KEEP": "kept"})
    assert "kept" in r.out, r


def test_exec_wrapper_drops_ld_audit():
    r = run_hermetic(["--no-network"],
                     ["sh", "-c", f"LD_AUDIT=/nonexistent-audit.so {PROBE} "
                      "env LD_AUDIT; HM_TEST_KEEP=kept "
                      f"{PROBE} env HM_TEST_KEEP"])
    assert "nonexistent-audit" not in r.out, r
    assert "kept" in r.out, r


CTYPES_CONNECT = """
import ctypes, socket, struct, sys
libc = ctypes.CDLL(sys.argv[1], use_errno=True)
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
port = srv.getsockname()[1]
s = socket.socket()
sa = struct.pack("<HH4s8x", socket.AF_INET, socket.htons(port),
                 socket.inet_aton("127.0.0.1"))
rc = libc.connect(s.fileno(), sa, len(sa))
print(rc, ctypes.get_errno())
"""


def test_dlsym_through_libc_handle_is_remapped():
    for lib in ("libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6"):
        # -I: no PYTHONPATH, so no Python layer: the shim alone decides.
        r = run_hermetic(["--no-network"],
                         [PYTHON, "-I", "-c", CTYPES_CONNECT, lib])
        assert r.line == "-1 101", r
        r = run_hermetic(["--no-network", "--allow-localhost"],
                         [PYTHON, "-I", "-c", CTYPES_CONNECT, lib])
        assert r.line == "0 0", r


def test_block_native_child_gets_no_extra_preload_or_gconv():
    script = (f"LD_PRELOAD=libm.so.6 GCONV_PATH=/tmp/gconv {PROBE} env "
              f"LD_PRELOAD; GCONV_PATH=/tmp/gconv {PROBE} env GCONV_PATH")
    r = run_hermetic(["--block-native"], ["sh", "-c", script])
    assert "libhermetic.so" in r.out and "libm.so.6" not in r.out, r
    assert "/tmp/gconv" not in r.out, r
    # Positive control: without block_native both are passed on.
    r = run_hermetic(["--no-network"], ["sh", "-c", script])
    assert "libhermetic.so" in r.out and "libm.so.6" in r.out, r
    assert "/tmp/gconv" in r.out, r


def _elf32_with_interp(path):
    """A minimal i386 ELF header with a PT_INTERP program header: enough
    for hermetic to classify it (it is never run successfully here)."""
    import struct
    ident = b"\x7fELF" + bytes([1, 1, 1]) + bytes(9)
    ehdr = ident + struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, 0, 52, 0, 0,
                               52, 32, 2, 0, 0, 0)
    interp = struct.pack("<IIIIIIII", 3, 0, 0, 0, 0, 0, 4, 1)
    load = struct.pack("<IIIIIIII", 1, 0, 0, 0, 0, 0, 5, 4096)
    path.write_bytes(ehdr + interp + load)
    path.chmod(0o755)


def test_foreign_word_size_target_refused(tmp_path):
    elf = tmp_path / "prog32"
    _elf32_with_interp(elf)
    r = run_hermetic(["--no-network"], [elf])
    assert r.rc == 1, r
    assert "built for another architecture or word size" in r.err, r
    # Positive control: without a guard hermetic does not refuse it (the
    # kernel may still fail to run this header-only file).
    r = run_hermetic([], [elf])
    assert "another architecture" not in r.err, r


DOOR_CLIENT = """
import os, socket, sys
path = sys.argv[1]
if sys.argv[2] == "fd":
    fd = os.open(path, os.O_PATH)
    path = f"/proc/self/fd/{fd}"
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(path)
    print("ok")
except OSError as e:
    print("errno", e.errno)
"""


def test_container_door_found_through_symlink_and_fd(tmp_path):
    import socket
    door = tmp_path / "docker.sock"
    other = tmp_path / "other.sock"
    servers = []
    for p in (door, other):
        srv = socket.socket(socket.AF_UNIX)
        srv.bind(str(p))
        srv.listen(8)
        servers.append(srv)
    (tmp_path / "innocent").symlink_to(door)
    (tmp_path / "fine").symlink_to(other)
    try:
        for how in ("path", "fd"):
            # -I: no Python layer, the shim alone decides.
            r = run_hermetic(["--no-subprocess"],
                             [PYTHON, "-I", "-c", DOOR_CLIENT,
                              tmp_path / "innocent", how])
            assert r.line == "errno 13", (how, r)
            # Positive control: an ordinary socket behind a symlink.
            r = run_hermetic(["--no-subprocess"],
                             [PYTHON, "-I", "-c", DOOR_CLIENT,
                              tmp_path / "fine", how])
            assert r.line == "ok", (how, r)
    finally:
        for srv in servers:
            srv.close()


def test_syscall_function_is_routed_through_the_wrappers(tmp_path,
                                                         tcp_listener):
    exe = fixture_path("sysroute")  # tests/fixtures/sysroute.c
    port = str(tcp_listener().port)
    target = tmp_path / "created"
    r = run_hermetic(["--fs-readonly", "--no-network"],
                     [exe, target, port])
    got = dict((l.split()[0], l.split()[1:]) for l in r.out.splitlines())
    assert got["getpid"] == ["0", "0"], r
    assert got["openat-w"] == ["-1", "13"], r
    assert got["connect"] == ["-1", "101"], r
    assert got["io_uring"] == ["-1", "38"], r  # ENOSYS: use classic calls
    assert not target.exists()
    # Positive control: the same program without a policy.
    r = run_hermetic([], [exe, tmp_path / "created2", port])
    got = dict((l.split()[0], l.split()[1:]) for l in r.out.splitlines())
    assert got["openat-w"][0] != "-1" and got["connect"][0] == "0", r
    assert (tmp_path / "created2").exists()


def test_dlopen_keeps_the_callers_runpath():
    """A library whose RUNPATH is $ORIGIN/sub dlopens a plugin from there:
    that only works if the shim's dlopen hands glibc the caller's return
    address (a tail call). tests/fixtures/runpath_*.c."""
    argv = [fixture_path("runpath_main"), fixture_path("runpath/liblib.so")]
    bare = run_hermetic([], argv)
    assert bare.line == "42", bare
    guarded = run_hermetic(["--no-network", "--fs-readonly"], argv)
    assert guarded.line == "42", guarded
