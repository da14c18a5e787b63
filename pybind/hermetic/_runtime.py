"""Locate hermetic's native artefacts relative to the package.

The layouts, in search order:

* wheel (``pip install .``): ``site-packages/hermetic/_bin/hermetic`` and
  ``site-packages/hermetic/_lib/libhermetic.so`` inside the package;
* build tree: ``build/python/hermetic`` next to ``build/bin/hermetic`` and
  ``build/lib/libhermetic.so``;
* ``cmake --install``: ``<prefix>/<libdir>/hermetic/python/hermetic``, with
  the shim one level up at ``<prefix>/<libdir>/hermetic/libhermetic.so`` and
  the launcher at ``<prefix>/bin/hermetic`` (libdir is ``lib`` or, for
  ``/usr`` on Debian, ``lib/<multiarch>``);
* a package installed into ``<prefix>/lib/pythonX.Y/site-packages`` next to
  ``<prefix>/bin`` and ``<prefix>/lib``.

The first candidate that exists wins. cli/launch.c searches the same
layouts from the launcher's side.
"""

import os
import sys

PKGDIR = os.path.dirname(os.path.abspath(__file__))
SITEDIR = os.path.join(PKGDIR, "_site")


def _candidates(kind, name):
    up = lambda n: os.path.normpath(os.path.join(PKGDIR, *[".."] * n))  # noqa: E731
    yield os.path.join(PKGDIR, "_" + kind, name)  # self-contained package
    yield os.path.join(up(2), kind, name)          # build tree
    if kind == "lib":
        yield os.path.join(up(2), name)            # <libdir>/hermetic (cmake --install)
    yield os.path.join(up(4), kind, name)          # <prefix>/lib/pythonX.Y/site-packages
    yield os.path.join(up(5), kind, name)          # <prefix>/lib/pythonX.Y/dist-packages on Debian + local
    yield os.path.join(sys.prefix, kind, name)
    if kind == "bin":
        yield os.path.join("/usr/local/bin", name)
        yield os.path.join("/usr/bin", name)


def _is_elf(path):
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def launcher_candidates():
    """Every place the launcher may be, in search order."""
    return list(dict.fromkeys(_candidates("bin", "hermetic")))


def find_launcher():
    """Absolute path of the hermetic launcher (an ELF executable), or None.

    A script named hermetic (a console-script shim that would run
    ``python -m hermetic`` again) is skipped, so this never loops.
    """
    for path in launcher_candidates():
        if os.path.isfile(path) and os.access(path, os.X_OK) and _is_elf(path):
            return path
    return None


def find_library():
    """Absolute path of libhermetic.so, or None."""
    for path in dict.fromkeys(_candidates("lib", "libhermetic.so")):
        if os.path.isfile(path):
            return path
    return None
