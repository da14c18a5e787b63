/*
 * test_hosts.c - tables for the resolver rules of the core: which lookups
 * the name service switch answers without a query (hm_hosts_*), the
 * forward and reverse lookup verdicts that use it (HM_OP_RESOLVE,
 * HM_OP_REVERSE), and the one numeric-host parser (hm_addr_parse_numeric).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "hermetic/hermetic.h"
#include "tap.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char hosts_text[] =
    "# comment line\n"
    "127.0.0.1\tlocalhost\n"
    "127.0.1.1 testhost.example testhost   # trailing comment\n"
    "192.0.2.20 listed.test Alias.Test\n"
    "2001:db8::20 v6only.test listed.test\n"
    "::1 ip6-localhost\n"
    "127.1 notexact.test\n" /* not an inet_pton literal: skipped */
    "192.0.2.30\n"	    /* an address without names */
    "garbage line here\n"
    "   \n"
    "192.0.2.40 last.test"; /* no final newline */

static void test_nsswitch(void)
{
	/* clang-format off */
	static const struct {
		const char *ns;
		int local;
	} rows[] = {
		{ "hosts: files dns\n", 1 },
		{ "hosts:          files dns\n", 1 },
		{ "  hosts : files\n", 1 },
		{ "hosts: files mdns4_minimal [NOTFOUND=return] dns\n", 1 },
		{ "hosts: myhostname files dns\n", 1 },
		{ "hosts: FILES dns\n", 1 },
		{ "passwd: files\nhosts: files dns # c\n", 1 },
		{ "hosts: files [!NOTFOUND=return] dns\n", 1 },
		{ "hosts: dns files\n", 0 },
		{ "hosts: resolve [!UNAVAIL=return] files\n", 0 },
		{ "hosts: mdns4_minimal files\n", 0 },
		{ "hosts: files [SUCCESS=continue] dns\n", 0 },
		{ "hosts: files\nhosts: dns\n", 0 }, /* two lines: not understood */
		{ "# hosts: files\n", 0 },
		{ "hostsx: files\n", 0 },
		{ "passwd: files\n", 0 },           /* default: dns first */
		{ "", 0 },
		{ NULL, 0 },                         /* no nsswitch.conf */
	};
	/* clang-format on */
	static struct hm_hosts t;
	size_t i;

	for (i = 0; i < ARRAY_LEN(rows); i++) {
		char name[160];

		hm_hosts_parse(&t, rows[i].ns,
			       rows[i].ns ? strlen(rows[i].ns) : 0, hosts_text,
			       strlen(hosts_text));
		snprintf(name, sizeof(name), "nsswitch %s -> %s",
			 rows[i].ns ? rows[i].ns : "(missing)",
			 rows[i].local ? "local" : "not local");
		for (char *c = name; *c; c++)
			if (*c == '\n')
				*c = '|';
		CHECK_INT(hm_hosts_name(&t, "listed.test", AF_UNSPEC),
			  rows[i].local, name);
	}
}

