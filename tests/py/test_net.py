"""Network guard through the shim: connect/sendto/bind/listen/socket, DNS,
metadata endpoints, local IPC, and real programs (curl, urllib, asyncio).
Only loopback is ever contacted; checks that would reach further if
hermetic failed to block them run inside an empty network namespace (the
`isolated` fixture) or use a UDP connect, which sends no packet."""

import os
import socket

import pytest

from conftest import (HTTP_BODY, PYTHON, py_argv, run, run_hermetic,
                      run_probe)

NO_NET = ["--no-network"]
LOCAL = ["--no-network", "--allow-localhost"]

# Accepted "refused" outcomes: ENETUNREACH from connect, or the lookup refused
# first with EAI_SYSTEM + EACCES (an early metadata check is allowed).
REFUSED = ("errno=ENETUNREACH", "gai=EAI_SYSTEM errno=EACCES")


def ipv6_loopback_ok():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


needs_ipv6 = pytest.mark.skipif(not ipv6_loopback_ok(),
                                reason="no IPv6 loopback (::1) on this host")


# --- TCP connect to loopback ----------------------------------------------

def test_connect_loopback_blocked(tcp_listener):
    lst = tcp_listener()
    r = run_probe(["connect", "127.0.0.1", str(lst.port)], NO_NET)
    assert r.rc == 1 and r.line == "errno=ENETUNREACH", r
    assert lst.accepted() == 0


def test_connect_loopback_allowed_with_allow_localhost(tcp_listener):
    lst = tcp_listener()
    r = run_probe(["connect", "127.0.0.1", str(lst.port)], LOCAL)
    assert r.rc == 0 and r.line == "ok", r
    assert lst.accepted() == 1


def test_connect_loopback_no_flags(tcp_listener):
    lst = tcp_listener()
    r = run_probe(["connect", "127.0.0.1", str(lst.port)], [])
    assert r.line == "ok", r
    assert lst.accepted() == 1


def test_allow_localhost_alone_does_nothing(tcp_listener):
    lst = tcp_listener()
    r = run_probe(["connect", "127.0.0.1", str(lst.port)],
                  ["--allow-localhost"])
    assert r.line == "ok", r
    assert lst.accepted() == 1


def test_connect_127_0_0_2(tcp_listener):
    lst = tcp_listener("127.0.0.2")
    r = run_probe(["connect", "127.0.0.2", str(lst.port)], NO_NET)
    assert r.line == "errno=ENETUNREACH", r
    assert lst.accepted() == 0
    r = run_probe(["connect", "127.0.0.2", str(lst.port)], LOCAL)
    assert r.line == "ok", r
    assert lst.accepted() == 1


@needs_ipv6
def test_connect_ipv6_loopback(tcp_listener):
    lst = tcp_listener("::1")
    r = run_probe(["connect", "::1", str(lst.port)], NO_NET)
    assert r.line == "errno=ENETUNREACH", r
    assert lst.accepted() == 0
    r = run_probe(["connect", "::1", str(lst.port)], LOCAL)
    assert r.line == "ok", r
    assert lst.accepted() == 1


@needs_ipv6
def test_connect_ipv4_mapped_loopback(tcp_listener):
    lst = tcp_listener()
    r = run_probe(["connect", "::ffff:127.0.0.1", str(lst.port)], NO_NET)
    assert r.line == "errno=ENETUNREACH", r
    assert lst.accepted() == 0
    r = run_probe(["connect", "::ffff:127.0.0.1", str(lst.port)], LOCAL)
    assert r.line == "ok", r
    assert lst.accepted() == 1


