"""Lookups no DNS server sees are not network traffic (issue 10 item 1,
issue 7 defect 3): the machine's host name, names in /etc/hosts and
numeric hosts resolve under --no-network (with or without
--allow-localhost); connecting to the result is judged by its address. A
reverse lookup of a loopback address passes under --allow-localhost, and
one /etc/hosts answers passes always. The core decides (HM_OP_RESOLVE,
HM_OP_REVERSE with the resolver snapshot), and both layers ask it, so they
give the same verdict.

Each case runs in a fresh user + mount + network + UTS namespace with its
own /etc/hosts, /etc/nsswitch.conf and host name, and only a loopback
interface: a lookup wrongly let through reaches no name server (there is
no route), and the everyday tools talk to loopback servers of their own.
"""

import shlex
import shutil
import time

import pytest

from conftest import BIN, PROBE, PYTHON, PYTHONPATH, netns_prefix, run

HOSTS = ("127.0.0.1 localhost\n"
         "127.0.1.1 testhost.example testhost\n"
         "192.0.2.20 listed.test\n"
         "::1 ip6-localhost\n")
NSSWITCH = "hosts: files dns\n"

NO_NET = ["--no-network"]
LOCAL = ["--no-network", "--allow-localhost"]


@pytest.fixture
def ns(tmp_path):
    """ns(cmd, hosts=, nsswitch=, hostname=) runs cmd in the namespace."""
    if netns_prefix() is None or not shutil.which("ip"):
        pytest.skip("unprivileged user namespaces (unshare -r) or ip(8) are "
                    "unavailable; without a private /etc/hosts and network "
                    "these checks could reach a real name server")

    def go(cmd, hosts=HOSTS, nsswitch=NSSWITCH, hostname="testhost",
           env_extra=None, pre=""):
        h = tmp_path / "hosts"
        h.write_text(hosts)
        n = tmp_path / "nsswitch.conf"
        n.write_text(nsswitch)
        script = (f"ip link set lo up && hostname {shlex.quote(hostname)} && "
                  f"mount --bind {shlex.quote(str(h))} /etc/hosts && "
                  f"mount --bind {shlex.quote(str(n))} /etc/nsswitch.conf && "
                  f"{pre}exec {shlex.join([str(c) for c in cmd])}")
        return run(["unshare", "-r", "-n", "-m", "-u", "sh", "-c", script],
                   env_extra=env_extra)
    go.hosts = tmp_path / "hosts"
    return go


def hermetic(flags, *cmd):
    return [BIN, *flags, "--", *cmd]


# --- libc layer (the probe) --------------------------------------------------

def test_hosts_names_resolve_under_no_network(ns):
    for name, want in (("testhost", "ok 127.0.1.1"),
                       ("TESTHOST", "ok 127.0.1.1"),
                       ("testhost.example", "ok 127.0.1.1"),
                       ("listed.test", "ok 192.0.2.20"),
                       ("localhost", "ok 127.0.0.1"),
                       ("127.0.0.1", "ok 127.0.0.1")):
        r = ns(hermetic(NO_NET, PROBE, "getaddrinfo", name))
        assert r.line == want, (name, r)
        r = ns(hermetic(NO_NET, PROBE, "gethostbyname", name))
        assert r.line == want, (name, r)


def test_names_not_answered_locally_refused(ns):
    # A name outside /etc/hosts, and "testhost." (glibc's files service
    # does not fold the trailing dot: that name goes to DNS).
    for name in ("unlisted.test", "testhost.", "listed.test.", "testhost.x"):
        r = ns(hermetic(LOCAL, PROBE, "getaddrinfo", name))
        assert r.line == "gai=EAI_SYSTEM errno=EACCES", (name, r)
        r = ns(hermetic(LOCAL, PROBE, "gethostbyname", name))
        assert r.line.startswith("h_errno=NO_RECOVERY"), (name, r)
    # Positive control: the same names resolve (or fail by themselves)
    # without hermetic: a refusal above is hermetic's.
    r = ns([PROBE, "getaddrinfo", "unlisted.test"])
    assert "EACCES" not in r.line, r