static void test_names(void)
{
	static const char ns[] = "hosts: files dns\n";
	/* clang-format off */
	static const struct {
		const char *name;
		int family;
		int local;
	} rows[] = {
		{ "localhost", AF_UNSPEC, 1 },
		{ "LOCALHOST", AF_INET, 1 },        /* glibc compares caselessly */
		{ "localhost.", AF_UNSPEC, 0 },     /* trailing dot: DNS */
		{ "testhost", AF_UNSPEC, 1 },
		{ "testhost.example", AF_INET, 1 },
		{ "testhost.", AF_UNSPEC, 0 },
		{ "testhost.example.", AF_UNSPEC, 0 },
		{ "testhos", AF_UNSPEC, 0 },
		{ "xtesthost", AF_UNSPEC, 0 },
		{ "alias.test", AF_UNSPEC, 1 },
		{ "listed.test", AF_INET, 1 },
		{ "listed.test", AF_INET6, 1 },     /* both families listed */
		{ "testhost", AF_INET6, 0 },        /* IPv4 only: files misses */
		{ "v6only.test", AF_INET, 0 },
		{ "v6only.test", AF_INET6, 1 },
		{ "ip6-localhost", AF_UNSPEC, 1 },
		{ "notexact.test", AF_UNSPEC, 0 },  /* its line was skipped */
		{ "trailing", AF_UNSPEC, 0 },       /* words after '#' */
		{ "comment", AF_UNSPEC, 0 },
		{ "garbage", AF_UNSPEC, 0 },
		{ "line", AF_UNSPEC, 0 },
		{ "last.test", AF_UNSPEC, 1 },      /* no final newline */
		{ "unlisted.test", AF_UNSPEC, 0 },
		{ "", AF_UNSPEC, 0 },
		{ "listed.test", AF_UNIX, 0 },
	};
	/* clang-format on */
	static struct hm_hosts t;
	size_t i;

	hm_hosts_parse(&t, ns, strlen(ns), hosts_text, strlen(hosts_text));
	for (i = 0; i < ARRAY_LEN(rows); i++) {
		char name[160];

		snprintf(name, sizeof(name), "hosts name %s/%d -> %d",
			 rows[i].name, rows[i].family, rows[i].local);
		CHECK_INT(hm_hosts_name(&t, rows[i].name, rows[i].family),
			  rows[i].local, name);
	}
	OK(!hm_hosts_name(NULL, "localhost", AF_UNSPEC), "hosts: NULL table");
	OK(!hm_hosts_name(&t, NULL, AF_UNSPEC), "hosts: NULL name");
	hm_hosts_parse(&t, ns, strlen(ns), NULL, 0);
	OK(!hm_hosts_name(&t, "localhost", AF_UNSPEC), "hosts: no hosts file");
}

static socklen_t sa_of(const char *text, struct sockaddr_storage *ss);

/*
 * hm_hosts_parse resets only the counts (the shim's table is fresh .bss
 * and is not cleared): a table parsed before answers only from the new
 * text, and one filled with garbage answers like a zeroed one.
 */
static void test_reparse(void)
{
	static const char ns[] = "hosts: files dns\n";
	static const char first[] = "10.1.1.1 first.test\n"
				    "fd00::1 v6first.test\n";
	static const char second[] = "10.2.2.2 second.test\n";
	static struct hm_hosts t, fresh;
	struct sockaddr_storage ss;
	socklen_t len;

	hm_hosts_parse(&t, ns, strlen(ns), first, strlen(first));
	OK(hm_hosts_name(&t, "first.test", AF_UNSPEC), "reparse: first listed");
	hm_hosts_parse(&t, ns, strlen(ns), second, strlen(second));
	OK(!hm_hosts_name(&t, "first.test", AF_UNSPEC),
	   "reparse: old name gone");
	OK(!hm_hosts_name(&t, "v6first.test", AF_UNSPEC),
	   "reparse: old v6 name gone");
	OK(hm_hosts_name(&t, "second.test", AF_INET), "reparse: new name");
	len = sa_of("10.1.1.1", &ss);
	OK(!hm_hosts_addr(&t, (struct sockaddr *)&ss, len),
	   "reparse: old address gone");
	len = sa_of("10.2.2.2", &ss);
	OK(hm_hosts_addr(&t, (struct sockaddr *)&ss, len),
	   "reparse: new address");
	memset(&t, 0xa5, sizeof(t));
	hm_hosts_parse(&t, ns, strlen(ns), second, strlen(second));
	hm_hosts_parse(&fresh, ns, strlen(ns), second, strlen(second));
	CHECK_INT(t.n_names, fresh.n_names, "garbage table: names");
	CHECK_INT(t.n_addrs, fresh.n_addrs, "garbage table: addresses");
	CHECK_INT(t.local, fresh.local, "garbage table: services");
	OK(hm_hosts_name(&t, "second.test", AF_INET) &&
	       !hm_hosts_name(&t, "first.test", AF_UNSPEC),
	   "garbage table: answers from the new text only");
}

static socklen_t sa_of(const char *text, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		return sizeof(*sin);
	}
	if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		return sizeof(*sin6);
	}
	return 0;
}

