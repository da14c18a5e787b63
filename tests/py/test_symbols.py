"""Every interposed symbol of the shim, by its own name (issue 7, "tests
follow the table").

One row per HM_SYM row of libhermetic/shim/sym_*.def. Each row runs
tests/fixtures/symprobe.c (SYMBOL ARGS...) twice through the launcher:

  refused  under the policy that must refuse it, with --trace: the output
           is the documented failure (docs/errors.md), a "[hermetic]"
           trace line says the shim refused it (so a kernel refusal cannot
           pass for the shim's), and nothing happened (the test's
           directory is unchanged, no listener saw a connection or a
           datagram, no query reached the loopback name server);
  control  under a policy that allows it (the same guard with a hole
           where there is one, else no guard): the call works, or is
           handed to the kernel and gets the kernel's own answer, and no
           trace line appears.

A few rows are never refused (dlerror, pclose, vfork, the fork-backed
__vfork): their "refused" run shows what the guard does to them instead
(dlerror reports the refusal once; a vfork child's exec is refused).

Side effects stay in the test's tmp dir; network only on the loopback
listeners the test makes. Names that must be refused are ones the policy
refuses before any query (blocked.example); controls use numeric hosts,
"localhost" (/etc/hosts) or the test's own name server on 127.0.0.1
(the res_* rows point the resolver state at it before every call).

tests/check_symbol_coverage.sh (CTest symbols.coverage, branch mech)
checks that every table row is named by a test; ROWS names every HM_SYM
row there is today (139), and test_rows_are_table_rows checks that each
row here is a table row symprobe can call.
"""
import os
import re
import socket
import struct
import threading
from dataclasses import dataclass, field

import pytest

from conftest import (PROBE, REPO, hermetic_lines, run_hermetic, run_preloaded,
                      snapshot, trace_lines)

SYMPROBE = os.path.join(os.path.dirname(PROBE), "symprobe")
ROOT = os.geteuid() == 0

NO_NET = ["--no-network"]
LOCAL = ["--no-network", "--allow-localhost"]
RO = ["--fs-readonly"]
RO_HOLE = ["--fs-readonly", "--allow-write", "{d}"]
RO_NOTMP = ["--fs-readonly", "--no-private-tmp"]
NO_SUB = ["--no-subprocess"]
NATIVE = ["--block-native"]
NONE = []
FS_ROOT = ["--fs-readonly={d}/root"]

EACCES = "errno=EACCES"


@dataclass
class Row:
    """One symbol: refused with @deny = (flags, args, expected output
    regex), controlled with @allow = (flags, args, regex). @effect names
    what must not happen in the refused run and must in the control:
    "fs" (tmp dir unchanged when refused), "tcp", "udp", "dns", "rsrv"
    (a loopback listener's count). @trace=False: the refusal is not a
    traced event (documented per row)."""
    name: str
    deny: tuple
    allow: tuple
    effect: str = ""
    trace: bool = True
    marks: list = field(default_factory=list)
    note: str = ""


def fs(name, args, allow_args=None, **kw):
    """A file-system mutation: EACCES under --fs-readonly, ok inside an
    --allow-write hole."""
    return Row(name, (RO, args, EACCES),
               (RO_HOLE, allow_args or args, "ok"), effect="fs", **kw)


def _peer_errno():
    """The errno docs/errors.md documents for a connect/send to an IP
    peer refused by --no-network (EACCES, or ENETUNREACH where the docs
    say so): the test follows the documented contract."""
    for line in (REPO / "docs" / "errors.md").read_text().splitlines():
        if line.startswith("| sockets |") and "`connect`" in line:
            return ("errno=ENETUNREACH" if "ENETUNREACH" in line
                    else EACCES)
    raise AssertionError("docs/errors.md has no sockets row for connect")


PEER_DENY = _peer_errno()


def tcp(name):
    return Row(name, (NO_NET, ["127.0.0.1", "{port}"], PEER_DENY),
               (LOCAL, ["127.0.0.1", "{port}"], "ok"), effect="tcp")


def udp(name):
    return Row(name, (NO_NET, ["127.0.0.1", "{uport}"], PEER_DENY),
               (LOCAL, ["127.0.0.1", "{uport}"], "ok"), effect="udp")


EXEC_OK = "exec-ok"


def execrow(name, target="/bin/echo"):
    """An exec: EACCES under --no-subprocess; the control runs echo."""
    return Row(name, (NO_SUB, [target, EXEC_OK], EACCES),
               (NONE, [target, EXEC_OK], EXEC_OK))


def host_r(name):
    """gethostby* (NULL, h_errno NO_RECOVERY, errno EACCES)."""
    return Row(name, (NO_NET, ["blocked.example"],
                      "h_errno=NO_RECOVERY errno=EACCES"),
               (LOCAL, ["localhost"], "ok localhost"))


def host_rr(name):
    """gethostby*_r (returns EACCES, *result NULL, NO_RECOVERY)."""
    return Row(name, (NO_NET, ["blocked.example"],
                      "rc=EACCES h_errno=NO_RECOVERY result=NULL"),
               (LOCAL, ["localhost"], "ok localhost"))


RES_DENY = "rc=-1 h_errno=NO_RECOVERY errno=EACCES"
RES_OK = r"ok len=\d+"
ALLOW_PROBE_TEST = ["--no-network", "--allow-domain", "probe.test"]


def res(name, deny_args, allow_args, allow_flags=ALLOW_PROBE_TEST):
    return Row(name, (NO_NET, deny_args, RES_DENY),
               (allow_flags, allow_args, RES_OK), effect="dns")


# A privileged source port (rcmd, rresvport, bindresvport) needs root;
# without it the kernel refuses the real call with EACCES (untraced).
PRIV_OK = "ok" if ROOT else "errno=EACCES"


