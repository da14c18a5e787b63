/*
 * hosts.c - which lookups glibc's resolver answers without a query: the
 * nsswitch "hosts:" order and the names and addresses of /etc/hosts.
 * Pure: it parses text it is
 * given and answers questions about the snapshot; hostsload.c does the
 * reading. No allocation, no state; async-signal-safe.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "hermetic/hermetic.h"
#include "internal.h"

#define FAM_V4 1u
#define FAM_V6 2u

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* The length of the line at @p (before '\n' or @end). */
static size_t line_len(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? (size_t)(nl - p) : (size_t)(end - p);
}

/* Next blank-separated token of [*p, end) stopping at '#'; 0 at the end. */
static size_t next_token(const char **p, const char *end, const char **tok)
{
	const char *s = *p;
	size_t n = 0;

	while (s < end && is_blank(*s))
		s++;
	if (s >= end || *s == '#') {
		*p = end;
		return 0;
	}
	*tok = s;
	while (s + n < end && !is_blank(s[n]) && s[n] != '#')
		n++;
	*p = s + n;
	return n;
}

static int token_is(const char *tok, size_t n, const char *want)
{
	return strlen(want) == n && strncasecmp(tok, want, n) == 0;
}

/*
 * HM_HOSTS_FILES if "files" comes before every service that may query.
 * "myhostname" sends nothing either way (it answers a few names itself,
 * or, when its module is not installed, is skipped), so it neither ends
 * the prefix nor counts as answering: the host name is local only if
 * /etc/hosts lists it. Any other service ends the prefix. An action item
 * that lets a success continue ("[SUCCESS=continue]") would let a later
 * service query anyway: then nothing is trusted.
 */
static uint32_t local_services(const char *p, const char *end)
{
	uint32_t local = 0;
	const char *tok;
	size_t n;

	while ((n = next_token(&p, end, &tok)) != 0) {
		if (tok[0] == '[') {
			const char *close =
			    memchr(tok, ']', (size_t)(end - tok));
			size_t i, len = close ? (size_t)(close - tok) : n;

			for (i = 0; i + 8 <= len; i++)
				if (strncasecmp(tok + i, "continue", 8) == 0)
					return 0;
			p = close ? close + 1 : end;
			continue;
		}
		if (token_is(tok, n, "files"))
			local |= HM_HOSTS_FILES;
		else if (!token_is(tok, n, "myhostname"))
			break; /* dns, resolve, mdns*, nis, ldap, ... */
	}
	return local;
}

/* The "hosts:" line of nsswitch.conf; two of them are not understood. */
static uint32_t parse_nsswitch(const char *ns, size_t ns_len)
{
	const char *p = ns, *end = ns + ns_len;
	uint32_t local = 0;
	int seen = 0;

	if (!ns)
		return 0; /* glibc's default queries DNS first */
	while (p < end) {
		size_t len = line_len(p, end);
		const char *l = p, *le = p + len;

		p = le < end ? le + 1 : end;
		while (l < le && is_blank(*l))
			l++;
		if ((size_t)(le - l) < 6 || strncmp(l, "hosts", 5) != 0)
			continue;
		l += 5;
		while (l < le && is_blank(*l))
			l++;
		if (l >= le || *l != ':')
			continue;
		if (seen++)
			return 0;
		local = local_services(l + 1, le);
	}
	return local;
}

/* Index of @name (n bytes) in @t's names, or -1. */
static int find_name(const struct hm_hosts *t, const char *name, size_t n)
{
	uint32_t i, cnt = t->n_names;

	if (cnt > HM_HOSTS_NAMES)
		cnt = HM_HOSTS_NAMES;
	for (i = 0; i < cnt; i++) {
		const char *s = t->pool + (t->names[i].off % HM_HOSTS_POOL);
		size_t room = HM_HOSTS_POOL - (size_t)(s - t->pool);

		if (strnlen(s, room) == n && strncasecmp(s, name, n) == 0)
			return (int)i;
	}
	return -1;
}

static void add_name(struct hm_hosts *t, const char *name, size_t n,
		     uint8_t fam)
{
	int i = find_name(t, name, n);

	if (i >= 0) {
		t->names[i].families |= fam;
		return;
	}
	if (t->n_names >= HM_HOSTS_NAMES || n >= HM_DOMAIN_MAX ||
	    t->pool_len + n + 1 > HM_HOSTS_POOL)
		return; /* not kept: not local */
	memcpy(t->pool + t->pool_len, name, n);
	t->pool[t->pool_len + n] = '\0';
	t->names[t->n_names].off = (uint16_t)t->pool_len;
	t->names[t->n_names].families = fam;
	t->n_names++;
	t->pool_len += (uint32_t)n + 1;
}

