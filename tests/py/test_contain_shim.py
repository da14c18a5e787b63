"""Issue 8, libc-layer containment classes: each test is the attack (it
succeeded before the fix) next to a positive control.

The shim is exercised without the Python layer (run_preloaded: LD_PRELOAD
and HERMETIC_POLICY, no sitecustomize) or through non-Python programs, so
these tests show what the libc layer alone stops.
"""

import ctypes.util
import os
import shutil
import textwrap

import pytest

from conftest import (BIN, LIB, PROBE, PYTHON, fixture_path, py_argv, run,
                      run_hermetic, run_preloaded, trace_lines)
from pyhelpers import policy_text

# --------------------------------------------------------------------------
# helpers (the C attackers are tests/fixtures/*.c, built by CMake)
# --------------------------------------------------------------------------

_POLICIES = {}


def policy(**kw):
    """HERMETIC_POLICY text for hermetic_blocker(**kw), cached."""
    key = repr(sorted(kw.items()))
    if key not in _POLICIES:
        _POLICIES[key] = policy_text(**kw)
    return _POLICIES[key]


def shim_py(code, pol, **kw):
    """Run Python @code with only the shim (no Python layer), trace on."""
    extra = dict(kw.pop("env_extra", None) or {})
    return run_preloaded(py_argv(textwrap.dedent(code)), policy=pol,
                         env_extra=extra, **kw)


# --------------------------------------------------------------------------
# Class 1: /proc/<pid>/mem for writing, ptrace, process_vm_writev, pidfd_getfd
# --------------------------------------------------------------------------

# Opens /proc/self/mem for writing through every spelling and prints one
# line per attempt: "<label> ok" or "<label> errno=<n>".
MEM_OPENS = r"""
import errno, os, sys, threading
try:
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
except ImportError:  # block_native: pure Python only
    libc = None
pid = os.getpid()
tid = threading.get_native_id()
os.symlink("/proc/self/mem", "memlink")
spellings = ["/proc/self/mem", f"/proc/{pid}/mem", "/proc/thread-self/mem",
             f"/proc/self/task/{tid}/mem", f"/proc/{pid}/task/{tid}/mem",
             "/proc/self/./mem", "//proc//self/mem", "memlink"]
def show(label, fn):
    try:
        r = fn()
    except OSError as e:
        print(label, "errno=%d" % e.errno)
        return
    if isinstance(r, bool):
        print(label, "ok")
    elif isinstance(r, int) and r < 0:
        print(label, "errno=%d" % ctypes.get_errno())
    elif not r:
        print(label, "errno=%d" % ctypes.get_errno())
    else:
        print(label, "ok")
for s in spellings:
    b = s.encode()
    show("pyopen " + s, lambda: open(s, "r+b"))
    show("os.open " + s, lambda: os.open(s, os.O_WRONLY))
    if not libc:
        continue
    show("open " + s, lambda: libc.open(b, os.O_RDWR))
    show("open64 " + s, lambda: libc.open64(b, os.O_WRONLY))
    show("__open " + s, lambda: libc.__open(b, os.O_RDWR))
    show("openat " + s, lambda: libc.openat(-100, b, os.O_RDWR))
    show("__open_2 " + s, lambda: libc.__open_2(b, os.O_RDWR))
    show("__openat_2 " + s, lambda: libc.__openat64_2(-100, b, os.O_RDWR))
    show("creat " + s, lambda: libc.creat(b, 0o600))
    libc.fopen.restype = ctypes.c_void_p
    show("fopen " + s, lambda: libc.fopen(b, b"r+"))
    libc._IO_fopen.restype = ctypes.c_void_p
    show("_IO_fopen " + s, lambda: libc._IO_fopen(b, b"w"))
    libc.syscall.restype = ctypes.c_long
    show("syscall-openat " + s,
         lambda: libc.syscall(257, -100, b, os.O_RDWR, 0))
# another process: a child of ours (ptrace-accessible even with Yama 1)
rfd, wfd = os.pipe()
try:
    child = os.fork()
except PermissionError:  # block_subprocess refuses the fork family too
    child = None
if child == 0:
    os.read(rfd, 1)
    os._exit(0)
if child is not None:
    show("pyopen child", lambda: open(f"/proc/{child}/mem", "r+b"))
    show("os.open child task", lambda: os.open(f"/proc/{child}/task/{child}/mem", os.O_RDWR))
    os.write(wfd, b"x")
    os.waitpid(child, 0)
# a read-only descriptor re-opened for writing through /proc/self/fd/N
ro = os.open("/proc/self/mem", os.O_RDONLY)
show("reopen-fd", lambda: os.open(f"/proc/self/fd/{ro}", os.O_RDWR))
show("reopen-devfd", lambda: open(f"/dev/fd/{ro}", "r+b"))
# control: reading stays allowed, and an ordinary write open works
print("control-read", "ok" if ro >= 0 else "bad")
show("control-write", lambda: os.open("plain.txt", os.O_RDWR | os.O_CREAT, 0o600))
"""


@pytest.mark.parametrize("guard", [
    {"block_network": True},
    {"block_subprocess": True},
    {"block_native": True},
    {"block_code_exec": True},
])
def test_proc_mem_write_refused_under_any_guard(workdir, guard):
    r = shim_py(MEM_OPENS, policy(**guard), cwd=workdir)
    assert r.rc == 0, str(r)
    lines = dict(l.rsplit(" ", 1) for l in r.out.splitlines())
    attacks = {k: v for k, v in lines.items()
               if not k.startswith("control")}
    assert len(attacks) > (16 if guard.get("block_native") else 90), str(r)
    assert all(v == "errno=13" for v in attacks.values()), \
        {k: v for k, v in attacks.items() if v != "errno=13"}
    assert lines["control-read"] == "ok"
    assert lines["control-write"] == "ok", str(r)


