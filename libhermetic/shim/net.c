/*
 * net.c - interposers for the network family: socket creation, connect,
 * bind/listen, datagram sends, every public name-resolution entry point
 * and the legacy r* helpers; plus the resolution-provenance table that
 * lets connect()/sendto() admit addresses an allowed lookup returned.
 *
 * The family is two files, each with its sym_*.def rows: net.c (this one:
 * helpers, provenance, destination checks and the socket calls) and
 * net_resolve.c (name resolution, reverse lookups, res_*, r-commands).
 */
#include "net_impl.h"

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

/* The reason for a denial the shim decides without a core op. */
enum hm_reason net_reason(void)
{
	return (hm_shim_flags() & HM_F_INVALID) ? HM_R_INVALID_POLICY
						: HM_R_NO_NETWORK;
}

/* "<prefix><decimal v>" into @buf (cap >= 32). */
static const char *fmt_int(char *buf, size_t cap, const char *prefix, int v)
{
	char digits[16];
	size_t n = 0, len = strlen(prefix);
	unsigned int u = v < 0 ? 0u - (unsigned int)v : (unsigned int)v;

	do {
		digits[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u && n < sizeof(digits));
	if (len + n + 2 > cap)
		return prefix;
	memcpy(buf, prefix, len);
	if (v < 0)
		buf[len++] = '-';
	while (n)
		buf[len++] = digits[--n];
	buf[len] = '\0';
	return buf;
}

/*
 * Copy @len bytes of @sa into @ss (zero-filled). Returns 0, or -1 with
 * errno EINVAL when @len exceeds a sockaddr_storage, which the kernel
 * rejects with EINVAL too, or EFAULT when @sa is not readable.
 */
int sa_copy(struct sockaddr_storage *ss, const struct sockaddr *sa,
	    socklen_t len)
{
	if (len > sizeof(*ss)) {
		errno = EINVAL;
		return -1;
	}
	memset(ss, 0, sizeof(*ss));
	return hm_shim_read_user(ss, sa, len);
}

/* Copy @src (NUL-terminated) into @dst; -1 if it does not fit. */
int str_copy(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap);

	if (n == cap)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

/* True if @name is a literal getaddrinfo answers without a lookup. */
int is_numeric_host(const char *name)
{
	struct sockaddr_storage ss;
	socklen_t len;

	return hm_addr_parse_numeric(name, AF_UNSPEC, &ss, &len);
}

/*
 * What this process's resolver answers without a query (/etc/hosts when
 * nsswitch reads it first, the host name under myhostname). Written once
 * by hm_net_init during the shim's init, read-only afterwards: the
 * interposers never read a file.
 */
struct hm_hosts hm_net_hosts;
#define net_hosts hm_net_hosts

void hm_net_init(void)
{
	hm_hosts_load(&net_hosts);
}

/* ------------------------------------------------------------------ */
/* Resolution provenance                                               */
/* ------------------------------------------------------------------ */

/*
 * The resolution-provenance ring (core/prov.c): addresses allowed lookups
 * returned, read by connect()/sendto() to fill hm_request.resolved_name.
 */
static struct hm_prov_ring prov;

static void prov_record(const struct sockaddr *sa, socklen_t len,
			const char *name)
{
	hm_prov_record(&prov, sa, len, name);
}

static int prov_lookup(const struct sockaddr *sa, socklen_t len, char *out,
		       size_t cap)
{
	return hm_prov_lookup(&prov, sa, len, out, cap);
}

/* Record every IP address of a getaddrinfo() result under @name. */
void prov_record_ai(const char *name, const struct addrinfo *ai)
{
	for (; ai; ai = ai->ai_next) {
		if (ai->ai_addr)
			prov_record(ai->ai_addr, ai->ai_addrlen, name);
	}
}

/* Record every address of a hostent result under @name. */
void prov_record_he(const char *name, const struct hostent *he)
{
	if (!he || !he->h_addr_list)
		return;
	if (!((he->h_addrtype == AF_INET && he->h_length == 4) ||
	      (he->h_addrtype == AF_INET6 && he->h_length == 16)))
		return;
	for (char **p = he->h_addr_list; *p; p++) {
		union {
			struct sockaddr sa;
			struct sockaddr_in in4;
			struct sockaddr_in6 in6;
		} u;
		socklen_t len;

		memset(&u, 0, sizeof(u));
		if (he->h_addrtype == AF_INET) {
			u.in4.sin_family = AF_INET;
			memcpy(&u.in4.sin_addr, *p, 4);
			len = sizeof(u.in4);
		} else {
			u.in6.sin6_family = AF_INET6;
			memcpy(&u.in6.sin6_addr, *p, 16);
			len = sizeof(u.in6);
		}
		prov_record(&u.sa, len, name);
	}
}

/* ------------------------------------------------------------------ */
/* Destination checks                                                  */
/* ------------------------------------------------------------------ */

/*
 * Local sockets that are privilege doors (a container daemon starts
 * processes and reaches the network on the caller's behalf): the names
 * and well-known paths are the core's (hm_door_name, hm_door_paths), and
 * so is the verdict (rq.is_door); finding out whether a destination IS
 * one takes I/O and happens here. Matched on the path's last component
 * so rootless daemons under /run/user/<uid>/ are caught too.
 */
/*
 * True if @sa is a pathname AF_UNIX address of a privilege door: by the
 * name given, by the name the kernel resolves it to (a symlink, or
 * /proc/self/fd/N of an O_PATH descriptor), or by inode against the
 * well-known system paths (a hard link under another name).
 */
static int unix_is_door(const struct sockaddr *sa, socklen_t len)
{
	const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
	size_t off = offsetof(struct sockaddr_un, sun_path);
	char path[sizeof(un->sun_path) + 1], real[PATH_MAX];
	char proc[32] = "/proc/self/fd/";
	struct stat st, ds;
	ssize_t n;
	int fd;

	if (len <= off || un->sun_path[0] == '\0')
		return 0; /* unnamed or abstract */
	n = (ssize_t)(len - off);
	if ((size_t)n > sizeof(un->sun_path))
		n = (ssize_t)sizeof(un->sun_path);
	memcpy(path, un->sun_path, (size_t)n);
	path[n] = '\0';
	if (hm_door_name(path))
		return 1;
	fd = HM_REAL(open) ? HM_REAL(open)(path, O_PATH | O_CLOEXEC) : -1;
	if (fd < 0)
		return 0; /* nothing there: the connect fails on its own */
	*hm_shim_put_uint(proc + 14, (unsigned int)fd) = '\0';
	n = readlink(proc, real, sizeof(real) - 1);
	if (n > 0) {
		real[n] = '\0';
		if (hm_door_name(real)) {
			close(fd);
			return 1;
		}
	}
	if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) {
		close(fd);
		return 0;
	}
	close(fd);
	for (const char *const *d = hm_door_paths(); *d; d++)
		if (stat(*d, &ds) == 0 && ds.st_dev == st.st_dev &&
		    ds.st_ino == st.st_ino)
			return 1;
	return 0;
}