static void add_addr(struct hm_hosts *t, const unsigned char *a, int v6)
{
	if (t->n_addrs >= HM_HOSTS_ADDRS)
		return;
	memset(&t->addrs[t->n_addrs], 0, sizeof(t->addrs[0]));
	t->addrs[t->n_addrs].v6 = (uint8_t)v6;
	memcpy(t->addrs[t->n_addrs].a, a, v6 ? 16 : 4);
	t->n_addrs++;
}

/*
 * One /etc/hosts line: "address name [alias...]". The address must be an
 * exact inet_pton literal; a line glibc might read differently is
 * skipped, which only makes its names non-local.
 */
static void parse_hosts_line(struct hm_hosts *t, const char *p, const char *end)
{
	char text[INET6_ADDRSTRLEN + 1];
	unsigned char a[16];
	const char *tok;
	size_t n;
	uint8_t fam;
	int v6;

	n = next_token(&p, end, &tok);
	if (n == 0 || n >= sizeof(text))
		return;
	memcpy(text, tok, n);
	text[n] = '\0';
	if (inet_pton(AF_INET, text, a) == 1)
		v6 = 0;
	else if (inet_pton(AF_INET6, text, a) == 1)
		v6 = 1;
	else
		return;
	fam = v6 ? FAM_V6 : FAM_V4;
	n = next_token(&p, end, &tok);
	if (n == 0)
		return; /* an address without names answers nothing */
	add_addr(t, a, v6);
	do
		add_name(t, tok, n, fam);
	while ((n = next_token(&p, end, &tok)) != 0);
}

void hm_hosts_parse(struct hm_hosts *t, const char *ns, size_t ns_len,
		    const char *hosts, size_t hosts_len)
{
	/*
	 * Only the counts are reset: every entry is written whole when it
	 * is added and readers look at [0, n) only, so the 22 KiB table is
	 * not cleared (in the shim it is fresh .bss, and pages never written
	 * are never faulted in at process start).
	 */
	t->n_names = 0;
	t->n_addrs = 0;
	t->pool_len = 0;
	t->local = parse_nsswitch(ns, ns_len);
	if ((t->local & HM_HOSTS_FILES) && hosts) {
		const char *p = hosts, *end = hosts + hosts_len;

		while (p < end) {
			size_t len = line_len(p, end);

			parse_hosts_line(t, p, p + len);
			p += len + (p + len < end);
		}
	}
}

int hm_hosts_name(const struct hm_hosts *t, const char *name, int family)
{
	size_t n;
	int i;

	if (!t || !name)
		return 0;
	n = strlen(name);
	if (n == 0)
		return 0;
	if (!(t->local & HM_HOSTS_FILES))
		return 0;
	i = find_name(t, name, n);
	if (i < 0)
		return 0;
	switch (family) {
	case AF_UNSPEC:
		return 1;
	case AF_INET:
		return !!(t->names[i].families & FAM_V4);
	case AF_INET6:
		return !!(t->names[i].families & FAM_V6);
	default:
		return 0;
	}
}

int hm_hosts_addr(const struct hm_hosts *t, const struct sockaddr *sa,
		  socklen_t len)
{
	const unsigned char *b = (const unsigned char *)sa;
	unsigned char a[16];
	sa_family_t fam;
	uint32_t i, cnt;
	int v6;

	if (!t || !sa || !(t->local & HM_HOSTS_FILES) ||
	    len < (socklen_t)sizeof(sa_family_t))
		return 0;
	memcpy(&fam, b + offsetof(struct sockaddr, sa_family), sizeof(fam));
	if (fam == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		memcpy(a, b + offsetof(struct sockaddr_in, sin_addr), 4);
		v6 = 0;
	} else if (fam == AF_INET6 &&
		   len >= (socklen_t)offsetof(struct sockaddr_in6,
					      sin6_scope_id)) {
		memcpy(a, b + offsetof(struct sockaddr_in6, sin6_addr), 16);
		v6 = 1;
	} else {
		return 0;
	}
	cnt = t->n_addrs > HM_HOSTS_ADDRS ? HM_HOSTS_ADDRS : t->n_addrs;
	for (i = 0; i < cnt; i++)
		if (t->addrs[i].v6 == v6 &&
		    memcmp(t->addrs[i].a, a, v6 ? 16 : 4) == 0)
			return 1;
	return 0;
}
