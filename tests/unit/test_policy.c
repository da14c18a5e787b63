/*
 * test_policy.c - table-driven unit tests for the pure policy core:
 * builders, profiles, validation, per-layer verdicts for every op, and
 * the address, domain and path helpers behind them (TAP output).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hermetic/hermetic.h"
#include "internal.h"
#include "tap.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* Policy setups used by the verdict tables                            */
/* ------------------------------------------------------------------ */

struct setup {
	uint32_t flags;
	const char *profile;
	const char *root;
	const char *domains[6];
	const char *writable[3];
	const char *imports[3];
	int invalid;
};

enum {
	P_NONE,	      /* nothing blocked: the positive control */
	P_NET,	      /* block_network */
	P_NET_LH,     /* block_network + allow_localhost */
	P_NET_DOM,    /* block_network + allow_domains */
	P_NET_LH_DOM, /* ... + allow_localhost + metadata "allowed" */
	P_RO,	      /* fs_readonly */
	P_RO_HOLE,    /* fs_readonly + --allow-write /tmp/out */
	P_ROOT,	      /* fs_root=/srv/root */
	P_ROOT_SLASH, /* fs_root=/ */
	P_ROOT_HOLE,  /* fs_root=/srv/root + --allow-write /tmp/out */
	P_ALL,	      /* profile block-all */
	P_EXEC,	      /* profile exec-deny */
	P_NATIVE,     /* profile block-native */
	P_IMPORTS,    /* deny_imports pickle, xml.etree */
	P_INVALID,    /* hm_policy_make_invalid */
	P_COUNT
};

/* clang-format off */
static const struct setup setups[P_COUNT] = {
	[P_NONE]       = { 0 },
	[P_NET]        = { HM_F_BLOCK_NETWORK },
	[P_NET_LH]     = { HM_F_BLOCK_NETWORK | HM_F_ALLOW_LOCALHOST },
	[P_NET_DOM]    = { HM_F_BLOCK_NETWORK, .domains = {
				"example.com", "10.1.2.3", "2001:db8::7",
				"*.Wild.Test." } },
	[P_NET_LH_DOM] = { HM_F_BLOCK_NETWORK | HM_F_ALLOW_LOCALHOST,
			   .domains = { "example.com", "169.254.169.254",
				"metadata.google.internal", "fd00:ec2::254" } },
	[P_RO]         = { HM_F_FS_READONLY },
	[P_RO_HOLE]    = { HM_F_FS_READONLY, .writable = { "/tmp/out/" } },
	[P_ROOT]       = { 0, .root = "/srv//root/." },
	[P_ROOT_SLASH] = { 0, .root = "/" },
	[P_ROOT_HOLE]  = { 0, .root = "/srv/root", .writable = { "/tmp/out" } },
	[P_ALL]        = { 0, .profile = "block-all" },
	[P_EXEC]       = { 0, .profile = "exec-deny" },
	[P_NATIVE]     = { 0, .profile = "block-native" },
	[P_IMPORTS]    = { 0, .imports = { "pickle", " xml.etree " } },
	[P_INVALID]    = { .invalid = 1 },
};
/* clang-format on */

static struct hm_policy policies[P_COUNT];

/* Entry @i of @p's list @l, or "" (never NULL). */
static const char *nth(const struct hm_policy *p, enum hm_list l, size_t i)
{
	struct hm_list_iter it;
	const char *e = hm_policy_list_first(p, l, &it);

	while (e && i--)
		e = hm_policy_list_next(&it);
	return e ? e : "";
}

/*
 * Store @s raw (no normalisation, no checks) as entry @i of @p's list @l
 * (i == count appends), rebuilding the pool: for validation tests.
 */
static void raw_put(struct hm_policy *p, enum hm_list l, size_t i,
		    const char *s)
{
	static char lists[HM_LIST_N][HM_POOL_MAX];
	size_t len[HM_LIST_N] = {0}, k, n;
	uint32_t c;
	int m;

	for (m = 0; m < HM_LIST_N; m++) {
		struct hm_list_iter it;
		const char *e;

		for (k = 0, e = hm_policy_list_first(p, (enum hm_list)m, &it);
		     e || (m == (int)l && k == i);
		     k++, e = e ? hm_policy_list_next(&it) : NULL) {
			const char *v = (m == (int)l && k == i) ? s : e;

			if (!v)
				break;
			n = strlen(v) + 1;
			memcpy(lists[m] + len[m], v, n);
			len[m] += n;
		}
	}
	p->used = 0;
	for (m = 0; m < HM_LIST_N; m++) {
		memcpy(p->pool + p->used, lists[m], len[m]);
		p->used += (uint32_t)len[m];
		p->end[m] = p->used;
		for (c = 0, k = 0; k < len[m]; k++)
			c += lists[m][k] == '\0';
		p->n[m] = c;
	}
}

static void build_policies(void)
{
	size_t i, j;

	for (i = 0; i < P_COUNT; i++) {
		const struct setup *s = &setups[i];
		struct hm_policy *p = &policies[i];
		int bad = 0;

		hm_policy_init(p);
		if (s->invalid) {
			hm_policy_make_invalid(p);
			continue;
		}
		p->flags |= s->flags;
		if (s->profile)
			bad |= hm_profile_apply(p, s->profile) != 0;
		if (s->root)
			bad |= hm_policy_set_root(p, s->root) != 0;
		for (j = 0; j < ARRAY_LEN(s->domains) && s->domains[j]; j++)
			bad |= hm_policy_add_domain(p, s->domains[j]) != 0;
		for (j = 0; j < ARRAY_LEN(s->writable) && s->writable[j]; j++)
			bad |= hm_policy_add_writable(p, s->writable[j]) != 0;
		for (j = 0; j < ARRAY_LEN(s->imports) && s->imports[j]; j++)
			bad |= hm_policy_add_import(p, s->imports[j]) != 0;
		OK(!bad, "setup: builders accept the test policy");
		CHECK_INT(hm_policy_validate(p), 0, "setup: policy validates");
	}
}

/* ------------------------------------------------------------------ */
/* Socket addresses from short specs                                   */
/* ------------------------------------------------------------------ */

struct sa_buf {
	struct sockaddr_storage ss;
	socklen_t len;
	int null;
};

/*
 * NULL: no address. "unix:/p", "unix:@abstract", "netlink", "fam:N",
 * "unspec" (16 zero bytes), "unspec:IPV4", "unspec-short" (2 bytes),
 * "short:IPV4" (8 bytes), "v6short:IPV6" (23 bytes), "IPV6" (contains
 * ':') or "IPV4". Port 80.
 */
static void make_sa(const char *spec, struct sa_buf *b)
{
	struct sockaddr_in *in = (struct sockaddr_in *)&b->ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&b->ss;
	struct sockaddr_un *un = (struct sockaddr_un *)&b->ss;

	memset(b, 0, sizeof(*b));
	if (!spec) {
		b->null = 1;
		return;
	}
	if (strncmp(spec, "unix:", 5) == 0) {
		size_t n = strlen(spec + 5);

		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, spec + 5, n);
		if (spec[5] == '@')
			un->sun_path[0] = '\0';
		/* A path includes its NUL; "unix:" alone is unnamed. */
		b->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				     n + (n && spec[5] != '@'));
		return;
	}
	if (strcmp(spec, "netlink") == 0) {
		b->ss.ss_family = AF_NETLINK;
		b->len = sizeof(struct sockaddr_nl);
		return;
	}
	if (strncmp(spec, "fam:", 4) == 0) {
		b->ss.ss_family = (sa_family_t)atoi(spec + 4);
		b->len = 16;
		return;
	}
	if (strcmp(spec, "unspec") == 0) {
		b->ss.ss_family = AF_UNSPEC;
		b->len = sizeof(struct sockaddr_in);
		return;
	}
	if (strcmp(spec, "unspec-short") == 0) {
		b->ss.ss_family = AF_UNSPEC;
		b->len = sizeof(sa_family_t);
		return;
	}
	if (strncmp(spec, "unspec:", 7) == 0) {
		inet_pton(AF_INET, spec + 7, &in->sin_addr);
		in->sin_family = AF_UNSPEC;
		in->sin_port = htons(80);
		b->len = sizeof(*in);
		return;
	}
	if (strncmp(spec, "short:", 6) == 0) {
		inet_pton(AF_INET, spec + 6, &in->sin_addr);
		in->sin_family = AF_INET;
		b->len = 8;
		return;
	}
	if (strncmp(spec, "v6short:", 8) == 0) {
		inet_pton(AF_INET6, spec + 8, &in6->sin6_addr);
		in6->sin6_family = AF_INET6;
		b->len = offsetof(struct sockaddr_in6, sin6_scope_id) - 1;
		return;
	}
	if (strchr(spec, ':')) {
		OK(inet_pton(AF_INET6, spec, &in6->sin6_addr) == 1, spec);
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(80);
		b->len = sizeof(*in6);
		return;
	}
	OK(inet_pton(AF_INET, spec, &in->sin_addr) == 1, spec);
	in->sin_family = AF_INET;
	in->sin_port = htons(80);
	b->len = sizeof(*in);
}

/* ------------------------------------------------------------------ */
/* Verdict table                                                       */
/* ------------------------------------------------------------------ */

struct row {
	const char *desc;
	int pol;
	enum hm_op op;
	const char *addr;     /* make_sa spec */
	const char *resolved; /* CONNECT/SENDTO provenance */
	const char *str;      /* RESOLVE/IMPORT name, OPEN/MUTATE/... path */
	int flags;	      /* OPEN */
	int chardev;	      /* OPEN */
	int domain, type, protocol;
	enum hm_reason want;
};

#define ALLOW HM_R_NONE
#define NONET HM_R_NO_NETWORK
#define RO HM_R_FS_READONLY
#define ROOT HM_R_FS_ROOT
#define INVAL HM_R_INVALID_POLICY

#define CONN(d, p, a, r, w)                                                    \
	{                                                                      \
		d, p, HM_OP_CONNECT, a, r, NULL, 0, 0, 0, 0, 0, w              \
	}
#define SEND(d, p, a, r, w)                                                    \
	{                                                                      \
		d, p, HM_OP_SENDTO, a, r, NULL, 0, 0, 0, 0, 0, w               \
	}
#define BIND(d, p, a, w)                                                       \
	{                                                                      \
		d, p, HM_OP_BIND, a, NULL, NULL, 0, 0, 0, 0, 0, w              \
	}
#define LSTN(d, p, a, w)                                                       \
	{                                                                      \
		d, p, HM_OP_LISTEN, a, NULL, NULL, 0, 0, 0, 0, 0, w            \
	}
#define SOCK(d, p, f, t, pr, w)                                                \
	{                                                                      \
		d, p, HM_OP_SOCKET, NULL, NULL, NULL, 0, 0, f, t, pr, w        \
	}
#define RSLV(d, p, n, w)                                                       \
	{                                                                      \
		d, p, HM_OP_RESOLVE, NULL, NULL, n, 0, 0, 0, 0, 0, w           \
	}
#define OPEN(d, p, s, fl, c, w)                                                \
	{                                                                      \
		d, p, HM_OP_OPEN, NULL, NULL, s, fl, c, 0, 0, 0, w             \
	}
#define OPR(d, p, o, s, w)                                                     \
	{                                                                      \
		d, p, o, NULL, NULL, s, 0, 0, 0, 0, 0, w                       \
	}