/*
 * Check a destination (the COPY the real call will get) for CONNECT or
 * SENDTO and report a denial. Runs under HM_SHIM_GUARD. Returns the
 * reason (HM_R_NONE to allow).
 */
static enum hm_reason dest_check(int fd, enum hm_op op,
				 struct sockaddr_storage *ss, socklen_t len,
				 const char *api)
{
	struct sockaddr_storage alt;
	const struct sockaddr *sa = (const struct sockaddr *)ss;
	char name[HM_DOMAIN_MAX];
	char text[160];
	struct hm_request rq = {.op = op, .sa = sa, .salen = len};
	uint32_t flags = hm_shim_flags();
	enum hm_reason r;

	if (ss->ss_family == AF_UNSPEC) {
		/*
		 * connect(AF_UNSPEC) dissolves an association and reaches
		 * nobody. A send to AF_UNSPEC, though, is taken as the
		 * socket's own family: AF_INET by the IPv4 UDP, raw and ping
		 * sockets, and the sin6_addr by the IPv6 raw sockets. Judge
		 * it by the family the socket really has (SO_DOMAIN; AF_INET
		 * when that cannot be read), and still hand the kernel the
		 * caller's bytes.
		 */
		int dom = AF_INET;
		socklen_t dl = sizeof(dom);

		if (op == HM_OP_CONNECT)
			return HM_R_NONE;
		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &dl) < 0 ||
		    dom != AF_INET6)
			dom = AF_INET;
		alt = *ss;
		alt.ss_family = (sa_family_t)dom;
		sa = (const struct sockaddr *)&alt;
		rq.sa = sa;
	}
	if (sa->sa_family == AF_UNIX && (flags & HM_GATE_DOOR) &&
	    unix_is_door(sa, len)) {
		rq.is_door = 1;
		r = hm_shim_check(&rq);
		if (r == HM_R_NONE)
			return r;
		goto deny;
	}
	if (!(flags & NET_GATE))
		return HM_R_NONE;
	/*
	 * Only an ordinary remote address can need provenance: loopback,
	 * metadata and multicast verdicts never depend on the name, so the
	 * ring scan is skipped for them (a loopback connect cycle is hot).
	 */
	if ((sa->sa_family == AF_INET || sa->sa_family == AF_INET6) &&
	    hm_addr_classify(sa, len) == HM_ADDR_OTHER &&
	    prov_lookup(sa, len, name, sizeof(name)))
		rq.resolved_name = name;
	r = hm_shim_check(&rq);
	if (r == HM_R_NONE)
		return r;
