"""Bad input to the launcher: each case exits with its defined code and a
`hermetic: ` message on stderr, and never runs the target (issue 2 "Bad
input", DESIGN.md section 3). Each sits next to the nearest valid input as
a control."""

import pytest

from conftest import BIN, hermetic_lines, run, run_hermetic


def touch_cmd(marker):
    return ["/usr/bin/touch", str(marker)]


def assert_refused(r, marker, code=1):
    assert r.rc == code, r
    assert hermetic_lines(r.err), r
    assert r.out == "", r
    assert not marker.exists(), f"target ran\n{r}"


BAD_FLAGS = [
    (["--fs-readonly="], "fs-readonly-empty"),
    (["--fs-readonly=/nonexistent-hermetic-root"], "fs-readonly-missing"),
    (["--fs-readonly=relative/does/not/exist"], "fs-readonly-missing-rel"),
    (["--no-network", "--allow-domain", ".a..b"], "domain-empty-label"),
    (["--no-network", "--allow-domain", "123"], "domain-numeric-label"),
    (["--no-network", "--allow-domain", "*"], "domain-star"),
    (["--no-network", "--allow-domain", ""], "domain-empty"),
    (["--no-network", "--allow-domain", "*."], "domain-star-dot"),
    (["--no-network", "--allow-domain", "exa mple.com"], "domain-space"),
    (["--no-network", "--allow-domain=", "--allow-localhost"],
     "domain-empty-eq"),
    (["--allow-write", "/tmp"], "allow-write-without-readonly"),
    (["--profile", "nope"], "unknown-profile"),
    (["--profile", ""], "empty-profile"),
    (["--no-such-flag"], "unknown-flag"),
    (["--no"], "ambiguous-prefix"),
    (["--allow-domain"], "missing-value"),
    (["--deny-import"], "missing-value-deny-import"),
    (["--no-network=yes"], "value-for-switch"),
]


@pytest.mark.parametrize("flags", [b[0] for b in BAD_FLAGS],
                         ids=[b[1] for b in BAD_FLAGS])
def test_bad_flags_refused(flags, workdir):
    marker = workdir / "ran"
    r = run_hermetic(flags, touch_cmd(marker), cwd=workdir)
    assert_refused(r, marker)


GOOD_FLAGS = [
    (["--fs-readonly=/"], "fs-readonly-root"),
    (["--no-network", "--allow-domain", "example.com"], "domain"),
    (["--no-network", "--allow-domain", "*.example.com"], "domain-star-sub"),
    (["--no-network", "--allow-domain", "Example.COM."], "domain-case-dot"),
    (["--profile", "exec-deny"], "profile"),
    (["--no-net"], "unambiguous-prefix"),
    (["--deny-import", "pickle"], "deny-import"),
]


@pytest.mark.parametrize("flags", [g[0] for g in GOOD_FLAGS],
                         ids=[g[1] for g in GOOD_FLAGS])
def test_good_flags_control(flags, workdir):
    r = run_hermetic(flags, ["/bin/sh", "-c", "echo ran"], cwd=workdir)
    assert r.rc == 0 and r.out == "ran\n", r


def test_allow_write_with_readonly_control(workdir):
    r = run_hermetic(["--fs-readonly", "--allow-write", str(workdir)],
                     touch_cmd(workdir / "ran"))
    assert r.rc == 0, r
    assert (workdir / "ran").exists()


def test_fs_readonly_root_is_a_file(workdir):
    f = workdir / "file"
    f.write_text("x\n")
    marker = workdir / "ran"
    r = run_hermetic([f"--fs-readonly={f}"], touch_cmd(marker))
    assert_refused(r, marker)


def test_missing_separator(workdir):
    marker = workdir / "ran"
    r = run([BIN, "--no-network", *touch_cmd(marker)])
    assert_refused(r, marker)


def test_nothing_after_separator(workdir):
    r = run([BIN, "--no-network", "--"], cwd=workdir)
    assert r.rc == 1 and hermetic_lines(r.err), r


def test_target_not_found(workdir):
    r = run_hermetic(["--no-network"], [str(workdir / "missing")])
    assert r.rc == 127 and hermetic_lines(r.err), r


def test_target_not_executable(workdir):
    t = workdir / "noexec"
    t.write_text("#!/bin/sh\ntouch " + str(workdir / "ran") + "\n")
    t.chmod(0o644)
    r = run_hermetic(["--no-network"], [str(t)])
    assert r.rc == 126 and hermetic_lines(r.err), r
    assert not (workdir / "ran").exists()


def test_target_is_directory(workdir):
    r = run_hermetic([], [str(workdir)])
    assert r.rc == 126 and hermetic_lines(r.err), r


def test_message_is_single_line_and_prefixed(workdir):
    r = run_hermetic(["--profile", "nope"], ["/bin/true"])
    assert r.rc == 1, r
    first = r.err.splitlines()[0]
    assert first.startswith("hermetic: "), r
