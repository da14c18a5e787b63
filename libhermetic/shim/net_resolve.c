/*
 * net_resolve.c - the name-resolution interposers: getaddrinfo and the
 * gethostby* family, reverse lookups, the res_* family and the legacy r*
 * helpers (rcmd, rexec, rresvport...); see net.c for sockets.
 */
#include "net_impl.h"

/* ------------------------------------------------------------------ */
/* Name resolution                                                     */
/* ------------------------------------------------------------------ */

/*
 * Copy @name into @buf and ask the core whether it may be resolved for
 * @family through the name service switch (@hosts: the local answers,
 * or NULL for the res_* calls, which query DNS whatever /etc/hosts says).
 * Reports a denial under @api. Runs under HM_SHIM_GUARD. A name too
 * long to copy is refused (no real host name is that long).
 */
/*
 * The environment variables through which glibc's resolver changes what
 * it queries or where its configuration comes from (glibc 2.36):
 * LOCALDOMAIN (search list, res_init.c), RES_OPTIONS (ndots and the other
 * resolv.conf options, res_init.c), HOSTALIASES (alias file for
 * single-label names, res_query.c) and RESOLV_HOST_CONF (host.conf path,
 * res_hconf.c). A lookup of an allowed name with LOCALDOMAIN=evil.test
 * goes out as <name>.evil.test. The launcher and the exec wrappers drop
 * them from a child's environment under a network guard; set at run time
 * (setenv, os.environ) they make every name lookup fail.
 */
static const char *resolver_steered(void)
{
	static const char *const vars[] = {"LOCALDOMAIN", "RES_OPTIONS",
					   "HOSTALIASES", "RESOLV_HOST_CONF"};
	extern char **environ;
	char **e = environ;
	size_t i, n;

	/* One pass; most entries are passed over on their first byte. */
	for (; e && *e; e++) {
		if ((*e)[0] != 'L' && (*e)[0] != 'R' && (*e)[0] != 'H')
			continue;
		for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
			n = strlen(vars[i]);
			if (strncmp(*e, vars[i], n) == 0 && (*e)[n] == '=')
				return vars[i];
		}
	}
	return NULL;
}

static enum hm_reason resolve_check_as(const char *name, char *buf, size_t cap,
				       const char *api, int family,
				       const struct hm_hosts *hosts)
{
	struct hm_request rq = {.op = HM_OP_RESOLVE, .name = buf};
	const char *var;
	enum hm_reason r;

	if (str_copy(buf, cap, name) < 0) {
		r = net_reason();
		hm_shim_report(api, "host", name, r);
		return r;
	}
	rq.domain = family;
	rq.hosts = hosts;
	r = hm_shim_check(&rq);
	if (r == HM_R_NONE && !is_numeric_host(buf) &&
	    (var = resolver_steered())) {
		r = net_reason();
		hm_shim_msg(api, " refused: ", var,
			    " is set, and it changes what the resolver "
			    "queries (unset it under --no-network)");
	}
	if (r != HM_R_NONE)
		hm_shim_report(api, "host", buf, r);
	return r;
}

/* A lookup through the name service switch (getaddrinfo, gethostbyname). */
static enum hm_reason resolve_check(const char *name, char *buf, size_t cap,
				    const char *api, int family)
{
	return resolve_check_as(name, buf, cap, api, family, &hm_net_hosts);
}

/* A res_* query: it goes to the name server, /etc/hosts is not read. */
static enum hm_reason res_check(const char *name, char *buf, size_t cap,
				const char *api)
{
	return resolve_check_as(name, buf, cap, api, AF_UNSPEC, NULL);
}