def test_proc_mem_write_allowed_without_guard(workdir):
    """Control: with no guard active nothing is refused (the attack test
    above is not refusing /proc/self/mem for another reason)."""
    r = shim_py(MEM_OPENS, policy(), cwd=workdir)
    assert r.rc == 0, str(r)
    lines = dict(l.rsplit(" ", 1) for l in r.out.splitlines())
    assert lines["pyopen /proc/self/mem"] == "ok"
    assert lines["open /proc/self/mem"] == "ok"
    assert lines["reopen-fd"] == "ok"
    assert lines["pyopen child"] == "ok"


# A C attacker that really tampers (tests/fixtures/tamper.c): it flips a
# variable through /proc/self/mem (the stand-in for the policy stack or a
# check's code).

def test_proc_mem_tamper_from_c_under_launcher():
    exe = fixture_path("tamper")
    r = run([exe])
    assert r.line == "tampered guard_on=0", str(r)  # the attack works bare
    r = run_hermetic(["--no-network", "--trace"], [exe])
    assert r.line == "open errno=13 guard_on=1", str(r)
    assert any("blocked open path=/proc/self/mem reason=unguardable" in l
               for l in trace_lines(r.err)), str(r)


def test_other_process_doors_refused():
    exe = fixture_path("procdoors")
    bare = dict(l.rsplit(" ", 1) for l in run([exe]).out.splitlines())
    # Before the fix (and bare) these succeed: same user, a child.
    assert bare["process_vm_writev"] == "ok", bare
    assert bare["pidfd_getfd"] == "ok", bare
    r = run_hermetic(["--no-network", "--trace"], [exe])
    got = dict(l.rsplit(" ", 1) for l in r.out.splitlines())
    for k in ("process_vm_writev", "syscall-process_vm_writev",
              "process_vm_writev-self", "pidfd_getfd", "syscall-pidfd_getfd",
              "process_madvise", "ptrace-seize", "syscall-ptrace-attach",
              "ptrace-attach", "ptrace-poke"):
        assert got[k] == "errno=13", (k, str(r))
    assert got["control-pidfd_getfd-self"] == "ok", str(r)
    assert got["control-process_vm_readv"] == "ok", str(r)
    traces = "\n".join(trace_lines(r.err))
    assert "blocked ptrace pid=" in traces
    assert "blocked process_vm_writev pid=" in traces


# --------------------------------------------------------------------------
# Class 2: TIOCSTI / TIOCLINUX terminal input injection
# --------------------------------------------------------------------------

# The child makes the pty slave its controlling terminal (as the shell's
# terminal is for a program it starts), then types "INJECTED\n" into it.
# It reports per entry point: ok, errno=<n> or PolicyViolation.
TIOCSTI_CHILD = r"""
import fcntl, os, sys, termios
os.setsid()
tty = os.open(sys.argv[1], os.O_RDWR)  # becomes the controlling terminal
try:
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
except ImportError:
    libc = None
def report(label, fn):
    try:
        rc = fn()
        print(label, "ok" if rc is None or rc >= 0 else
              "errno=%d" % ctypes.get_errno(), flush=True)
    except OSError as e:
        print(label, "errno=%d" % e.errno, flush=True)
    except Exception as e:
        print(label, type(e).__name__, flush=True)
which = sys.argv[2]
if which == "fcntl":
    report("fcntl", lambda: [fcntl.ioctl(tty, termios.TIOCSTI, c)
                             for c in [bytes([b]) for b in b"INJECTED\n"]]
           and None)
elif which == "ctypes":
    def typed():
        for b in b"INJECTED\n":
            c = ctypes.c_char(b)
            if libc.ioctl(tty, termios.TIOCSTI, ctypes.byref(c)) < 0:
                return -1
        return 0
    report("ctypes", typed)
elif which == "syscall":
    def typed():
        for b in b"INJECTED\n":
            c = ctypes.c_char(b)
            if libc.syscall(16, tty, termios.TIOCSTI, ctypes.byref(c)) < 0:
                return -1
        return 0
    report("syscall", typed)
# control: an ordinary terminal ioctl keeps working
report("control-winsz",
       lambda: fcntl.ioctl(tty, termios.TIOCGWINSZ, b"\0" * 8) and None)
"""


def _run_in_pty(argv_prefix, which, tmp_path, env_extra=None, runner=None):
    """Run the TIOCSTI child on a fresh pty; return (Result, injected)."""
    master, slave = os.openpty()
    try:
        name = os.ttyname(slave)
        script = tmp_path / "tiocsti_child.py"
        script.write_text(TIOCSTI_CHILD)
        r = (runner or run)([*argv_prefix, PYTHON, str(script), name, which],
                            env_extra=env_extra)
        # TIOCSTI queues synchronously: whatever was typed is readable now.
        os.set_blocking(slave, False)
        try:
            typed = os.read(slave, 4096)
        except BlockingIOError:
            typed = b""
        return r, typed
    finally:
        os.close(master)
        os.close(slave)


def _tiocsti_possible(tmp_path):
    r, typed = _run_in_pty([], "fcntl", tmp_path)
    if b"INJECTED" not in typed:
        pytest.skip("this kernel refuses TIOCSTI (dev.tty.legacy_tiocsti=0):"
                    " nothing to guard: " + str(r))