deny:
	hm_shim_report(api, "host",
		       hm_format_sockaddr(sa, len, text, sizeof(text)), r);
	return r;
}

/*
 * The errno of a refused destination (docs/errors.md): ENETUNREACH for an
 * IP peer the network policy refuses, which wget, curl, git and apt treat
 * as final (with EACCES wget retried 20 times); EACCES for everything
 * else (an AF_UNIX daemon socket, an invalid policy).
 */
static int dest_errno(const struct sockaddr_storage *ss, enum hm_reason r)
{
	if (r == HM_R_NO_NETWORK &&
	    (ss->ss_family == AF_INET || ss->ss_family == AF_INET6 ||
	     ss->ss_family == AF_UNSPEC))
		return ENETUNREACH;
	return EACCES;
}

/* ------------------------------------------------------------------ */
/* Sockets                                                             */
/* ------------------------------------------------------------------ */

static int net_socket(int domain, int type, int protocol)
{
	struct hm_request rq = {
	    .op = HM_OP_SOCKET,
	    .domain = domain,
	    .type = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC),
	    .protocol = protocol,
	};
	char text[32];
	int saved = errno;
	enum hm_reason r;

	HM_SHIM_GUARD();
	r = hm_shim_check(&rq);
	if (r != HM_R_NONE)
		hm_shim_report("socket", "host",
			       fmt_int(text, sizeof(text), "family=", domain),
			       r);
	if (r != HM_R_NONE) {
		errno = EACCES;
		return -1;
	}
	errno = saved;
	return HM_REAL(socket)(domain, type, protocol);
}

static int socket_slow(int domain, int type, int protocol)
{
	return net_socket(domain, type, protocol);
}

/* glibc's private alias: the same call, the same check. */
HM_EXPORT int __socket(int domain, int type, int protocol)
{
	if (!hm_shim_enter() || !(hm_shim_flags() & NET_GATE))
		return HM_REAL(socket)(domain, type, protocol);
	return net_socket(domain, type, protocol);
}

/*
 * setsockopt: the options that send packets somewhere no destination
 * check saw (source routes, routing headers, caller-built IP headers;
 * hm_sockopt_reroutes) are refused under block_network, with or without
 * allow_localhost or allow_domains. Every other level is forwarded after
 * one compare. The value is copied before it is judged.
 */
static int net_setsockopt(int fd, int level, int name, const void *val,
			  socklen_t len)
{
	unsigned char v[sizeof(int)] = {0};
	unsigned int n = len < sizeof(v) ? len : sizeof(v);
	char text[32];

	if (val && n)
		memcpy(v, val, n);
	if (!hm_sockopt_reroutes(level, name, val ? v : NULL, len))
		return HM_REAL(setsockopt)(fd, level, name, val, len);
	HM_SHIM_GUARD();
	hm_shim_report("setsockopt", "host",
		       fmt_int(text, sizeof(text), "option=", name),
		       net_reason());
	errno = EACCES;
	return -1;
}

