"""Issue 10 item 4: single-label names ("db", "internal", "redis": docker
compose service names) are valid allow_domains entries in both front-ends
(the API validates through the core's hm_policy_add_domain, the CLI
through the same function), and they are honoured: a lookup of an allowed
single-label name is not refused by the policy, another name is.

Lookups run in an empty network namespace (the isolated fixture), so a
query the policy lets through fails there instead of reaching a resolver."""

import pytest

from conftest import LIB, PYTHON, PYTHONPATH, py_argv, run, run_hermetic
from pyhelpers import PRELUDE, check

NAMES = ["db", "internal", "redis"]

LOOKUP = """
import socket
def look(name):
    try:
        socket.getaddrinfo(name, 80)
        return "resolved"
    except PermissionError:
        return "refused"
    except socket.gaierror as e:
        return "refused" if e.errno == socket.EAI_SYSTEM else "dns-failed"
    except Exception as e:
        return "refused" if type(e).__name__ in ("PolicyViolation", "NetworkBlocked") \
            or "PolicyViolation" in [c.__name__ for c in type(e).__mro__] else repr(e)
"""


@pytest.mark.parametrize("name", NAMES)
def test_api_accepts_single_label(name):
    got, r = check(f"""
        b = attempt('make', hermetic_blocker, block_network=True,
                    allow_domains=[{name!r}, {name.upper() + '.'!r}])
        note('repr', repr(b))
    """)
    assert got["make"].kind == "ok", r
    assert f"allow_domains=['{name}', '{name}']" in got["repr"].fields[0], r


def test_api_rejects_malformed_control():
    got, r = check("""
        attempt('empty-label', hermetic_blocker, block_network=True,
                allow_domains=['a..b'])
        attempt('numeric', hermetic_blocker, block_network=True,
                allow_domains=['123'])
    """)
    for k in ("empty-label", "numeric"):
        assert got[k].kind == "error" and got[k].fields[0] == "ValueError", r


@pytest.mark.parametrize("name", NAMES)
def test_cli_accepts_single_label(name):
    r = run_hermetic(["--no-network", "--allow-domain", name],
                     py_argv("print('ran')"))
    assert r.rc == 0 and r.out == "ran\n", r


def test_cli_rejects_malformed_control():
    r = run_hermetic(["--no-network", "--allow-domain", "a..b"],
                     py_argv("print('ran')"))
    assert r.rc == 1 and r.out == "", r
    assert "hermetic: " in r.err, r


def test_cli_single_label_is_honoured(isolated):
    code = LOOKUP + "print(look('db'), look('other'))\n"
    r = run_hermetic(["--no-network", "--allow-domain", "db"],
                     py_argv(code), prefix=isolated)
    assert r.rc == 0, r
    allowed, other = r.out.split()
    assert other == "refused", r
    assert allowed != "refused", r


def test_api_single_label_is_honoured(isolated):
    code = LOOKUP + """
with hermetic_blocker(block_network=True, allow_domains=['redis']):
    print(look('redis'), look('cache'))
"""
    for preload in (False, True):
        env = {"PYTHONPATH": PYTHONPATH}
        if preload:
            env["LD_PRELOAD"] = LIB
        r = run([PYTHON, "-c", PRELUDE + code], env_extra=env,
                prefix=isolated)
        assert r.rc == 0, r
        allowed, other = r.out.split()[-2:]
        assert other == "refused", r
        assert allowed != "refused", r
