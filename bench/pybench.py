"""pybench: one Python-layer measurement per invocation, for bench/run.

Run with /usr/bin/python3 and PYTHONPATH=<build>/python.  Each case prints
one line on stdout: either one number (an absolute cost) or two numbers
"A B" (outside vs inside a block, measured interleaved in this process:
R rounds of K operations outside, then K inside, medians over rounds).
Units: ns per operation, except enter/exit cases (us per pair) and the
import case (ms).
"""

import argparse
import os
import socket
import statistics
import sys
import time

perf_ns = time.perf_counter_ns

# The 3-guard block the issue names.
THREE = dict(block_network=True, block_subprocess=True, fs_readonly=True)


def loop_open(path, k):
    for _ in range(k):
        open(path, "rb").close()


def loop_osopen(path, k):
    o, c, flag = os.open, os.close, os.O_RDONLY
    for _ in range(k):
        c(o(path, flag))


def loop_stat(path, k):
    st = os.stat
    for _ in range(k):
        st(path)


class Listener:
    """A loopback listener accepted from the same thread (see microbench.c)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # Linger 0: the accepted side closes first with RST, no TIME_WAIT.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             b"\x01\x00\x00\x00\x00\x00\x00\x00")
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.addr = self.sock.getsockname()

    def loop(self, k):
        addr, acc, mk = self.addr, self.sock.accept, socket.socket
        for _ in range(k):
            s = mk(socket.AF_INET, socket.SOCK_STREAM)
            s.connect(addr)
            a, _peer = acc()
            a.close()
            s.close()


def loop_gai(k):
    gai = socket.getaddrinfo
    for _ in range(k):
        gai("localhost", None, type=socket.SOCK_STREAM)


def timed(fn, k):
    t0 = perf_ns()
    fn(k)
    return (perf_ns() - t0) / k


def pair(fn, make_block, k, rounds):
    """Median ns/op outside and inside a block, interleaved per round."""
    fn(max(k // 10, 1))
    with make_block():
        fn(max(k // 10, 1))
    outs, ins = [], []
    for _ in range(rounds):
        outs.append(timed(fn, k))
        with make_block():
            ins.append(timed(fn, k))
    return statistics.median(outs), statistics.median(ins)


def noise_pair(fn, k, rounds):
    """The A-vs-A control: the same loop twice, nothing entered."""
    fn(max(k // 10, 1))
    a, b = [], []
    for _ in range(rounds):
        a.append(timed(fn, k))
        b.append(timed(fn, k))
    return statistics.median(a), statistics.median(b)


def enter_exit(k, rounds, nested=False, construct=False):
    """Median us per enter+exit pair of a 3-guard block."""
    from hermetic import hermetic_blocker

    blk = hermetic_blocker(**THREE)

    def reuse(n):
        for _ in range(n):
            with blk:
                pass

    def fresh(n):
        for _ in range(n):
            with hermetic_blocker(**THREE):
                pass

    fn = fresh if construct else reuse
    res = []
    if nested:
        with hermetic_blocker(**THREE):
            fn(max(k // 10, 1))
            for _ in range(rounds):
                res.append(timed(fn, k))
    else:
        fn(max(k // 10, 1))
        for _ in range(rounds):
            res.append(timed(fn, k))
    return statistics.median(res) / 1000.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("-k", type=int, default=2000, help="ops per round")
    ap.add_argument("-r", type=int, default=7, help="rounds")
    ap.add_argument("--file", default="/etc/hostname")
    ap.add_argument("--root", default=None)
    ap.add_argument("--import-hermetic", action="store_true")
    ap.add_argument("--block", default="none",
                    choices=("none", "import", "three", "root", "localhost"))
    ap.add_argument("--op", default="open", choices=("open", "connect"))
    a = ap.parse_args()
    k, r = a.k, a.r

    if a.case == "import":
        t0 = perf_ns()
        import hermetic  # noqa: F401
        print("%.3f" % ((perf_ns() - t0) / 1e6))
        return
    if a.case == "idle":
        # Separate processes: bench/run runs this with and without
        # --import-hermetic and compares the two.
        if a.import_hermetic:
            import hermetic  # noqa: F401
        loop_open(a.file, max(k // 10, 1))
        print("%.1f" % statistics.median(
            timed(lambda n: loop_open(a.file, n), k) for _ in range(r)))
        return
    if a.case == "plain":
        # For callgrind (bench/run runs it at two -k and takes the
        # difference): k open()+close() (or --op connect cycles) with
        # --block none (hermetic never imported), import (imported, no
        # block), three, root or localhost.
        blk = a.block
        if a.op == "connect":
            fn = Listener().loop
        else:
            fn = lambda n: loop_open(a.file, n)  # noqa: E731
        if blk != "none":
            from hermetic import hermetic_blocker
        if blk in ("none", "import"):
            fn(k)
        elif blk == "three":
            with hermetic_blocker(**THREE):
                fn(k)
        elif blk == "localhost":
            with hermetic_blocker(block_network=True, allow_localhost=True):
                fn(k)
        else:
            with hermetic_blocker(fs_readonly=True, fs_root=a.root):
                fn(k)
        print(k)
        return
    if a.case == "enter-exit":
        print("%.3f" % enter_exit(k, r))
        return
    if a.case == "enter-exit-new":
        print("%.3f" % enter_exit(k, r, construct=True))
        return
    if a.case == "nested":
        print("%.3f" % enter_exit(k, r, nested=True))
        return
    if a.case == "noise":
        print("%.1f %.1f" % noise_pair(lambda n: loop_open(a.file, n), k, r))
        return

    from hermetic import hermetic_blocker

    three = lambda: hermetic_blocker(**THREE)  # noqa: E731
    if a.case == "open":
        res = pair(lambda n: loop_open(a.file, n), three, k, r)
    elif a.case == "osopen":
        res = pair(lambda n: loop_osopen(a.file, n), three, k, r)
    elif a.case == "stat":
        res = pair(lambda n: loop_stat(a.file, n), three, k, r)
    elif a.case == "open-root":
        res = pair(lambda n: loop_open(a.file, n),
                   lambda: hermetic_blocker(fs_readonly=True, fs_root=a.root),
                   k, r)
    elif a.case == "connect":
        lst = Listener()
        res = pair(lst.loop,
                   lambda: hermetic_blocker(block_network=True,
                                            allow_localhost=True), k, r)
    elif a.case == "getaddrinfo":
        res = pair(loop_gai,
                   lambda: hermetic_blocker(block_network=True,
                                            allow_localhost=True), k, r)
    else:
        sys.exit("pybench: unknown case %r" % a.case)
    print("%.1f %.1f" % res)


if __name__ == "__main__":
    main()