static int setsockopt_slow(int fd, int level, int name, const void *val,
			   socklen_t len)
{
	return net_setsockopt(fd, level, name, val, len);
}

typedef int (*connect_fn)(int, const struct sockaddr *, socklen_t);

static int net_connect(connect_fn real, int fd, const struct sockaddr *addr,
		       socklen_t len)
{
	struct sockaddr_storage ss;
	int saved = errno;
	enum hm_reason r;

	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	if (!addr || len == 0)
		return real(fd, addr, len); /* the kernel reports the error */
	if (sa_copy(&ss, addr, len) < 0)
		return -1;
	HM_SHIM_GUARD();
	r = dest_check(fd, HM_OP_CONNECT, &ss, len, "connect");
	if (r != HM_R_NONE) {
		errno = dest_errno(&ss, r);
		return -1;
	}
	errno = saved;
	return real(fd, (const struct sockaddr *)&ss, len);
}

/*
 * connect also leaves the fast path under block_subprocess alone: a
 * container daemon's socket is a door to new processes (unix_is_door).
 */
static int connect_slow(int fd, const struct sockaddr *addr, socklen_t len)
{
	return net_connect(HM_REAL(connect), fd, addr, len);
}

static int __connect_slow(int fd, const struct sockaddr *addr, socklen_t len)
{
	return net_connect(HM_REAL(__connect), fd, addr, len);
}

/*
 * A pathname AF_UNIX bind (sun_path[0] != '\0') creates a socket file:
 * under fs_readonly it is judged as an open(O_WRONLY|O_CREAT|O_EXCL) of
 * that path (hm_fs_check_open), so it works inside --allow-write holes
 * and is refused elsewhere. @ss is our copy of the address (@len bytes);
 * the path is the bytes of sun_path up to the first NUL, as the kernel
 * reads it. Abstract and autobind addresses create nothing. Runs with
 * HM_SHIM_GUARD up; reports a refusal.
 */
static enum hm_reason unix_bind_check(const struct sockaddr_storage *ss,
				      socklen_t len)
{
	const struct sockaddr_un *un = (const struct sockaddr_un *)ss;
	size_t off = offsetof(struct sockaddr_un, sun_path), n;
	char shown[sizeof(un->sun_path) + 1], path[PATH_MAX];
	enum hm_reason r;

	if (!(hm_shim_flags() & (HM_F_FS_READONLY | HM_F_INVALID)) ||
	    len <= off || un->sun_path[0] == '\0')
		return HM_R_NONE;
	n = len - off;
	if (n > sizeof(un->sun_path))
		n = sizeof(un->sun_path);
	memcpy(shown, un->sun_path, n);
	shown[n] = '\0';
	memcpy(path, shown, strlen(shown) + 1);
	r = hm_fs_check_open(path, O_WRONLY | O_CREAT | O_EXCL);
	if (r != HM_R_NONE)
		hm_shim_report("bind", "path", shown, r);
	return r;
}

/*
 * AF_INET/AF_INET6 binds (and AF_UNSPEC, which an IPv4 socket takes as
 * INADDR_ANY) go to the core under block_network. AF_UNIX binds are
 * local IPC, but a pathname one is a file creation (unix_bind_check).
 * Other families are allowed unless the policy is invalid (their
 * sockets are refused at socket() already).
 */
