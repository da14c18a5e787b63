"""Red-team tests of what landed with the string pool and the pybind split.

Each attack is a test with its positive control next to it:
- a writable hole (or the fs_root) that the blocked code itself replaces by
  a symlink, to widen the next entry of the same blocker;
- the urllib3 frame rule of the network exceptions: a file under a urllib3/
  directory the attacker writes, catching ConnectBlocked as OSError and
  retrying by other routes;
- the sorted audit-event table: every event the old switch handled is
  still refused; ctypes.* prefixes; names not in the table.

Network: loopback only, and nothing waits for a packet. The child makes
its own listener on 127.0.0.1 before the block and afterwards asks it,
without blocking, whether anything arrived (a loopback connect or
datagram is queued before the call returns).
"""

import os

import pytest

from pyhelpers import check


# --- a hole replaced by a symlink between two entries ------------------------

SWAP = """
import os, shutil, sys
hole, outside, root = sys.argv[1], sys.argv[2], sys.argv[3]
def write(p):
    with open(p, "w") as f:
        f.write("x")
b = hermetic_blocker(fs_readonly=True, allow_write=[hole])
with b:
    attempt("first-in-hole", write, os.path.join(hole, "a"))
    attempt("first-outside", write, os.path.join(outside, "a"))
    # The blocked code replaces the hole itself (a path under the hole).
    attempt("swap-rmtree", shutil.rmtree, hole)
    attempt("swap-symlink", os.symlink, outside, hole)
note("is-link", os.path.islink(hole))
def second():
    with b:
        write(os.path.join(outside, "b"))
attempt("second-outside", second)
def second_in():
    with b:
        write(os.path.join(hole, "c"))
attempt("second-through-link", second_in)

# The same with fs_root: the root is its own hole.
os.makedirs(root + "/r", exist_ok=True)
r = root + "/r"
b2 = hermetic_blocker(fs_readonly=True, fs_root=r, allow_write=[r])
with b2:
    attempt("root-first-read-outside", lambda: open(os.path.join(outside, "a")).read())
    attempt("root-swap-rmtree", shutil.rmtree, r)
    attempt("root-swap-symlink", os.symlink, outside, r)
def root_second():
    with b2:
        return open(os.path.join(outside, "a")).read()
attempt("root-second-read-outside", root_second)

# A hole inside another hole: the inner one is a path under the outer.
outer = root + "/outer"
os.makedirs(outer + "/inner", exist_ok=True)
b3 = hermetic_blocker(fs_readonly=True, allow_write=[outer, outer + "/inner"])
with b3:
    attempt("nested-in-hole", write, outer + "/inner/x")
    def nested_swap():
        shutil.rmtree(outer + "/inner")
        os.symlink(outside, outer + "/inner")
    attempt("nested-swap", nested_swap)
def nested_second():
    with b3:
        write(os.path.join(outside, "d"))
attempt("nested-second-outside", nested_second)
"""


@pytest.mark.parametrize("preload", [False, True])
def test_hole_swapped_for_a_symlink_does_not_widen_the_next_entry(
        tmp_path, preload):
    hole = tmp_path / "hole"
    outside = tmp_path / "outside"
    root = tmp_path / "rootdir"
    hole.mkdir()
    outside.mkdir()
    root.mkdir()
    (outside / "a").write_text("secret")
    got, r = check(SWAP, preload=preload,
                   args=(str(hole), str(outside), str(root)))
    # Positive controls: the hole works, the outside does not.
    assert got["first-in-hole"].ok, r
    assert got["first-outside"].blocked, r
    # The swap itself: a path under the hole, so it is allowed.
    assert got["swap-rmtree"].ok and got["swap-symlink"].ok, r
    assert got["is-link"].value is True, r
    # The next entry must not make the symlink's target writable.
    assert not got["second-outside"].ok, r
    assert not (outside / "b").exists(), r
    assert not got["second-through-link"].ok, r
    assert not (outside / "c").exists(), r
    # fs_root: reads outside the root stay refused after the swap.
    assert got["root-first-read-outside"].blocked, r
    assert got["root-swap-rmtree"].ok and got["root-swap-symlink"].ok, r
    assert not got["root-second-read-outside"].ok, r
    assert got["nested-in-hole"].ok and got["nested-swap"].ok, r
    assert not got["nested-second-outside"].ok, r
    assert not (outside / "d").exists(), r


# --- the urllib3 frame rule ---------------------------------------------------

