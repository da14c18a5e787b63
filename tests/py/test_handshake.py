"""_native attaches to the shim through an explicit handshake (issue 7
defect 4): the shim exports one object, ``hermetic_shim_handshake``, that
_native finds with dlsym(RTLD_DEFAULT, ...). /proc/self/maps is no longer
parsed, so it is no longer on the fs_root read exemptions."""

import subprocess
from conftest import BIN, LIB, PROBE, PYTHON, PYTHONPATH, run
from test_py_preload import with_connect


def test_proc_self_maps_refused_under_fs_root(workdir):
    (workdir / "f").write_text("inside\n")
    r = run([BIN, f"--fs-readonly={workdir}", "--", PROBE, "read",
             "/proc/self/maps"])
    assert r.line == "errno=EACCES", r
    # Positive controls: a file under the root is readable, and maps is
    # readable without an fs_root.
    r = run([BIN, f"--fs-readonly={workdir}", "--", PROBE, "read",
             str(workdir / "f")])
    assert r.line == "ok inside", r
    r = run([BIN, "--fs-readonly", "--", PROBE, "read", "/proc/self/maps"])
    assert r.line.startswith("ok "), r


def test_python_attaches_under_fs_root(workdir, tcp_listener):
    """With maps unreadable, _native still finds the shim's segment: the
    libc layer is live, and a hermetic_blocker block refuses a C-level
    connect (the shim reads the block from the shared segment)."""
    lst = tcp_listener()
    code = with_connect(f"""
        import hermetic
        from hermetic import hermetic_blocker
        print("layers", sorted(hermetic.layers()))
        with hermetic_blocker(block_network=True):
            print("inside", c_connect({lst.port}))
        try:
            open("/proc/self/maps").read()
            print("maps", "read")
        except OSError as e:
            print("maps", type(e).__name__)
    """)
    r = run([BIN, f"--fs-readonly={workdir}", "--", PYTHON, "-c", code])
    o = dict(line.split(" ", 1) for line in r.out.splitlines()
             if " " in line)
    assert o.get("layers") == "['libc', 'python']", r
    assert o.get("inside") == "(-1, 'ENETUNREACH')", r
    assert o.get("maps") == "FilesystemBlocked", r  # PolicyViolation+OSError
    assert lst.accepted() == 0


def test_handshake_symbol_is_the_one_private_export():
    out = subprocess.run(["nm", "-D", "--defined-only", LIB],
                         capture_output=True, text=True, check=True).stdout
    names = {line.split()[-1].split("@")[0] for line in out.splitlines()}
    assert "hermetic_shim_handshake" in names
    private = sorted(n for n in names if n.startswith("hermetic"))
    assert private == ["hermetic_shim_handshake"], private


def test_without_shim_python_owns_its_segment():
    # No shim: no handshake, the Python layer alone (layers() == python).
    r = run([PYTHON, "-c", "import hermetic; print(sorted(hermetic.layers()))"],
            env_extra={"PYTHONPATH": PYTHONPATH})
    assert r.line == "['python']", r
