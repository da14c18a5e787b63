/*
 * addr.c - the network half of the policy core: socket address
 * normalisation and classification, cloud metadata detection in every
 * spelling, allow_domains validation and dot-boundary matching, the
 * network verdicts (sockaddr formatting for trace lines is addrfmt.c).
 * Pure: no I/O, no allocation, no state; async-signal-safe.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#include "hermetic/hermetic.h"
#include "internal.h"

/*
 * A destination after normalisation: IPv4 (in a[0..3]) or IPv6 (a[0..15]).
 * IPv4-mapped, IPv4-compatible and NAT64 IPv6 forms become IPv4.
 */
struct naddr {
	int v4;
	unsigned char a[16];
};

/*
 * Cloud metadata and credential endpoints; docs/guards/network.md cites
 * the source of each entry. Every IPv4 entry is also matched inside the
 * IPv6 forms that embed an IPv4 address (v6_embeds_metadata).
 */
/* clang-format off */
static const unsigned char meta_v4[][4] = {
	{ 169, 254, 169, 254 }, /* AWS, GCP, Azure, OpenStack, ... */
	{ 169, 254, 170, 2 },   /* AWS ECS task metadata */
	{ 169, 254, 170, 23 },  /* AWS EKS Pod Identity Agent */
	{ 168, 63, 129, 16 },   /* Azure WireServer */
	{ 100, 100, 100, 200 }, /* Alibaba Cloud */
	{ 169, 254, 0, 23 },    /* Tencent Cloud */
	{ 192, 0, 0, 192 },     /* Oracle Cloud Infrastructure Classic */
	{ 169, 254, 42, 42 },   /* Scaleway */
};

static const unsigned char meta_v6[][16] = {
	/* fd00:ec2::254 (AWS IPv6 IMDS) */
	{ 0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54 },
	/* fe80::a9fe:a9fe (169.254.169.254 as a link-local interface id) */
	{ 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xa9, 0xfe, 0xa9, 0xfe },
	/* fd00:ec2::23 (AWS EKS Pod Identity Agent, IPv6) */
	{ 0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x23 },
	/* fd20:ce::254 (Google Compute Engine, IPv6) */
	{ 0xfd, 0x20, 0x00, 0xce, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54 },
	/* fd00:c1::a9fe:a9fe (Oracle Cloud Infrastructure, IPv6) */
	{ 0xfd, 0x00, 0x00, 0xc1, 0, 0, 0, 0, 0, 0, 0, 0, 0xa9, 0xfe, 0xa9, 0xfe },
	/* fd00:42::42 (Scaleway, IPv6) */
	{ 0xfd, 0x00, 0x00, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42 },
	/* fd00:a9fe:a9fe::1 (Akamai / Linode, IPv6) */
	{ 0xfd, 0x00, 0xa9, 0xfe, 0xa9, 0xfe, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01 },
};

static const char *const meta_names[] = {
	"metadata.google.internal",
	"metadata",
	"metadata.goog",
	"instance-data",
	"instance-data.ec2.internal",
	"metadata.tencentyun.com",
};
/* clang-format on */

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ASCII-only lower-casing: locale-independent and async-signal-safe. */
static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int casecmp_n(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (lower(a[i]) != lower(b[i]))
			return 1;
	return 0;
}

/* --- normalisation and classification ------------------------------ */

static void normalize_v6(struct naddr *n)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0,	   0,
						 0, 0, 0, 0, 0xff, 0xff};
	static const unsigned char nat64[12] = {0x00, 0x64, 0xff, 0x9b};
	static const unsigned char zero[12];
	const unsigned char *tail = n->a + 12;

	if (memcmp(n->a, mapped, 12) == 0 || memcmp(n->a, nat64, 12) == 0)
		goto to_v4;
	/* IPv4-compatible ::a.b.c.d, but "::" and "::1" are IPv6 themselves. */
	if (memcmp(n->a, zero, 12) == 0 &&
	    !(tail[0] == 0 && tail[1] == 0 && tail[2] == 0 && tail[3] <= 1))
		goto to_v4;
	return;
