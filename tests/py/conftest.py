"""Shared helpers for the integration suites (tests/py/test_*.py).

Artefact paths come from the environment CTest sets (HERMETIC_TEST_BIN,
HERMETIC_TEST_LIB, HERMETIC_TEST_PROBE, HERMETIC_TEST_PYTHONPATH,
HERMETIC_TEST_PYTHON); when a suite is run by hand they default to the
build/ tree next to the sources. The C helpers of tests/fixtures/ are
built by CMake into <dir of the probe>/fixtures (HERMETIC_TEST_FIXTURES
overrides it).

Helpers (plain functions, import them with ``from conftest import ...``):
  run(argv, ...)                   run any command (timeout 60 s, text mode)
  run_hermetic(flags, cmd, ...)    build/bin/hermetic FLAGS -- CMD...
  run_probe(op_args, flags=None)   the probe, under hermetic when flags is
                                   a list (even empty), bare when None
  run_preloaded(argv, policy=...)  argv with LD_PRELOAD=libhermetic.so and
                                   an explicit HERMETIC_POLICY, no launcher
  launcher_policy(flags)           the HERMETIC_POLICY the launcher hands a
                                   target for @flags
  fixture_path(name)               a C helper built from tests/fixtures/
  static_fixture(name)             the same for a -static one (skips, saying
                                   why, when the build had no libc.a)
  rf_run(rf, args, flags=None)     the rf helper, like run_probe
  py_argv(code)                    [python3, -c, code] for the test Python
  trace_lines(stderr)              the "[hermetic] ..." lines
  hermetic_lines(stderr)           the "hermetic: ..." diagnostic lines
  snapshot(dir)                    a comparable picture of a directory tree
  base_env()                       the clean environment every run gets

Fixtures:
  workdir          tmp_path with symlinks resolved (the cwd of most runs)
  rf, early_so     paths of tests/fixtures/rf.c and early.c, built
  tcp_listener     factory: tcp_listener("127.0.0.1" | "::1" | ...) returns
                   a listener whose .accepted() counts accepted connections
  udp_receiver     factory: a loopback UDP socket; .received() drains it
  http_server      a loopback HTTP server thread; .url, .requests
  unix_listener    an AF_UNIX stream listener; .path, .accepted()
  isolated         a command prefix (unshare -rn) that runs a command in an
                   empty network namespace, for checks whose failure could
                   otherwise reach past loopback; skips with the reason when
                   unprivileged namespaces are unavailable

Every run gets a clean environment (no LD_*, HERMETIC_*, PYTHON*, proxy
variables; LC_ALL=C) so results do not depend on the caller's shell.
"""

import http.server
import os
import shlex
import socket
import stat
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
_BUILD = REPO / "build"


def _artefact(var, default):
    value = os.environ.get(var)
    return value if value else str(default)


BIN = _artefact("HERMETIC_TEST_BIN", _BUILD / "bin" / "hermetic")
LIB = _artefact("HERMETIC_TEST_LIB", _BUILD / "lib" / "libhermetic.so")
PROBE = _artefact("HERMETIC_TEST_PROBE", _BUILD / "tests" / "probe")
PYTHONPATH = _artefact("HERMETIC_TEST_PYTHONPATH", _BUILD / "python")
PYTHON = _artefact("HERMETIC_TEST_PYTHON", "/usr/bin/python3")
FIXTURES = _artefact("HERMETIC_TEST_FIXTURES",
                     Path(PROBE).parent / "fixtures")

TIMEOUT = 60

_PROXY_VARS = {"http_proxy", "https_proxy", "ftp_proxy", "all_proxy",
               "no_proxy"}