static int net_getaddrinfo(const char *node, const char *service,
			   const struct addrinfo *hints, struct addrinfo **res)
{
	char name[NAME_CAP];
	struct addrinfo numhints;
	int saved = errno, numeric, rc;
	enum hm_reason r;

	HM_SHIM_GUARD();
	/*
	 * AI_NUMERICHOST: glibc parses the host as an address and fails a
	 * name with EAI_NONAME by itself; no NSS module runs and no query is
	 * made, so a name is no lookup to judge (CPython's getnameinfo
	 * parses its host this way). The hints are copied (a plain copy: the
	 * lookup reads them anyway) and the copy is tested and passed on, so
	 * another thread cannot clear the flag between this test and glibc's
	 * read.
	 * An address is judged as before. Not done for getaddrinfo_a, whose
	 * workers read the caller's hints later.
	 */
	if (hints && (hints->ai_flags & AI_NUMERICHOST) &&
	    (numhints = *hints, numhints.ai_flags & AI_NUMERICHOST) &&
	    str_copy(name, sizeof(name), node) == 0 && !is_numeric_host(name)) {
		errno = saved;
		return HM_REAL(getaddrinfo)(name, service, &numhints, res);
	}
	r = resolve_check(node, name, sizeof(name), "getaddrinfo",
			  hints ? hints->ai_family : AF_UNSPEC);
	numeric = (hints && (hints->ai_flags & AI_NUMERICHOST)) ||
		  (r == HM_R_NONE && is_numeric_host(name));
	if (r != HM_R_NONE) {
		errno = EACCES;
		return EAI_SYSTEM;
	}
	errno = saved;
	rc = HM_REAL(getaddrinfo)(name, service, hints, res);
	if (rc == 0 && res && !numeric) {
		saved = errno;
		prov_record_ai(name, *res);
		errno = saved;
	}
	return rc;
}

/* A NULL node is a passive or local lookup that sends nothing: allowed. */
HM_EXPORT int getaddrinfo(const char *node, const char *service,
			  const struct addrinfo *hints, struct addrinfo **res)
{
	if (!hm_shim_enter() || !node || !(hm_shim_flags() & NET_GATE))
		return HM_REAL(getaddrinfo)(node, service, hints, res);
	return net_getaddrinfo(node, service, hints, res);
}

/*
 * Every request's name is checked before the lookups start. The worker
 * threads read ar_name later, from the caller's memory, so a name
 * swapped after this check is a TOCTOU residue (an async request has no
 * stack of ours to hold a copy). Results are not recorded for
 * provenance: they arrive after we return.
 */
static int net_getaddrinfo_a(int mode, struct gaicb **list, int nitems,
			     struct sigevent *sevp)
{
	char name[NAME_CAP];
	int saved = errno;
	enum hm_reason r = HM_R_NONE;

	HM_SHIM_GUARD();
	for (int i = 0; list && i < nitems && r == HM_R_NONE; i++)
		if (list[i] && list[i]->ar_name)
			r = resolve_check(list[i]->ar_name, name, sizeof(name),
					  "getaddrinfo_a",
					  list[i]->ar_request
					      ? list[i]->ar_request->ai_family
					      : AF_UNSPEC);
	if (r != HM_R_NONE) {
		errno = EACCES;
		return EAI_SYSTEM;
	}
	errno = saved;
	return HM_REAL(getaddrinfo_a)(mode, list, nitems, sevp);
}

HM_EXPORT int getaddrinfo_a(int mode, struct gaicb **list, int nitems,
			    struct sigevent *sevp)
{
	if (!hm_shim_enter() || !HM_REAL(getaddrinfo_a) ||
	    !(hm_shim_flags() & NET_GATE)) {
		if (!HM_REAL(getaddrinfo_a)) {
			errno = ENOSYS;
			return EAI_SYSTEM;
		}
		return HM_REAL(getaddrinfo_a)(mode, list, nitems, sevp);
	}
	return net_getaddrinfo_a(mode, list, nitems, sevp);
}

/* getaddrinfo_a@GLIBC_2.2.5 (libanl before 2.34) is the same function. */
HM_COMPAT_VERSION(getaddrinfo_a, getaddrinfo_a, "GLIBC_2.2.5");

/* Record a gethostbyname* result if the name was not a literal. */
static void record_hostent(const char *name, const struct hostent *he)
{
	int saved = errno;

	HM_SHIM_GUARD();
	if (he && !is_numeric_host(name))
		prov_record_he(name, he);
	errno = saved;
}

