"""hermetic_blocker(..., audit=True) (issue 9 item 3, docs/audit.md): the
Python layer records what the policy would refuse and raises nothing; the
same block without audit raises (positive/negative pairs). Audit blocks
are never in the policy segment, so they cannot weaken an enforcing block
around them."""

import json
from pathlib import Path

import jsonschema

from conftest import PYTHON, PYTHONPATH, run

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" /
                     "audit.schema.json").read_text())

PRELUDE = ("import json, os, socket, subprocess, sys\n"
           "from hermetic import hermetic_blocker, PolicyViolation\n")


def py(code, **kw):
    r = run([PYTHON, "-c", PRELUDE + code],
            env_extra={"PYTHONPATH": PYTHONPATH}, **kw)
    return r


def test_audit_records_instead_of_raising(tcp_listener, workdir):
    lst = tcp_listener()
    out = workdir / "w.txt"
    rep = workdir / "rep.json"
    code = (
        "b = hermetic_blocker(block_network=True, block_subprocess=True,\n"
        "                     fs_readonly=True, audit=True)\n"
        "with b:\n"
        f"    socket.create_connection(('127.0.0.1', {lst.port}), 10).close()\n"
        "    subprocess.run(['true'], check=True)\n"
        f"    open({str(out)!r}, 'w').write('x')\n"
        "print(json.dumps(b.audit_records))\n"
        f"b.write_audit_report({str(rep)!r})\n")
    r = py(code)
    assert r.rc == 0, r
    recs = json.loads(r.out.strip().splitlines()[-1])
    kinds = {(x["guard"], x["op"]) for x in recs}
    assert ("no-network", "connect") in kinds, recs
    assert ("no-subprocess", "exec") in kinds, recs
    assert ("fs-readonly", "open") in kinds, recs
    assert all(x["layer"] == "python" and x.get("frame") for x in recs)
    assert lst.accepted() == 1
    assert out.read_text() == "x"
    data = json.loads(rep.read_text())
    jsonschema.validate(data, SCHEMA)
    assert data["records"] == recs


def test_same_block_without_audit_raises(tcp_listener):
    lst = tcp_listener()
    code = (
        "b = hermetic_blocker(block_network=True)\n"
        "try:\n"
        "    with b:\n"
        f"        socket.create_connection(('127.0.0.1', {lst.port}), 10)\n"
        "    print('connected')\n"
        "except PolicyViolation:\n"
        "    print('refused')\n")
    r = py(code)
    assert r.out.strip() == "refused", r
    assert lst.accepted() == 0


def test_audit_does_not_weaken_an_enforcing_block(tcp_listener):
    lst = tcp_listener()
    code = (
        "outer = hermetic_blocker(block_network=True)\n"
        "inner = hermetic_blocker(block_network=True, audit=True)\n"
        "with outer:\n"
        "    with inner:\n"
        "        try:\n"
        f"            socket.create_connection(('127.0.0.1', {lst.port}), 10)\n"
        "            print('connected')\n"
        "        except PolicyViolation:\n"
        "            print('refused', len(inner.audit_records))\n")
    r = py(code)
    # Refused by the outer block; the audit block saw nothing allowed.
    assert r.out.strip() == "refused 0", r
    assert lst.accepted() == 0


def test_audit_stops_at_exit_and_allowed_is_not_recorded(tcp_listener):
    lst = tcp_listener()
    code = (
        "b = hermetic_blocker(block_network=True, allow_localhost=True,\n"
        "                     audit=True)\n"
        "with b:\n"
        f"    socket.create_connection(('127.0.0.1', {lst.port}), 10).close()\n"
        "b2 = hermetic_blocker(block_network=True, audit=True)\n"
        "with b2:\n"
        "    pass\n"
        f"socket.create_connection(('127.0.0.1', {lst.port}), 10).close()\n"
        "print(len(b.audit_records), len(b2.audit_records))\n")
    r = py(code)
    assert r.out.strip() == "0 0", r
    assert lst.accepted() == 2


def test_audit_bad_arguments():
    code = (
        "for kw in ({'audit': 1}, {'audit': True, 'sealed': True}):\n"
        "    try:\n"
        "        hermetic_blocker(block_network=True, **kw)\n"
        "        print('accepted')\n"
        "    except (TypeError, ValueError) as e:\n"
        "        print(type(e).__name__)\n")
    r = py(code)
    assert r.out.split() == ["TypeError", "ValueError"], r