/* clang-format off */
static const struct row rows[] = {
	/* --- connect: plain destinations ------------------------------- */
	CONN("connect 1.2.3.4, nothing blocked", P_NONE, "1.2.3.4", NULL, ALLOW),
	CONN("connect 1.2.3.4 under block_network", P_NET, "1.2.3.4", NULL, NONET),
	CONN("connect 2001:db8::1 under block_network", P_NET, "2001:db8::1", NULL, NONET),
	CONN("connect metadata, nothing blocked", P_NONE, "169.254.169.254", NULL, ALLOW),
	/* --- connect: loopback ------------------------------------------ */
	CONN("connect 127.0.0.1 without allow_localhost", P_NET, "127.0.0.1", NULL, NONET),
	CONN("connect 127.0.0.1 with allow_localhost", P_NET_LH, "127.0.0.1", NULL, ALLOW),
	CONN("connect 127.0.0.2 with allow_localhost (all of 127/8)", P_NET_LH, "127.0.0.2", NULL, ALLOW),
	CONN("connect 127.255.255.254 with allow_localhost", P_NET_LH, "127.255.255.254", NULL, ALLOW),
	CONN("connect 128.0.0.1 with allow_localhost", P_NET_LH, "128.0.0.1", NULL, NONET),
	CONN("connect 126.255.255.255 with allow_localhost", P_NET_LH, "126.255.255.255", NULL, NONET),
	CONN("connect ::1 with allow_localhost", P_NET_LH, "::1", NULL, ALLOW),
	CONN("connect ::1 without allow_localhost", P_NET, "::1", NULL, NONET),
	CONN("connect 0.0.0.0 with allow_localhost", P_NET_LH, "0.0.0.0", NULL, ALLOW),
	CONN("connect 0.0.0.0 without allow_localhost", P_NET, "0.0.0.0", NULL, NONET),
	CONN("connect :: with allow_localhost", P_NET_LH, "::", NULL, ALLOW),
	CONN("connect :: without allow_localhost", P_NET, "::", NULL, NONET),
	CONN("connect ::2 (compat 0.0.0.2) with allow_localhost", P_NET_LH, "::2", NULL, ALLOW),
	CONN("connect ::1:0 (compat 0.1.0.0, 0/8) with allow_localhost", P_NET_LH, "::1:0", NULL, ALLOW),
	CONN("connect ::1:0:0:0 is not loopback", P_NET_LH, "::1:0:0:0", NULL, NONET),
	/* --- connect: IPv4-mapped / compat / NAT64 ---------------------- */
	CONN("connect ::ffff:127.0.0.1 with allow_localhost", P_NET_LH, "::ffff:127.0.0.1", NULL, ALLOW),
	CONN("connect ::ffff:127.0.0.1 without allow_localhost", P_NET, "::ffff:127.0.0.1", NULL, NONET),
	CONN("connect 64:ff9b::7f00:1 (NAT64 127.0.0.1) with allow_localhost", P_NET_LH, "64:ff9b::7f00:1", NULL, ALLOW),
	CONN("connect ::127.0.0.1 (compat) with allow_localhost", P_NET_LH, "::127.0.0.1", NULL, ALLOW),
	CONN("connect ::ffff:10.1.2.3 matches IP entry 10.1.2.3", P_NET_DOM, "::ffff:10.1.2.3", NULL, ALLOW),
	CONN("connect ::10.1.2.3 (compat) matches IP entry", P_NET_DOM, "::10.1.2.3", NULL, ALLOW),
	CONN("connect 64:ff9b::a01:203 (NAT64) matches IP entry", P_NET_DOM, "64:ff9b::a01:203", NULL, ALLOW),
	CONN("connect 64:ff9b:1::a01:203 is not NAT64 /96", P_NET_DOM, "64:ff9b:1::a01:203", NULL, NONET),
	/* --- connect: IP-literal entries ------------------------------- */
	CONN("connect 10.1.2.3 = IP entry", P_NET_DOM, "10.1.2.3", NULL, ALLOW),
	CONN("connect 10.1.2.4 != IP entry", P_NET_DOM, "10.1.2.4", NULL, NONET),
	CONN("connect 110.1.2.3 (suffix of the text) != IP entry", P_NET_DOM, "110.1.2.3", NULL, NONET),
	CONN("connect 2001:db8::7 = IPv6 entry", P_NET_DOM, "2001:db8::7", NULL, ALLOW),
	CONN("connect 2001:db8::8 != IPv6 entry", P_NET_DOM, "2001:db8::8", NULL, NONET),
	/* --- connect: resolution provenance ---------------------------- */
	CONN("connect via resolved example.com", P_NET_DOM, "93.184.216.34", "example.com", ALLOW),
	CONN("connect via resolved www.example.com.", P_NET_DOM, "93.184.216.34", "www.example.com.", ALLOW),
	CONN("connect via resolved WWW.EXAMPLE.COM", P_NET_DOM, "93.184.216.34", "WWW.EXAMPLE.COM", ALLOW),
	CONN("connect via resolved a.wild.test (*.Wild.Test. entry)", P_NET_DOM, "2001:db8::99", "a.wild.test", ALLOW),
	CONN("connect via resolved notexample.com", P_NET_DOM, "93.184.216.34", "notexample.com", NONET),
	CONN("connect via resolved example.com.evil", P_NET_DOM, "93.184.216.34", "example.com.evil", NONET),
	CONN("connect without provenance", P_NET_DOM, "93.184.216.34", NULL, NONET),
	CONN("connect via resolved name 10.1.2.3 (IP entries never match names)", P_NET_DOM, "93.184.216.34", "10.1.2.3", NONET),
	CONN("connect via resolved metadata.google.internal (listed!)", P_NET_LH_DOM, "93.184.216.34", "metadata.google.internal", NONET),
	CONN("connect 169.254.169.253 via resolved example.com", P_NET_LH_DOM, "169.254.169.253", "example.com", ALLOW),
	/* --- connect: metadata always denied --------------------------- */
	CONN("connect 169.254.169.254 (listed, provenance ok)", P_NET_LH_DOM, "169.254.169.254", "example.com", NONET),
	CONN("connect 169.254.170.2", P_NET_LH_DOM, "169.254.170.2", "example.com", NONET),
	CONN("connect 168.63.129.16", P_NET_LH_DOM, "168.63.129.16", "example.com", NONET),
	CONN("connect 100.100.100.200", P_NET_LH_DOM, "100.100.100.200", "example.com", NONET),
	CONN("connect fd00:ec2::254 (listed)", P_NET_LH_DOM, "fd00:ec2::254", "example.com", NONET),
	CONN("connect fe80::a9fe:a9fe", P_NET_LH_DOM, "fe80::a9fe:a9fe", "example.com", NONET),
	CONN("connect ::ffff:169.254.169.254", P_NET_LH_DOM, "::ffff:169.254.169.254", "example.com", NONET),
	CONN("connect ::169.254.169.254 (compat)", P_NET_LH_DOM, "::169.254.169.254", "example.com", NONET),
	CONN("connect 64:ff9b::a9fe:a9fe (NAT64)", P_NET_LH_DOM, "64:ff9b::a9fe:a9fe", "example.com", NONET),
	/* --- connect: multicast and broadcast -------------------------- */
	CONN("connect 224.0.0.251 (mDNS)", P_NET_DOM, "224.0.0.251", "example.com", NONET),
	CONN("connect 239.255.255.250 (SSDP)", P_NET_DOM, "239.255.255.250", "example.com", NONET),
	CONN("connect 255.255.255.255", P_NET_DOM, "255.255.255.255", "example.com", NONET),
	CONN("connect ff02::fb", P_NET_DOM, "ff02::fb", "example.com", NONET),
	CONN("connect 223.255.255.255 via example.com (not multicast)", P_NET_DOM, "223.255.255.255", "example.com", ALLOW),
	CONN("connect 240.0.0.1 via example.com (not multicast)", P_NET_DOM, "240.0.0.1", "example.com", ALLOW),
	/* --- connect: families ----------------------------------------- */
	CONN("connect AF_UNIX path", P_NET, "unix:/run/x.sock", NULL, ALLOW),
	CONN("connect AF_UNIX abstract", P_NET, "unix:@abstract", NULL, ALLOW),
	CONN("connect AF_NETLINK", P_NET, "netlink", NULL, ALLOW),
	CONN("connect AF_UNSPEC (disconnect)", P_NET, "unspec", NULL, ALLOW),
	CONN("connect AF_PACKET", P_NET, "fam:17", NULL, NONET),
	CONN("connect AF_VSOCK", P_NET, "fam:40", NULL, NONET),
	CONN("connect AF_PACKET, nothing blocked", P_NONE, "fam:17", NULL, ALLOW),
	CONN("connect AF_INET too short", P_NET_LH, "short:127.0.0.1", NULL, NONET),
	CONN("connect AF_INET6 too short", P_NET_LH, "v6short:::1", NULL, NONET),
	CONN("connect NULL address", P_NET, NULL, NULL, ALLOW),
	/* --- sendto ----------------------------------------------------- */
	SEND("sendto NULL (connected socket)", P_NET, NULL, NULL, ALLOW),
	SEND("sendto 1.2.3.4", P_NET, "1.2.3.4", NULL, NONET),
	SEND("sendto 127.0.0.1 with allow_localhost", P_NET_LH, "127.0.0.1", NULL, ALLOW),
	SEND("sendto 8.8.8.8:53 without provenance", P_NET_DOM, "8.8.8.8", NULL, NONET),
	SEND("sendto AF_UNSPEC+1.2.3.4 (udp_sendmsg reads it as AF_INET)", P_NET, "unspec:1.2.3.4", NULL, NONET),
	SEND("sendto AF_UNSPEC+127.0.0.1 with allow_localhost", P_NET_LH, "unspec:127.0.0.1", NULL, ALLOW),
	SEND("sendto AF_UNSPEC too short for an address", P_NET, "unspec-short", NULL, ALLOW),
	SEND("sendto AF_UNIX", P_NET, "unix:/tmp/s", NULL, ALLOW),
	SEND("sendto 224.0.0.251, nothing blocked", P_NONE, "224.0.0.251", NULL, ALLOW),
	/* --- bind ------------------------------------------------------- */
	BIND("bind 127.0.0.1 (no allow_localhost needed)", P_NET, "127.0.0.1", ALLOW),
	BIND("bind 127.0.0.5", P_NET, "127.0.0.5", ALLOW),
	BIND("bind ::1", P_NET, "::1", ALLOW),
	BIND("bind ::ffff:127.0.0.1", P_NET, "::ffff:127.0.0.1", ALLOW),
	BIND("bind 0.0.0.0", P_NET_LH, "0.0.0.0", NONET),
	BIND("bind ::", P_NET_LH, "::", NONET),
	BIND("bind ::ffff:0.0.0.0", P_NET_LH, "::ffff:0.0.0.0", NONET),
	BIND("bind 0.0.0.1 (0/8 is not bindable loopback)", P_NET_LH, "0.0.0.1", NONET),
	BIND("bind 10.0.0.1", P_NET_LH, "10.0.0.1", NONET),
	BIND("bind listed 10.1.2.3", P_NET_DOM, "10.1.2.3", NONET),
	BIND("bind AF_UNIX", P_NET, "unix:/tmp/s", ALLOW),
	BIND("bind AF_NETLINK", P_NET, "netlink", ALLOW),
	BIND("bind AF_UNSPEC+INADDR_ANY (inet_bind: AF_INET any)", P_NET, "unspec", NONET),
	BIND("bind AF_UNSPEC too short", P_NET, "unspec-short", ALLOW),
	BIND("bind AF_PACKET", P_NET, "fam:17", NONET),
	BIND("bind NULL", P_NET, NULL, NONET),
	BIND("bind 0.0.0.0, nothing blocked", P_NONE, "0.0.0.0", ALLOW),
	/* --- listen ----------------------------------------------------- */
	LSTN("listen on 127.0.0.1", P_NET, "127.0.0.1", ALLOW),
	LSTN("listen on ::1", P_NET, "::1", ALLOW),
	LSTN("listen on 0.0.0.0", P_NET_LH, "0.0.0.0", NONET),
	LSTN("listen on ::", P_NET_LH, "::", NONET),
	LSTN("listen on 192.168.1.5", P_NET_LH, "192.168.1.5", NONET),
	LSTN("listen with no local address", P_NET, NULL, NONET),
	LSTN("listen on AF_UNIX", P_NET, "unix:/tmp/s", ALLOW),
	LSTN("listen on 0.0.0.0, nothing blocked", P_NONE, "0.0.0.0", ALLOW),
	/* --- socket ----------------------------------------------------- */
	SOCK("socket AF_INET stream", P_NET, AF_INET, SOCK_STREAM, 0, ALLOW),
	SOCK("socket AF_INET6 dgram", P_NET, AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0, ALLOW),
	SOCK("socket AF_UNIX", P_NET, AF_UNIX, SOCK_STREAM, 0, ALLOW),
	SOCK("socket AF_NETLINK", P_NET, AF_NETLINK, SOCK_RAW, 0, ALLOW),
	SOCK("socket AF_INET SCTP", P_NET, AF_INET, SOCK_STREAM, IPPROTO_SCTP, NONET),
	SOCK("socket AF_INET6 SCTP seqpacket", P_NET, AF_INET6, SOCK_SEQPACKET, IPPROTO_SCTP, NONET),
	SOCK("socket AF_INET TCP protocol", P_NET, AF_INET, SOCK_STREAM, IPPROTO_TCP, ALLOW),
	SOCK("socket AF_PACKET", P_NET_LH, AF_PACKET, SOCK_RAW, 0, NONET),
	SOCK("socket AF_VSOCK", P_NET_LH, 40, SOCK_STREAM, 0, NONET),
	SOCK("socket AF_BLUETOOTH", P_NET_LH, 31, SOCK_STREAM, 0, NONET),
	SOCK("socket AF_UNSPEC", P_NET, AF_UNSPEC, SOCK_STREAM, 0, NONET),
	SOCK("socket AF_INET SOCK_PACKET (a packet socket)", P_NET, AF_INET, 10, 0x0300, NONET),
	SOCK("socket AF_INET SOCK_PACKET|CLOEXEC", P_NET_LH, AF_INET, 10 | SOCK_CLOEXEC, 0, NONET),
	SOCK("socket AF_INET raw IPPROTO_RAW (hdrincl)", P_NET_LH, AF_INET, SOCK_RAW, IPPROTO_RAW, NONET),
	SOCK("socket AF_INET6 raw IPPROTO_RAW (hdrincl)", P_NET, AF_INET6, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_RAW, NONET),
	SOCK("socket AF_INET raw ICMP (sendto is checked)", P_NET, AF_INET, SOCK_RAW, IPPROTO_ICMP, ALLOW),
	SOCK("socket AF_INET SOCK_PACKET, nothing blocked", P_NONE, AF_INET, 10, 0, ALLOW),
	SOCK("socket AF_PACKET, nothing blocked", P_NONE, AF_PACKET, SOCK_RAW, 0, ALLOW),
	SOCK("socket SCTP, nothing blocked", P_NONE, AF_INET, SOCK_STREAM, IPPROTO_SCTP, ALLOW),
	/* --- resolve ---------------------------------------------------- */
	RSLV("resolve NULL (passive)", P_NET, NULL, ALLOW),
	RSLV("resolve 1.2.3.4 (numeric)", P_NET, "1.2.3.4", ALLOW),
	RSLV("resolve 2001:db8::1 (numeric)", P_NET, "2001:db8::1", ALLOW),
	RSLV("resolve fe80::1%eth0 (numeric, zone)", P_NET, "fe80::1%eth0", ALLOW),
	RSLV("resolve 0x7f.1 (inet_aton numeric)", P_NET, "0x7f.1", ALLOW),
	RSLV("resolve 169.254.169.253 (numeric, not metadata)", P_NET, "169.254.169.253", ALLOW),
	RSLV("resolve 169.254.169.254", P_NET_LH_DOM, "169.254.169.254", NONET),
	RSLV("resolve 2852039166", P_NET_LH_DOM, "2852039166", NONET),
	RSLV("resolve 0xa9fea9fe", P_NET_LH_DOM, "0xa9fea9fe", NONET),
	RSLV("resolve 0251.0376.0251.0376", P_NET_LH_DOM, "0251.0376.0251.0376", NONET),
	RSLV("resolve 169.254.43518", P_NET_LH_DOM, "169.254.43518", NONET),
	RSLV("resolve 169.254.169.254. (a name for getaddrinfo)", P_NET_LH_DOM, "169.254.169.254.", NONET),
	RSLV("resolve ::ffff:169.254.169.254", P_NET_LH_DOM, "::ffff:169.254.169.254", NONET),
	RSLV("resolve fe80::a9fe:a9fe%eth0", P_NET_LH_DOM, "fe80::a9fe:a9fe%eth0", NONET),
	RSLV("resolve FD00:EC2:0:0:0:0:0:254", P_NET_LH_DOM, "FD00:EC2:0:0:0:0:0:254", NONET),
	RSLV("resolve 1.2.3.4 junk (inet_aton stops at the blank)", P_NET, "1.2.3.4 junk", NONET),
	RSLV("resolve localhost without allow_localhost", P_NET, "localhost", NONET),
	RSLV("resolve localhost with allow_localhost", P_NET_LH, "localhost", ALLOW),
	RSLV("resolve LOCALHOST. with allow_localhost", P_NET_LH, "LOCALHOST.", ALLOW),
	/* glibc sends *.localhost to DNS: a leak, so only "localhost" itself */
	RSLV("resolve foo.localhost with allow_localhost", P_NET_LH, "foo.localhost", NONET),
	RSLV("resolve LocalHost. with allow_localhost", P_NET_LH, "LocalHost.", ALLOW),
	RSLV("resolve foo.localhost without allow_localhost", P_NET_DOM, "foo.localhost", NONET),
	RSLV("resolve notlocalhost with allow_localhost", P_NET_LH, "notlocalhost", NONET),
	RSLV("resolve localhost.evil with allow_localhost", P_NET_LH, "localhost.evil", NONET),
	RSLV("resolve metadata.google.internal (listed)", P_NET_LH_DOM, "metadata.google.internal", NONET),
	RSLV("resolve METADATA.GOOGLE.INTERNAL.", P_NET_LH_DOM, "METADATA.GOOGLE.INTERNAL.", NONET),
	RSLV("resolve metadata", P_NET_LH_DOM, "metadata", NONET),
	RSLV("resolve metadata.goog", P_NET_LH_DOM, "metadata.goog", NONET),
	RSLV("resolve instance-data", P_NET_LH_DOM, "instance-data", NONET),
	RSLV("resolve instance-data.ec2.internal.", P_NET_LH_DOM, "instance-data.ec2.internal.", NONET),
	RSLV("resolve example.com (listed)", P_NET_DOM, "example.com", ALLOW),
	RSLV("resolve api.example.com", P_NET_DOM, "api.example.com", ALLOW),
	RSLV("resolve Api.Example.Com.", P_NET_DOM, "Api.Example.Com.", ALLOW),
	RSLV("resolve wild.test (from *.Wild.Test.)", P_NET_DOM, "wild.test", ALLOW),
	RSLV("resolve notexample.com", P_NET_DOM, "notexample.com", NONET),
	RSLV("resolve example.com.evil", P_NET_DOM, "example.com.evil", NONET),
	RSLV("resolve example.org", P_NET_DOM, "example.org", NONET),
	RSLV("resolve empty name", P_NET_DOM, "", NONET),
	RSLV("resolve anything, nothing blocked", P_NONE, "evil.example.org", ALLOW),
	RSLV("resolve under block-all", P_ALL, "example.com", NONET),
	/* --- exec / dlopen / python-layer switches ---------------------- */
	OPR("exec, nothing blocked", P_NONE, HM_OP_EXEC, "/bin/true", ALLOW),
	OPR("exec under exec-deny", P_EXEC, HM_OP_EXEC, "/bin/true", HM_R_NO_SUBPROCESS),
	OPR("exec NULL path under exec-deny", P_EXEC, HM_OP_EXEC, NULL, HM_R_NO_SUBPROCESS),
	OPR("exec under block_network only", P_NET, HM_OP_EXEC, "/bin/true", ALLOW),
	OPR("dlopen, nothing blocked", P_NONE, HM_OP_DLOPEN, "libm.so.6", ALLOW),
	OPR("dlopen under block-native", P_NATIVE, HM_OP_DLOPEN, "libm.so.6", HM_R_BLOCK_NATIVE),
	OPR("dlopen under exec-deny", P_EXEC, HM_OP_DLOPEN, "libm.so.6", ALLOW),
	OPR("env under block-all", P_ALL, HM_OP_ENV, NULL, HM_R_NO_ENVIRONMENT),
	OPR("env, nothing blocked", P_NONE, HM_OP_ENV, NULL, ALLOW),
	OPR("env under block_network only", P_NET, HM_OP_ENV, NULL, ALLOW),
	OPR("code exec under block-all", P_ALL, HM_OP_CODE_EXEC, NULL, HM_R_NO_CODE_EXEC),
	OPR("code exec, nothing blocked", P_NONE, HM_OP_CODE_EXEC, NULL, ALLOW),
	OPR("interp mutation under block-all", P_ALL, HM_OP_INTERP, NULL, HM_R_NO_INTERP_MUTATION),
	OPR("interp mutation, nothing blocked", P_NONE, HM_OP_INTERP, NULL, ALLOW),
	OPR("exec under block-all", P_ALL, HM_OP_EXEC, "/bin/sh", HM_R_NO_SUBPROCESS),
	OPR("dlopen under block-all", P_ALL, HM_OP_DLOPEN, "x.so", HM_R_BLOCK_NATIVE),
	/* --- imports ---------------------------------------------------- */
	OPR("import pickle (denied)", P_IMPORTS, HM_OP_IMPORT, "pickle", HM_R_DENY_IMPORT),
	OPR("import pickle.x (submodule)", P_IMPORTS, HM_OP_IMPORT, "pickle.x", HM_R_DENY_IMPORT),
	OPR("import pickletools (prefix only)", P_IMPORTS, HM_OP_IMPORT, "pickletools", ALLOW),
	OPR("import xml.etree.ElementTree", P_IMPORTS, HM_OP_IMPORT, "xml.etree.ElementTree", HM_R_DENY_IMPORT),
	OPR("import xml.etree", P_IMPORTS, HM_OP_IMPORT, "xml.etree", HM_R_DENY_IMPORT),
	OPR("import xml (parent of a denied name)", P_IMPORTS, HM_OP_IMPORT, "xml", ALLOW),
	OPR("import xml.dom", P_IMPORTS, HM_OP_IMPORT, "xml.dom", ALLOW),
	OPR("import Pickle (case-sensitive)", P_IMPORTS, HM_OP_IMPORT, "Pickle", ALLOW),
	OPR("import NULL name with a deny list", P_IMPORTS, HM_OP_IMPORT, NULL, HM_R_DENY_IMPORT),
	OPR("import NULL name, no deny list", P_NONE, HM_OP_IMPORT, NULL, ALLOW),
	OPR("import pickle, no deny list", P_ALL, HM_OP_IMPORT, "pickle", ALLOW),
	/* --- open: fs_readonly ------------------------------------------ */
	OPEN("open O_WRONLY, nothing blocked", P_NONE, "/etc/x", O_WRONLY | O_CREAT, 0, ALLOW),
	OPEN("open O_RDONLY under fs_readonly", P_RO, "/etc/passwd", O_RDONLY, 0, ALLOW),
	OPEN("open O_WRONLY under fs_readonly", P_RO, "/tmp/f", O_WRONLY, 0, RO),
	OPEN("open O_RDWR under fs_readonly", P_RO, "/tmp/f", O_RDWR, 0, RO),
	OPEN("open O_RDONLY|O_TRUNC under fs_readonly", P_RO, "/tmp/f", O_RDONLY | O_TRUNC, 0, RO),
	OPEN("open O_RDONLY|O_CREAT under fs_readonly", P_RO, "/tmp/f", O_RDONLY | O_CREAT, 0, RO),
	OPEN("open O_APPEND under fs_readonly", P_RO, "/tmp/f", O_RDONLY | O_APPEND, 0, RO),
	OPEN("open O_TMPFILE under fs_readonly", P_RO, "/tmp", O_TMPFILE | O_RDWR, 0, RO),
	OPEN("open O_RDWR /dev/null (chardev)", P_RO, "/dev/null", O_RDWR, 1, ALLOW),
	OPEN("open O_WRONLY /dev/pts/3 (chardev)", P_RO, "/dev/pts/3", O_WRONLY, 1, ALLOW),
	OPEN("open O_RDWR /dev/pts/3 (chardev, no root)", P_RO, "/dev/pts/3", O_RDWR, 1, ALLOW),
	OPEN("open O_WRONLY NULL path under fs_readonly", P_RO, NULL, O_WRONLY, 0, RO),
	OPEN("open O_RDONLY NULL path, no root", P_RO, NULL, O_RDONLY, 0, ALLOW),
	OPEN("open read under block-all (no root)", P_ALL, "/etc/passwd", O_RDONLY, 0, ALLOW),
	OPEN("open write under block-all", P_ALL, "/tmp/f", O_WRONLY, 0, RO),
	/* --- open: writable holes --------------------------------------- */
	OPEN("open write in hole", P_RO_HOLE, "/tmp/out/x", O_WRONLY | O_CREAT, 0, ALLOW),
	OPEN("open write = hole dir (O_TMPFILE)", P_RO_HOLE, "/tmp/out", O_TMPFILE | O_WRONLY, 0, ALLOW),
	OPEN("open write /tmp/outx/y (not the hole)", P_RO_HOLE, "/tmp/outx/y", O_WRONLY, 0, RO),
	OPEN("open write /tmp/out/../etc/passwd (unnormalised)", P_RO_HOLE, "/tmp/out/../etc/passwd", O_WRONLY, 0, RO),
	OPEN("open write /tmp (parent of the hole)", P_RO_HOLE, "/tmp/f", O_WRONLY, 0, RO),
	/* --- open: fs_root ---------------------------------------------- */
	OPEN("read inside root", P_ROOT, "/srv/root/a/b", O_RDONLY, 0, ALLOW),
	OPEN("read the root itself", P_ROOT, "/srv/root", O_RDONLY | O_DIRECTORY, 0, ALLOW),
	OPEN("read /srv/rootx (no '/' boundary)", P_ROOT, "/srv/rootx", O_RDONLY, 0, ROOT),
	OPEN("read /etc/passwd outside root", P_ROOT, "/etc/passwd", O_RDONLY, 0, ROOT),
	OPEN("read /srv/root/../../etc/passwd", P_ROOT, "/srv/root/../../etc/passwd", O_RDONLY, 0, ROOT),
	OPEN("read relative path under root", P_ROOT, "etc/passwd", O_RDONLY, 0, ROOT),
	OPEN("read NULL path under root", P_ROOT, NULL, O_RDONLY, 0, ROOT),
	OPEN("read stdlib (runtime list)", P_ROOT, "/usr/lib/python3.11/os.py", O_RDONLY, 0, ALLOW),
	OPEN("read /etc/ld.so.cache (runtime list)", P_ROOT, "/etc/ld.so.cache", O_RDONLY, 0, ALLOW),
	OPEN("read /proc/self/root/etc/passwd", P_ROOT, "/proc/self/root/etc/passwd", O_RDONLY, 0, ROOT),
	OPEN("write inside root (root implies readonly)", P_ROOT, "/srv/root/a", O_WRONLY, 0, RO),
	OPEN("O_WRONLY chardev outside root", P_ROOT, "/dev/pts/3", O_WRONLY, 1, ALLOW),
	OPEN("O_RDWR chardev outside root (it reads)", P_ROOT, "/dev/pts/3", O_RDWR, 1, ROOT),
	OPEN("O_RDWR /dev/null under root (runtime list)", P_ROOT, "/dev/null", O_RDWR, 1, ALLOW),
	OPEN("read /etc/passwd with fs_root=/", P_ROOT_SLASH, "/etc/passwd", O_RDONLY, 0, ALLOW),
	OPEN("read / with fs_root=/", P_ROOT_SLASH, "/", O_RDONLY, 0, ALLOW),
	OPEN("write with fs_root=/", P_ROOT_SLASH, "/tmp/f", O_WRONLY, 0, RO),
	OPEN("write in hole outside root", P_ROOT_HOLE, "/tmp/out/f", O_WRONLY | O_CREAT, 0, ALLOW),
	OPEN("read in hole outside root", P_ROOT_HOLE, "/tmp/out/f", O_RDONLY, 0, ALLOW),
	OPEN("read /tmp/other outside root and hole", P_ROOT_HOLE, "/tmp/other", O_RDONLY, 0, ROOT),
	OPEN("read inside root with a hole", P_ROOT_HOLE, "/srv/root/x", O_RDONLY, 0, ALLOW),
	/* --- mutate ----------------------------------------------------- */
	OPR("mutate, nothing blocked", P_NONE, HM_OP_MUTATE, "/tmp/x", ALLOW),
	OPR("mutate under fs_readonly", P_RO, HM_OP_MUTATE, "/tmp/x", RO),
	OPR("mutate in hole", P_RO_HOLE, HM_OP_MUTATE, "/tmp/out/x", ALLOW),
	OPR("mutate /tmp/outx", P_RO_HOLE, HM_OP_MUTATE, "/tmp/outx", RO),
	OPR("mutate NULL path", P_RO_HOLE, HM_OP_MUTATE, NULL, RO),
	OPR("mutate inside root", P_ROOT, HM_OP_MUTATE, "/srv/root/x", RO),
	OPR("mutate under block_network only", P_NET, HM_OP_MUTATE, "/tmp/x", ALLOW),
	/* --- the fail-closed stand-in ----------------------------------- */
	OPEN("invalid: read /usr/lib/x.so", P_INVALID, "/usr/lib/x.so", O_RDONLY, 0, ALLOW),
	OPEN("invalid: read /dev/urandom", P_INVALID, "/dev/urandom", O_RDONLY, 1, ALLOW),
	OPEN("invalid: read /etc/passwd", P_INVALID, "/etc/passwd", O_RDONLY, 0, INVAL),
	OPEN("invalid: write /usr/lib/x", P_INVALID, "/usr/lib/x", O_WRONLY, 0, INVAL),
	OPEN("invalid: write /dev/null", P_INVALID, "/dev/null", O_WRONLY, 1, INVAL),
	OPEN("invalid: read NULL", P_INVALID, NULL, O_RDONLY, 0, INVAL),
	CONN("invalid: connect 127.0.0.1", P_INVALID, "127.0.0.1", NULL, INVAL),
	CONN("invalid: connect AF_UNIX", P_INVALID, "unix:/tmp/s", NULL, INVAL),
	RSLV("invalid: resolve NULL", P_INVALID, NULL, INVAL),
	SOCK("invalid: socket AF_UNIX", P_INVALID, AF_UNIX, SOCK_STREAM, 0, INVAL),
	OPR("invalid: exec", P_INVALID, HM_OP_EXEC, "/bin/true", INVAL),
	OPR("invalid: dlopen", P_INVALID, HM_OP_DLOPEN, "x.so", INVAL),
	OPR("invalid: mutate", P_INVALID, HM_OP_MUTATE, "/tmp/x", INVAL),
	OPR("invalid: import os", P_INVALID, HM_OP_IMPORT, "os", INVAL),
	OPR("invalid: env", P_INVALID, HM_OP_ENV, NULL, INVAL),
	OPR("invalid: code exec", P_INVALID, HM_OP_CODE_EXEC, NULL, INVAL),
	OPR("invalid: interp", P_INVALID, HM_OP_INTERP, NULL, INVAL),
	/* --- unknown op ------------------------------------------------- */
	OPR("unknown op 0", P_NONE, (enum hm_op)0, NULL, INVAL),
	OPR("unknown op 99", P_NONE, (enum hm_op)99, NULL, INVAL),
};
/* clang-format on */

