"""Audit mode (issue 9 item 3, docs/audit.md): `hermetic --audit[=FILE]`
enforces nothing, records every action the policy would block (children
included, merged into one report) and writes a JSON report that validates
against docs/audit.schema.json. Each audited run has its enforcing twin
(the same flags without --audit) next to it."""

import json
import os
from pathlib import Path

import jsonschema
import pytest

from conftest import (BIN, PROBE, PYTHON, PYTHONPATH, hermetic_lines, run,
                      run_hermetic)

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" /
                     "audit.schema.json").read_text())


def report(path):
    data = json.loads(Path(path).read_text())
    jsonschema.validate(data, SCHEMA)
    return data


def probe_connect(port):
    return [PROBE, "connect", "127.0.0.1", str(port)]


def test_connect_recorded_not_blocked(tcp_listener, workdir):
    lst = tcp_listener()
    r = run_hermetic(["--audit", "--no-network"], probe_connect(lst.port),
                     cwd=workdir)
    assert r.rc == 0 and r.line == "ok", r
    assert lst.accepted() == 1
    rep = report(workdir / "hermetic-audit.json")
    assert rep["exit_status"] == 0
    assert rep["command"][1:] == ["connect", "127.0.0.1", str(lst.port)]
    recs = [x for x in rep["records"] if x["op"] == "connect"]
    assert recs and recs[0]["guard"] == "no-network", rep
    assert recs[0]["target"] == "127.0.0.1"
    assert recs[0]["port"] == lst.port
    assert recs[0]["layer"] == "libc"
    # The summary on stderr names the count and the report.
    assert any("would have been blocked" in x and "hermetic-audit.json" in x
               for x in hermetic_lines(r.err)), r


def test_connect_blocked_without_audit(tcp_listener, workdir):
    lst = tcp_listener()
    r = run_hermetic(["--no-network"], probe_connect(lst.port), cwd=workdir)
    assert r.rc == 1 and r.line.startswith("errno="), r
    assert lst.accepted() == 0
    assert not (workdir / "hermetic-audit.json").exists()


def test_children_merged_into_one_report(tcp_listener, workdir):
    lst = tcp_listener()
    out = workdir / "written"
    script = (f"{PROBE} connect 127.0.0.1 {lst.port}; "
              f"echo x > {out}; exit 7")
    rep_path = workdir / "r.json"
    r = run_hermetic([f"--audit={rep_path}", "--no-network",
                      "--no-subprocess", "--fs-readonly"],
                     ["env", "-i", "sh", "-c", script])
    # The exit status passes through unchanged; everything ran.
    assert r.rc == 7, r
    assert "ok" in r.out.split(), r
    assert out.read_text() == "x\n"
    assert lst.accepted() == 1
    rep = report(rep_path)
    assert rep["exit_status"] == 7
    by = {(x["guard"], x["op"]) for x in rep["records"]}
    assert ("no-subprocess", "exec") in by, rep
    assert ("no-network", "connect") in by, rep
    assert ("fs-readonly", "open") in by, rep
    pids = {x["pid"] for x in rep["records"]}
    assert len(pids) >= 2, rep  # the shell and the probe it started
    writes = [x for x in rep["records"] if x["op"] == "open"]
    assert all(x["target"] == str(out) and x["access"] == "write"
               for x in writes), rep


def test_children_blocked_without_audit(tcp_listener, workdir):
    lst = tcp_listener()
    out = workdir / "written"
    script = (f"{PROBE} connect 127.0.0.1 {lst.port}; "
              f"echo x > {out}; exit 7")
    r = run_hermetic(["--no-network", "--no-subprocess", "--fs-readonly"],
                     ["env", "-i", "sh", "-c", script], cwd=workdir)
    # sh's fork for the probe is refused (the fork family): dash stops.
    assert r.rc == 2 and "Cannot fork" in r.err, r
    assert not out.exists()
    assert lst.accepted() == 0
    assert not (workdir / "hermetic-audit.json").exists()


def test_signal_passes_through(workdir):
    r = run_hermetic(["--audit", "--no-network"],
                     ["sh", "-c", "kill -TERM $$"], cwd=workdir)
    assert r.rc == -15, r
    rep = report(workdir / "hermetic-audit.json")
    assert rep["signal"] == 15 and "exit_status" not in rep


def test_no_record_empty_report(workdir):
    r = run_hermetic(["--audit", "--no-network"], [PROBE, "noop"],
                     cwd=workdir)
    assert r.rc == 0, r
    rep = report(workdir / "hermetic-audit.json")
    assert rep["records"] == []


