/*
 * native_net.c - hermetic._native: the network checks (socket addresses,
 * name and reverse lookups, the provenance ring, daemon sockets).
 */
#include "native_int.h"

/* ------------------------------------------------------------------ */
/* Network                                                             */
/* ------------------------------------------------------------------ */

/* The family of a real socket object, read from _socket.socket's member. */
static int sock_family(PyObject *sock)
{
	PyObject *mro;
	Py_ssize_t i;

	if (!sock)
		return -1;
	mro = Py_TYPE(sock)->tp_mro;
	if (!mro || !PyTuple_Check(mro))
		return -1;
	for (i = 0; i < PyTuple_GET_SIZE(mro); i++) {
		PyTypeObject *t = (PyTypeObject *)PyTuple_GET_ITEM(mro, i);
		PyMemberDef *m;

		if (strcmp(t->tp_name, "_socket.socket") != 0)
			continue;
		for (m = t->tp_members; m && m->name; m++) {
			if (strcmp(m->name, "family") == 0 && m->type == T_INT)
				return *(int *)((char *)sock + m->offset);
		}
	}
	return -1;
}

/* Host text of an address tuple item (str or bytes); NULL if neither. */
const char *host_text(PyObject *h, PyObject **keep)
{
	*keep = NULL;
	if (!h)
		return NULL;
	if (PyUnicode_Check(h))
		return utf8_or(h, NULL);
	if (PyBytes_Check(h))
		return PyBytes_AS_STRING(h);
	if (PyByteArray_Check(h)) {
		*keep = PyBytes_FromStringAndSize(PyByteArray_AS_STRING(h),
						  PyByteArray_GET_SIZE(h));
		return *keep ? PyBytes_AS_STRING(*keep) : NULL;
	}
	return NULL;
}

/*
 * A numeric host as a sockaddr: what CPython's setipaddr takes without a
 * lookup ("" for "any", "<broadcast>"), then the core's one parser of
 * what getaddrinfo answers without a query. Returns 1, or 0 for a name.
 */
int numeric_sockaddr(const char *host, int family, int port,
		     struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (host[0] == '\0' ||
	    (family != AF_INET6 && strcmp(host, "<broadcast>") == 0)) {
		if (family == AF_INET6) {
			sin6->sin6_family = AF_INET6;
			sin6->sin6_addr = in6addr_any;
			sin6->sin6_port = htons((uint16_t)port);
			*len = sizeof(*sin6);
			return 1;
		}
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr =
		    htonl(host[0] ? INADDR_BROADCAST : INADDR_ANY);
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
		return 1;
	}
	if (!hm_addr_parse_numeric(host, family, ss, len))
		return 0;
	if (ss->ss_family == AF_INET)
		sin->sin_port = htons((uint16_t)port);
	else
		sin6->sin6_port = htons((uint16_t)port);
	return 1;
}

struct net_ctx {
	const char *api;  /* "socket.connect" */
	const char *verb; /* "connect" (message) */
	enum hm_op op;
};

/*
 * Whether urllib3 (requests, pip's vendored copy, botocore) makes this
 * call: one of the innermost Python frames runs a file of a urllib3
 * package. Such clients catch OSError for their network-error path
 * (NewConnectionError, a retry, one line) and show anything else as an
 * internal error with a full traceback (pip: about 100 lines).
 */
static int from_urllib3(void)
{
	PyFrameObject *cur = PyEval_GetFrame(), *up;
	PyCodeObject *co;
	const char *fn;
	int depth, hit = 0;

	Py_XINCREF(cur);
	for (depth = 0; cur && depth < 8 && !hit; depth++) {
		co = PyFrame_GetCode(cur);
		fn = utf8_or(co->co_filename, NULL);
		hit = fn && strstr(fn, "/urllib3/") != NULL;
		Py_DECREF(co);
		up = PyFrame_GetBack(cur);
		Py_DECREF(cur);
		cur = up;
	}
	Py_XDECREF(cur);
	return hit;
}

/*
 * The exception a refused network call raises. Under urllib3 it is also
 * the OSError the stdlib raises for that call on an offline machine
 * (errors.py: ConnectBlocked, LookupBlocked, AddressLookupBlocked), so
 * the client reports a network failure. Everywhere else it stays a plain
 * PolicyViolation: urllib.request would wrap an OSError in URLError, and
 * `except PolicyViolation` around urlopen() is the original's documented
 * use (the seed examples). bind stays plain too.
 */
static enum exc_kind net_exc(const struct net_ctx *c)
{
	if (!from_urllib3())
		return EXC_PLAIN;
	switch (c->op) {
	case HM_OP_CONNECT:
	case HM_OP_SENDTO:
		return EXC_CONNECT;
	case HM_OP_REVERSE:
		return strcmp(c->api, "socket.gethostbyaddr") == 0
			   ? EXC_ADDR_LOOKUP
			   : EXC_LOOKUP;
	case HM_OP_RESOLVE:
		return EXC_LOOKUP;
	default:
		return EXC_PLAIN;
	}
}

