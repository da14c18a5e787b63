"""The shim's mechanics (issue 7): a call re-entered from a signal handler
gets a verdict, syscall() routes every spelling of a guarded number,
invalid pointers fail with EFAULT instead of crashing, and versioned
lookups (dlvsym) find the shim, and the optional wrappers work (and are
checked) before the shim's own init. Every negative case has a positive
control. The helpers are tests/fixtures/mechprobe.c (built next to the
probe) and early.c."""
import os
import subprocess

import pytest

from conftest import (LIB, PROBE, fixture_path, launcher_policy, run,
                      run_hermetic)

MECHPROBE = os.path.join(os.path.dirname(PROBE), "mechprobe")


def mech(flags, *args, **kw):
    """mechprobe ARGS under hermetic FLAGS (no launcher when None)."""
    if flags is None:
        return run([MECHPROBE, *args], **kw)
    return run_hermetic(flags, [MECHPROBE, *args], **kw)


# --- defect 11: a signal handler re-entering the shim -----------------------

def test_signal_handler_connect_inside_open_is_refused(tcp_listener, workdir):
    """SIGALRM fires (200 times) while main loops on a refused open(); the
    handler's connect() must be refused every time, never forwarded
    because the thread was already inside a wrapper."""
    lst = tcp_listener()
    r = mech(["--fs-readonly", "--no-network"], "sigconnect", "127.0.0.1",
             str(lst.port), str(workdir / "f"), "200")
    assert r.rc == 1 and r.line == "errno=ENETUNREACH", r
    assert lst.accepted() == 0
    assert not (workdir / "f").exists()


def test_signal_handler_connect_allowed_control(tcp_listener, workdir):
    """Control: the same program with the network allowed connects from
    the handler (the open()s are still refused)."""
    lst = tcp_listener()
    r = mech(["--fs-readonly"], "sigconnect", "127.0.0.1", str(lst.port),
             str(workdir / "f"), "50")
    assert r.rc == 0 and int(r.line.split("=")[1]) >= 50, r
    assert lst.accepted() > 0
    assert not (workdir / "f").exists()


def test_signal_handler_connect_localhost_allowed(tcp_listener, workdir):
    """Control: --no-network --allow-localhost lets the handler reach a
    loopback listener: the re-entered call got the real verdict."""
    lst = tcp_listener()
    r = mech(["--fs-readonly", "--no-network", "--allow-localhost"],
             "sigconnect", "127.0.0.1", str(lst.port), str(workdir / "f"),
             "50")
    assert r.rc == 0 and int(r.line.split("=")[1]) >= 50, r


# --- defect 2: syscall() routing ---------------------------------------------

@pytest.mark.parametrize("op", ["sys-connect", "sys-connect-hi",
                                "sys-connect-x32"])
def test_syscall_connect_spellings_refused(op, tcp_listener):
    """syscall(SYS_connect), with garbage in the upper 32 bits (the kernel
    ignores them) or with the x32 bit: none reaches the listener."""
    lst = tcp_listener()
    r = mech(["--no-network"], op, "127.0.0.1", str(lst.port))
    assert r.rc == 1 and r.line in ("errno=EACCES", "errno=ENETUNREACH",
                                    "errno=ENOSYS"), r
    if op != "sys-connect-x32":
        assert r.line == "errno=ENETUNREACH", r
    assert lst.accepted() == 0


@pytest.mark.parametrize("op", ["sys-connect", "sys-connect-hi"])
def test_syscall_connect_allowed_control(op, tcp_listener):
    lst = tcp_listener()
    r = mech(["--fs-readonly"], op, "127.0.0.1", str(lst.port))
    assert r.rc == 0 and r.line == "ok", r
    assert lst.accepted() == 1


@pytest.mark.parametrize("op", ["sys-utime", "sys-utimes", "sys-futimesat",
                                "sys-fchmodat2"])