def test_python_layer_records_with_frame(tcp_listener, workdir):
    lst = tcp_listener()
    code = ("import socket, sys\n"
            f"socket.create_connection(('127.0.0.1', {lst.port}), 10)\n"
            "print('connected')\n")
    r = run_hermetic(["--audit", "--no-network"], [PYTHON, "-c", code],
                     cwd=workdir)
    assert r.rc == 0 and r.out.strip() == "connected", r
    assert lst.accepted() == 1
    rep = report(workdir / "hermetic-audit.json")
    py = [x for x in rep["records"] if x["layer"] == "python"]
    assert py and py[0]["guard"] == "no-network", rep
    assert py[0]["frame"].endswith(".py:" + py[0]["frame"].rsplit(":")[-1])
    # Enforcing twin.
    r = run_hermetic(["--no-network"], [PYTHON, "-c", code], cwd=workdir)
    assert r.rc != 0 and "connected" not in r.out, r
    assert lst.accepted() == 1  # a running total: no second connection


# --- attacks on the switch itself ------------------------------------------

def test_audit_refused_under_inherited_policy(tcp_listener, workdir):
    """An inner launcher cannot turn an outer enforcing layer into audit."""
    lst = tcp_listener()
    r = run_hermetic(["--no-network"],
                     [BIN, "--audit", "--", *probe_connect(lst.port)],
                     cwd=workdir)
    assert r.rc == 1, r
    assert any(x.startswith("hermetic: --audit cannot run under an "
                            "inherited policy") for x in r.err.splitlines()), r
    assert lst.accepted() == 0
    assert not (workdir / "hermetic-audit.json").exists()


def test_forged_inner_audit_layer_fails_closed(tcp_listener, workdir):
    """HM_F_AUDIT in any but the outermost layer: the policy is refused."""
    lst = tcp_listener()
    code = ("import os, sys\n"
            "os.execv(sys.argv[1], sys.argv[1:])\n")
    # Outer --no-network; the program cannot add an audit layer itself
    # (_native.push refuses the bit; see test_push_refuses_audit_bit), and a
    # hand-made HERMETIC_POLICY is replaced by the shim for every child.
    r = run_hermetic(["--no-network"],
                     [PYTHON, "-c", code, *probe_connect(lst.port)],
                     cwd=workdir,
                     env_extra={"HERMETIC_AUDIT_DIR": str(workdir)})
    assert r.line.startswith("errno="), r
    assert lst.accepted() == 0
    assert not (workdir / "records.jsonl").exists()


def test_audit_dir_without_audit_flag_is_ignored(tcp_listener, workdir):
    lst = tcp_listener()
    r = run_hermetic(["--no-network"], probe_connect(lst.port), cwd=workdir,
                     env_extra={"HERMETIC_AUDIT_DIR": str(workdir)})
    assert r.line.startswith("errno="), r
    assert lst.accepted() == 0
    assert not (workdir / "records.jsonl").exists()


def test_push_refuses_audit_bit():
    """_native.push cannot set the audit bit (control: a network block)."""
    code = ("from hermetic import _native as n\n"
            "for flags in (n.F_BLOCK_NETWORK, 1 << 12,\n"
            "              n.F_BLOCK_NETWORK | 1 << 12):\n"
            "    try:\n"
            "        n.push(flags, None, [], [], [], False)\n"
            "        print('pushed')\n"
            "    except Exception as e:\n"
            "        print('refused', type(e).__name__)\n")
    r = run([PYTHON, "-c", code], env_extra={"PYTHONPATH": PYTHONPATH})
    assert r.out.split("\n")[:3] == ["pushed", "refused ValueError",
                                     "refused ValueError"], r


def test_bad_audit_value(workdir):
    r = run([BIN, "--audit=", "--no-network", "--", PROBE, "noop"],
            cwd=workdir)
    assert r.rc == 1 and r.err.startswith("hermetic: --audit="), r


def test_inner_launcher_under_outer_audit_is_audited(tcp_listener, workdir):
    """Outer --audit, inner enforcing launcher: the inner layer (layer 1)
    carries no audit bit; the tree is audited as documented, and the
    inner launcher's block lands in the outer report."""
    lst = tcp_listener()
    r = run_hermetic(["--audit"],
                     [BIN, "--no-network", "--", *probe_connect(lst.port)],
                     cwd=workdir)
    assert r.rc == 0 and r.line == "ok", r
    assert lst.accepted() == 1
    rep = report(workdir / "hermetic-audit.json")
    assert any(x["guard"] == "no-network" and x["op"] == "connect"
               for x in rep["records"]), rep


def test_unwritable_report_keeps_exit_status(workdir):
    r = run_hermetic([f"--audit={workdir}/missing/r.json", "--no-network"],
                     ["sh", "-c", "exit 5"], cwd=workdir)
    assert r.rc == 5, r
    assert any(x.startswith("hermetic: audit: cannot write the report")
               for x in r.err.splitlines()), r