# The attacker's own "urllib3" package: any file under a urllib3/ directory
# gets the OSError subclasses. It catches them as OSError and retries by
# every other route it has.
EVIL = r'''
import os, socket
def connect(host, port):
    s = socket.socket()
    try:
        s.connect((host, port))
    finally:
        s.close()
def retries(host, port, udp_port):
    got = []
    def one(label, fn):
        try:
            fn()
            got.append(label + ":allowed")
        except OSError as e:  # ConnectBlocked/LookupBlocked are OSErrors here
            got.append(label + ":" + type(e).__name__)
    def connect_ex():
        s = socket.socket()
        try:
            if s.connect_ex((host, port)) != 0:
                raise OSError("connect_ex failed")
        finally:
            s.close()
    def create_connection():
        socket.create_connection((host, port), timeout=5).close()
    def mapped_v6():
        s = socket.socket(socket.AF_INET6)
        try:
            s.connect(("::ffff:" + host, port))
        finally:
            s.close()
    def udp_sendto():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.sendto(b"leak", (host, udp_port))
        finally:
            s.close()
    def udp_connect_send():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.connect((host, udp_port))
            s.send(b"leak")
        finally:
            s.close()
    def udp_sendmsg():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.sendmsg([b"leak"], [], 0, (host, udp_port))
        finally:
            s.close()
    def lookup_then_connect():
        try:
            socket.getaddrinfo("localhost", port)
        except socket.gaierror:  # LookupBlocked: fall back to a literal
            pass
        connect(host, port)
    for label, fn in [("again", lambda: connect(host, port)),
                      ("connect_ex", connect_ex),
                      ("create_connection", create_connection),
                      ("mapped_v6", mapped_v6),
                      ("udp_sendto", udp_sendto),
                      ("udp_connect_send", udp_connect_send),
                      ("udp_sendmsg", udp_sendmsg),
                      ("lookup_then_connect", lookup_then_connect)]:
        one(label, fn)
    return got
'''

URLLIB3_CHILD = """
import os, socket, sys
sys.path.insert(0, sys.argv[1])
import urllib3.evil as evil
lst = socket.socket()
lst.bind(("127.0.0.1", 0))
lst.listen(16)
lst.setblocking(False)
port = lst.getsockname()[1]
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind(("127.0.0.1", 0))
udp.setblocking(False)
udp_port = udp.getsockname()[1]
def arrived():
    n = 0
    while True:
        try:
            lst.accept()[0].close()
            n += 1
        except BlockingIOError:
            break
    while True:
        try:
            udp.recv(100)
            n += 1
        except BlockingIOError:
            break
    return n
with hermetic_blocker(block_network=True):
    attempt("urllib3-connect", evil.connect, "127.0.0.1", port)
    note("retries", evil.retries("127.0.0.1", port, udp_port))
    # The same call from a file that is not under urllib3/: plain class.
    attempt("plain-connect", lambda: socket.create_connection(("127.0.0.1", port)))
note("arrived-in-block", arrived())
attempt("control-connect", evil.connect, "127.0.0.1", port)
note("arrived-after", arrived())
"""


@pytest.mark.parametrize("preload", [False, True])
def test_own_urllib3_package_gains_only_an_exception_class(tmp_path, preload):
    pkg = tmp_path / "urllib3"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "evil.py").write_text(EVIL)
    got, r = check(URLLIB3_CHILD, preload=preload, args=(str(tmp_path),))
    c = got["urllib3-connect"]
    assert c.blocked and c.cls == "ConnectBlocked", r
    assert "OSError" in c.mro and "PolicyViolation" in c.mro, r
    assert got["plain-connect"].blocked, r
    assert got["plain-connect"].cls == "PolicyViolation", r
    retries = got["retries"].value
    assert len(retries) == 8, r
    assert not [x for x in retries if x.endswith(":allowed")], r
    # Nothing reached the listener or the UDP socket during the block...
    assert got["arrived-in-block"].value == 0, r
    # ...and the positive control outside the block does.
    assert got["control-connect"].ok, r
    assert got["arrived-after"].value == 1, r


# --- the sorted audit-event table --------------------------------------------

