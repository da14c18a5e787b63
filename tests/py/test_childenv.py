"""One child-environment builder (core/childenv.c) for the launcher and
the exec wrappers (issue 7): the environment the launcher gives its target
and the one the shim gives that target's children are built alike."""

from conftest import BIN, run

OURS = ("HERMETIC_POLICY=", "HERMETIC_PYSITE=", "PYTHONPATH=", "LD_PRELOAD=",
        "LD_AUDIT=", "GCONV_PATH=")


def envs(flags, extra=None):
    # sh is started by the launcher; the two `env`s by the shim in sh.
    r = run([BIN, *flags, "--", "sh", "-c",
             "cat /proc/$$/environ | tr '\\0' '\\n'; echo ---; env; "
             "echo ---; env"], env_extra=extra)
    assert r.rc == 0, r
    parts = r.out.split("---\n")
    return [[l for l in p.splitlines() if l.startswith(OURS)] for p in parts]


def test_launcher_and_wrappers_build_alike():
    launched, child, grandchild = envs(["--no-network"],
                                       {"PYTHONPATH": "/x:/y"})
    assert launched == child == grandchild, (launched, child)
    assert launched[0].startswith("HERMETIC_POLICY="), launched
    assert launched[-1].startswith("LD_PRELOAD="), launched
    pp = [l for l in launched if l.startswith("PYTHONPATH=")]
    assert pp and pp[0].endswith(":/x:/y"), launched


def test_block_native_drops_native_loaders_at_launch_too():
    """Before, the launcher kept the caller's LD_PRELOAD extras and
    GCONV_PATH under --block-native (only the shim's children lost them)."""
    extra = {"LD_PRELOAD": "libm.so.6", "GCONV_PATH": "/tmp/gconv",
             "LD_AUDIT": "libaudit-x.so"}
    launched, child, _ = envs(["--block-native"], extra)
    for env in (launched, child):
        assert not any(l.startswith(("GCONV_PATH=", "LD_AUDIT="))
                       for l in env), env
        pre = [l for l in env if l.startswith("LD_PRELOAD=")]
        assert len(pre) == 1 and "libm" not in pre[0], env
    # Positive control: without --block-native the caller's preload stays
    # (after the shim), and LD_AUDIT still goes.
    launched, _, _ = envs(["--no-network"], extra)
    pre = [l for l in launched if l.startswith("LD_PRELOAD=")]
    assert pre[0].endswith(":libm.so.6"), launched
    assert "GCONV_PATH=/tmp/gconv" in launched, launched
    assert not any(l.startswith("LD_AUDIT=") for l in launched), launched
