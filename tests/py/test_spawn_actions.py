"""posix_spawn open file actions with a RELATIVE path (issue 7 item 5,
docs/guards/filesystem.md): the path is resolved where the child would
resolve it, in its working directory at spawn time after the earlier
addchdir_np/addfchdir_np actions. Inside an --allow-write hole it is
allowed, outside refused; a directory swapped for a symlink between
addopen and the spawn (issue 8 class 10) is still caught, because the
parent performs the checked open at spawn time and hands the child that
descriptor. The helper is tests/fixtures/spawnprobe.c."""
import os

import pytest

from conftest import PROBE, run, run_hermetic, trace_lines

SPAWNPROBE = os.path.join(os.path.dirname(PROBE), "spawnprobe")


@pytest.fixture
def tree(workdir):
    """workdir/hole (the --allow-write hole, with sub/), workdir/out."""
    (workdir / "hole" / "sub").mkdir(parents=True)
    (workdir / "out").mkdir()
    return workdir


def ro(tree):
    return ["--trace", "--fs-readonly", "--allow-write", str(tree / "hole")]


def sp(flags, args, cwd):
    return run_hermetic(flags, [SPAWNPROBE, *args], cwd=cwd)


def refused(r):
    return r.line == "rc=EACCES" and any(
        l.startswith("[hermetic] blocked posix_spawn_file_actions_addopen ")
        and "reason=fs-readonly" in l for l in trace_lines(r.err))


def test_relative_write_in_hole_cwd_allowed(tree):
    r = sp(ro(tree), ["rel.txt"], tree / "hole")
    assert r.line == "ok", r
    assert (tree / "hole" / "rel.txt").read_text() == "written\n"
    assert trace_lines(r.err) == [], r


def test_relative_write_outside_hole_refused(tree):
    r = sp(ro(tree), ["rel.txt"], tree / "out")
    assert refused(r), r
    assert not (tree / "out" / "rel.txt").exists()


def test_relative_dotdot_out_of_hole_refused(tree):
    r = sp(ro(tree), ["../out/x"], tree / "hole")
    assert refused(r), r
    assert list((tree / "out").iterdir()) == []


@pytest.mark.parametrize("how", ["-c", "-f"], ids=["addchdir", "addfchdir"])
def test_chdir_action_into_hole_allowed(tree, how):
    r = sp(ro(tree), [how, str(tree / "hole"), "c.txt"], tree / "out")
    assert r.line == "ok", r
    assert (tree / "hole" / "c.txt").read_text() == "written\n"
    assert not (tree / "out" / "c.txt").exists()


@pytest.mark.parametrize("how", ["-c", "-f"], ids=["addchdir", "addfchdir"])
def test_chdir_action_out_of_hole_refused(tree, how):
    r = sp(ro(tree), [how, str(tree / "out"), "c.txt"], tree / "hole")
    assert refused(r), r
    assert not (tree / "out" / "c.txt").exists()
    assert not (tree / "hole" / "c.txt").exists()


def test_relative_chdir_action_resolved_from_cwd(tree):
    """addchdir("../out") from the hole: relative to the child's cwd."""
    r = sp(ro(tree), ["-c", "../out", "c.txt"], tree / "hole")
    assert refused(r), r
    ok = sp(ro(tree), ["-c", "../hole/sub", "c.txt"], tree / "out")
    assert ok.line == "ok", ok
    assert (tree / "hole" / "sub" / "c.txt").exists()


def test_chdir_action_after_the_open_does_not_move_it(tree):
    """A chdir added after the open action happens after the open."""
    r = sp(ro(tree), ["-a", str(tree / "out"), "a.txt"], tree / "hole")
    assert r.line == "ok", r
    assert (tree / "hole" / "a.txt").exists()
    r = sp(ro(tree), ["-a", str(tree / "hole"), "a.txt"], tree / "out")
    assert refused(r), r
    assert not (tree / "out" / "a.txt").exists()


def test_directory_swapped_for_symlink_before_spawn_refused(tree):
    """hole/sub is a directory when the action is added and a symlink to
    ../out when posix_spawn runs: the spawn-time open sees the symlink."""
    r = sp(ro(tree), ["-s", "sub:../out", "sub/x"], tree / "hole")
    assert refused(r), r
    assert list((tree / "out").iterdir()) == []


def test_directory_not_swapped_control(tree):
    r = sp(ro(tree), ["sub/x"], tree / "hole")
    assert r.line == "ok", r
    assert (tree / "hole" / "sub" / "x").read_text() == "written\n"


def test_absolute_path_in_hole_control(tree):
    r = sp(ro(tree), [str(tree / "hole" / "abs.txt")], tree / "out")
    assert r.line == "ok", r
    assert (tree / "hole" / "abs.txt").exists()


def test_relative_read_under_fs_root(workdir):
    root = workdir / "root"
    (root / "in").mkdir(parents=True)
    (root / "g").write_text("inside\n")
    (workdir / "f").write_text("outside\n")
    flags = ["--trace", f"--fs-readonly={root}"]
    r = run_hermetic(flags, [SPAWNPROBE, "-r", "g"], cwd=root)
    assert r.out == "inside\nok\n", r
    r = run_hermetic(flags, [SPAWNPROBE, "-r", "../f"], cwd=root)
    assert r.line == "rc=EACCES" and "outside" not in r.out, r
    assert any("reason=fs-root" in l for l in trace_lines(r.err)), r
    r = run_hermetic(flags, [SPAWNPROBE, "-c", "in", "-r", "../g"], cwd=root)
    assert r.out == "inside\nok\n", r


def test_without_policy_relative_outside_works(tree):
    r = sp(["--no-network"], ["rel.txt"], tree / "out")
    assert r.line == "ok", r
    assert (tree / "out" / "rel.txt").exists()
    assert run([SPAWNPROBE, "bare.txt"], cwd=tree / "out").line == "ok"