/* Deny a plain gethostby*: NULL, h_errno NO_RECOVERY, errno EACCES. */
static struct hostent *hostent_deny(void)
{
	h_errno = NO_RECOVERY;
	errno = EACCES;
	return NULL;
}

/* Deny a gethostby*_r: never ERANGE (callers grow the buffer and retry). */
static int hostent_r_deny(struct hostent **result, int *h_errnop)
{
	if (result)
		*result = NULL;
	if (h_errnop)
		*h_errnop = NO_RECOVERY;
	/* CPython reads the global h_errno, not *h_errnop. */
	h_errno = NO_RECOVERY;
	errno = EACCES;
	return EACCES;
}

/*
 * gethostbyname and gethostbyname2 share one body: @af < 0 selects the
 * one-argument form.
 */
static struct hostent *net_gethostbyname(const char *name, int af)
{
	char buf[NAME_CAP];
	struct hostent *he;
	int saved = errno;
	enum hm_reason r;

	HM_SHIM_GUARD();
	r = resolve_check(name, buf, sizeof(buf), "gethostbyname",
			  af < 0 ? AF_INET : af);
	if (r != HM_R_NONE)
		return hostent_deny();
	errno = saved;
	he = af < 0 ? HM_REAL(gethostbyname)(buf)
		    : HM_REAL(gethostbyname2)(buf, af);
	record_hostent(buf, he);
	return he;
}

HM_EXPORT struct hostent *gethostbyname(const char *name)
{
	if (!hm_shim_enter() || !name || !(hm_shim_flags() & NET_GATE))
		return HM_REAL(gethostbyname)(name);
	return net_gethostbyname(name, -1);
}

HM_EXPORT struct hostent *gethostbyname2(const char *name, int af)
{
	if (!hm_shim_enter() || !name || !(hm_shim_flags() & NET_GATE))
		return HM_REAL(gethostbyname2)(name, af);
	return net_gethostbyname(name, af);
}

/* The reentrant pair; @af < 0 selects gethostbyname_r. */
static int net_gethostbyname_r(const char *name, int af, struct hostent *ret,
			       char *buf, size_t buflen,
			       struct hostent **result, int *h_errnop)
{
	char copy[NAME_CAP];
	int saved = errno, rc;
	enum hm_reason r;

	HM_SHIM_GUARD();
	r = resolve_check(name, copy, sizeof(copy), "gethostbyname",
			  af < 0 ? AF_INET : af);
	if (r != HM_R_NONE)
		return hostent_r_deny(result, h_errnop);
	errno = saved;
	rc = af < 0 ? HM_REAL(gethostbyname_r)(copy, ret, buf, buflen, result,
					       h_errnop)
		    : HM_REAL(gethostbyname2_r)(copy, af, ret, buf, buflen,
						result, h_errnop);
	if (rc == 0 && result)
		record_hostent(copy, *result);
	return rc;
}

HM_EXPORT int gethostbyname_r(const char *name, struct hostent *ret, char *buf,
			      size_t buflen, struct hostent **result,
			      int *h_errnop)
{
	if (!hm_shim_enter() || !name || !(hm_shim_flags() & NET_GATE))
		return HM_REAL(gethostbyname_r)(name, ret, buf, buflen, result,
						h_errnop);
	return net_gethostbyname_r(name, -1, ret, buf, buflen, result,
				   h_errnop);
}

HM_EXPORT int gethostbyname2_r(const char *name, int af, struct hostent *ret,
			       char *buf, size_t buflen,
			       struct hostent **result, int *h_errnop)
{
	if (!hm_shim_enter() || !name || !(hm_shim_flags() & NET_GATE))
		return HM_REAL(gethostbyname2_r)(name, af, ret, buf, buflen,
						 result, h_errnop);
	return net_gethostbyname_r(name, af, ret, buf, buflen, result,
				   h_errnop);
}

/* The checked address bytes of @ss (as reverse_check fills it). */
static const void *ss_addr(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return &((const struct sockaddr_in *)ss)->sin_addr;
	return &((const struct sockaddr_in6 *)ss)->sin6_addr;
}

