"""``python -m hermetic [FLAGS] -- CMD``: exec the hermetic launcher.

Behaves exactly like the ``hermetic`` executable: the same argv is handed
to it with os.execv, so flags, exit codes and messages are the launcher's.
"""

import os
import sys

from hermetic._runtime import find_launcher


def main():
    launcher = find_launcher()
    if launcher is None:
        sys.stderr.write("hermetic: cannot find the hermetic launcher\n")
        return 1
    try:
        os.execv(launcher, [launcher] + sys.argv[1:])
    except OSError as e:
        sys.stderr.write(f"hermetic: cannot execute {launcher}: {e.strerror}\n")
        return 1
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main())