@pytest.mark.parametrize("which", ["ctypes", "syscall"])
@pytest.mark.parametrize("flag", ["--no-network", "--no-subprocess",
                                  "--fs-readonly"])
def test_tiocsti_refused_by_the_shim(tmp_path, which, flag):
    _tiocsti_possible(tmp_path)
    # bare: the attack types into the terminal
    r, typed = _run_in_pty([], which, tmp_path)
    assert b"INJECTED" in typed, str(r)
    # shim only (no Python layer): refused, nothing typed
    r, typed = _run_in_pty([BIN, flag, "--trace", "--"], which, tmp_path)
    assert typed == b"", str(r)
    assert f"{which} errno=13" in r.out, str(r)
    assert "control-winsz ok" in r.out, str(r)
    assert any("blocked ioctl request=21522" in l
               for l in trace_lines(r.err)), str(r)


def test_tiocsti_refused_by_the_shim_without_python_layer(tmp_path):
    """LD_PRELOAD + policy only: the Python layer is not loaded at all."""
    _tiocsti_possible(tmp_path)
    pol = policy(block_network=True)
    r, typed = _run_in_pty([], "ctypes", tmp_path,
                           runner=lambda argv, env_extra=None:
                           run_preloaded(argv, policy=pol))
    assert typed == b"", str(r)
    assert "ctypes errno=13" in r.out, str(r)
    assert "control-winsz ok" in r.out, str(r)


def test_tiocsti_allowed_without_guard(tmp_path):
    """Control: with only a Python-layer guard active, the shim stays out
    of the way (TIOCSTI is refused under subprocess/network/fs guards)."""
    _tiocsti_possible(tmp_path)
    pol = policy(block_code_exec=True)
    r, typed = _run_in_pty([], "ctypes", tmp_path,
                           runner=lambda argv, env_extra=None:
                           run_preloaded(argv, policy=pol))
    assert b"INJECTED" in typed, str(r)


def test_tiocsti_refused_by_the_python_layer(tmp_path):
    """Pure Python, no shim: fcntl.ioctl raises the audit event the
    Python layer judges."""
    _tiocsti_possible(tmp_path)
    code = ("import sys, runpy\n"
            "from hermetic import hermetic_blocker\n"
            "with hermetic_blocker(block_network=True):\n"
            "    sys.argv = sys.argv[1:]\n"
            "    runpy.run_path(sys.argv[0], run_name='__main__')\n")
    script = tmp_path / "wrap.py"
    script.write_text(code)
    master, slave = os.openpty()
    try:
        child = tmp_path / "tiocsti_child.py"
        child.write_text(TIOCSTI_CHILD)
        from conftest import PYTHONPATH
        r = run([PYTHON, str(script), str(child), os.ttyname(slave),
                 "fcntl"], env_extra={"PYTHONPATH": PYTHONPATH})
        os.set_blocking(slave, False)
        try:
            typed = os.read(slave, 4096)
        except BlockingIOError:
            typed = b""
    finally:
        os.close(master)
        os.close(slave)
    assert typed == b"", str(r)
    assert "fcntl PolicyViolation" in r.out, str(r)
    assert "control-winsz ok" in r.out, str(r)


# --------------------------------------------------------------------------
# Class 6: network side doors (source routes, routing headers, HDRINCL,
# SOCK_PACKET, __socket, AF_UNSPEC on an IPv6 socket)
# --------------------------------------------------------------------------

