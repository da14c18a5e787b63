/*
 * internal.h - declarations shared between the core's own source files
 * (and its unit tests); never included from outside libhermetic/ and
 * tests/unit/. Keep it small: the public contract is hermetic.h.
 */
#ifndef HERMETIC_CORE_INTERNAL_H
#define HERMETIC_CORE_INTERNAL_H

#include "hermetic/hermetic.h"

/* --- core-policy (policy.c, addr.c, path.c) --- */

/*
 * The network part of hm_policy_check (CONNECT, SENDTO, BIND, LISTEN,
 * SOCKET, RESOLVE) for one layer that has HM_F_BLOCK_NETWORK set and is
 * not HM_F_INVALID. Pure and async-signal-safe.
 */
enum hm_reason hm_addr_check(const struct hm_policy *p,
			     const struct hm_request *rq);

/* The sa_family of @sa (read without alignment assumptions), or -1. */
int hm_sa_family_of(const struct sockaddr *sa, socklen_t len);

/*
 * True if @s (NUL-terminated) is a stored, already normalised
 * allow_domains entry: a literal IP, "localhost", or a lower-case host
 * name of at least two labels (hm_policy_add_domain's output).
 */
int hm_addr_domain_valid(const char *s);

/*
 * The normalised address of an AF_INET/AF_INET6 @sa (IPv4-mapped,
 * IPv4-compatible and NAT64 IPv6 as IPv4): *@fam 4 or 6, @addr the
 * bytes (IPv4 in addr[0..3], the rest zero). Returns 0, or -1 if @sa is
 * not an IP address or too short.
 */
int hm_addr_key(const struct sockaddr *sa, socklen_t len, unsigned char *fam,
		unsigned char addr[16]);

/* True if @path is absolute and lexically normalised (as hm_path_normalize). */
int hm_path_is_normal(const char *path);

/* --- core-segment (wire.c, segment.c) --- */

/*
 * Encoders over an array of layer pointers, shared by wire.c and
 * segment.c (whose snapshot encodes base layers and dynamic entries that
 * are not contiguous). They tolerate torn input: counts are clamped and
 * strings measured within their arrays, so they never read outside a
 * layer. Same results as hm_wire_encoded_size / hm_wire_encode.
 */
size_t hm_wire_encoded_size_ptrs(const struct hm_policy *const *layers,
				 size_t n);
int hm_wire_encode_ptrs(const struct hm_policy *const *layers, size_t n,
			char *out, size_t cap);

/* --- shared by the core and the shim --- */

/*
 * Append the decimal form of @v at @p (at most 20 bytes, no NUL); returns
 * the new end. Allocation-free and async-signal-safe: the one copy the
 * policy transport, the audit records and the shim's trace and /proc
 * paths use.
 */
static inline char *hm_put_u64(char *p, unsigned long long v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

#endif /* HERMETIC_CORE_INTERNAL_H */
