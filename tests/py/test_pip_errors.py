"""A blocked download reads as a network failure (issue 10 item 12).

pip (and requests, through urllib3) catches OSError on its network-error
path and prints one line; any other exception is an internal error that pip
shows as a traceback of about 100 lines. Under urllib3, a refused connect is
also an OSError (ENETUNREACH, as the libc layer says) and a refused lookup
also a socket.gaierror (EAI_FAIL); everywhere else it stays a plain
PolicyViolation (urllib.request, the original's `except PolicyViolation`).

No packet leaves loopback: the index is 127.0.0.2 port 9 (refused by
--no-network before connect) or a name the policy refuses before any
lookup; the positive control serves an index on 127.0.0.1.
"""

import errno
import os
import pickle  # noqa: F401  (used in the child code)
import socket
import subprocess

import pytest

from conftest import (
    PYTHON,
    PYTHONPATH,
    py_argv,
    run,
    run_hermetic,
    trace_lines,
)

EAI_FAIL = getattr(socket, "EAI_FAIL", -4)


def _have_pip():
    try:
        return subprocess.run([PYTHON, "-m", "pip", "--version"],
                              capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


needs_pip = pytest.mark.skipif(
    not _have_pip(), reason="python3-pip is not installed (.ci/run installs it)")


def pip_argv(index, dest, *extra):
    # One retry: pip logs the connection error only when it retries (with
    # --retries 0 it says nothing but "no matching distribution"), and the
    # first retry has no back-off sleep.
    return [PYTHON, "-m", "pip", "download", "--isolated",
            "--disable-pip-version-check", "--no-cache-dir", "--no-deps",
            "--retries", "1", "--timeout", "5", "-d", str(dest),
            "--index-url", index, *extra, "nosuchpkg-hermetic"]


# --- the exception classes ---------------------------------------------------

CLASSES = r"""
import errno, pickle, socket
from hermetic.errors import (AddressLookupBlocked, ConnectBlocked,
                             LookupBlocked, PolicyViolation)
c = ConnectBlocked("network disabled: connect(127.0.0.2)", target="127.0.0.2")
print("connect", isinstance(c, PolicyViolation), isinstance(c, OSError),
      isinstance(c, ConnectionError), c.errno == errno.ENETUNREACH,
      c.guard, c.target, str(c))
l = LookupBlocked("network disabled: DNS(x.test)", target="x.test")
print("lookup", isinstance(l, PolicyViolation), isinstance(l, socket.gaierror),
      l.errno, l.guard, str(l))
a = AddressLookupBlocked("network disabled: DNS(192.0.2.1)")
print("addr", isinstance(a, PolicyViolation), isinstance(a, socket.herror),
      a.errno, str(a))
for e in (c, l, a):
    b = pickle.loads(pickle.dumps(e))
    assert type(b) is type(e) and str(b) == str(e) and b.errno == e.errno, b
    assert b.guard == "network" and b.target == e.target, b
try:
    raise c
except PolicyViolation as e:
    print("caught", type(e).__name__)
import hermetic
print("exported", hermetic.ConnectBlocked is ConnectBlocked,
      hermetic.LookupBlocked is LookupBlocked,
      hermetic.AddressLookupBlocked is AddressLookupBlocked)
"""


def test_exception_classes():
    r = run(py_argv(CLASSES), env_extra={"PYTHONPATH": PYTHONPATH})
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert lines[0] == ("connect True True False True network 127.0.0.2 "
                        "network disabled: connect(127.0.0.2)"), r
    assert lines[1] == (f"lookup True True {EAI_FAIL} network "
                        "network disabled: DNS(x.test)"), r
    assert lines[2] == "addr True True 3 network disabled: DNS(192.0.2.1)", r
    assert lines[3] == "caught ConnectBlocked", r
    assert lines[4] == "exported True True True", r


# --- which calls get them ----------------------------------------------------

CLIENT = r"""
import socket
def connect(host, port):
    s = socket.socket()
    try:
        s.connect((host, port))
    finally:
        s.close()
def lookup(name):
    return socket.getaddrinfo(name, 80)
def reverse(ip):
    return socket.gethostbyaddr(ip)
"""

CALLER = r"""
import errno, socket, sys
sys.path.insert(0, sys.argv[1])
from hermetic import PolicyViolation
import {mod} as client
def outcome(fn, *a):
    try:
        fn(*a)
        return "allowed"
    except PolicyViolation as e:
        kind = "oserror" if isinstance(e, OSError) else "plain"
        return f"{{type(e).__name__}} {{kind}} {{getattr(e, 'errno', None)}}"
print("connect", outcome(client.connect, "127.0.0.2", 9))
print("lookup", outcome(client.lookup, "pkgs.example.invalid"))
print("reverse", outcome(client.reverse, "192.0.2.1"))
"""


def _client_tree(root, package):
    """@root/<package>/connection.py holding CLIENT (a stand-in for
    urllib3's util/connection.py, or for any other package)."""
    pkg = root / package
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "connection.py").write_text(CLIENT)
    return str(root)