NET_DOORS = r"""
import ctypes, errno, os, socket, struct
libc = ctypes.CDLL(None, use_errno=True)
def out(label, rc):
    print(label, "ok" if rc >= 0 else "errno=%d" % ctypes.get_errno(),
          flush=True)
def sso(label, fam, typ, level, name, value):
    s = socket.socket(fam, typ)
    buf = ctypes.create_string_buffer(value, len(value))
    out(label, libc.setsockopt(s.fileno(), level, name, buf, len(value)))
    s.close()
IP_OPTIONS, IP_HDRINCL, IP_RETOPTS = 4, 3, 7
IPV6_RTHDR, IPV6_2292RTHDR, IPV6_HDRINCL = 57, 5, 36
# loose source route via 127.0.0.2 (never used: nothing is sent)
lsrr = bytes([131, 7, 4, 127, 0, 0, 2, 0])
sso("ip_options_lsrr", socket.AF_INET, socket.SOCK_DGRAM, 0, IP_OPTIONS, lsrr)
sso("ip_retopts", socket.AF_INET, socket.SOCK_DGRAM, 0, IP_RETOPTS, lsrr)
sso("ip_options_py", socket.AF_INET, socket.SOCK_DGRAM, 0, IP_OPTIONS, lsrr)
# segment routing header (type 4) with one segment ::1
srh = bytes([0, 2, 4, 0, 0, 0, 0, 0]) + socket.inet_pton(socket.AF_INET6, "::1")
sso("ipv6_rthdr", socket.AF_INET6, socket.SOCK_DGRAM, 41, IPV6_RTHDR, srh)
sso("ipv6_2292rthdr", socket.AF_INET6, socket.SOCK_DGRAM, 41, IPV6_2292RTHDR, srh)
sso("ip_hdrincl", socket.AF_INET, socket.SOCK_DGRAM, 0, IP_HDRINCL,
    struct.pack("i", 1))
sso("ipv6_hdrincl", socket.AF_INET6, socket.SOCK_DGRAM, 41, IPV6_HDRINCL,
    struct.pack("i", 1))
# the pure-Python spelling: socket.setsockopt raises no audit event
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.setsockopt(0, IP_OPTIONS, lsrr)
    print("py_setsockopt ok")
except OSError as e:
    print("py_setsockopt errno=%d" % e.errno)
# syscall(SYS_setsockopt)
libc.syscall.restype = ctypes.c_long
buf = ctypes.create_string_buffer(lsrr, len(lsrr))
out("syscall_setsockopt", libc.syscall(54, s.fileno(), 0, IP_OPTIONS, buf,
                                       len(lsrr)))
# sendmsg with an IP_RETOPTS control message to loopback
msg_ctl = struct.pack("LiI", 16 + len(lsrr), 0, IP_RETOPTS) + lsrr
try:
    s.sendmsg([b"x"], [(0, IP_RETOPTS, lsrr)], 0, ("127.0.0.1", 9))
    print("sendmsg_retopts ok")
except OSError as e:
    print("sendmsg_retopts errno=%d" % e.errno)
# controls: ordinary options stay allowed, clearing a route is allowed
sso("control_tos", socket.AF_INET, socket.SOCK_DGRAM, 0, 1, struct.pack("i", 16))
sso("control_clear_options", socket.AF_INET, socket.SOCK_DGRAM, 0, IP_OPTIONS, b"")
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
print("control_nodelay ok")
# sockets: SOCK_PACKET (an AF_PACKET socket), IPPROTO_RAW, AF_PACKET via
# __socket and syscall; EPERM without CAP_NET_RAW is fine bare.
out("sock_packet", libc.socket(2, 10, 0x0300))
out("raw_ipproto_raw", libc.socket(2, 3, 255))
out("raw6_ipproto_raw", libc.socket(10, 3, 255))
out("__socket_packet", libc.__socket(17, 3, 0x0300))
out("syscall_socket_packet", libc.syscall(41, 17, 3, 0x0300))
out("control_udp_socket", libc.socket(2, 2, 0))
# An IPv6 UDP socket and a sockaddr_in6 with sin6_family = 0: the shim
# used to read it as IPv4 0.0.0.0 (loopback under allow_localhost). UDP
# treats AF_UNSPEC as "no address" (EDESTADDRREQ: nothing is sent).
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
sa = struct.pack("<HH", 0, socket.htons(9)) + b"\0" * 4 + \
    socket.inet_pton(socket.AF_INET6, "2001:db8::1") + b"\0" * 4
sab = ctypes.create_string_buffer(sa, len(sa))
out("unspec_v6", libc.sendto(u.fileno(), b"x", 1, 0, sab, len(sa)))
sa = struct.pack("<HH", 0, socket.htons(9)) + b"\0" * 4 + \
    socket.inet_pton(socket.AF_INET6, "::1") + b"\0" * 4
sab = ctypes.create_string_buffer(sa, len(sa))
out("control_unspec_v6_loopback", libc.sendto(u.fileno(), b"x", 1, 0, sab,
                                              len(sa)))
"""


def _lines(r):
    return dict(l.rsplit(" ", 1) for l in r.out.splitlines() if " " in l)


def test_network_side_doors_refused(workdir):
    bare = _lines(shim_py(NET_DOORS, policy(), cwd=workdir))
    # The attack: an unprivileged program sets a source route and a
    # routing header that no connect/sendto check ever looks at.
    assert bare["ip_options_lsrr"] == "ok", bare
    assert bare["ipv6_rthdr"] == "ok", bare
    assert bare["py_setsockopt"] == "ok", bare
    for pol in (policy(block_network=True),
                policy(block_network=True, allow_localhost=True)):
        r = shim_py(NET_DOORS, pol, cwd=workdir)
        got = _lines(r)
        for k in ("ip_options_lsrr", "ip_retopts", "ip_options_py",
                  "ipv6_rthdr", "ipv6_2292rthdr", "ip_hdrincl",
                  "ipv6_hdrincl", "py_setsockopt", "syscall_setsockopt",
                  "sendmsg_retopts", "sock_packet", "raw_ipproto_raw",
                  "raw6_ipproto_raw", "__socket_packet",
                  "syscall_socket_packet"):
            assert got.get(k) == "errno=13", (k, str(r))
        # a refused send to an IP peer: ENETUNREACH (docs/errors.md)
        assert got.get("unspec_v6") == "errno=101", str(r)
        assert got["control_tos"] == "ok", str(r)
        assert got["control_clear_options"] == "ok", str(r)
        assert got["control_nodelay"] == "ok", str(r)
        assert got["control_udp_socket"] == "ok", str(r)
    # loopback with the socket's real family: allowed under allow_localhost
    # (EDESTADDRREQ: UDP sends nothing for AF_UNSPEC), refused without.
    r = shim_py(NET_DOORS, policy(block_network=True, allow_localhost=True),
                cwd=workdir)
    assert _lines(r)["control_unspec_v6_loopback"] == "errno=89", str(r)
    r = shim_py(NET_DOORS, policy(block_network=True), cwd=workdir)
    assert _lines(r)["control_unspec_v6_loopback"] == "errno=101", str(r)