static int deny_net(const struct net_ctx *c, const char *host,
		    const char *shown, enum hm_reason r, int dns)
{
	PyObject *target = PyUnicode_DecodeUTF8(host, strlen(host), "replace");

	trace(c->api, "host", shown, r);
	raise_violation(
	    net_exc(c), "network", target,
	    dns ? PyUnicode_FromFormat("network disabled: DNS(%s)", host)
		: PyUnicode_FromFormat("network disabled: %s(%s)", c->verb,
				       host));
	Py_XDECREF(target);
	return -1;
}

/* Check one destination/local address against the policy. */
static int check_sa(const struct net_ctx *c, const struct sockaddr *sa,
		    socklen_t len, const char *name, const char *host, int dns)
{
	struct hm_request rq = {.op = c->op};
	char shown[INET6_ADDRSTRLEN + 64];
	enum hm_reason r;

	rq.sa = sa;
	rq.salen = len;
	rq.resolved_name = name;
	rq.hosts = proc.hosts;
	r = py_check(&rq);
	if (r == HM_R_NONE)
		return 0;
	hm_format_sockaddr(sa, len, shown, sizeof(shown));
	return deny_net(c, host, name ? host : shown, r, dns);
}

/*
 * A forward lookup of @name for @family through the name service switch:
 * the core's rule, with the same resolver snapshot the shim uses.
 */
static int check_resolve_name(const struct net_ctx *c, const char *name,
			      int family)
{
	struct hm_request rq = {.op = HM_OP_RESOLVE};
	enum hm_reason r;

	rq.name = name;
	rq.domain = family;
	rq.hosts = proc.hosts;
	r = py_check(&rq);
	if (r == HM_R_NONE)
		return 0;
	return deny_net(c, name, name, r, c->op == HM_OP_RESOLVE);
}

/*
 * A name the policy lets through is resolved here (GIL released) and
 * every address it yields is checked as coming from that name, so an
 * allowed name that points at a metadata endpoint is still refused.
 */
static int check_named(const struct net_ctx *c, const char *name, int family,
		       int port)
{
	struct addrinfo hints = {0}, *res = NULL, *ai;
	int rc;

	hints.ai_family = family == AF_INET6  ? AF_INET6
			  : family == AF_INET ? AF_INET
					      : AF_UNSPEC;
	if (check_resolve_name(c, name, hints.ai_family) < 0)
		return -1;
	hints.ai_socktype = SOCK_STREAM;
	Py_BEGIN_ALLOW_THREADS rc = getaddrinfo(name, NULL, &hints, &res);
	Py_END_ALLOW_THREADS if (rc != 0) return 0;
	for (ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET)
			((struct sockaddr_in *)ai->ai_addr)->sin_port =
			    htons((uint16_t)port);
		else if (ai->ai_family == AF_INET6)
			((struct sockaddr_in6 *)ai->ai_addr)->sin6_port =
			    htons((uint16_t)port);
		else
			continue;
		if (check_sa(c, ai->ai_addr, ai->ai_addrlen, name, name, 0) <
		    0) {
			freeaddrinfo(res);
			return -1;
		}
	}
	freeaddrinfo(res);
	return 0;
}

/*
 * Resolution provenance for the Python layer: which name each address
 * came from, recorded by the wrappers of _socket.getaddrinfo and
 * gethostbyname(_ex) from what the real resolver returned (never from
 * caller input). A connect to a recorded address is checked with that
 * name as resolved_name, so an allowed domain is reachable through any
 * client that resolves first (urllib, http.client, asyncio). Written and
 * read under the GIL. An address missing from the ring is only denied.
 */
static struct hm_prov_ring prov; /* the core's ring (core/prov.c) */

/* Record that lookup name @name answered with the numeric @host. */
void prov_record(const char *name, const char *host)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (numeric_sockaddr(host, AF_UNSPEC, 0, &ss, &len))
		hm_prov_record(&prov, (struct sockaddr *)&ss, len, name);
}

/* The newest name recorded for @sa into @buf, or NULL. */
static const char *prov_lookup(const struct sockaddr *sa, socklen_t len,
			       char *buf, size_t cap)
{
	return hm_prov_lookup(&prov, sa, len, buf, cap) ? buf : NULL;
}

/*
 * connect/sendto to a pathname AF_UNIX address: a container-daemon socket
 * by name is the core's verdict (rq.is_door), as in the shim (which also
 * resolves symlinks and compares inodes; this layer judges the name).
 */