# Every event the old dispatch switch (8e9cd43 pybind/_native.c: the switch,
# is_subprocess_event and mut_events) refused, raised by hand with the
# arguments CPython gives it. Under a block of every switch each must be
# refused; outside any block none may be; names not in the table never.
EVENTS_CODE = r'''
import os, socket, sqlite3, sys
import tempfile
P = tempfile.mkstemp(prefix="hm-redteam-")[1]  # exists: no ENOENT answer
D = tempfile.mkdtemp(prefix="hm-redteam-")  # an empty directory
TIOCSTI = 0x5412
s4 = socket.socket()
EVENTS = [
    ("code.__new__", (None, "f", "n", 0, 0, 0, 0, 0)),
    ("compile", (b"1", "<x>")),
    ("exec", (None,)),
    ("fcntl.ioctl", (0, TIOCSTI, b"x")),
    ("import", ("hm_redteam_denied", None, [], [], [])),
    ("marshal.load", ()),
    ("marshal.loads", (b"",)),
    ("open", (P, "w", os.O_WRONLY | os.O_CREAT)),
    ("os.chdir", ("/",)),
    ("os.chflags", (P, 0)),
    ("os.chmod", (P, 0o600, -1)),
    ("os.chown", (P, 0, 0, -1)),
    ("os.exec", ("/bin/true", ["true"], None)),
    ("os.fork", ()),
    ("os.forkpty", ()),
    ("os.lchflags", (P, 0)),
    ("os.link", (P, P + "2", -1, -1)),
    ("os.mkdir", (P + ".d", 0o700, -1)),
    ("os.posix_spawn", ("/bin/true", ["true"], None)),
    ("os.putenv", (b"HM_X", b"1")),
    ("os.remove", (P, -1)),
    ("os.removexattr", (P, "user.x")),
    ("os.rename", (P, P + "2", -1, -1)),
    ("os.rmdir", (D, -1)),
    ("os.setxattr", (P, "user.x", b"1", 0)),
    ("os.spawn", (0, "/bin/true", ["true"], None)),
    ("os.startfile", (P, None)),
    ("os.symlink", ("/etc", P + ".l", -1)),
    ("os.system", (b"true",)),
    ("os.truncate", (P, 0)),
    ("os.unsetenv", (b"HM_X",)),
    ("os.utime", (P, None, None, -1)),
    ("shutil.chown", (P, 0, 0)),
    ("shutil.copyfile", ("/etc/hostname", P)),
    ("shutil.copymode", ("/etc/hostname", P)),
    ("shutil.copystat", ("/etc/hostname", P)),
    ("shutil.copytree", ("/etc", P)),
    ("shutil.make_archive", (P, "tar", None, None)),
    ("shutil.move", (P, P + "2")),
    ("shutil.rmtree", (P, None)),
    ("shutil.unpack_archive", ("/etc/hostname", P, None)),
    ("socket.__new__", (s4, 17, 3, 0)),
    ("socket.bind", (s4, ("0.0.0.0", 0))),
    ("socket.connect", (s4, ("127.0.0.2", 9))),
    ("socket.getaddrinfo", ("redteam.example.invalid", 80, 0, 0, 0)),
    ("socket.gethostbyaddr", ("127.0.0.2",)),
    ("socket.gethostbyname", ("redteam.example.invalid",)),
    ("socket.getnameinfo", (("127.0.0.2", 9), 0)),
    ("socket.sendmsg", (s4, ("127.0.0.2", 9))),
    ("socket.sendto", (s4, ("127.0.0.2", 9))),
    ("sqlite3.enable_load_extension", (None, True)),
    ("sqlite3.load_extension", (None, "/x.so")),
    ("subprocess.Popen", ("/bin/true", ["true"], None, None)),
    ("ctypes.dlopen", ("libc.so.6",)),
    ("ctypes.redteam.new", ("x",)),
]
NOT_IN_TABLE = ["ctypes", "ctypesx.dlopen", "os.listdir", "opens", "ope",
                "os.systemx", "os.syste", "socket.gethostname",
                "hermetic.redteam", "z", "~", "\u00e9v"]
def raise_all(prefix):
    for name, args in EVENTS:
        attempt(prefix + name, sys.audit, name, *args)
    for name in NOT_IN_TABLE:
        attempt(prefix + "absent:" + name, sys.audit, name, 1, 2)
raise_all("out:")
with hermetic_blocker(block_network=True, block_subprocess=True,
                      fs_readonly=True, block_native=True,
                      block_environment=True, block_code_exec=True,
                      block_interpreter_mutation=True,
                      deny_imports=["hm_redteam_denied"]):
    raise_all("in:")
os.unlink(P)
os.rmdir(D)
'''


def test_every_old_event_is_still_refused():
    got, r = check(EVENTS_CODE)
    names = [k[len("in:"):] for k in got if k.startswith("in:")
             and not k.startswith("in:absent:")]
    assert len(names) == 55, r
    for name in names:
        assert got["in:" + name].blocked, (name, got["in:" + name], r)
        # Outside any block the same event passes (positive control).
        assert got["out:" + name].ok, (name, got["out:" + name], r)
    absent = [k for k in got if k.startswith("in:absent:")]
    assert len(absent) == 12, r
    for k in absent:
        assert got[k].ok, (k, got[k], r)


# --- HERMETIC_POLICY through the shim: crafted values fail closed ------------