def test_unspec_family_on_raw_ipv6_socket_is_judged_as_ipv6(isolated, tmp_path):
    """In a private network namespace (CAP_NET_RAW there), a raw IPv6
    socket given sin6_family = 0 really sends to sin6_addr: shown with ::1
    inside the namespace; the shim must judge that address, not 0.0.0.0."""
    code = r"""
import ctypes, socket, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
os_ = __import__("os")
r = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 253)
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 253)
sa = struct.pack("<HH", 0, 0) + b"\0" * 4 + \
    socket.inet_pton(socket.AF_INET6, "2001:db8::1") + b"\0" * 4
rc = libc.sendto(s.fileno(), b"ping", 4, 0, sa, len(sa))
if rc < 0:
    print("sendto errno=%d" % ctypes.get_errno())
    sys.exit(0)
r.settimeout(5)
print("received", r.recv(100))
"""
    script = tmp_path / "raw6.py"
    script.write_text(code)
    # 2001:db8::1 on the namespace's own lo: "outside" for the policy,
    # but the packet never leaves the private namespace.
    up = ["sh", "-c", 'ip link set lo up && '
          'ip -6 addr add 2001:db8::1/128 dev lo nodad && exec "$@"', "sh"]
    bare = run([*up, PYTHON, str(script)], prefix=isolated)
    if "received" not in bare.out:
        pytest.skip("raw IPv6 sockets unavailable here: " + str(bare))
    # allow_localhost: 0.0.0.0 (the old reading) counts as local
    pol = policy(block_network=True, allow_localhost=True)
    r = run_preloaded([*up, PYTHON, str(script)], policy=pol, prefix=isolated)
    assert r.line == "sendto errno=101", str(r)


# --------------------------------------------------------------------------
# Class 11: the metadata deny list (table: tests/unit/test_policy.c)
# --------------------------------------------------------------------------

@pytest.mark.parametrize("addr", [
    "169.254.170.23",            # EKS Pod Identity
    "169.254.0.23",              # Tencent Cloud
    "192.0.0.192",               # Oracle Cloud Classic
    "fd00:ec2::23",              # EKS Pod Identity, IPv6
    "64:ff9b:1::a9fe:a9fe",      # local-use NAT64 of 169.254.169.254
    "64:ff9b:1:a9fe:a9:fe00::",  # the same, /48 layout
    "2002:a9fe:a9fe::1",         # 6to4
])
def test_metadata_address_refused_even_when_allowed(isolated, addr):
    """An allow_domains entry naming the address itself (as an allowed
    name resolving to it would) does not open a metadata endpoint. Run in
    an empty network namespace: a connect that got through would fail
    with ENETUNREACH without sending anything."""
    r = run_hermetic(["--no-network", f"--allow-domain={addr}"],
                     [PROBE, "connect", addr, "80"], prefix=isolated)
    assert "EACCES" in r.line, str(r)


def test_metadata_neighbour_still_allowed(isolated):
    """Control: the neighbour of an entry is an ordinary allowed literal
    (ENETUNREACH: the connect ran, in a namespace with no route)."""
    r = run_hermetic(["--no-network", "--allow-domain=169.254.170.22"],
                     [PROBE, "connect", "169.254.170.22", "80"],
                     prefix=isolated)
    assert r.line == "errno=ENETUNREACH", str(r)


# --------------------------------------------------------------------------
# Class 7: resolver steering (LOCALDOMAIN & co) and DNS to a loopback stub
# --------------------------------------------------------------------------

RESOLVE = r"""
import os, socket, sys
if len(sys.argv) > 2:
    os.environ[sys.argv[1]] = sys.argv[2]
try:
    socket.getaddrinfo("data.allowed.test", 80)
    print("resolved")
except socket.gaierror as e:
    print("gaierror", e.errno)
except OSError as e:
    print("oserror", e.errno)
"""

STEER_VARS = ["LOCALDOMAIN", "RES_OPTIONS", "HOSTALIASES", "RESOLV_HOST_CONF"]


@pytest.mark.parametrize("var", STEER_VARS)
def test_resolver_knob_set_at_run_time_refuses_lookups(isolated, tmp_path,
                                                       var):
    """In an empty network namespace (nothing can be sent): with the knob
    set from Python, a lookup of an allowed name is refused by the shim
    (EACCES), with a message naming the variable."""
    script = tmp_path / "resolve.py"
    script.write_text(RESOLVE)
    flags = ["--no-network", "--allow-domain=allowed.test", "--trace"]
    r = run_hermetic(flags, [PYTHON, str(script), var, "evil.test"],
                     prefix=isolated)
    assert r.line == "oserror 13", str(r)
    assert any(var in l for l in r.err.splitlines()
               if l.startswith("hermetic: ")), str(r)
    # control: without the knob the lookup is the resolver's business
    # (it fails in the empty namespace, but not with EACCES)
    r = run_hermetic(flags, [PYTHON, str(script)], prefix=isolated)
    assert r.line.startswith("gaierror"), str(r)


@pytest.mark.parametrize("var", STEER_VARS)
def test_resolver_knobs_do_not_reach_the_target_or_its_children(var):
    r = run_hermetic(["--no-network"], [PROBE, "env", var],
                     env_extra={var: "evil.test"})
    assert "evil.test" not in r.out, str(r)
    # a child started with an explicit environment holding the knob
    code = (f"import subprocess, os\n"
            f"env = dict(os.environ, {var}='evil.test')\n"
            f"print(subprocess.run([{PROBE!r}, 'env', {var!r}], env=env,"
            f" capture_output=True, text=True).stdout.strip())\n")
    r = run_hermetic(["--no-network"], py_argv(code))
    assert "evil.test" not in r.out and r.rc == 0, str(r)
    # control: without a network guard the variable passes untouched
    r = run_hermetic(["--no-subprocess"], [PROBE, "env", var],
                     env_extra={var: "evil.test"})
    assert "evil.test" in r.out, str(r)


