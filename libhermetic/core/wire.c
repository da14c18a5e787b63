/*
 * wire.c - the parent-to-child policy codec (HERMETIC_POLICY): a versioned,
 * checksummed, little-endian binary record carried as lower-case hex text.
 * Pure, allocation-free and async-signal-safe: it runs in the shim's
 * constructor and inside exec wrappers (possibly in a vfork child).
 *
 * Binary form, version 2 (all integers little-endian, no padding):
 *
 *   magic      4 bytes  "HMPW" (0x48 0x4d 0x50 0x57)
 *   version    u16      2
 *   n_layers   u16      number of layers that follow
 *   n_layers times:
 *     flags      u32    struct hm_policy.flags
 *     HM_LIST_N times, in enum hm_list order (root, domains, writable,
 *     imports, readable):
 *       count    u32    then count x str
 *   checksum   u64      FNV-1a 64 of every byte before it
 *
 * where str = u16 byte length followed by that many bytes (no NUL). The
 * text form is two lower-case hex digits per byte, NUL-terminated.
 * Version 1 (fixed tables: fs_root as one str, then u16 counts) is not
 * read: a parent from another hermetic build is refused (-EPROTO).
 *
 * Decoding: odd length, a non-hex (or upper-case) digit, a record shorter
 * than magic + version + checksum, a wrong magic, a wrong checksum, a
 * record that ends early or has bytes left over, a string holding a NUL
 * and a layer failing hm_policy_validate are -EINVAL; a version other than
 * 2 is -EPROTO (checked before the checksum, so a later format may change
 * it); more layers than the caller's maximum, more bytes than a layer's
 * pool holds, or a string longer than its list's maximum are -E2BIG. The
 * decoder writes each layer's header and used pool bytes only.
 */
#include <errno.h>
#include <string.h>

#include "hermetic/hermetic.h"
#include "internal.h"

#define WIRE_MAGIC0 0x48 /* 'H' */
#define WIRE_MAGIC1 0x4d /* 'M' */
#define WIRE_MAGIC2 0x50 /* 'P' */
#define WIRE_MAGIC3 0x57 /* 'W' */
#define WIRE_VERSION 2
#define WIRE_HEAD 8 /* magic + version + n_layers */
#define WIRE_SUM 8  /* trailing checksum */
#define WIRE_U16_MAX 0xffffu

#define FNV64_OFFSET 0xcbf29ce484222325ull
#define FNV64_PRIME 0x100000001b3ull

static const char hexdig[] = "0123456789abcdef";

/* Per-entry maxima (NUL included), as hm_policy_validate checks them. */
static const uint32_t list_cap[HM_LIST_N] = {
    [HM_LIST_ROOT] = HM_PATH_MAX,     [HM_LIST_DOMAINS] = HM_DOMAIN_MAX,
    [HM_LIST_WRITABLE] = HM_PATH_MAX, [HM_LIST_IMPORTS] = HM_IMPORT_MAX,
    [HM_LIST_READABLE] = HM_PATH_MAX,
};

/* ---- encoding --------------------------------------------------------- */

/*
 * A layer's encoded size. The lists are read through the core's bounded
 * cursor, so a torn snapshot read stays inside the layer; the writer
 * catches a layer that grew between measuring and writing.
 */
static size_t layer_size(const struct hm_policy *p)
{
	struct hm_list_iter it;
	const char *e;
	size_t sz = 4;
	int l;

	for (l = 0; l < HM_LIST_N; l++) {
		sz += 4;
		for (e = hm_policy_list_first(p, (enum hm_list)l, &it); e;
		     e = hm_policy_list_next(&it))
			sz += 2 + strnlen(e, list_cap[l] - 1);
	}
	return sz;
}

size_t hm_wire_encoded_size_ptrs(const struct hm_policy *const *layers,
				 size_t n)
{
	size_t bytes = WIRE_HEAD + WIRE_SUM;
	size_t i;

	for (i = 0; i < n; i++)
		bytes += layer_size(layers[i]);
	return 2 * bytes + 1;
}

/* A bounds-checked hex writer that hashes what it writes. */
struct wr {
	char *out;
	size_t cap; /* characters, NUL excluded */
	size_t pos;
	uint64_t sum;
	int err;
};