ROWS = [
    # --- opens (a write-intent open of an existing file) -----------------
    fs("open", ["{f}"]),
    fs("open64", ["{f}"]),
    fs("__open", ["{f}"]),
    fs("__open64", ["{f}"]),
    fs("__open_2", ["{f}"]),
    fs("__open64_2", ["{f}"]),
    fs("openat", ["{d}", "f"]),
    fs("openat64", ["{d}", "f"]),
    fs("__openat_2", ["{d}", "f"]),
    fs("__openat64_2", ["{d}", "f"]),
    fs("creat", ["{d}/new"]),
    fs("creat64", ["{d}/new"]),
    fs("fopen", ["{f}"]),
    fs("fopen64", ["{f}"]),
    fs("_IO_fopen", ["{f}"]),
    fs("freopen", ["{f}"]),
    fs("freopen64", ["{f}"]),
    # a read outside --fs-readonly=ROOT; the control reads inside it
    Row("opendir", (["--fs-readonly={d}/root"], ["{d}/sub"], EACCES),
        (["--fs-readonly={d}/root"], ["{d}/root/in"], "ok"), effect="fs"),
    # tmpfile writes to /tmp (hard-coded P_tmpdir); refused with no
    # writable TMPDIR either (--no-private-tmp: the shim may fall back to
    # the launcher's private TMPDIR, docs/cli.md). The control has no
    # guard (an unnamed file: it leaves no name behind).
    Row("tmpfile", (RO_NOTMP, [], EACCES), (NONE, [], "ok"), effect="fs"),
    Row("tmpfile64", (RO_NOTMP, [], EACCES), (NONE, [], "ok"),
        effect="fs"),
    fs("mkstemp", ["{d}"]),
    fs("mkstemp64", ["{d}"]),
    fs("mkostemp", ["{d}"]),
    fs("mkostemp64", ["{d}"]),
    fs("mkstemps", ["{d}"]),
    fs("mkstemps64", ["{d}"]),
    fs("mkostemps", ["{d}"]),
    fs("mkostemps64", ["{d}"]),
    fs("mkdtemp", ["{d}"]),
    # --- path mutations ---------------------------------------------------
    fs("rename", ["{f}", "{d}/g"]),
    fs("renameat", ["{f}", "{d}/g"]),
    fs("renameat2", ["{f}", "{d}/g"]),
    fs("unlink", ["{f}"]),
    fs("unlinkat", ["{f}"]),
    fs("remove", ["{f}"]),
    fs("rmdir", ["{d}/sub"]),
    fs("mkdir", ["{d}/new"]),
    fs("mkdirat", ["{d}/new"]),
    fs("link", ["{f}", "{d}/g"]),
    fs("linkat", ["{f}", "{d}/g"]),
    fs("symlink", ["{f}", "{d}/g"]),
    fs("symlinkat", ["{f}", "{d}/g"]),
    fs("truncate", ["{f}"]),
    fs("truncate64", ["{f}"]),
    fs("chmod", ["{f}"]),
    fs("fchmodat", ["{f}"]),
    fs("lchmod", ["{f}"]),
    fs("chown", ["{f}"]),
    fs("lchown", ["{f}"]),
    fs("fchownat", ["{f}"]),
    fs("utime", ["{f}"]),
    fs("utimes", ["{f}"]),
    fs("lutimes", ["{f}"]),
    fs("futimesat", ["{f}"]),
    fs("utimensat", ["{f}"]),
    fs("setxattr", ["{f}"]),
    fs("lsetxattr", ["{f}"]),
    fs("removexattr", ["{f}"]),
    fs("lremovexattr", ["{f}"]),
    fs("mknod", ["{d}/p"]),
    fs("mknodat", ["{d}/p"]),
    fs("mkfifo", ["{d}/p"]),
    fs("mkfifoat", ["{d}/p"]),
    # --- metadata changes through a read-only descriptor -----------------
    fs("fchmod", ["{f}"]),
    fs("fchown", ["{f}"]),
    fs("futimens", ["{f}"]),
    fs("futimes", ["{f}"]),
    fs("fsetxattr", ["{f}"]),
    fs("fremovexattr", ["{f}"]),
    # --- sockets ----------------------------------------------------------
    # AF_INET SOCK_RAW IPPROTO_RAW (caller-built IP headers) is refused;
    # a TCP socket is the control under the same guard
    Row("socket", (NO_NET, ["2", "3", "255"], EACCES),
        (NO_NET, ["2", "1", "0"], "ok")),
    Row("__socket", (NO_NET, ["2", "3", "255"], EACCES),
        (NO_NET, ["2", "1", "0"], "ok")),
    # a loose source route re-routes packets; IP_TOS does not
    Row("setsockopt", (LOCAL, ["ip_options"], EACCES),
        (LOCAL, ["ip_tos"], "ok")),
    tcp("connect"),
    tcp("__connect"),
    # a non-loopback address is refused before the kernel sees it (it
    # would say EADDRNOTAVAIL); loopback is the control
    Row("bind", (NO_NET, ["10.0.0.1", "0"], EACCES),
        (NO_NET, ["127.0.0.1", "0"], "ok")),
    # listen on a socket bound to "any" behind the shim's back (an inline
    # bind syscall): refused; bound to 127.0.0.1 it is the control. (A
    # never-bound socket is bound to loopback first: allowed, issue 10.)
    Row("listen", (NO_NET, ["raw-any"], EACCES), (NO_NET, ["lo"], "ok")),
    udp("sendto"),
    udp("sendmsg"),
    udp("sendmmsg"),
    udp("__sendmmsg"),
    # --- resolver -----------------------------------------------------------
    Row("getaddrinfo", (NO_NET, ["blocked.example"],
                        "gai=EAI_SYSTEM errno=EACCES"),
        (LOCAL, ["localhost"], r"ok (127\.0\.0\.1|::1)")),
    Row("getaddrinfo_a", (NO_NET, ["blocked.example"],
                          "gai=EAI_SYSTEM errno=EACCES"),
        (LOCAL, ["localhost"], r"ok (127\.0\.0\.1|::1)")),
    host_r("gethostbyname"),
    host_r("gethostbyname2"),
    host_rr("gethostbyname_r"),
    host_rr("gethostbyname2_r"),
    # a reverse lookup of an address no local source answers (TEST-NET-2)
    Row("gethostbyaddr", (NO_NET, ["198.51.100.7"],
                          "h_errno=NO_RECOVERY errno=EACCES"),
        (LOCAL, ["127.0.0.1"], "ok localhost")),
    Row("gethostbyaddr_r", (NO_NET, ["198.51.100.7"],
                            "rc=EACCES h_errno=NO_RECOVERY result=NULL"),
        (LOCAL, ["127.0.0.1"], "ok localhost")),
    # a refused reverse lookup: NI_NAMEREQD gets EAI_NONAME (a plain call
    # gets the numeric answer: test_getnameinfo_refused_is_numeric)
    Row("getnameinfo", (NO_NET, ["198.51.100.7", "namereqd"],
                        "gai=EAI_NONAME"),
        (LOCAL, ["127.0.0.1", "namereqd"], "ok localhost")),
    res("res_query", ["blocked.example", "{dns}"], ["probe.test", "{dns}"]),
    res("res_search", ["blocked.example", "{dns}"],
        ["probe.test", "{dns}"]),
    res("res_querydomain", ["blocked", "example", "{dns}"],
        ["a", "probe.test", "{dns}"]),
    # res_send carries a raw packet: refused under any network block
    res("res_send", ["probe.test", "{dns}"], ["probe.test", "{dns}"],
        allow_flags=NONE),
    res("res_nquery", ["blocked.example", "{dns}"],
        ["probe.test", "{dns}"]),
    res("res_nsearch", ["blocked.example", "{dns}"],
        ["probe.test", "{dns}"]),
    res("res_nquerydomain", ["blocked", "example", "{dns}"],
        ["a", "probe.test", "{dns}"]),
    res("res_nsend", ["probe.test", "{dns}"], ["probe.test", "{dns}"],
        allow_flags=NONE),
    # --- legacy r* helpers: refused outright under a network block --------
    Row("rcmd", (LOCAL, ["127.0.0.1", "{rsrv}"], EACCES),
        (NONE, ["127.0.0.1", "{rsrv}"], PRIV_OK),
        effect="rsrv" if ROOT else ""),
    Row("rcmd_af", (LOCAL, ["127.0.0.1", "{rsrv}"], EACCES),
        (NONE, ["127.0.0.1", "{rsrv}"], PRIV_OK),
        effect="rsrv" if ROOT else ""),
    Row("rexec", (LOCAL, ["127.0.0.1", "{rsrv}"], EACCES),
        (NONE, ["127.0.0.1", "{rsrv}"], "ok"), effect="rsrv"),
    Row("rexec_af", (LOCAL, ["127.0.0.1", "{rsrv}"], EACCES),
        (NONE, ["127.0.0.1", "{rsrv}"], "ok"), effect="rsrv"),
    Row("rresvport", (LOCAL, [], EACCES), (NONE, [], PRIV_OK)),
    Row("rresvport_af", (LOCAL, [], EACCES), (NONE, [], PRIV_OK)),
    # judged as the bind it performs
    Row("bindresvport", (NO_NET, ["10.0.0.1"], EACCES),
        (NO_NET, ["127.0.0.1"], PRIV_OK)),
    # not trusted (no hosts.equiv / .rhosts entry): -1 from libc itself
    Row("ruserok", (LOCAL, ["127.0.0.1"], EACCES),
        (NONE, ["127.0.0.1"], "rc=-1")),
    Row("ruserok_af", (LOCAL, ["127.0.0.1"], EACCES),
        (NONE, ["127.0.0.1"], "rc=-1")),
    Row("iruserok", (LOCAL, ["127.0.0.1"], EACCES),
        (NONE, ["127.0.0.1"], "rc=-1")),
    Row("iruserok_af", (LOCAL, ["127.0.0.1"], EACCES),
        (NONE, ["127.0.0.1"], "rc=-1")),
    # --- programs -----------------------------------------------------------
    execrow("execve"),
    execrow("execv"),
    execrow("execvp", "echo"),
    execrow("execvpe", "echo"),
    execrow("execl"),
    execrow("execle"),
    execrow("execlp", "echo"),
    execrow("fexecve"),
    execrow("execveat"),
    Row("posix_spawn", (NO_SUB, ["/bin/echo", EXEC_OK], "rc=EACCES"),
        (NONE, ["/bin/echo", EXEC_OK], EXEC_OK + "\nok exit=0")),
    Row("posix_spawnp", (NO_SUB, ["echo", EXEC_OK], "rc=EACCES"),
        (NONE, ["echo", EXEC_OK], EXEC_OK + "\nok exit=0")),
    # an absolute path is judged when the action is added (a relative one
    # at spawn time, from the child's directory: test_spawn_actions.py)
    Row("posix_spawn_file_actions_addopen", (RO, ["{f}"], "rc=EACCES"),
        (RO_HOLE, ["{f}"], "ok")),
    Row("system", (NO_SUB, ["echo " + EXEC_OK], EACCES),
        (NONE, ["echo " + EXEC_OK], EXEC_OK + "\nok exit=0")),
    Row("__libc_system", (NO_SUB, ["echo " + EXEC_OK], EACCES),
        (NONE, ["echo " + EXEC_OK], EXEC_OK + "\nok exit=0")),
    Row("popen", (NO_SUB, ["echo " + EXEC_OK], EACCES),
        (NO_NET, ["echo " + EXEC_OK], "ok exec-ok exit=0")),
    Row("_IO_popen", (NO_SUB, ["echo " + EXEC_OK], EACCES),
        (NO_NET, ["echo " + EXEC_OK], "ok exec-ok exit=0")),
    # popen's core, handed a FILE in glibc's layout (see symprobe.c)
    Row("_IO_proc_open", (NO_SUB, ["echo " + EXEC_OK], EACCES),
        (NO_NET, ["echo " + EXEC_OK], "ok " + EXEC_OK)),
    # never refused: the refused run is a popen that never happened, the
    # control reaps the shim's own popen stream (under a guard) with the
    # shell's status
    Row("pclose", (NO_SUB, ["exit 3"], EACCES),
        (NO_NET, ["exit 3"], "ok exit=3")),
    # a command substitution fails with WRDE_CMDSUB; plain words expand
    # (test_wordexp_plain_words_under_guard)
    Row("wordexp", (NO_SUB, ["$(echo x)"], "rc=WRDE_CMDSUB"),
        (NONE, ["$(echo x)"], "ok x")),
    # the vfork itself is refused (the fork family, test_fork_family.py)
    Row("vfork", (NO_SUB, ["/bin/echo", EXEC_OK], EACCES),
        (NONE, ["/bin/echo", EXEC_OK], EXEC_OK + "\nok exit=0")),
    Row("__vfork", (NO_SUB, ["/bin/echo", EXEC_OK], EACCES),
        (NONE, ["/bin/echo", EXEC_OK], EXEC_OK + "\nok exit=0")),
    # --- glibc's side-door openers (fs_sidedoor.c) -------------------------
    fs("__setmntent", ["{d}/mtab"]),
    # libio's open(2) core, added as one table row + one slow path
    fs("_IO_file_open", ["{d}/new"]),
    # appends to an existing file (glibc does not create it)
    fs("updwtmpx", ["{f}"]),
    # writes the utmp file utmpxname named: refused under --fs-readonly,
    # holes or not; the control (no guard) writes a record into f
    Row("pututxline", (RO, ["{f}"], EACCES), (NONE, ["{f}"], "ok"),
        effect="fs"),
    # reads under --fs-readonly=ROOT, like opendir: a refused directory
    # reads as unreadable, so glob finds nothing outside the root
    Row("glob64", (FS_ROOT, ["{d}/*"], "rc=GLOB_NOMATCH"),
        (FS_ROOT, ["{d}/root/*"], "ok matches=1")),
    Row("scandir64", (FS_ROOT, ["{d}/sub"], EACCES),
        (FS_ROOT, ["{d}/root/in"], "ok")),
    Row("scandirat64", (FS_ROOT, ["{d}/sub"], EACCES),
        (FS_ROOT, ["{d}/root/in"], "ok")),
    Row("utmpxname", (FS_ROOT, ["{f}"], EACCES),
        (FS_ROOT, ["{d}/root/in"], "ok")),
    # --- native code -------------------------------------------------------
    # GCONV_PATH (set by the probe itself) under --block-native
    Row("newlocale", (NATIVE, ["{d}"], EACCES), (NONE, ["{d}"], "ok")),
    Row("dlopen", (NATIVE, ["libm.so.6"],
                   "dlerror=hermetic: native code loading blocked: "
                   r"\S*libm\.so\.6"),
        (NONE, ["libm.so.6"], "ok")),
    Row("dlmopen", (NO_NET, ["libm.so.6"],
                    "dlerror=hermetic: dlmopen outside the base namespace "
                    r"blocked .*libm\.so\.6"),
        (NONE, ["libm.so.6"], "ok")),
    # the refusal message once, then libc's own state (nothing pending)
    Row("dlerror", (NATIVE, ["libm.so.6"],
                    "dlerror=hermetic: native code loading blocked: "
                    r"\S*libm\.so\.6\|\(null\)"),
        (NONE, ["/nonexistent/libhm.so"],
         r"dlerror=/nonexistent/libhm\.so: cannot open .*\|\(null\)")),
    # libc's connect through an explicit libc handle is the shim's
    Row("dlsym", (NO_NET, ["127.0.0.1", "{port}"], PEER_DENY),
        (LOCAL, ["127.0.0.1", "{port}"], "ok"), effect="tcp"),
    # --- syscall, other processes, terminals --------------------------------
    # openat2 has no wrapper: ENOSYS under any block (callers fall back)
    Row("syscall", (NO_NET, ["{f}"], "errno=ENOSYS"), (NONE, ["{f}"], "ok"),
        trace=False),
    # POKEDATA is refused; PEEKDATA goes to the kernel (parent: ESRCH)
    Row("ptrace", (NO_NET, ["poke"], EACCES),
        (NO_NET, ["peek"], "errno=ESRCH")),
    Row("process_vm_writev", (NO_NET, [], EACCES), (NONE, [], "ok written")),
    # another process's descriptors: refused; one's own pidfd: allowed
    Row("pidfd_getfd", (NO_NET, ["child"], EACCES), (NO_NET, ["self"], "ok")),
    Row("process_madvise", (NO_NET, ["child"], EACCES),
        (NO_NET, ["self"], "ok")),
    # TIOCSTI on /dev/null: the kernel says ENOTTY when let through
    Row("ioctl", (NO_NET, [], EACCES), (NONE, [], "errno=ENOTTY")),
]

