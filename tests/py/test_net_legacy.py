"""res_send and the r-commands get the core's verdict (HM_OP_RAW_DNS,
HM_OP_RCMD) through the libc layer: refused under --no-network with the
documented failure, reported as a block; forwarded without a network
block. Runs in an empty network namespace (python -I: the libc layer
alone), so a wrongly forwarded query reaches no name server."""

from conftest import BIN, PYTHON, trace_lines, run

CODE = r'''
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
resolv = ctypes.CDLL("libresolv.so.2",
                     use_errno=True)
op = sys.argv[1]
if op == "res_send":
    msg = bytes(12)  # a header-only query packet
    ans = ctypes.create_string_buffer(512)
    f = getattr(resolv, "res_send", None) or getattr(resolv, "__res_send")
    rc = f(msg, len(msg), ans, 512)
else:
    port = ctypes.c_int(1023)
    rc = libc.rresvport(ctypes.byref(port))
print(rc, ctypes.get_errno())
'''


def go(isolated, flags, op):
    return run([BIN, *flags, "--", PYTHON, "-I", "-c", CODE, op],
               prefix=isolated)


def test_res_send_refused(isolated):
    r = go(isolated, ["--trace", "--no-network"], "res_send")
    assert r.line == "-1 13", r
    assert trace_lines(r.err) == [
        "[hermetic] blocked res_send reason=no-network"], r
    # Positive control: without a network block it is forwarded (and
    # fails by itself: there is no name server in the namespace).
    r = go(isolated, ["--trace", "--no-subprocess"], "res_send")
    assert r.line.startswith("-1 ") and trace_lines(r.err) == [], r


def test_rresvport_refused(isolated):
    r = go(isolated, ["--trace", "--no-network"], "rresvport")
    assert r.line == "-1 13", r
    assert trace_lines(r.err) == [
        "[hermetic] blocked rresvport reason=no-network"], r
    r = go(isolated, ["--trace", "--no-subprocess"], "rresvport")
    assert trace_lines(r.err) == [], r
