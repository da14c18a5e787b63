"""Old symbol versions reach the shim too (issue 7, versioned exports).

A program linked before glibc 2.27 calls glob@GLIBC_2.2.5, one linked
before 2.34 shm_open@GLIBC_2.2.5. Those versions are exported by the shim
and judged like the default ones: the old glob is forwarded to glibc's old
glob (which calls gl_stat, not gl_lstat) with the same fs_root rule.
"""

from conftest import fixture_path, run, run_hermetic


def test_old_glob_confined_to_root(tmp_path):
    exe = fixture_path("globold")  # tests/fixtures/globold.c
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


def test_old_glob_unconfined_without_root():
    exe = fixture_path("globold")
    r = run_hermetic(["--no-network"], [str(exe), "/etc/*"])
    assert r.line.startswith("rc=0 ") and r.line != "rc=0 n=0", r