static int check_door(const struct net_ctx *c, PyObject *addr)
{
	struct hm_request rq = {.op = c->op, .is_door = 1};
	struct sockaddr sa = {.sa_family = AF_UNIX};
	PyObject *keep = NULL;
	const char *path;
	enum hm_reason r;
	int rc = 0;

	if (c->op != HM_OP_CONNECT && c->op != HM_OP_SENDTO)
		return 0;
	path = PyUnicode_Check(addr) ? utf8_or(addr, NULL)
				     : host_text(addr, &keep);
	if (path && path[0] && hm_door_name(path)) {
		rq.sa = &sa;
		rq.salen = sizeof(sa);
		r = py_check(&rq);
		if (r != HM_R_NONE) {
			PyObject *t = PyUnicode_DecodeFSDefault(path);

			trace(c->api, "host", path, r);
			raise_violation(
			    EXC_PLAIN,
			    r == HM_R_NO_SUBPROCESS ? "subprocess" : "network",
			    t,
			    PyUnicode_FromFormat("%s disabled: %s(%s)",
						 r == HM_R_NO_SUBPROCESS
						     ? "subprocess"
						     : "network",
						 c->verb, path));
			Py_XDECREF(t);
			rc = -1;
		}
	}
	Py_XDECREF(keep);
	return rc;
}

/* connect/bind/sendto/sendmsg: (socket, address). */
static int on_sock_addr(const struct net_ctx *c, PyObject *args)
{
	PyObject *sock = arg_at(args, 0), *addr = arg_at(args, 1), *keep;
	char pname[HM_DOMAIN_MAX];
	struct sockaddr_storage ss;
	socklen_t len;
	const char *host;
	int family = sock_family(sock), port = 0, rc;

	if (!addr || addr == Py_None)
		return 0; /* a connected socket: connect was checked */
	if (family < 0) {
		if (PyUnicode_Check(addr) || PyBytes_Check(addr) ||
		    PyByteArray_Check(addr))
			family = AF_UNIX;
		else
			family = AF_UNSPEC;
	}
	if (family == AF_UNIX && check_door(c, addr) < 0)
		return -1;
	if (family != AF_INET && family != AF_INET6 && family != AF_UNSPEC) {
		struct sockaddr sa = {.sa_family = (sa_family_t)family};

		return check_sa(c, &sa, sizeof(sa), NULL, "?", 0) < 0 ? -1 : 0;
	}
	if (!PyTuple_Check(addr) || PyTuple_GET_SIZE(addr) < 1)
		return 0; /* the real call rejects it */
	host = host_text(PyTuple_GET_ITEM(addr, 0), &keep);
	if (!host)
		return 0;
	port = (int)arg_long(addr, 1, 0);
	/*
	 * A wildcard bind ("", 0.0.0.0, ::): with the libc layer live, the
	 * shim binds the loopback address instead (core/bindaddr.c), so the
	 * loopback address is what is judged here. Without it nothing can
	 * rewrite the call, so "any" is judged as it is (refused).
	 */
	if (c->op == HM_OP_BIND && host[0] == '\0')
		host = family == AF_INET6 ? "::" : "0.0.0.0";
	if (numeric_sockaddr(host, family, port, &ss, &len)) {
		if (c->op == HM_OP_BIND && proc.attached)
			hm_bind_wildcard_to_loopback(&ss, len);
		rc = check_sa(c, (struct sockaddr *)&ss, len,
			      prov_lookup((struct sockaddr *)&ss, len, pname,
					  sizeof(pname)),
			      host, 0);
	} else
		rc = check_named(c, host, family, port);
	Py_XDECREF(keep);
	return rc;
}

/*
 * getaddrinfo: (host, port, family, type, proto); gethostbyname and
 * gethostbyname_ex: (host,), an IPv4 lookup.
 */
static int on_resolve(const char *api, PyObject *args)
{
	struct net_ctx c = {api, "DNS", HM_OP_RESOLVE};
	PyObject *h = arg_at(args, 0), *keep;
	const char *host;
	int rc;

	if (!h || h == Py_None)
		return 0;
	host = host_text(h, &keep);
	if (!host)
		return 0;
	rc = check_resolve_name(&c, host,
				strcmp(api, "socket.getaddrinfo") == 0
				    ? (int)arg_long(args, 2, AF_UNSPEC)
				    : AF_INET);
	Py_XDECREF(keep);
	return rc;
}

/*
 * gethostbyaddr(ip) / getnameinfo((ip, port)): a numeric address is a
 * reverse lookup the core judges (HM_OP_REVERSE, the shim's rule); a name
 * is first looked up forward (CPython's setipaddr, AF_UNSPEC) and judged
 * like getaddrinfo.
 */
