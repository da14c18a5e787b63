"""The shim's mechanics (issue 7): a call re-entered from a signal handler
gets a verdict, syscall() routes every spelling of a guarded number,
invalid pointers fail with EFAULT instead of crashing, and versioned
lookups (dlvsym) find the shim. Every negative case has a positive control.
The helper is tests/fixtures/mechprobe.c (built next to the probe)."""
import os

import pytest

from conftest import PROBE, run, run_hermetic

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
