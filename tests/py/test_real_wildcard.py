"""Issue 10 item 9: under --no-network (with or without --allow-localhost)
a server that binds the wildcard address works and is reachable only from
loopback: the shim binds 127.0.0.1 for 0.0.0.0 / "" and ::1 for ::
(core/bindaddr.c); getsockname reports the address really bound. The
Python layer alone cannot rewrite a bind and keeps refusing "any".

Reachability is shown inside a private network namespace the test makes
(unshare -rn): loopback up plus an extra address 10.213.7.1/24 on lo,
which exists only in that namespace. A bare server bound to 0.0.0.0 is
reachable on it (control); the same server under hermetic is not."""

import os
import sys
import textwrap

import pytest

from conftest import BIN, LIB, PYTHON, PYTHONPATH, py_argv, run, run_hermetic
from pyhelpers import check

NS_ADDR = "10.213.7.1"

SERVER = textwrap.dedent("""
    import socket, sys
    s = socket.create_server(("0.0.0.0", 0))
    print(s.getsockname()[0], s.getsockname()[1], flush=True)
    sys.stdin.readline()
""")

# listen() on a socket never bound: the kernel would bind it to "any".
SERVER_UNBOUND = textwrap.dedent("""
    import socket, sys
    s = socket.socket()
    s.listen()
    print(s.getsockname()[0], s.getsockname()[1], flush=True)
    sys.stdin.readline()
""")

# Runs inside the namespace: set up lo + the extra address, start the
# server (argv[1:] is its command prefix), probe it from both addresses.
DRIVER = textwrap.dedent("""
    import socket, subprocess, sys
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    subprocess.run(["ip", "addr", "add", "%s/24" % sys.argv[1], "dev", "lo"],
                   check=True)
    p = subprocess.Popen(sys.argv[2:], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    host, port = p.stdout.readline().split()
    res = [host]
    for addr in ("127.0.0.1", sys.argv[1]):
        try:
            socket.create_connection((addr, int(port)), timeout=10).close()
            res.append("reached")
        except OSError as e:
            res.append("refused")
    p.stdin.write("\\n"); p.stdin.flush(); p.wait()
    print(" ".join(res))
""")


@pytest.fixture
def netns():
    if not os.path.exists("/usr/sbin/ip") and not os.path.exists("/sbin/ip"):
        pytest.skip("iproute2 (ip) is not installed")
    r = run(["unshare", "-rn", "true"], timeout=20)
    if r.rc != 0:
        pytest.skip("unprivileged network namespaces are unavailable: "
                    "the non-loopback address cannot be made privately")
    return ["unshare", "-rn"]


def _drive(netns, server_prefix, server=SERVER):
    return run([*netns, PYTHON, "-c", DRIVER, NS_ADDR, *server_prefix,
                PYTHON, "-c", server], timeout=60)


def test_wildcard_server_loopback_only(netns):
    r = _drive(netns, [BIN, "--no-network", "--allow-localhost", "--"])
    assert r.rc == 0 and r.out == "127.0.0.1 reached refused\n", r


def test_wildcard_server_without_allow_localhost(netns):
    r = _drive(netns, [BIN, "--no-network", "--"])
    assert r.rc == 0 and r.out == "127.0.0.1 reached refused\n", r


def test_wildcard_server_bare_control(netns):
    r = _drive(netns, [])
    assert r.rc == 0 and r.out == "0.0.0.0 reached reached\n", r


def test_unbound_listen_loopback_only(netns):
    r = _drive(netns, [BIN, "--no-network", "--allow-localhost", "--"],
               SERVER_UNBOUND)
    assert r.rc == 0 and r.out == "127.0.0.1 reached refused\n", r


def test_unbound_listen_bare_control(netns):
    r = _drive(netns, [], SERVER_UNBOUND)
    assert r.rc == 0 and r.out == "0.0.0.0 reached reached\n", r