BY_NAME = {r.name: r for r in ROWS}
DEF_DIR = REPO / "libhermetic" / "shim"
assert len(BY_NAME) == len(ROWS), "duplicate row"


# --- loopback peers -----------------------------------------------------------

class DnsResponder:
    """A UDP name server on 127.0.0.1 that answers every A query with
    127.0.0.1 (TTL 60) and counts the queries it got."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.queries = 0
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        self.sock.settimeout(0.2)
        while not self._stop:
            try:
                q, peer = self.sock.recvfrom(4096)
            except (socket.timeout, OSError):
                continue
            if len(q) < 17:
                continue
            self.queries += 1
            end = 12
            while end < len(q) and q[end]:
                end += 1 + q[end]
            end += 5  # the root label, QTYPE, QCLASS
            hdr = q[:2] + struct.pack("!HHHHH", 0x8180, 1, 1, 0, 0)
            ans = struct.pack("!HHHIH4s", 0xC00C, 1, 1, 60, 4,
                              bytes([127, 0, 0, 1]))
            try:
                self.sock.sendto(hdr + q[12:end] + ans, peer)
            except OSError:
                pass

    def close(self):
        self._stop = True
        self.thread.join(timeout=5)
        self.sock.close()


class RServer:
    """A loopback rshd/rexecd stand-in: reads the client's four
    NUL-terminated fields, answers the status byte 0 (success), then waits
    for the client to hang up. Counts the connections it served."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.served = 0
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        self.sock.settimeout(0.2)
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            with conn:
                conn.settimeout(10)
                data = b""
                try:
                    while data.count(b"\0") < 4:
                        chunk = conn.recv(256)
                        if not chunk:
                            break
                        data += chunk
                    self.served += 1
                    conn.sendall(b"\0")
                    while conn.recv(256):
                        pass
                except OSError:
                    pass

    def close(self):
        self._stop = True
        self.thread.join(timeout=15)
        self.sock.close()