static void test_verdicts(void)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(rows); i++) {
		const struct row *r = &rows[i];
		struct hm_request rq = {0};
		struct sa_buf sa;
		enum hm_reason got;

		rq.op = r->op;
		if (r->op == HM_OP_CONNECT || r->op == HM_OP_SENDTO ||
		    r->op == HM_OP_BIND || r->op == HM_OP_LISTEN) {
			make_sa(r->addr, &sa);
			rq.sa = sa.null ? NULL : (struct sockaddr *)&sa.ss;
			rq.salen = sa.len;
		}
		rq.resolved_name = r->resolved;
		if (r->op == HM_OP_RESOLVE || r->op == HM_OP_IMPORT)
			rq.name = r->str;
		else
			rq.path = r->str;
		rq.flags = r->flags;
		rq.is_chardev = r->chardev;
		rq.domain = r->domain;
		rq.type = r->type;
		rq.protocol = r->protocol;
		got = hm_policy_check(&policies[r->pol], &rq);
		CHECK_INT(got, r->want, r->desc);
		if (got != r->want)
			printf("#   got %s, want %s\n", hm_reason_name(got),
			       hm_reason_name(r->want));
	}
}

static void test_check_edges(void)
{
	struct hm_policy p;
	struct hm_request rq = {.op = HM_OP_EXEC, .path = "/bin/true"};
	unsigned char raw[sizeof(struct sockaddr_in) + 1];
	struct sockaddr_in in = {.sin_family = AF_INET};

	CHECK_INT(hm_policy_check(NULL, &rq), INVAL, "check: NULL policy");
	CHECK_INT(hm_policy_check(&policies[P_NONE], NULL), INVAL,
		  "check: NULL request");
	hm_policy_init(&p);
	p.flags = 1u << 20;
	CHECK_INT(hm_policy_check(&p, &rq), INVAL,
		  "check: unknown flag bits fail closed");
	p.flags = 0;
	CHECK_INT(hm_policy_check(&p, &rq), ALLOW,
		  "check: same request, clean flags (control)");

	/* Section ends beyond the pool are clamped, never trusted. */
	p.flags = HM_F_BLOCK_NETWORK;
	p.n_domains = 0xffffffffu;
	memset(p.pool, 'a', sizeof(p.pool));
	p.end[HM_LIST_ROOT] = 0;
	p.end[HM_LIST_DOMAINS] = 0xffffffffu;
	rq = (struct hm_request){.op = HM_OP_RESOLVE, .name = "aaa.example"};
	CHECK_INT(hm_policy_check(&p, &rq), NONET,
		  "check: unterminated pool, huge section end: denied");
	hm_policy_init(&p);
	p.flags = HM_F_FS_ROOT | HM_F_FS_READONLY;
	memset(p.pool, '/', sizeof(p.pool));
	p.n_writable = 0xffffffffu;
	p.end[HM_LIST_ROOT] = 0xfffffff0u;
	p.end[HM_LIST_DOMAINS] = 7;
	p.end[HM_LIST_WRITABLE] = 0xffffffffu;
	rq = (struct hm_request){.op = HM_OP_OPEN, .path = "/etc/passwd"};
	CHECK_INT(hm_policy_check(&p, &rq), ROOT,
		  "check: unterminated root and holes: read denied");

	/* An unaligned address (the shim copies into byte buffers). */
	inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
	memcpy(raw + 1, &in, sizeof(in));
	rq = (struct hm_request){.op = HM_OP_CONNECT,
				 .sa = (const struct sockaddr *)(raw + 1),
				 .salen = sizeof(in)};
	CHECK_INT(hm_policy_check(&policies[P_NET_LH], &rq), ALLOW,
		  "check: unaligned sockaddr, allow_localhost");
	CHECK_INT(hm_policy_check(&policies[P_NET], &rq), NONET,
		  "check: unaligned sockaddr, no allow_localhost");
}

/* ------------------------------------------------------------------ */
/* Domains                                                             */
/* ------------------------------------------------------------------ */

static void test_domain_match(void)
{
	/* clang-format off */
	static const struct { const char *name, *dom; int want; } t[] = {
		{ "example.com", "example.com", 1 },
		{ "a.example.com", "example.com", 1 },
		{ "a.b.example.com", "example.com", 1 },
		{ "notexample.com", "example.com", 0 },
		{ "example.com.evil", "example.com", 0 },
		{ "xexample.com", "example.com", 0 },
		{ "example.com.", "example.com", 1 },
		{ "A.EXAMPLE.COM.", "example.com", 1 },
		{ "example.com", "EXAMPLE.com.", 1 },
		{ "example.com..", "example.com", 0 },
		{ "com", "example.com", 0 },
		{ "example.co", "example.com", 0 },
		{ "", "example.com", 0 },
		{ ".", "example.com", 0 },
		{ "example.com", "", 0 },
		{ "localhost", "localhost", 1 },
		{ "a.localhost", "localhost", 1 },
		{ "evil-localhost", "localhost", 0 },
	};
	/* clang-format on */
	size_t i;
	char d[160];

	for (i = 0; i < ARRAY_LEN(t); i++) {
		snprintf(d, sizeof(d), "domain_match(\"%s\", \"%s\") = %d",
			 t[i].name, t[i].dom, t[i].want);
		CHECK_INT(hm_domain_match(t[i].name, t[i].dom), t[i].want, d);
	}
	CHECK_INT(hm_domain_match(NULL, "example.com"), 0,
		  "domain_match NULL name");
	CHECK_INT(hm_domain_match("example.com", NULL), 0,
		  "domain_match NULL domain");
}

