"""`hermetic suggest REPORT.json` (issue 9 item 3, docs/audit.md): from a
real audit report, the narrowest policy under which the run passes; the
suggested command is then run enforcing, and passes (positive), while the
audited flags alone still refuse (negative)."""

import json
import shlex
from pathlib import Path

import pytest

from conftest import BIN, PROBE, run, run_hermetic


def suggest(path, **kw):
    return run([BIN, "suggest", str(path)], **kw)


def audited(flags, cmd, workdir):
    rep = workdir / "rep.json"
    r = run_hermetic([f"--audit={rep}", *flags], cmd, cwd=workdir)
    return r, rep


def test_suggest_localhost_and_write(tcp_listener, workdir):
    lst = tcp_listener()
    out = workdir / "sub" / "out.txt"
    out.parent.mkdir()
    script = (f"{PROBE} connect 127.0.0.1 {lst.port} && "
              f"echo hi > {out}")
    flags = ["--no-network", "--fs-readonly", "--no-private-tmp"]
    r, rep = audited(flags, ["sh", "-c", script], workdir)
    assert r.rc == 0, r
    s = suggest(rep)
    assert s.rc == 0, s
    words = shlex.split(s.out)
    assert words[0] == str(BIN).rsplit("/", 1)[-1] or words[0] == "hermetic"
    assert "--allow-localhost" in words, s
    i = words.index("--allow-write")
    assert words[i + 1] == str(out.parent), s
    assert "--no-network" in words and "--fs-readonly" in words, s
    assert not any(w.startswith("--audit") for w in words), s
    # Positive: the suggested policy, enforced, lets the run pass.
    out.unlink()
    sep = words.index("--")
    r2 = run([BIN, *words[1:sep], "--", *words[sep + 1:]], cwd=workdir)
    assert r2.rc == 0, r2
    assert out.read_text() == "hi\n"
    # Negative: the audited flags alone refuse it.
    out.unlink()
    r3 = run_hermetic(flags, ["sh", "-c", script], cwd=workdir)
    assert r3.rc != 0 and not out.exists(), r3


def test_suggest_domain_and_subprocess(workdir):
    rep = workdir / "hand.json"
    rep.write_text(json.dumps({
        "version": 1, "command": ["app"], "exit_status": 0,
        "unreadable_records": 0,
        "hermetic_args": ["--no-network", "--no-subprocess", "--trace"],
        "records": [
            {"pid": 5, "layer": "libc", "guard": "no-network",
             "op": "resolve", "target": "api.example.com"},
            {"pid": 5, "layer": "libc", "guard": "no-network",
             "op": "connect", "family": "inet", "target": "10.1.2.3",
             "port": 443, "name": "api.example.com"},
            {"pid": 5, "layer": "libc", "guard": "no-subprocess",
             "op": "exec", "target": "/bin/ls"},
        ]}))
    s = suggest(rep)
    assert s.rc == 0, s
    words = shlex.split(s.out)
    assert words == ["hermetic", "--no-network", "--trace",
                     "--allow-domain", "api.example.com", "--", "app"], s


def test_suggest_flag_from_profile_is_named(workdir):
    rep = workdir / "p.json"
    rep.write_text(json.dumps({
        "version": 1, "command": ["app"], "exit_status": 0,
        "unreadable_records": 0,
        "hermetic_args": ["--profile", "block-all"],
        "records": [{"pid": 5, "layer": "libc", "guard": "no-subprocess",
                     "op": "exec", "target": "/bin/ls"}]}))
    s = suggest(rep)
    assert s.rc == 0, s
    assert "--no-subprocess" in s.err and "profile" in s.err, s


@pytest.mark.parametrize("content", ["", "{", "[]", '{"version": 2}',
                                     '{"version": 1}'])
def test_suggest_bad_report(workdir, content):
    rep = workdir / "bad.json"
    rep.write_text(content)
    s = suggest(rep)
    assert s.rc == 1 and s.err.startswith("hermetic: suggest: "), s


def test_suggest_usage(workdir):
    s = run([BIN, "suggest"])
    assert s.rc == 1 and s.err.startswith("hermetic: usage:"), s
    s = suggest(workdir / "missing.json")
    assert s.rc == 1 and s.err.startswith("hermetic: suggest: "), s


def test_completion_and_man(workdir):
    from test_man_completion import complete
    (workdir / "rep.json").write_text("{}")
    (workdir / "other.txt").write_text("")
    assert complete("hermetic", "sug") == ["suggest"]
    assert complete("hermetic", "suggest", "", cwd=workdir) == ["rep.json"]
    man = (Path(__file__).resolve().parents[2] / "man" /
           "hermetic.1").read_text()
    assert ".Cm suggest" in man and "audit" in man