def test_syscall_mutations_refused_under_fs_readonly(op, workdir):
    """The time and mode changes that glibc wraps are refused through
    syscall() as well (utime, futimesat and fchmodat2 were missing)."""
    f = workdir / "f"
    f.write_text("x")
    os.chmod(f, 0o644)
    before = os.stat(f)
    r = mech(["--fs-readonly"], op, str(f))
    assert r.rc == 1 and r.line == "errno=EACCES", r
    after = os.stat(f)
    assert (after.st_mtime_ns, after.st_mode) == (before.st_mtime_ns,
                                                  before.st_mode)


@pytest.mark.parametrize("op", ["sys-utime", "sys-utimes", "sys-futimesat",
                                "sys-fchmodat2"])
def test_syscall_mutations_allowed_control(op, workdir):
    f = workdir / "f"
    f.write_text("x")
    os.chmod(f, 0o644)
    r = mech(["--no-network"], op, str(f))
    if op == "sys-fchmodat2" and r.line == "errno=ENOSYS":
        pytest.skip("kernel without fchmodat2 (Linux < 6.6)")
    assert r.rc == 0 and r.line == "ok", r
    after = os.stat(f)
    if op == "sys-fchmodat2":
        assert after.st_mode & 0o777 == 0o600
    else:
        assert after.st_mtime == 1


def test_syscall_openat_hi_refused(workdir):
    f = workdir / "new"
    r = mech(["--fs-readonly"], "sys-openat-hi", str(f))
    assert r.rc == 1 and r.line == "errno=EACCES", r
    assert not f.exists()
    r = mech(["--no-network"], "sys-openat-hi", str(f))
    assert r.rc == 0 and r.line == "ok", r
    assert f.exists()


def test_syscall_mkdir_hi_refused(workdir):
    d = workdir / "d"
    r = mech(["--fs-readonly"], "sys-mkdir-hi", str(d))
    assert r.rc == 1 and r.line == "errno=EACCES", r
    assert not d.exists()
    r = mech(["--no-network"], "sys-mkdir-hi", str(d))
    assert r.rc == 0 and r.line == "ok", r
    assert d.is_dir()


def test_syscall_execve_hi_refused():
    r = mech(["--no-subprocess"], "sys-execve-hi", "/bin/true")
    assert r.rc == 1 and r.line == "errno=EACCES", r
    r = mech(["--no-network"], "sys-execve-hi", "/bin/true")
    assert r.rc == 0 and r.out == "", r  # /bin/true replaced the probe


def test_syscall_io_uring_hi_refused():
    r = mech(["--no-network"], "sys-io_uring_setup-hi")
    assert r.rc == 1 and r.line == "errno=ENOSYS", r


# --- defect 12: invalid pointers fail with EFAULT, like libc alone -----------

BAD_OPS = ["connect", "bind", "sendto", "sendmsg", "sendmsg-name", "open",
           "open-w", "openat", "mkdir", "unlink", "rename", "execve",
           "execve-argv", "execve-envp"]

# Each flag set puts the operation on the shim's slow path (where it reads
# the caller's memory): the network guard for net calls, fs for files, and
# a policy that allows exec but rebuilds the child's environment.
BAD_FLAGS = [["--fs-readonly", "--no-network"], ["--no-network"],
             ["--fs-readonly"]]


def _bad_arg(op, workdir):
    """The valid argument next to the bad one: an existing program for
    execve with a bad argv/envp, else a path in the work directory."""
    return "/bin/true" if op.startswith("execve-") else str(workdir / "x")


@pytest.mark.parametrize("flags", BAD_FLAGS, ids=lambda f: "+".join(f))
@pytest.mark.parametrize("op", BAD_OPS)
def test_invalid_pointer_is_efault_not_a_crash(op, flags, workdir):
    r = mech(flags, "bad-" + op, _bad_arg(op, workdir))
    assert r.rc == 1 and r.line == "errno=EFAULT", r


@pytest.mark.parametrize("op", BAD_OPS)
def test_invalid_pointer_control_without_shim(op, workdir):
    """Control: libc alone says EFAULT for the same calls (the probe
    itself is sound)."""
    r = mech(None, "bad-" + op, _bad_arg(op, workdir))
    assert r.rc == 1 and r.line == "errno=EFAULT", r