static void test_add_domain(void)
{
	/* clang-format off */
	static const struct { const char *in; int rc; const char *stored; } t[] = {
		{ "example.com", 0, "example.com" },
		{ "Example.COM.", 0, "example.com" },
		{ "  *.example.com \t", 0, "example.com" },
		{ ".example.com", 0, "example.com" },
		{ "*.a.b.example.com.", 0, "a.b.example.com" },
		{ "localhost", 0, "localhost" },
		{ "LocalHost.", 0, "localhost" },
		{ "my_host.example", 0, "my_host.example" },
		{ "xn--bcher-kva.example", 0, "xn--bcher-kva.example" },
		{ "10.1.2.3", 0, "10.1.2.3" },
		{ "10.1.2.3.", 0, "10.1.2.3" },
		{ "2001:DB8::7", 0, "2001:db8::7" },
		{ "::ffff:10.1.2.3", 0, "::ffff:10.1.2.3" },
		{ "1-2.example", 0, "1-2.example" },
		{ "", -EINVAL, NULL },
		{ "   ", -EINVAL, NULL },
		{ "*", -EINVAL, NULL },
		{ "*.", -EINVAL, NULL },
		{ ".", -EINVAL, NULL },
		{ "..", -EINVAL, NULL },
		{ "com", 0, "com" },
		{ ".com", 0, "com" },
		{ "*.com", 0, "com" },
		{ "com.", 0, "com" },
		{ "db", 0, "db" },
		{ "internal", 0, "internal" },
		{ "Redis", 0, "redis" },
		{ "*.db", 0, "db" },
		{ "my_db-1", 0, "my_db-1" },
		{ "123", -EINVAL, NULL },
		{ "-x", -EINVAL, NULL },
		{ "db-", -EINVAL, NULL },
		{ "a-.example", -EINVAL, NULL },
		{ "a.-b.example", -EINVAL, NULL },
		{ "0x7f", -EINVAL, NULL },
		{ "a..b", -EINVAL, NULL },
		{ "example.com..", -EINVAL, NULL },
		{ "*.*.example.com", -EINVAL, NULL },
		{ "**.example.com", -EINVAL, NULL },
		{ "exa mple.com", -EINVAL, NULL },
		{ "example.com/x", -EINVAL, NULL },
		{ "example.com:443", -EINVAL, NULL },
		{ "ex\xc3\xa4mple.com", -EINVAL, NULL },
		{ "example.com\n.evil", -EINVAL, NULL },
		{ "1.2.3", -EINVAL, NULL },
		{ "0x7f.1", -EINVAL, NULL },
		{ "0.1", -EINVAL, NULL },
		{ "example.123", -EINVAL, NULL },
		{ "01.02.03.04", -EINVAL, NULL },
		{ "*.1.2.3.4", -EINVAL, NULL },
		{ ".10.1.2.3", -EINVAL, NULL },
		{ "fe80::1%eth0", -EINVAL, NULL },
	};
	/* clang-format on */
	struct hm_policy p;
	char buf[400], d[200];
	size_t i;
	int rc;

	for (i = 0; i < ARRAY_LEN(t); i++) {
		hm_policy_init(&p);
		rc = hm_policy_add_domain(&p, t[i].in);
		snprintf(d, sizeof(d), "add_domain(\"%s\") = %d", t[i].in,
			 t[i].rc);
		CHECK_INT(rc, t[i].rc, d);
		if (t[i].stored) {
			CHECK_STR(nth(&p, HM_LIST_DOMAINS, 0), t[i].stored,
				  "add_domain stores the normalised form");
			CHECK_INT(hm_policy_validate(&p), 0,
				  "add_domain output validates");
		} else {
			CHECK_INT(p.n_domains, 0, "refused domain not stored");
		}
	}

	hm_policy_init(&p);
	CHECK_INT(hm_policy_add_domain(&p, NULL), -EINVAL, "add_domain NULL");
	CHECK_INT(hm_policy_add_domain(NULL, "example.com"), -EINVAL,
		  "add_domain NULL policy");

	/* Label of 63 is fine, 64 is not. */
	memset(buf, 'a', 63);
	strcpy(buf + 63, ".com");
	CHECK_INT(hm_policy_add_domain(&p, buf), 0, "add_domain label of 63");
	memset(buf, 'a', 64);
	strcpy(buf + 64, ".com");
	CHECK_INT(hm_policy_add_domain(&p, buf), -EINVAL,
		  "add_domain label of 64");
	/* 253 in total is fine, 254 is not; more than fits is ENAMETOOLONG. */
	for (i = 0; i < 252; i++)
		buf[i] = (i % 2) ? '.' : 'a';
	buf[252] = 'b';
	buf[253] = '\0';
	CHECK_INT(hm_policy_add_domain(&p, buf), 0, "add_domain 253 chars");
	buf[253] = 'b';
	buf[254] = '\0';
	CHECK_INT(hm_policy_add_domain(&p, buf), -EINVAL,
		  "add_domain 254 chars");
	memset(buf, 'a', 300);
	memcpy(buf + 296, ".com", 5);
	CHECK_INT(hm_policy_add_domain(&p, buf), -ENAMETOOLONG,
		  "add_domain 300 chars");

	/* Thousands of domains: bounded by the pool's bytes only. */
	hm_policy_init(&p);
	for (i = 0; i < 5000; i++) {
		snprintf(buf, sizeof(buf), "h%zu.example", i);
		rc = hm_policy_add_domain(&p, buf);
		if (rc)
			break;
	}
	CHECK_INT(rc, 0, "add_domain takes 5000 domains");
	CHECK_INT(p.n_domains, 5000, "5000 domains counted");
	CHECK_STR(nth(&p, HM_LIST_DOMAINS, 4999), "h4999.example",
		  "the 5000th domain is stored");
	p.flags = HM_F_BLOCK_NETWORK;
	{
		/* clang-format off */
		static const struct { const char *name; int allowed; } m[] = {
			{ "h4999.example", 1 },
			{ "API.H4999.Example.", 1 },
			{ "x.h0.example", 1 },
			{ "xh4999.example", 0 },
			{ "h4999.example.org", 0 },
			{ "example", 0 },
			{ "h5000.example", 0 },
		};
		/* clang-format on */
		struct hm_request r = {.op = HM_OP_RESOLVE};
		char what[96];
		size_t k;

		for (k = 0; k < ARRAY_LEN(m); k++) {
			r.name = m[k].name;
			snprintf(what, sizeof(what),
				 "5000 domains: resolve %s %s", m[k].name,
				 m[k].allowed ? "allowed" : "refused");
			CHECK_INT(hm_policy_check(&p, &r),
				  m[k].allowed ? HM_R_NONE : HM_R_NO_NETWORK,
				  what);
		}
	}
	p.flags = 0;
	for (; rc == 0; i++) {
		snprintf(buf, sizeof(buf), "h%zu.example", i);
		rc = hm_policy_add_domain(&p, buf);
	}
	CHECK_INT(rc, -ENOSPC, "add_domain beyond the pool is ENOSPC");
	OK(p.used <= HM_POOL_MAX && HM_POOL_MAX - p.used < strlen(buf) + 1,
	   "ENOSPC only when the name does not fit the bytes left");
	CHECK_INT(hm_policy_validate(&p), 0, "a full pool validates");
	CHECK_INT(hm_policy_add_domain(&p, "a..b"), -EINVAL,
		  "add_domain invalid on a full table is still EINVAL");
	CHECK_INT(hm_policy_validate(&p), 0, "full domain table validates");
}

/* ------------------------------------------------------------------ */
/* Addresses                                                           */
/* ------------------------------------------------------------------ */

static void test_metadata(void)
{
	/* clang-format off */
	static const struct { const char *host; int want; } t[] = {
		{ "169.254.169.254", 1 },
		{ "169.254.169.254.", 1 },
		{ "2852039166", 1 },
		{ "2852039166.", 1 },
		{ "0xa9fea9fe", 1 },
		{ "0XA9FEA9FE", 1 },
		{ "0xa9fea9fe.", 1 },
		{ "0251.0376.0251.0376", 1 },
		{ "0251.0376.0251.0376.", 1 },
		{ "00000000251.0376.0251.0376", 1 },
		{ "169.254.43518", 1 },
		{ "169.254.43518.", 1 },
		{ "169.16689662", 1 },
		{ "0xa9.0xfe.0xa9.0xfe", 1 },
		{ "0xa9.254.0251.0xfe", 1 },
		{ "0251.0xfe.43518", 1 },
		{ "169.254.170.2", 1 },
		{ "168.63.129.16", 1 },
		{ "2822734096", 1 },
		{ "100.100.100.200", 1 },
		{ "0x64.0x64.0x64.0xc8", 1 },
		{ "fd00:ec2::254", 1 },
		{ "FD00:EC2::254", 1 },
		{ "fd00:ec2:0:0:0:0:0:254", 1 },
		{ "[fd00:ec2::254]", 1 },
		{ "fe80::a9fe:a9fe", 1 },
		{ "fe80::a9fe:a9fe%eth0", 1 },
		{ "::ffff:169.254.169.254", 1 },
		{ "::ffff:a9fe:a9fe", 1 },
		{ "::169.254.169.254", 1 },
		{ "64:ff9b::169.254.169.254", 1 },
		{ "::ffff:100.100.100.200", 1 },
		{ "metadata.google.internal", 1 },
		{ "METADATA.Google.Internal.", 1 },
		{ "metadata", 1 },
		{ "metadata.", 1 },
		{ "metadata.goog", 1 },
		{ "instance-data", 1 },
		{ "Instance-Data.EC2.Internal", 1 },
		/* issue 8 class 11: more providers */
		{ "169.254.170.23", 1 },
		{ "169.254.0.23", 1 },
		{ "192.0.0.192", 1 },
		{ "169.254.42.42", 1 },
		{ "fd00:ec2::23", 1 },
		{ "fd20:ce::254", 1 },
		{ "fd00:c1::a9fe:a9fe", 1 },
		{ "fd00:42::42", 1 },
		{ "fd00:a9fe:a9fe::1", 1 },
		{ "metadata.tencentyun.com", 1 },
		{ "METADATA.TENCENTYUN.COM.", 1 },
		/* every IPv4-embedding IPv6 form of every IPv4 entry */
		{ "64:ff9b::169.254.170.23", 1 },
		{ "64:ff9b::a9fe:17", 1 },
		{ "64:ff9b::c000:c0", 1 },
		{ "::ffff:192.0.0.192", 1 },
		{ "::192.0.0.192", 1 },
		{ "::ffff:0:169.254.169.254", 1 },
		{ "64:ff9b:1::169.254.169.254", 1 },
		{ "64:ff9b:1::a9fe:a9fe", 1 },
		{ "64:ff9b:1:a9fe:a9:fe00::", 1 },
		{ "64:ff9b:1:a9:fe:a9fe::", 1 },
		{ "64:ff9b:1:0:a9:fea9:fe00:0", 1 },
		{ "64:ff9b:1:a9fe:0:1700::", 1 },
		{ "2001:db8:100::169.254.169.254", 1 },
		{ "fe80::5efe:169.254.169.254", 1 },
		{ "2001:db8::200:5efe:a9fe:a9fe", 1 },
		{ "2002:a9fe:a9fe::", 1 },
		{ "2002:a9fe:aa17::1", 1 },
		{ "2002:6464:64c8::", 1 },
		{ "2001:0:a9fe:a9fe::1", 1 },
		{ "2001:0:4136:e378:8000:63bf:5601:5601", 1 },
		{ "fe80::a9fe:17", 1 },
		/* controls */
		{ "169.254.170.22", 0 },
		{ "169.254.0.24", 0 },
		{ "192.0.0.191", 0 },
		{ "fd00:ec2::24", 0 },
		{ "fd20:ce::255", 0 },
		{ "64:ff9b:1::1", 0 },
		{ "64:ff9b:1:a9fe:a9:ff00::", 0 },
		{ "2002:a9fe:a9ff::", 0 },
		{ "2001:0:4136:e378:8000:63bf:3fff:fdd2", 0 },
		{ "2001:db8::1", 0 },
		{ "2001:4860:4860::8888", 0 },
		{ "metadata.tencentyun.com.evil", 0 },
		{ "169.254.169.253", 0 },
		{ "169.254.169.255", 0 },
		{ "169.254.169.0254", 0 },
		{ "2852039165", 0 },
		{ "4294967296", 0 },
		{ "0x1a9fea9fe", 0 },
		{ "169.254.169.254.1", 0 },
		{ "169.254.169.254..", 0 },
		{ "169.254.169.254 ", 0 },
		{ "0x", 0 },
		{ "08", 0 },
		{ "169.254.65536", 0 },
		{ "fd00:ec2::255", 0 },
		{ "fe80::a9fe:a9ff", 0 },
		{ "metadata.google.internal.evil", 0 },
		{ "xmetadata", 0 },
		{ "metadata.google", 0 },
		{ "example.com", 0 },
		{ "", 0 },
		{ ".", 0 },
	};
	/* clang-format on */
	size_t i;
	char d[120];

	for (i = 0; i < ARRAY_LEN(t); i++) {
		snprintf(d, sizeof(d), "is_metadata(\"%s\") = %d", t[i].host,
			 t[i].want);
		CHECK_INT(hm_host_is_metadata(t[i].host), t[i].want, d);
	}
	CHECK_INT(hm_host_is_metadata(NULL), 0, "is_metadata(NULL) = 0");
}

/* Loopback port 53 is a DNS query (issue 8 class 7), whatever is allowed. */
static void test_loopback_dns(void)
{
	/* clang-format off */
	static const struct {
		const char *d; int fam; const char *a; int port; int op;
		enum hm_reason want;
	} t[] = {
		{ "udp 127.0.0.53:53 with allow_localhost", AF_INET, "127.0.0.53", 53, HM_OP_SENDTO, NONET },
		{ "tcp 127.0.0.1:53 with allow_localhost", AF_INET, "127.0.0.1", 53, HM_OP_CONNECT, NONET },
		{ "[::1]:53 with allow_localhost", AF_INET6, "::1", 53, HM_OP_SENDTO, NONET },
		{ "[::ffff:127.0.0.1]:53", AF_INET6, "::ffff:127.0.0.1", 53, HM_OP_CONNECT, NONET },
		{ "control: 127.0.0.1:5353", AF_INET, "127.0.0.1", 5353, HM_OP_SENDTO, ALLOW },
		{ "control: 127.0.0.1:54", AF_INET, "127.0.0.1", 54, HM_OP_CONNECT, ALLOW },
		{ "control: 127.0.0.1:13568 (53 byte-swapped)", AF_INET, "127.0.0.1", 13568, HM_OP_CONNECT, ALLOW },
	};
	/* clang-format on */
	size_t i;

	for (i = 0; i < ARRAY_LEN(t); i++) {
		struct sockaddr_storage ss = {0};
		struct hm_request rq = {.op = t[i].op};
		socklen_t len;

		if (t[i].fam == AF_INET) {
			struct sockaddr_in *in = (struct sockaddr_in *)&ss;

			in->sin_family = AF_INET;
			in->sin_port = htons((uint16_t)t[i].port);
			inet_pton(AF_INET, t[i].a, &in->sin_addr);
			len = sizeof(*in);
		} else {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

			in6->sin6_family = AF_INET6;
			in6->sin6_port = htons((uint16_t)t[i].port);
			inet_pton(AF_INET6, t[i].a, &in6->sin6_addr);
			len = sizeof(*in6);
		}
		rq.sa = (struct sockaddr *)&ss;
		rq.salen = len;
		CHECK_INT(hm_policy_check(&policies[P_NET_LH], &rq), t[i].want,
			  t[i].d);
	}
}

static void test_sockopt_reroutes(void)
{
	static const unsigned char lsrr[8] = {131, 7, 4, 10, 0, 0, 1, 0};
	static const int one = 1, zero = 0;
	static const unsigned char byte1 = 1;
	/* clang-format off */
	static const struct {
		const char *d; int level, name; const void *val;
		unsigned int len; int want;
	} t[] = {
		{ "IP_OPTIONS source route", IPPROTO_IP, 4, lsrr, 8, 1 },
		{ "IP_OPTIONS NULL value", IPPROTO_IP, 4, NULL, 8, 1 },
		{ "IP_OPTIONS cleared (len 0)", IPPROTO_IP, 4, lsrr, 0, 0 },
		{ "IP_RETOPTS", IPPROTO_IP, 7, lsrr, 8, 1 },
		{ "IP_HDRINCL 1", IPPROTO_IP, 3, &one, 4, 1 },
		{ "IP_HDRINCL one byte", IPPROTO_IP, 3, &byte1, 1, 1 },
		{ "IP_HDRINCL NULL", IPPROTO_IP, 3, NULL, 4, 1 },
		{ "IP_HDRINCL 0", IPPROTO_IP, 3, &zero, 4, 0 },
		{ "IPV6_RTHDR", IPPROTO_IPV6, 57, lsrr, 8, 1 },
		{ "IPV6_RTHDR cleared", IPPROTO_IPV6, 57, NULL, 0, 0 },
		{ "IPV6_2292RTHDR", IPPROTO_IPV6, 5, lsrr, 8, 1 },
		{ "IPV6_2292PKTOPTIONS", IPPROTO_IPV6, 6, lsrr, 8, 1 },
		{ "IPV6_HDRINCL 1", IPPROTO_IPV6, 36, &one, 4, 1 },
		{ "IPV6_HDRINCL 0", IPPROTO_IPV6, 36, &zero, 4, 0 },
		/* controls */
		{ "IP_TOS", IPPROTO_IP, 1, &one, 4, 0 },
		{ "IP_TTL", IPPROTO_IP, 2, &one, 4, 0 },
		{ "IPV6_V6ONLY", IPPROTO_IPV6, 26, &one, 4, 0 },
		{ "IPV6_DSTOPTS", IPPROTO_IPV6, 59, lsrr, 8, 0 },
		{ "TCP level, number 4", IPPROTO_TCP, 4, lsrr, 8, 0 },
		{ "SOL_SOCKET, number 3", SOL_SOCKET, 3, &one, 4, 0 },
	};
	static const struct { const char *d; int level, type, want; } c[] = {
		{ "cmsg IP_RETOPTS", IPPROTO_IP, 7, 1 },
		{ "cmsg IP_OPTIONS", IPPROTO_IP, 4, 1 },
		{ "cmsg IPV6_RTHDR", IPPROTO_IPV6, 57, 1 },
		{ "cmsg IPV6_2292RTHDR", IPPROTO_IPV6, 5, 1 },
		{ "cmsg IP_PKTINFO", IPPROTO_IP, 8, 0 },
		{ "cmsg IPV6_PKTINFO", IPPROTO_IPV6, 50, 0 },
		{ "cmsg SCM_RIGHTS", SOL_SOCKET, 1, 0 },
	};
	/* clang-format on */
	size_t i;

	for (i = 0; i < ARRAY_LEN(t); i++)
		CHECK_INT(hm_sockopt_reroutes(t[i].level, t[i].name, t[i].val,
					      t[i].len),
			  t[i].want, t[i].d);
	for (i = 0; i < ARRAY_LEN(c); i++)
		CHECK_INT(hm_cmsg_reroutes(c[i].level, c[i].type), c[i].want,
			  c[i].d);
}