@pytest.fixture(scope="module")
def servers():
    """The loopback peers rows talk to, shared by the module (counts are
    compared before and after each run)."""
    from conftest import TcpListener, UdpReceiver
    made = {"tcp": TcpListener("127.0.0.1"), "udp": UdpReceiver("127.0.0.1"),
            "dns": DnsResponder(), "rsrv": RServer()}
    yield made
    for key in ("tcp", "udp", "dns", "rsrv"):
        made[key].close()


@pytest.fixture
def peers(servers):
    return servers


def count(peers, effect):
    """Connections / datagrams / queries a peer has seen so far. Loopback
    delivery is complete when connect() or sendto() returns (the
    handshake is done, the datagram queued), so after the probe exited
    nothing is in flight: no waiting."""
    if effect == "tcp":
        return peers["tcp"].accepted(wait=0)
    if effect == "udp":  # received() drains: keep the running total
        peers["udp_total"] = (peers.get("udp_total", 0) +
                              len(peers["udp"].received(wait=0)))
        return peers["udp_total"]
    if effect == "dns":
        return peers["dns"].queries
    if effect == "rsrv":
        return peers["rsrv"].served
    return 0


def prepare(d):
    """The tmp dir every row starts from: a file f (with a user xattr),
    an empty directory sub, and root/in for the fs_root rows."""
    f = d / "f"
    f.write_text("hi\n")
    os.chmod(f, 0o644)
    try:
        os.setxattr(f, "user.hermetic", b"v")
    except OSError:
        pass  # the xattr rows then fail in the control, loudly
    (d / "sub").mkdir()
    (d / "root" / "in").mkdir(parents=True)


