"""Hard links inside fs_root (issue 8 class 12): the guarantee we give.

A hard link under the root to a file outside it is a second name of the
same inode and is read like any file under the root: which other names an
inode has cannot be decided. What hermetic guarantees (docs/guards/
filesystem.md) is that, while fs_readonly is active, the guarded process
cannot *make* such a link (not even into an --allow-write hole), in the
Python layer and the libc layer, and that a symlink to the same outside
file is refused. This file tests that guarantee and pins the documented
limit (a link made before the block is readable).
"""

import os

import pytest

from conftest import run_hermetic
from pyhelpers import check


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "root"
    hole = root / "hole"
    out = tmp_path / "out"
    hole.mkdir(parents=True)
    out.mkdir()
    secret = out / "secret.txt"
    secret.write_text("secret\n")
    mine = hole / "mine.txt"
    mine.write_text("mine\n")
    os.link(secret, root / "pre-link")
    os.symlink(secret, root / "sym")
    return root, hole, out, secret, mine


CODE = r'''
import os, sys
root, hole, secret, mine = sys.argv[1:5]
src_dir = os.open(os.path.dirname(secret), os.O_RDONLY)
dst_dir = os.open(hole, os.O_RDONLY)
with hermetic_blocker(fs_readonly=True, fs_root=root, allow_write=[hole]):
    attempt("read_pre_link", lambda: open(os.path.join(root, "pre-link")).read())
    attempt("read_symlink", lambda: open(os.path.join(root, "sym")).read())
    attempt("read_outside", lambda: open(secret).read())
    attempt("link_outside_into_hole", os.link, secret,
            os.path.join(hole, "new"))
    attempt("link_outside_into_root", os.link, secret,
            os.path.join(root, "new"))
    attempt("linkat_dirfd", os.link, "secret.txt", "new2",
            src_dir_fd=src_dir, dst_dir_fd=dst_dir)
    attempt("write_hole", lambda: open(os.path.join(hole, "w"), "w").write("x"))
attempt("link_after", os.link, secret, os.path.join(hole, "after"))
'''


@pytest.mark.parametrize("preload", [False, True],
                         ids=["python-only", "with-shim"])
def test_no_new_hard_link_under_fs_readonly(preload, tree):
    root, hole, out, secret, mine = tree
    got, r = check(CODE, preload=preload,
                   args=[str(root), str(hole), str(secret), str(mine)])
    for label in ("link_outside_into_hole", "link_outside_into_root",
                  "linkat_dirfd"):
        assert got[label].blocked, (label, got[label], r)
        assert not (hole / "new").exists() and not (root / "new").exists()
    assert got["read_symlink"].blocked, r
    assert got["read_outside"].blocked, r
    # Controls: writing in the hole works; linking after the block works.
    assert got["write_hole"].ok, r
    assert got["link_after"].ok, r
    # The documented limit: a link made before the block is read through.
    assert got["read_pre_link"].ok and "secret" in got[
        "read_pre_link"].fields[0], r


def test_launcher_refuses_ln_into_hole(tree):
    root, hole, out, secret, mine = tree
    flags = [f"--fs-readonly={root}", "--allow-write", str(hole)]
    r = run_hermetic(flags, ["ln", str(secret), str(hole / "new")])
    assert r.rc != 0 and not (hole / "new").exists(), r
    # Control: a file inside the hole may be linked inside the hole.
    r = run_hermetic(flags, ["ln", str(mine), str(hole / "mine2")])
    assert r.rc == 0 and (hole / "mine2").exists(), r
    # The documented limit, through the libc layer: cat reads the old link.
    r = run_hermetic(flags, ["cat", str(root / "pre-link")])
    assert r.rc == 0 and r.out == "secret\n", r
    r = run_hermetic(flags, ["cat", str(root / "sym")])
    assert r.rc != 0 and "secret" not in r.out, r
