"""Red-team tests of what landed with the string pool and the pybind split.

Each attack is a test with its positive control next to it:
- a writable hole (or the fs_root) that the blocked code itself replaces by
  a symlink, to widen the next entry of the same blocker;
- the urllib3 frame rule of the network exceptions: a file under a urllib3/
  directory the attacker writes, catching ConnectBlocked as OSError and
  retrying by other routes;
- the sorted audit-event table: every event the old switch handled is
  still refused; ctypes.* prefixes; names not in the table.

Network: loopback only, and nothing waits for a packet. The child makes
its own listener on 127.0.0.1 before the block and afterwards asks it,
without blocking, whether anything arrived (a loopback connect or
datagram is queued before the call returns).
"""

import os

import pytest

from pyhelpers import check


# --- a hole replaced by a symlink between two entries ------------------------

SWAP = """
import os, shutil, sys
hole, outside, root = sys.argv[1], sys.argv[2], sys.argv[3]
def write(p):
    with open(p, "w") as f:
        f.write("x")
b = hermetic_blocker(fs_readonly=True, allow_write=[hole])
with b:
    attempt("first-in-hole", write, os.path.join(hole, "a"))
    attempt("first-outside", write, os.path.join(outside, "a"))
    # The blocked code replaces the hole itself (a path under the hole).
    attempt("swap-rmtree", shutil.rmtree, hole)
    attempt("swap-symlink", os.symlink, outside, hole)
note("is-link", os.path.islink(hole))
def second():
    with b:
        write(os.path.join(outside, "b"))
attempt("second-outside", second)
def second_in():
    with b:
        write(os.path.join(hole, "c"))
attempt("second-through-link", second_in)

# The same with fs_root: the root is its own hole.
os.makedirs(root + "/r", exist_ok=True)
r = root + "/r"
b2 = hermetic_blocker(fs_readonly=True, fs_root=r, allow_write=[r])
with b2:
    attempt("root-first-read-outside", lambda: open(os.path.join(outside, "a")).read())
    attempt("root-swap-rmtree", shutil.rmtree, r)
    attempt("root-swap-symlink", os.symlink, outside, r)
def root_second():
    with b2:
        return open(os.path.join(outside, "a")).read()
attempt("root-second-read-outside", root_second)

# A hole inside another hole: the inner one is a path under the outer.
outer = root + "/outer"
os.makedirs(outer + "/inner", exist_ok=True)
b3 = hermetic_blocker(fs_readonly=True, allow_write=[outer, outer + "/inner"])
with b3:
    attempt("nested-in-hole", write, outer + "/inner/x")
    def nested_swap():
        shutil.rmtree(outer + "/inner")
        os.symlink(outside, outer + "/inner")
    attempt("nested-swap", nested_swap)
def nested_second():
    with b3:
        write(os.path.join(outside, "d"))
attempt("nested-second-outside", nested_second)
"""


@pytest.mark.parametrize("preload", [False, True])
def test_hole_swapped_for_a_symlink_does_not_widen_the_next_entry(
        tmp_path, preload):
    hole = tmp_path / "hole"
    outside = tmp_path / "outside"
    root = tmp_path / "rootdir"
    hole.mkdir()
    outside.mkdir()
    root.mkdir()
    (outside / "a").write_text("secret")
    got, r = check(SWAP, preload=preload,
                   args=(str(hole), str(outside), str(root)))
    # Positive controls: the hole works, the outside does not.
    assert got["first-in-hole"].ok, r
    assert got["first-outside"].blocked, r
    # The swap itself: a path under the hole, so it is allowed.
    assert got["swap-rmtree"].ok and got["swap-symlink"].ok, r
    assert got["is-link"].value is True, r
    # The next entry must not make the symlink's target writable.
    assert not got["second-outside"].ok, r
    assert not (outside / "b").exists(), r
    assert not got["second-through-link"].ok, r
    assert not (outside / "c").exists(), r
    # fs_root: reads outside the root stay refused after the swap.
    assert got["root-first-read-outside"].blocked, r
    assert got["root-swap-rmtree"].ok and got["root-swap-symlink"].ok, r
    assert not got["root-second-read-outside"].ok, r
    assert got["nested-in-hole"].ok and got["nested-swap"].ok, r
    assert not got["nested-second-outside"].ok, r
    assert not (outside / "d").exists(), r