static void put_bytes(struct wr *w, const void *src, size_t k)
{
	const unsigned char *b = src;
	size_t i;

	if (w->err || k > (w->cap - w->pos) / 2) {
		w->err = 1;
		return;
	}
	for (i = 0; i < k; i++) {
		w->sum = (w->sum ^ b[i]) * FNV64_PRIME;
		w->out[w->pos++] = hexdig[b[i] >> 4];
		w->out[w->pos++] = hexdig[b[i] & 15];
	}
}

static void put_u16(struct wr *w, uint32_t v)
{
	unsigned char b[2] = {v & 0xff, (v >> 8) & 0xff};

	put_bytes(w, b, 2);
}

static void put_u32(struct wr *w, uint32_t v)
{
	unsigned char b[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff,
			      (v >> 24) & 0xff};

	put_bytes(w, b, 4);
}

static void put_u64(struct wr *w, uint64_t v)
{
	unsigned char b[8];
	int i;

	for (i = 0; i < 8; i++)
		b[i] = (v >> (8 * i)) & 0xff;
	put_bytes(w, b, 8);
}

static void put_layer(struct wr *w, const struct hm_policy *p)
{
	struct hm_list_iter it;
	const char *e;
	uint32_t count;
	size_t len;
	int l;

	put_u32(w, p->flags);
	for (l = 0; l < HM_LIST_N; l++) {
		count = 0;
		for (e = hm_policy_list_first(p, (enum hm_list)l, &it); e;
		     e = hm_policy_list_next(&it))
			count++;
		put_u32(w, count);
		for (e = hm_policy_list_first(p, (enum hm_list)l, &it); e;
		     e = hm_policy_list_next(&it)) {
			len = strnlen(e, list_cap[l] - 1);
			put_u16(w, (uint32_t)len);
			put_bytes(w, e, len);
		}
	}
}

int hm_wire_encode_ptrs(const struct hm_policy *const *layers, size_t n,
			char *out, size_t cap)
{
	static const unsigned char magic[4] = {WIRE_MAGIC0, WIRE_MAGIC1,
					       WIRE_MAGIC2, WIRE_MAGIC3};
	struct wr w;
	uint64_t sum;
	size_t i;

	if (n > WIRE_U16_MAX || (n && !layers))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (!layers[i] || hm_policy_validate(layers[i]) < 0)
			return -EINVAL;
	}
	if (!out || cap < hm_wire_encoded_size_ptrs(layers, n))
		return -ENOSPC;

	w.out = out;
	w.cap = cap - 1;
	w.pos = 0;
	w.sum = FNV64_OFFSET;
	w.err = 0;
	put_bytes(&w, magic, sizeof(magic));
	put_u16(&w, WIRE_VERSION);
	put_u16(&w, (uint32_t)n);
	for (i = 0; i < n; i++)
		put_layer(&w, layers[i]);
	sum = w.sum;
	put_u64(&w, sum);
	/* Only reachable if a layer changed under us (torn snapshot read). */
	if (w.err) {
		out[0] = '\0';
		return -ENOSPC;
	}
	out[w.pos] = '\0';
	return (int)w.pos;
}

size_t hm_wire_encoded_size(const struct hm_policy *layers, size_t n)
{
	size_t bytes = WIRE_HEAD + WIRE_SUM;
	size_t i;

	for (i = 0; i < n && layers; i++)
		bytes += layer_size(&layers[i]);
	return 2 * bytes + 1;
}

int hm_wire_encode(const struct hm_policy *layers, size_t n, char *out,
		   size_t cap)
{
	/*
	 * Encode through an array of pointers so no layer is ever copied.
	 * No process holds more than HM_MAX_BASE layers, so no child could
	 * decode a longer list: refuse it here.
	 */
	const struct hm_policy *ptrs[HM_MAX_BASE];
	size_t i;

	if (n > HM_MAX_BASE || (n && !layers))
		return -EINVAL;
	for (i = 0; i < n; i++)
		ptrs[i] = &layers[i];
	return hm_wire_encode_ptrs(ptrs, n, out, cap);
}

/* ---- decoding --------------------------------------------------------- */

/*
 * The one bounds-checked cursor over the hex text. Every read goes
 * through take(); a read past @end sets @err and yields zeros, so callers
 * check @err once per field group.
 */
