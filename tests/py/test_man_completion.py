"""hermetic(1) and the bash completion (issue 9, items 5 and 6): both
agree with `hermetic --help`, render/run, and are installed by
`cmake --install`."""

import re
import shutil

import pytest

from conftest import BIN, REPO, run

MAN = REPO / "man" / "hermetic.1"
COMPLETION = REPO / "completions" / "hermetic.bash"


def help_flags():
    r = run([BIN, "--help"])
    assert r.rc == 0
    flags = set()
    for line in r.out.splitlines():
        m = re.match(r"^  (?:-h, )?(--[a-z][a-z-]*)", line)
        if m:
            flags.add(m.group(1))
    assert "--no-network" in flags and "--help" in flags
    return flags


def help_profiles():
    r = run([BIN, "--help"])
    m = re.search(r"--profile NAME +add a profile \(repeatable, union\): "
                  r"(.*?);", r.out, re.S)
    return set(re.sub(r"\s+", " ", m.group(1)).split(", "))


def man_flags():
    flags = set()
    for line in MAN.read_text().splitlines():
        if line.startswith(".It "):
            flags.update("--" + f for f in re.findall(r"Fl \\-([a-z][a-z-]*)",
                                                       line))
            if re.search(r"Fl h\b", line):
                flags.add("-h")
    return flags


def test_man_flags_match_help():
    assert man_flags() - {"-h"} == help_flags()


def test_man_page_renders():
    if not shutil.which("groff"):
        pytest.skip("groff is not installed")
    r = run(["groff", "-mdoc", "-Tutf8", "-ww", "-z", MAN])
    assert r.rc == 0 and r.err == "", r
    r = run(["groff", "-mdoc", "-Tascii", "-P-c", MAN])
    text = re.sub(r".\x08", "", r.out)
    assert "HERMETIC(1)" in text and "--no-network" in text, text[:500]
    assert "doctor" in text


def complete(*words, cwd=None):
    """COMPREPLY for the command line `words` (the last one is completed)."""
    script = (f"source {COMPLETION}\n"
              "COMP_WORDS=(" + " ".join(f"'{w}'" for w in words) + ")\n"
              f"COMP_CWORD={len(words) - 1}\n"
              "_hermetic\n"
              'printf "%s\\n" "${COMPREPLY[@]}"\n')
    r = run(["bash", "--norc", "--noprofile", "-c", script], cwd=cwd)
    assert r.rc == 0, r
    return sorted(x for x in r.out.splitlines() if x)


def test_completion_flags_match_help():
    got = set(complete("hermetic", "--")) - {"--"}
    assert got == help_flags()


def test_completion_prefixes():
    assert complete("hermetic", "--no-n") == ["--no-network"]
    assert complete("hermetic", "--allow-") == ["--allow-domain",
                                                "--allow-localhost",
                                                "--allow-read",
                                                "--allow-write"]
    assert complete("hermetic", "doc") == ["doctor"]


def test_completion_profiles(workdir):
    (workdir / "ci.json").write_text("{}")
    (workdir / "notes.txt").write_text("")
    (workdir / "sub").mkdir()
    got = complete("hermetic", "--profile", "", cwd=workdir)
    assert help_profiles() <= set(got), got
    assert "ci.json" in got and "sub/" in got and "notes.txt" not in got
    assert complete("hermetic", "--profile", "net", cwd=workdir) == \
        ["net-hermetic"]
    got = complete("hermetic", "--policy", "", cwd=workdir)
    assert got == ["ci.json", "sub/"], got


def test_completion_after_separator(workdir):
    got = complete("hermetic", "--no-network", "--", "bas")
    assert "bash" in got
    (workdir / "input.txt").write_text("")
    got = complete("hermetic", "--", "cat", "inp", cwd=workdir)
    assert got == ["input.txt"]
    # No flag completion for the command's own arguments.
    assert complete("hermetic", "--", "ls", "--no-n") == []


def test_completion_dirs_for_allow_write(workdir):
    (workdir / "outdir").mkdir()
    (workdir / "outfile").write_text("")
    assert complete("hermetic", "--allow-write", "out", cwd=workdir) == \
        ["outdir"]


def test_installed(tmp_path):
    build = __import__("pathlib").Path(BIN).resolve().parents[1]
    r = run(["cmake", "--install", build, "--prefix", tmp_path], timeout=300)
    assert r.rc == 0, r
    assert (tmp_path / "share/man/man1/hermetic.1").read_text() == \
        MAN.read_text()
    assert (tmp_path / "share/bash-completion/completions/hermetic"
            ).read_text() == COMPLETION.read_text()