static void test_addrs(void)
{
	static const char ns[] = "hosts: files dns\n";
	/* clang-format off */
	static const struct {
		const char *addr;
		int local;
	} rows[] = {
		{ "127.0.0.1", 1 },
		{ "127.0.1.1", 1 },
		{ "192.0.2.20", 1 },
		{ "2001:db8::20", 1 },
		{ "::1", 1 },
		{ "192.0.2.40", 1 },
		{ "192.0.2.30", 0 },            /* listed without a name */
		{ "127.0.0.2", 0 },
		{ "::ffff:127.0.0.1", 0 },      /* files does not map v4 */
		{ "192.0.2.21", 0 },
	};
	/* clang-format on */
	static struct hm_hosts t;
	struct sockaddr_storage ss;
	size_t i;

	hm_hosts_parse(&t, ns, strlen(ns), hosts_text, strlen(hosts_text));
	for (i = 0; i < ARRAY_LEN(rows); i++) {
		char name[160];
		socklen_t len = sa_of(rows[i].addr, &ss);

		snprintf(name, sizeof(name), "hosts addr %s -> %d",
			 rows[i].addr, rows[i].local);
		CHECK_INT(hm_hosts_addr(&t, (struct sockaddr *)&ss, len),
			  rows[i].local, name);
	}
	{
		socklen_t len = sa_of("127.0.0.1", &ss);

		OK(!hm_hosts_addr(&t, (struct sockaddr *)&ss, len - 1),
		   "hosts addr: short sockaddr");
	}
	hm_hosts_parse(&t, "hosts: dns files\n", 17, hosts_text,
		       strlen(hosts_text));
	OK(!hm_hosts_addr(&t, (struct sockaddr *)&ss, sa_of("127.0.0.1", &ss)),
	   "hosts addr: dns first, nothing local");
}

static void test_limits(void)
{
	static char big[HM_HOSTS_NAMES * 24 + 64];
	static struct hm_hosts t;
	static const char ns[] = "hosts: files\n";
	size_t i, len = 0;

	for (i = 0; i < HM_HOSTS_NAMES + 8; i++)
		len += (size_t)snprintf(big + len, sizeof(big) - len,
					"10.0.0.1 n%zu.test\n", i);
	hm_hosts_parse(&t, ns, strlen(ns), big, len);
	OK(hm_hosts_name(&t, "n0.test", AF_UNSPEC), "limits: first name kept");
	OK(!hm_hosts_name(&t, "n520.test", AF_UNSPEC),
	   "limits: a name beyond the table is not local (fail closed)");
}

static struct hm_policy pol(uint32_t flags)
{
	struct hm_policy p;

	hm_policy_init(&p);
	p.flags = flags;
	return p;
}