def test_connect_to_hosts_result_judged_by_address(ns):
    # listed.test resolves (no query), but 192.0.2.20 is not allowed.
    r = ns(hermetic(LOCAL, PROBE, "connect-name", "listed.test", "80"))
    # ENETUNREACH is also what the kernel says here: the trace line shows
    # it was hermetic (docs/errors.md: refused IP peers get ENETUNREACH)
    assert r.line == "errno=ENETUNREACH", r
    assert "[hermetic] blocked connect host=192.0.2.20:80" in r.err, r
    # testhost is loopback: allowed with --allow-localhost (nothing
    # listens: the kernel answers ECONNREFUSED), refused without.
    r = ns(hermetic(LOCAL, PROBE, "connect-name", "testhost", "9"))
    assert r.line == "errno=ECONNREFUSED", r
    r = ns(hermetic(NO_NET, PROBE, "connect-name", "testhost", "9"))
    assert r.line == "errno=ENETUNREACH", r
    assert "[hermetic] blocked connect" in r.err, r


def test_dns_before_files_is_not_local(ns):
    # nsswitch asks DNS first: even an /etc/hosts name is a query.
    for nss in ("hosts: dns files\n", "hosts: files [SUCCESS=continue] dns\n",
                "passwd: files\n"):
        r = ns(hermetic(NO_NET, PROBE, "getaddrinfo", "listed.test"),
               nsswitch=nss)
        assert r.line == "gai=EAI_SYSTEM errno=EACCES", (nss, r)
    r = ns(hermetic(NO_NET, PROBE, "getaddrinfo", "listed.test"),
           nsswitch="hosts: myhostname files dns\n")
    assert r.line == "ok 192.0.2.20", r


def test_hostname_missing_from_hosts_is_dns(ns):
    # glibc would ask DNS for it (with the search domains appended).
    r = ns(hermetic(LOCAL, PROBE, "getaddrinfo", "otherhost"),
           hostname="otherhost")
    assert r.line == "gai=EAI_SYSTEM errno=EACCES", r


LATE = ("import socket, sys\n"
        "open('/etc/hosts', 'a').write('192.0.2.50 late.test\\n')\n"
        "try:\n"
        "    print('ok', socket.getaddrinfo('late.test', 80)[0][4][0])\n"
        "except OSError as e:\n"
        "    print('refused', e.errno)\n")


def test_hosts_read_once_at_start(ns):
    # A name added to /etc/hosts after the start is not local: the shim
    # judged its snapshot (no file I/O in interposers). -I: libc layer only.
    r = ns(hermetic(NO_NET, PYTHON, "-I", "-c", LATE))
    assert r.line == "refused 13", r
    # Positive control: bare, glibc reads the new line.
    r = ns([PYTHON, "-I", "-c", LATE])
    assert r.line == "ok 192.0.2.50", r


# --- everyday Python, both layers ---------------------------------------------

EVERYDAY = r'''
import email.utils, http.server, os, smtplib, socket, socketserver, sys
import tempfile, threading, urllib.request

def attempt(label, fn):
    try:
        print(label, "ok", fn())
    except BaseException as e:
        print(label, "refused", type(e).__name__)

class SMTP(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(b"220 loopback\r\n")
        for line in self.rfile:
            verb = line[:4].upper()
            self.wfile.write(b"221 bye\r\n" if verb == b"QUIT"
                             else b"250 ok\r\n")
            if verb == b"QUIT":
                return

def smtp():
    srv = socketserver.TCPServer(("127.0.0.1", 0), SMTP)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    s = smtplib.SMTP("127.0.0.1", srv.server_address[1], timeout=30)
    code = s.ehlo()[0]
    s.quit()
    srv.shutdown()
    return code

def http_bind():
    srv = http.server.HTTPServer(("127.0.0.1", 0),
                                 http.server.SimpleHTTPRequestHandler)
    srv.server_close()
    return srv.server_name

def file_url():
    fd, path = tempfile.mkstemp()
    os.write(fd, b"hello")
    os.close(fd)
    with urllib.request.urlopen("file://localhost" + path) as f:
        return f.read().decode()

def run_all():
    attempt("msgid", lambda: "@" in email.utils.make_msgid())
    attempt("getfqdn", socket.getfqdn)
    attempt("smtp", smtp)
    attempt("http_bind", http_bind)
    attempt("file_url", file_url)
    attempt("rev_lo", lambda: socket.gethostbyaddr("127.0.0.1")[0])
    attempt("rev_hosts", lambda: socket.gethostbyaddr("192.0.2.20")[0])
    attempt("nameinfo_lo",
            lambda: socket.getnameinfo(("127.0.0.1", 80), 0)[0])
    attempt("unlisted", lambda: socket.getaddrinfo("unlisted.test", 80))
    attempt("rev_other", lambda: socket.gethostbyaddr("192.0.2.99"))

if len(sys.argv) > 1 and sys.argv[1] == "api":
    from hermetic import hermetic_blocker
    with hermetic_blocker(block_network=True,
                          allow_localhost=sys.argv[2] == "local"):
        run_all()
else:
    run_all()
'''