# --- defect 8: dlopen keeps the caller's RUNPATH at any optimisation --------

SHIM_O0 = os.path.join(os.path.dirname(LIB), "O0", "libhermetic.so")


@pytest.mark.parametrize("lib", [LIB, SHIM_O0], ids=["default", "O0"])
@pytest.mark.parametrize("flags", [[], ["--no-network", "--fs-readonly"],
                                   ["--no-network"]],
                         ids=["nopolicy", "guarded", "net"])
def test_runpath_plugin_loads_through_any_shim_build(lib, flags, tmp_path):
    """A library whose RUNPATH is $ORIGIN/sub dlopens a plugin from there
    and finds one of its own symbols with dlsym(RTLD_NEXT...) semantics
    intact: only works if the shim's dlopen reaches glibc with the
    caller's return address, which must not depend on the optimiser (the
    O0 shim is the Debug-build case)."""
    assert os.path.exists(lib), lib
    extra = {"LD_PRELOAD": lib}
    if flags:
        extra["HERMETIC_POLICY"] = launcher_policy(flags)
    # tests/fixtures/runpath_*.c
    r = run([fixture_path("runpath_main"), fixture_path("runpath/liblib.so")],
            env_extra=extra)
    assert r.rc == 0 and r.line == "42", r
    # The guard is live with this preload and policy (so the shim really
    # was on the path): a write open is refused.
    if "--fs-readonly" in flags:
        r = run([MECHPROBE, "sys-openat-hi", str(tmp_path / "x")],
                env_extra=extra)
        assert r.line == "errno=EACCES", r


# --- versioned exports: dlvsym finds the shim under glibc's versions --------

@pytest.mark.parametrize("handle", ["next", "libc"])
def test_dlvsym_connect_is_the_wrapper(handle, tcp_listener):
    """dlvsym(RTLD_NEXT or a libc handle, "connect", "GLIBC_2.2.5") returns
    the shim's connect (exported under glibc's version / remapped), which
    refuses under --no-network."""
    lst = tcp_listener()
    r = mech(["--no-network"], "dlvsym", handle, "connect", "GLIBC_2.2.5",
             "127.0.0.1", str(lst.port))
    # A refused connect fails with ENETUNREACH (errors.md: not retried).
    assert r.rc == 1 and r.line == "errno=ENETUNREACH", r
    assert lst.accepted() == 0


@pytest.mark.parametrize("handle", ["next", "libc"])
def test_dlvsym_connect_control(handle, tcp_listener):
    lst = tcp_listener()
    r = mech(["--fs-readonly"], "dlvsym", handle, "connect", "GLIBC_2.2.5",
             "127.0.0.1", str(lst.port))
    assert r.rc == 0 and r.line == "ok", r
    assert lst.accepted() == 1


@pytest.mark.parametrize("version", ["GLIBC_2.2.5", "GLIBC_2.15"])
def test_both_posix_spawn_versions_are_guarded(version):
    r = mech(["--no-subprocess"], "vspawn", version, "/bin/true")
    assert r.rc == 1 and r.line == "errno=EACCES", r
    r = mech(["--no-network"], "vspawn", version, "/bin/true")
    assert r.rc == 0 and r.line == "ok", r


@pytest.mark.parametrize("version", ["GLIBC_2.2.5", "GLIBC_2.34"])
def test_both_dlopen_versions_are_guarded(version):
    lib = "libutil.so.1"  # not loaded by the probe
    r = mech(["--block-native"], "vdlopen", version, lib)
    assert r.rc == 1 and r.line.startswith("dlerror=hermetic:"), r
    r = mech(["--no-network"], "vdlopen", version, lib)
    assert r.rc == 0 and r.line == "ok", r


def test_exports_carry_glibc_versions():
    """The shim's connect is connect@@GLIBC_2.2.5 and posix_spawn has
    both versions, like libc.so.6 (the full list: CTest exports.shim)."""
    out = subprocess.run(["nm", "-D", "--defined-only", LIB],
                         capture_output=True, text=True, check=True).stdout
    names = {line.split()[-1] for line in out.splitlines()}
    assert "connect@@GLIBC_2.2.5" in names
    assert {"posix_spawn@@GLIBC_2.15", "posix_spawn@GLIBC_2.2.5"} <= names
    assert {"dlopen@@GLIBC_2.34", "dlopen@GLIBC_2.2.5"} <= names