def expand(items, d, peers):
    subst = {"d": str(d), "f": str(d / "f"), "port": peers["tcp"].port,
             "uport": peers["udp"].port, "dns": peers["dns"].port,
             "rsrv": peers["rsrv"].port}
    return [s.format(**subst) for s in items]


def symprobe(flags, args, name, d, peers):
    return run_hermetic(["--trace", *expand(flags, d, peers)],
                        [SYMPROBE, name, *expand(args, d, peers)], cwd=d)


# "[hermetic] blocked <api> [host=…|path=…|name=…|pid=…|request=…]
# reason=<flag>" (docs/cli.md --trace; pid and request: proc.c, tty.c)
TRACE_FORMAT = re.compile(r"\[hermetic\] blocked [\w.]+"
                          r"( (host|path|name|pid|request)=.*)? reason=[a-z-]+")


def _param(row):
    return pytest.param(row, id=row.name, marks=row.marks)


@pytest.mark.parametrize("row", [_param(r) for r in ROWS])
def test_refused(row, workdir, peers):
    prepare(workdir)
    before = snapshot(workdir)
    seen = count(peers, row.effect)
    flags, args, expect = row.deny
    r = symprobe(flags, args, row.name, workdir, peers)
    assert re.fullmatch(expect, r.out.strip()), r
    if row.trace:
        assert trace_lines(r.err), f"no trace line for the refusal\n{r}"
    for line in trace_lines(r.err):
        assert TRACE_FORMAT.fullmatch(line), f"trace format: {line!r}\n{r}"
    assert snapshot(workdir) == before, f"refused call changed files\n{r}"
    if row.effect and row.effect != "fs":
        assert count(peers, row.effect) == seen, r


@pytest.mark.parametrize("row", [_param(r) for r in ROWS])
def test_control(row, workdir, peers):
    prepare(workdir)
    seen = count(peers, row.effect)
    flags, args, expect = row.allow
    r = symprobe(flags, args, row.name, workdir, peers)
    assert re.fullmatch(expect, r.out.strip()), r
    assert not trace_lines(r.err), f"the control was refused\n{r}"
    if row.effect and row.effect != "fs":
        assert count(peers, row.effect) > seen, r


# --- reads under --fs-readonly=ROOT, every open spelling -------------------------

OPEN_READ = ["open", "open64", "__open", "__open64", "__open_2", "__open64_2",
             "fopen", "fopen64", "_IO_fopen", "freopen", "freopen64"]
OPENAT_READ = ["openat", "openat64", "__openat_2", "__openat64_2"]


def read_case(name, where):
    """(args) for a read of @where: "out" (a file beside the root),
    "link" (a symlink inside the root pointing out), "in" (inside)."""
    target = {"out": "{d}/f", "link": "{d}/root/lnk", "in": "{d}/root/g"}
    rel = {"out": "../f", "link": "lnk", "in": "g"}
    if name in OPENAT_READ:
        return ["{d}/root", rel[where]]
    return [target[where]]


@pytest.mark.parametrize("where", ["out", "link"])
@pytest.mark.parametrize("name", OPEN_READ + OPENAT_READ)
def test_read_outside_root_refused(name, where, workdir, peers):
    """SYMPROBE_READ=1: the open rows open for reading. Outside
    --fs-readonly=ROOT (directly, by a ../ relative to a directory
    descriptor inside it, or through a symlink inside it) every spelling
    is refused."""
    prepare(workdir)
    (workdir / "root" / "g").write_text("in\n")
    os.symlink("../f", workdir / "root" / "lnk")
    r = run_hermetic(["--trace", f"--fs-readonly={workdir}/root"],
                     [SYMPROBE, name,
                      *expand(read_case(name, where), workdir, peers)],
                     cwd=workdir, env_extra={"SYMPROBE_READ": "1"})
    assert r.out.strip() == EACCES, r
    assert trace_lines(r.err), r


@pytest.mark.parametrize("name", OPEN_READ + OPENAT_READ)
def test_read_inside_root_control(name, workdir, peers):
    prepare(workdir)
    (workdir / "root" / "g").write_text("in\n")
    r = run_hermetic([f"--fs-readonly={workdir}/root"],
                     [SYMPROBE, name,
                      *expand(read_case(name, "in"), workdir, peers)],
                     cwd=workdir, env_extra={"SYMPROBE_READ": "1"})
    assert r.out.strip() == "ok", r


# --- syscall(SYS_x, ...) for every HM_SYSCALL route -------------------------------

def syscall_routes():
    """(name, number) of every HM_SYSCALL row in sym_*.def whose row has a
    ROWS entry here. Rows without one (the containment rows: ioctl,
    setsockopt, process_vm_writev, open_by_handle_at, ...) are tested
    through their routes in test_contain_shim.py; symbols.coverage makes
    sure some test names each of them."""
    routes = []
    for p in sorted(DEF_DIR.glob("sym_*.def")):
        text = re.sub(r"/\*.*?\*/", "", p.read_text(), flags=re.S)
        routes += re.findall(r"^\s*HM_SYSCALL\(\s*(\w+)\s*,\s*(\w+)\s*,",
                             text, flags=re.M)
    return [(n, nr) for n, nr in routes if n in BY_NAME]