static void test_verdicts(void)
{
	static const char ns[] = "hosts: files dns\n";
	static struct hm_hosts t;
	struct hm_policy no_net = pol(HM_F_BLOCK_NETWORK);
	struct hm_policy local = pol(HM_F_BLOCK_NETWORK | HM_F_ALLOW_LOCALHOST);
	struct hm_policy dom = pol(HM_F_BLOCK_NETWORK);
	/* clang-format off */
	static const struct {
		const char *name;
		int family;
		int use_hosts;
		enum hm_reason no_net, local, dom;
	} fwd[] = {
		{ "testhost", AF_UNSPEC, 1, HM_R_NONE, HM_R_NONE, HM_R_NONE },
		{ "testhost", AF_UNSPEC, 0, HM_R_NO_NETWORK, HM_R_NO_NETWORK, HM_R_NO_NETWORK },
		{ "testhost.", AF_UNSPEC, 1, HM_R_NO_NETWORK, HM_R_NO_NETWORK, HM_R_NO_NETWORK },
		{ "testhost", AF_INET6, 1, HM_R_NO_NETWORK, HM_R_NO_NETWORK, HM_R_NO_NETWORK },
		{ "listed.test", AF_INET, 1, HM_R_NONE, HM_R_NONE, HM_R_NONE },
		{ "localhost", AF_UNSPEC, 1, HM_R_NONE, HM_R_NONE, HM_R_NONE },
		{ "localhost", AF_UNSPEC, 0, HM_R_NO_NETWORK, HM_R_NONE, HM_R_NO_NETWORK },
		{ "unlisted.test", AF_UNSPEC, 1, HM_R_NO_NETWORK, HM_R_NO_NETWORK, HM_R_NO_NETWORK },
		{ "api.example.com", AF_UNSPEC, 1, HM_R_NO_NETWORK, HM_R_NO_NETWORK, HM_R_NONE },
		{ "127.0.0.1", AF_UNSPEC, 0, HM_R_NONE, HM_R_NONE, HM_R_NONE },
		{ "metadata.google.internal", AF_UNSPEC, 1, HM_R_NO_NETWORK, HM_R_NO_NETWORK, HM_R_NO_NETWORK },
	};
	static const struct {
		const char *addr;
		int use_hosts;
		enum hm_reason no_net, local;
	} rev[] = {
		{ "127.0.0.1", 1, HM_R_NONE, HM_R_NONE },
		{ "127.0.0.1", 0, HM_R_NO_NETWORK, HM_R_NONE },
		{ "127.0.0.9", 1, HM_R_NO_NETWORK, HM_R_NONE },   /* loopback */
		{ "::ffff:127.0.0.1", 1, HM_R_NO_NETWORK, HM_R_NONE },
		{ "::1", 0, HM_R_NO_NETWORK, HM_R_NONE },
		{ "192.0.2.20", 1, HM_R_NONE, HM_R_NONE },        /* in hosts */
		{ "192.0.2.20", 0, HM_R_NO_NETWORK, HM_R_NO_NETWORK },
		{ "192.0.2.99", 1, HM_R_NO_NETWORK, HM_R_NO_NETWORK },
		{ "2001:db8::20", 1, HM_R_NONE, HM_R_NONE },
		{ "169.254.169.254", 1, HM_R_NO_NETWORK, HM_R_NO_NETWORK },
		{ "224.0.0.1", 1, HM_R_NO_NETWORK, HM_R_NO_NETWORK },
	};
	/* clang-format on */
	size_t i;

	hm_policy_add_domain(&dom, "example.com");
	hm_hosts_parse(&t, ns, strlen(ns), hosts_text, strlen(hosts_text));
	for (i = 0; i < ARRAY_LEN(fwd); i++) {
		struct hm_request rq = {.op = HM_OP_RESOLVE};
		char name[160];

		rq.name = fwd[i].name;
		rq.domain = fwd[i].family;
		rq.hosts = fwd[i].use_hosts ? &t : NULL;
		snprintf(name, sizeof(name),
			 "resolve %s/%d hosts=%d: no-network", fwd[i].name,
			 fwd[i].family, fwd[i].use_hosts);
		CHECK_INT(hm_policy_check(&no_net, &rq), fwd[i].no_net, name);
		snprintf(name, sizeof(name),
			 "resolve %s/%d hosts=%d: localhost", fwd[i].name,
			 fwd[i].family, fwd[i].use_hosts);
		CHECK_INT(hm_policy_check(&local, &rq), fwd[i].local, name);
		snprintf(name, sizeof(name), "resolve %s/%d hosts=%d: domains",
			 fwd[i].name, fwd[i].family, fwd[i].use_hosts);
		CHECK_INT(hm_policy_check(&dom, &rq), fwd[i].dom, name);
	}
	for (i = 0; i < ARRAY_LEN(rev); i++) {
		struct hm_request rq = {.op = HM_OP_REVERSE};
		struct sockaddr_storage ss;
		char name[160];

		rq.salen = sa_of(rev[i].addr, &ss);
		rq.sa = (struct sockaddr *)&ss;
		rq.hosts = rev[i].use_hosts ? &t : NULL;
		snprintf(name, sizeof(name), "reverse %s hosts=%d: no-network",
			 rev[i].addr, rev[i].use_hosts);
		CHECK_INT(hm_policy_check(&no_net, &rq), rev[i].no_net, name);
		snprintf(name, sizeof(name), "reverse %s hosts=%d: localhost",
			 rev[i].addr, rev[i].use_hosts);
		CHECK_INT(hm_policy_check(&local, &rq), rev[i].local, name);
		CHECK_INT(hm_policy_check(&(struct hm_policy){0}, &rq),
			  HM_R_NONE, "reverse: no network block, allowed");
	}
	{
		struct hm_request rq = {.op = HM_OP_REVERSE};
		struct sockaddr sa = {.sa_family = AF_UNIX};

		rq.sa = &sa;
		rq.salen = sizeof(sa);
		CHECK_INT(hm_policy_check(&local, &rq), HM_R_NO_NETWORK,
			  "reverse: not an IP address");
		rq.sa = NULL;
		CHECK_INT(hm_policy_check(&local, &rq), HM_R_NO_NETWORK,
			  "reverse: NULL address");
	}
	CHECK_INT(hm_op_family(HM_OP_REVERSE), HM_FAM_NETWORK,
		  "reverse: network family");
}

