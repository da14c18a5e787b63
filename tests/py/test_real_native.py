"""Issue 10 item 3: under block_native the interpreter's own lib-dynload
modules (root-owned, not group/other-writable, on the core's list in
libhermetic/core/native.c) are trusted runtime and load, in both layers;
_ctypes and the modules that load or run arbitrary code stay refused, and
so does a copy of a listed module anywhere else (docs/guards/native.md)."""

import os
import shutil
import ssl
import subprocess
import sys
import sysconfig
import threading

import pytest

from conftest import PYTHON, py_argv, run_hermetic, run_preloaded
from pyhelpers import check, policy_text, run_py

DYNLOAD = os.path.join("/usr/lib/python3.11", "lib-dynload")
SEED = ["--no-network", "--allow-domain", "api.openai.com",
        "--allow-domain", "api.anthropic.com", "--allow-localhost",
        "--block-native"]


def _dynload_file(mod):
    for name in os.listdir(DYNLOAD):
        if name.split(".", 1)[0] == mod:
            return os.path.join(DYNLOAD, name)
    pytest.skip(f"{mod} is not in {DYNLOAD} (built in?)")


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    """A loopback TLS server (self-signed cert made with openssl) that
    answers every connection with b"hello-tls" and closes."""
    if not shutil.which("openssl"):
        pytest.skip("openssl(1) is not installed")
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    import socket
    ls = socket.create_server(("127.0.0.1", 0))
    port = ls.getsockname()[1]
    stop = threading.Event()

    def serve():
        ls.settimeout(0.2)
        while not stop.is_set():
            try:
                c, _ = ls.accept()
            except OSError:
                continue
            try:
                with ctx.wrap_socket(c, server_side=True) as t:
                    t.sendall(b"hello-tls")
            except (OSError, ssl.SSLError):
                pass

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    yield port, str(cert)
    stop.set()
    th.join()
    ls.close()


def _tls_client(port, cafile):
    return (
        "import json, socket, ssl\n"
        f"ctx = ssl.create_default_context(cafile={cafile!r})\n"
        f"with socket.create_connection(('127.0.0.1', {port})) as s:\n"
        "    with ctx.wrap_socket(s, server_hostname='localhost') as t:\n"
        "        data = b''\n"
        "        while True:\n"
        "            b = t.recv(100)\n"
        "            if not b: break\n"
        "            data += b\n"
        "print(data.decode(), json.decoder.c_scanstring is not None)\n")


def test_seed_example_https_under_launcher(tls_server):
    port, cafile = tls_server
    r = run_hermetic(SEED, py_argv(_tls_client(port, cafile)))
    assert r.rc == 0 and r.out == "hello-tls True\n", r


def test_seed_example_https_control(tls_server):
    port, cafile = tls_server
    r = run_hermetic([], py_argv(_tls_client(port, cafile)))
    assert r.rc == 0 and r.out == "hello-tls True\n", r


def test_seed_example_https_api(tls_server):
    """The seed's API example: allow_domains + block_native (plus
    allow_localhost for the loopback server), with the shim preloaded."""
    port, cafile = tls_server
    code = (
        "with hermetic_blocker(block_network=True, allow_localhost=True,\n"
        "        allow_domains=['api.openai.com', 'api.anthropic.com'],\n"
        "        block_native=True):\n"
        + "".join("    " + l + "\n"
                  for l in _tls_client(port, cafile).splitlines())
        + "    attempt('ctypes', __import__, 'ctypes')\n")
    for preload in (True, False):
        got, r = check(code, preload=preload)
        assert "hello-tls True\n" in r.out, r
        assert got["ctypes"].kind == "blocked", r


def test_accelerators_in_use_under_block_native():
    code = ("import json, decimal, hashlib, asyncio, _asyncio, _hashlib\n"
            "import sqlite3, bz2, lzma, mmap\n"
            "print(json.decoder.c_scanstring is not None,\n"
            "      decimal.Decimal.__module__, type(hashlib.sha256()).__name__,\n"
            "      sqlite3.connect(':memory:').execute('select 41+1').fetchone()[0],\n"
            "      bz2.decompress(bz2.compress(b'x')), lzma.decompress(lzma.compress(b'y')))\n")
    r = run_hermetic(["--block-native"], py_argv(code))
    assert r.rc == 0 and r.out == "True decimal HASH 42 b'x' b'y'\n", r
    control = run_hermetic([], py_argv(code))
    assert control.out == r.out, control