WORKS = {"msgid": "ok True", "getfqdn": "ok testhost.example",
         "smtp": "ok 250", "http_bind": "ok localhost",
         "file_url": "ok hello", "rev_lo": "ok localhost",
         "rev_hosts": "ok listed.test", "nameinfo_lo": "ok localhost"}


def outcomes(r):
    out = {}
    for line in r.out.splitlines():
        label, _, rest = line.partition(" ")
        out[label] = rest
    return out


def test_everyday_python_under_launcher(ns):
    r = ns(hermetic(LOCAL, PYTHON, "-c", EVERYDAY))
    o = outcomes(r)
    for label, want in WORKS.items():
        assert o.get(label) == want, (label, r)
    # Still refused: a name DNS would see, a PTR query for another address.
    assert o["unlisted"] == "refused PolicyViolation", r
    assert o["rev_other"] == "refused PolicyViolation", r


def test_everyday_python_api(ns):
    r = ns([PYTHON, "-c", EVERYDAY, "api", "local"],
           env_extra={"PYTHONPATH": PYTHONPATH})
    o = outcomes(r)
    for label, want in WORKS.items():
        assert o.get(label) == want, (label, r)
    assert o["unlisted"] == "refused PolicyViolation", r
    assert o["rev_other"] == "refused PolicyViolation", r


def test_lookups_without_allow_localhost(ns):
    # The lookups still work; only the loopback connect is refused.
    r = ns(hermetic(NO_NET, PYTHON, "-c", EVERYDAY))
    o = outcomes(r)
    for label in ("msgid", "getfqdn", "http_bind", "file_url", "rev_lo",
                  "rev_hosts", "nameinfo_lo"):
        assert o.get(label) == WORKS[label], (label, r)
    assert o["smtp"] == "refused PolicyViolation", r
    assert o["unlisted"] == "refused PolicyViolation", r


REVERSE = r'''
import socket
for ip in ("127.0.0.1", "127.0.0.9", "192.0.2.20", "192.0.2.99"):
    try:
        socket.gethostbyaddr(ip)
        print(ip, "allowed")
    except socket.herror as e:
        # The name server is unreachable here: a lookup that was let
        # through fails by itself (HOST_NOT_FOUND / TRY_AGAIN)...
        print(ip, "allowed" if e.errno in (1, 2) else "refused")
    except Exception as e:
        print(ip, "refused")
'''


@pytest.mark.parametrize("flags", [NO_NET, LOCAL], ids=["no-net", "local"])
def test_reverse_same_verdict_in_both_layers(ns, flags):
    """gethostbyaddr: the Python layer alone (API), the libc layer alone
    (python -I under the launcher) and both (the launcher) agree."""
    local = "local" if "--allow-localhost" in flags else "no"
    code = REVERSE
    api = ("from hermetic import hermetic_blocker\n"
           f"with hermetic_blocker(block_network=True, "
           f"allow_localhost={local == 'local'}):\n"
           + "".join("    " + line + "\n" for line in code.splitlines()))
    both = ns(hermetic(flags, PYTHON, "-c", code))
    shim = ns(hermetic(flags, PYTHON, "-I", "-c", code))
    py = ns([PYTHON, "-c", api], env_extra={"PYTHONPATH": PYTHONPATH})
    assert both.out == shim.out == py.out, (both, shim, py)
    want = {"127.0.0.1": "allowed", "192.0.2.20": "allowed",
            "192.0.2.99": "refused",
            "127.0.0.9": "allowed" if local == "local" else "refused"}
    assert outcomes(both) == want, both


def test_large_hosts_file(ns):
    # Over 4 KiB (read through the mapping path) and over the table's
    # 512 names: the names kept are local, the ones past the limit are
    # judged like DNS names (refused), never let through unjudged.
    filler = "".join(f"10.9.{i // 250}.{i % 250} filler{i}.test\n"
                     for i in range(600))
    hosts = HOSTS + "192.0.2.77 early.test\n" + filler
    r = ns(hermetic(NO_NET, PROBE, "getaddrinfo", "early.test"), hosts=hosts)
    assert r.line == "ok 192.0.2.77", r
    r = ns(hermetic(NO_NET, PROBE, "getaddrinfo", "filler599.test"),
           hosts=hosts)
    assert r.line == "gai=EAI_SYSTEM errno=EACCES", r
    # Positive control: glibc itself answers it from the file.
    r = ns([PROBE, "getaddrinfo", "filler599.test"], hosts=hosts)
    assert r.line == "ok 10.9.2.99", r