static void test_numeric(void)
{
	/* clang-format off */
	static const struct {
		const char *host;
		int family;
		const char *want; /* inet_ntop of the result, NULL: not numeric */
	} rows[] = {
		{ "127.0.0.1", AF_UNSPEC, "127.0.0.1" },
		{ "127.1", AF_UNSPEC, "127.0.0.1" },
		{ "0x7f.0.0.1", AF_INET, "127.0.0.1" },
		{ "2130706433", AF_UNSPEC, "127.0.0.1" },
		{ "017700000001", AF_UNSPEC, "127.0.0.1" },
		{ "127.0.0.1 junk", AF_UNSPEC, NULL }, /* inet_aton would take it */
		{ "127.0.0.1.", AF_UNSPEC, NULL },
		{ "1.2.3.4.5", AF_UNSPEC, NULL },
		{ "256.0.0.1", AF_UNSPEC, NULL },
		{ "::1", AF_UNSPEC, "::1" },
		{ "::1", AF_INET, NULL },
		{ "127.0.0.1", AF_INET6, NULL },
		{ "fe80::1%eth0", AF_INET6, "fe80::1" },
		{ "[::1]", AF_UNSPEC, NULL },
		{ "::ffff:127.0.0.1", AF_UNSPEC, "::ffff:127.0.0.1" },
		{ "localhost", AF_UNSPEC, NULL },
		{ "", AF_UNSPEC, NULL },
		{ "%eth0", AF_UNSPEC, NULL },
	};
	/* clang-format on */
	size_t i;

	for (i = 0; i < ARRAY_LEN(rows); i++) {
		struct sockaddr_storage ss;
		socklen_t len;
		char text[INET6_ADDRSTRLEN] = "", name[160];
		int got = hm_addr_parse_numeric(rows[i].host, rows[i].family,
						&ss, &len);

		if (got && ss.ss_family == AF_INET)
			inet_ntop(AF_INET,
				  &((struct sockaddr_in *)&ss)->sin_addr, text,
				  sizeof(text));
		else if (got)
			inet_ntop(AF_INET6,
				  &((struct sockaddr_in6 *)&ss)->sin6_addr,
				  text, sizeof(text));
		snprintf(name, sizeof(name), "numeric %s/%d -> %s",
			 rows[i].host, rows[i].family,
			 rows[i].want ? rows[i].want : "name");
		if (rows[i].want)
			OK(got == 1 && strcmp(text, rows[i].want) == 0 &&
			       len == (ss.ss_family == AF_INET
					   ? sizeof(struct sockaddr_in)
					   : sizeof(struct sockaddr_in6)),
			   name);
		else
			OK(got == 0 && len == 0, name);
	}
	{
		struct sockaddr_storage ss;
		socklen_t len;

		OK(!hm_addr_parse_numeric(NULL, AF_UNSPEC, &ss, &len),
		   "numeric: NULL");
	}
}