/*
 * Non-zero while this thread is inside _socket.getnameinfo with
 * NI_NUMERICHOST: its audit event carries no flags, and such a call makes
 * no query, so on_reverse lets it through (the libc layer's rule).
 */
__thread int nameinfo_numeric;

/*
 * gethostbyaddr(name): CPython resolves @name (setipaddr, the first
 * address) and then asks for that address's name. The forward lookup
 * passed; judge the reverse one as the libc layer will (HM_OP_REVERSE),
 * on the address the same lookup yields (resolved here, GIL released).
 */
static int check_reverse_of(const char *api, const char *name)
{
	struct net_ctx c = {api, "DNS", HM_OP_REVERSE};
	struct addrinfo hints = {0}, *res = NULL;
	int rc;

	hints.ai_family = AF_UNSPEC;
	Py_BEGIN_ALLOW_THREADS rc = getaddrinfo(name, NULL, &hints, &res);
	Py_END_ALLOW_THREADS if (rc != 0 || !res) return 0; /* fails itself */
	rc = 0;
	if (res->ai_family == AF_INET || res->ai_family == AF_INET6)
		rc = check_sa(&c, res->ai_addr, res->ai_addrlen, NULL, name, 1);
	freeaddrinfo(res);
	return rc;
}

static int on_reverse(const char *api, PyObject *h)
{
	struct net_ctx c = {api, "DNS", HM_OP_REVERSE};
	struct sockaddr_storage ss;
	socklen_t len;
	PyObject *keep;
	const char *host;
	int rc;

	/* getnameinfo(..., NI_NUMERICHOST) through our wrapper: no query. */
	if (nameinfo_numeric && strcmp(api, "socket.getnameinfo") == 0) {
		nameinfo_numeric = 0; /* one event per wrapped call */
		return 0;
	}
	if (h && PyTuple_Check(h))
		h = arg_at(h, 0);
	host = host_text(h, &keep);
	if (!host)
		return 0;
	if (numeric_sockaddr(host, AF_UNSPEC, 0, &ss, &len)) {
		rc = check_sa(&c, (struct sockaddr *)&ss, len, NULL, host, 1);
	} else if (strcmp(api, "socket.getnameinfo") == 0) {
		/*
		 * CPython parses getnameinfo's host with AI_NUMERICHOST: a
		 * name fails there (EAI_NONAME) before any query is made.
		 */
		rc = 0;
	} else {
		c.op = HM_OP_RESOLVE;
		rc = check_resolve_name(&c, host, AF_UNSPEC);
		if (rc == 0)
			rc = check_reverse_of(api, host);
	}
	Py_XDECREF(keep);
	return rc;
}

static int on_socket_new(PyObject *args)
{
	struct hm_request rq = {.op = HM_OP_SOCKET};
	char fam[32];
	enum hm_reason r;

	rq.domain = (int)arg_long(args, 1, -1);
	rq.type = (int)arg_long(args, 2, 0);
	rq.protocol = (int)arg_long(args, 3, 0);
	if (rq.domain <= 0)
		return 0; /* from an fd, or the default AF_INET */
	r = py_check(&rq);
	if (r == HM_R_NONE)
		return 0;
	snprintf(fam, sizeof(fam), "family=%d", rq.domain);
	trace("socket.socket", NULL, NULL, r);
	/*
	 * Also a PermissionError: feature probes (CPython's test_socket:
	 * "try: socket(AF_CAN, ...) except OSError") must see "unsupported",
	 * as they do with the shim's EACCES. Only socket creation: a refused
	 * connect stays a plain PolicyViolation (urllib wraps OSErrors).
	 */
	return raise_violation(
	    EXC_SOCKET, "network", NULL,
	    PyUnicode_FromFormat("network disabled: socket(%s)", fam));
}

int on_socket(int which, const char *ev, PyObject *args)
{
	static const struct net_ctx connect = {"socket.connect", "connect",
					       HM_OP_CONNECT};
	static const struct net_ctx bind = {"socket.bind", "bind", HM_OP_BIND};
	static const struct net_ctx sendto = {"socket.sendto", "sendto",
					      HM_OP_SENDTO};
	static const struct net_ctx sendmsg = {"socket.sendmsg", "sendmsg",
					       HM_OP_SENDTO};

	switch (which) {
	case SOCK_CONNECT:
		return on_sock_addr(&connect, args);
	case SOCK_BIND:
		return on_sock_addr(&bind, args);
	case SOCK_SENDTO:
		return on_sock_addr(&sendto, args);
	case SOCK_SENDMSG:
		return on_sock_addr(&sendmsg, args);
	case SOCK_RESOLVE:
		return on_resolve(ev, args);
	case SOCK_REVERSE:
		return on_reverse(ev, arg_at(args, 0));
	case SOCK_NEW:
		return on_socket_new(args);
	default:
		return 0;
	}
}