def test_dns_to_loopback_stub_refused(udp_receiver):
    """A raw DNS message to a loopback stub resolver (127.0.0.53:53, ::1:53)
    is a lookup no name check saw: refused even with --allow-localhost.
    Nothing listens on port 53 here; the refusal comes first."""
    flags = ["--no-network", "--allow-localhost", "--trace"]
    # A refused IP destination fails with ENETUNREACH (errors.md); the
    # trace line tells hermetic's refusal from the kernel's.
    for host in ("127.0.0.53", "127.0.0.1", "::1"):
        r = run_hermetic(flags, [PROBE, "udp-sendto", host, "53"])
        assert "ENETUNREACH" in r.line, str(r)
        assert "[hermetic] blocked sendto" in r.err, str(r)
    r = run_hermetic(flags, [PROBE, "connect", "127.0.0.1", "53"])
    assert "ENETUNREACH" in r.line, str(r)
    assert "[hermetic] blocked connect" in r.err, str(r)
    # control: another loopback port still works
    rx = udp_receiver("127.0.0.1")
    r = run_hermetic(flags, [PROBE, "udp-sendto", "127.0.0.1", str(rx.port)])
    assert r.line == "ok", str(r)


# --------------------------------------------------------------------------
# Class 10: posix_spawn file actions checked at spawn time
# --------------------------------------------------------------------------


@pytest.fixture
def spawn_swap(tmp_path):
    exe = fixture_path("spawnswap")  # tests/fixtures/spawnswap.c
    hole = tmp_path / "hole"
    outside = tmp_path / "outside"
    (hole / "sub").mkdir(parents=True)
    outside.mkdir()
    return exe, hole, outside


def test_spawn_addopen_swapped_directory_refused(spawn_swap):
    exe, hole, outside = spawn_swap
    flags = ["--fs-readonly", f"--allow-write={hole}", "--trace"]
    r = run_hermetic(flags, [exe, hole, outside, "swap"])
    assert r.line == "spawn errno=13", str(r)
    assert not (outside / "f").exists(), str(r)


def test_spawn_addopen_swap_works_bare(spawn_swap):
    """Control: the swap really redirects the child's open (no policy)."""
    exe, hole, outside = spawn_swap
    r = run([exe, hole, outside, "swap"])
    assert r.line == "spawned", str(r)
    assert (outside / "f").read_text() == "pwned\n"


def test_spawn_addopen_in_hole_still_works(spawn_swap):
    """Control: without a swap the child writes the checked file."""
    exe, hole, outside = spawn_swap
    flags = ["--fs-readonly", f"--allow-write={hole}"]
    r = run_hermetic(flags, [exe, hole, outside, "noswap"])
    assert r.line == "spawned", str(r)
    assert (hole / "sub" / "f").read_text() == "pwned\n"


def test_spawn_addopen_proc_mem_refused(spawn_swap):
    """A child handed /proc/<parent>/mem... here /proc/self/mem opened
    for writing by the spawn machinery: refused under any guard."""
    exe, hole, outside = spawn_swap
    r = run_hermetic(["--no-network"], [exe, hole, outside, "proc"])
    assert r.line == "spawn errno=13", str(r)


# --------------------------------------------------------------------------
# Class 8: glibc's internal and side-door openers
# --------------------------------------------------------------------------

OPENERS = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
d = sys.argv[1]
def show(label, ok):
    print(label, "ok" if ok else "errno=%d" % ctypes.get_errno(), flush=True)
which = sys.argv[2]
if which == "write":
    show("__open_nocancel",
         libc.__open_nocancel(f"{d}/n1".encode(), os.O_WRONLY | os.O_CREAT, 0o600) >= 0)
    show("__open64_nocancel",
         libc.__open64_nocancel(f"{d}/n2".encode(), os.O_WRONLY | os.O_CREAT, 0o600) >= 0)
    dev = ctypes.c_ulong(0)
    show("__xmknod", libc.__xmknod(0, f"{d}/fifo".encode(), 0o10600,
                                   ctypes.byref(dev)) == 0)
    show("__xmknodat", libc.__xmknodat(0, -100, f"{d}/fifo2".encode(), 0o10600,
                                       ctypes.byref(dev)) == 0)
    libc.setmntent.restype = ctypes.c_void_p
    show("setmntent", libc.setmntent(f"{d}/mtab".encode(), b"w") is not None)
    libc.updwtmp(f"{d}/wtmp".encode(), (ctypes.c_char * 384)())
    print("updwtmp", "ok" if os.path.exists(f"{d}/wtmp") else "refused")
    fd = libc.shm_open(b"/hm_contain_test", os.O_RDWR | os.O_CREAT, 0o600)
    show("shm_open_create", fd >= 0)
    if fd >= 0:
        libc.shm_unlink(b"/hm_contain_test")
    h = (ctypes.c_char * 136)()
    ctypes.memmove(h, (128).to_bytes(4, "little"), 4)
    rc = libc.open_by_handle_at(-100, h, os.O_RDONLY)
    print("open_by_handle_at", "errno=%d" % ctypes.get_errno() if rc < 0 else "ok")
    libc.pututline.restype = ctypes.c_void_p
    show("pututline", libc.pututline((ctypes.c_char * 384)()) is not None)
    # controls: reads still work, multiprocessing locks (sem_open) too
    show("control-nocancel-read",
         libc.__open_nocancel(b"/etc/hostname", os.O_RDONLY) >= 0)
    libc.setmntent.restype = ctypes.c_void_p
    show("control-setmntent-read",
         libc.setmntent(b"/proc/self/mounts", b"r") is not None)
    import multiprocessing
    lock = multiprocessing.Lock()
    lock.acquire(); lock.release()
    print("control-mp-lock ok")
