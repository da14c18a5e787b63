"""The launcher's command line: help/version, argv splitting at `--`, flag
errors and prefixes, target resolution errors, exit-code passthrough, the
launcher's own exec under --no-subprocess, LD_PRELOAD merging and profile
union (original-hermetic.md section 1, DESIGN.md section 3)."""

import os
import re

import pytest

from conftest import (BIN, LIB, PROBE, hermetic_lines, run, run_hermetic,
                      run_probe)


def assert_usage_error(r, marker=None):
    """hermetic's own failure: exit 1, a `hermetic: ` line on stderr, and
    (when @marker is given) the target never ran."""
    assert r.rc == 1, r
    assert hermetic_lines(r.err), r
    if marker is not None:
        assert not os.path.exists(marker), f"target ran\n{r}"


# --- help and version ---------------------------------------------------

def test_help_long():
    r = run([BIN, "--help"])
    assert r.rc == 0, r
    assert "--no-network" in r.out and "--" in r.out, r
    assert r.err == "", r


def test_help_short():
    r = run([BIN, "-h"])
    assert r.rc == 0, r
    assert "--no-network" in r.out, r


def test_help_before_separator_does_not_run_target(workdir):
    marker = workdir / "ran"
    r = run_hermetic(["-h"], ["/usr/bin/touch", str(marker)])
    assert r.rc == 0, r
    assert not marker.exists(), r


def test_version():
    r = run([BIN, "--version"])
    assert r.rc == 0, r
    assert r.out.strip() == "hermetic 0.1.0", r


def test_version_before_separator_does_not_run_target(workdir):
    marker = workdir / "ran"
    r = run_hermetic(["--version"], ["/usr/bin/touch", str(marker)])
    assert r.rc == 0, r
    assert r.out.strip() == "hermetic 0.1.0", r
    assert not marker.exists(), r


# --- argv splitting -----------------------------------------------------

def test_missing_separator(workdir):
    marker = workdir / "ran"
    r = run([BIN, "--no-network", "/usr/bin/touch", str(marker)])
    assert_usage_error(r, marker)


def test_bare_hermetic():
    assert_usage_error(run([BIN]))


def test_nothing_after_separator():
    assert_usage_error(run([BIN, "--no-network", "--"]))


def test_separator_control_runs_target(workdir):
    marker = workdir / "ran"
    r = run_hermetic(["--no-network"], ["/usr/bin/touch", str(marker)])
    assert r.rc == 0, r
    assert marker.exists(), r


def test_later_separator_goes_to_target():
    r = run_hermetic([], ["/bin/echo", "a", "--", "b"])
    assert r.rc == 0, r
    assert r.out == "a -- b\n", r


def test_unknown_flag(workdir):
    marker = workdir / "ran"
    r = run_hermetic(["--no-such-flag"], ["/usr/bin/touch", str(marker)])
    assert_usage_error(r, marker)


def test_missing_value(workdir):
    marker = workdir / "ran"
    r = run_hermetic(["--allow-domain"], ["/usr/bin/touch", str(marker)])
    assert_usage_error(r, marker)


def test_missing_value_without_separator():
    assert_usage_error(run([BIN, "--profile"]))


def test_unknown_profile(workdir):
    marker = workdir / "ran"
    r = run_hermetic(["--profile", "no-such-profile"],
                     ["/usr/bin/touch", str(marker)])
    assert_usage_error(r, marker)
    assert "no-such-profile" in r.err, r


def test_known_profile_control(workdir):
    marker = workdir / "ran"
    r = run_hermetic(["--profile", "net-hermetic"],
                     ["/usr/bin/touch", str(marker)])
    assert r.rc == 0, r
    assert marker.exists(), r


def test_ambiguous_prefix(workdir):
    marker = workdir / "ran"
    r = run_hermetic(["--no"], ["/usr/bin/touch", str(marker)])
    assert_usage_error(r, marker)


def test_unambiguous_prefix_is_accepted_and_effective(tcp_listener):
    lst = tcp_listener()
    r = run_probe(["connect", "127.0.0.1", str(lst.port)], ["--no-net"])
    assert r.rc == 1, r
    assert r.line == "errno=ENETUNREACH", r
    assert lst.accepted() == 0


# --- target resolution ----------------------------------------------------

def test_target_not_found(workdir):
    r = run_hermetic([], [str(workdir / "does-not-exist")])
    assert r.rc == 127, r
    assert hermetic_lines(r.err), r


def test_target_not_found_on_path():
    r = run_hermetic([], ["hermetic-no-such-command-xyz"])
    assert r.rc == 127, r
    assert hermetic_lines(r.err), r


def test_target_not_executable(workdir):
    target = workdir / "plain.txt"
    target.write_text("#!/bin/sh\nexit 0\n")
    target.chmod(0o644)
    r = run_hermetic([], [str(target)])
    assert r.rc == 126, r
    assert hermetic_lines(r.err), r


def test_target_executable_control(workdir):
    target = workdir / "script.sh"
    target.write_text("#!/bin/sh\nexit 0\n")
    target.chmod(0o755)
    r = run_hermetic([], [str(target)])
    assert r.rc == 0, r


def test_target_found_on_path():
    r = run_hermetic([], ["echo", "hello"])
    assert r.rc == 0, r
    assert r.out == "hello\n", r


# --- exit codes -----------------------------------------------------------

def test_exit_code_passthrough():
    assert run_hermetic([], ["sh", "-c", "exit 7"]).rc == 7
    assert run_hermetic(["--no-network"], ["sh", "-c", "exit 7"]).rc == 7
    assert run_hermetic([], ["sh", "-c", "exit 0"]).rc == 0
    assert run_hermetic([], ["sh", "-c", "exit 255"]).rc == 255