static void test_classify(void)
{
	/* clang-format off */
	static const struct { const char *spec; enum hm_addr_class want; } t[] = {
		{ "unix:/tmp/s", HM_ADDR_LOCAL_IPC },
		{ "unix:@abs", HM_ADDR_LOCAL_IPC },
		{ "netlink", HM_ADDR_LOCAL_IPC },
		{ "127.0.0.1", HM_ADDR_LOOPBACK },
		{ "127.1.2.3", HM_ADDR_LOOPBACK },
		{ "0.0.0.0", HM_ADDR_LOOPBACK },
		{ "0.1.2.3", HM_ADDR_LOOPBACK },
		{ "::", HM_ADDR_LOOPBACK },
		{ "::1", HM_ADDR_LOOPBACK },
		{ "::2", HM_ADDR_LOOPBACK },
		{ "::ffff:127.0.0.1", HM_ADDR_LOOPBACK },
		{ "::127.0.0.1", HM_ADDR_LOOPBACK },
		{ "64:ff9b::7f00:1", HM_ADDR_LOOPBACK },
		{ "169.254.169.254", HM_ADDR_METADATA },
		{ "::ffff:a9fe:a9fe", HM_ADDR_METADATA },
		{ "64:ff9b::a9fe:a9fe", HM_ADDR_METADATA },
		{ "fd00:ec2::254", HM_ADDR_METADATA },
		{ "fe80::a9fe:a9fe", HM_ADDR_METADATA },
		{ "224.0.0.1", HM_ADDR_MULTICAST },
		{ "239.255.255.255", HM_ADDR_MULTICAST },
		{ "255.255.255.255", HM_ADDR_MULTICAST },
		{ "::ffff:224.0.0.1", HM_ADDR_MULTICAST },
		{ "ff02::1", HM_ADDR_MULTICAST },
		{ "240.0.0.1", HM_ADDR_OTHER },
		{ "255.255.255.254", HM_ADDR_OTHER },
		{ "8.8.8.8", HM_ADDR_OTHER },
		{ "169.254.1.1", HM_ADDR_OTHER },
		{ "2001:db8::1", HM_ADDR_OTHER },
		{ "fe80::1", HM_ADDR_OTHER },
		{ "fam:17", HM_ADDR_INVALID },
		{ "unspec", HM_ADDR_INVALID },
		{ "short:1.2.3.4", HM_ADDR_INVALID },
		{ "v6short:::1", HM_ADDR_INVALID },
	};
	/* clang-format on */
	struct sa_buf b;
	size_t i;
	char d[120];

	for (i = 0; i < ARRAY_LEN(t); i++) {
		make_sa(t[i].spec, &b);
		snprintf(d, sizeof(d), "classify %s = %d", t[i].spec,
			 (int)t[i].want);
		CHECK_INT(hm_addr_classify((struct sockaddr *)&b.ss, b.len),
			  t[i].want, d);
	}
	CHECK_INT(hm_addr_classify(NULL, 16), HM_ADDR_INVALID, "classify NULL");
	make_sa("::1", &b);
	CHECK_INT(
	    hm_addr_classify((struct sockaddr *)&b.ss,
			     offsetof(struct sockaddr_in6, sin6_scope_id)),
	    HM_ADDR_LOOPBACK, "classify v6 without scope id (24 bytes)");
	CHECK_INT(hm_addr_classify((struct sockaddr *)&b.ss, 1),
		  HM_ADDR_INVALID, "classify 1-byte address");
}

static void test_format(void)
{
	/* clang-format off */
	static const struct { const char *spec; const char *want; } t[] = {
		{ "1.2.3.4", "1.2.3.4:80" },
		{ "::1", "[::1]:80" },
		{ "::ffff:1.2.3.4", "[::ffff:1.2.3.4]:80" },
		{ "unix:/run/x.sock", "unix:/run/x.sock" },
		{ "unix:@abstract", "unix:@abstract" },
		{ "unix:", "unix:" },
		{ "fam:17", "family=17" },
		{ "unspec", "family=0" },
		{ "short:1.2.3.4", "family=2" },
		{ "v6short:::1", "family=10" },
		{ "netlink", "family=16" },
	};
	/* clang-format on */
	struct sa_buf b;
	char buf[128], d[120];
	size_t i;
	struct sockaddr_un un = {.sun_family = AF_UNIX};

	for (i = 0; i < ARRAY_LEN(t); i++) {
		make_sa(t[i].spec, &b);
		snprintf(d, sizeof(d), "format %s", t[i].spec);
		CHECK_STR(hm_format_sockaddr((struct sockaddr *)&b.ss, b.len,
					     buf, sizeof(buf)),
			  t[i].want, d);
	}
	CHECK_STR(hm_format_sockaddr(NULL, 0, buf, sizeof(buf)), "family=?",
		  "format NULL");
	/* Abstract names may hold NULs and control bytes. */
	memcpy(un.sun_path, "\0a\0b\n", 5);
	CHECK_STR(hm_format_sockaddr((struct sockaddr *)&un,
				     offsetof(struct sockaddr_un, sun_path) + 5,
				     buf, sizeof(buf)),
		  "unix:@a?b?", "format abstract with NUL and newline");
	/* A path socket without a NUL inside @len. */
	memset(un.sun_path, 'p', sizeof(un.sun_path));
	hm_format_sockaddr((struct sockaddr *)&un, sizeof(un), buf,
			   sizeof(buf));
	CHECK_INT(strlen(buf), 5 + sizeof(un.sun_path),
		  "format unterminated sun_path: bounded by sun_path");
	hm_format_sockaddr((struct sockaddr *)&un, sizeof(un), buf, 50);
	CHECK_INT(strlen(buf), 49, "format long sun_path: truncated to cap");
	/* Truncation keeps the NUL and never writes past @cap. */
	make_sa("1.2.3.4", &b);
	memset(buf, 'X', sizeof(buf));
	hm_format_sockaddr((struct sockaddr *)&b.ss, b.len, buf, 5);
	CHECK_STR(buf, "1.2.", "format truncated to cap 5");
	CHECK_INT(buf[5], 'X', "format wrote nothing past cap");
	memset(buf, 'X', sizeof(buf));
	hm_format_sockaddr((struct sockaddr *)&b.ss, b.len, buf, 1);
	CHECK_STR(buf, "", "format cap 1 gives \"\"");
	memset(buf, 'X', sizeof(buf));
	OK(hm_format_sockaddr((struct sockaddr *)&b.ss, b.len, buf, 0) == buf &&
	       buf[0] == 'X',
	   "format cap 0 returns buf untouched");
	CHECK_STR(hm_format_sockaddr((struct sockaddr *)&b.ss, b.len, NULL, 9),
		  "", "format NULL buf returns \"\"");
}

/* ------------------------------------------------------------------ */
/* Paths and open modes                                                */
/* ------------------------------------------------------------------ */

static void test_normalize(void)
{
	/* clang-format off */
	static const struct { const char *base, *in; int rc; const char *want; } t[] = {
		{ NULL, "/", 1, "/" },
		{ NULL, "/a/b/../c", 4, "/a/c" },
		{ NULL, "/..", 1, "/" },
		{ NULL, "/../../x", 2, "/x" },
		{ NULL, "//a//b//", 4, "/a/b" },
		{ NULL, "/a/./b/.", 4, "/a/b" },
		{ NULL, "/a/b/..", 2, "/a" },
		{ NULL, "/a/..", 1, "/" },
		{ NULL, "/...", 4, "/..." },
		{ NULL, "/a/..b/.c", 9, "/a/..b/.c" },
		{ NULL, "/tmp/root/../etc", 8, "/tmp/etc" },
		{ NULL, "/tmp/root/../../etc", 4, "/etc" },
		{ "/home/u", "x/../y", 9, "/home/u/y" },
		{ "/home/u", "../../../etc", 4, "/etc" },
		{ "/home/u/", "./", 7, "/home/u" },
		{ "/home/./u//", "a", 9, "/home/u/a" },
		{ "/", "a", 2, "/a" },
		{ "/ignored", "/abs", 4, "/abs" },
		{ "rel", "/abs", 4, "/abs" },
		{ NULL, "rel", -EINVAL, NULL },
		{ "rel", "x", -EINVAL, NULL },
		{ NULL, "", -EINVAL, NULL },
		{ "/home", "", -EINVAL, NULL },
	};
	/* clang-format on */
	char out[64], d[120];
	char big[3000];
	size_t i;
	int rc;

	for (i = 0; i < ARRAY_LEN(t); i++) {
		rc = hm_path_normalize(t[i].base, t[i].in, out, sizeof(out));
		snprintf(d, sizeof(d), "normalize(%s, \"%s\") = %d",
			 t[i].base ? t[i].base : "NULL", t[i].in, t[i].rc);
		CHECK_INT(rc, t[i].rc, d);
		if (t[i].want)
			CHECK_STR(out, t[i].want, d);
	}
	CHECK_INT(hm_path_normalize(NULL, NULL, out, sizeof(out)), -EINVAL,
		  "normalize NULL input");
	CHECK_INT(hm_path_normalize(NULL, "/a", NULL, 8), -EINVAL,
		  "normalize NULL output");

	/* Capacity: exact fit, one short, and never a byte past @cap. */
	memset(out, 'X', sizeof(out));
	CHECK_INT(hm_path_normalize(NULL, "/abc", out, 5), 4,
		  "normalize exact fit");
	CHECK_STR(out, "/abc", "normalize exact fit output");
	memset(out, 'X', sizeof(out));
	CHECK_INT(hm_path_normalize(NULL, "/abc", out, 4), -ENAMETOOLONG,
		  "normalize one byte short");
	OK(out[4] == 'X' && out[0] == '\0',
	   "normalize short: cleared, bounded");
	CHECK_INT(hm_path_normalize(NULL, "/", out, 1), -ENAMETOOLONG,
		  "normalize cap 1");
	CHECK_INT(hm_path_normalize(NULL, "/a/b/c/../../..", out, 2), 1,
		  "normalize long input that collapses to \"/\" fits cap 2");
	CHECK_INT(hm_path_normalize(NULL, "/aaa/bbbbbbbbbbbb/..", out, 5), 4,
		  "normalize: a component past cap cancelled by \"..\"");
	CHECK_STR(out, "/aaa", "normalize: cancelled overflow output");
	CHECK_INT(hm_path_normalize(NULL, "/aaa/bbbbbbbbbbbb/../c", out, 5),
		  -ENAMETOOLONG, "normalize: final path one byte too long");
	CHECK_INT(hm_path_normalize(NULL, "/aaa/bb/cc/../..", out, 5), 4,
		  "normalize: two overflowed components cancelled");
	memset(big, 'a', sizeof(big) - 1);
	big[0] = '/';
	big[sizeof(big) - 1] = '\0';
	memset(out, 'X', sizeof(out));
	CHECK_INT(hm_path_normalize(NULL, big, out, sizeof(out) - 8),
		  -ENAMETOOLONG, "normalize 3000-byte path into 56 bytes");
	CHECK_INT(out[sizeof(out) - 8], 'X', "normalize never overflows");
	CHECK_INT(hm_path_normalize("/base", big + 1, out, sizeof(out) - 8),
		  -ENAMETOOLONG, "normalize long relative path");
}

static void test_path_under(void)
{
	/* clang-format off */
	static const struct { const char *path, *dir; int want; } t[] = {
		{ "/tmp/root", "/tmp/root", 1 },
		{ "/tmp/root/x", "/tmp/root", 1 },
		{ "/tmp/root/x/y", "/tmp/root", 1 },
		{ "/tmp/root/", "/tmp/root", 1 },
		{ "/tmp/root/x", "/tmp/root/", 1 },
		{ "/tmp/rootx", "/tmp/root", 0 },
		{ "/tmp/roo", "/tmp/root", 0 },
		{ "/tmp", "/tmp/root", 0 },
		{ "/tmp/root/../etc", "/tmp/root", 0 },
		{ "/tmp/root/..", "/tmp/root", 0 },
		{ "/tmp/root/./x", "/tmp/root", 0 },
		{ "/tmp/root/..x", "/tmp/root", 1 },
		{ "/etc/passwd", "/", 1 },
		{ "/", "/", 1 },
		{ "/anything/at/all", "/", 1 },
		{ "relative", "/", 0 },
		{ "", "/", 0 },
		{ "/tmp/root", "", 0 },
		{ "/tmp/root", "tmp", 0 },
	};
	/* clang-format on */
	size_t i;
	char d[120], out[64];

	for (i = 0; i < ARRAY_LEN(t); i++) {
		snprintf(d, sizeof(d), "under(\"%s\", \"%s\") = %d", t[i].path,
			 t[i].dir, t[i].want);
		CHECK_INT(hm_path_under(t[i].path, t[i].dir), t[i].want, d);
	}
	CHECK_INT(hm_path_under(NULL, "/"), 0, "under(NULL, /)");
	CHECK_INT(hm_path_under("/a", NULL), 0, "under(/a, NULL)");
	hm_path_normalize(NULL, "/tmp/root/../etc", out, sizeof(out));
	CHECK_INT(hm_path_under(out, "/tmp/root"), 0,
		  "normalised /tmp/root/../etc is not under /tmp/root");
	hm_path_normalize(NULL, "/tmp/root/a/../b", out, sizeof(out));
	CHECK_INT(hm_path_under(out, "/tmp/root"), 1,
		  "normalised /tmp/root/a/../b is under /tmp/root");
}

static void test_path_is_normal(void)
{
	/* clang-format off */
	static const struct { const char *path; int want; } t[] = {
		{ "/", 1 }, { "/a", 1 }, { "/a/b", 1 }, { "/a/..b", 1 },
		{ "/.x", 1 }, { "", 0 }, { "a", 0 }, { "/a/", 0 }, { "//a", 0 },
		{ "/a//b", 0 }, { "/a/./b", 0 }, { "/a/..", 0 }, { "/.", 0 },
		{ "/..", 0 },
	};
	/* clang-format on */
	size_t i;
	char d[80];

	for (i = 0; i < ARRAY_LEN(t); i++) {
		snprintf(d, sizeof(d), "is_normal(\"%s\") = %d", t[i].path,
			 t[i].want);
		CHECK_INT(hm_path_is_normal(t[i].path), t[i].want, d);
	}
	CHECK_INT(hm_path_is_normal(NULL), 0, "is_normal(NULL)");
}

static void test_runtime_readable(void)
{
	/* clang-format off */
	static const struct { const char *path; int want; } t[] = {
		{ "/usr/lib/python3.11/os.py", 1 },
		{ "/usr/lib", 1 },
		{ "/usr/lib64/libc.so.6", 1 },
		{ "/usr/lib32/x", 1 },
		{ "/lib/x86_64-linux-gnu/libc.so.6", 1 },
		{ "/lib64/ld-linux-x86-64.so.2", 1 },
		{ "/lib32/x", 1 },
		{ "/etc/ld.so.cache", 1 },
		{ "/etc/localtime", 1 },
		{ "/usr/share/zoneinfo/UTC", 1 },
		{ "/usr/share/locale/de/LC_MESSAGES/x.mo", 1 },
		{ "/usr/lib/locale/C.utf8/LC_CTYPE", 1 },
		{ "/dev/null", 1 },
		{ "/dev/zero", 1 },
		{ "/dev/urandom", 1 },
		{ "/dev/random", 1 },
		{ "/dev/tty", 1 },
		{ "/usr/libx", 0 },
		{ "/usr/local/lib/x", 1 },
		{ "/usr/local/libx", 0 },
		{ "/proc/self/maps", 0 }, /* _native uses the handshake */
		{ "/proc/self/environ", 0 },
		{ "/proc/self/root/etc/passwd", 0 },
		{ "/etc/ssl/certs/ca-certificates.crt", 1 },
		{ "/etc/ssl/private/key.pem", 0 },
		{ "/libx", 0 },
		{ "/etc/ld.so.cache.d", 0 },
		{ "/etc/ld.so.conf", 0 },
		{ "/etc/passwd", 0 },
		{ "/etc/localtime/x", 0 },
		{ "/dev/null/x", 0 },
		{ "/dev/tty1", 0 },
		{ "/dev/sda", 0 },
		{ "/proc/self/root/etc/passwd", 0 },
		{ "/proc/self/fd/3", 0 },
		{ "/usr/lib/../../etc/passwd", 0 },
		{ "/usr/share", 1 },
		{ "/usr/sharex", 0 },
		/* the default system read set (issue 10 item 6) */
		{ "/usr/include/stdc-predef.h", 1 },
		{ "/usr/local/include/x.h", 1 },
		{ "/usr/share/git-core/templates/x", 1 },
		{ "/usr/libexec/git-core/git", 1 },
		{ "/etc/ssl/openssl.cnf", 1 },
		{ "/etc/gitconfig", 1 },
		{ "/etc/nsswitch.conf", 1 },
		{ "/etc/shadow", 0 },
		{ "/etc/gshadow", 0 },
		{ "/etc/ssl", 0 },
		{ "/etc/ssl/private", 0 },
		{ "/root/.ssh/id_rsa", 0 },
		{ "/home/alice/.ssh/id_rsa", 0 },
		{ "/proc/1/environ", 0 },
		{ "/proc/self/status", 0 },
		{ "usr/lib/x", 0 },
		{ "", 0 },
	};
	/* clang-format on */
	size_t i;
	char d[120];

	for (i = 0; i < ARRAY_LEN(t); i++) {
		snprintf(d, sizeof(d), "runtime_readable(\"%s\") = %d",
			 t[i].path, t[i].want);
		CHECK_INT(hm_runtime_readable(t[i].path), t[i].want, d);
	}
	CHECK_INT(hm_runtime_readable(NULL), 0, "runtime_readable(NULL)");
}