@pytest.mark.parametrize("host", ["0.0.0.0", "::"], ids=["any-v4", "any-v6"])
def test_connect_to_any_reaches_loopback(host, tcp_listener):
    """Linux routes a connect to 0.0.0.0 / :: to the local host: it is
    loopback, refused without --allow-localhost."""
    if host == "::" and not ipv6_loopback_ok():
        pytest.skip("no IPv6 loopback (::1) on this host")
    lst = tcp_listener("::1" if host == "::" else "127.0.0.1")
    r = run_probe(["connect", host, str(lst.port)], NO_NET)
    assert r.line == "errno=ENETUNREACH", r
    assert lst.accepted() == 0
    r = run_probe(["connect", host, str(lst.port)], LOCAL)
    assert r.line == "ok", r
    assert lst.accepted() == 1


@needs_ipv6
@pytest.mark.parametrize("host", ["64:ff9b::7f00:1", "::127.0.0.1",
                                  "::ffff:127.0.0.1"],
                         ids=["nat64", "v4-compat", "v4-mapped"])
def test_connect_embedded_loopback_refused_isolated(host, isolated):
    """Embedded-IPv4 spellings of loopback are refused under --no-network
    (isolated: a wrongly allowed NAT64 connect would be routed away)."""
    r = run_probe(["connect", host, "80"], NO_NET, prefix=isolated)
    assert r.line == "errno=ENETUNREACH", r


def test_tcp_fastopen_sendto_blocked(tcp_listener):
    """sendto(MSG_FASTOPEN) on a TCP socket is an implicit connect."""
    lst = tcp_listener()
    r = run_probe(["tfo-sendto", "127.0.0.1", str(lst.port)], NO_NET)
    assert r.line == "errno=ENETUNREACH", r
    assert lst.accepted() == 0
    r = run_probe(["tfo-sendto", "127.0.0.1", str(lst.port)], LOCAL)
    assert r.line == "ok", r
    assert lst.accepted() == 1


# --- metadata endpoints ---------------------------------------------------

META_V4_SPELLINGS = ["169.254.169.254", "2852039166", "0xa9fea9fe",
                     "0251.0376.0251.0376", "169.254.43518"]
META_FLAGS = ["--no-network", "--allow-localhost", "--allow-domain",
              "169.254.169.254"]


def _meta_run(op_args, **kw):
    """Run under the most permissive network policy that still blocks. The
    launcher may refuse a metadata literal as an --allow-domain value (exit 1
    with a message): that is also a refusal, and nothing runs."""
    r = run_probe(op_args, META_FLAGS, **kw)
    if r.rc == 1 and r.out == "" and r.err.startswith("hermetic: "):
        r = run_probe(op_args, LOCAL, **kw)
    return r


@pytest.mark.parametrize("host", META_V4_SPELLINGS)
def test_metadata_udp_connect_refused(host):
    # A UDP connect sends no packet: safe even if hermetic failed.
    r = _meta_run(["udp-connect", host, "80"])
    assert r.line in REFUSED, r


@pytest.mark.parametrize("host", ["100.100.100.200", "169.254.170.2",
                                  "168.63.129.16"])
def test_other_metadata_udp_connect_refused(host):
    r = _meta_run(["udp-connect", host, "80"])
    assert r.line in REFUSED, r


@needs_ipv6
@pytest.mark.parametrize("host", ["fd00:ec2::254", "::ffff:169.254.169.254"])
def test_metadata_ipv6_udp_connect_refused(host):
    r = _meta_run(["udp-connect", host, "80"])
    assert r.line in REFUSED, r


def test_metadata_udp_connect_control():
    """Control for the above: UDP connect to a loopback port works under
    the same flags (and sends nothing)."""
    r = _meta_run(["udp-connect", "127.0.0.1", "9"])
    assert r.line == "ok", r


@pytest.mark.parametrize("host", META_V4_SPELLINGS)
def test_metadata_tcp_connect_refused_isolated(host, isolated):
    r = _meta_run(["connect", host, "80"], prefix=isolated)
    assert r.line in REFUSED, r


@pytest.mark.parametrize("host", META_V4_SPELLINGS + ["169.254.169.254."])
def test_metadata_lookup_refused_isolated(host, isolated):
    r = _meta_run(["getaddrinfo", host], prefix=isolated)
    assert r.line == "gai=EAI_SYSTEM errno=EACCES", r