to_v4:
	memmove(n->a, tail, 4);
	memset(n->a + 4, 0, 12);
	n->v4 = 1;
}

/*
 * Extract the destination of an AF_INET/AF_INET6 address (@family says
 * which layout to read, so AF_UNSPEC can be read as AF_INET). Reads byte
 * by byte: the caller's buffer may be unaligned. Returns 0 or -1 if @len
 * is too short for the layout (the kernel refuses those too).
 */
static int sa_to_naddr(const struct sockaddr *sa, socklen_t len, int family,
		       struct naddr *n)
{
	const unsigned char *b = (const unsigned char *)sa;

	memset(n, 0, sizeof(*n));
	if (family == AF_INET) {
		if (len < (socklen_t)sizeof(struct sockaddr_in))
			return -1;
		memcpy(n->a, b + offsetof(struct sockaddr_in, sin_addr), 4);
		n->v4 = 1;
		return 0;
	}
	/* SIN6_LEN_RFC2133: the scope id is optional, the address is not. */
	if (len < (socklen_t)offsetof(struct sockaddr_in6, sin6_scope_id))
		return -1;
	memcpy(n->a, b + offsetof(struct sockaddr_in6, sin6_addr), 16);
	normalize_v6(n);
	return 0;
}

int hm_sa_family_of(const struct sockaddr *sa, socklen_t len)
{
	sa_family_t f;

	if (!sa || len < (socklen_t)sizeof(sa_family_t))
		return -1;
	memcpy(&f,
	       (const unsigned char *)sa + offsetof(struct sockaddr, sa_family),
	       sizeof(f));
	return f;
}

static int v4_is_metadata(const unsigned char *a)
{
	size_t i;

	/* Every entry starts 169, 168, 100 or 192: most addresses stop here. */
	if (a[0] != 169 && a[0] != 168 && a[0] != 100 && a[0] != 192)
		return 0;
	for (i = 0; i < ARRAY_LEN(meta_v4); i++)
		if (memcmp(a, meta_v4[i], 4) == 0)
			return 1;
	return 0;
}

/* The IPv4 address at bytes @b0..@b3 of @a (RFC 6052 skips byte 8). */
static int v4_at(const unsigned char *a, int b0, int b1, int b2, int b3)
{
	const unsigned char v[4] = {a[b0], a[b1], a[b2], a[b3]};

	return v4_is_metadata(v);
}

/*
 * An IPv6 address that carries a metadata IPv4 address (normalize_v6 has
 * already turned ::ffff:v4, ::v4 and 64:ff9b::v4 into IPv4):
 *  - in its last 32 bits: any RFC 6052 /96 prefix (64:ff9b:1::/96 and
 *    network-specific ones), ::ffff:0:v4 (SIIT), ISATAP (::5efe:v4),
 *    fe80::v4; a host whose own interface id ends that way is refused
 *    too (fail closed);
 *  - at the /48, /56 and /64 positions of the local-use NAT64 prefix
 *    64:ff9b:1::/48 (RFC 8215);
 *  - 6to4 2002:v4::/48 (RFC 3056);
 *  - Teredo 2001:0::/32 (RFC 4380): the server at bytes 4-7 and the
 *    client, bit-inverted, in the last 32 bits.
 */
static int v6_embeds_metadata(const unsigned char *a)
{
	unsigned char inv[4];
	int i;

	if (v4_at(a, 12, 13, 14, 15))
		return 1;
	if (a[0] == 0x00 && a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b &&
	    a[4] == 0x00 && a[5] == 0x01 &&
	    (v4_at(a, 6, 7, 9, 10) || v4_at(a, 7, 9, 10, 11) ||
	     v4_at(a, 9, 10, 11, 12)))
		return 1;
	if (a[0] == 0x20 && a[1] == 0x02 && v4_at(a, 2, 3, 4, 5))
		return 1;
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0 && a[3] == 0) {
		for (i = 0; i < 4; i++)
			inv[i] = (unsigned char)~a[12 + i];
		if (v4_at(a, 4, 5, 6, 7) || v4_is_metadata(inv))
			return 1;
	}
	return 0;
}