/*
 * Reverse lookups: the core judges the address (HM_OP_REVERSE): one
 * /etc/hosts answers (nsswitch reads it first) or, under allow_localhost,
 * a loopback address, passes; any other would ask a name server. The
 * address is copied into a sockaddr so the real call gets the checked
 * bytes. Runs under HM_SHIM_GUARD; reports a denial.
 */
static enum hm_reason reverse_check(const void *addr, socklen_t len, int type,
				    struct sockaddr_storage *ss)
{
	struct hm_request rq = {.op = HM_OP_REVERSE};
	char text[INET6_ADDRSTRLEN];
	enum hm_reason r;
	socklen_t salen = 0;

	memset(ss, 0, sizeof(*ss));
	if (addr && type == AF_INET && len == 4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, addr, 4);
		salen = sizeof(*sin);
	} else if (addr && type == AF_INET6 && len == 16) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, addr, 16);
		salen = sizeof(*sin6);
	}
	if (!salen) {
		/* Not an address glibc would look up: fail closed. */
		r = net_reason();
		hm_shim_report("gethostbyaddr", "host", "?", r);
		return r;
	}
	rq.sa = (const struct sockaddr *)ss;
	rq.salen = salen;
	rq.hosts = &hm_net_hosts;
	r = hm_shim_check(&rq);
	if (r != HM_R_NONE) {
		const char *v =
		    inet_ntop(type, ss_addr(ss), text, sizeof(text));

		hm_shim_report("gethostbyaddr", "host", v ? v : "?", r);
	}
	return r;
}

static struct hostent *net_gethostbyaddr(const void *addr, socklen_t len,
					 int type)
{
	struct sockaddr_storage ss;
	int saved = errno;
	enum hm_reason r;

	HM_SHIM_GUARD();
	r = reverse_check(addr, len, type, &ss);
	if (r != HM_R_NONE)
		return hostent_deny();
	errno = saved;
	return HM_REAL(gethostbyaddr)(ss_addr(&ss), len, type);
}

static struct hostent *gethostbyaddr_slow(const void *addr, socklen_t len,
					  int type)
{
	return net_gethostbyaddr(addr, len, type);
}

static int net_gethostbyaddr_r(const void *addr, socklen_t len, int type,
			       struct hostent *ret, char *buf, size_t buflen,
			       struct hostent **result, int *h_errnop)
{
	struct sockaddr_storage ss;
	int saved = errno;
	enum hm_reason r;

	HM_SHIM_GUARD();
	r = reverse_check(addr, len, type, &ss);
	if (r != HM_R_NONE)
		return hostent_r_deny(result, h_errnop);
	errno = saved;
	return HM_REAL(gethostbyaddr_r)(ss_addr(&ss), len, type, ret, buf,
					buflen, result, h_errnop);
}

static int gethostbyaddr_r_slow(const void *addr, socklen_t len, int type,
				struct hostent *ret, char *buf, size_t buflen,
				struct hostent **result, int *h_errnop)
{
	return net_gethostbyaddr_r(addr, len, type, ret, buf, buflen, result,
				   h_errnop);
}

/*
 * getnameinfo() asks for a name only when the caller wants a host name
 * and did not say NI_NUMERICHOST. Then the core judges the address as a
 * reverse lookup; a refused one still works, numerically (logging code
 * keeps running and no query leaves), and a caller that insists on a
 * name (NI_NAMEREQD) gets EAI_NONAME. The real call gets our copy.
 */
static int net_getnameinfo(const struct sockaddr *sa, socklen_t salen,
			   char *host, socklen_t hostlen, char *serv,
			   socklen_t servlen, int flags)
{
	struct hm_request rq = {.op = HM_OP_REVERSE};
	struct sockaddr_storage ss;
	char text[160];
	enum hm_reason r;

	if (!host || !hostlen || (flags & NI_NUMERICHOST) || !sa)
		return HM_REAL(getnameinfo)(sa, salen, host, hostlen, serv,
					    servlen, flags);
	if (sa_copy(&ss, sa, salen) < 0)
		return EAI_FAMILY;
	HM_SHIM_GUARD();
	rq.sa = (const struct sockaddr *)&ss;
	rq.salen = salen;
	rq.hosts = &hm_net_hosts;
	r = hm_shim_check(&rq);
	if (r != HM_R_NONE && (flags & NI_NAMEREQD))
		hm_shim_report("getnameinfo", "host",
			       hm_format_sockaddr((struct sockaddr *)&ss, salen,
						  text, sizeof(text)),
			       r);
	if (r != HM_R_NONE) {
		if (flags & NI_NAMEREQD)
			return EAI_NONAME;
		flags |= NI_NUMERICHOST;
	}
	return HM_REAL(getnameinfo)((struct sockaddr *)&ss, salen, host,
				    hostlen, serv, servlen, flags);
}

