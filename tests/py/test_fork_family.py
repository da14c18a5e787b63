"""The fork family under block_subprocess (issue 7, docs/guards/subprocess.md):
fork, __fork, _Fork, vfork, __vfork, clone, __clone, daemon, forkpty and the
syscall() spellings SYS_fork, SYS_vfork, SYS_clone, SYS_clone3 are refused
with EACCES; threads (clone with CLONE_THREAD, pthread_create) are not;
without --no-subprocess every entry point works. The helper is
tests/fixtures/forkprobe.c (built next to the probe)."""
import os
import shutil

import pytest

from conftest import PROBE, PYTHON, run, run_hermetic, run_preloaded, \
    trace_lines

FORKPROBE = os.path.join(os.path.dirname(PROBE), "forkprobe")
NOSUB = ["--no-subprocess", "--trace"]
# Every other guard: a fork is not their business.
OTHERS = ["--no-network", "--fs-readonly", "--block-native"]

# entry point -> the api name its refusal is traced under
PROCESS_ENTRIES = {
    "fork": "fork",
    "__fork": "__fork",
    "_Fork": "_Fork",
    "vfork": "vfork",
    "__vfork": "__vfork",
    "clone": "clone",
    "__clone": "__clone",
    "daemon": "daemon",
    "forkpty": "forkpty",
    "sys-fork": "fork",
    "sys-vfork": "vfork",
    "sys-clone": "clone",
    "sys-clone-hi": "clone",
    "sys-clone3": "clone3",
}
THREAD_ENTRIES = ["clone-thread", "pthread"]


def fp(flags, *args, **kw):
    return run_hermetic(flags, [FORKPROBE, *args], **kw)


def has_pty():
    return os.path.exists("/dev/ptmx") and os.path.isdir("/dev/pts")


@pytest.mark.parametrize("entry", sorted(PROCESS_ENTRIES))
def test_new_process_refused_under_no_subprocess(entry):
    r = fp(NOSUB, entry)
    assert r.line == "errno=EACCES", r
    api = PROCESS_ENTRIES[entry]
    assert any(l == f"[hermetic] blocked {api} reason=no-subprocess"
               for l in trace_lines(r.err)), r


# Not "sys-vfork": allowed, syscall(SYS_vfork) is forwarded as made, and a
# raw vfork through syscall() corrupts its caller's stack (bare too), so
# there is no "ok" to observe; its refusal is tested above.
@pytest.mark.parametrize("flags", [[], OTHERS], ids=["none", "other-guards"])
@pytest.mark.parametrize("entry", sorted(set(PROCESS_ENTRIES) - {"sys-vfork"}))
def test_new_process_allowed_without_no_subprocess(entry, flags):
    if entry == "forkpty" and not has_pty():
        pytest.skip("no /dev/ptmx or /dev/pts in this container")
    r = fp(["--trace", *flags], entry)
    assert r.line == "ok", r
    assert trace_lines(r.err) == [], r


@pytest.mark.parametrize("flags", [NOSUB, NOSUB + OTHERS],
                         ids=["no-subprocess", "every-guard"])
@pytest.mark.parametrize("entry", THREAD_ENTRIES)
def test_threads_still_work(entry, flags):
    """pthread_create (glibc's internal clone) and a public clone() with
    CLONE_THREAD make threads, not processes: never refused."""
    r = fp(flags, entry)
    assert r.line == "ok", r
    assert trace_lines(r.err) == [], r


def test_invalid_policy_refuses_fork():
    """An unreadable policy fails closed for a fork too; a thread runs."""
    r = run_preloaded([FORKPROBE, "fork"], policy="not-a-policy")
    assert r.line == "errno=EACCES", r
    ok = run_preloaded([FORKPROBE, "pthread"], policy="not-a-policy")
    assert ok.line == "ok", ok