BYNAME = r'''
import socket
try:
    print("byname", socket.gethostbyaddr("listed.test")[0])
except socket.herror as e:
    print("byname", "refused" if e.errno == 3 else "failed")
except Exception as e:
    print("byname", "refused")
'''


@pytest.mark.parametrize("nss,want", [
    ("hosts: files dns\n", "listed.test"),   # answered by /etc/hosts
    ("hosts: dns files\n", "refused"),       # the PTR query would go to DNS
], ids=["files-first", "dns-first"])
def test_reverse_of_a_name_same_verdict(ns, nss, want):
    """gethostbyaddr(name): the forward lookup is allowed (allow_domains),
    and the reverse lookup of its address is judged by the same rule in
    the Python layer alone, the libc layer alone and both."""
    flags = NO_NET + ["--allow-domain", "listed.test"]
    api = ("from hermetic import hermetic_blocker\n"
           "with hermetic_blocker(block_network=True, "
           "allow_domains=['listed.test']):\n"
           + "".join("    " + line + "\n" for line in BYNAME.splitlines()))
    both = ns(hermetic(flags, PYTHON, "-c", BYNAME), nsswitch=nss)
    shim = ns(hermetic(flags, PYTHON, "-I", "-c", BYNAME), nsswitch=nss)
    py = ns([PYTHON, "-c", api], nsswitch=nss,
            env_extra={"PYTHONPATH": PYTHONPATH})
    for r in (both, shim, py):
        assert r.line == f"byname {want}", (both, shim, py)


NAMEINFO = r'''
import socket
for flags, label in ((socket.NI_NUMERICHOST, "numeric"), (0, "name")):
    try:
        print(label, socket.getnameinfo(("192.0.2.99", 80), flags)[0])
    except Exception as e:
        print(label, "refused", type(e).__name__)
'''


def test_getnameinfo_numeric_is_no_query(ns):
    """getnameinfo(NI_NUMERICHOST) makes no query: both layers let it
    through (the Python layer sees the flag through its wrapper); asking
    for the name of an address /etc/hosts does not list is refused."""
    api = ("from hermetic import hermetic_blocker\n"
           "with hermetic_blocker(block_network=True):\n"
           + "".join("    " + line + "\n" for line in NAMEINFO.splitlines()))
    py = ns([PYTHON, "-c", api], env_extra={"PYTHONPATH": PYTHONPATH})
    both = ns(hermetic(NO_NET, PYTHON, "-c", NAMEINFO))
    for r in (py, both):
        o = outcomes(r)
        assert o["numeric"] == "192.0.2.99", r
        assert o["name"] == "refused PolicyViolation", r
    # The libc layer alone degrades the refused one to a numeric answer.
    shim = ns(hermetic(NO_NET, PYTHON, "-I", "-c", NAMEINFO))
    assert outcomes(shim) == {"numeric": "192.0.2.99",
                              "name": "192.0.2.99"}, shim


NAMEINFO_NAME = r'''
import socket
for host, label in (("mail.example.invalid", "name"), ("x" * 300, "long"),
                    ("192.0.2.99", "addr")):
    try:
        print(label, socket.getnameinfo((host, 80), 0)[0])
    except Exception as e:
        print(label, "refused", type(e).__name__)
'''


def test_getnameinfo_of_a_name_fails_by_itself(ns):
    """CPython parses getnameinfo's host with AI_NUMERICHOST, so a name
    fails there (gaierror) before any query: neither layer may turn that
    into a block (CPython's test_socket test_getnameinfo and
    testInterpreterCrash). Control: the reverse lookup of an address
    /etc/hosts does not list is still refused."""
    bare = ns([PYTHON, "-I", "-c", NAMEINFO_NAME])
    api = ("from hermetic import hermetic_blocker\n"
           "with hermetic_blocker(block_network=True):\n"
           + "".join("    " + line + "\n"
                     for line in NAMEINFO_NAME.splitlines()))
    py = ns([PYTHON, "-c", api], env_extra={"PYTHONPATH": PYTHONPATH})
    both = ns(hermetic(NO_NET, PYTHON, "-c", NAMEINFO_NAME))
    shim = ns(hermetic(NO_NET, PYTHON, "-I", "-c", NAMEINFO_NAME))
    assert outcomes(bare)["name"] == "refused gaierror", bare
    for r in (py, both, shim):
        o = outcomes(r)
        assert o["name"] == "refused gaierror", r
        assert o["long"] == "refused gaierror", r
    for r in (py, both):
        assert outcomes(r)["addr"] == "refused PolicyViolation", r