# --- table coverage: the fs variants the main probe has no operation for ---

FS_VARIANTS = ["chown", "lchown", "fchownat", "fchmodat", "utimensat",
               "lutimes", "truncate64", "setxattr-l", "removexattr",
               "lremovexattr", "linkat", "symlinkat", "mkfifoat", "creat64",
               "__openat64_2", "freopen64", "tmpfile64", "mkstemp64",
               "mkostemp", "mkostemp64", "mkstemps", "mkstemps64",
               "mkostemps", "mkostemps64", "fchmod", "fchown", "futimens",
               "futimes", "fsetxattr", "fremovexattr", "__xmknod",
               "__xmknodat"]


def _fs_state(d):
    out = {}
    for p in sorted(d.iterdir()):
        st = os.lstat(p)
        out[p.name] = (st.st_mode, st.st_mtime_ns, st.st_size,
                       tuple(sorted(os.listxattr(p, follow_symlinks=False))))
    return out


def _fs_setup(workdir):
    d = workdir / "d"
    d.mkdir()
    f = d / "f"
    f.write_text("content")
    os.chmod(f, 0o644)
    try:
        os.setxattr(f, "user.hm", b"1")
    except OSError as e:
        pytest.skip(f"no user xattrs on the test file system ({e})")
    return d, f


@pytest.mark.parametrize("op", FS_VARIANTS)
def test_fs_variant_refused_under_fs_readonly(op, workdir):
    d, f = _fs_setup(workdir)
    before = _fs_state(d)
    # No private TMPDIR: tmpfile() would be created there (cli.md).
    r = mech(["--fs-readonly", "--no-private-tmp"], "fs", op, str(f))
    assert r.rc == 1 and r.line == "errno=EACCES", r
    assert _fs_state(d) == before


@pytest.mark.parametrize("op", FS_VARIANTS)
def test_fs_variant_allowed_control(op, workdir):
    d, f = _fs_setup(workdir)
    r = mech(["--no-network"], "fs", op, str(f))
    assert r.rc == 0 and r.line == "ok", r


# --- table coverage: network names the main probe has no operation for ------

@pytest.mark.parametrize("op", ["__connect", "__sendmmsg"])
def test_net_alias_refused(op, tcp_listener, udp_receiver):
    lst = tcp_listener() if op == "__connect" else udp_receiver()
    r = mech(["--no-network"], "net", op, "127.0.0.1", str(lst.port))
    assert r.rc == 1 and r.line == "errno=ENETUNREACH", r
    got = lst.accepted() if op == "__connect" else lst.received()
    assert not got


@pytest.mark.parametrize("op", ["__connect", "__sendmmsg"])
def test_net_alias_allowed_control(op, tcp_listener, udp_receiver):
    lst = tcp_listener() if op == "__connect" else udp_receiver()
    r = mech(["--no-network", "--allow-localhost"], "net", op, "127.0.0.1",
             str(lst.port))
    assert r.rc == 0 and r.line == "ok", r
    got = lst.accepted() if op == "__connect" else lst.received()
    assert got


RESOLVERS = {"gethostbyname2": "h_errno=3",           # NO_RECOVERY
             "gethostbyname_r": "h_errno=3 rc=13",    # returns EACCES
             "gethostbyname2_r": "h_errno=3 rc=13",
             "getaddrinfo_a": "gai=-11"}              # EAI_SYSTEM


@pytest.mark.parametrize("op", sorted(RESOLVERS))
def test_resolver_variant_refused(op):
    """A name outside the policy is refused before any name server sees
    it (so the test sends nothing off the machine)."""
    r = mech(["--no-network", "--allow-localhost"], "net", op,
             "blocked.example", "-")
    assert r.rc == 1 and r.line == RESOLVERS[op], r