static int getnameinfo_slow(const struct sockaddr *sa, socklen_t salen,
			    char *host, socklen_t hostlen, char *serv,
			    socklen_t servlen, int flags)
{
	return net_getnameinfo(sa, salen, host, hostlen, serv, servlen, flags);
}

/* ------------------------------------------------------------------ */
/* The res_* family                                                    */
/* ------------------------------------------------------------------ */

/*
 * In libc since 2.34 (optional rows: a missing one fails with ENOSYS).
 * Queries by name pass if the core allows resolving the name, and the
 * real call gets our copy of it; res_send/res_nsend carry a raw packet
 * and are refused under a network block. A denial returns -1 with
 * h_errno (and statp->res_h_errno) NO_RECOVERY and errno EACCES.
 * Answers are not parsed, so res_* results give no provenance.
 */

static int res_deny(void *statp)
{
	if (statp)
		((res_state)statp)->res_h_errno = NO_RECOVERY;
	h_errno = NO_RECOVERY;
	errno = EACCES;
	return -1;
}

enum res_kind { RES_QUERY, RES_SEARCH, RES_NQUERY, RES_NSEARCH };

static int net_res_query(enum res_kind k, void *statp, const char *dname,
			 int cls, int type, unsigned char *answer, int anslen)
{
	static const char *const api[] = {"res_query", "res_search",
					  "res_nquery", "res_nsearch"};
	char name[NAME_CAP];
	int saved = errno;
	enum hm_reason r;

	if (!dname) {
		errno = EINVAL;
		return -1;
	}
	HM_SHIM_GUARD();
	r = res_check(dname, name, sizeof(name), api[k]);
	if (r != HM_R_NONE)
		return res_deny(statp);
	errno = saved;
	switch (k) {
	case RES_QUERY:
		return HM_REAL(res_query)(name, cls, type, answer, anslen);
	case RES_SEARCH:
		return HM_REAL(res_search)(name, cls, type, answer, anslen);
	case RES_NQUERY:
		return HM_REAL(res_nquery)(statp, name, cls, type, answer,
					   anslen);
	case RES_NSEARCH:
		return HM_REAL(res_nsearch)(statp, name, cls, type, answer,
					    anslen);
	default:
		return res_deny(statp);
	}
}

static int res_query_slow(const char *dname, int cls, int type,
			  unsigned char *answer, int anslen)
{
	return net_res_query(RES_QUERY, NULL, dname, cls, type, answer, anslen);
}

static int res_search_slow(const char *dname, int cls, int type,
			   unsigned char *answer, int anslen)
{
	return net_res_query(RES_SEARCH, NULL, dname, cls, type, answer,
			     anslen);
}

/*
 * res_querydomain asks for "name.domain" (or name alone): that joined
 * name is what the core judges; the real call gets copies of both parts.
 */