def _route_param(name, nr, hi):
    row = BY_NAME[name]
    env = {"SYMPROBE_SYSCALL": "2" if nr == "SYS_fchmodat2" else "1"}
    if hi:
        env["SYMPROBE_SYSCALL_HI"] = "1"
    return pytest.param(row, env, id=f"{name}-{nr}{'-hi' if hi else ''}",
                        marks=row.marks)


# Each route as written, and with bit 32 set (the kernel ignores it); the
# controls as written only (that the high bit reaches the kernel's own
# answer on the allow path is mechprobe's sys-connect-hi control).
ROUTES = [_route_param(n, nr, hi) for n, nr in syscall_routes()
          for hi in (False, True)]
ROUTE_CONTROLS = [_route_param(n, nr, False) for n, nr in syscall_routes()]


@pytest.mark.parametrize("row,env", ROUTES)
def test_syscall_route_refused(row, env, workdir, peers):
    """SYMPROBE_SYSCALL: the same call as syscall(SYS_<name>, ...) gets
    the same verdict as the named call (the generated routing table)."""
    prepare(workdir)
    before = snapshot(workdir)
    seen = count(peers, row.effect)
    flags, args, expect = row.deny
    r = run_hermetic(["--trace", *expand(flags, workdir, peers)],
                     [SYMPROBE, row.name, *expand(args, workdir, peers)],
                     cwd=workdir, env_extra=env)
    assert re.fullmatch(expect, r.out.strip()), r
    assert trace_lines(r.err), r
    assert snapshot(workdir) == before, r
    if row.effect and row.effect != "fs":
        assert count(peers, row.effect) == seen, r


@pytest.mark.parametrize("row,env", ROUTE_CONTROLS)
def test_syscall_route_control(row, env, workdir, peers):
    prepare(workdir)
    seen = count(peers, row.effect)
    flags, args, expect = row.allow
    r = run_hermetic(["--trace", *expand(flags, workdir, peers)],
                     [SYMPROBE, row.name, *expand(args, workdir, peers)],
                     cwd=workdir, env_extra=env)
    assert re.fullmatch(expect, r.out.strip()), r
    assert not trace_lines(r.err), r
    if row.effect and row.effect != "fs":
        assert count(peers, row.effect) > seen, r


# --- invalid path pointers: EFAULT, never a crash ----------------------------------

# Rows whose pointer arguments libc itself dereferences in user space
# (opendir, the mkstemp templates, which libc writes into; pututxline's
# file name, which the probe hands to utmpxname first) or that this probe
# opens first (the descriptor rows, the openat directory).
BAD_SKIP = {"opendir", "pututxline", "tmpfile", "tmpfile64", "mkdtemp",
            "fchmod", "fchown", "futimens", "futimes", "fsetxattr",
            "fremovexattr"}


def _bad_cases():
    out = []
    for row in ROWS:
        if row.effect != "fs" or row.name in BAD_SKIP or "mk" in row.name \
                and "temp" in row.name:
            continue
        for which in ("deny", "allow"):
            for i, arg in enumerate(getattr(row, which)[1]):
                if arg == "{d}":
                    continue  # the openat rows' directory (opened first)
                marks = list(row.marks)
                out.append(pytest.param(row, which, i, marks=marks,
                                        id=f"{row.name}-{which}-arg{i}"))
    return out


@pytest.mark.parametrize("row,which,argi", _bad_cases())
def test_bad_path_pointer(row, which, argi, workdir, peers):
    """The row's refused run and its control with one path argument
    replaced by the pointer (char *)8 (symprobe's "@BAD"): libc alone
    fails with EFAULT, and so must the shim (a refusal decided first
    may fail with the refusal's errno); never a crash (exit 3)."""
    prepare(workdir)
    before = snapshot(workdir)
    flags, args, expect = getattr(row, which)
    args = list(args)
    args[argi] = "@BAD"
    r = run_hermetic(expand(flags, workdir, peers),
                     [SYMPROBE, row.name, *expand(args, workdir, peers)],
                     cwd=workdir)
    out = r.out.strip()
    assert r.rc != 3, f"crashed\n{r}"
    if which == "deny":
        assert out == "errno=EFAULT" or re.fullmatch(expect, out), r
        assert snapshot(workdir) == before, r
    else:
        assert out == "errno=EFAULT", r


def _bad_route_cases():
    out = []
    for name, nr in syscall_routes():
        row = BY_NAME[name]
        if row.effect != "fs" or name in BAD_SKIP:
            continue
        marks = list(row.marks)
        mode = "2" if nr == "SYS_fchmodat2" else "1"
        for which in ("deny", "allow"):
            argi = 1 if getattr(row, which)[1][0] == "{d}" else 0
            out.append(pytest.param(row, which, argi, mode, marks=marks,
                                    id=f"{name}-{nr}-{which}"))
    return out


@pytest.mark.parametrize("row,which,argi,mode", _bad_route_cases())
def test_bad_path_pointer_syscall_route(row, which, argi, mode, workdir,
                                        peers):
    """The same with the call made as syscall(SYS_x, ...): the routed
    wrapper fails with EFAULT (or the refusal), never a crash."""
    flags, args, expect = getattr(row, which)
    args = list(args)
    args[argi] = "@BAD"
    prepare(workdir)
    r = run_hermetic(expand(flags, workdir, peers),
                     [SYMPROBE, row.name, *expand(args, workdir, peers)],
                     cwd=workdir, env_extra={"SYMPROBE_SYSCALL": mode})
    out = r.out.strip()
    assert r.rc != 3, f"crashed\n{r}"
    assert out == "errno=EFAULT" or (which == "deny" and
                                     re.fullmatch(expect, out)), r


@pytest.mark.parametrize("row,which,argi", [
    pytest.param(*p.values, id=p.id, marks=p.values[0].marks)
    for p in _bad_cases()])
def test_path_too_long(row, which, argi, workdir, peers):
    """A path argument of PATH_MAX (4096) bytes, one more than the kernel
    takes: ENAMETOOLONG as without the shim (or the refusal, in a refused
    run), never a truncated copy judged as another path."""
    prepare(workdir)
    before = snapshot(workdir)
    flags, args, expect = getattr(row, which)
    args = expand(args, workdir, peers)
    base = "" if args[argi] == "f" else f"{workdir}/"
    args[argi] = base + ("x/" * 2048)[:4096 - len(base)]
    r = run_hermetic(expand(flags, workdir, peers),
                     [SYMPROBE, row.name, *args], cwd=workdir)
    out = r.out.strip()
    assert out == "errno=ENAMETOOLONG" or (which == "deny" and
                                           re.fullmatch(expect, out)), r
    if which == "deny":
        assert snapshot(workdir) == before, r


