/*
 * prov.c - the resolution-provenance ring: which lookup name an address
 * came from, written from what a real resolver returned for an allowed
 * lookup and read by connect()/sendto() checks (hm_request.resolved_name).
 * One implementation for both layers (the shim and _native each own one
 * ring). Pure: it touches only the ring the caller passes; lock-free and
 * allocation-free, so interposers may use it.
 *
 * A writer claims a slot by moving its sequence number from even to odd,
 * fills it, and publishes it even again; a reader copies what it needs
 * and ignores a slot whose sequence moved (a lost match only means a
 * deny). Addresses are normalised as the verdicts normalise them
 * (IPv4-mapped, IPv4-compatible and NAT64 IPv6 become IPv4).
 */
#include <string.h>

#include "hermetic/hermetic.h"
#include "internal.h"

void hm_prov_record(struct hm_prov_ring *r, const struct sockaddr *sa,
		    socklen_t len, const char *name)
{
	char norm[HM_DOMAIN_MAX];
	unsigned char fam, addr[16];
	size_t n;

	if (!r || !name || hm_addr_key(sa, len, &fam, addr) < 0)
		return;
	n = strnlen(name, sizeof(norm));
	if (n == sizeof(norm) || n == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		norm[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	if (n > 1 && norm[n - 1] == '.')
		n--;
	norm[n] = '\0';

	for (int tries = 0; tries < 4; tries++) {
		unsigned int i =
		    __atomic_fetch_add(&r->next, 1, __ATOMIC_RELAXED);
		struct hm_prov_slot *s = &r->slots[i % HM_PROV_SLOTS];
		unsigned int seq = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);

		/* An odd sequence: another writer owns it; take the next. */
		if ((seq & 1) || !__atomic_compare_exchange_n(
				     &s->seq, &seq, seq + 1, 0,
				     __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			continue;
		/* Order the odd sequence before the data stores. */
		__atomic_thread_fence(__ATOMIC_RELEASE);
		s->fam = fam;
		memcpy(s->addr, addr, sizeof(s->addr));
		memcpy(s->name, norm, n + 1);
		__atomic_store_n(&s->seq, seq + 2, __ATOMIC_RELEASE);
		return;
	}
}

int hm_prov_lookup(const struct hm_prov_ring *r, const struct sockaddr *sa,
		   socklen_t len, char *out, size_t cap)
{
	unsigned char fam, addr[16], got[16];
	unsigned int head;

	if (!r || cap < HM_DOMAIN_MAX || hm_addr_key(sa, len, &fam, addr) < 0)
		return 0;
	head = __atomic_load_n(&r->next, __ATOMIC_RELAXED);
	for (unsigned int n = 1; n <= HM_PROV_SLOTS; n++) {
		const struct hm_prov_slot *s =
		    &r->slots[(head - n) % HM_PROV_SLOTS];
		unsigned int s1 = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);

		if (s1 == 0 || (s1 & 1))
			continue;
		memcpy(got, s->addr, sizeof(got));
		if (s->fam != fam || memcmp(got, addr, sizeof(got)) != 0)
			continue;
		memcpy(out, s->name, HM_DOMAIN_MAX);
		/* The copies above must complete before the re-check. */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&s->seq, __ATOMIC_RELAXED) != s1)
			continue;
		out[HM_DOMAIN_MAX - 1] = '\0';
		return 1;
	}
	return 0;
}