def _probe_with_policy(policy, path, pass_fds=()):
    from conftest import LIB, PROBE, base_env
    import subprocess
    env = base_env()
    env["LD_PRELOAD"] = LIB
    env["HERMETIC_POLICY"] = policy
    cp = subprocess.run([PROBE, "open", str(path), "w"], env=env,
                        pass_fds=pass_fds, capture_output=True, text=True,
                        timeout=60, check=False)
    return cp.stdout.strip(), cp.stderr


def _memfd_policy(text, seals):
    import fcntl
    fd = os.memfd_create("hm-redteam", os.MFD_ALLOW_SEALING)
    os.write(fd, text.encode())
    if seals:
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, seals)
    st = os.fstat(fd)
    return fd, f"fd:{fd}:{st.st_ino}:{st.st_dev}"


def test_memfd_policy_must_be_sealed(tmp_path):
    import fcntl
    from conftest import launcher_policy
    # --no-network only: a write is allowed unless the shim fails closed.
    text = launcher_policy(["--no-network"])
    all_seals = (fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW
                 | fcntl.F_SEAL_WRITE)
    fd, ref = _memfd_policy(text, all_seals)
    try:
        out, err = _probe_with_policy(ref, tmp_path / "ok", (fd,))
    finally:
        os.close(fd)
    assert out == "ok", err  # positive control: a sealed memfd is read
    for label, seals in [("unsealed", 0),
                         ("no-write-seal", fcntl.F_SEAL_SEAL
                          | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW)]:
        fd, ref = _memfd_policy(text, seals)
        try:
            out, err = _probe_with_policy(ref, tmp_path / label, (fd,))
        finally:
            os.close(fd)
        assert out.startswith("errno="), (label, out, err)
        assert "invalid HERMETIC_POLICY" in err, (label, err)
        assert not (tmp_path / label).exists()


def test_rechecksummed_mutants_fail_closed(tmp_path):
    """A parent's text with a lying count or length, re-checksummed so only
    the structure check can catch it: the shim refuses it and fails closed
    (every write refused), with the launcher-style message."""
    from conftest import launcher_policy
    text = launcher_policy(["--no-network", "--allow-domain", "example.com"])
    raw = bytearray(bytes.fromhex(text))[:-8]

    def fnv(b):
        h = 0xcbf29ce484222325
        for x in b:
            h = ((h ^ x) * 0x100000001b3) & 0xffffffffffffffff
        return h.to_bytes(8, "little")

    # Layer 0 starts at byte 8: flags u32, then the root list's count u32,
    # then the domains' count u32 at 16 and the first length u16 at 20.
    mutants = {"count-2^32-1": (16, b"\xff\xff\xff\xff"),
               "count-2^31": (16, b"\x00\x00\x00\x80"),
               "length-65535": (20, b"\xff\xff"),
               "length-0": (20, b"\x00\x00")}
    assert raw[20:22] == len("example.com").to_bytes(2, "little")
    out, err = _probe_with_policy(text, tmp_path / "control")
    assert out == "ok", err  # positive control: the unmutated text
    for label, (at, val) in mutants.items():
        b = bytearray(raw)
        b[at:at + len(val)] = val
        b += fnv(b)
        out, err = _probe_with_policy(b.hex(), tmp_path / label)
        assert out.startswith("errno="), (label, out, err)
        assert "invalid HERMETIC_POLICY" in err, (label, err)
        assert not (tmp_path / label).exists()


def test_rechecksummed_mutant_fails_closed_in_the_python_layer(tmp_path):
    """The same lie read by _native alone (no shim): one fail-closed layer."""
    from conftest import launcher_policy
    from pyhelpers import run_py, outcomes
    text = launcher_policy(["--no-network", "--allow-domain", "example.com"])
    raw = bytearray(bytes.fromhex(text))[:-8]
    raw[16:20] = b"\xff\xff\xff\xff"  # the domains' count
    h = 0xcbf29ce484222325
    for x in raw:
        h = ((h ^ x) * 0x100000001b3) & 0xffffffffffffffff
    raw += h.to_bytes(8, "little")
    code = """
import sys
def write(p):
    with open(p, "w") as f:
        f.write("x")
attempt("write", write, sys.argv[1])
"""
    for label, policy in [("control", text), ("mutant", raw.hex())]:
        r = run_py(code, policy=policy, args=(str(tmp_path / label),))
        got = outcomes(r)
        if label == "control":
            assert got["write"].ok, r
        else:
            # Fail closed: even the import of the package's own modules is
            # refused, so the child may stop before attempt() runs.
            w = got.get("write")
            assert (w is None and r.rc != 0) or (w is not None and w.blocked), r
            assert "invalid HERMETIC_POLICY" in r.err, r
            assert not (tmp_path / label).exists(), r