static void test_prov(void)
{
	static struct hm_prov_ring r;
	struct sockaddr_storage ss;
	char out[HM_DOMAIN_MAX], name[300];
	socklen_t len;
	int i;

	memset(&r, 0, sizeof(r));
	len = sa_of("192.0.2.1", &ss);
	OK(!hm_prov_lookup(&r, (struct sockaddr *)&ss, len, out, sizeof(out)),
	   "prov: empty ring finds nothing");
	hm_prov_record(&r, (struct sockaddr *)&ss, len, "Api.Example.COM.");
	OK(hm_prov_lookup(&r, (struct sockaddr *)&ss, len, out, sizeof(out)) &&
	       strcmp(out, "api.example.com") == 0,
	   "prov: recorded, lower-cased, trailing dot dropped");
	len = sa_of("::ffff:192.0.2.1", &ss);
	OK(hm_prov_lookup(&r, (struct sockaddr *)&ss, len, out, sizeof(out)),
	   "prov: IPv4-mapped finds the IPv4 record");
	len = sa_of("64:ff9b::c000:201", &ss);
	OK(hm_prov_lookup(&r, (struct sockaddr *)&ss, len, out, sizeof(out)),
	   "prov: NAT64 finds the IPv4 record");
	len = sa_of("192.0.2.2", &ss);
	OK(!hm_prov_lookup(&r, (struct sockaddr *)&ss, len, out, sizeof(out)),
	   "prov: another address finds nothing");
	len = sa_of("192.0.2.1", &ss);
	OK(!hm_prov_lookup(&r, (struct sockaddr *)&ss, len, out, 10),
	   "prov: a buffer too small finds nothing");
	hm_prov_record(&r, (struct sockaddr *)&ss, len, "newer.example.com");
	OK(hm_prov_lookup(&r, (struct sockaddr *)&ss, len, out, sizeof(out)) &&
	       strcmp(out, "newer.example.com") == 0,
	   "prov: the newest record wins");
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	len = sa_of("192.0.2.3", &ss);
	hm_prov_record(&r, (struct sockaddr *)&ss, len, name);
	OK(!hm_prov_lookup(&r, (struct sockaddr *)&ss, len, out, sizeof(out)),
	   "prov: a name too long is not recorded");
	{
		struct sockaddr sa = {.sa_family = AF_UNIX};

		hm_prov_record(&r, &sa, sizeof(sa), "unix.example.com");
		OK(!hm_prov_lookup(&r, &sa, sizeof(sa), out, sizeof(out)),
		   "prov: not an IP address: ignored");
	}
	for (i = 0; i < HM_PROV_SLOTS; i++) {
		char n[64];

		snprintf(n, sizeof(n), "filler%d.example.com", i);
		len = sa_of("198.51.100.1", &ss);
		hm_prov_record(&r, (struct sockaddr *)&ss, len, n);
	}
	len = sa_of("192.0.2.1", &ss);
	OK(!hm_prov_lookup(&r, (struct sockaddr *)&ss, len, out, sizeof(out)),
	   "prov: evicted after HM_PROV_SLOTS newer records");
}

static void test_door_and_legacy(void)
{
	/* clang-format off */
	static const struct {
		const char *path;
		int door;
	} names[] = {
		{ "/run/docker.sock", 1 },
		{ "/run/user/1000/podman/podman.sock", 1 },
		{ "containerd.sock", 1 },
		{ "/tmp/docker.sock.bak", 0 },
		{ "/tmp/mydocker.sock", 0 },
		{ "/run/docker.sock/", 0 },
		{ "", 0 },
	};
	/* clang-format on */
	struct sockaddr sa = {.sa_family = AF_UNIX};
	struct hm_request rq = {.op = HM_OP_CONNECT, .sa = &sa};
	struct hm_policy net = pol(HM_F_BLOCK_NETWORK);
	struct hm_policy sub = pol(HM_F_BLOCK_SUBPROCESS);
	struct hm_policy fs = pol(HM_F_FS_READONLY);
	const char *const *d;
	size_t i;

	for (i = 0; i < ARRAY_LEN(names); i++) {
		char name[160];

		snprintf(name, sizeof(name), "door name %s -> %d",
			 names[i].path, names[i].door);
		CHECK_INT(hm_door_name(names[i].path), names[i].door, name);
	}
	OK(!hm_door_name(NULL), "door name: NULL");
	for (d = hm_door_paths(), i = 0; *d; d++, i++)
		OK(hm_door_name(*d), "door paths: each is a door name");
	OK(i >= 4, "door paths: the system sockets are listed");

	rq.salen = sizeof(sa);
	CHECK_INT(hm_policy_check(&net, &rq), HM_R_NONE,
		  "unix connect: not a door, allowed under no-network");
	rq.is_door = 1;
	CHECK_INT(hm_policy_check(&net, &rq), HM_R_NO_NETWORK,
		  "door: refused under no-network");
	CHECK_INT(hm_policy_check(&sub, &rq), HM_R_NO_SUBPROCESS,
		  "door: refused under no-subprocess");
	CHECK_INT(hm_policy_check(&fs, &rq), HM_R_NONE,
		  "door: allowed under fs-readonly only");
	rq.op = HM_OP_SENDTO;
	CHECK_INT(hm_policy_check(&sub, &rq), HM_R_NO_SUBPROCESS,
		  "door: sendto refused under no-subprocess");
	OK(hm_op_gate(&rq) & HM_F_BLOCK_SUBPROCESS,
	   "door: the gate includes block_subprocess");
	rq.is_door = 0;
	OK(!(hm_op_gate(&rq) & HM_F_BLOCK_SUBPROCESS),
	   "connect: the gate is the network's");

	rq = (struct hm_request){.op = HM_OP_RAW_DNS};
	CHECK_INT(hm_policy_check(&net, &rq), HM_R_NO_NETWORK,
		  "res_send: refused under no-network");
	CHECK_INT(hm_policy_check(&sub, &rq), HM_R_NONE,
		  "res_send: allowed without a network block");
	CHECK_INT(hm_op_family(HM_OP_RAW_DNS), HM_FAM_NETWORK,
		  "res_send: network family");
	rq.op = HM_OP_RCMD;
	CHECK_INT(hm_policy_check(&net, &rq), HM_R_NO_NETWORK,
		  "rcmd: refused under no-network");
	CHECK_INT(hm_policy_check(&fs, &rq), HM_R_NONE,
		  "rcmd: allowed without a network block");
	CHECK_INT(hm_op_family(HM_OP_RCMD), HM_FAM_NETWORK,
		  "rcmd: network family");
}