static void test_runtime_ext(void)
{
	/* clang-format off */
	static const struct { const char *base; int want; } f[] = {
		{ "_ssl.cpython-311-x86_64-linux-gnu.so", 1 },
		{ "_json.cpython-311-x86_64-linux-gnu.so", 1 },
		{ "_decimal.cpython-311-x86_64-linux-gnu.so", 1 },
		{ "_asyncio.cpython-311-x86_64-linux-gnu.so", 1 },
		{ "_hashlib.cpython-311-x86_64-linux-gnu.so", 1 },
		{ "_contextvars.cpython-311-x86_64-linux-gnu.so", 1 },
		{ "_ssl.so", 1 },
		{ "_ssl.abi3.so", 1 },
		{ "_ctypes.cpython-311-x86_64-linux-gnu.so", 0 },
		{ "_ctypes_test.cpython-311-x86_64-linux-gnu.so", 0 },
		{ "_testcapi.cpython-311-x86_64-linux-gnu.so", 0 },
		{ "_testinternalcapi.cpython-311-x86_64-linux-gnu.so", 0 },
		{ "_xxsubinterpreters.cpython-311-x86_64-linux-gnu.so", 0 },
		{ "_xxtestfuzz.cpython-311-x86_64-linux-gnu.so", 0 },
		{ "xxlimited.cpython-311-x86_64-linux-gnu.so", 0 },
		{ "_tkinter.cpython-311-x86_64-linux-gnu.so", 0 },
		{ "_ssl", 0 },
		{ "_ssl.py", 0 },
		{ "_ssl.so.1", 0 },
		{ "_sslx.so", 0 },
		{ "_ss.so", 0 },
		{ ".so", 0 },
		{ "_ssl..so", 0 },
		{ "x/_ssl.so", 0 },
		{ "", 0 },
	};
	static const struct { const char *exe, *dir; int want; } d[] = {
		{ "/usr/bin/python3.11", "/usr/lib/python3.11/lib-dynload", 1 },
		{ "/usr/bin/python3.11", "/usr/lib64/python3.11/lib-dynload", 1 },
		{ "/opt/py/bin/python3.12", "/opt/py/lib/python3.12/lib-dynload", 1 },
		{ "/bin/python3", "/lib/python3.9/lib-dynload", 1 },
		{ "/usr/bin/python3.11", "/usr/lib/python3.11/lib-dynloadx", 0 },
		{ "/usr/bin/python3.11", "/usr/lib/python3.11/x/lib-dynload", 0 },
		{ "/usr/bin/python3.11", "/usr/lib/python3./lib-dynload", 0 },
		{ "/usr/bin/python3.11", "/tmp/lib/python3.11/lib-dynload", 0 },
		{ "/usr/bin/python3.11", "/usr/lib/python3.11", 0 },
		{ "/usr/bin/node", "/usr/lib/python3.11/lib-dynload", 0 },
		{ "python3", "/usr/lib/python3.11/lib-dynload", 0 },
		{ "/usr/bin/python3.11", "usr/lib/python3.11/lib-dynload", 0 },
	};
	/* clang-format on */
	size_t i;
	char m[160];

	for (i = 0; i < ARRAY_LEN(f); i++) {
		snprintf(m, sizeof(m), "runtime_ext_file(\"%s\") = %d",
			 f[i].base, f[i].want);
		CHECK_INT(hm_runtime_ext_file(f[i].base), f[i].want, m);
	}
	CHECK_INT(hm_runtime_ext_file(NULL), 0, "runtime_ext_file(NULL)");
	CHECK_INT(hm_runtime_ext_module("_ssl", 4), 1, "module _ssl");
	CHECK_INT(hm_runtime_ext_module("_ctypes", 7), 0, "module _ctypes");
	CHECK_INT(hm_runtime_ext_module("_ssl", 3), 0, "module _ss");
	for (i = 0; i < ARRAY_LEN(d); i++) {
		snprintf(m, sizeof(m), "runtime_dynload_dir(%s, %s) = %d",
			 d[i].exe, d[i].dir, d[i].want);
		CHECK_INT(hm_runtime_dynload_dir(d[i].exe, d[i].dir,
						 strlen(d[i].dir)),
			  d[i].want, m);
	}
	/* Only the first @len bytes count (a file path's directory part). */
	CHECK_INT(hm_runtime_dynload_dir(
		      "/usr/bin/python3.11",
		      "/usr/lib/python3.11/lib-dynload/_ssl.so", 31),
		  1, "runtime_dynload_dir prefix of a file path");
}

static void test_bind_wildcard(void)
{
	/* clang-format off */
	static const struct { int fam; const char *in, *out; int want; } t[] = {
		{ AF_INET, "0.0.0.0", "127.0.0.1", 1 },
		{ AF_INET, "127.0.0.1", "127.0.0.1", 0 },
		{ AF_INET, "10.0.0.1", "10.0.0.1", 0 },
		{ AF_INET6, "::", "::1", 1 },
		{ AF_INET6, "::ffff:0.0.0.0", "::ffff:127.0.0.1", 1 },
		{ AF_INET6, "::1", "::1", 0 },
		{ AF_INET6, "::ffff:10.0.0.1", "::ffff:10.0.0.1", 0 },
		{ AF_INET6, "fe80::1", "fe80::1", 0 },
	};
	/* clang-format on */
	struct sockaddr_storage ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	char got[INET6_ADDRSTRLEN], m[120];
	socklen_t len;
	size_t i;

	for (i = 0; i < ARRAY_LEN(t); i++) {
		memset(&ss, 0, sizeof(ss));
		ss.ss_family = (sa_family_t)t[i].fam;
		if (t[i].fam == AF_INET) {
			inet_pton(AF_INET, t[i].in, &in4->sin_addr);
			in4->sin_port = htons(8080);
			len = sizeof(*in4);
		} else {
			inet_pton(AF_INET6, t[i].in, &in6->sin6_addr);
			in6->sin6_port = htons(8080);
			len = sizeof(*in6);
		}
		snprintf(m, sizeof(m), "bind_wildcard(%s)", t[i].in);
		CHECK_INT(hm_bind_wildcard_to_loopback(&ss, len), t[i].want, m);
		inet_ntop(t[i].fam,
			  t[i].fam == AF_INET ? (void *)&in4->sin_addr
					      : (void *)&in6->sin6_addr,
			  got, sizeof(got));
		CHECK_STR(got, t[i].out, m);
		CHECK_INT(
		    ntohs(t[i].fam == AF_INET ? in4->sin_port : in6->sin6_port),
		    8080, "bind_wildcard keeps the port");
	}
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_INET;
	CHECK_INT(hm_bind_wildcard_to_loopback(&ss, 4), 0,
		  "bind_wildcard: short AF_INET left alone");
	ss.ss_family = AF_UNIX;
	CHECK_INT(hm_bind_wildcard_to_loopback(&ss, sizeof(ss)), 0,
		  "bind_wildcard: AF_UNIX left alone");
	CHECK_INT(hm_bind_wildcard_to_loopback(NULL, 0), 0,
		  "bind_wildcard(NULL)");
}

static void test_open_flags(void)
{
	/* clang-format off */
	static const struct { const char *desc; int flags, want; } t[] = {
		{ "O_RDONLY", O_RDONLY, 0 },
		{ "O_RDONLY|O_CLOEXEC", O_RDONLY | O_CLOEXEC, 0 },
		{ "O_RDONLY|O_DIRECTORY", O_RDONLY | O_DIRECTORY, 0 },
		{ "O_RDONLY|O_NOFOLLOW|O_NONBLOCK", O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0 },
		{ "O_PATH", O_PATH, 0 },
		{ "O_WRONLY", O_WRONLY, 1 },
		{ "O_RDWR", O_RDWR, 1 },
		{ "O_ACCMODE (3)", O_ACCMODE, 1 },
		{ "O_RDONLY|O_TRUNC", O_RDONLY | O_TRUNC, 1 },
		{ "O_RDONLY|O_CREAT", O_RDONLY | O_CREAT, 1 },
		{ "O_RDONLY|O_APPEND", O_RDONLY | O_APPEND, 1 },
		{ "O_TMPFILE|O_RDWR", O_TMPFILE | O_RDWR, 1 },
		{ "O_TMPFILE alone", O_TMPFILE, 1 },
	};
	/* clang-format on */
	size_t i;

	for (i = 0; i < ARRAY_LEN(t); i++)
		CHECK_INT(hm_open_flags_write(t[i].flags), t[i].want,
			  t[i].desc);
}

static void test_fopen_modes(void)
{
	/* clang-format off */
	static const struct { const char *mode; int flags, write; } t[] = {
		{ "r", O_RDONLY, 0 },
		{ "rb", O_RDONLY, 0 },
		{ "rt", O_RDONLY, 0 },
		{ "rm", O_RDONLY, 0 },
		{ "rc", O_RDONLY, 0 },
		{ "re", O_RDONLY | O_CLOEXEC, 0 },
		{ "rbe", O_RDONLY | O_CLOEXEC, 0 },
		{ "r,ccs=UTF-8", O_RDONLY, 0 },
		/* glibc applies modifiers after ',' too: "r,+" is O_RDWR */
		{ "r,+", O_RDWR, 1 },
		{ "rb,+", O_RDWR, 1 },
		{ "r,ccs=+w", O_RDWR, 1 },
		{ "r+", O_RDWR, 1 },
		{ "rb+", O_RDWR, 1 },
		{ "r+b", O_RDWR, 1 },
		{ "r+,ccs=UTF-8", O_RDWR, 1 },
		{ "w", O_WRONLY | O_CREAT | O_TRUNC, 1 },
		{ "wb", O_WRONLY | O_CREAT | O_TRUNC, 1 },
		{ "w+", O_RDWR | O_CREAT | O_TRUNC, 1 },
		{ "wx", O_WRONLY | O_CREAT | O_TRUNC | O_EXCL, 1 },
		{ "wxe", O_WRONLY | O_CREAT | O_TRUNC | O_EXCL | O_CLOEXEC, 1 },
		{ "a", O_WRONLY | O_CREAT | O_APPEND, 1 },
		{ "a+", O_RDWR | O_CREAT | O_APPEND, 1 },
		{ "rz", O_RDONLY, 0 },
		{ "z", -1, -1 },
		{ "", -1, -1 },
		{ "+r", -1, -1 },
		{ "R", -1, -1 },
		{ "x", -1, -1 },
	};
	/* clang-format on */
	size_t i;
	char d[80];
	int f;

	for (i = 0; i < ARRAY_LEN(t); i++) {
		f = hm_fopen_mode_flags(t[i].mode);
		snprintf(d, sizeof(d), "fopen mode \"%s\"", t[i].mode);
		CHECK_INT(f, t[i].flags, d);
		if (t[i].write >= 0) {
			snprintf(d, sizeof(d), "fopen mode \"%s\" write = %d",
				 t[i].mode, t[i].write);
			CHECK_INT(hm_open_flags_write(f), t[i].write, d);
		}
	}
	CHECK_INT(hm_fopen_mode_flags(NULL), -1, "fopen mode NULL");
}

/* ------------------------------------------------------------------ */
/* Builders, profiles, validation, names                               */
/* ------------------------------------------------------------------ */

static void test_paths_builders(void)
{
	struct hm_policy p;
	char big[HM_PATH_MAX + 10];
	int i, rc = 0;

	hm_policy_init(&p);
	CHECK_INT(hm_policy_set_root(&p, "/tmp//root/./x/../"), 0,
		  "set_root normalises");
	CHECK_STR(hm_policy_root(&p), "/tmp/root", "set_root stored form");
	CHECK_INT(p.flags, HM_F_FS_ROOT | HM_F_FS_READONLY,
		  "set_root sets FS_ROOT and FS_READONLY");
	CHECK_INT(hm_policy_validate(&p), 0, "set_root output validates");
	CHECK_INT(hm_policy_set_root(&p, "/"), 0, "set_root /");
	CHECK_STR(hm_policy_root(&p), "/", "set_root / stored");
	CHECK_INT(p.n_root, 1, "set_root replaces: still one root");
	CHECK_INT(hm_policy_set_root(&p, "/.."), 0, "set_root /..");
	CHECK_STR(hm_policy_root(&p), "/", "set_root /.. stored as /");

	hm_policy_init(&p);
	CHECK_INT(hm_policy_set_root(&p, "relative"), -EINVAL,
		  "set_root relative");
	CHECK_INT(hm_policy_set_root(&p, ""), -EINVAL, "set_root empty");
	CHECK_INT(hm_policy_set_root(&p, NULL), -EINVAL, "set_root NULL");
	CHECK_INT(hm_policy_set_root(NULL, "/"), -EINVAL,
		  "set_root NULL policy");
	memset(big, 'a', sizeof(big) - 1);
	big[0] = '/';
	big[sizeof(big) - 1] = '\0';
	CHECK_INT(hm_policy_set_root(&p, big), -ENAMETOOLONG,
		  "set_root too long");
	CHECK_INT(p.flags, 0, "failed set_root leaves flags alone");
	CHECK_STR(hm_policy_root(&p), "",
		  "failed set_root leaves fs_root empty");

	CHECK_INT(hm_policy_add_writable(&p, "/tmp/out/"), 0, "add_writable");
	CHECK_STR(nth(&p, HM_LIST_WRITABLE, 0), "/tmp/out",
		  "add_writable stored form");
	CHECK_INT(p.flags, 0, "add_writable sets no flag");
	CHECK_INT(hm_policy_add_writable(&p, "out"), -EINVAL,
		  "add_writable relative");
	CHECK_INT(hm_policy_add_writable(&p, big), -ENAMETOOLONG,
		  "add_writable too long");
	for (i = 1; i < 200 && !rc; i++) {
		snprintf(big, sizeof(big), "/tmp/hole%d", i);
		rc = hm_policy_add_writable(&p, big);
	}
	CHECK_INT(rc, 0, "add_writable takes 200 holes");
	CHECK_INT(p.n_writable, 200, "200 holes counted");
	CHECK_INT(hm_policy_validate(&p), 0, "200 holes validate");
	/* A replaced root keeps the later lists intact. */
	CHECK_INT(hm_policy_set_root(&p, "/srv/a/much/longer/root"), 0,
		  "set_root after 200 holes");
	CHECK_STR(nth(&p, HM_LIST_WRITABLE, 199), "/tmp/hole199",
		  "the holes moved with the longer root");
	CHECK_INT(hm_policy_validate(&p), 0, "replaced root validates");
	memset(big, 'a', sizeof(big) - 1);
	big[0] = '/';
	big[HM_PATH_MAX - 1] = '\0';
	while ((rc = hm_policy_add_writable(&p, big)) == 0)
		;
	CHECK_INT(rc, -ENOSPC, "add_writable beyond the pool is ENOSPC");
	CHECK_INT(hm_policy_validate(&p), 0, "a pool full of holes validates");
}

/* --allow-read / allow_read= (issue 10 item 6): builder, validation, verdict.
 */