CLIENTS = """
import asyncio, socket, socketserver, threading
def ok(label, fn):
    try:
        print(label, fn(), flush=True)
    except Exception as e:
        print(label, "failed", type(e).__name__, flush=True)

async def aserver():
    srv = await asyncio.start_server(lambda r, w: w.close(), "0.0.0.0", 0)
    host, port = srv.sockets[0].getsockname()[:2]
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.close()
    srv.close()
    return host
ok("asyncio", lambda: asyncio.run(aserver()))

class H(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.sendall(b"hi")
def tcpserver():
    with socketserver.TCPServer(("", 0), H) as srv:
        t = threading.Thread(target=srv.handle_request); t.start()
        c = socket.create_connection(("127.0.0.1", srv.server_address[1]))
        data = c.recv(10); c.close(); t.join()
        return srv.server_address[0], data.decode()
ok("socketserver", tcpserver)

def source_address():
    ls = socket.create_server(("127.0.0.1", 0))
    c = socket.create_connection(ls.getsockname(), source_address=("", 0))
    peer = ls.accept()[0].getpeername()[0]
    c.close(); ls.close()
    return peer
ok("source_address", source_address)

def v6():
    s = socket.create_server(("::", 0), family=socket.AF_INET6)
    c = socket.create_connection(("::1", s.getsockname()[1])); c.close()
    return s.getsockname()[0]
ok("v6", v6)
"""


def test_wildcard_clients_under_launcher():
    r = run_hermetic(["--no-network", "--allow-localhost"], py_argv(CLIENTS))
    assert r.rc == 0, r
    assert r.out.splitlines() == [
        "asyncio 127.0.0.1", "socketserver ('127.0.0.1', 'hi')",
        "source_address 127.0.0.1", "v6 ::1"], r
    control = run_hermetic([], py_argv(CLIENTS))
    assert control.out.splitlines()[0] == "asyncio 0.0.0.0", control


@pytest.mark.parametrize("preload", [True, False])
def test_api_wildcard_bind(preload):
    got, r = check("""
        import socket
        with hermetic_blocker(block_network=True, allow_localhost=True):
            s = socket.socket()
            attempt("any", s.bind, ("0.0.0.0", 0))
            attempt("any-name", lambda: s.getsockname()[0])
            s.close()
            s = socket.socket()
            attempt("loopback", s.bind, ("127.0.0.1", 0))
            s.close()
    """, preload=preload)
    assert got["loopback"].kind == "ok", r
    if preload:
        assert got["any"].kind == "ok", r
        assert got["any-name"].fields[0] == "'127.0.0.1'", r
    else:
        # Python layer alone: nothing can rewrite the bind; refused.
        assert got["any"].kind == "blocked", r


class _FakeFTP:
    """A minimal FTP server thread on 127.0.0.1 that answers one LIST in
    active mode: it connects back to the address the client's PORT names."""

    def __init__(self):
        import socket
        import threading
        self.ls = socket.create_server(("127.0.0.1", 0))
        self.port = self.ls.getsockname()[1]
        self.port_cmd = None
        self.t = threading.Thread(target=self.serve, daemon=True)
        self.t.start()

    def serve(self):
        import socket
        c, _ = self.ls.accept()
        f = c.makefile("rwb", buffering=0)
        f.write(b"220 fake\r\n")
        data_addr = None
        for raw in f:
            line = raw.decode().strip()
            cmd = line.split(" ", 1)[0].upper()
            if cmd == "USER":
                f.write(b"230 ok\r\n")
            elif cmd == "TYPE":
                f.write(b"200 ok\r\n")
            elif cmd == "PORT":
                self.port_cmd = line
                n = [int(x) for x in line.split(" ", 1)[1].split(",")]
                data_addr = (".".join(map(str, n[:4])), n[4] * 256 + n[5])
                f.write(b"200 ok\r\n")
            elif cmd == "LIST":
                f.write(b"150 here\r\n")
                d = socket.create_connection(data_addr, timeout=10)
                d.sendall(b"file-a\r\nfile-b\r\n")
                d.close()
                f.write(b"226 done\r\n")
            elif cmd == "QUIT":
                f.write(b"221 bye\r\n")
                break
            else:
                f.write(b"502 no\r\n")
        c.close()
        self.ls.close()


def test_active_mode_ftplib_under_launcher():
    srv = _FakeFTP()
    code = textwrap.dedent(f"""
        import ftplib
        ftp = ftplib.FTP()
        ftp.connect("127.0.0.1", {srv.port})
        ftp.login()
        ftp.set_pasv(False)
        lines = []
        ftp.retrlines("LIST", lines.append)
        ftp.quit()
        print(lines)
    """)
    r = run_hermetic(["--no-network", "--allow-localhost"], py_argv(code))
    srv.t.join(timeout=30)
    assert r.rc == 0 and r.out == "['file-a', 'file-b']\n", r
    assert srv.port_cmd.startswith("PORT 127,0,0,1,"), srv.port_cmd