/* The port of an AF_INET/AF_INET6 address (same offset in both), or -1. */
static int sa_port_of(const struct sockaddr *sa, socklen_t len)
{
	const unsigned char *b = (const unsigned char *)sa;

	if (!sa || len < 4)
		return -1;
	return (b[2] << 8) | b[3];
}

static int naddr_is_metadata(const struct naddr *n)
{
	size_t i;

	if (n->v4)
		return v4_is_metadata(n->a);
	for (i = 0; i < ARRAY_LEN(meta_v6); i++)
		if (memcmp(n->a, meta_v6[i], 16) == 0)
			return 1;
	return v6_embeds_metadata(n->a);
}

static enum hm_addr_class classify(const struct naddr *n)
{
	static const unsigned char zero[15];

	if (naddr_is_metadata(n))
		return HM_ADDR_METADATA;
	if (n->v4) {
		/* 127/8 and 0/8 (a connect to 0.0.0.0 reaches this host). */
		if (n->a[0] == 127 || n->a[0] == 0)
			return HM_ADDR_LOOPBACK;
		if ((n->a[0] & 0xf0) == 224 ||
		    (n->a[0] == 255 && n->a[1] == 255 && n->a[2] == 255 &&
		     n->a[3] == 255))
			return HM_ADDR_MULTICAST;
		return HM_ADDR_OTHER;
	}
	if (memcmp(n->a, zero, 15) == 0 && n->a[15] <= 1)
		return HM_ADDR_LOOPBACK; /* "::1" and "::" */
	if (n->a[0] == 0xff)
		return HM_ADDR_MULTICAST;
	return HM_ADDR_OTHER;
}

int hm_addr_key(const struct sockaddr *sa, socklen_t len, unsigned char *fam,
		unsigned char addr[16])
{
	struct naddr n;
	int family = hm_sa_family_of(sa, len);

	if ((family != AF_INET && family != AF_INET6) ||
	    sa_to_naddr(sa, len, family, &n) < 0)
		return -1;
	*fam = n.v4 ? 4 : 6;
	memcpy(addr, n.a, 16);
	return 0;
}

enum hm_addr_class hm_addr_classify(const struct sockaddr *sa, socklen_t len)
{
	struct naddr n;
	int family = hm_sa_family_of(sa, len);

	switch (family) {
	case AF_UNIX:
	case AF_NETLINK:
		return HM_ADDR_LOCAL_IPC;
	case AF_INET:
	case AF_INET6:
		if (sa_to_naddr(sa, len, family, &n) < 0)
			return HM_ADDR_INVALID;
		return classify(&n);
	default:
		return HM_ADDR_INVALID;
	}
}

/* --- literals and names -------------------------------------------- */

/*
 * Parse [s, s+len) exactly as glibc's inet_aton does (1 to 4 parts,
 * each decimal, 0-octal or 0x-hex; the last part fills the remaining
 * bytes) but with no trailing text at all, which is what getaddrinfo
 * accepts as numeric. Unbounded leading zeros are fine. Returns 1 and
 * the address in network byte order in @out, or 0.
 */