struct rd {
	const char *hex;
	size_t end; /* in bytes */
	size_t pos; /* in bytes */
	int err;
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Byte @i of the record (the caller has checked i < the record length). */
static unsigned char byte_at(const char *hex, size_t i)
{
	return (unsigned char)(hexval(hex[2 * i]) << 4 |
			       hexval(hex[2 * i + 1]));
}

static int take(struct rd *r, void *dst, size_t k)
{
	unsigned char *b = dst;
	size_t i;

	if (r->err || k > r->end - r->pos) {
		r->err = 1;
		memset(dst, 0, k);
		return -1;
	}
	for (i = 0; i < k; i++)
		b[i] = byte_at(r->hex, r->pos + i);
	r->pos += k;
	return 0;
}

static uint32_t take_u16(struct rd *r)
{
	unsigned char b[2];

	take(r, b, 2);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8;
}

static uint32_t take_u32(struct rd *r)
{
	unsigned char b[4];

	take(r, b, 4);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

/*
 * Read list @l's entries into @p's pool, appended after what is there:
 * the lists arrive in section order, so each becomes the next section.
 */
static int take_list(struct rd *r, struct hm_policy *p, int l)
{
	uint32_t count = take_u32(r), i, len;

	if (r->err)
		return -EINVAL;
	for (i = 0; i < count; i++) {
		len = take_u16(r);
		if (r->err)
			return -EINVAL;
		if (len >= list_cap[l])
			return -E2BIG;
		if (len + 1 > HM_POOL_MAX - p->used)
			return -E2BIG;
		if (take(r, p->pool + p->used, len) < 0)
			return -EINVAL;
		if (memchr(p->pool + p->used, '\0', len))
			return -EINVAL;
		p->pool[p->used + len] = '\0';
		p->used += len + 1;
	}
	p->n[l] = count;
	p->end[l] = p->used;
	return 0;
}

static int take_layer(struct rd *r, struct hm_policy *p)
{
	int l, rc = 0;

	hm_policy_init(p);
	p->flags = take_u32(r);
	for (l = 0; rc == 0 && l < HM_LIST_N; l++)
		rc = take_list(r, p, l);
	return rc;
}

int hm_wire_decode(const char *text, struct hm_policy *layers, size_t max,
		   size_t *n)
{
	struct rd r;
	unsigned char magic[4], sumb[8];
	uint64_t sum = FNV64_OFFSET, want = 0;
	size_t len, bytes, i;
	uint32_t count;
	int rc;

	if (n)
		*n = 0;
	if (!text || !n || (max && !layers))
		return -EINVAL;

	/* Shape: even length, hex digits only. */
	for (len = 0; text[len]; len++) {
		if (hexval(text[len]) < 0)
			return -EINVAL;
	}
	if (len % 2)
		return -EINVAL;
	bytes = len / 2;
	if (bytes < WIRE_HEAD + WIRE_SUM)
		return -EINVAL;

	r.hex = text;
	r.end = bytes - WIRE_SUM;
	r.pos = 0;
	r.err = 0;
	take(&r, magic, sizeof(magic));
	if (magic[0] != WIRE_MAGIC0 || magic[1] != WIRE_MAGIC1 ||
	    magic[2] != WIRE_MAGIC2 || magic[3] != WIRE_MAGIC3)
		return -EINVAL;
	if (take_u16(&r) != WIRE_VERSION)
		return -EPROTO;

	for (i = 0; i < r.end; i++)
		sum = (sum ^ byte_at(text, i)) * FNV64_PRIME;
	r.end = bytes;
	r.pos = bytes - WIRE_SUM;
	take(&r, sumb, sizeof(sumb));
	for (i = 0; i < 8; i++)
		want |= (uint64_t)sumb[i] << (8 * i);
	if (sum != want)
		return -EINVAL;

	r.end = bytes - WIRE_SUM;
	r.pos = WIRE_HEAD - 2;
	count = take_u16(&r);
	if (r.err)
		return -EINVAL;
	if (count > max)
		return -E2BIG;
	for (i = 0; i < count; i++) {
		rc = take_layer(&r, &layers[i]);
		if (rc < 0)
			return rc;
		if (r.err)
			return -EINVAL;
	}
	if (r.pos != r.end)
		return -EINVAL; /* trailing bytes */
	for (i = 0; i < count; i++) {
		if (hm_policy_validate(&layers[i]) < 0)
			return -EINVAL;
	}
	*n = count;
	return 0;
}

const char *hm_wire_error(int rc)
{
	switch (rc) {
	case -EPROTO:
		return "written by a hermetic with another policy format "
		       "(this one reads version 2)";
	case -E2BIG:
		return "too many layers, or a list longer than this hermetic "
		       "holds";
	case -EINVAL:
		return "malformed or unreadable";
	default:
		return "unreadable";
	}
}
