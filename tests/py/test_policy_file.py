"""Policy files (issue 9, item 3): `hermetic --policy FILE`,
`--profile FILE`, `--print-policy` and `hermetic_blocker(policy=FILE)`,
all read by one C parser (libhermetic/policyfile, json-c).
"""

import json
import os

import pytest

from conftest import BIN, PYTHON, PYTHONPATH, REPO, run, run_probe

SCHEMA = REPO / "docs" / "policy-file.schema.json"


def write(path, obj):
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return path


def py(code, **kw):
    return run([PYTHON, "-c", code], env_extra={"PYTHONPATH": PYTHONPATH},
               **kw)


def print_policy(*flags, **kw):
    r = run([BIN, *flags, "--print-policy"], **kw)
    assert r.rc == 0, r
    return json.loads(r.out)


# --- the launcher --------------------------------------------------------------

def test_policy_file_blocks(workdir, tcp_listener):
    lst = tcp_listener()
    f = write(workdir / "net.json", {"block_network": True})
    r = run_probe(["connect", "127.0.0.1", lst.port], ["--policy", f])
    assert r.rc == 1 and r.line == "errno=ENETUNREACH", r
    ok = write(workdir / "local.json",
               {"block_network": True, "allow_localhost": True})
    r = run_probe(["connect", "127.0.0.1", lst.port], ["--policy", ok])
    assert r.rc == 0 and r.line == "ok", r
    assert lst.accepted() == 1


def test_profile_is_a_file(workdir):
    f = write(workdir / "ro.json", {"fs_readonly": True})
    r = run_probe(["open", "x", "creat"], ["--profile", "./ro.json"],
                  cwd=workdir)
    assert r.rc == 1 and r.line == "errno=EACCES", r
    assert not (workdir / "x").exists()
    r = run_probe(["open", "x", "creat"], ["--profile", "exec-deny"],
                  cwd=workdir)
    assert r.rc == 0, r
    assert (workdir / "x").exists()
    assert f.exists()


def test_print_policy_merges_flags_files_and_profiles(workdir):
    f = write(workdir / "p.json", {"block_subprocess": True,
                                    "allow_domains": ["Example.COM."],
                                    "deny_imports": ["xml"]})
    out = print_policy("--no-network", "--policy", f, "--profile",
                       "block-native")
    (layer,) = out["layers"]
    assert layer["source"] == "command line"
    assert layer["policy"] == {"block_network": True,
                               "block_subprocess": True,
                               "block_native": True,
                               "allow_domains": ["example.com"],
                               "deny_imports": ["xml"]}
    eff = out["effective"]
    assert eff["block_network"] and eff["block_subprocess"]
    assert not eff["fs_readonly"] and eff["layers"] == 1


def test_print_policy_shows_inherited_layers(workdir):
    f = write(workdir / "p.json", {"block_network": True,
                                    "allow_localhost": True})
    r = run([BIN, "--no-network", "--no-subprocess", "--", BIN, "--policy", f,
             "--print-policy"])
    assert r.rc == 0, r
    out = json.loads(r.out)
    assert [l["source"] for l in out["layers"]] == ["inherited",
                                                     "command line"]
    assert out["layers"][0]["policy"] == {"block_network": True,
                                          "block_subprocess": True}
    # The outer layer does not open loopback, so the effect does not.
    assert out["effective"]["allow_localhost"] is False
    assert out["effective"]["block_subprocess"] is True
    # Control: alone, the file opens loopback.
    assert print_policy("--policy", f)["effective"]["allow_localhost"]


def test_print_policy_output_is_a_policy_file(workdir):
    """A printed layer is itself a valid policy file (round trip)."""
    out = print_policy("--profile", "block-all", "--allow-domain", "a.b.org")
    f = write(workdir / "again.json", out["layers"][0]["policy"])
    assert print_policy("--policy", f)["layers"][0]["policy"] == \
        out["layers"][0]["policy"]


def test_relative_paths_are_relative_to_the_file(workdir):
    (workdir / "conf").mkdir()
    (workdir / "conf" / "out").mkdir()
    f = write(workdir / "conf" / "p.json",
              {"fs_readonly": True, "allow_write": ["out"]})
    r = run_probe(["open", "conf/out/f", "creat"], ["--policy", f],
                  cwd=workdir)
    assert r.rc == 0, r
    r = run_probe(["open", "conf/g", "creat"], ["--policy", f], cwd=workdir)
    assert r.rc == 1 and r.line == "errno=EACCES", r


def test_allow_write_flag_with_fs_readonly_from_file(workdir):
    (workdir / "out").mkdir()
    f = write(workdir / "ro.json", {"fs_readonly": True})
    r = run_probe(["open", "out/f", "creat"],
                  ["--policy", f, "--allow-write", "out"], cwd=workdir)
    assert r.rc == 0, r
    r = run([BIN, "--allow-write", "out", "--", "true"], cwd=workdir)
    assert r.rc == 1 and "needs --fs-readonly" in r.err, r


def test_fs_root_conflict(workdir):
    (workdir / "a").mkdir()
    (workdir / "b").mkdir()
    f = write(workdir / "p.json", {"fs_readonly": True, "fs_root": "a"})
    r = run([BIN, "--fs-readonly=b", "--policy", f, "--", "true"],
            cwd=workdir)
    assert r.rc == 1 and "differs" in r.err, r
    r = run([BIN, "--fs-readonly=a", "--policy", f, "--", "true"],
            cwd=workdir)
    assert r.rc == 0, r


# --- bad files: the same message from both front ends --------------------------