def base_env():
    """The caller's environment minus anything that could change a result:
    LD_*, HERMETIC_*, PYTHON* and proxy variables. LC_ALL=C keeps program
    messages ("Permission denied") stable."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LD_", "HERMETIC_", "PYTHON"))
           and k.lower() not in _PROXY_VARS}
    env["LC_ALL"] = "C"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    return env


@dataclass
class Result:
    """A finished process: return code, stdout and stderr (text)."""
    argv: list
    rc: int
    out: str
    err: str

    @property
    def line(self):
        """stdout without surrounding whitespace (the probe prints one line)."""
        return self.out.strip()

    def __str__(self):
        return (f"argv={shlex.join(self.argv)}\nrc={self.rc}\n"
                f"stdout={self.out!r}\nstderr={self.err!r}")


def run(argv, *, env=None, env_extra=None, cwd=None, input=None,
        timeout=TIMEOUT, prefix=None):
    """Run argv (list of str) and return a Result. @env replaces the base
    environment; @env_extra is merged on top (a value of None removes the
    variable). @prefix (e.g. the isolated fixture) is prepended to argv."""
    full_env = dict(base_env() if env is None else env)
    for k, v in (env_extra or {}).items():
        if v is None:
            full_env.pop(k, None)
        else:
            full_env[k] = v
    argv = [str(a) for a in (list(prefix or []) + list(argv))]
    cp = subprocess.run(argv, env=full_env, cwd=cwd, input=input,
                        capture_output=True, text=True, errors="replace",
                        timeout=timeout, check=False)
    return Result(argv, cp.returncode, cp.stdout, cp.stderr)


def run_hermetic(flags, cmd, **kw):
    """build/bin/hermetic FLAGS -- CMD... (keyword arguments as run())."""
    return run([BIN, *flags, "--", *cmd], **kw)


def run_probe(op_args, flags=None, **kw):
    """The probe with @op_args; under hermetic with @flags unless None."""
    if flags is None:
        return run([PROBE, *op_args], **kw)
    return run_hermetic(flags, [PROBE, *op_args], **kw)


def run_preloaded(argv, policy=None, **kw):
    """Run argv with LD_PRELOAD=libhermetic.so and HERMETIC_POLICY=@policy
    (unset when None), bypassing the launcher."""
    extra = dict(kw.pop("env_extra", None) or {})
    extra["LD_PRELOAD"] = LIB
    extra["HERMETIC_POLICY"] = policy
    return run(argv, env_extra=extra, **kw)


def launcher_policy(flags):
    """The HERMETIC_POLICY value the launcher hands a target for @flags."""
    r = run_hermetic(flags, ["/usr/bin/env"])
    for line in r.out.splitlines():
        if line.startswith("HERMETIC_POLICY="):
            return line.split("=", 1)[1]
    pytest.fail("no HERMETIC_POLICY in the target's environment\n" + str(r))


def fixture_path(name):
    """Path of a C helper that tests/fixtures/CMakeLists.txt builds (fails,
    never skips, when it was not built)."""
    path = os.path.join(FIXTURES, name)
    if not os.path.exists(path):
        pytest.fail(f"test fixture {path} is missing (build first, or set "
                    "HERMETIC_TEST_FIXTURES)")
    return path


def static_fixture(name):
    """Path of a statically linked C helper (tests/fixtures/CMakeLists.txt
    builds those only where libc.a is installed); skips with the reason."""
    path = os.path.join(FIXTURES, name)
    if not os.path.exists(path):
        pytest.skip(f"{path} was not built: the build found no static libc "
                    "(libc.a, Debian's libc6-dev), so it cannot link a "
                    "static test program")
    return path


def rf_run(rf, args, flags=None, **kw):
    """The rf helper with @args: under hermetic with @flags, bare when None."""
    if flags is None:
        return run([rf, *args], **kw)
    return run_hermetic(flags, [rf, *args], **kw)


def py_argv(code):
    """argv running @code with the test Python (never the pyenv one)."""
    return [PYTHON, "-c", code]


def trace_lines(stderr):
    """The trace lines ("[hermetic] ...") in @stderr."""
    return [l for l in stderr.splitlines() if l.startswith("[hermetic] ")]


def hermetic_lines(stderr):
    """The diagnostic lines ("hermetic: ...") in @stderr."""
    return [l for l in stderr.splitlines() if l.startswith("hermetic: ")]


def snapshot(root):
    """{relative path: (kind, mode, size, content or link target, mtime_ns)}
    for everything under @root, to compare before and after a run."""
    root = Path(root)
    picture = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = p.lstat()
            rel = str(p.relative_to(root))
            if stat.S_ISLNK(st.st_mode):
                picture[rel] = ("link", 0, 0, os.readlink(p), 0)
            elif stat.S_ISDIR(st.st_mode):
                picture[rel] = ("dir", stat.S_IMODE(st.st_mode), 0, None, 0)
            elif stat.S_ISREG(st.st_mode):
                picture[rel] = ("file", stat.S_IMODE(st.st_mode), st.st_size,
                                p.read_bytes(), st.st_mtime_ns)
            else:
                picture[rel] = ("other", stat.S_IMODE(st.st_mode), 0, None,
                                0)
    return picture


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------

@pytest.fixture(scope="session", autouse=True)
def _artefacts_present():
    """Fail loudly (not skip) when the build artefacts are missing."""
    missing = [p for p in (BIN, LIB, PROBE) if not os.path.exists(p)]
    if missing:
        pytest.fail("build artefacts missing: " + ", ".join(missing) +
                    " (build first, or set HERMETIC_TEST_*)")


@pytest.fixture(scope="session")
def rf():
    """tests/fixtures/rf.c: the glibc entry points the probe lacks."""
    return fixture_path("rf")


@pytest.fixture(scope="session")
def early_so():
    """tests/fixtures/early.c: optional wrappers called before the shim's
    init (preloaded after it)."""
    return fixture_path("early.so")


@pytest.fixture
def workdir(tmp_path):
    """tmp_path with symlinks resolved: policies compare real paths."""
    return Path(os.path.realpath(tmp_path))


class TcpListener:
    """A listening TCP socket on a loopback address. The kernel completes
    handshakes into the backlog whether or not anyone accepts, so
    .accepted() drains the backlog and counts every connection ever made."""

    def __init__(self, host):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.host = host
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.bind((host, 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.count = 0

    def accepted(self, wait=0.3):
        """Accept everything pending (waiting up to @wait s for each) and
        return the total number of connections accepted so far."""
        self.sock.settimeout(wait)
        while True:
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, BlockingIOError):
                return self.count
            self.count += 1
            conn.close()

    def close(self):
        self.sock.close()


@pytest.fixture
def tcp_listener():
    """Factory: tcp_listener(host="127.0.0.1") -> TcpListener (loopback
    addresses only: 127.0.0.0/8 or ::1)."""
    made = []

    def make(host="127.0.0.1"):
        lst = TcpListener(host)
        made.append(lst)
        return lst

    yield make
    for lst in made:
        lst.close()


class UdpReceiver:
    """A bound UDP socket on a loopback address."""

    def __init__(self, host):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.host = host
        self.port = self.sock.getsockname()[1]

    def received(self, wait=0.3):
        """Datagrams that arrived (waiting up to @wait s for each)."""
        got = []
        self.sock.settimeout(wait)
        while True:
            try:
                got.append(self.sock.recv(65536))
            except (socket.timeout, BlockingIOError):
                return got

    def close(self):
        self.sock.close()


@pytest.fixture
def udp_receiver():
    """Factory: udp_receiver(host="127.0.0.1") -> UdpReceiver."""
    made = []

    def make(host="127.0.0.1"):
        r = UdpReceiver(host)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


HTTP_BODY = "hermetic-test-body"


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server naming)
        self.server.requests += 1
        body = (HTTP_BODY + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    """A loopback HTTP server (127.0.0.1, ephemeral port) in a thread;
    every GET answers HTTP_BODY. Attributes: .url, .port, .requests."""
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.requests = 0
    srv.port = srv.server_address[1]
    srv.url = f"http://127.0.0.1:{srv.port}/"
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    t.join(timeout=10)


class UnixListener:
    """An AF_UNIX stream listener in a short private directory."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="hm-", dir="/tmp")
        self.path = os.path.join(self.dir, "s")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(16)
        self.count = 0

    def accepted(self, wait=0.3):
        self.sock.settimeout(wait)
        while True:
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, BlockingIOError):
                return self.count
            self.count += 1
            conn.close()

    def close(self):
        self.sock.close()
        os.unlink(self.path)
        os.rmdir(self.dir)


@pytest.fixture
def unix_listener():
    lst = UnixListener()
    yield lst
    lst.close()


_NETNS = {}


def netns_prefix():
    """['unshare', '-rn'] if an unprivileged user+network namespace can be
    made here, else None (cached)."""
    if "ok" not in _NETNS:
        try:
            r = run(["unshare", "-rn", "true"], timeout=20)
            _NETNS["ok"] = r.rc == 0
        except (OSError, subprocess.SubprocessError):
            _NETNS["ok"] = False
    return ["unshare", "-rn"] if _NETNS["ok"] else None


@pytest.fixture
def isolated():
    """Prefix running a command in an empty network namespace (only a
    down loopback), so a wrongly allowed connect or DNS query fails with
    ENETUNREACH instead of leaving the machine."""
    prefix = netns_prefix()
    if prefix is None:
        pytest.skip("unprivileged network namespaces (unshare -rn) are "
                    "unavailable; this check would reach past loopback if "
                    "hermetic failed to block it, so it is not run")
    return prefix