static int net_res_querydomain(void *statp, const char *name,
			       const char *domain, int cls, int type,
			       unsigned char *answer, int anslen)
{
	const char *api = statp ? "res_nquerydomain" : "res_querydomain";
	char n[NAME_CAP], d[NAME_CAP], full[NAME_CAP], joined[NAME_CAP];
	int saved = errno;
	enum hm_reason r;
	size_t nl;

	if (!name) {
		errno = EINVAL;
		return -1;
	}
	HM_SHIM_GUARD();
	if (str_copy(n, sizeof(n), name) < 0 ||
	    (domain && str_copy(d, sizeof(d), domain) < 0) ||
	    (nl = strlen(n), domain && nl + 1 + strlen(d) >= sizeof(full))) {
		r = net_reason();
		hm_shim_report(api, "host", name, r);
	} else {
		memcpy(full, n, nl + 1);
		if (domain) {
			full[nl] = '.';
			memcpy(full + nl + 1, d, strlen(d) + 1);
		}
		r = res_check(full, joined, sizeof(joined), api);
	}
	if (r != HM_R_NONE)
		return res_deny(statp);
	errno = saved;
	if (statp)
		return HM_REAL(res_nquerydomain)(statp, n, domain ? d : NULL,
						 cls, type, answer, anslen);
	return HM_REAL(res_querydomain)(n, domain ? d : NULL, cls, type, answer,
					anslen);
}

static int res_querydomain_slow(const char *name, const char *domain, int cls,
				int type, unsigned char *answer, int anslen)
{
	return net_res_querydomain(NULL, name, domain, cls, type, answer,
				   anslen);
}

/*
 * A raw-packet send: the core's verdict (HM_OP_RAW_DNS). Returns 1 if
 * refused (reported, h_errno and errno set), 0 to forward.
 */
static int res_send_refused(void *statp, const char *api)
{
	struct hm_request rq = {.op = HM_OP_RAW_DNS};
	int saved = errno;
	enum hm_reason r;

	HM_SHIM_GUARD();
	r = hm_shim_check(&rq);
	if (r != HM_R_NONE)
		hm_shim_report(api, NULL, NULL, r);
	if (r == HM_R_NONE) {
		errno = saved;
		return 0;
	}
	res_deny(statp);
	return 1;
}

static int res_send_slow(const unsigned char *msg, int msglen,
			 unsigned char *answer, int anslen)
{
	if (res_send_refused(NULL, "res_send"))
		return -1;
	return HM_REAL(res_send)(msg, msglen, answer, anslen);
}

static int res_nquery_slow(struct __res_state *statp, const char *dname,
			   int cls, int type, unsigned char *answer, int anslen)
{
	return net_res_query(RES_NQUERY, statp, dname, cls, type, answer,
			     anslen);
}

static int res_nsearch_slow(struct __res_state *statp, const char *dname,
			    int cls, int type, unsigned char *answer,
			    int anslen)
{
	return net_res_query(RES_NSEARCH, statp, dname, cls, type, answer,
			     anslen);
}

static int res_nquerydomain_slow(struct __res_state *statp, const char *name,
				 const char *domain, int cls, int type,
				 unsigned char *answer, int anslen)
{
	if (!statp) {
		errno = EINVAL;
		return -1;
	}
	return net_res_querydomain(statp, name, domain, cls, type, answer,
				   anslen);
}

static int res_nsend_slow(struct __res_state *statp, const unsigned char *msg,
			  int msglen, unsigned char *answer, int anslen)
{
	if (res_send_refused(statp, "res_nsend"))
		return -1;
	return HM_REAL(res_nsend)(statp, msg, msglen, answer, anslen);
}

/* ------------------------------------------------------------------ */
/* Legacy r* helpers                                                   */
/* ------------------------------------------------------------------ */

/*
 * rcmd/rexec connect, rresvport binds, and ruserok/iruserok look host
 * names up, all through libc-internal calls no other wrapper sees. They
 * have no place in a program with the network blocked: refused outright
 * with -1/EACCES. bindresvport is judged as the bind it performs.
 */
static int legacy_refused(const char *api, const char *host)
{
	struct hm_request rq = {.op = HM_OP_RCMD};
	char copy[NAME_CAP];
	int saved = errno;
	enum hm_reason r;

	HM_SHIM_GUARD();
	r = hm_shim_check(&rq);
	if (r != HM_R_NONE) {
		if (host && str_copy(copy, sizeof(copy), host) == 0)
			hm_shim_report(api, "host", copy, r);
		else
			hm_shim_report(api, NULL, NULL, r);
	}
	errno = r == HM_R_NONE ? saved : EACCES;
	return r != HM_R_NONE;
}

