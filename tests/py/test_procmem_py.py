"""Python layer: writing process memory through procfs (issue 8 class 1).

``open('/proc/self/mem', 'r+b')`` from pure Python can overwrite any byte of
the process, the policy stack and the check functions included. While any
guard is active the audit hook refuses every write-intent open that reaches
process memory: /proc/self/mem, /proc/<pid>/mem, /proc/thread-self/mem,
/proc/self/task/<tid>/mem, a symlink to one, /proc/self/fd/N naming one,
``os.open("mem", dir_fd=<fd of /proc/self>)``, and map_files/ entries. Run
with and without LD_PRELOAD (the shim side is another helper's; the Python
layer must hold alone). Each refusal has a control: a read-only open, an
ordinary write, and the same write with no guard.
"""

import pytest

from pyhelpers import check

ATTACKS = r'''
import os, sys, threading

pid = os.getpid()
tid = threading.get_native_id()
tmp = sys.argv[1]
ro = os.open("/proc/self/mem", os.O_RDONLY)
procdir = os.open("/proc/self", os.O_RDONLY)
link = os.path.join(tmp, "memlink")
os.symlink("/proc/self/mem", link)
try:
    mapped = sorted(os.listdir("/proc/self/map_files"))[0]
except OSError:
    mapped = None

def poke():
    """The attack itself: overwrite the bytes of a bytes object."""
    b = bytes(b"A" * 16)
    with open("/proc/self/mem", "r+b", buffering=0) as f:
        f.seek(id(b) + sys.getsizeof(b"") - 1)
        f.write(b"Z")
    return b[:2]

def cases(prefix):
    attempt(prefix + "poke", poke)
    attempt(prefix + "open_rplus", open, "/proc/self/mem", "r+b")
    attempt(prefix + "open_wb", open, "/proc/self/mem", "wb")
    attempt(prefix + "os_rdwr", os.open, "/proc/self/mem", os.O_RDWR)
    attempt(prefix + "os_wronly", os.open, "/proc/self/mem", os.O_WRONLY)
    attempt(prefix + "pid", open, f"/proc/{pid}/mem", "r+b")
    attempt(prefix + "thread_self", open, "/proc/thread-self/mem", "r+b")
    attempt(prefix + "task", open, f"/proc/self/task/{tid}/mem", "r+b")
    attempt(prefix + "dots", open, "/proc/./self/../self/mem", "r+b")
    attempt(prefix + "symlink", open, link, "r+b")
    attempt(prefix + "fd_reopen", open, f"/proc/self/fd/{ro}", "r+b")
    attempt(prefix + "dir_fd", os.open, "mem", os.O_RDWR, dir_fd=procdir)
    attempt(prefix + "fileio", __import__("io").FileIO, "/proc/self/mem",
            "r+")
    if mapped:
        attempt(prefix + "map_files", open,
                "/proc/self/map_files/" + mapped, "r+b")

# Without any guard the attack works (it is what the guard must stop).
cases("free_")
with hermetic_blocker(block_network=True):
    cases("net_")
    # Controls under the guard.
    attempt("ctl_read", lambda: open("/proc/self/mem", "rb").close())
    attempt("ctl_maps", lambda: open("/proc/self/maps").read(10))
    attempt("ctl_write", lambda: open(os.path.join(tmp, "f"), "w").write("x"))
    os.chdir(tmp)
    os.close(procdir)
    attempt("ctl_rel_mem", lambda: open("mem", "w").write("x"))
with hermetic_blocker(block_environment=True):
    attempt("env_os_rdwr", os.open, "/proc/self/mem", os.O_RDWR)
with hermetic_blocker(deny_imports=["nosuchmodule"]):
    attempt("imp_open_rplus", open, "/proc/self/mem", "r+b")
note("has_map_files", mapped is not None)
'''

REFUSED = ["poke", "open_rplus", "open_wb", "os_rdwr", "os_wronly", "pid",
           "thread_self", "task", "dots", "symlink", "fd_reopen", "dir_fd",
           "fileio"]


@pytest.mark.parametrize("preload", [False, True],
                         ids=["python-only", "with-shim"])
def test_proc_mem_write_refused(preload, tmp_path):
    got, r = check(ATTACKS, preload=preload, args=[str(tmp_path)])
    labels = list(REFUSED)
    if got["has_map_files"].value:
        labels.append("map_files")
    for label in labels:
        # The attack needs no guard to work ...
        assert not got["free_" + label].blocked, (label, got, r)
        # ... and any guard stops it.
        o = got["net_" + label]
        assert o.blocked, (label, o, r)
        assert o.guard == "interpreter", o
        assert o.message.startswith("process memory write disabled"), o
    assert got["free_poke"].ok and "ZA" in got["free_poke"].fields[0], got
    assert got["env_os_rdwr"].blocked, got
    assert got["imp_open_rplus"].blocked, got
    for label in ("ctl_read", "ctl_maps", "ctl_write", "ctl_rel_mem"):
        assert got[label].ok, (label, got[label], r)
