"""sendmmsg control data is copied before it is checked (issue 7 item 7,
docs/guards/network.md): a thread that keeps switching a control message
between a level the kernel ignores and IP_RETOPTS (a route the shim
refuses) cannot slip the refused one past the check. The receiver counts
the datagrams that arrived with IP options. The helper is
tests/fixtures/cmsgrace.c."""
import os

from conftest import PROBE, run, run_hermetic

CMSGRACE = os.path.join(os.path.dirname(PROBE), "cmsgrace")
LOCAL = ["--no-network", "--allow-localhost"]


def counts(r):
    out = dict(kv.split("=") for kv in r.line.split())
    return {k: int(v) for k, v in out.items()}


def test_racing_control_message_never_reaches_the_kernel():
    r = run_hermetic(LOCAL, [CMSGRACE, "2000", "race"])
    c = counts(r)
    assert c["withopts"] == 0, r
    assert c["refused"] > 0 and c["other"] == 0, r
    assert c["got"] == c["sent"], r


def test_refused_control_message_refused_every_time():
    r = run_hermetic(LOCAL + ["--trace"], [CMSGRACE, "50", "ip"])
    c = counts(r)
    assert c["refused"] == 50 and c["got"] == 0, r
    assert "[hermetic] blocked sendmmsg " in r.err, r


def test_ignored_level_control_allowed_under_guard():
    r = run_hermetic(LOCAL, [CMSGRACE, "50", "still"])
    c = counts(r)
    assert c["sent"] == 400 and c["got"] == 400 and c["refused"] == 0, r


def test_options_reach_the_receiver_without_the_shim():
    """The detector works: unguarded, every IP_RETOPTS datagram arrives
    with its IP options."""
    c = counts(run([CMSGRACE, "50", "ip"]))
    assert c["got"] == 400 and c["withopts"] == 400, c