def test_clone3_flags_checked_are_the_flags_the_kernel_gets():
    """syscall(SYS_clone3) while another thread keeps flipping CLONE_THREAD
    in the struct: the shim checks a copy and hands the kernel that copy,
    so a struct judged "thread" can never become a process. Without the
    CLONE_VM a thread needs, the kernel refuses the thread form (EINVAL):
    every try is either refused (EACCES) or EINVAL, never a process."""
    r = fp(NOSUB, "clone3-race", "400")
    counts = dict(kv.split("=") for kv in r.line.split())
    assert counts["forked"] == "0", r
    assert int(counts["refused"]) + int(counts["other"]) == 400, r


def test_clone3_without_guard_control():
    r = fp(["--no-network"], "sys-clone3")
    assert r.line == "ok", r


def test_audit_mode_records_and_forks(workdir):
    report = workdir / "audit.json"
    r = run_hermetic([f"--audit={report}", "--no-subprocess"],
                     [FORKPROBE, "fork"])
    assert r.line == "ok", r
    assert "fork" in report.read_text(), r


# --- the launch chain and real programs --------------------------------

SYS_PATH = "/usr/local/bin:/usr/bin:/bin"


@pytest.mark.skipif(not shutil.which("timeout"), reason="no timeout(1)")
def test_chain_wrapper_forks_its_command_but_the_command_cannot():
    """timeout forks the one program it runs (the launch chain); that
    program is not a wrapper, so its own fork is refused."""
    r = run_hermetic(NOSUB, ["timeout", "60", FORKPROBE, "fork"],
                     env_extra={"PATH": SYS_PATH})
    assert r.line == "errno=EACCES", r
    ok = run_hermetic(NOSUB, ["timeout", "60", FORKPROBE, "pthread"],
                      env_extra={"PATH": SYS_PATH})
    assert ok.rc == 0 and ok.line == "ok", ok


def test_python_os_fork_refusal_unchanged():
    """The Python layer refuses os.fork before the C fork is reached."""
    r = run_hermetic(NOSUB, [PYTHON, "-c", "import os; os.fork()"])
    assert r.rc == 2 and "subprocess disabled" in r.err, r
    ok = run_hermetic(NOSUB, [PYTHON, "-c",
                              "import threading; t = threading.Thread("
                              "target=print, args=('t-ok',)); t.start();"
                              " t.join()"])
    assert ok.rc == 0 and ok.line == "t-ok", ok


@pytest.mark.skipif(not shutil.which("gcc"), reason="no gcc")
def test_gcc_refused_under_no_subprocess_and_works_otherwise(workdir):
    src = workdir / "t.c"
    src.write_text("int main(void) { return 0; }\n")
    r = run_hermetic(NOSUB, ["gcc", "-c", str(src), "-o",
                             str(workdir / "a.o")],
                     env_extra={"PATH": SYS_PATH})
    assert r.rc != 0 and not (workdir / "a.o").exists(), r
    assert any("reason=no-subprocess" in l for l in trace_lines(r.err)), r
    ok = run_hermetic(["--no-network"], ["gcc", "-c", str(src), "-o",
                                         str(workdir / "b.o")],
                      env_extra={"PATH": SYS_PATH})
    assert ok.rc == 0 and (workdir / "b.o").exists(), ok


@pytest.mark.skipif(not shutil.which("git"), reason="no git")
def test_git_under_no_network_still_forks(workdir):
    repo = workdir / "repo"
    r = run_hermetic(["--no-network"], ["git", "init", "-q", str(repo)],
                     env_extra={"PATH": SYS_PATH})
    assert r.rc == 0, r
    r = run_hermetic(["--no-network"], ["git", "-C", str(repo), "status",
                                        "--short"],
                     env_extra={"PATH": SYS_PATH, "HOME": str(workdir)})
    assert r.rc == 0, r


def test_bare_forkprobe_control():
    """The probe itself works without any shim."""
    assert run([FORKPROBE, "fork"]).line == "ok"
