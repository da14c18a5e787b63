/*
 * addrfmt.c - socket addresses formatted for trace lines and messages
 * ("1.2.3.4:80", "[::1]:443", AF_UNIX paths with unsafe bytes escaped,
 * "family=N"). Pure: no I/O, no allocation, no state; async-signal-safe.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/un.h>

#include "hermetic/hermetic.h"
#include "internal.h"

struct sbuf {
	char *buf;
	size_t cap, len; /* len < cap always: room for the NUL */
};

static void put(struct sbuf *b, const char *s, size_t n)
{
	while (n-- && b->len + 1 < b->cap)
		b->buf[b->len++] = *s++;
	b->buf[b->len] = '\0';
}

static void put_str(struct sbuf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void put_uint(struct sbuf *b, unsigned long v)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(b, tmp + i, sizeof(tmp) - i);
}

/* Printable ASCII verbatim, anything else (NUL in abstract names) as '?'. */
static void put_safe(struct sbuf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';

		put(b, &c, 1);
	}
}

static void format_unix(struct sbuf *b, const struct sockaddr *sa,
			socklen_t len)
{
	const char *path =
	    (const char *)sa + offsetof(struct sockaddr_un, sun_path);
	size_t n = len - offsetof(struct sockaddr_un, sun_path);

	if (n > sizeof(((struct sockaddr_un *)0)->sun_path))
		n = sizeof(((struct sockaddr_un *)0)->sun_path);
	put_str(b, "unix:");
	if (n && path[0] == '\0') {
		/* Abstract: the name is every byte of @len, NULs included. */
		put_str(b, "@");
		put_safe(b, path + 1, n - 1);
		return;
	}
	put_safe(b, path, strnlen(path, n));
}

const char *hm_format_sockaddr(const struct sockaddr *sa, socklen_t len,
			       char *buf, size_t cap)
{
	char ip[INET6_ADDRSTRLEN];
	struct sbuf b = {buf, cap, 0};
	int family = hm_sa_family_of(sa, len);
	const unsigned char *raw = (const unsigned char *)sa;
	unsigned char a[16];
	uint16_t port;

	if (!buf || cap == 0)
		return buf ? buf : "";
	buf[0] = '\0';
	if (family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		memcpy(a, raw + offsetof(struct sockaddr_in, sin_addr), 4);
		memcpy(&port, raw + offsetof(struct sockaddr_in, sin_port), 2);
		if (!inet_ntop(AF_INET, a, ip, sizeof(ip)))
			goto family;
		put_str(&b, ip);
		put_str(&b, ":");
		put_uint(&b, ntohs(port));
		return buf;
	}
	if (family == AF_INET6 &&
	    len >= (socklen_t)offsetof(struct sockaddr_in6, sin6_scope_id)) {
		memcpy(a, raw + offsetof(struct sockaddr_in6, sin6_addr), 16);
		memcpy(&port, raw + offsetof(struct sockaddr_in6, sin6_port),
		       2);
		if (!inet_ntop(AF_INET6, a, ip, sizeof(ip)))
			goto family;
		put_str(&b, "[");
		put_str(&b, ip);
		put_str(&b, "]:");
		put_uint(&b, ntohs(port));
		return buf;
	}
	if (family == AF_UNIX) {
		format_unix(&b, sa, len);
		return buf;
	}
family:
	if (family < 0) {
		put_str(&b, "family=?");
		return buf;
	}
	put_str(&b, "family=");
	put_uint(&b, (unsigned long)family);
	return buf;
}