static void test_add_readable(void)
{
	struct hm_policy p;
	struct hm_request rq = {.op = HM_OP_OPEN, .flags = O_RDONLY};
	int i, rc = 0;

	hm_policy_init(&p);
	CHECK_INT(hm_policy_set_root(&p, "/srv/proj"), 0, "readable: root");
	CHECK_INT(hm_policy_add_readable(&p, "/opt/data/"), 0, "add_readable");
	CHECK_STR(nth(&p, HM_LIST_READABLE, 0), "/opt/data",
		  "add_readable stored form");
	CHECK_INT(hm_policy_add_readable(&p, "/etc/app.conf"), 0,
		  "add_readable file");
	CHECK_INT(hm_policy_add_readable(&p, "rel"), -EINVAL,
		  "add_readable relative");
	CHECK_INT(hm_policy_add_readable(NULL, "/x"), -EINVAL,
		  "add_readable NULL policy");
	CHECK_INT(hm_policy_validate(&p), 0, "readable policy validates");

	rq.path = "/opt/data/x/y.txt";
	CHECK_INT(hm_policy_check(&p, &rq), HM_R_NONE, "read under readable");
	rq.path = "/opt/data";
	CHECK_INT(hm_policy_check(&p, &rq), HM_R_NONE, "read of readable dir");
	rq.path = "/opt/database";
	CHECK_INT(hm_policy_check(&p, &rq), HM_R_FS_ROOT,
		  "readable matches on a '/' boundary");
	rq.path = "/etc/app.conf";
	CHECK_INT(hm_policy_check(&p, &rq), HM_R_NONE, "read of readable file");
	rq.path = "/etc/passwd";
	CHECK_INT(hm_policy_check(&p, &rq), HM_R_FS_ROOT,
		  "a readable file opens no sibling");
	rq.path = "/opt/data/x";
	rq.flags = O_WRONLY | O_CREAT;
	CHECK_INT(hm_policy_check(&p, &rq), HM_R_FS_READONLY,
		  "readable opens no write");
	rq.op = HM_OP_MUTATE;
	CHECK_INT(hm_policy_check(&p, &rq), HM_R_FS_READONLY,
		  "readable opens no mutation");

	for (i = 2; i < 100 && !rc; i++)
		rc = hm_policy_add_readable(&p, "/opt/more");
	CHECK_INT(rc, 0, "add_readable takes 100 paths");
	CHECK_INT(hm_policy_validate(&p), 0, "100 readable paths validate");
	p.n_readable = 101;
	CHECK_INT(hm_policy_validate(&p), -EINVAL,
		  "readable count not matching the section");
	p.n_readable = 100;
	raw_put(&p, HM_LIST_READABLE, 0, "rel/x");
	CHECK_INT(hm_policy_validate(&p), -EINVAL, "relative readable invalid");
}

static void test_add_import(void)
{
	/* clang-format off */
	static const struct { const char *in; int rc; const char *stored; } t[] = {
		{ "os", 0, "os" },
		{ "xml.etree", 0, "xml.etree" },
		{ "  pickle\t", 0, "pickle" },
		{ "a.b_c.d1", 0, "a.b_c.d1" },
		{ "_private._x", 0, "_private._x" },
		{ "caf\xc3\xa9", 0, "caf\xc3\xa9" },
		{ "", -EINVAL, NULL },
		{ "  ", -EINVAL, NULL },
		{ "1abc", -EINVAL, NULL },
		{ "a.1b", -EINVAL, NULL },
		{ "a..b", -EINVAL, NULL },
		{ ".a", -EINVAL, NULL },
		{ "a.", -EINVAL, NULL },
		{ "a-b", -EINVAL, NULL },
		{ "a b", -EINVAL, NULL },
		{ "a/b", -EINVAL, NULL },
		{ "*", -EINVAL, NULL },
	};
	/* clang-format on */
	struct hm_policy p;
	char big[HM_IMPORT_MAX + 10], d[80];
	size_t i;
	int rc = 0;

	for (i = 0; i < ARRAY_LEN(t); i++) {
		hm_policy_init(&p);
		snprintf(d, sizeof(d), "add_import(\"%s\") = %d", t[i].in,
			 t[i].rc);
		CHECK_INT(hm_policy_add_import(&p, t[i].in), t[i].rc, d);
		if (t[i].stored) {
			CHECK_STR(nth(&p, HM_LIST_IMPORTS, 0), t[i].stored, d);
			CHECK_INT(hm_policy_validate(&p), 0,
				  "add_import output validates");
		} else {
			CHECK_INT(p.n_imports, 0, "refused import not stored");
		}
	}
	hm_policy_init(&p);
	CHECK_INT(hm_policy_add_import(&p, NULL), -EINVAL, "add_import NULL");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_INT(hm_policy_add_import(&p, big), -ENAMETOOLONG,
		  "add_import too long");
	big[HM_IMPORT_MAX - 1] = '\0';
	CHECK_INT(hm_policy_add_import(&p, big), 0,
		  "add_import of HM_IMPORT_MAX-1 bytes");
	for (i = 1; i < 1000 && !rc; i++)
		rc = hm_policy_add_import(&p, "m");
	CHECK_INT(rc, 0, "add_import takes 1000 names");
	CHECK_INT(hm_policy_validate(&p), 0, "1000 imports validate");
}

static void test_profiles(void)
{
	/* clang-format off */
	static const struct { const char *name; uint32_t flags; } t[] = {
		{ "block-all", HM_F_BLOCK_NATIVE | HM_F_BLOCK_SUBPROCESS |
			HM_F_BLOCK_NETWORK | HM_F_FS_READONLY |
			HM_F_BLOCK_ENVIRONMENT | HM_F_BLOCK_CODE_EXEC |
			HM_F_BLOCK_INTERP_MUTATION },
		{ "net-hermetic", HM_F_BLOCK_NETWORK | HM_F_ALLOW_LOCALHOST },
		{ "exec-deny", HM_F_BLOCK_SUBPROCESS },
		{ "fs-readonly", HM_F_FS_READONLY },
		{ "block-native", HM_F_BLOCK_NATIVE },
	};
	/* clang-format on */
	const char *const *names = hm_profile_names();
	struct hm_policy p;
	size_t i, n = 0;

	for (i = 0; i < ARRAY_LEN(t); i++) {
		hm_policy_init(&p);
		CHECK_INT(hm_profile_apply(&p, t[i].name), 0, t[i].name);
		CHECK_INT(p.flags, t[i].flags, t[i].name);
		CHECK_INT(hm_policy_validate(&p), 0, "profile validates");
	}
	hm_policy_init(&p);
	CHECK_INT(hm_profile_apply(&p, "bogus"), -ENOENT, "unknown profile");
	CHECK_INT(hm_profile_apply(&p, "Block-All"), -ENOENT,
		  "profile names are case-sensitive");
	CHECK_INT(hm_profile_apply(&p, ""), -ENOENT, "empty profile name");
	CHECK_INT(hm_profile_apply(&p, NULL), -ENOENT, "NULL profile name");
	CHECK_INT(p.flags, 0, "unknown profiles change nothing");
	CHECK_INT(hm_profile_apply(NULL, "block-all"), -EINVAL,
		  "profile on NULL policy");

	/* Profiles OR into what is there (union). */
	p.flags = HM_F_TRACE;
	hm_profile_apply(&p, "exec-deny");
	hm_profile_apply(&p, "net-hermetic");
	CHECK_INT(p.flags,
		  HM_F_TRACE | HM_F_BLOCK_SUBPROCESS | HM_F_BLOCK_NETWORK |
		      HM_F_ALLOW_LOCALHOST,
		  "profiles are a union with existing flags");

	OK(names != NULL, "profile names list");
	while (names && names[n])
		n++;
	CHECK_INT(n, ARRAY_LEN(t), "five profile names, NULL-terminated");
	for (i = 0; names && i < n && i < ARRAY_LEN(t); i++)
		CHECK_STR(names[i], t[i].name, "profile names in doc order");
}

static void test_validate(void)
{
	struct hm_policy p;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	size_t i, j, passed = 0;

	hm_policy_init(&p);
	CHECK_INT(hm_policy_validate(&p), 0, "validate: empty policy");
	CHECK_INT(hm_policy_validate(NULL), -EINVAL, "validate: NULL");
	for (i = 0; i < P_COUNT; i++)
		CHECK_INT(hm_policy_validate(&policies[i]), 0,
			  "validate: every test policy");
	hm_policy_make_invalid(&p);
	CHECK_INT(hm_policy_validate(&p), 0,
		  "validate: the fail-closed stand-in (children inherit it)");
	OK(p.flags & HM_F_INVALID, "make_invalid sets HM_F_INVALID");
	OK(p.flags & HM_F_BLOCK_NETWORK, "make_invalid sets block flags");
	hm_policy_make_invalid(NULL);

	p = policies[P_NET_DOM];
	p.flags |= 1u << 13;
	CHECK_INT(hm_policy_validate(&p), -EINVAL, "validate: unknown flag");
	p = policies[P_NET_DOM];
	p.flags |= 1u << 31;
	CHECK_INT(hm_policy_validate(&p), -EINVAL, "validate: flag bit 31");
	p = policies[P_NET_DOM];
	p.n_domains++;
	CHECK_INT(hm_policy_validate(&p), -EINVAL,
		  "validate: domain count over the section's");
	p.n_domains = 0xffffffffu;
	CHECK_INT(hm_policy_validate(&p), -EINVAL,
		  "validate: domain count 2^32-1");
	p = policies[P_RO_HOLE];
	p.n_writable = 0;
	CHECK_INT(hm_policy_validate(&p), -EINVAL,
		  "validate: writable count under the section's");
	p = policies[P_IMPORTS];
	p.n_imports++;
	CHECK_INT(hm_policy_validate(&p), -EINVAL,
		  "validate: import count over the section's");
	p = policies[P_NET_DOM];
	p.used++;
	CHECK_INT(hm_policy_validate(&p), -EINVAL,
		  "validate: used past the last section");
	p = policies[P_NET_DOM];
	p.used = p.end[HM_LIST_N - 1] = HM_POOL_MAX + 1;
	CHECK_INT(hm_policy_validate(&p), -EINVAL,
		  "validate: used past the pool");
	p = policies[P_NET_DOM];
	p.end[HM_LIST_ROOT] = p.end[HM_LIST_DOMAINS] + 1;
	CHECK_INT(hm_policy_validate(&p), -EINVAL,
		  "validate: section ends out of order");
	p = policies[P_NET_DOM];
	p.pool[p.end[HM_LIST_DOMAINS] - 1] = 'a';
	CHECK_INT(hm_policy_validate(&p), -EINVAL,
		  "validate: last domain not NUL-terminated");
	p = policies[P_NET_DOM];
	memset(p.pool + p.used, 'a', 64);
	CHECK_INT(hm_policy_validate(&p), 0,
		  "validate: garbage past used is ignored");
	p = policies[P_ROOT];
	raw_put(&p, HM_LIST_ROOT, 1, "/second");
	CHECK_INT(hm_policy_validate(&p), -EINVAL, "validate: two roots");
	p = policies[P_NONE];
	raw_put(&p, HM_LIST_ROOT, 0, "/srv");
	CHECK_INT(hm_policy_validate(&p), -EINVAL,
		  "validate: a root without FS_ROOT");
	p = policies[P_RO_HOLE];
	raw_put(&p, HM_LIST_WRITABLE, 0, "");
	CHECK_INT(hm_policy_validate(&p), -EINVAL,
		  "validate: empty writable entry");
	hm_policy_init(&p);
	p.flags = HM_F_FS_ROOT | HM_F_FS_READONLY;
	CHECK_INT(hm_policy_validate(&p), -EINVAL,
		  "validate: FS_ROOT without a root");
	hm_policy_init(&p);
	raw_put(&p, HM_LIST_ROOT, 0, "/srv");
	p.flags = HM_F_FS_READONLY;
	CHECK_INT(hm_policy_validate(&p), -EINVAL,
		  "validate: a root without FS_ROOT (2)");
	p.flags = HM_F_FS_ROOT;
	CHECK_INT(hm_policy_validate(&p), -EINVAL,
		  "validate: FS_ROOT without FS_READONLY");
	p.flags = HM_F_FS_ROOT | HM_F_FS_READONLY;
	CHECK_INT(hm_policy_validate(&p), 0, "validate: /srv root (control)");
	raw_put(&p, HM_LIST_ROOT, 0, "/srv/../etc");
	CHECK_INT(hm_policy_validate(&p), -EINVAL,
		  "validate: unnormalised root");
	raw_put(&p, HM_LIST_ROOT, 0, "srv");
	CHECK_INT(hm_policy_validate(&p), -EINVAL, "validate: relative root");
	p = policies[P_RO_HOLE];
	raw_put(&p, HM_LIST_WRITABLE, 0, "tmp/out");
	CHECK_INT(hm_policy_validate(&p), -EINVAL,
		  "validate: relative writable");
	raw_put(&p, HM_LIST_WRITABLE, 0, "/tmp/out/");
	CHECK_INT(hm_policy_validate(&p), -EINVAL,
		  "validate: writable with trailing slash");
	p = policies[P_NET_DOM];
	raw_put(&p, HM_LIST_DOMAINS, 0, "Example.com");
	CHECK_INT(hm_policy_validate(&p), -EINVAL,
		  "validate: upper-case domain");
	raw_put(&p, HM_LIST_DOMAINS, 0, "a..b");
	CHECK_INT(hm_policy_validate(&p), -EINVAL,
		  "validate: empty label in a domain");
	raw_put(&p, HM_LIST_DOMAINS, 0, "db");
	CHECK_INT(hm_policy_validate(&p), 0, "validate: single-label domain");
	raw_put(&p, HM_LIST_DOMAINS, 0, "*.example.com");
	CHECK_INT(hm_policy_validate(&p), -EINVAL,
		  "validate: wildcard left in a stored domain");
	raw_put(&p, HM_LIST_DOMAINS, 0, "example.com.");
	CHECK_INT(hm_policy_validate(&p), -EINVAL,
		  "validate: trailing dot left in a stored domain");
	raw_put(&p, HM_LIST_DOMAINS, 0, "");
	CHECK_INT(hm_policy_validate(&p), -EINVAL, "validate: empty domain");
	raw_put(&p, HM_LIST_DOMAINS, 0, "example.net");
	CHECK_INT(hm_policy_validate(&p), 0, "validate: example.net (control)");
	{
		char longd[HM_DOMAIN_MAX + 2];

		memset(longd, 'a', HM_DOMAIN_MAX);
		longd[HM_DOMAIN_MAX] = '\0';
		raw_put(&p, HM_LIST_DOMAINS, 0, longd);
		CHECK_INT(hm_policy_validate(&p), -EINVAL,
			  "validate: a domain beyond HM_DOMAIN_MAX");
	}
	p = policies[P_IMPORTS];
	raw_put(&p, HM_LIST_IMPORTS, 0, "a..b");
	CHECK_INT(hm_policy_validate(&p), -EINVAL, "validate: bad import");
	raw_put(&p, HM_LIST_IMPORTS, 0, " os");
	CHECK_INT(hm_policy_validate(&p), -EINVAL,
		  "validate: untrimmed import");

	/*
	 * Hostile bytes: random policies must never crash validate or check
	 * (ASan/UBSan builds watch), and whatever validates must be usable.
	 */
	for (i = 0; i < 3000; i++) {
		unsigned char *b = (unsigned char *)&p;
		struct hm_request rq = {.op = HM_OP_OPEN,
					.path = "/etc/passwd"};

		/* The header and the first 1 KiB; the rest stays random too. */
		for (j = 0; j < HM_POLICY_HEAD + 1024; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			/* Mostly small bytes so strings end and counts fit. */
			b[j] = (x & 3) ? 0 : (unsigned char)(x >> 24);
		}
		if (i % 3 == 0)
			p.flags &= HM_F_ALL_KNOWN;
		if (i % 2 == 0) {
			/* Section ends mostly inside the randomised bytes. */
			uint32_t e = 0;
			int m;

			for (m = 0; m < HM_LIST_N; m++) {
				e += p.end[m] % 256;
				p.end[m] = i % 4 ? e : p.end[m] % 1100;
				p.n[m] %= 8;
			}
			p.used = p.end[HM_LIST_N - 1];
		}
		if (hm_policy_validate(&p) == 0)
			passed++;
		for (j = HM_OP_CONNECT; j <= HM_OP_IMPORT; j++) {
			rq.op = (enum hm_op)j;
			rq.name = "x.example";
			(void)hm_policy_check(&p, &rq);
		}
	}
	OK(1, "validate/check survive 3000 random policies");
	printf("# %zu random policies validated\n", passed);
}