static int parse_aton(const char *s, size_t len, unsigned char out[4])
{
	static const uint32_t max_last[4] = {0xffffffffu, 0xffffffu, 0xffffu,
					     0xffu};
	uint32_t parts[4];
	uint32_t addr;
	size_t np = 0, i = 0;

	for (;;) {
		uint64_t v = 0;
		unsigned base = 10;
		size_t digits = 0;

		if (i >= len || s[i] < '0' || s[i] > '9')
			return 0;
		if (s[i] == '0') {
			base = 8;
			if (i + 1 < len &&
			    (s[i + 1] == 'x' || s[i + 1] == 'X')) {
				base = 16;
				i += 2;
			}
		}
		for (; i < len; i++, digits++) {
			char c = lower(s[i]);
			unsigned d;

			if (c >= '0' && c <= '9')
				d = (unsigned)(c - '0');
			else if (base == 16 && c >= 'a' && c <= 'f')
				d = (unsigned)(c - 'a' + 10);
			else
				break;
			if (d >= base)
				return 0;
			v = v * base + d;
			if (v > 0xffffffffu)
				return 0;
		}
		/* "0x" without hex digits: strtoul stops at the 'x'. */
		if (base == 16 && digits == 0)
			return 0;
		parts[np++] = (uint32_t)v;
		if (i < len && s[i] == '.') {
			if (np > 3 || v > 0xff)
				return 0;
			i++;
			continue;
		}
		if (i != len)
			return 0;
		break;
	}
	if (parts[np - 1] > max_last[np - 1])
		return 0;
	addr = parts[np - 1];
	for (i = 0; i + 1 < np; i++)
		addr |= parts[i] << (24 - 8 * i);
	out[0] = (unsigned char)(addr >> 24);
	out[1] = (unsigned char)(addr >> 16);
	out[2] = (unsigned char)(addr >> 8);
	out[3] = (unsigned char)addr;
	return 1;
}

/*
 * Parse an IPv6 literal in [s, s+len), optionally in brackets and with a
 * "%zone" suffix (both ignored). Returns 1 and the normalised address.
 */
static int parse_v6(const char *s, size_t len, struct naddr *n)
{
	char buf[INET6_ADDRSTRLEN + 1];
	const char *pct;

	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	pct = memchr(s, '%', len);
	if (pct)
		len = (size_t)(pct - s);
	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(n, 0, sizeof(*n));
	if (inet_pton(AF_INET6, buf, n->a) != 1)
		return 0;
	normalize_v6(n);
	return 1;
}

/* An allow_domains IP-literal entry (exact inet_pton forms only). */
static int entry_to_naddr(const char *e, struct naddr *n)
{
	memset(n, 0, sizeof(*n));
	if (inet_pton(AF_INET, e, n->a) == 1) {
		n->v4 = 1;
		return 1;
	}
	if (inet_pton(AF_INET6, e, n->a) == 1) {
		normalize_v6(n);
		return 1;
	}
	return 0;
}

/* What getaddrinfo answers without a DNS query: an IPv4 or IPv6 literal. */
static int is_numeric_host(const char *name)
{
	struct sockaddr_storage ss;
	socklen_t len;

	return hm_addr_parse_numeric(name, AF_UNSPEC, &ss, &len);
}

int hm_addr_parse_numeric(const char *host, int family,
			  struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	char buf[INET6_ADDRSTRLEN + 1];
	size_t n;
	const char *pct;

	memset(ss, 0, sizeof(*ss));
	*len = 0;
	if (!host)
		return 0;
	n = strlen(host);
	if (family != AF_INET6) {
		unsigned char v4[4];

		if (parse_aton(host, n, v4)) {
			sin->sin_family = AF_INET;
			memcpy(&sin->sin_addr, v4, 4);
			*len = sizeof(*sin);
			return 1;
		}
	}
	if (family == AF_INET)
		return 0;
	/* No brackets: getaddrinfo does not accept them either. */
	pct = memchr(host, '%', n);
	if (pct)
		n = (size_t)(pct - host);
	if (n == 0 || n >= sizeof(buf) || host[0] == '[')
		return 0;
	memcpy(buf, host, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) != 1) {
		memset(ss, 0, sizeof(*ss));
		return 0;
	}
	sin6->sin6_family = AF_INET6;
	*len = sizeof(*sin6);
	return 1;
}

