"""`hermetic suggest REPORT.json` (issue 9 item 3, docs/audit.md): from a
real audit report, the narrowest policy under which the run passes; the
suggested command is then run enforcing, and passes (positive), while the
audited flags alone still refuse (negative)."""

import json
import shlex
import shutil
from pathlib import Path

import pytest

from conftest import BIN, PROBE, base_env, run, run_hermetic


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


# --- the worked example in docs/audit.md -------------------------------------

def test_docs_worked_example(workdir):
    import re
    doc = (Path(__file__).resolve().parents[2] / "docs" /
           "audit.md").read_text()
    m = re.search(r"<!-- example: (\S+) -->\n```sh\n(.*?)```", doc, re.S)
    assert m, "docs/audit.md lost its worked example"
    name, script = m.group(1), m.group(2)
    cmd = re.search(r"<!-- command -->\n```sh\n\$ (.*?)\n", doc).group(1)
    summary = re.search(r"<!-- summary -->\n```\n(.*?)\n```", doc,
                        re.S).group(1)
    sug = re.search(r"<!-- suggest -->\n```sh\n\$ (.*?)\n(.*?)\n```", doc,
                    re.S)
    home = "/home/me/proj"
    (workdir / name).write_text(script)
    (workdir / "out").mkdir()
    words = cmd.split()
    assert words[0] == "hermetic"
    r = run([BIN, *words[1:]], cwd=workdir)
    assert r.rc == 0 and r.out.strip() == "Linux", r
    # Each summary line, paths moved to workdir; counts may differ.
    for line in summary.replace(home, str(workdir)).splitlines():
        if line.endswith("/usr/bin/uname (1x)"):  # where PATH finds it
            line = line.replace("/usr/bin/uname",
                                shutil.which("uname",
                                             path=base_env()["PATH"]))
        line = re.sub(r" \(\d+x\)$", "", line)
        line = re.sub(r"^hermetic: audit: \d+ actions", "", line)
        assert line in r.err, (line, r)
    swords = sug.group(1).split()
    assert swords[:2] == ["hermetic", "suggest"]
    s = run([BIN, *swords[1:]], cwd=workdir)
    assert s.rc == 0, s
    assert s.out.strip() == sug.group(2).replace(home, str(workdir)), s
    # The suggested policy, enforced, lets the run pass ...
    (workdir / "out" / "build.log").unlink()
    got = shlex.split(s.out)
    r2 = run([BIN, *got[1:]], cwd=workdir)
    assert r2.rc == 0 and r2.out.strip() == "Linux", r2
    assert (workdir / "out" / "build.log").read_text() == "build 1\n"
    # ... while the audited policy, enforced, refuses the write.
    (workdir / "out" / "build.log").unlink()
    r3 = run([BIN, *[w for w in words[1:] if w != "--audit"]], cwd=workdir)
    assert not (workdir / "out" / "build.log").exists(), r3