/*
 * The gate masks are sound: for every op, a layer whose flags miss the
 * op's gate allows every request of that op (so skipping it is exact).
 */
static void test_gates(void)
{
	static const enum hm_op ops[] = {
	    HM_OP_CONNECT, HM_OP_SENDTO,  HM_OP_BIND,	   HM_OP_LISTEN,
	    HM_OP_SOCKET,  HM_OP_RESOLVE, HM_OP_REVERSE,   HM_OP_RAW_DNS,
	    HM_OP_RCMD,	   HM_OP_EXEC,	  HM_OP_OPEN,	   HM_OP_MUTATE,
	    HM_OP_DLOPEN,  HM_OP_ENV,	  HM_OP_CODE_EXEC, HM_OP_INTERP,
	};
	struct sockaddr_storage ss;
	char name[160];
	size_t i;
	unsigned bit;
	int bad = 0;

	for (i = 0; i < ARRAY_LEN(ops); i++) {
		for (int door = 0; door < 2; door++) {
			struct hm_request rq = {.op = ops[i]};
			uint32_t gate;

			rq.salen = sa_of("192.0.2.1", &ss);
			rq.sa = (struct sockaddr *)&ss;
			rq.name = "x.example.com";
			rq.path = "/etc/passwd";
			rq.flags = 01 | 0100; /* O_WRONLY|O_CREAT */
			rq.domain = AF_PACKET;
			rq.is_door = door;
			gate = hm_op_gate(&rq);
			OK(gate & HM_F_INVALID, "gate: invalid always counts");
			for (bit = 0; bit < 11; bit++) {
				struct hm_policy p = pol(1u << bit);

				if ((1u << bit) == HM_F_FS_ROOT ||
				    (gate & (1u << bit)))
					continue;
				if (hm_policy_check(&p, &rq) != HM_R_NONE) {
					snprintf(name, sizeof(name),
						 "gate of op %d misses flag "
						 "bit %u",
						 (int)ops[i], bit);
					OK(0, name);
					bad++;
				}
			}
		}
	}
	OK(bad == 0, "gate: every mask is sound");
	OK(hm_op_gate(NULL) == 0, "gate: NULL request asks every layer");
	{
		struct hm_request rq = {.op = HM_OP_IMPORT};

		OK(hm_op_gate(&rq) == 0, "gate: imports ask every layer");
	}
}

int main(void)
{
	test_door_and_legacy();
	test_gates();
	test_prov();
	test_nsswitch();
	test_names();
	test_reparse();
	test_addrs();
	test_limits();
	test_verdicts();
	test_numeric();
	return tap_done();
}