static void test_names(void)
{
	/* clang-format off */
	static const struct { enum hm_reason r; const char *name; } t[] = {
		{ HM_R_NONE, "allowed" },
		{ HM_R_NO_NETWORK, "no-network" },
		{ HM_R_NO_SUBPROCESS, "no-subprocess" },
		{ HM_R_FS_READONLY, "fs-readonly" },
		{ HM_R_FS_ROOT, "fs-root" },
		{ HM_R_BLOCK_NATIVE, "block-native" },
		{ HM_R_NO_ENVIRONMENT, "no-environment" },
		{ HM_R_NO_CODE_EXEC, "no-code-exec" },
		{ HM_R_NO_INTERP_MUTATION, "no-interpreter-mutation" },
		{ HM_R_DENY_IMPORT, "deny-import" },
		{ HM_R_UNGUARDABLE, "unguardable" },
		{ HM_R_INVALID_POLICY, "invalid-policy" },
	};
	static const struct { enum hm_op op; enum hm_family fam; } f[] = {
		{ HM_OP_CONNECT, HM_FAM_NETWORK },
		{ HM_OP_SENDTO, HM_FAM_NETWORK },
		{ HM_OP_BIND, HM_FAM_NETWORK },
		{ HM_OP_LISTEN, HM_FAM_NETWORK },
		{ HM_OP_SOCKET, HM_FAM_NETWORK },
		{ HM_OP_RESOLVE, HM_FAM_NETWORK },
		{ HM_OP_EXEC, HM_FAM_SUBPROCESS },
		{ HM_OP_OPEN, HM_FAM_FILESYSTEM },
		{ HM_OP_MUTATE, HM_FAM_FILESYSTEM },
		{ HM_OP_DLOPEN, HM_FAM_NATIVE },
		{ HM_OP_ENV, HM_FAM_PYTHON },
		{ HM_OP_CODE_EXEC, HM_FAM_PYTHON },
		{ HM_OP_INTERP, HM_FAM_PYTHON },
		{ HM_OP_IMPORT, HM_FAM_PYTHON },
	};
	/* clang-format on */
	size_t i;

	CHECK_INT(ARRAY_LEN(t), HM_R_COUNT, "every reason has a test row");
	for (i = 0; i < ARRAY_LEN(t); i++)
		CHECK_STR(hm_reason_name(t[i].r), t[i].name, t[i].name);
	CHECK_STR(hm_reason_name(HM_R_COUNT), "unknown", "reason COUNT");
	CHECK_STR(hm_reason_name((enum hm_reason) - 1), "unknown", "reason -1");
	CHECK_STR(hm_reason_name((enum hm_reason)1000), "unknown",
		  "reason 1000");
	for (i = 0; i < ARRAY_LEN(f); i++)
		CHECK_INT(hm_op_family(f[i].op), f[i].fam, "op family");
	OK(hm_op_family((enum hm_op)99) < HM_FAM_COUNT,
	   "unknown op maps to a valid family");
}

/* ---- red team (appended) ------------------------------------------- */

static uint32_t rt_state = 0x2545f491u;

static uint32_t rt_rand(void)
{
	rt_state ^= rt_state << 13;
	rt_state ^= rt_state >> 17;
	rt_state ^= rt_state << 5;
	return rt_state;
}

/*
 * The old matcher (8e9cd43 allowed_name): any non-literal entry with
 * hm_domain_match(name, entry). hm_domain_match is unchanged since.
 */
static int rt_old_allowed(const char *const *entries, size_t n,
			  const char *name)
{
	unsigned char a[16];
	size_t i;

	for (i = 0; i < n; i++) {
		if (inet_pton(AF_INET, entries[i], a) == 1 ||
		    inet_pton(AF_INET6, entries[i], a) == 1)
			continue;
		if (hm_domain_match(name, entries[i]))
			return 1;
	}
	return 0;
}

/* RESOLVE and CONNECT (198.18.0.5, provenance @name) verdicts of @p. */
static int rt_resolve_allowed(const struct hm_policy *p, const char *name)
{
	struct hm_request rq = {.op = HM_OP_RESOLVE, .name = name};

	return hm_policy_check(p, &rq) == HM_R_NONE;
}

static int rt_connect_allowed(const struct hm_policy *p, const char *name)
{
	struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(443)};
	struct hm_request rq = {.op = HM_OP_CONNECT,
				.sa = (const struct sockaddr *)&in,
				.salen = sizeof(in),
				.resolved_name = name};

	in.sin_addr.s_addr = htonl(0xc6120005u);
	return hm_policy_check(p, &rq) == HM_R_NONE;
}

/* Names whose RESOLVE verdict does not come from the domain list. */
static int rt_name_special(const char *name)
{
	struct sockaddr_storage ss;
	socklen_t len;

	return hm_addr_parse_numeric(name, AF_UNSPEC, &ss, &len) ||
	       hm_host_is_metadata(name) ||
	       strncasecmp(name, "localhost", 9) == 0;
}

/*
 * The rewritten allow_domains matcher (length and dot-boundary filter)
 * against the old one on suffix tricks, case, trailing and doubled dots,
 * xn-- names, IP literals as entries and names, entries longer than the
 * name and empty labels; then a random differential.
 */
static void test_redteam_domains(void)
{
	static const char *const entries[] = {
	    "example.com",   "xn--bcher-kva.example", "a-b.example.org",
	    "10.1.2.3",	     "2001:db8::7",	      "::ffff:10.9.9.9",
	    "e.co",	     "deep.sub.example.net",  "b",
	    "x_y.example.io"};
	static const char *const pre[] = {"",	"a.",	 "evil", "evil.", ".",
					  "A.", "x..",	 "xn--", "-.",	  "..",
					  "1.", "10.1.", "com.", "WWW."};
	static const char *const post[] = {"", ".", "..", ".evil", "x", ".com"};
	static struct hm_policy p;
	size_t i, j, k, n_ent = sizeof(entries) / sizeof(entries[0]);
	size_t stored = 0, diffs = 0, tried = 0, allowed = 0;
	const char *stored_e[16];
	char name[600], up[300];
	int old, r1, r2;

	hm_policy_init(&p);
	p.flags = HM_F_BLOCK_NETWORK;
	for (i = 0; i < n_ent; i++)
		if (hm_policy_add_domain(&p, entries[i]) == 0)
			stored_e[stored++] = entries[i];
	OK(stored == n_ent, "redteam domains: the list is built (\"b\", a "
			    "single label, included)");

	for (i = 0; i < sizeof(pre) / sizeof(pre[0]); i++) {
		for (j = 0; j < n_ent; j++) {
			for (k = 0; k < sizeof(post) / sizeof(post[0]); k++) {
				size_t u;

				snprintf(up, sizeof(up), "%s", entries[j]);
				if ((i + k) % 2)
					for (u = 0; up[u]; u++)
						up[u] = (char)toupper(
						    (unsigned char)up[u]);
				snprintf(name, sizeof(name), "%s%s%s", pre[i],
					 up, post[k]);
				old = rt_old_allowed(stored_e, stored, name);
				r2 = rt_connect_allowed(&p, name);
				tried++;
				allowed += (size_t)old;
				if (!hm_host_is_metadata(name) && r2 != old) {
					diffs++;
					printf("#   connect \"%s\": old %d new "
					       "%d\n",
					       name, old, r2);
				}
				if (rt_name_special(name))
					continue;
				r1 = rt_resolve_allowed(&p, name);
				if (r1 != old) {
					diffs++;
					printf("#   resolve \"%s\": old %d new "
					       "%d\n",
					       name, old, r1);
				}
			}
		}
	}
	printf("# redteam domains: %zu names, %zu allowed\n", tried, allowed);
	CHECK_INT(diffs, 0,
		  "redteam domains: the new matcher answers as the old one on "
		  "every crafted name");
	OK(allowed > 0 && allowed < tried,
	   "redteam domains: crafted names reach both verdicts");
	OK(!rt_resolve_allowed(&p, "evilexample.com") &&
	       !rt_resolve_allowed(&p, "example.com.evil") &&
	       !rt_resolve_allowed(&p, "example.com..") &&
	       !rt_resolve_allowed(&p, "co") &&
	       !rt_resolve_allowed(&p, "sub.example.net") &&
	       !rt_connect_allowed(&p, "10.1.2.3") &&
	       !rt_connect_allowed(&p, "x.10.1.2.3"),
	   "redteam domains: suffix tricks, a longer entry and a literal as "
	   "a name are refused");
	OK(rt_resolve_allowed(&p, "EXAMPLE.COM.") &&
	       rt_resolve_allowed(&p, "a..example.com") &&
	       rt_resolve_allowed(&p, "www.XN--BCHER-KVA.example"),
	   "redteam domains: case, one trailing dot, xn-- (control)");

	/* Random differential over a small alphabet. */
	diffs = 0;
	for (i = 0; i < 20000; i++) {
		static const char alpha[] = "ab.-1:Xx";
		static struct hm_policy q;
		char ent[4][24];
		const char *ok_e[4];
		size_t ne = 0, len, e;

		hm_policy_init(&q);
		q.flags = HM_F_BLOCK_NETWORK;
		for (e = 0; e < 4; e++) {
			len = 1 + rt_rand() % 10;
			for (k = 0; k < len; k++)
				ent[e][k] = alpha[rt_rand() % 8];
			ent[e][len] = '\0';
			if (hm_policy_add_domain(&q, ent[e]) == 0) {
				/* the stored (normalised) form */
				struct hm_list_iter it;
				const char *d = hm_policy_list_first(
				    &q, HM_LIST_DOMAINS, &it);

				for (k = 0; k < ne && d; k++)
					d = hm_policy_list_next(&it);
				if (d)
					ok_e[ne++] = d;
			}
		}
		len = rt_rand() % 14;
		for (k = 0; k < len; k++)
			name[k] = alpha[rt_rand() % 8];
		name[len] = '\0';
		if (rt_name_special(name))
			continue;
		if (rt_resolve_allowed(&q, name) !=
		    rt_old_allowed(ok_e, ne, name)) {
			diffs++;
			printf("#   random \"%s\" differs\n", name);
		}
	}
	CHECK_INT(diffs, 0,
		  "redteam domains: 20000 random lists and names "
		  "answer as the old matcher");
}

/* A region of @size bytes that ends right before a PROT_NONE page. */
static char *rt_guarded(size_t size, void **map, size_t *map_len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = ((size + pg - 1) / pg + 1) * pg;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return NULL;
	mprotect(m + len - pg, pg, PROT_NONE);
	*map = m;
	*map_len = len;
	return m + len - pg - size;
}

/* A request set covering every list and the flag-only ops. */
static void rt_requests(const struct hm_policy *p, enum hm_reason *out,
			size_t *n)
{
	static const char *const names[] = {"example.com",     "a.example.com",
					    "evilexample.com", "10.1.2.3",
					    "zz.last.example", "nope.invalid"};
	static const char *const paths[] = {"/srv/root/f", "/etc/passwd",
					    "/tmp/out/x", "/usr/share/r/x",
					    "/srv/rootx"};
	static const char *const mods[] = {"pickle", "pickletools",
					   "xml.etree.x", "os"};
	struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(443)};
	struct hm_request rq;
	size_t i, k = 0;
	int op;

	in.sin_addr.s_addr = htonl(0x0a010203u);
	for (i = 0; i < ARRAY_LEN(names); i++) {
		memset(&rq, 0, sizeof(rq));
		rq.op = HM_OP_RESOLVE;
		rq.name = names[i];
		out[k++] = hm_policy_check(p, &rq);
		rq.op = HM_OP_CONNECT;
		rq.sa = (const struct sockaddr *)&in;
		rq.salen = sizeof(in);
		rq.resolved_name = names[i];
		out[k++] = hm_policy_check(p, &rq);
	}
	for (i = 0; i < ARRAY_LEN(paths); i++) {
		memset(&rq, 0, sizeof(rq));
		rq.op = HM_OP_OPEN;
		rq.path = paths[i];
		out[k++] = hm_policy_check(p, &rq);
		rq.flags = O_WRONLY | O_CREAT;
		out[k++] = hm_policy_check(p, &rq);
		rq.op = HM_OP_MUTATE;
		out[k++] = hm_policy_check(p, &rq);
	}
	for (i = 0; i < ARRAY_LEN(mods); i++) {
		memset(&rq, 0, sizeof(rq));
		rq.op = HM_OP_IMPORT;
		rq.name = mods[i];
		out[k++] = hm_policy_check(p, &rq);
	}
	for (op = HM_OP_EXEC; op <= HM_OP_INTERP; op++) {
		memset(&rq, 0, sizeof(rq));
		rq.op = (enum hm_op)op;
		rq.path = "/bin/true";
		out[k++] = hm_policy_check(p, &rq);
	}
	*n = k;
}

/*
 * The segment stores base layers compactly (header + used bytes): every
 * reader must stay inside pool[0, used). Such a layer is placed right
 * before a PROT_NONE page and asked every request of the full layer: a
 * read past used faults, and the verdicts must be the full layer's.
 */
static void test_redteam_compact_guard(void)
{
	static struct hm_policy full;
	enum hm_reason want[64], got[64];
	size_t nw, ng, map_len, size, i;
	struct hm_policy *c;
	char buf[64];
	void *map;
	int rc = 0;

	hm_policy_init(&full);
	full.flags = HM_F_BLOCK_NETWORK | HM_F_BLOCK_SUBPROCESS;
	rc |= hm_policy_set_root(&full, "/srv/root");
	rc |= hm_policy_add_writable(&full, "/tmp/out");
	rc |= hm_policy_add_import(&full, "pickle");
	rc |= hm_policy_add_import(&full, "xml.etree");
	for (i = 0; i < 50; i++) {
		snprintf(buf, sizeof(buf), "h%zu.example.org", i);
		rc |= hm_policy_add_domain(&full, buf);
	}
	rc |= hm_policy_add_domain(&full, "10.1.2.3");
	rc |= hm_policy_add_domain(&full, "example.com");
	rc |= hm_policy_add_readable(&full, "/usr/share/r");
	/* the last list's last entry ends the used bytes */
	rc |= hm_policy_add_readable(&full, "/zz/last");
	CHECK_INT(rc, 0, "redteam compact: layer built");
	size = hm_policy_size(&full);
	c = (struct hm_policy *)rt_guarded((size + 7) & ~(size_t)7, &map,
					   &map_len);
	if (!c) {
		OK(0, "redteam compact: mmap");
		return;
	}
	memcpy(c, &full, size);
	CHECK_INT(hm_policy_validate(c), 0, "redteam compact: validates");
	rt_requests(&full, want, &nw);
	rt_requests(c, got, &ng);
	OK(nw == ng && memcmp(want, got, nw * sizeof(want[0])) == 0,
	   "redteam compact: every verdict of the truncated layer equals the "
	   "full layer's, no read past used");
	OK(want[0] == HM_R_NONE && want[2 * 2] == HM_R_NO_NETWORK,
	   "redteam compact: the set holds an allow and a refusal");
	OK(hm_policy_equal(c, &full), "redteam compact: equal");
	{
		size_t sz = hm_wire_encoded_size(c, 1);
		char *t = malloc(sz);

		OK(hm_wire_encode(c, 1, t, sz) > 0, "redteam compact: encodes");
		free(t);
	}
	munmap(map, map_len);
}

/*
 * Arbitrary bytes (a torn read of a dynamic slot, the worst case): a
 * whole struct hm_policy whose pool ends right before a PROT_NONE page,
 * pool bytes without any NUL (or with a few, never the last), headers
 * with random and extreme section ends. Nothing may read past the pool.
 */
static void test_redteam_garbage_guard(void)
{
	static const char alpha[] = "a./-:1Zp";
	static const uint32_t extreme[] = {
	    0, 1, HM_POOL_MAX - 1, HM_POOL_MAX, HM_POOL_MAX + 1, 0xffffffffu};
	enum hm_reason got[64];
	static struct hm_policy copy;
	struct hm_list_iter itr;
	size_t map_len, n, i, k;
	struct hm_policy *g;
	void *map;
	int l, it;

	g = (struct hm_policy *)rt_guarded(sizeof(*g), &map, &map_len);
	if (!g) {
		OK(0, "redteam garbage: mmap");
		return;
	}
	for (it = 0; it < 300; it++) {
		for (i = 0; i < HM_POOL_MAX; i++)
			g->pool[i] = alpha[(i * 7 + (size_t)it) % 8];
		if (it % 2)
			for (k = 0; k < 40; k++)
				g->pool[rt_rand() % (HM_POOL_MAX - 1)] = '\0';
		g->flags = rt_rand() & (it % 3 ? HM_F_ALL_KNOWN : ~0u);
		g->flags |= HM_F_BLOCK_NETWORK | HM_F_FS_ROOT;
		g->used = it % 4 ? extreme[rt_rand() % 6] : rt_rand();
		for (l = 0; l < HM_LIST_N; l++) {
			g->n[l] = rt_rand();
			g->end[l] = it % 2 ? extreme[rt_rand() % 6]
					   : rt_rand() % (HM_POOL_MAX + 2);
		}
		rt_requests(g, got, &n);
		(void)hm_policy_validate(g);
		(void)hm_policy_root(g);
		for (l = 0; l < HM_LIST_N; l++)
			for (const char *e =
				 hm_policy_list_first(g, (enum hm_list)l, &itr);
			     e; e = hm_policy_list_next(&itr))
				(void)strlen(e);
		hm_policy_copy(&copy, g);
		(void)hm_policy_equal(&copy, g);
		(void)hm_wire_encoded_size(g, 1);
	}
	OK(1, "redteam garbage: 300 arbitrary layers ending at a guard page: "
	      "no read past the pool");
	munmap(map, map_len);
}

int main(void)
{
	build_policies();
	test_verdicts();
	test_check_edges();
	test_domain_match();
	test_add_domain();
	test_metadata();
	test_sockopt_reroutes();
	test_loopback_dns();
	test_classify();
	test_format();
	test_normalize();
	test_path_under();
	test_path_is_normal();
	test_runtime_readable();
	test_runtime_ext();
	test_bind_wildcard();
	test_open_flags();
	test_fopen_modes();
	test_paths_builders();
	test_add_readable();
	test_add_import();
	test_profiles();
	test_validate();
	test_names();
	test_redteam_domains();
	test_redteam_compact_guard();
	test_redteam_garbage_guard();
	return tap_done();
}