elif which == "read":
    out = sys.argv[3]
    class glob_t(ctypes.Structure):
        _fields_ = [("gl_pathc", ctypes.c_size_t),
                    ("gl_pathv", ctypes.POINTER(ctypes.c_char_p)),
                    ("gl_offs", ctypes.c_size_t), ("gl_flags", ctypes.c_int),
                    ("pad", ctypes.c_void_p * 8)]
    for label, pat in (("glob-outside", f"{out}/*"), ("control-glob-inside", f"{d}/*")):
        g = glob_t()
        rc = libc.glob(pat.encode(), 0, None, ctypes.byref(g))
        print(label, "matches=%d" % (g.gl_pathc if rc == 0 else 0))
    lst = ctypes.c_void_p()
    show("scandir-outside", libc.scandir(out.encode(), ctypes.byref(lst), None, None) >= 0)
    show("scandirat-outside", libc.scandirat(-100, out.encode(), ctypes.byref(lst), None, None) >= 0)
    show("utmpname-outside", libc.utmpname(f"{out}/utmp".encode()) == 0)
    show("control-scandir-inside", libc.scandir(d.encode(), ctypes.byref(lst), None, None) >= 0)
"""


def _kv(r):
    return dict(l.split(" ", 1) for l in r.out.splitlines() if " " in l)


def test_internal_writers_refused_under_fs_readonly(workdir):
    script = workdir / "openers.py"
    script.write_text(OPENERS)
    d = workdir / "d"
    d.mkdir()
    bare = _kv(run([PYTHON, script, d, "write"]))
    # the attack: bare, each of these writes
    for k in ("__open_nocancel", "__xmknod", "setmntent", "shm_open_create"):
        assert bare[k] == "ok", bare
    for p in d.iterdir():
        p.unlink()
    r = run_hermetic(["--fs-readonly", "--trace"], [PYTHON, script, d, "write"])
    got = _kv(r)
    for k in ("__open_nocancel", "__open64_nocancel", "__xmknod", "__xmknodat",
              "setmntent", "shm_open_create", "open_by_handle_at", "pututline"):
        assert got.get(k) == "errno=13", (k, str(r))
    assert got["updwtmp"] == "refused", str(r)
    assert list(d.iterdir()) == [], str(r)
    for k in ("control-nocancel-read", "control-setmntent-read",
              "control-mp-lock"):
        assert got.get(k) == "ok", (k, str(r))


def test_shm_open_allowed_in_a_dev_shm_hole(workdir):
    """Control for the /dev/shm line: --allow-write=/dev/shm opens it."""
    script = workdir / "openers.py"
    script.write_text(OPENERS)
    d = workdir / "d"
    d.mkdir()
    r = run_hermetic(["--fs-readonly", "--allow-write=/dev/shm"],
                     [PYTHON, script, d, "write"])
    assert _kv(r).get("shm_open_create") == "ok", str(r)


def test_listing_outside_fs_root_refused(workdir):
    inside = workdir / "root"
    outside = workdir / "outside"
    inside.mkdir()
    script = inside / "openers.py"
    script.write_text(OPENERS)
    outside.mkdir()
    (inside / "a").write_text("x")
    (outside / "secret").write_text("x")
    bare = _kv(run([PYTHON, script, inside, "read", outside]))
    assert bare["glob-outside"] == "matches=1", bare
    assert bare["control-glob-inside"] == "matches=2", bare
    assert bare["scandir-outside"] == "ok", bare
    r = run_hermetic([f"--fs-readonly={inside}", "--trace"],
                     [PYTHON, script, inside, "read", outside])
    got = _kv(r)
    assert got.get("glob-outside") == "matches=0", str(r)
    assert got.get("scandir-outside") == "errno=13", str(r)
    assert got.get("scandirat-outside") == "errno=13", str(r)
    assert got.get("utmpname-outside") == "errno=13", str(r)
    assert got.get("control-glob-inside") == "matches=2", str(r)
    assert got.get("control-scandir-inside") == "ok", str(r)


# --------------------------------------------------------------------------
# Class 9: native code through glibc's plugin doors under --block-native
# --------------------------------------------------------------------------


@pytest.fixture
def plugin_doors(tmp_path):
    """tests/fixtures/doors.c, and the attacker's module (evilmod.c: its
    constructor writes a marker file) under the names glibc loads."""
    mod = tmp_path / "mods"
    mod.mkdir()
    for name in ("EVILMOD.so", "libnss_evil.so.2"):
        shutil.copy(fixture_path("evilmod.so"), mod / name)
    (mod / "gconv-modules").write_text(
        "module EVIL// INTERNAL EVILMOD 1\n"
        "module INTERNAL EVIL// EVILMOD 1\n")
    exe = fixture_path("doors")
    return exe, mod, tmp_path / "marker"


@pytest.mark.parametrize("door", ["iconv", "late", "nss"])
def test_plugin_door_refused_under_block_native(plugin_doors, door):
    exe, mod, marker = plugin_doors
    env = {"HM_MARKER": str(marker), "LD_LIBRARY_PATH": str(mod)}
    bare = run([exe, door, mod], env_extra=env)
    assert marker.exists(), str(bare)  # the attack runs the constructor bare
    marker.unlink()
    r = run_hermetic(["--block-native", "--trace"], [exe, door, mod],
                     env_extra=env)
    assert not marker.exists(), str(r)
    if door != "late":
        assert "EACCES" in r.out, str(r)


def test_plugin_door_control(plugin_doors):
    exe, mod, marker = plugin_doors
    r = run_hermetic(["--block-native"], [exe, "control", mod])
    assert r.line == "control ok", str(r)


def test_gconv_path_dropped_for_the_target(plugin_doors):
    r = run_hermetic(["--block-native"], [PROBE, "env", "GCONV_PATH"],
                     env_extra={"GCONV_PATH": "/evil"})
    assert "/evil" not in r.out, str(r)


def test_python_layer_alone_refuses_sock_packet_and_loopback_dns():
    """The core rules reach the Python layer without the shim: a
    (AF_INET, SOCK_PACKET) socket and a datagram to loopback port 53 are
    refused under block_network with allow_localhost; port 9 is not."""
    from pyhelpers import check
    o, r = check("""
        import socket
        with hermetic_blocker(block_network=True, allow_localhost=True):
            attempt("packet", socket.socket, socket.AF_INET, 10, 0)
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            attempt("dns", u.sendto, b"x", ("127.0.0.1", 53))
            attempt("control", u.sendto, b"x", ("127.0.0.1", 9))
    """)
    assert o["packet"].blocked, r
    assert o["dns"].blocked, r
    assert o["control"].ok, r


def test_io_file_fopen_judged_like_fopen(workdir):
    exe = fixture_path("iofopen")  # tests/fixtures/iofopen.c
    target = workdir / "victim"
    r = run([exe, target, "w"])
    assert r.line == "ok" and target.exists(), str(r)  # bare: it writes
    target.unlink()
    r = run_hermetic(["--fs-readonly", "--trace"], [exe, target, "w"])
    assert r.line == "errno=13" and not target.exists(), str(r)
    r = run_hermetic(["--no-network"], [exe, "/proc/self/mem", "r+"])
    assert r.line == "errno=13", str(r)
    # control: a read of an existing file works under the guard
    r = run_hermetic(["--fs-readonly"], [exe, "/etc/hostname", "r"])
    assert r.line == "ok", str(r)


DNS_STUB = r"""
import socket, sys
# A stub name server on 127.0.0.1:53 inside the test's own namespaces: it
# records the query names it is asked and answers nothing (NXDOMAIN-less
# silence is fine: the resolver times out quickly with RES_OPTIONS).
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
print("ready", flush=True)
with open(sys.argv[1], "a") as log:
    while True:
        data, peer = s.recvfrom(512)
        i, labels = 12, []
        while i < len(data) and data[i]:
            n = data[i]
            labels.append(data[i + 1:i + 1 + n].decode("ascii", "replace"))
            i += 1 + n
        log.write(".".join(labels) + "\n")
        log.flush()
        # answer REFUSED so the resolver moves on at once
        s.sendto(data[:2] + b"\x81\x05" + data[4:12] + data[12:i + 5], peer)