@pytest.mark.parametrize("name", ["metadata.google.internal",
                                  "METADATA.GOOGLE.INTERNAL."])
def test_metadata_name_refused_isolated(name, isolated):
    flags = ["--no-network", "--allow-localhost", "--allow-domain",
             "google.internal"]
    r = run_probe(["connect-name", name, "80"], flags, prefix=isolated)
    assert r.line == "gai=EAI_SYSTEM errno=EACCES", r


# --- DNS ------------------------------------------------------------------

def test_getaddrinfo_dns_name_blocked(isolated):
    # A name /etc/hosts does not list goes to DNS: refused. ("localhost" is
    # answered from /etc/hosts, so it is no longer the example here; see
    # test_resolver_local.py.)
    r = run_probe(["getaddrinfo", "unlisted.invalid"], NO_NET,
                  prefix=isolated)
    assert r.rc == 1 and r.line == "gai=EAI_SYSTEM errno=EACCES", r


def test_getaddrinfo_localhost_allowed():
    r = run_probe(["getaddrinfo", "localhost"], LOCAL)
    assert r.rc == 0 and r.line.startswith("ok "), r
    r = run_probe(["getaddrinfo", "localhost"], [])
    assert r.rc == 0 and r.line.startswith("ok "), r


def test_getaddrinfo_numeric_allowed():
    """A numeric host makes no DNS query: allowed, connect decides."""
    r = run_probe(["getaddrinfo", "127.0.0.1"], NO_NET)
    assert r.line == "ok 127.0.0.1", r


def test_gethostbyname_dns_name_blocked(isolated):
    r = run_probe(["gethostbyname", "unlisted.invalid"], NO_NET,
                  prefix=isolated)
    assert r.rc == 1 and r.line.startswith("h_errno=NO_RECOVERY"), r


def test_gethostbyname_localhost_allowed():
    r = run_probe(["gethostbyname", "localhost"], LOCAL)
    assert r.rc == 0 and r.line.startswith("ok "), r


def test_connect_by_name_localhost(tcp_listener):
    lst = tcp_listener()
    r = run_probe(["connect-name", "localhost", str(lst.port)], NO_NET)
    assert r.line in REFUSED, r
    assert lst.accepted() == 0
    r = run_probe(["connect-name", "localhost", str(lst.port)], LOCAL)
    assert r.line == "ok", r
    assert lst.accepted() == 1


@pytest.mark.parametrize("name", ["notexample.com", "example.com.evil",
                                  "evil.test"])
def test_lookup_outside_allow_domains_refused_isolated(name, isolated):
    flags = ["--no-network", "--allow-domain", "example.com"]
    r = run_probe(["getaddrinfo", name], flags, prefix=isolated)
    assert r.line == "gai=EAI_SYSTEM errno=EACCES", r


@pytest.mark.parametrize("name", ["example.com", "www.example.com",
                                  "WWW.Example.COM."])
def test_lookup_inside_allow_domains_not_refused_isolated(name, isolated):
    """Control: an allowed name reaches the resolver (which fails in the
    empty namespace with something other than the policy refusal)."""
    flags = ["--no-network", "--allow-domain", "example.com"]
    r = run_probe(["getaddrinfo", name], flags, prefix=isolated)
    assert r.line != "gai=EAI_SYSTEM errno=EACCES", r


# --- UDP ------------------------------------------------------------------

def test_udp_sendto_loopback_blocked(udp_receiver):
    rx = udp_receiver()
    r = run_probe(["udp-sendto", "127.0.0.1", str(rx.port)], NO_NET)
    assert r.line == "errno=ENETUNREACH", r
    assert rx.received() == []


def test_udp_sendto_loopback_allowed(udp_receiver):
    rx = udp_receiver()
    r = run_probe(["udp-sendto", "127.0.0.1", str(rx.port)], LOCAL)
    assert r.line == "ok", r
    assert rx.received() == [b"probe\n"]


