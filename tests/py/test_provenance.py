"""Resolution provenance: addresses returned by an allowed lookup become
connectable under --no-network --allow-domain, and nothing else does.

Real names cannot be resolved here (loopback only), so each case runs in a
fresh user + mount + network namespace whose /etc/hosts is a bind mount of
a file naming TEST-NET addresses (192.0.2.0/24). That namespace has only a
down loopback: a connect the policy ALLOWS fails with ENETUNREACH (the
kernel has no route, no packet can leave), one it REFUSES fails before
reaching the kernel with ENETUNREACH too (docs/errors.md: the errno clients
do not retry) and a "[hermetic] blocked connect" line on stderr (shown for
the first block of its kind even without --trace). The line, not the
errno, tells the verdicts apart.
"""

import shlex

import pytest

from conftest import BIN, PROBE, PYTHON, run, netns_prefix

HOSTS = ("192.0.2.10 allowed.test api.allowed.test\n"
         "192.0.2.11 other.test notallowed.test.evil\n"
         "2001:db8::10 v6.allowed.test\n")


@pytest.fixture
def hostsns(tmp_path):
    """Run a shell command line inside the namespace described above."""
    if netns_prefix() is None:
        pytest.skip("unprivileged user namespaces (unshare -r) are "
                    "unavailable; without them the allowed connect would "
                    "reach past loopback, so these checks are not run")
    hosts = tmp_path / "hosts"
    hosts.write_text(HOSTS)

    def go(cmd):
        script = (f"mount --bind {shlex.quote(str(hosts))} /etc/hosts && "
                  f"exec {shlex.join([str(c) for c in cmd])}")
        return run(["unshare", "-r", "-n", "-m", "sh", "-c", script])
    return go


def hermetic(*flags):
    return [BIN, "--no-network", *flags, "--"]


def refused(r):
    return (r.line == "errno=ENETUNREACH"
            and "[hermetic] blocked connect" in r.err)


def allowed(r):
    return "[hermetic] blocked" not in r.err


def test_allowed_name_becomes_connectable(hostsns):
    r = hostsns(hermetic("--allow-domain", "allowed.test")
                + [PROBE, "connect-name", "api.allowed.test", "443"])
    assert r.line == "errno=ENETUNREACH" and allowed(r), r


def test_other_name_refused_at_connect(hostsns):
    # other.test is in /etc/hosts: the lookup sends nothing and is allowed;
    # the connect is judged by its address (no allowed provenance): refused.
    r = hostsns(hermetic("--allow-domain", "allowed.test")
                + [PROBE, "connect-name", "other.test", "443"])
    assert refused(r), r


def test_suffix_trick_refused(hostsns):
    r = hostsns(hermetic("--allow-domain", "test.evil")
                + [PROBE, "connect-name", "allowed.test", "443"])
    assert refused(r), r
    r = hostsns(hermetic("--allow-domain", "allowed.test")
                + [PROBE, "connect-name", "notallowed.test.evil", "443"])
    assert refused(r), r


def test_literal_address_without_lookup_refused(hostsns):
    # The same address, reached without an allowed lookup, has no provenance.
    r = hostsns(hermetic("--allow-domain", "allowed.test")
                + [PROBE, "connect", "192.0.2.10", "443"])
    assert refused(r), r
    # Positive control: the kernel, not hermetic, refuses it without a policy.
    r = hostsns([PROBE, "connect", "192.0.2.10", "443"])
    assert r.line == "errno=ENETUNREACH" and allowed(r), r


def test_ipv6_provenance(hostsns):
    # Without a v6 route the kernel answers EADDRNOTAVAIL (or ENETUNREACH);
    # whatever it says, hermetic must say the same (and not block).
    bare = hostsns([PROBE, "connect-name", "v6.allowed.test", "443"])
    assert bare.line in ("errno=EADDRNOTAVAIL", "errno=ENETUNREACH"), bare
    r = hostsns(hermetic("--allow-domain", "allowed.test")
                + [PROBE, "connect-name", "v6.allowed.test", "443"])
    assert r.line == bare.line and allowed(r), r
    r = hostsns(hermetic("--allow-domain", "other.test")
                + [PROBE, "connect-name", "v6.allowed.test", "443"])
    assert refused(r), r


def test_python_http_client_reaches_allowed_host(hostsns):
    # The original hermetic blocks this (its connect sees only the IP).
    code = ("import urllib.request, sys\n"
            "try:\n"
            "    urllib.request.urlopen('http://api.allowed.test/', timeout=5)\n"
            "except Exception as e:\n"
            "    print(type(e).__name__, getattr(e, 'reason', e))\n")
    r = hostsns(hermetic("--allow-domain", "allowed.test")
                + [PYTHON, "-c", code])
    assert "Network is unreachable" in r.out, r
    r = hostsns(hermetic("--allow-domain", "allowed.test")
                + [PYTHON, "-c", code.replace("api.allowed.test",
                                              "other.test")])
    assert "Network is unreachable" not in r.out, r
    assert "PolicyViolation network disabled: connect(192.0.2.11)" in r.out, r