static int rcmd_slow(char **ahost, unsigned short inport, const char *locuser,
		     const char *remuser, const char *cmd, int *fd2p)
{
	if (legacy_refused("rcmd", ahost ? *ahost : NULL))
		return -1;
	return HM_REAL(rcmd)(ahost, inport, locuser, remuser, cmd, fd2p);
}

static int rcmd_af_slow(char **ahost, unsigned short inport,
			const char *locuser, const char *remuser,
			const char *cmd, int *fd2p, sa_family_t af)
{
	if (legacy_refused("rcmd", ahost ? *ahost : NULL))
		return -1;
	return HM_REAL(rcmd_af)(ahost, inport, locuser, remuser, cmd, fd2p, af);
}

static int rexec_slow(char **ahost, int rport, const char *name,
		      const char *pass, const char *cmd, int *fd2p)
{
	if (legacy_refused("rexec", ahost ? *ahost : NULL))
		return -1;
	return HM_REAL(rexec)(ahost, rport, name, pass, cmd, fd2p);
}

static int rexec_af_slow(char **ahost, int rport, const char *name,
			 const char *pass, const char *cmd, int *fd2p,
			 sa_family_t af)
{
	if (legacy_refused("rexec", ahost ? *ahost : NULL))
		return -1;
	return HM_REAL(rexec_af)(ahost, rport, name, pass, cmd, fd2p, af);
}

static int rresvport_slow(int *alport)
{
	if (legacy_refused("rresvport", NULL))
		return -1;
	return HM_REAL(rresvport)(alport);
}

static int rresvport_af_slow(int *alport, sa_family_t af)
{
	if (legacy_refused("rresvport", NULL))
		return -1;
	return HM_REAL(rresvport_af)(alport, af);
}

/* A NULL @sin binds INADDR_ANY; the chosen port is copied back. */
static int net_bindresvport(int sd, struct sockaddr_in *sin)
{
	struct sockaddr_in copy = {.sin_family = AF_INET};
	struct hm_request rq = {.op = HM_OP_BIND,
				.sa = (const struct sockaddr *)&copy,
				.salen = sizeof(copy)};
	char text[160];
	int saved = errno, rc;
	enum hm_reason r;

	if (sin)
		copy = *sin;
	HM_SHIM_GUARD();
	r = hm_shim_check(&rq);
	if (r != HM_R_NONE)
		hm_shim_report(
		    "bindresvport", "host",
		    hm_format_sockaddr(rq.sa, rq.salen, text, sizeof(text)), r);
	if (r != HM_R_NONE) {
		errno = EACCES;
		return -1;
	}
	errno = saved;
	if (!sin)
		return HM_REAL(bindresvport)(sd, NULL);
	rc = HM_REAL(bindresvport)(sd, &copy);
	sin->sin_port = copy.sin_port;
	return rc;
}

static int bindresvport_slow(int sd, struct sockaddr_in *sin)
{
	return net_bindresvport(sd, sin);
}

static int ruserok_slow(const char *rhost, int suser, const char *remuser,
			const char *locuser)
{
	if (legacy_refused("ruserok", rhost))
		return -1;
	return HM_REAL(ruserok)(rhost, suser, remuser, locuser);
}

static int ruserok_af_slow(const char *rhost, int suser, const char *remuser,
			   const char *locuser, sa_family_t af)
{
	if (legacy_refused("ruserok", rhost))
		return -1;
	return HM_REAL(ruserok_af)(rhost, suser, remuser, locuser, af);
}

static int iruserok_slow(uint32_t raddr, int suser, const char *remuser,
			 const char *locuser)
{
	if (legacy_refused("iruserok", NULL))
		return -1;
	return HM_REAL(iruserok)(raddr, suser, remuser, locuser);
}

static int iruserok_af_slow(const void *raddr, int suser, const char *remuser,
			    const char *locuser, sa_family_t af)
{
	if (legacy_refused("iruserok", NULL))
		return -1;
	return HM_REAL(iruserok_af)(raddr, suser, remuser, locuser, af);
}

#define HM_TRAMPOLINE_ROWS "sym_net_resolve.def"
#include "trampolines.h"
