"""Old symbol versions reach the shim too (issue 7, versioned exports).

A program linked before glibc 2.27 calls glob@GLIBC_2.2.5, one linked
before 2.34 shm_open@GLIBC_2.2.5. Those versions are exported by the shim
and judged like the default ones: the old glob is forwarded to glibc's old
glob (which calls gl_stat, not gl_lstat) with the same fs_root rule.
"""

import shutil
import subprocess
import textwrap

import pytest

from conftest import run, run_hermetic


@pytest.fixture(scope="module")
def gcc():
    """Path of gcc, for the small C program; CI installs it."""
    path = shutil.which("gcc")
    if not path:
        pytest.fail("gcc is needed to build the old-glob program")
    return path

GLOB_OLD = r"""
#include <glob.h>
#include <stdio.h>
__asm__(".symver glob,glob@GLIBC_2.2.5");
int main(int argc, char **argv)
{
	glob_t g;
	int r = glob(argv[1], 0, 0, &g);

	printf("rc=%d n=%zu\n", r, r == 0 ? g.gl_pathc : (size_t)0);
	return 0;
}
"""


def _build(gcc, tmp, name, src):
    c = tmp / (name + ".c")
    c.write_text(textwrap.dedent(src))
    exe = tmp / name
    subprocess.run([gcc, "-O0", "-o", str(exe), str(c)], check=True)
    return exe


def test_old_glob_confined_to_root(tmp_path, gcc):
    exe = _build(gcc, tmp_path, "globold", GLOB_OLD)
    root = tmp_path / "root"
    root.mkdir()
    (root / "a").write_text("x")
    (root / "b").write_text("y")
    # Bare: the old glob lists /etc.
    bare = run([str(exe), "/etc/*"])
    assert bare.line.startswith("rc=0 ") and bare.line != "rc=0 n=0", bare
    # Under a root outside /etc: nothing listed (GLOB_NOMATCH or ABORTED).
    r = run_hermetic([f"--fs-readonly={root}"], [str(exe), "/etc/*"])
    assert r.line in ("rc=3 n=0", "rc=2 n=0"), r
    # Control: inside the root the old glob still works.
    r = run_hermetic([f"--fs-readonly={root}"], [str(exe), f"{root}/*"])
    assert r.line == "rc=0 n=2", r


def test_old_glob_unconfined_without_root(tmp_path, gcc):
    exe = _build(gcc, tmp_path, "globold", GLOB_OLD)
    r = run_hermetic(["--no-network"], [str(exe), "/etc/*"])
    assert r.line.startswith("rc=0 ") and r.line != "rc=0 n=0", r