@pytest.mark.parametrize("op", sorted(RESOLVERS))
def test_resolver_variant_allowed_control(op):
    """Control: "localhost" (from /etc/hosts, no name server involved)."""
    r = mech(["--no-network", "--allow-localhost"], "net", op, "localhost",
             "-")
    assert r.rc == 0 and r.line == "ok", r


BAD_OPS_2 = ["rename2", "link", "symlink", "chmod", "truncate", "rmdir",
             "fopen", "spawn"]


@pytest.mark.parametrize("op", BAD_OPS_2)
def test_invalid_pointer_in_a_writable_hole_is_efault(op, workdir):
    """Inside an --allow-write hole the shim reads both paths of a
    two-path call before it decides: a bad one is EFAULT, not a crash."""
    f = workdir / "f"
    f.write_text("x")
    for flags in ([f"--fs-readonly={workdir}", "--allow-write",
                   str(workdir)], ["--no-network"]):
        r = mech(flags, "bad-" + op, str(f))
        assert r.rc == 1 and r.line == "errno=EFAULT", r
    r = mech(None, "bad-" + op, str(f))  # control: libc alone
    assert r.rc == 1 and r.line == "errno=EFAULT", r


@pytest.mark.parametrize("length", [120, 255, 256, 257, 300, 1000, 4000])
def test_path_copy_stops_at_the_nul(length, workdir):
    """The shim's EFAULT-safe copy reads a path that ends on the last byte
    before an unmapped page without faulting, whatever its length (the
    first read is 256 bytes, then page by page)."""
    d = workdir
    name = "x" * 200
    parts = []
    path = str(d)
    while len(path) + 1 + len(name) < length:
        path = path + "/" + name
        parts.append(path)
    rest = length - len(path) - 1
    if rest <= 0:
        pytest.skip("work directory path too long for this length")
    path = path + "/" + "f" * rest
    for p in parts:
        os.mkdir(p)
    assert len(path) == length
    r = mech(["--fs-readonly"], "edge-open", path)
    assert r.rc == 1 and r.line == "errno=EACCES", r
    assert not os.path.exists(path)
    r = mech(["--no-network"], "edge-open", path)
    assert r.rc == 0 and r.line == "ok", r
    assert os.path.exists(path)


# --- optional wrappers called before the shim's init (review fix) ----------

EARLY_OPS = ["mknod", "mknodat", "lchmod", "renameat2", "execveat"]


def _early(early_so, workdir, flags):
    """Run /bin/true with LD_PRELOAD=<shim>:<early.so> and the policy
    hermetic would hand for @flags (no launcher: it would run early.so's
    constructor itself). Returns ({op: result}, Result)."""
    d = workdir / "e"
    d.mkdir()
    (d / "f").write_text("data\n")
    (d / "f").chmod(0o644)
    r = run(["/bin/true"], env_extra={
        "LD_PRELOAD": f"{LIB}:{early_so}",
        "HERMETIC_POLICY": launcher_policy(flags),
        "RF_DIR": str(d)})
    got = dict(line.split(" ", 1) for line in r.out.splitlines())
    return got, r


def test_optional_wrappers_before_init_control(early_so, workdir):
    """Before the fix these failed with ENOSYS: the real pointer was
    tested before hm_shim_enter() resolved the table."""
    got, r = _early(early_so, workdir, [])
    assert got == {"mknod": "ok", "mknodat": "ok", "lchmod": "ok",
                   "renameat2": "ok", "execveat": "ENOENT"}, r
    d = workdir / "e"
    assert sorted(os.listdir(d)) == ["fifo", "fifo2", "g"], r


def test_optional_wrappers_before_init_refused(early_so, workdir):
    """...and they are checked, not only forwarded, that early."""
    got, r = _early(early_so, workdir, ["--fs-readonly", "--no-subprocess"])
    assert got == {op: "EACCES" for op in EARLY_OPS}, r
    d = workdir / "e"
    assert sorted(os.listdir(d)) == ["f"], r
    assert (d / "f").stat().st_mode & 0o777 == 0o644
