"""Process start-up under the shim (issue 8, the bench/run rows fork-exec,
spawn, launch-true): what was made cheaper must behave as before.

- The real symbols are found by one walk over the link map (shim/resolve.c)
  instead of two dlsym calls per symbols.def row. Under HERMETIC_DEBUG the
  shim asks dlsym as well and prints "resolve mismatch" for any row where
  the two differ; these tests fail on such a line, and check that the walk
  (not the dlsym fallback) answered.
- A preload library named after the shim that defines a wrapped name is
  what the shim forwards to (dlsym(RTLD_NEXT) semantics), and the shim's
  guard still runs first; one named before the shim is what the program
  calls, and the shim still guards what it forwards.
- syscall() routing reaches the shim's own wrapper even when the program
  exports the same name (the shim is linked with -Bsymbolic-functions).
- The resolver snapshot no longer clears its whole table (core/hosts.c):
  names in /etc/hosts still resolve as local lookups under --no-network.
"""
import os

import pytest

from conftest import BIN, LIB, PROBE, PYTHON, run, run_hermetic

NEXTLIB = os.path.join(os.path.dirname(PROBE), "libnextunlink.so")
MARK = "nextunlink: unlink"


def policy_of(flags):
    """The HERMETIC_POLICY text the launcher hands a target for @flags."""
    r = run([BIN, *flags, "--", "/usr/bin/env"])
    assert r.rc == 0, str(r)
    for line in r.out.splitlines():
        if line.startswith("HERMETIC_POLICY="):
            return line[len("HERMETIC_POLICY="):]
    raise AssertionError(str(r))


def preloaded(argv, preload, policy=None, debug=True):
    extra = {"LD_PRELOAD": preload, "HERMETIC_POLICY": policy}
    if debug:
        extra["HERMETIC_DEBUG"] = "1"
    return run(argv, env_extra=extra)


def assert_walk_exact(r):
    assert "debug: resolve walk" in r.err, str(r)
    assert "resolve mismatch" not in r.err, str(r)


@pytest.mark.parametrize("argv", [
    [PROBE, "getaddrinfo", "localhost"],
    [PYTHON, "-c", "pass"],          # an executable exporting many names
    ["/bin/true"],
], ids=["probe", "python", "true"])
def test_walk_matches_dlsym(argv):
    r = preloaded(argv, LIB, policy_of(["--no-network"]))
    assert r.rc == 0, str(r)
    assert_walk_exact(r)


def test_walk_matches_dlsym_canonical_plt():
    # A non-PIE program that takes open's address exports "open" as an
    # undefined symbol with a value (its PLT entry): dlsym(RTLD_DEFAULT)
    # returns that entry, so the remap table must not hold the shim's open.
    canon = os.path.join(os.path.dirname(PROBE), "canonplt")
    r = preloaded([canon], LIB, policy_of(["--no-network"]))
    assert r.rc == 0 and r.line.startswith("0x"), str(r)
    assert_walk_exact(r)


def test_walk_matches_dlsym_without_policy():
    r = preloaded(["/bin/true"], LIB)
    assert r.rc == 0, str(r)
    assert_walk_exact(r)


def test_preload_after_shim_gets_the_forwarded_call(workdir):
    victim = workdir / "victim"
    victim.write_text("x")
    r = preloaded([PROBE, "unlink", victim], f"{LIB}:{NEXTLIB}")
    assert r.rc == 0 and r.line == "ok", str(r)
    assert MARK in r.err, str(r)          # the shim forwarded to it
    assert not victim.exists()
    assert_walk_exact(r)


def test_preload_after_shim_is_still_guarded(workdir):
    victim = workdir / "victim"
    victim.write_text("x")
    r = preloaded([PROBE, "unlink", victim], f"{LIB}:{NEXTLIB}",
                  policy_of(["--fs-readonly"]))
    assert r.line == "errno=EACCES", str(r)
    assert MARK not in r.err, str(r)      # refused before forwarding
    assert victim.exists()
    assert_walk_exact(r)


def test_preload_before_shim(workdir):
    victim = workdir / "victim"
    victim.write_text("x")
    # Allowed: the program's unlink is the library's, which reaches the
    # shim's wrapper through its own RTLD_NEXT, then libc.
    r = preloaded([PROBE, "unlink", victim], f"{NEXTLIB}:{LIB}")
    assert r.rc == 0 and r.line == "ok", str(r)
    assert MARK in r.err and not victim.exists(), str(r)
    assert_walk_exact(r)
    # Refused: the library runs, the shim's wrapper behind it refuses.
    victim.write_text("x")
    r = preloaded([PROBE, "unlink", victim], f"{NEXTLIB}:{LIB}",
                  policy_of(["--fs-readonly"]))
    assert r.line == "errno=EACCES", str(r)
    assert MARK in r.err and victim.exists(), str(r)
    assert_walk_exact(r)


def test_ld_audit_in_environment_uses_dlsym():
    # An auditor may rebind what dlsym returns: the walk steps aside.
    r = run(["/bin/true"], env_extra={
        "LD_PRELOAD": LIB, "HERMETIC_DEBUG": "1", "LD_AUDIT": ""})
    assert r.rc == 0, str(r)
    assert "debug: resolve dlsym" in r.err, str(r)
    assert "resolve mismatch" not in r.err, str(r)


def _hosts_names():
    """Names /etc/hosts lists for an IPv4 loopback address."""
    names = []
    try:
        with open("/etc/hosts") as fh:
            for line in fh:
                f = line.split("#", 1)[0].split()
                if len(f) >= 2 and f[0].startswith("127."):
                    names += f[1:]
    except OSError:
        pass
    return names


def test_hosts_names_still_local_under_no_network():
    names = _hosts_names()
    if "localhost" not in names:
        pytest.skip("/etc/hosts lists no 127.x localhost line here")
    r = run_hermetic(["--no-network"], [PROBE, "getaddrinfo", "localhost"])
    assert r.rc == 0 and r.line.startswith("ok"), str(r)
    # Control: a name /etc/hosts does not list is still a refused query.
    r = run_hermetic(["--no-network"],
                     [PROBE, "getaddrinfo", "not-in-hosts.invalid"])
    assert r.rc != 0 and "EACCES" in r.line, str(r)


OWNCONNECT = os.path.join(os.path.dirname(PROBE), "ownconnect")
OWN_MARK = "ownconnect: own connect called"


def test_syscall_routing_reaches_the_shims_wrapper_not_the_programs():
    # The shim is linked with -Bsymbolic-functions: syscall(SYS_connect)
    # is routed to its own connect wrapper even when the program exports a
    # connect of its own (before, the routing table's GOT entry bound to
    # the program's function, and the call went past the guard).
    policy = policy_of(["--no-network"])
    r = preloaded([OWNCONNECT, "syscall", "9"], LIB, policy, debug=False)
    assert r.rc == 0 and r.line.startswith("rc=-1 "), str(r)
    assert OWN_MARK not in r.err, str(r)
    assert "blocked connect" in r.err, str(r)
    # Control: calling connect() by name is the program's own function,
    # as its link says (no system call is made).
    r = preloaded([OWNCONNECT, "direct", "9"], LIB, policy, debug=False)
    assert r.rc == 0 and r.line == "rc=0 errno=0", str(r)
    assert OWN_MARK in r.err, str(r)