def test_bad_path_pointer_bare_control(workdir):
    """Control: without the shim, libc fails the same calls with EFAULT
    (the probe's "@BAD" reaches the kernel)."""
    from conftest import run
    prepare(workdir)
    for name, args in (("link", ["@BAD", "g"]), ("fchmodat", ["@BAD"]),
                       ("utimensat", ["@BAD"]), ("unlink", ["@BAD"])):
        r = run([SYMPROBE, name, *args], cwd=workdir)
        assert r.out.strip() == "errno=EFAULT", r


# --- an unreadable policy: every row fails closed --------------------------------

@pytest.mark.parametrize("row", [_param(r) for r in ROWS])
def test_invalid_policy_fails_closed(row, workdir, peers):
    """The refused run's arguments under an unreadable HERMETIC_POLICY
    (the shim preloaded without the launcher): the documented failure,
    or the probe's own setup (a read, a socket) refused first; nothing
    changes, no peer is reached, and the shim says it is failing closed."""
    prepare(workdir)
    before = snapshot(workdir)
    seen = count(peers, row.effect)
    r = run_preloaded([SYMPROBE, row.name,
                       *expand(row.deny[1], workdir, peers)],
                      policy="not-a-policy", cwd=workdir)
    out = r.out.strip()
    # EACCES for any call under an invalid policy (docs/errors.md), also
    # where a valid policy's refusal of the row says ENETUNREACH
    assert (re.fullmatch(row.deny[2], out) or
            out in ("setup=EACCES", EACCES)), r
    assert any("invalid HERMETIC_POLICY" in l
               for l in hermetic_lines(r.err)), r
    assert snapshot(workdir) == before, r
    if row.effect and row.effect != "fs":
        assert count(peers, row.effect) == seen, r


# --- dlsym through an explicit libc handle -----------------------------------------

def test_explicit_libc_handle_finds_the_shim(workdir):
    """dlsym(dlopen("libc.so.6"), NAME) for every table name returns the
    shim's wrapper, never libc's own code (which would skip the guard):
    the aliases (__connect, _IO_fopen, __open64_2, ...) included."""
    r = run_hermetic(NO_NET, [SYMPROBE, "remap", *table_names()],
                     cwd=workdir)
    got = dict(l.split("=", 1) for l in r.out.split())
    assert set(got) == set(table_names()), r
    leaks = sorted(n for n, v in got.items() if v == "libc")
    assert not leaks, f"libc's own code through a libc handle: {leaks}"
    assert r.rc == 0, r


def test_explicit_libc_handle_control(workdir):
    """Control: a name the shim does not wrap (read) is libc's own code
    through the same lookup, so the check above can tell them apart."""
    r = run_hermetic(NO_NET, [SYMPROBE, "remap", "read", "connect"],
                     cwd=workdir)
    assert r.out.split() == ["read=libc", "connect=shim"], r
    assert r.rc == 1, r


# --- out of an --allow-write hole by a path spelling ------------------------------------

def _escape(arg, style):
    """@arg (a {d}/{f} path) spelled from inside {d}/hole: through ".."
    or through the symlink hole/up -> .."""
    via = "{d}/hole/.." if style == "dotdot" else "{d}/hole/up"
    if arg == "{d}":
        return via
    if arg == "{f}":
        return via + "/f"
    if arg.startswith("{d}/"):
        return via + arg[3:]
    return arg


@pytest.mark.parametrize("style", ["dotdot", "symlink"])
@pytest.mark.parametrize("row", [_param(r) for r in ROWS
                                 if r.effect == "fs" and
                                 r.name not in ("opendir", "tmpfile",
                                                "tmpfile64")])
def test_hole_escape_refused(row, style, workdir, peers):
    """The refused run's paths spelled from inside an --allow-write hole
    ({d}/hole/../f, {d}/hole/up/f with up -> ..): still outside the hole,
    still refused, nothing changed."""
    prepare(workdir)
    (workdir / "hole").mkdir()
    os.symlink("..", workdir / "hole" / "up")
    before = snapshot(workdir)
    flags, args, expect = row.deny
    args = [_escape(a, style) for a in args]
    r = run_hermetic(["--trace", "--fs-readonly", "--allow-write",
                      str(workdir / "hole")],
                     [SYMPROBE, row.name, *expand(args, workdir, peers)],
                     cwd=workdir)
    assert re.fullmatch(expect, r.out.strip()), r
    assert trace_lines(r.err), r
    assert snapshot(workdir) == before, r


@pytest.mark.parametrize("style", ["symlink"])
@pytest.mark.parametrize("row", [_param(r) for r in ROWS
                                 if r.effect == "fs" and r.allow[0] == RO_HOLE])
def test_hole_spelling_control(row, style, workdir, peers):
    """Control: with the hole being all of {d}, the symlink spelling
    stays inside it and is allowed (so the refusals above are about
    where the path leads, not how it is spelled)."""
    prepare(workdir)
    (workdir / "hole").mkdir()
    os.symlink("..", workdir / "hole" / "up")
    flags, args, expect = row.allow
    args = [_escape(a, style) for a in args]
    r = run_hermetic(["--trace", *expand(flags, workdir, peers)],
                     [SYMPROBE, row.name, *expand(args, workdir, peers)],
                     cwd=workdir)
    assert re.fullmatch(expect, r.out.strip()), r
    assert not trace_lines(r.err), r


# --- the same calls from a signal handler that re-enters the shim -------------------

def _with_fs_readonly(flags):
    return flags if any(f.startswith("--fs-readonly") for f in flags) \
        else ["--fs-readonly", *flags]


@pytest.mark.parametrize("row", [_param(r) for r in ROWS])
def test_refused_from_signal_handler(row, workdir, peers):
    """SYMPROBE_SIGNAL: the refused call, 20 times, from a SIGALRM handler
    while main loops inside the shim's (refused) open wrapper: every call
    gets the same refusal, never a free pass (issue 7 defect 11, for
    every row)."""
    prepare(workdir)
    before = snapshot(workdir)
    seen = count(peers, row.effect)
    flags, args, expect = row.deny
    r = run_hermetic(expand(_with_fs_readonly(flags), workdir, peers),
                     [SYMPROBE, row.name, *expand(args, workdir, peers)],
                     cwd=workdir,
                     env_extra={"SYMPROBE_SIGNAL": str(workdir / "sig")})
    lines = r.out.splitlines()
    assert len(lines) == 20 and r.rc == 0, r
    assert all(re.fullmatch(expect, l) for l in lines), r
    assert snapshot(workdir) == before, r
    if row.effect and row.effect != "fs":
        assert count(peers, row.effect) == seen, r