# The AI_NUMERICHOST rule is decided on a copy of the hints: a thread that
# keeps clearing the flag in the caller's struct while the lookup runs
# must never get an unjudged name to the resolver. A UDP listener on
# 127.0.0.1:53 (the namespace's only name server) counts the queries that
# reach it.
DNS_LISTENER = r'''
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
s.settimeout(0.2)
open(sys.argv[1] + ".ready", "w").close()
n, end = 0, time.time() + float(sys.argv[2])
while time.time() < end:
    try:
        s.recvfrom(4096)
        n += 1
    except socket.timeout:
        pass
open(sys.argv[1], "w").write(str(n))
'''

HINTS_RACE = r'''
import ctypes, ctypes.util, socket, sys, threading

class AddrInfo(ctypes.Structure):
    pass
AddrInfo._fields_ = [("ai_flags", ctypes.c_int), ("ai_family", ctypes.c_int),
                     ("ai_socktype", ctypes.c_int), ("ai_protocol", ctypes.c_int),
                     ("ai_addrlen", ctypes.c_uint), ("ai_addr", ctypes.c_void_p),
                     ("ai_canonname", ctypes.c_char_p),
                     ("ai_next", ctypes.POINTER(AddrInfo))]
libc = ctypes.CDLL(None)
hints = AddrInfo()
hints.ai_flags = socket.AI_NUMERICHOST
hints.ai_family = socket.AF_INET
race = sys.argv[1] == "race"
stop = False
def flip():
    while not stop:
        hints.ai_flags = 0
        hints.ai_flags = socket.AI_NUMERICHOST
if race:
    t = threading.Thread(target=flip)
    t.start()
else:
    hints.ai_flags = 0
res = ctypes.POINTER(AddrInfo)()
codes = set()
for i in range(int(sys.argv[2])):
    codes.add(libc.getaddrinfo(b"unlisted%d.example" % i, None,
                               ctypes.byref(hints), ctypes.byref(res)))
stop = True
if race:
    t.join()
print("codes", sorted(codes))
'''


def _count_queries(ns, tmp_path, cmd, seconds):
    conf = tmp_path / "resolv.conf"
    conf.write_text("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
    lis = tmp_path / "listener.py"
    lis.write_text(DNS_LISTENER)
    out = tmp_path / f"count{len(list(tmp_path.glob('count*')))}"
    pre = (f"mount --bind {shlex.quote(str(conf))} /etc/resolv.conf && "
           f"({shlex.quote(PYTHON)} -I {shlex.quote(str(lis))} "
           f"{shlex.quote(str(out))} {seconds} >/dev/null 2>&1 &) && "
           f"while [ ! -e {shlex.quote(str(out))}.ready ]; do sleep 0.05; "
           f"done && ")
    r = ns(cmd, pre=pre)
    for _ in range(int(seconds * 20) + 100):
        if out.exists() and out.read_text():
            return r, int(out.read_text())
        time.sleep(0.05)
    raise AssertionError("the DNS listener never reported")


def test_numerichost_hints_race_sends_no_query(ns, tmp_path):
    """Under --no-network, 300 lookups of unlisted names with a thread
    flipping AI_NUMERICHOST in the caller's hints: every call is either
    refused or fails as a numeric parse, and no query reaches the name
    server."""
    prog = tmp_path / "race.py"
    prog.write_text(HINTS_RACE)
    r, n = _count_queries(ns, tmp_path, hermetic(
        NO_NET, PYTHON, "-I", str(prog), "race", "300"), 3)
    assert r.rc == 0 and r.line.startswith("codes"), r
    assert n == 0, (n, r)


def test_numerichost_hints_race_control(ns, tmp_path):
    """Controls: bare, the same lookups with the flag cleared reach the
    listener (it counts); under --no-network they are refused and it
    counts none."""
    prog = tmp_path / "race.py"
    prog.write_text(HINTS_RACE)
    r, n = _count_queries(ns, tmp_path,
                          [PYTHON, "-I", str(prog), "plain", "3"], 6)
    assert r.rc == 0 and n >= 3, (n, r)
    r, n = _count_queries(ns, tmp_path, hermetic(
        NO_NET, PYTHON, "-I", str(prog), "plain", "3"), 3)
    assert r.rc == 0 and n == 0, (n, r)