static int net_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct sockaddr_storage ss, alt;
	const struct sockaddr *sa = (const struct sockaddr *)&ss;
	struct hm_request rq = {.op = HM_OP_BIND};
	char text[160];
	int saved = errno;
	enum hm_reason r = HM_R_NONE;

	if (!addr || len == 0)
		return HM_REAL(bind)(fd, addr, len);
	if (sa_copy(&ss, addr, len) < 0)
		return -1;
	HM_SHIM_GUARD();
	switch (ss.ss_family) {
	case AF_UNIX:
		r = unix_bind_check(&ss, len);
		if (r != HM_R_NONE) {
			errno = EACCES;
			return -1;
		}
		errno = saved;
		return HM_REAL(bind)(fd, (const struct sockaddr *)&ss, len);
	case AF_UNSPEC:
		alt = ss;
		alt.ss_family = AF_INET;
		sa = (const struct sockaddr *)&alt;
		__attribute__((fallthrough));
	case AF_INET:
	case AF_INET6:
		if (!(hm_shim_flags() & NET_GATE))
			break;
		/*
		 * A wildcard bind is made to the matching loopback address
		 * (core/bindaddr.c), so the server works and only this
		 * machine reaches it; the rewritten address is what is
		 * checked and bound.
		 */
		if (sa == (const struct sockaddr *)&alt) {
			if (hm_bind_wildcard_to_loopback(&alt, len))
				ss = alt;
		} else {
			hm_bind_wildcard_to_loopback(&ss, len);
		}
		rq.sa = sa;
		rq.salen = len;
		r = hm_shim_check(&rq);
		break;
	default:
		if (hm_shim_flags() & HM_F_INVALID)
			r = HM_R_INVALID_POLICY;
		break;
	}
	if (r != HM_R_NONE)
		hm_shim_report("bind", "host",
			       hm_format_sockaddr(sa, len, text, sizeof(text)),
			       r);
	if (r != HM_R_NONE) {
		errno = EACCES;
		return -1;
	}
	errno = saved;
	return HM_REAL(bind)(fd, (const struct sockaddr *)&ss, len);
}

/* bind also leaves the fast path under fs_readonly (unix_bind_check). */
static int bind_slow(int fd, const struct sockaddr *addr, socklen_t len)
{
	return net_bind(fd, addr, len);
}

/*
 * listen() on a socket that was never bound would make the kernel bind it
 * to "any": like a wildcard bind (net_bind), bind it to the matching
 * loopback address with an ephemeral port first, so the server works and
 * only this machine reaches it. An "any" address with port 0 is an unbound
 * socket (every gated wildcard bind was rewritten). On success @ss/@len
 * hold the new local address; on failure they are left as they were (and
 * "any" is then refused).
 */
static void listen_autobind(int fd, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_storage lo = *ss;
	socklen_t n = sizeof(lo);
	in_port_t port = ss->ss_family == AF_INET
			     ? ((struct sockaddr_in *)ss)->sin_port
			     : ((struct sockaddr_in6 *)ss)->sin6_port;

	if (port != 0 || !hm_bind_wildcard_to_loopback(&lo, *len))
		return;
	if (HM_REAL(bind)(fd, (const struct sockaddr *)&lo, *len) < 0)
		return;
	if (getsockname(fd, (struct sockaddr *)&lo, &n) == 0 &&
	    n <= sizeof(lo)) {
		*ss = lo;
		*len = n;
	}
}

/* listen() is judged by the socket's local address (unbound = any). */
static int net_listen(int fd, int backlog)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct hm_request rq = {.op = HM_OP_LISTEN};
	char text[160];
	int saved = errno;
	enum hm_reason r = HM_R_NONE;

	HM_SHIM_GUARD();
	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		/* Not a socket, or a bad fd: listen() reports it. */
		errno = saved;
		return HM_REAL(listen)(fd, backlog);
	}
	if (len > sizeof(ss))
		len = sizeof(ss);
	switch (ss.ss_family) {
	case AF_UNIX:
		break;
	case AF_INET:
	case AF_INET6:
		listen_autobind(fd, &ss, &len);
		rq.sa = (const struct sockaddr *)&ss;
		rq.salen = len;
		r = hm_shim_check(&rq);
		break;
	default:
		if (hm_shim_flags() & HM_F_INVALID)
			r = HM_R_INVALID_POLICY;
		break;
	}
	if (r != HM_R_NONE)
		hm_shim_report("listen", "host",
			       hm_format_sockaddr((const struct sockaddr *)&ss,
						  len, text, sizeof(text)),
			       r);
	if (r != HM_R_NONE) {
		errno = EACCES;
		return -1;
	}
	errno = saved;
	return HM_REAL(listen)(fd, backlog);
}

static int listen_slow(int fd, int backlog)
{
	return net_listen(fd, backlog);
}