int hm_host_is_metadata(const char *host)
{
	struct naddr n;
	size_t len, i;

	if (!host)
		return 0;
	len = strlen(host);
	if (len && host[len - 1] == '.')
		len--; /* one trailing dot: "169.254.169.254." and "metadata."
			*/
	if (len == 0)
		return 0;
	for (i = 0; i < ARRAY_LEN(meta_names); i++)
		if (strlen(meta_names[i]) == len &&
		    casecmp_n(host, meta_names[i], len) == 0)
			return 1;
	memset(&n, 0, sizeof(n));
	if (parse_aton(host, len, n.a)) {
		n.v4 = 1;
		return naddr_is_metadata(&n);
	}
	if (parse_v6(host, len, &n))
		return naddr_is_metadata(&n);
	return 0;
}

int hm_domain_match(const char *name, const char *domain)
{
	size_t nl, dl;

	if (!name || !domain)
		return 0;
	nl = strlen(name);
	dl = strlen(domain);
	if (nl && name[nl - 1] == '.')
		nl--;
	if (dl && domain[dl - 1] == '.')
		dl--;
	if (nl == 0 || dl == 0 || nl < dl)
		return 0;
	if (casecmp_n(name + nl - dl, domain, dl) != 0)
		return 0;
	/* Equal, or a '.' right before the suffix: "a.example.com". */
	return nl == dl || name[nl - dl - 1] == '.';
}

static int is_host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_' || c == '.';
}