def test_urllib3_gets_the_oserror_subclasses(workdir):
    root = _client_tree(workdir / "site", "urllib3")
    r = run_hermetic(["--no-network", "--trace"],
                     py_argv(CALLER.format(mod="urllib3.connection"))
                     + [root])
    assert r.rc == 0, r
    out = dict(line.split(" ", 1) for line in r.out.splitlines())
    assert out["connect"] == f"ConnectBlocked oserror {errno.ENETUNREACH}", r
    assert out["lookup"] == f"LookupBlocked oserror {EAI_FAIL}", r
    assert out["reverse"] == "AddressLookupBlocked oserror 3", r
    # The trace keeps its format.
    tl = trace_lines(r.err)
    assert any(l.startswith("[hermetic] blocked socket.connect ")
               and "host=127.0.0.2" in l and "reason=" in l for l in tl), r
    assert any("host=pkgs.example.invalid" in l for l in tl), r


def test_other_callers_keep_the_plain_violation(workdir):
    # Control: the same calls from another package (and from urllib.request,
    # see test_api's seed examples) stay a plain PolicyViolation.
    root = _client_tree(workdir / "site", "myclient")
    r = run_hermetic(["--no-network"],
                     py_argv(CALLER.format(mod="myclient.connection"))
                     + [root])
    assert r.rc == 0, r
    out = dict(line.split(" ", 1) for line in r.out.splitlines())
    assert out["connect"] == "PolicyViolation plain None", r
    assert out["lookup"] == "PolicyViolation plain None", r
    assert out["reverse"] == "PolicyViolation plain None", r


def test_uncaught_connect_blocked_still_exits_2(workdir):
    root = _client_tree(workdir / "site", "urllib3")
    code = ("import sys; sys.path.insert(0, sys.argv[1])\n"
            "import urllib3.connection as c\n"
            "c.connect('127.0.0.2', 9)\n")
    r = run_hermetic(["--no-network"], py_argv(code) + [root])
    assert r.rc == 2, r
    assert ("hermetic: blocked action: network disabled: connect(127.0.0.2)"
            in r.err), r


def test_allowed_connect_under_urllib3_is_untouched(workdir, tcp_listener):
    # Positive control: an allowed loopback connect still connects.
    lst = tcp_listener("127.0.0.1")
    root = _client_tree(workdir / "site", "urllib3")
    code = ("import sys; sys.path.insert(0, sys.argv[1])\n"
            "import urllib3.connection as c\n"
            f"c.connect('127.0.0.1', {lst.port}); print('ok')\n")
    r = run_hermetic(["--no-network", "--allow-localhost"],
                     py_argv(code) + [root])
    assert r.rc == 0 and r.out.strip() == "ok", r
    assert lst.accepted() == 1


# --- pip itself --------------------------------------------------------------

def _assert_one_clear_line(r, what):
    text = r.out + r.err
    assert r.rc == 1, r  # pip's "no matching distribution", not exit 2
    assert "Traceback" not in text, r
    assert "ERROR: Exception:" not in text, r
    assert f"Failed to establish a new connection: {what}" in text, r
    assert len(text.splitlines()) <= 10, r


@needs_pip
def test_pip_blocked_connect_reads_as_a_network_failure(workdir):
    r = run_hermetic(["--no-network"],
                     pip_argv("http://127.0.0.2:9/simple", workdir / "d"))
    _assert_one_clear_line(r, "network disabled: connect(127.0.0.2)")


@needs_pip
def test_pip_blocked_lookup_reads_as_a_network_failure(workdir):
    r = run_hermetic(["--no-network"],
                     pip_argv("http://pkgs.example.invalid/simple",
                              workdir / "d", "--trusted-host",
                              "pkgs.example.invalid"))
    _assert_one_clear_line(r, "network disabled: DNS(pkgs.example.invalid)")


@needs_pip
def test_pip_reaches_an_allowed_loopback_index(workdir, http_server):
    # Positive control: the same pip run, allowed, asks the index.
    r = run_hermetic(["--no-network", "--allow-localhost"],
                     pip_argv(http_server.url + "simple", workdir / "d"))
    assert http_server.requests >= 1, r
    assert "network disabled" not in r.out + r.err, r
    assert "Traceback" not in r.out + r.err, r
    assert not os.path.exists(workdir / "d" / "nosuchpkg-hermetic"), r