/*
 * A destination is checked whatever the flags: with MSG_FASTOPEN a TCP
 * sendto() is an implicit connect. A NULL destination (a connected
 * socket) was judged at connect().
 */
static ssize_t net_sendto(int fd, const void *buf, size_t n, int flags,
			  const struct sockaddr *dest, socklen_t len)
{
	struct sockaddr_storage ss;
	int saved = errno;
	enum hm_reason r;

	if (len == 0) /* the kernel rejects or ignores it */
		return HM_REAL(sendto)(fd, buf, n, flags, dest, len);
	if (sa_copy(&ss, dest, len) < 0)
		return -1;
	HM_SHIM_GUARD();
	r = dest_check(fd, HM_OP_SENDTO, &ss, len, "sendto");
	if (r != HM_R_NONE) {
		errno = dest_errno(&ss, r);
		return -1;
	}
	errno = saved;
	return HM_REAL(sendto)(fd, buf, n, flags, (const struct sockaddr *)&ss,
			       len);
}

static ssize_t sendto_slow(int fd, const void *buf, size_t n, int flags,
			   const struct sockaddr *dest, socklen_t len)
{
	return net_sendto(fd, buf, n, flags, dest, len);
}

/*
 * sendmsg control messages: copy them into @buf (CTL_MAX bytes) so the
 * kernel gets what was checked, and refuse the ones that route
 * (hm_cmsg_reroutes). Larger control data is left in place on AF_UNIX
 * sockets (descriptor passing) and refused on any other. Returns 0 (the
 * header @m now points at the copy), or -1 with errno after reporting.
 */
#define CTL_MAX 2048

/* The first routing control message in @ctl (@len bytes): its type, or 0. */
static int cmsg_scan(void *ctl, size_t len)
{
	struct msghdr h = {.msg_control = ctl, .msg_controllen = len};
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c))
		if (hm_cmsg_reroutes(c->cmsg_level, c->cmsg_type))
			return c->cmsg_type ? c->cmsg_type : -1;
	return 0;
}

static int cmsg_gate(int fd, struct msghdr *m, unsigned char *buf,
		     const char *api)
{
	char text[32];
	int dom = -1, type = 0;
	socklen_t dl = sizeof(dom);

	HM_SHIM_GUARD();
	if (!m->msg_control || m->msg_controllen == 0)
		return 0;
	if (m->msg_controllen > CTL_MAX) {
		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &dl) == 0 &&
		    dom == AF_UNIX)
			return 0;
		goto deny;
	}
	if (hm_shim_read_user(buf, m->msg_control, m->msg_controllen) < 0)
		return -1;
	m->msg_control = buf;
	type = cmsg_scan(buf, m->msg_controllen);
	if (!type)
		return 0;
deny:
	hm_shim_report(api, "host", fmt_int(text, sizeof(text), "cmsg=", type),
		       net_reason());
	errno = EACCES;
	return -1;
}

static ssize_t net_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct msghdr m;
	struct sockaddr_storage ss;
	unsigned char ctl[CTL_MAX] __attribute__((aligned(8)));
	int saved = errno;
	enum hm_reason r;

	if (hm_shim_read_user(&m, msg, sizeof(m)) < 0)
		return -1;
	if (cmsg_gate(fd, &m, ctl, "sendmsg") < 0)
		return -1;
	if (!m.msg_name || m.msg_namelen == 0) {
		/* The kernel ignores a name without a length. */
		m.msg_name = NULL;
		m.msg_namelen = 0;
		errno = saved;
		return HM_REAL(sendmsg)(fd, &m, flags);
	}
	if (sa_copy(&ss, m.msg_name, m.msg_namelen) < 0)
		return -1;
	m.msg_name = &ss;
	HM_SHIM_GUARD();
	r = dest_check(fd, HM_OP_SENDTO, &ss, m.msg_namelen, "sendmsg");
	if (r != HM_R_NONE) {
		errno = dest_errno(&ss, r);
		return -1;
	}
	errno = saved;
	return HM_REAL(sendmsg)(fd, &m, flags);
}

static ssize_t sendmsg_slow(int fd, const struct msghdr *msg, int flags)
{
	return net_sendmsg(fd, msg, flags);
}