int hm_addr_domain_valid(const char *s)
{
	unsigned char v4[4];
	struct naddr n;
	size_t len, i, label = 0, last = 0;
	int last_numeric = 1;

	if (!s)
		return 0;
	len = strlen(s);
	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			return 0; /* stored entries are lower-case */
	if (entry_to_naddr(s, &n))
		return 1;
	if (strcmp(s, "localhost") == 0)
		return 1; /* the one single label users write */
	/*
	 * Something inet_aton reads as an address ("1.2.3", "0x7f.1") is not a
	 * host name, and a numeric top label never is (RFC 3696 section 2):
	 * refusing them keeps "0.1" from matching "10.0.1" on a dot boundary.
	 */
	if (parse_aton(s, len, v4))
		return 0;
	for (i = 0; i < len; i++) {
		if (!is_host_char(s[i]))
			return 0;
		if (s[i] == '.') {
			if (label == 0)
				return 0; /* "", ".a", "a..b", "a." */
			if (s[i - 1] == '-')
				return 0; /* a label ends in a letter or digit
					   */
			label = 0;
			last = i + 1;
			continue;
		}
		if (label == 0 && s[i] == '-')
			return 0; /* "-x": a label starts with a letter or digit
				   */
		if (++label > 63)
			return 0;
	}
	if (s[len - 1] == '-')
		return 0;
	/* A single label ("db", "redis": compose service names) is a name. */
	if (label == 0)
		return 0;
	for (i = last; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			last_numeric = 0;
	return !last_numeric;
}

/* --- verdicts ------------------------------------------------------ */

/*
 * True if @d (@len bytes) could be an IP literal: inet_pton accepts only
 * digits and dots (IPv4) or a string with a ':' (IPv6). Lets a long
 * allow_domains list skip inet_pton for every host-name entry; a name
 * usually fails the first loop at its first character.
 */
static int maybe_literal(const char *d, size_t len)
{
	size_t i;

	for (i = 0; i < len && ((d[i] >= '0' && d[i] <= '9') || d[i] == '.');
	     i++)
		;
	return i == len || memchr(d, ':', len) != NULL;
}

/* True if some IP-literal entry of @p's allow_domains equals @n. */
__attribute__((noinline)) static int allowed_literal(const struct hm_policy *p,
						     const struct naddr *n)
{
	struct hm_list_iter it;
	const char *d;
	struct naddr e;

	for (d = hm_policy_list_first(p, HM_LIST_DOMAINS, &it); d;
	     d = hm_policy_list_next(&it))
		if (maybe_literal(d, it.len) && entry_to_naddr(d, &e) &&
		    e.v4 == n->v4 && memcmp(e.a, n->a, 16) == 0)
			return 1;
	return 0;
}

/*
 * True if @name matches a host-name entry (IP literals never match
 * names): hm_domain_match against every entry, with @name measured once
 * and the cheap tests first (stored entries are lower-case, without a
 * trailing dot, and the cursor knows their length), so a list of
 * thousands costs a few compares per entry.
 */
__attribute__((noinline)) static int allowed_name(const struct hm_policy *p,
						  const char *name)
{
	struct hm_list_iter it;
	const char *d;
	struct naddr e;
	size_t nl;

	if (!name)
		return 0;
	nl = strlen(name);
	if (nl && name[nl - 1] == '.')
		nl--;
	if (nl == 0)
		return 0;
	for (d = hm_policy_list_first(p, HM_LIST_DOMAINS, &it); d;
	     d = hm_policy_list_next(&it)) {
		size_t dl = it.len;

		/* Equal, or a '.' right before the suffix: "a.example.com". */
		if (dl > nl || (dl < nl && name[nl - dl - 1] != '.'))
			continue;
		if (casecmp_n(name + nl - dl, d, dl) != 0)
			continue;
		if (maybe_literal(d, dl) && entry_to_naddr(d, &e))
			continue;
		return 1;
	}
	return 0;
}

/*
 * The family an address check reads @rq->sa as. The kernel's UDP and raw
 * sendmsg and inet_bind treat AF_UNSPEC as AF_INET (sending to, or binding
 * "any" at, sin_addr), so an AF_UNSPEC address long enough for a
 * sockaddr_in is read as IPv4; a shorter one the kernel refuses or
 * ignores, and it stays AF_UNSPEC.
 */
static int inet_family_of(const struct hm_request *rq)
{
	int family = hm_sa_family_of(rq->sa, rq->salen);

	if (family == AF_UNSPEC &&
	    rq->salen >= (socklen_t)sizeof(struct sockaddr_in))
		return AF_INET;
	return family;
}

static enum hm_reason check_dest(const struct hm_policy *p,
				 const struct hm_request *rq)
{
	struct naddr n;
	int family;

	if (!rq->sa)
		return HM_R_NONE; /* send on a connected socket */
	/* connect(AF_UNSPEC) dissolves the association: nothing is sent. */
	if (rq->op == HM_OP_CONNECT &&
	    hm_sa_family_of(rq->sa, rq->salen) == AF_UNSPEC)
		return HM_R_NONE;
	family = inet_family_of(rq);
	switch (family) {
	case AF_UNIX:
	case AF_NETLINK:
	case AF_UNSPEC: /* too short to carry an address */
		return HM_R_NONE;
	case AF_INET:
	case AF_INET6:
		break;
	default:
		return HM_R_NO_NETWORK; /* AF_PACKET, AF_VSOCK, short, ... */
	}
	if (sa_to_naddr(rq->sa, rq->salen, family, &n) < 0)
		return HM_R_NO_NETWORK;
	switch (classify(&n)) {
	case HM_ADDR_LOOPBACK:
		/*
		 * A DNS message to a loopback stub resolver (systemd-resolved,
		 * dnsmasq) is forwarded upstream: a name lookup that no
		 * resolver check saw. Port 53 stays closed with
		 * allow_localhost; lookups go through getaddrinfo & co.
		 */
		if (sa_port_of(rq->sa, rq->salen) == 53)
			return HM_R_NO_NETWORK;
		return (p->flags & HM_F_ALLOW_LOCALHOST) ? HM_R_NONE
							 : HM_R_NO_NETWORK;
	case HM_ADDR_OTHER:
		if (allowed_literal(p, &n))
			return HM_R_NONE;
		if (rq->resolved_name &&
		    !hm_host_is_metadata(rq->resolved_name) &&
		    allowed_name(p, rq->resolved_name))
			return HM_R_NONE;
		return HM_R_NO_NETWORK;
	default:
		/* METADATA (whatever is allowed), MULTICAST, broadcast. */
		return HM_R_NO_NETWORK;
	}
}

/*
 * BIND and LISTEN: strictly 127/8 and ::1, whatever allow_localhost says
 * (the original's rule); "any" (0.0.0.0, ::) would accept the network.
 */
static enum hm_reason check_local(const struct hm_request *rq)
{
	static const unsigned char v6_lo[16] = {[15] = 1};
	struct naddr n;
	int family = inet_family_of(rq);

	switch (family) {
	case AF_UNIX:
	case AF_NETLINK:
	case AF_UNSPEC: /* too short to carry an address */
		return HM_R_NONE;
	case AF_INET:
	case AF_INET6:
		break;
	default:
		return HM_R_NO_NETWORK; /* NULL, short, other families */
	}
	if (sa_to_naddr(rq->sa, rq->salen, family, &n) < 0)
		return HM_R_NO_NETWORK;
	if (n.v4 ? n.a[0] == 127 : memcmp(n.a, v6_lo, 16) == 0)
		return HM_R_NONE;
	return HM_R_NO_NETWORK;
}

/* The kernel's SOCK_TYPE_MASK (the flags SOCK_NONBLOCK... live above). */
#define TYPE_MASK 0xf
#define TYPE_PACKET 10 /* SOCK_PACKET */

static enum hm_reason check_socket(const struct hm_request *rq)
{
	int type = rq->type & TYPE_MASK;

	switch (rq->domain) {
	case AF_UNIX:
	case AF_NETLINK:
		return HM_R_NONE;
	case AF_INET:
	case AF_INET6:
		/* SCTP carries addresses in setsockopt, where connect never
		 * looks. */
		if (rq->protocol == IPPROTO_SCTP)
			return HM_R_NO_NETWORK;
		/* (AF_INET, SOCK_PACKET) is an AF_PACKET socket in the kernel.
		 */
		if (type == TYPE_PACKET)
			return HM_R_NO_NETWORK;
		/* IPPROTO_RAW implies IP_HDRINCL: the caller writes the IP
		 * header, destination included. */
		if (type == SOCK_RAW && rq->protocol == IPPROTO_RAW)
			return HM_R_NO_NETWORK;
		return HM_R_NONE;
	default:
		return HM_R_NO_NETWORK;
	}
}

/* Option numbers from <linux/in.h> and <linux/in6.h> (stable ABI). */
#define OPT_IP_HDRINCL 3
#define OPT_IP_OPTIONS 4
#define OPT_IP_RETOPTS 7
#define OPT_IPV6_2292PKTOPTIONS 6
#define OPT_IPV6_2292RTHDR 5
#define OPT_IPV6_HDRINCL 36
#define OPT_IPV6_RTHDR 57

int hm_sockopt_reroutes(int level, int name, const void *val, unsigned int len)
{
	const unsigned char *v = val;
	unsigned int i;

	if (level == IPPROTO_IP) {
		switch (name) {
		case OPT_IP_OPTIONS:
		case OPT_IP_RETOPTS:
			return len > 0;
		case OPT_IP_HDRINCL:
			break; /* an int flag, below */
		default:
			return 0;
		}
	} else if (level == IPPROTO_IPV6) {
		switch (name) {
		case OPT_IPV6_RTHDR:
		case OPT_IPV6_2292RTHDR:
		case OPT_IPV6_2292PKTOPTIONS:
			return len > 0;
		case OPT_IPV6_HDRINCL:
			break;
		default:
			return 0;
		}
	} else {
		return 0;
	}
	/* A flag: the kernel reads an int, or one byte when shorter. Any
	 * non-zero byte (or no readable value) turns it on: fail closed. */
	if (len == 0)
		return 0;
	if (!v)
		return 1;
	for (i = 0; i < len && i < sizeof(int); i++)
		if (v[i])
			return 1;
	return 0;
}

int hm_cmsg_reroutes(int level, int type)
{
	if (level == IPPROTO_IP)
		return type == OPT_IP_OPTIONS || type == OPT_IP_RETOPTS;
	if (level == IPPROTO_IPV6)
		return type == OPT_IPV6_RTHDR || type == OPT_IPV6_2292RTHDR ||
		       type == OPT_IPV6_2292PKTOPTIONS;
	return 0;
}

static enum hm_reason check_resolve(const struct hm_policy *p,
				    const struct hm_request *rq)
{
	const char *name = rq->name;

	if (!name)
		return HM_R_NONE; /* passive or local lookup */
	/* A literal makes no DNS query; connect decides on the address. */
	if (is_numeric_host(name))
		return hm_host_is_metadata(name) ? HM_R_NO_NETWORK : HM_R_NONE;
	if (hm_host_is_metadata(name))
		return HM_R_NO_NETWORK;
	/*
	 * /etc/hosts (when nsswitch consults it first) and myhostname answer
	 * without a query: not network traffic. connect judges the address.
	 */
	if (hm_hosts_name(rq->hosts, name, rq->domain))
		return HM_R_NONE;
	/*
	 * Only "localhost" itself is answered locally (/etc/hosts); glibc
	 * sends "x.localhost" to the configured name server, which would
	 * carry data out, so a subdomain needs an allow_domains match like
	 * any other name.
	 */
	if (strncasecmp(name, "localhost", 9) == 0 &&
	    (name[9] == '\0' || (name[9] == '.' && name[10] == '\0')))
		return (p->flags & HM_F_ALLOW_LOCALHOST) ? HM_R_NONE
							 : HM_R_NO_NETWORK;
	return allowed_name(p, name) ? HM_R_NONE : HM_R_NO_NETWORK;
}

/*
 * A reverse lookup asks a name server about an address unless a local
 * service answers it. Loopback follows allow_localhost (the PTR query
 * of a loopback address carries nothing out); any other address is
 * refused, whatever allow_domains says: a PTR query names no domain.
 */
static enum hm_reason check_reverse(const struct hm_policy *p,
				    const struct hm_request *rq)
{
	struct naddr n;
	int family = hm_sa_family_of(rq->sa, rq->salen);

	if ((family != AF_INET && family != AF_INET6) ||
	    sa_to_naddr(rq->sa, rq->salen, family, &n) < 0)
		return HM_R_NO_NETWORK;
	switch (classify(&n)) {
	case HM_ADDR_LOOPBACK:
		if (p->flags & HM_F_ALLOW_LOCALHOST)
			return HM_R_NONE;
		break;
	case HM_ADDR_OTHER:
		break;
	default:
		return HM_R_NO_NETWORK; /* metadata, multicast, broadcast */
	}
	return hm_hosts_addr(rq->hosts, rq->sa, rq->salen) ? HM_R_NONE
							   : HM_R_NO_NETWORK;
}

enum hm_reason hm_addr_check(const struct hm_policy *p,
			     const struct hm_request *rq)
{
	switch (rq->op) {
	case HM_OP_CONNECT:
	case HM_OP_SENDTO:
		return check_dest(p, rq);
	case HM_OP_BIND:
	case HM_OP_LISTEN:
		return check_local(rq);
	case HM_OP_SOCKET:
		return check_socket(rq);
	case HM_OP_RESOLVE:
		return check_resolve(p, rq);
	case HM_OP_REVERSE:
		return check_reverse(p, rq);
	case HM_OP_RAW_DNS: /* a raw packet names nobody the policy allows */
	case HM_OP_RCMD:    /* remote shells have no place without network */
		return HM_R_NO_NETWORK;
	default:
		return HM_R_INVALID_POLICY;
	}
}
