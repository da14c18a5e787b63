"""Issue 10 item 10: acquiring a descriptor is gated, wrapping one is not.
open(fd, ...) / os.fdopen of a descriptor the process holds (stdout, a
memfd, a pipe, one opened before the block) is allowed by the Python
layer, as the shim already allows it. A re-open by name
(/proc/self/fd/N, /dev/fd/N, /dev/stdout) is allowed when the held
descriptor already grants the access asked for (the shim's held_reopen
rule); a write-intent re-open of a read-only descriptor is an upgrade,
that is acquiring, and stays refused under fs_readonly."""

import pytest

from conftest import py_argv, run_hermetic
from pyhelpers import check

RO = ["--fs-readonly"]


def test_wrap_held_descriptors_launcher(workdir):
    target = workdir / "f.txt"
    target.write_text("data")
    code = f"""
import os, sys, functools
print = functools.partial(print, flush=True)
f = open(1, "w", closefd=False); f.write("stdout-wrap\\n"); f.flush()
m = os.memfd_create("x"); g = open(m, "w+b"); g.write(b"mem"); g.seek(0)
print(g.read().decode()); g.close()
r, w = os.pipe(); os.fdopen(w, "wb").write(b"pipe"); print(os.fdopen(r, "rb").read().decode())
ro = os.open({str(target)!r}, os.O_RDONLY)
print(open(f"/proc/self/fd/{{ro}}").read())
print(open(f"/dev/fd/{{ro}}").read())
with open("/dev/stdout", "w") as s:
    s.write("devstdout\\n")
try:
    open(f"/proc/self/fd/{{ro}}", "w")
    print("upgrade allowed")
except PermissionError as e:
    print("upgrade refused", type(e).__name__)
try:
    open({str(target)!r}, "w")
    print("write allowed")
except PermissionError as e:
    print("write refused")
"""
    r = run_hermetic(RO, py_argv(code), cwd=workdir)
    assert r.rc == 0, r
    assert r.out.splitlines() == [
        "stdout-wrap", "mem", "pipe", "data", "data", "devstdout",
        "upgrade refused FilesystemBlocked", "write refused"], r
    assert target.read_text() == "data"
    control = run_hermetic([], py_argv(code), cwd=workdir)
    assert control.out.splitlines()[-2:] == ["upgrade allowed",
                                              "write allowed"], control


@pytest.mark.parametrize("preload", [False, True])
def test_wrap_held_descriptors_api(workdir, preload):
    target = workdir / "g.txt"
    target.write_text("data")
    got, r = check(f"""
        import os
        w_before = os.open({str(target)!r}, os.O_WRONLY | os.O_APPEND)
        ro = os.open({str(target)!r}, os.O_RDONLY)
        with hermetic_blocker(fs_readonly=True):
            attempt("stdout", lambda: open(1, "w", closefd=False).write("x\\n"))
            attempt("memfd", lambda: open(os.memfd_create("m"), "wb").write(b"y"))
            attempt("proc-read", lambda: open(f"/proc/self/fd/{{ro}}").read())
            attempt("held-writable", lambda: os.fdopen(w_before, "a").write("z"))
            attempt("proc-upgrade", open, f"/proc/self/fd/{{ro}}", "w")
            attempt("acquire", open, {str(target)!r}, "a")
    """, preload=preload)
    for k in ("stdout", "memfd", "held-writable", "proc-read"):
        assert got[k].kind == "ok", (k, r)
    assert got["proc-read"].fields[0] == "'data'", r
    assert got["proc-upgrade"].kind == "blocked", r
    assert got["acquire"].kind == "blocked", r
    assert target.read_text() == "dataz"
