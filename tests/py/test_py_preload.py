"""The Python package with libhermetic.so preloaded (no launcher): one
``with hermetic_blocker(...)`` governs the Python layer, C-level calls
(ctypes to libc) and child processes at once, through the shared policy
segment; a base policy in HERMETIC_POLICY is active and cannot be popped.
Each scenario runs in a fresh interpreter."""

import textwrap

from conftest import PROBE
from pyhelpers import check, policy_text, run_py

CTYPES_CONNECT = textwrap.dedent("""
    import ctypes, socket, struct
    libc = ctypes.CDLL(None, use_errno=True)
    def c_connect(port):
        s = socket.socket()
        sa = (struct.pack("=H", socket.AF_INET)
              + struct.pack("!H4s8x", port, socket.inet_aton("127.0.0.1")))
        rc = libc.connect(s.fileno(), sa, len(sa))
        err = ctypes.get_errno()
        s.close()
        return rc, errno_name(err) if rc else None
    import errno as _errno
    def errno_name(e):
        return _errno.errorcode.get(e, str(e))
""")


def with_connect(code):
    return CTYPES_CONNECT + textwrap.dedent(code)


def test_layers_with_preload():
    o, _ = check("""
        note("layers", sorted(hermetic.layers()))
    """, preload=True)
    assert o["layers"].value == ["libc", "python"]


def test_ctypes_connect_refused_by_the_shim(tcp_listener):
    lst = tcp_listener()
    o, _ = check(with_connect(f"""
        with hermetic_blocker(block_network=True):
            note("inside", c_connect({lst.port}))
        note("outside", c_connect({lst.port}))
    """), preload=True)
    assert o["inside"].value == (-1, "ENETUNREACH")
    assert o["outside"].value == (0, None)
    assert lst.accepted() == 1


def test_ctypes_connect_without_shim_is_a_documented_gap(tcp_listener):
    # Positive control for the test above: without the shim the Python
    # layer alone cannot see a C-level connect (DESIGN.md section 1).
    lst = tcp_listener()
    o, _ = check(with_connect(f"""
        with hermetic_blocker(block_network=True):
            note("inside", c_connect({lst.port}))
    """))
    assert o["inside"].value == (0, None)
    assert lst.accepted() == 1


def test_children_refused_network(tcp_listener, http_server):
    lst = tcp_listener()
    o, _ = check(f"""
        import subprocess
        def probe():
            r = subprocess.run([{PROBE!r}, "connect", "127.0.0.1",
                                "{lst.port}"], capture_output=True, text=True)
            return r.stdout.strip()
        def curl():
            r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-m", "5",
                                {http_server.url!r}])
            return r.returncode
        with hermetic_blocker(block_network=True):
            note("probe_in", probe())
            note("curl_in", curl())
        note("probe_out", probe())
        note("curl_out", curl())
    """, preload=True)
    assert o["probe_in"].value == "errno=ENETUNREACH"
    assert o["curl_in"].value != 0
    assert o["probe_out"].value.startswith("ok")
    assert o["curl_out"].value == 0
    assert lst.accepted() == 1
    assert http_server.requests == 1


def test_subprocess_children_get_the_policy(workdir):
    o, _ = check(f"""
        import subprocess, sys
        code = ("import hermetic, os\\n"
                "try:\\n"
                "    os.system('true'); print('ran')\\n"
                "except hermetic.PolicyViolation as e:\\n"
                "    print('child:', e)\\n")
        with hermetic_blocker(block_network=True, fs_readonly=True):
            r = subprocess.run([sys.executable, "-c",
                                "open({str(workdir / 'x')!r}, 'w')"],
                               capture_output=True, text=True,
                               env={{"PATH": "/usr/bin:/bin"}})
            note("child_write_rc", r.returncode)
            note("child_err", "PermissionError" in r.stderr)
    """, preload=True)
    # env={...} dropped LD_PRELOAD and HERMETIC_*: the shim puts them back.
    assert o["child_write_rc"].value != 0
    assert o["child_err"].value is True
    assert not (workdir / "x").exists()


def test_ctypes_libc_system_refused():
    o, _ = check("""
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        system = libc.system
        with hermetic_blocker(block_subprocess=True):
            note("in", system(b"true"))
        note("out", system(b"true"))
    """, preload=True)
    assert o["in"].value != 0
    assert o["out"].value == 0


def test_base_policy_is_active_and_sealed():
    policy = policy_text(block_subprocess=True)
    o, _ = check("""
        import os, hermetic._native as n
        note("depth", n.depth())
        attempt("system", os.system, "true")
        with hermetic_blocker():
            attempt("widen", os.system, "true")
    """, preload=True, policy=policy)
    assert o["depth"].value == (1, 0)
    assert o["system"].blocked and o["widen"].blocked


def test_base_policy_without_shim():
    # The private segment decodes HERMETIC_POLICY itself.
    policy = policy_text(block_subprocess=True)
    o, _ = check("""
        import os
        note("layers", sorted(hermetic.layers()))
        attempt("system", os.system, "true")
    """, policy=policy)
    assert o["layers"].value == ["python"]
    assert o["system"].blocked


def test_invalid_policy_fails_closed():
    r = run_py("""
        import os, hermetic
        for label, fn, args in (("system", os.system, ("true",)),
                                ("write", open, ("/tmp/hermetic-inv", "w")),
                                ("fresh_import", __import__, ("xml.dom",)),
                                ("cached_import", __import__, ("os",)),
                                ("api", getattr, (hermetic, "hermetic_blocker"))):
            try:
                fn(*args)
                print(label, "ok")
            except hermetic.PolicyViolation as e:
                print(label, "blocked")
    """, policy="zz-not-a-policy", prelude=False)
    assert "hermetic: warning: invalid HERMETIC_POLICY" in r.err, str(r)
    # Everything refused except what the process already holds; the API
    # itself cannot load its (fresh) dependencies: nothing can be relaxed.
    assert r.out.splitlines() == ["system blocked", "write blocked",
                                  "fresh_import blocked", "cached_import ok",
                                  "api blocked"], str(r)


def test_python_fs_guard_and_shim_agree(workdir):
    target = workdir / "w.txt"
    o, _ = check(f"""
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        libc.open.restype = ctypes.c_int
        c_open = libc.open
        with hermetic_blocker(fs_readonly=True):
            attempt("py", open, {str(target)!r}, "w")
            fd = c_open({str(target).encode()!r}, os.O_WRONLY | os.O_CREAT, 0o644)
            note("c", (fd, ctypes.get_errno()))
    """, preload=True)
    assert o["py"].blocked
    assert o["c"].value == (-1, 13)
    assert not target.exists()