@pytest.mark.parametrize("name", ["connect", "sendto", "rexec"])
def test_signal_handler_control(name, workdir, peers):
    """Control: allowed calls from the same handler go through, all 20."""
    row = BY_NAME[name]
    prepare(workdir)
    seen = count(peers, row.effect)
    flags, args, expect = row.allow
    r = run_hermetic(expand(_with_fs_readonly(flags), workdir, peers),
                     [SYMPROBE, row.name, *expand(args, workdir, peers)],
                     cwd=workdir,
                     env_extra={"SYMPROBE_SIGNAL": str(workdir / "sig")})
    lines = r.out.splitlines()
    assert len(lines) == 20 and all(re.fullmatch(expect, l)
                                    for l in lines), r
    assert count(peers, row.effect) == seen + 20, r


# --- the same calls on a new thread -------------------------------------------------

@pytest.mark.parametrize("row", [_param(r) for r in ROWS])
def test_refused_on_new_thread(row, workdir, peers):
    """SYMPROBE_THREAD: the refused run with the call made on a thread
    that has never entered the shim: same refusal, same trace."""
    prepare(workdir)
    before = snapshot(workdir)
    seen = count(peers, row.effect)
    flags, args, expect = row.deny
    r = run_hermetic(["--trace", *expand(flags, workdir, peers)],
                     [SYMPROBE, row.name, *expand(args, workdir, peers)],
                     cwd=workdir, env_extra={"SYMPROBE_THREAD": "1"})
    assert re.fullmatch(expect, r.out.strip()), r
    if row.trace:
        assert trace_lines(r.err), r
    assert snapshot(workdir) == before, r
    if row.effect and row.effect != "fs":
        assert count(peers, row.effect) == seen, r


# --- the other guards leave a row alone -------------------------------------------

# Rows refused under ANY guard by design (docs/errors.md, proc.c, tty.c,
# dl.c, sys.c): a second namespace, writing one's own memory, TIOCSTI and
# the no-wrapper numbers have no guard they are irrelevant to.
ANY_GUARD = {"dlmopen", "process_vm_writev", "ioctl", "syscall"}
GUARDS = {"net": ["--no-network"], "exec": ["--no-subprocess"],
          "dl": ["--block-native"],
          "fs": ["--fs-readonly", "--allow-write", "{d}"]}
PY_ONLY = ["--no-environment", "--no-code-exec", "--no-interpreter-mutation"]


def family(row):
    flags = " ".join(row.deny[0])
    for fam, key in (("net", "--no-network"), ("exec", "--no-subprocess"),
                     ("dl", "--block-native"), ("fs", "--fs-readonly")):
        if key in flags:
            return fam
    raise AssertionError(row.name)


@pytest.mark.parametrize("row", [_param(r) for r in ROWS
                                 if r.name not in ANY_GUARD])
def test_control_under_unrelated_guards(row, workdir, peers):
    """The control again with every guard of the other families (and the
    Python-only flags) added: they must not change the verdict (which
    flags matter for which operation)."""
    prepare(workdir)
    seen = count(peers, row.effect)
    flags, args, expect = row.allow
    extra = []
    for fam, g in GUARDS.items():
        if fam != family(row) and g[0] not in flags:
            extra += g
    r = symprobe(flags + extra + PY_ONLY, args, row.name, workdir, peers)
    assert re.fullmatch(expect, r.out.strip()), r
    assert not trace_lines(r.err), r
    if row.effect and row.effect != "fs":
        assert count(peers, row.effect) > seen, r


# --- facets the table form does not show ----------------------------------------

def test_getnameinfo_refused_is_numeric(workdir, peers):
    """Without NI_NAMEREQD a refused reverse lookup is answered with the
    numeric host (docs/errors.md), not an error."""
    r = symprobe(NO_NET, ["198.51.100.7", "plain"], "getnameinfo", workdir,
                 peers)
    assert r.out.strip() == "ok 198.51.100.7", r


def test_wordexp_plain_words_under_guard(workdir, peers):
    """Under --no-subprocess words without a command substitution still
    expand."""
    r = symprobe(NO_SUB, ["$HOME"], "wordexp", workdir, peers)
    assert r.out.strip() == "ok " + os.environ.get("HOME", ""), r


def test_setsockopt_source_route_control_unguarded(workdir, peers):
    """The refused option itself reaches the kernel without a network
    guard (so the refusal is the shim's): accepted as root; source-route
    options need CAP_NET_RAW, so otherwise the kernel says EPERM."""
    r = symprobe(NONE, ["ip_options"], "setsockopt", workdir, peers)
    assert r.out.strip() == ("ok" if ROOT else "errno=EPERM"), r
    assert not trace_lines(r.err), r


# --- the table and the probe agree --------------------------------------------------

def table_names():
    """The names of every HM_SYM and HM_FN row in libhermetic/shim/sym_*.def."""
    names = []
    for p in sorted(DEF_DIR.glob("sym_*.def")):
        text = re.sub(r"/\*.*?\*/", "", p.read_text(), flags=re.S)
        names += re.findall(r"^\s*HM_(?:SYM|FN|FN_FAST|FN_OPEN)\(\s*\w+\s*,\s*\d+\s*,[^,]+,\s*(\w+)",
                            text, flags=re.M)
    return names


def test_rows_are_table_rows():
    """Every row here is a row of the symbol table, and symprobe calls
    every one of them. (That every table row is named by a test is the
    CTest symbols.coverage; this file gives each row a refused run and a
    control.)"""
    names = table_names()
    assert len(names) > 100, names
    stale = [n for n in BY_NAME if n not in names]
    assert not stale, f"ROWS names that are not in the table: {stale}"
    listed = set(run_hermetic([], [SYMPROBE, "--list"]).out.split())
    assert set(BY_NAME) <= listed, set(BY_NAME) - listed