typedef int (*sendmmsg_fn)(int, struct mmsghdr *, unsigned int, int);

/*
 * Copy-then-check in rounds of MMSG_CHUNK: each round copies the headers
 * and names, checks every name and hands the kernel only the copies, so
 * no other thread can swap a destination after its check. The kernel's
 * partial-success rule is kept: a denied or failing message ends the
 * call, returning the count sent before it, or -1 if none was. Each
 * round is its own system call; with MSG_WAITFORONE the rounds after
 * the first add MSG_DONTWAIT, as the kernel would.
 */
static int net_sendmmsg(sendmmsg_fn real, int fd, struct mmsghdr *vec,
			unsigned int vlen, int flags)
{
	struct mmsghdr copy[MMSG_CHUNK];
	struct sockaddr_storage names[MMSG_CHUNK];
	unsigned char ctl[CTL_MAX] __attribute__((aligned(8)));
	unsigned int done = 0;
	int saved = errno;

	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	if (!vec || vlen == 0)
		return real(fd, vec, vlen, flags);
	if (vlen > MMSG_MAX)
		vlen = MMSG_MAX;
	while (done < vlen) {
		unsigned int n = vlen - done, ok = 0;
		int err = 0, rc;

		size_t used = 0, need;

		if (n > MMSG_CHUNK)
			n = MMSG_CHUNK;
		HM_SHIM_GUARD();
		for (unsigned int i = 0; i < n; i++) {
			struct msghdr *h = &copy[i].msg_hdr;

			if (hm_shim_read_user(&copy[i], &vec[done + i],
					      sizeof(copy[i])) < 0) {
				err = EFAULT;
				break;
			}
			/*
			 * Control data is copied into the round's one buffer
			 * and judged there, so the kernel gets what was
			 * checked (as for sendmsg). A message whose control
			 * data no longer fits ends the round; it starts the
			 * next one. Alone too large: cmsg_gate's rule.
			 */
			need =
			    h->msg_control ? (h->msg_controllen + 7) & ~7ul : 0;
			if (need && need <= CTL_MAX && used + need > CTL_MAX &&
			    ok > 0)
				break;
			if (cmsg_gate(fd, h, ctl + used, "sendmmsg") < 0) {
				err = errno;
				break;
			}
			if (h->msg_control == ctl + used)
				used += need;
			if (!h->msg_name || h->msg_namelen == 0) {
				h->msg_name = NULL;
				h->msg_namelen = 0;
			} else if (sa_copy(&names[i], h->msg_name,
					   h->msg_namelen) < 0) {
				err = errno;
				break;
			} else {
				h->msg_name = &names[i];
				enum hm_reason dr =
				    dest_check(fd, HM_OP_SENDTO, &names[i],
					       h->msg_namelen, "sendmmsg");

				if (dr != HM_R_NONE) {
					err = dest_errno(&names[i], dr);
					break;
				}
			}
			ok++;
		}
		if (ok > 0) {
			int f = flags;

			if ((flags & MSG_WAITFORONE) && done > 0)
				f |= MSG_DONTWAIT;
			errno = saved;
			rc = real(fd, copy, ok, f);
			if (rc < 0)
				return done > 0 ? (int)done : -1;
			for (int i = 0; i < rc; i++)
				vec[done + (unsigned int)i].msg_len =
				    copy[i].msg_len;
			done += (unsigned int)rc;
			if ((unsigned int)rc < ok)
				return (int)done;
			saved = errno;
		}
		if (err) {
			if (done > 0)
				return (int)done;
			errno = err;
			return -1;
		}
	}
	errno = saved;
	return (int)done;
}

static int sendmmsg_slow(int fd, struct mmsghdr *vec, unsigned int vlen,
			 int flags)
{
	return net_sendmmsg(HM_REAL(sendmmsg), fd, vec, vlen, flags);
}

static int __sendmmsg_slow(int fd, struct mmsghdr *vec, unsigned int vlen,
			   int flags)
{
	return net_sendmmsg(HM_REAL(__sendmmsg), fd, vec, vlen, flags);
}

#define HM_TRAMPOLINE_ROWS "sym_net.def"
#include "trampolines.h"