def test_signal_death_passthrough():
    """The launcher execs the target, so a signal death is the caller's
    to see (a shell would report 128+15)."""
    r = run_hermetic([], ["sh", "-c", "kill -TERM $$"])
    assert r.rc in (-15, 143), r


# --- the launcher's own exec vs. no-subprocess ---------------------------

def test_no_subprocess_allows_launchers_own_exec():
    r = run_hermetic(["--no-subprocess"], ["/bin/true"])
    assert r.rc == 0, r


def test_no_subprocess_refuses_what_target_starts():
    r = run_hermetic(["--no-subprocess"], ["sh", "-c", "/bin/true"])
    assert r.rc != 0, r
    # sh's fork is refused with EACCES (the fork family); dash reports it
    assert "Cannot fork" in r.err, r


def test_no_subprocess_shell_control():
    r = run_hermetic([], ["sh", "-c", "/bin/true"])
    assert r.rc == 0, r


# --- every flag of the original is accepted ------------------------------

@pytest.mark.parametrize("flags", [
    ["--no-network"], ["--allow-localhost"],
    ["--no-network", "--allow-domain", "example.com",
     "--allow-domain", "example.org"],
    ["--no-subprocess"], ["--fs-readonly"], ["--fs-readonly=/"],
    ["--no-environment"], ["--no-env"], ["--no-code-exec"],
    ["--no-interpreter-mutation"], ["--block-native"],
    ["--deny-import", "pickle", "--deny-import", "marshal"],
    ["--profile", "block-all"], ["--trace"], ["--seal"],
], ids=lambda f: "_".join(f))
def test_every_flag_accepted(flags):
    r = run_hermetic(flags, ["/bin/sh", "-c", "exit 0"])
    assert r.rc == 0 and r.out == "" and r.err == "", r


def test_seal_keeps_guards(tcp_listener):
    lst = tcp_listener()
    r = run_probe(["connect", "127.0.0.1", str(lst.port)],
                  ["--seal", "--no-network"])
    assert r.line == "errno=ENETUNREACH", r
    assert lst.accepted() == 0


# --- environment handed to the target ----------------------------------

def _preload_entries(value):
    return [e for e in re.split(r"[: ]", value) if e]


def test_preload_set_for_target():
    r = run_probe(["env", "LD_PRELOAD"], ["--no-network"])
    assert r.rc == 0, r
    entries = _preload_entries(r.line[len("ok "):])
    assert entries and os.path.samefile(entries[0], LIB), r


def test_existing_preload_kept_after_hermetics_own():
    r = run_probe(["env", "LD_PRELOAD"], ["--no-network"],
                  env_extra={"LD_PRELOAD": "libm.so.6"})
    assert r.rc == 0, r
    entries = _preload_entries(r.line[len("ok "):])
    assert len(entries) >= 2, r
    assert os.path.samefile(entries[0], LIB), r
    assert "libm.so.6" in entries[1:], r


def test_existing_preload_not_duplicated_or_dropped_by_env():
    r = run_hermetic(["--no-network"], ["env"],
                     env_extra={"LD_PRELOAD": "libm.so.6"})
    assert r.rc == 0, r
    lines = [l for l in r.out.splitlines() if l.startswith("LD_PRELOAD=")]
    assert len(lines) == 1, r
    assert "libm.so.6" in lines[0], r


def test_policy_variable_set_for_target():
    r = run_probe(["env", "HERMETIC_POLICY"], ["--no-network"])
    assert r.rc == 0, r
    assert re.fullmatch(r"ok [0-9a-f]+", r.line), r


# --- profiles -------------------------------------------------------------

def test_profiles_union_blocks_both(tcp_listener):
    flags = ["--profile", "net-hermetic", "--profile", "exec-deny"]
    # net-hermetic blocks the network except loopback: a non-loopback
    # family is refused; exec-deny refuses exec.
    r = run_probe(["socket", "packet"], flags)
    assert r.line == "errno=EACCES", r
    r = run_probe(["execve", "/bin/true"], flags)
    assert r.line == "errno=EACCES", r
    # net-hermetic keeps loopback open
    lst = tcp_listener()
    r = run_probe(["connect", "127.0.0.1", str(lst.port)], flags)
    assert r.line == "ok", r
    assert lst.accepted() == 1


def test_single_profile_controls():
    r = run_probe(["execve", "/bin/echo", "ran"], ["--profile", "net-hermetic"])
    assert r.out == "ran\n", r
    r = run_probe(["socket", "inet"], ["--profile", "exec-deny"])
    assert r.line == "ok", r


def test_profile_and_flag_union(tcp_listener):
    lst = tcp_listener()
    flags = ["--profile", "exec-deny", "--no-network"]
    r = run_probe(["connect", "127.0.0.1", str(lst.port)], flags)
    assert r.line == "errno=ENETUNREACH", r
    assert lst.accepted() == 0
    r = run_probe(["execve", "/bin/true"], flags)
    assert r.line == "errno=EACCES", r


def test_profile_block_all(workdir, tcp_listener):
    lst = tcp_listener()
    flags = ["--profile", "block-all"]
    assert run_probe(["connect", "127.0.0.1", str(lst.port)],
                     flags).line == "errno=ENETUNREACH"
    assert lst.accepted() == 0
    assert run_probe(["execve", "/bin/true"], flags).line == "errno=EACCES"
    r = run_probe(["open", str(workdir / "f"), "w"], flags)
    assert r.line == "errno=EACCES", r
    assert not (workdir / "f").exists()
    assert run_probe(["dlopen", "libm.so.6"], flags).line.startswith(
        "dlerror=")


def test_probe_exists():
    assert os.access(PROBE, os.X_OK)