@pytest.mark.parametrize("mod", ["ctypes", "_ctypes", "_testcapi",
                                 "_xxsubinterpreters", "_ctypes_test"])
def test_arbitrary_code_modules_refused(mod):
    if mod != "ctypes":
        _dynload_file(mod)
    code = (f"try:\n    import {mod}\nexcept ImportError as e:\n"
            "    print('refused', type(e).__name__)\nelse:\n    print('loaded')\n")
    r = run_hermetic(["--block-native"], py_argv(code))
    assert r.rc == 0 and r.out == "refused NativeImportBlocked\n", r
    control = run_hermetic([], py_argv(code))
    assert control.out == "loaded\n", control


def _shim_only(code, pol):
    """python with only the shim (no Python layer): the loader's dlopen is
    the one check."""
    return run_preloaded(py_argv(code), policy=pol)


def test_shim_layer_alone():
    pol = policy_text(block_native=True)
    code = ("import _json, _ssl, _decimal\nprint('runtime ok')\n"
            "try:\n    import _ctypes\nexcept ImportError as e:\n"
            "    print('ctypes', 'hermetic' in str(e))\n")
    r = _shim_only(code, pol)
    assert r.rc == 0 and r.out == "runtime ok\nctypes True\n", r


def test_user_copy_of_dynload_module_refused(workdir):
    """A copy of _json in a user-writable directory on sys.path is not the
    interpreter's own: refused in both layers. Control: the copy loads
    without the policy."""
    src = _dynload_file("_json")
    d = workdir / "mods"
    d.mkdir()
    shutil.copy(src, d / os.path.basename(src))
    code = (f"import sys; sys.path.insert(0, {str(d)!r})\n"
            "import importlib.util\n"
            "spec = importlib.util.find_spec('_json')\n"
            "print(spec.origin.startswith(sys.path[0]))\n"
            "try:\n    import _json\nexcept ImportError as e:\n"
            "    print('refused')\nelse:\n    print('loaded', _json.__file__.startswith(sys.path[0]))\n")
    r = run_hermetic(["--block-native"], py_argv(code))
    assert r.rc == 0 and r.out == "True\nrefused\n", r
    r = _shim_only(code, policy_text(block_native=True))
    assert r.rc == 0 and r.out == "True\nrefused\n", r
    control = run_hermetic([], py_argv(code))
    assert control.out == "True\nloaded True\n", control


def test_api_python_layer_alone():
    got, r = check("""
        import sys
        for m in ('_json', '_ssl', '_decimal', '_hashlib', '_asyncio'):
            sys.modules.pop(m, None)
        with hermetic_blocker(block_native=True):
            attempt('_ssl', __import__, '_ssl')
            attempt('_decimal', __import__, '_decimal')
            attempt('_ctypes', __import__, '_ctypes')
            attempt('_testcapi', __import__, '_testcapi')
    """)
    assert got["_ssl"].kind == "ok", r
    assert got["_decimal"].kind == "ok", r
    assert got["_ctypes"].kind == "blocked", r
    assert got["_testcapi"].kind in ("blocked",), r


def test_user_dir_symlink_to_dynload_refused(workdir):
    """A symlink in a user directory on sys.path to lib-dynload's _ctypes:
    the Python layer judges the real file (_ctypes, not listed: refused),
    the shim the path as passed (not in lib-dynload: refused). Control: the
    same symlink without the policy loads."""
    target = _dynload_file("_ctypes")
    d = workdir / "links"
    d.mkdir()
    (d / os.path.basename(target)).symlink_to(target)
    code = (f"import sys; sys.path.insert(0, {str(d)!r})\n"
            "try:\n    import _ctypes\nexcept ImportError as e:\n"
            "    print('refused')\nelse:\n"
            "    print('loaded', _ctypes.__file__.startswith(sys.path[0]))\n")
    r = run_hermetic(["--block-native"], py_argv(code))
    assert r.rc == 0 and r.out == "refused\n", r
    control = run_hermetic([], py_argv(code))
    assert control.out == "loaded True\n", control