def test_udp_sendmsg_loopback(udp_receiver):
    rx = udp_receiver()
    r = run_probe(["udp-sendmsg", "127.0.0.1", str(rx.port)], NO_NET)
    assert r.line == "errno=ENETUNREACH", r
    assert rx.received() == []
    r = run_probe(["udp-sendmsg", "127.0.0.1", str(rx.port)], LOCAL)
    assert r.line == "ok", r
    assert rx.received() == [b"probe\n"]


def test_udp_sendmmsg_loopback(udp_receiver):
    rx = udp_receiver()
    r = run_probe(["udp-sendmmsg", "127.0.0.1", str(rx.port)], NO_NET)
    assert r.line == "errno=ENETUNREACH", r
    assert rx.received() == []
    r = run_probe(["udp-sendmmsg", "127.0.0.1", str(rx.port)], LOCAL)
    assert r.line == "ok", r
    assert rx.received() == [b"probe\n"]


def test_udp_connect_loopback(udp_receiver):
    rx = udp_receiver()
    r = run_probe(["udp-connect", "127.0.0.1", str(rx.port)], NO_NET)
    assert r.line == "errno=ENETUNREACH", r
    r = run_probe(["udp-connect", "127.0.0.1", str(rx.port)], LOCAL)
    assert r.line == "ok", r


# --- bind, listen, socket families -----------------------------------------

def test_bind_any_rebound_to_loopback():
    """Issue 10 item 9: a wildcard bind is made to loopback (reachability:
    tests/py/test_real_wildcard.py)."""
    r = run_probe(["bind", "0.0.0.0", "0"], NO_NET)
    assert r.line == "ok", r


def test_bind_loopback_allowed():
    r = run_probe(["bind", "127.0.0.1", "0"], NO_NET)
    assert r.line == "ok", r


def test_bind_any_control():
    r = run_probe(["bind", "0.0.0.0", "0"], [])
    assert r.line == "ok", r


@needs_ipv6
def test_bind_ipv6_any_rebound_to_loopback():
    r = run_probe(["bind", "::", "0"], NO_NET)
    assert r.line == "ok", r
    r = run_probe(["bind", "::ffff:0.0.0.0", "0"], NO_NET)
    assert r.line == "ok", r
    r = run_probe(["bind", "10.0.0.1", "0"], NO_NET)
    assert r.line == "errno=EACCES", r
    r = run_probe(["bind", "::1", "0"], NO_NET)
    assert r.line == "ok", r


def test_listen_unbound_bound_to_loopback():
    """Issue 10 item 9: listen() on an unbound socket binds it to loopback
    first (reachability: tests/py/test_real_wildcard.py)."""
    r = run_probe(["listen-any"], NO_NET)
    assert r.line == "ok", r


def test_listen_unbound_control():
    r = run_probe(["listen-any"], [])
    assert r.line == "ok", r


def test_listen_loopback_allowed():
    r = run_probe(["listen", "127.0.0.1", "0"], NO_NET)
    assert r.line == "ok", r


def test_packet_socket_refused():
    r = run_probe(["socket", "packet"], NO_NET)
    assert r.line == "errno=EACCES", r


def test_packet_socket_control():
    r = run_probe(["socket", "packet"], [])
    # Without CAP_NET_RAW the kernel refuses with EPERM: still not hermetic.
    assert r.line in ("ok", "errno=EPERM"), r


def test_inet_socket_creation_allowed():
    """Sockets are not blocked at creation; the destination decides."""
    r = run_probe(["socket", "inet"], NO_NET)
    assert r.line == "ok", r


def test_socketpair_allowed():
    assert run_probe(["socketpair"], NO_NET).line == "ok"
    assert run_probe(["sendto-null"], NO_NET).line == "ok"