"""

STEER_SH = r"""
set -e
mount --bind "$1" /etc/resolv.conf
ip link set lo up
"$PY" "$STUB" "$LOG" > "$LOG.ready" &
stub=$!
while ! grep -q ready "$LOG.ready" 2>/dev/null; do sleep 0.05; done
shift
"$@" || true
kill $stub
"""


def test_resolver_steering_really_changes_the_query(tmp_path):
    """End to end, in private user, network and mount namespaces (a fake
    resolv.conf pointing at a stub on the namespace's own 127.0.0.1): with
    LOCALDOMAIN set at run time, a lookup of the allowed name goes out as
    data.allowed.test.evil.test bare; under the launcher no query carries
    evil.test."""
    probe = run(["unshare", "-rnm", "true"])
    if probe.rc != 0:
        pytest.skip("unprivileged user+net+mount namespaces unavailable: "
                    + probe.err.strip())
    conf = tmp_path / "resolv.conf"
    conf.write_text("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
    stub = tmp_path / "stub.py"
    stub.write_text(DNS_STUB)
    sh = tmp_path / "steer.sh"
    sh.write_text(STEER_SH)
    resolve = tmp_path / "resolve.py"
    resolve.write_text(RESOLVE)
    env = {"PY": PYTHON, "STUB": str(stub)}

    def queries(cmd, name):
        log = tmp_path / name
        log.write_text("")
        r = run(["unshare", "-rnm", "sh", str(sh), str(conf), *cmd],
                env_extra=dict(env, LOG=str(log)))
        return log.read_text().split(), r

    got, r = queries([PYTHON, str(resolve), "LOCALDOMAIN", "evil.test"],
                     "bare.log")
    assert any(q.endswith("evil.test") for q in got), (got, str(r))
    got, r = queries([BIN, "--no-network", "--allow-domain=allowed.test",
                      "--", PYTHON, str(resolve), "LOCALDOMAIN",
                      "evil.test"], "guarded.log")
    assert not any("evil" in q for q in got), (got, str(r))
    assert "oserror 13" in r.out, str(r)
    # control: the allowed name itself is still asked
    got, r = queries([BIN, "--no-network", "--allow-domain=allowed.test",
                      "--", PYTHON, str(resolve)], "control.log")
    assert "data.allowed.test" in got, (got, str(r))