BAD = [
    ("unknown key", '{"block_netwrk": true}', 'unknown key "block_netwrk"'),
    ("wrong type", '{"block_network": 1}', '"block_network" must be true or false'),
    ("string list", '{"allow_domains": "example.com"}',
     '"allow_domains" must be a list of strings'),
    ("list entry", '{"deny_imports": [1]}', '"deny_imports"[0] must be a string'),
    ("not JSON", '{"block_network": true', "not valid JSON"),
    ("trailing junk", '{} x', "not valid JSON"),
    ("empty", "", "not valid JSON"),
    ("array", "[]", "the top level must be an object, not array"),
    ("bad domain", '{"allow_domains": ["a..b"]}', "invalid \"allow_domains\" entry 'a..b'"),
    ("bad import", '{"deny_imports": ["a b"]}', "invalid \"deny_imports\" entry"),
    ("unknown profile", '{"profile": "nope"}', "unknown \"profile\" 'nope'"),
    ("root alone", '{"fs_root": "/"}', '"fs_root" needs "fs_readonly": true'),
    ("write alone", '{"allow_write": ["/tmp"]}', '"allow_write" needs "fs_readonly"'),
    ("NUL", '{"trace": true}\0', "contains a NUL byte"),
]


@pytest.mark.parametrize("name,text,msg", BAD, ids=[b[0] for b in BAD])
def test_bad_file(workdir, name, text, msg):
    f = workdir / "bad.json"
    f.write_bytes(text.encode())
    r = run([BIN, "--policy", f, "--", "true"])
    assert r.rc == 1, r
    (line,) = [l for l in r.err.splitlines() if l.startswith("hermetic: ")]
    assert line.startswith(f"hermetic: policy file {f}: "), r
    assert msg in line, r
    # The Python API reports the same text: the same C parser.
    p = py("import hermetic\n"
           f"try:\n hermetic.hermetic_blocker(policy={str(f)!r})\n"
           "except ValueError as e:\n print(e)\n")
    assert p.rc == 0 and p.line == line[len("hermetic: "):], (p, line)


def test_unreadable_files(workdir):
    for f, why in ((workdir / "missing.json", "No such file"),
                   (workdir, "Is a directory")):
        r = run([BIN, "--policy", f, "--", "true"])
        assert r.rc == 1 and why in r.err and r.err.startswith("hermetic: "), r
        p = py("import hermetic\n"
               f"try:\n hermetic.hermetic_blocker(policy={str(f)!r})\n"
               "except OSError as e:\n print(e.errno, e.filename)\n")
        assert p.rc == 0 and p.line.endswith(str(f)), p
    big = workdir / "big.json"
    big.write_text('{"description": "' + "x" * (1 << 20) + '"}')
    r = run([BIN, "--policy", big, "--", "true"])
    assert r.rc == 1 and "larger than" in r.err, r
    r = run([BIN, "--policy", "", "--", "true"])
    assert r.rc == 1 and r.err.startswith("hermetic: "), r


# --- the Python API --------------------------------------------------------------

def test_api_policy_file(workdir):
    f = write(workdir / "p.json", {"block_subprocess": True,
                                    "profile": ["block-native"]})
    r = py(f"""
import os, hermetic
from hermetic import hermetic_blocker, PolicyViolation
b = hermetic_blocker(policy={str(f)!r}, block_network=True)
print(b)
with b:
    try:
        os.system("true")
    except PolicyViolation as e:
        print("blocked", e.guard)
print(os.system("true"))
""")
    assert r.rc == 0, r
    rep, blocked, control = r.out.splitlines()
    assert rep == ("hermetic_blocker(block_network=True, "
                   "block_subprocess=True, block_native=True)"), rep
    assert blocked == "blocked subprocess"
    assert control == "0"


def test_api_and_launcher_read_the_same_policy(workdir):
    f = write(workdir / "p.json", {"block_network": True,
                                    "allow_localhost": True,
                                    "allow_domains": ["*.Example.org"],
                                    "deny_imports": ["xml.etree"],
                                    "fs_readonly": True,
                                    "allow_write": ["/tmp"],
                                    "profile": "exec-deny"})
    printed = print_policy("--policy", f)["layers"][0]["policy"]
    r = py(f"import json, hermetic._native as n; "
           f"print(json.dumps(n.load_policy_file({str(f)!r})))")
    spec = json.loads(r.out)
    loaded = {k: v for k, v in spec.items() if v not in (False, None, [])}
    assert loaded == printed


def test_api_policy_type_errors(workdir):
    r = py("import hermetic\n"
           "try:\n hermetic.hermetic_blocker(policy=3)\n"
           "except TypeError as e:\n print(e)\n")
    assert "policy must be a path" in r.out, r


# --- the schema ---------------------------------------------------------------------

def test_schema_accepts_good_and_rejects_bad(workdir):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    v = jsonschema.Draft7Validator(schema)
    good = print_policy("--profile", "block-all", "--allow-domain",
                        "example.com")["layers"][0]["policy"]
    assert not list(v.iter_errors(good))
    for _, text, _ in BAD[:4] + BAD[7:8]:
        assert list(v.iter_errors(json.loads(text))), text


def test_pytest_plugin_policy_option(workdir):
    from test_pytest_plugin import outcome, pytest_run

    f = write(workdir / "p.json", {"block_subprocess": True})
    files = {"test_pf.py": "import os\ndef test_x():\n    os.system('true')\n"}
    r = pytest_run(workdir, "--hermetic-policy", str(f), files=files)
    assert outcome(r) == {"failed": 1}, r
    assert "guard=subprocess" in r.out, r
    r = pytest_run(workdir, files=files)
    assert outcome(r) == {"passed": 1}, r
    r = pytest_run(workdir, "--hermetic-policy", str(workdir / "nope.json"),
                   files=files)
    assert r.rc == 4 and "hermetic: " in r.err, r