def test_unix_connect_allowed(unix_listener):
    r = run_probe(["unix-connect", unix_listener.path], NO_NET)
    assert r.line == "ok", r
    assert unix_listener.accepted() == 1


def test_netlink_socket_allowed():
    r = run_probe(["socket", "netlink"], NO_NET)
    assert r.line == "ok", r


# --- real programs ----------------------------------------------------------

CURL = "/usr/bin/curl"


@pytest.mark.skipif(not os.path.exists(CURL),
                    reason="/usr/bin/curl is not installed on this host")
def test_curl_blocked(http_server):
    r = run_hermetic(NO_NET, [CURL, "-sS", "--max-time", "20", http_server.url])
    assert r.rc != 0, r
    assert HTTP_BODY not in r.out, r
    assert http_server.requests == 0


@pytest.mark.skipif(not os.path.exists(CURL),
                    reason="/usr/bin/curl is not installed on this host")
def test_curl_allowed_with_allow_localhost(http_server):
    r = run_hermetic(LOCAL, [CURL, "-sS", "--max-time", "20", http_server.url])
    assert r.rc == 0, r
    assert r.out.strip() == HTTP_BODY, r
    assert http_server.requests == 1


URLLIB = ("import urllib.request, sys\n"
          "sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=20)"
          ".read().decode())\n")


def test_python_urllib_blocked(http_server):
    r = run_hermetic(NO_NET, py_argv(URLLIB) + [http_server.url])
    assert r.rc != 0, r
    assert HTTP_BODY not in r.out, r
    assert http_server.requests == 0


def test_python_urllib_allowed_with_allow_localhost(http_server):
    r = run_hermetic(LOCAL, py_argv(URLLIB) + [http_server.url])
    assert r.rc == 0, r
    assert r.out.strip() == HTTP_BODY, r
    assert http_server.requests == 1


def test_python_connect_is_permission_error(tcp_listener):
    """What a Python program sees from a blocked connect: PermissionError
    (EACCES), or the Python layer's PolicyViolation when it is active."""
    lst = tcp_listener()
    code = ("import socket, sys\n"
            "try:\n"
            "    socket.create_connection(('127.0.0.1', int(sys.argv[1])), 10)\n"
            "    print('connected')\n"
            "except Exception as e:\n"
            "    print(' '.join(c.__name__ for c in type(e).__mro__))\n")
    r = run_hermetic(NO_NET, py_argv(code) + [str(lst.port)])
    assert ("PermissionError" in r.out or "PolicyViolation" in r.out), r
    assert lst.accepted() == 0
    r = run_hermetic(LOCAL, py_argv(code) + [str(lst.port)])
    assert r.out.strip() == "connected", r


PY_DNS = ("import socket\n"
          "try:\n"
          "    socket.getaddrinfo('NAME', 80)\n"
          "    print('resolved')\n"
          "except Exception as e:\n"
          "    print(' '.join(c.__name__ for c in type(e).__mro__))\n")


def test_python_dns_is_permission_error(isolated):
    r = run_hermetic(NO_NET, py_argv(PY_DNS.replace("NAME",
                                                    "unlisted.invalid")),
                     prefix=isolated)
    assert "PermissionError" in r.out or "PolicyViolation" in r.out, r
    r = run_hermetic(LOCAL, py_argv(PY_DNS.replace("NAME", "localhost")))
    assert r.out.strip() == "resolved", r


ASYNCIO = ("import asyncio\n"
           "async def main():\n"
           "    await asyncio.sleep(0)\n"
           "    q = asyncio.Queue()\n"
           "    await q.put(41)\n"
           "    return await q.get() + 1\n"
           "print(asyncio.run(main()))\n")


def test_python_asyncio_works_without_network():
    r = run_hermetic(NO_NET, py_argv(ASYNCIO))
    assert r.rc == 0, r
    assert r.out.strip() == "42", r


def test_python_asyncio_control():
    r = run([PYTHON, "-c", ASYNCIO])
    assert r.out.strip() == "42", r
