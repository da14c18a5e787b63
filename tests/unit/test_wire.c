/*
 * test_wire.c - unit tests of the HERMETIC_POLICY codec: round trips up to
 * every maximum, exact sizes, and every class of malformed input (records
 * are also hand-built here from the format description in wire.c, with
 * an independent FNV-1a 64, so counts and lengths can lie convincingly).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hermetic/hermetic.h"
#include "tap.h"

/* ---- helpers ------------------------------------------------------------ */

/* Same flags and the same entries in every list, compared as strings. */
static int policy_eq(const struct hm_policy *a, const struct hm_policy *b)
{
	struct hm_list_iter ia, ib;
	const char *x, *y;
	int l;

	if (a->flags != b->flags)
		return 0;
	for (l = 0; l < HM_LIST_N; l++) {
		if (a->n[l] != b->n[l])
			return 0;
		x = hm_policy_list_first(a, (enum hm_list)l, &ia);
		y = hm_policy_list_first(b, (enum hm_list)l, &ib);
		for (; x && y;
		     x = hm_policy_list_next(&ia), y = hm_policy_list_next(&ib))
			if (strcmp(x, y) != 0)
				return 0;
		if (x || y)
			return 0;
	}
	return 1;
}

/* Encode @n layers into a fresh buffer of exactly the announced size. */
static char *encode(const struct hm_policy *layers, size_t n, int *rc)
{
	size_t size = hm_wire_encoded_size(layers, n);
	char *out = malloc(size);

	*rc = hm_wire_encode(layers, n, out, size);
	return out;
}

/* A hand-built binary record, hex-encoded by finish(). */
struct rec {
	unsigned char b[HM_POOL_MAX + 65536];
	size_t len;
};

static void r_u8(struct rec *r, unsigned v)
{
	r->b[r->len++] = (unsigned char)v;
}

static void r_u16(struct rec *r, unsigned v)
{
	r_u8(r, v & 0xff);
	r_u8(r, (v >> 8) & 0xff);
}

static void r_u32(struct rec *r, uint32_t v)
{
	r_u16(r, v & 0xffff);
	r_u16(r, v >> 16);
}

static void r_bytes(struct rec *r, const void *p, size_t n)
{
	memcpy(r->b + r->len, p, n);
	r->len += n;
}

static void r_str(struct rec *r, const char *s)
{
	r_u16(r, (unsigned)strlen(s));
	r_bytes(r, s, strlen(s));
}

static void r_head(struct rec *r, unsigned version, unsigned n_layers)
{
	r->len = 0;
	r_bytes(r, "HMPW", 4);
	r_u16(r, version);
	r_u16(r, n_layers);
}

/* A layer with no lists but the root (none when @root is ""). */
static void r_plain_layer(struct rec *r, uint32_t flags, const char *root)
{
	r_u32(r, flags);
	r_u32(r, root[0] ? 1 : 0);
	if (root[0])
		r_str(r, root);
	r_u32(r, 0);
	r_u32(r, 0);
	r_u32(r, 0);
	r_u32(r, 0);
}

static char *finish(struct rec *r)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t h = 0xcbf29ce484222325ull;
	char *out;
	size_t i;

	for (i = 0; i < r->len; i++)
		h = (h ^ r->b[i]) * 0x100000001b3ull;
	for (i = 0; i < 8; i++)
		r_u8(r, (h >> (8 * i)) & 0xff);
	out = malloc(2 * r->len + 1);
	for (i = 0; i < r->len; i++) {
		out[2 * i] = hex[r->b[i] >> 4];
		out[2 * i + 1] = hex[r->b[i] & 15];
	}
	out[2 * r->len] = '\0';
	return out;
}

static struct hm_policy scratch[HM_MAX_BASE];

static int decode(const char *text, size_t max, size_t *n)
{
	return hm_wire_decode(text, scratch, max, n);
}

/* A domain of exactly @len chars: labels of up to 63 chars. */
static void make_domain(char *buf, size_t len, char first)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (i % 64 == 63) ? '.' : 'a' + (char)(i % 26);
	buf[0] = first;
	buf[len] = '\0';
	if (buf[len - 1] == '.')
		buf[len - 1] = 'z';
}

/* An absolute path of exactly @len chars ("/d/dddd/..."). */
static void make_path(char *buf, size_t len, char c)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (i % 50 == 0) ? '/' : c;
	if (buf[len - 1] == '/')
		buf[len - 1] = c;
	buf[len] = '\0';
}

/* A dotted identifier of exactly @len chars. */
static void make_import(char *buf, size_t len, char c)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (i % 20 == 19) ? '.' : c;
	if (buf[len - 1] == '.')
		buf[len - 1] = c;
	buf[len] = '\0';
}

/*
 * Every list used, every string as long as the builders accept, and the
 * pool filled to its last byte (a final domain of exactly the bytes left).
 */
static int make_max_layer(struct hm_policy *p, char tag)
{
	char buf[HM_PATH_MAX + 8];
	size_t len, left;
	int i, rc = 0;

	hm_policy_init(p);
	p->flags = HM_F_BLOCK_NETWORK | HM_F_ALLOW_LOCALHOST |
		   HM_F_BLOCK_SUBPROCESS | HM_F_BLOCK_NATIVE |
		   HM_F_BLOCK_ENVIRONMENT | HM_F_BLOCK_CODE_EXEC |
		   HM_F_BLOCK_INTERP_MUTATION | HM_F_TRACE | HM_F_SEALED;
	make_path(buf, HM_PATH_MAX - 1, tag);
	rc |= hm_policy_set_root(p, buf);
	for (i = 0; i < 8; i++) {
		make_path(buf, HM_PATH_MAX - 1, (char)('a' + i));
		rc |= hm_policy_add_writable(p, buf);
	}
	for (i = 0; i < 32; i++) {
		make_import(buf, HM_IMPORT_MAX - 1, (char)('a' + i % 26));
		buf[1] = (char)('a' + i / 26);
		rc |= hm_policy_add_import(p, buf);
	}
	for (i = 0; i < 16; i++) {
		make_path(buf, HM_PATH_MAX - 1, (char)('a' + i));
		rc |= hm_policy_add_readable(p, buf);
	}
	/* Domains of 250 bytes (DNS caps names at 253) while they fit. */
	for (i = 0; HM_POOL_MAX - p->used > 2 * 251; i++) {
		make_domain(buf, 250, (char)('a' + i % 26));
		buf[1] = (char)('a' + (i / 26) % 26);
		buf[2] = (char)('a' + (i / 676) % 26);
		rc |= hm_policy_add_domain(p, buf);
	}
	/* The rest in two names, the last one ending the pool exactly. */
	left = HM_POOL_MAX - p->used;
	len = left / 2 - 1;
	make_domain(buf, len, 'y');
	rc |= hm_policy_add_domain(p, buf);
	len = HM_POOL_MAX - p->used - 1;
	make_domain(buf, len, 'z');
	rc |= hm_policy_add_domain(p, buf);
	rc |= p->used != HM_POOL_MAX;
	return rc;
}

/* ---- round trips ----------------------------------------------------------
 */

static void test_empty(void)
{
	size_t n = 99;
	char *text;
	int rc;

	text = encode(NULL, 0, &rc);
	CHECK_INT(rc, strlen(text), "empty: encode returns the length");
	CHECK_INT(strlen(text) + 1, hm_wire_encoded_size(NULL, 0),
		  "empty: size is exact");
	CHECK_INT(strlen(text), 32, "empty: header + checksum = 16 bytes");
	CHECK_INT(strspn(text, "0123456789abcdef"), strlen(text),
		  "empty: lower-case hex only");
	CHECK_INT(decode(text, HM_MAX_BASE, &n), 0, "empty: decodes");
	CHECK_INT(n, 0, "empty: zero layers");
	CHECK_INT(decode(text, 0, &n), 0, "empty: decodes with max 0");
	free(text);
}

static void test_one(void)
{
	static struct hm_policy p;
	size_t n = 0;
	char *text;
	int rc;

	hm_policy_init(&p);
	p.flags = HM_F_BLOCK_NETWORK | HM_F_ALLOW_LOCALHOST;
	OK(hm_policy_add_domain(&p, "example.com") == 0, "one: add domain");
	OK(hm_policy_set_root(&p, "/srv/data") == 0, "one: set root");
	OK(hm_policy_add_writable(&p, "/tmp/out") == 0, "one: add writable");
	OK(hm_policy_add_import(&p, "os.path") == 0, "one: add import");
	OK(hm_policy_add_readable(&p, "/opt/ref") == 0, "one: add readable");
	text = encode(&p, 1, &rc);
	CHECK_INT(rc, strlen(text), "one: encode");
	CHECK_INT(strlen(text) + 1, hm_wire_encoded_size(&p, 1),
		  "one: size is exact");
	CHECK_INT(decode(text, HM_MAX_BASE, &n), 0, "one: decode");
	CHECK_INT(n, 1, "one: one layer");
	OK(policy_eq(&p, &scratch[0]), "one: layer equal after round trip");
	CHECK_INT(decode(text, 1, &n), 0, "one: decodes with max 1");
	CHECK_INT(decode(text, 0, &n), -E2BIG, "one: max 0 is E2BIG");
	CHECK_INT(n, 0, "one: n is 0 on error");
	free(text);

	/* The fail-closed stand-in travels too. */
	hm_policy_make_invalid(&p);
	text = encode(&p, 1, &rc);
	CHECK_INT(rc, strlen(text), "invalid-stand-in: encodes");
	CHECK_INT(decode(text, 1, &n), 0, "invalid-stand-in: decodes");
	OK(n == 1 && (scratch[0].flags & HM_F_INVALID),
	   "invalid-stand-in: keeps HM_F_INVALID");
	free(text);
}

static void test_many_and_max(void)
{
	static struct hm_policy layers[HM_MAX_BASE + 1];
	size_t n = 0, i, size;
	char *text;
	int rc, eq = 1;

	for (i = 0; i < HM_MAX_BASE; i++) {
		hm_policy_init(&layers[i]);
		layers[i].flags = (uint32_t)(i % 2 ? HM_F_BLOCK_NETWORK
						   : HM_F_BLOCK_SUBPROCESS);
		if (i % 3 == 0)
			hm_policy_add_domain(&layers[i], "pypi.org");
		if (i % 4 == 0)
			hm_policy_set_root(&layers[i], "/opt");
	}
	text = encode(layers, HM_MAX_BASE, &rc);
	CHECK_INT(rc, strlen(text), "many: encode 32 layers");
	CHECK_INT(decode(text, HM_MAX_BASE, &n), 0, "many: decode");
	CHECK_INT(n, HM_MAX_BASE, "many: 32 layers");
	for (i = 0; i < n; i++)
		eq &= policy_eq(&layers[i], &scratch[i]);
	OK(eq, "many: every layer equal, in order");
	CHECK_INT(decode(text, HM_MAX_BASE - 1, &n), -E2BIG,
		  "many: 32 layers into 31 is E2BIG");
	free(text);
	CHECK_INT(hm_wire_encode(layers, HM_MAX_BASE + 1, NULL, 0), -EINVAL,
		  "many: more layers than any process holds is refused");

	OK(make_max_layer(&layers[0], 'm') == 0, "max: builders accept it");
	OK(strlen(hm_policy_root(&layers[0])) == HM_PATH_MAX - 1,
	   "max: 1023-byte root");
	OK(layers[0].used == HM_POOL_MAX, "max: the pool is full to its last "
					  "byte");
	OK(hm_policy_add_domain(&layers[0], "a") == -ENOSPC,
	   "max: one more entry is ENOSPC");
	OK(layers[0].used == HM_POOL_MAX && hm_policy_validate(&layers[0]) == 0,
	   "max: a refused add leaves the layer as it was");
	for (i = 1; i < HM_MAX_BASE; i++)
		hm_policy_copy(&layers[i], &layers[0]);
	size = hm_wire_encoded_size(layers, HM_MAX_BASE);
	text = malloc(size);
	CHECK_INT(hm_wire_encode(layers, HM_MAX_BASE, text, size - 1), -ENOSPC,
		  "max: one byte short is ENOSPC");
	rc = hm_wire_encode(layers, HM_MAX_BASE, text, size);
	CHECK_INT(rc, size - 1, "max: exact size fits");
	CHECK_INT(decode(text, HM_MAX_BASE, &n), 0, "max: decode");
	eq = n == HM_MAX_BASE;
	for (i = 0; i < n; i++)
		eq &= policy_eq(&layers[0], &scratch[i]);
	OK(eq, "max: 32 full layers equal after round trip");
	OK(hm_policy_equal(&layers[0], &scratch[HM_MAX_BASE - 1]),
	   "max: decoded bytes equal the built ones (hm_policy_equal)");
	free(text);
}

static void test_nospc(void)
{
	static struct hm_policy p;
	char buf[256];
	size_t size;

	hm_policy_init(&p);
	p.flags = HM_F_BLOCK_NATIVE;
	size = hm_wire_encoded_size(&p, 1);
	CHECK_INT(hm_wire_encode(&p, 1, buf, 0), -ENOSPC, "nospc: cap 0");
	CHECK_INT(hm_wire_encode(&p, 1, buf, size - 1), -ENOSPC,
		  "nospc: NUL does not fit");
	CHECK_INT(hm_wire_encode(&p, 1, buf, size), (int)size - 1,
		  "nospc: exact size (positive control)");
	CHECK_INT(hm_wire_encode(&p, 1, NULL, 100), -ENOSPC, "nospc: NULL out");
}

/* ---- malformed input ------------------------------------------------------
 */

static char *small_text(void)
{
	static struct hm_policy p;
	char *text;
	int rc;

	hm_policy_init(&p);
	p.flags = HM_F_BLOCK_NETWORK;
	hm_policy_add_domain(&p, "a.io");
	text = encode(&p, 1, &rc);
	return text;
}

static void test_shape(void)
{
	char *text = small_text();
	size_t len = strlen(text), n;
	char *t = malloc(len + 8);

	CHECK_INT(decode(text, 1, &n), 0, "shape: positive control");
	CHECK_INT(hm_wire_decode(NULL, scratch, 1, &n), -EINVAL, "shape: NULL");
	CHECK_INT(decode("", 1, &n), -EINVAL, "shape: empty text");

	memcpy(t, text, len + 1);
	strcat(t, "0");
	CHECK_INT(decode(t, 1, &n), -EINVAL, "shape: odd length");

	memcpy(t, text, len + 1);
	t[len / 2] = 'g';
	CHECK_INT(decode(t, 1, &n), -EINVAL, "shape: non-hex digit");
	memcpy(t, text, len + 1);
	t[10] = 'A';
	CHECK_INT(decode(t, 1, &n), -EINVAL, "shape: upper-case digit");
	memcpy(t, text, len + 1);
	t[10] = ' ';
	CHECK_INT(decode(t, 1, &n), -EINVAL, "shape: blank");

	memcpy(t, text, len + 1);
	strcat(t, "00");
	CHECK_INT(decode(t, 1, &n), -EINVAL, "shape: trailing byte");

	memcpy(t, text, len + 1);
	t[0] = t[0] == '0' ? '1' : '0';
	CHECK_INT(decode(t, 1, &n), -EINVAL, "shape: bad magic");

	memcpy(t, text, len + 1);
	t[8] = '0';
	t[9] = '3'; /* version 3 (checksum now wrong too: version wins) */
	CHECK_INT(decode(t, 1, &n), -EPROTO, "shape: unknown version");
	free(t);
	free(text);
}

static void test_every_byte_flip(void)
{
	static const char hex[] = "0123456789abcdef";
	char *text = small_text();
	size_t len = strlen(text), i, n;
	int all = 1, rc;
	char saved;

	for (i = 0; i < len; i += 2) {
		/* Flip one bit of byte i/2 by changing its low hex digit. */
		saved = text[i + 1];
		text[i + 1] = hex[(strchr(hex, saved) - hex) ^ 1];
		rc = decode(text, 1, &n);
		if (rc == 0 || n != 0) {
			all = 0;
			printf("#   byte %zu flipped still decodes\n", i / 2);
		}
		text[i + 1] = saved;
	}
	OK(all, "flip: every flipped byte is refused");
	CHECK_INT(decode(text, 1, &n), 0, "flip: restored text decodes");
	free(text);
}

static void test_truncation(void)
{
	char *text = small_text();
	size_t len = strlen(text), cut, n;
	char *t = malloc(len + 1);
	int all = 1;

	for (cut = 0; cut < len; cut++) {
		memcpy(t, text, cut);
		t[cut] = '\0';
		if (decode(t, 1, &n) == 0) {
			all = 0;
			printf("#   truncated at %zu still decodes\n", cut);
		}
	}
	OK(all, "truncation: every prefix is refused");
	free(t);
	free(text);
}

static void test_crafted(void)
{
	static struct rec r;
	char *t;
	char big[HM_PATH_MAX + 2];
	size_t n;
	int i;

	/* Positive control: the hand-built form matches the codec. */
	r_head(&r, 2, 1);
	r_plain_layer(&r, HM_F_FS_READONLY | HM_F_FS_ROOT, "/srv");
	t = finish(&r);
	CHECK_INT(decode(t, 1, &n), 0, "crafted: hand-built record decodes");
	OK(n == 1 && strcmp(hm_policy_root(&scratch[0]), "/srv") == 0,
	   "crafted: fields land where documented");
	free(t);

	/* A version-1 record (the fixed tables), as an older parent wrote. */
	r_head(&r, 1, 1);
	r_u32(&r, HM_F_FS_READONLY | HM_F_FS_ROOT);
	r_str(&r, "/srv");
	r_u16(&r, 0);
	r_u16(&r, 0);
	r_u16(&r, 0);
	r_u16(&r, 0);
	t = finish(&r);
	CHECK_INT(decode(t, 1, &n), -EPROTO, "crafted: version 1 is refused");
	OK(strstr(hm_wire_error(-EPROTO), "another policy format") != NULL,
	   "crafted: the version message names the format");
	free(t);
	r_head(&r, 3, 0);
	t = finish(&r);
	CHECK_INT(decode(t, 1, &n), -EPROTO, "crafted: version 3");
	free(t);
	r_head(&r, 0, 0);
	t = finish(&r);
	CHECK_INT(decode(t, 1, &n), -EPROTO, "crafted: version 0");
	free(t);

	r_head(&r, 2, HM_MAX_BASE + 1);
	for (i = 0; i < HM_MAX_BASE + 1; i++)
		r_plain_layer(&r, HM_F_BLOCK_NETWORK, "");
	t = finish(&r);
	CHECK_INT(decode(t, HM_MAX_BASE, &n), -E2BIG, "crafted: 33 layers");
	free(t);

	/* 2,000 domains and 200 holes: far beyond the old tables. */
	r_head(&r, 2, 1);
	r_u32(&r, HM_F_BLOCK_NETWORK | HM_F_FS_READONLY);
	r_u32(&r, 0);
	r_u32(&r, 2000);
	for (i = 0; i < 2000; i++) {
		char d[32];

		snprintf(d, sizeof(d), "host%d.example.com", i);
		r_str(&r, d);
	}
	r_u32(&r, 200);
	for (i = 0; i < 200; i++) {
		char d[32];

		snprintf(d, sizeof(d), "/tmp/hole%d", i);
		r_str(&r, d);
	}
	r_u32(&r, 0);
	r_u32(&r, 0);
	t = finish(&r);
	CHECK_INT(decode(t, 1, &n), 0, "crafted: 2000 domains, 200 holes");
	OK(scratch[0].n_domains == 2000 && scratch[0].n_writable == 200,
	   "crafted: every entry kept");
	free(t);

	/* The entries' bytes overflow the pool by one. */
	r_head(&r, 2, 1);
	r_u32(&r, HM_F_BLOCK_NETWORK);
	r_u32(&r, 0);
	r_u32(&r, HM_POOL_MAX / 128);
	for (i = 0; i < (int)(HM_POOL_MAX / 128); i++) {
		char d[200];

		make_domain(d, 127, (char)('a' + i % 26));
		d[1] = (char)('a' + (i / 26) % 26);
		d[2] = (char)('a' + (i / 676) % 26);
		if (i == 0)
			d[126] = '\0', d[125] = 'q'; /* 126 bytes + NUL */
		r_str(&r, d);
	}
	r_u32(&r, 1);
	r_str(&r, "/"); /* 2 more bytes: one past the pool */
	r_u32(&r, 0);
	r_u32(&r, 0);
	t = finish(&r);
	CHECK_INT(decode(t, 1, &n), -E2BIG, "crafted: one byte past the pool");
	free(t);

	r_head(&r, 2, 1);
	r_u32(&r, 0);
	r_u32(&r, 0);
	r_u32(&r, 0);
	r_u32(&r, 0);
	r_u32(&r, 0xffffffffu);
	t = finish(&r);
	CHECK_INT(decode(t, 1, &n), -EINVAL,
		  "crafted: 2^32-1 imports in an empty record");
	free(t);

	r_head(&r, 2, 1);
	r_u32(&r, HM_F_BLOCK_NETWORK);
	r_u32(&r, 0);
	r_u32(&r, 1);
	{
		char d[HM_DOMAIN_MAX + 1];

		make_domain(d, HM_DOMAIN_MAX, 'a');
		r_str(&r, d);
	}
	r_u32(&r, 0);
	r_u32(&r, 0);
	r_u32(&r, 0);
	t = finish(&r);
	CHECK_INT(decode(t, 1, &n), -E2BIG,
		  "crafted: a domain beyond HM_DOMAIN_MAX");
	free(t);

	make_path(big, HM_PATH_MAX, 'x');
	r_head(&r, 2, 1);
	r_plain_layer(&r, HM_F_FS_READONLY | HM_F_FS_ROOT, big);
	t = finish(&r);
	CHECK_INT(decode(t, 1, &n), -E2BIG, "crafted: 1024-byte root");
	free(t);

	r_head(&r, 2, 1);
	r_u32(&r, HM_F_FS_READONLY | HM_F_FS_ROOT);
	r_u32(&r, 1);
	r_u16(&r, 5);
	r_bytes(&r, "/a\0bc", 5);
	r_u32(&r, 0);
	r_u32(&r, 0);
	r_u32(&r, 0);
	r_u32(&r, 0);
	t = finish(&r);
	CHECK_INT(decode(t, 1, &n), -EINVAL, "crafted: NUL inside a string");
	free(t);

	r_head(&r, 2, 1);
	r_plain_layer(&r, HM_F_BLOCK_NETWORK, "");
	r_u8(&r, 0);
	t = finish(&r);
	CHECK_INT(decode(t, 1, &n), -EINVAL,
		  "crafted: trailing byte under a good checksum");
	free(t);

	r_head(&r, 2, 2);
	r_plain_layer(&r, HM_F_BLOCK_NETWORK, "");
	t = finish(&r);
	CHECK_INT(decode(t, 2, &n), -EINVAL,
		  "crafted: layer count larger than the record");
	free(t);

	r_head(&r, 2, 1);
	r_u32(&r, 0);
	r_u32(&r, 1);
	r_u16(&r, 200); /* string longer than the record */
	r_bytes(&r, "/x", 2);
	t = finish(&r);
	CHECK_INT(decode(t, 1, &n), -EINVAL,
		  "crafted: string length past the end");
	free(t);

	r_head(&r, 2, 1);
	r_plain_layer(&r, HM_F_FS_READONLY | HM_F_FS_ROOT, "relative/root");
	t = finish(&r);
	CHECK_INT(decode(t, 1, &n), -EINVAL, "crafted: relative fs_root");
	free(t);

	r_head(&r, 2, 1);
	r_plain_layer(&r, HM_F_FS_ROOT, "/srv");
	t = finish(&r);
	CHECK_INT(decode(t, 1, &n), -EINVAL,
		  "crafted: fs_root without fs_readonly");
	free(t);

	r_head(&r, 2, 1);
	r_plain_layer(&r, 1u << 30, "");
	t = finish(&r);
	CHECK_INT(decode(t, 1, &n), -EINVAL, "crafted: unknown flag bit");
	free(t);

	r_head(&r, 2, 1);
	r_u32(&r, HM_F_BLOCK_NETWORK);
	r_u32(&r, 0);
	r_u32(&r, 1);
	r_str(&r, "a..b");
	r_u32(&r, 0);
	r_u32(&r, 0);
	r_u32(&r, 0);
	t = finish(&r);
	CHECK_INT(decode(t, 1, &n), -EINVAL, "crafted: empty label in domain");
	free(t);
}

static void test_encode_invalid(void)
{
	static struct hm_policy p;
	char buf[512];
	int rc;

	hm_policy_init(&p);
	p.flags = HM_F_FS_READONLY | HM_F_FS_ROOT;
	strcpy(p.pool, "relative");
	p.n_root = 1;
	p.used = 9;
	for (int l = 0; l < HM_LIST_N; l++)
		p.end[l] = 9;
	CHECK_INT(hm_wire_encode(&p, 1, buf, sizeof(buf)), -EINVAL,
		  "encode: relative root refused");
	hm_policy_init(&p);
	p.n_domains = 5;
	CHECK_INT(hm_wire_encode(&p, 1, buf, sizeof(buf)), -EINVAL,
		  "encode: a count the pool does not hold is refused");
	hm_policy_init(&p);
	p.used = HM_POOL_MAX + 1;
	CHECK_INT(hm_wire_encode(&p, 1, buf, sizeof(buf)), -EINVAL,
		  "encode: used beyond the pool is refused");
	OK(hm_wire_encoded_size(&p, 1) > 0,
	   "encode: size of an invalid layer is still computed safely");
	hm_policy_init(&p);
	rc = hm_wire_encode(&p, 1, buf, sizeof(buf));
	CHECK_INT(rc, (int)strlen(buf),
		  "encode: empty layer (positive control)");
}

/*
 * Audit mode (HM_F_AUDIT) survives the wire in the outermost layer only:
 * in any inner layer hm_policy_env_decode refuses the whole policy.
 */
static void test_audit_outermost_only(void)
{
	static struct hm_policy in[2], out[HM_MAX_BASE];
	size_t n = 9;
	char *text;
	int rc;

	hm_policy_init(&in[0]);
	hm_policy_init(&in[1]);
	in[0].flags = HM_F_AUDIT | HM_F_BLOCK_NETWORK;
	in[1].flags = HM_F_BLOCK_SUBPROCESS;
	text = encode(in, 2, &rc);
	CHECK_INT(hm_policy_env_decode(text, out, HM_MAX_BASE, &n), 0,
		  "audit: accepted in the outermost layer");
	OK(n == 2 && (out[0].flags & HM_F_AUDIT), "audit: flag kept");
	free(text);

	in[0].flags = HM_F_BLOCK_NETWORK;
	in[1].flags = HM_F_AUDIT | HM_F_BLOCK_SUBPROCESS;
	text = encode(in, 2, &rc);
	CHECK_INT(rc, strlen(text), "audit: inner layer encodes");
	CHECK_INT(hm_policy_env_decode(text, out, HM_MAX_BASE, &n), -EPERM,
		  "audit: refused in an inner layer");
	CHECK_INT(n, 0, "audit: nothing decoded");
	free(text);
}

/* ---- red team: hostile input (appended) ---------------------------------- */

/* A deterministic xorshift32: the fuzz loop below is the same every run. */
static uint32_t rt_state = 0x9e3779b9u;

static uint32_t rt_rand(void)
{
	rt_state ^= rt_state << 13;
	rt_state ^= rt_state >> 17;
	rt_state ^= rt_state << 5;
	return rt_state;
}

/* Every op against @p with a few fixed arguments: must not crash. */
static void rt_exercise(const struct hm_policy *p)
{
	struct sockaddr_in in;
	struct hm_request rq;
	int op;

	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	in.sin_port = htons(80);
	in.sin_addr.s_addr = htonl(0xc6120005u); /* 198.18.0.5 */
	for (op = HM_OP_CONNECT; op <= HM_OP_RCMD; op++) {
		memset(&rq, 0, sizeof(rq));
		rq.op = (enum hm_op)op;
		rq.sa = (const struct sockaddr *)&in;
		rq.salen = sizeof(in);
		rq.resolved_name = "a.b.example.com";
		rq.name = op == HM_OP_IMPORT ? "pkg.sub" : "host.example.com";
		rq.path = "/srv/data/x";
		rq.flags = op == HM_OP_OPEN ? O_RDWR : 0;
		rq.domain = AF_INET;
		rq.type = SOCK_STREAM;
		(void)hm_policy_check(p, &rq);
	}
	(void)hm_policy_root(p);
}

/* The binary record of @text (hex) into @r, checksum dropped. */
static void rt_unhex(struct rec *r, const char *text)
{
	size_t len = strlen(text) / 2, i;
	unsigned hi, lo;

	for (i = 0; i < len; i++) {
		hi = (unsigned)(strchr("0123456789abcdef", text[2 * i]) -
				"0123456789abcdef");
		lo = (unsigned)(strchr("0123456789abcdef", text[2 * i + 1]) -
				"0123456789abcdef");
		r->b[i] = (unsigned char)(hi << 4 | lo);
	}
	r->len = len - 8;
}

/*
 * Structure fuzz: a checksum only catches accidents, so every mutant is
 * re-checksummed (finish) and reaches the structure parser. Whatever
 * the bytes, decoding must not crash, must leave *n = 0 when it fails,
 * and every layer it accepts must pass hm_policy_validate, survive every
 * check and round-trip through the encoder unchanged.
 */
static void test_redteam_fuzz(void)
{
	static struct hm_policy in[2];
	static struct rec base, r;
	size_t n, k, i, accepted = 0, bad = 0;
	char *text, *t, *again;
	int it, rc;

	hm_policy_init(&in[0]);
	in[0].flags = HM_F_BLOCK_NETWORK | HM_F_TRACE;
	hm_policy_set_root(&in[0], "/srv");
	hm_policy_add_domain(&in[0], "example.com");
	hm_policy_add_domain(&in[0], "10.1.2.3");
	hm_policy_add_writable(&in[0], "/srv/data");
	hm_policy_add_import(&in[0], "pkg.sub");
	hm_policy_add_readable(&in[0], "/etc/ssl");
	hm_policy_init(&in[1]);
	in[1].flags = HM_F_BLOCK_SUBPROCESS;
	hm_policy_add_domain(&in[1], "a.example.com");
	text = encode(in, 2, &rc);
	rt_unhex(&base, text);
	free(text);

	for (it = 0; it < 20000; it++) {
		memcpy(r.b, base.b, base.len);
		r.len = base.len;
		switch (rt_rand() % 6) {
		case 0: /* a few random bytes after the magic and version */
			for (k = 1 + rt_rand() % 3; k; k--)
				r.b[6 + rt_rand() % (r.len - 6)] =
				    (unsigned char)rt_rand();
			break;
		case 1: /* one byte to a boundary value */
			r.b[6 + rt_rand() % (r.len - 6)] = (unsigned char[]){
			    0, 0xff, 0x7f, 0x80, '.', '/', 'A'}[rt_rand() % 7];
			break;
		case 2: /* a u16 length or a u32 count to an extreme */
			i = 6 + rt_rand() % (r.len - 10);
			k = rt_rand() % 4;
			r.b[i] = k & 1 ? 0xff : 0x00;
			r.b[i + 1] = k & 2 ? 0xff : 0x00;
			if (rt_rand() & 1) {
				r.b[i + 2] = 0xff;
				r.b[i + 3] = rt_rand() & 1 ? 0xff : 0x7f;
			}
			break;
		case 3: /* cut the body short */
			r.len = 6 + rt_rand() % (r.len - 6);
			break;
		case 4: /* insert a byte */
			i = 6 + rt_rand() % (r.len - 6);
			memmove(r.b + i + 1, r.b + i, r.len - i);
			r.b[i] = (unsigned char)rt_rand();
			r.len++;
			break;
		default: /* drop a byte */
			i = 6 + rt_rand() % (r.len - 6);
			memmove(r.b + i, r.b + i + 1, r.len - i - 1);
			r.len--;
			break;
		}
		t = finish(&r);
		n = 99;
		rc = decode(t, HM_MAX_BASE, &n);
		free(t);
		if (rc < 0) {
			if (n != 0)
				bad++;
			continue;
		}
		accepted++;
		for (i = 0; i < n; i++) {
			if (hm_policy_validate(&scratch[i]) < 0)
				bad++;
			rt_exercise(&scratch[i]);
		}
		again = encode(scratch, n, &rc);
		if (rc < 0) {
			bad++;
		} else {
			static struct hm_policy back[HM_MAX_BASE];
			size_t m = 0;

			if (hm_wire_decode(again, back, HM_MAX_BASE, &m) < 0 ||
			    m != n)
				bad++;
			for (i = 0; i < m && i < n; i++)
				if (!hm_policy_equal(&back[i], &scratch[i]))
					bad++;
		}
		free(again);
	}
	printf("# redteam fuzz: %zu of 20000 mutants accepted\n", accepted);
	CHECK_INT(bad, 0,
		  "redteam fuzz: 20000 re-checksummed mutants: refusals leave "
		  "n = 0, every accepted layer validates and round-trips");
	OK(accepted > 0 && accepted < 20000,
	   "redteam fuzz: the mutants reach both outcomes (the loop can fail)");
}

/* A record with one entry of @len bytes in list @l (others empty). */
static char *rt_one_entry(struct rec *r, int l, size_t len, char c)
{
	char buf[HM_PATH_MAX + 8];
	uint32_t flags = HM_F_BLOCK_NETWORK;
	int k;

	if (l == HM_LIST_DOMAINS)
		make_domain(buf, len, c);
	else if (l == HM_LIST_IMPORTS)
		make_import(buf, len, c);
	else
		make_path(buf, len, c);
	if (l == HM_LIST_ROOT)
		flags |= HM_F_FS_ROOT | HM_F_FS_READONLY;
	r_head(r, 2, 1);
	r_u32(r, flags);
	for (k = 0; k < HM_LIST_N; k++) {
		r_u32(r, k == l ? 1 : 0);
		if (k == l)
			r_str(r, buf);
	}
	return finish(r);
}

static void test_redteam_crafted(void)
{
	static struct rec r;
	static const struct {
		int l;
		size_t len;
		int want;
		const char *name;
	} edge[] = {
	    {HM_LIST_DOMAINS, 253, 0, "redteam: a 253-byte domain (DNS max)"},
	    {HM_LIST_DOMAINS, 254, -EINVAL, "redteam: a 254-byte domain"},
	    {HM_LIST_DOMAINS, HM_DOMAIN_MAX - 1, -EINVAL,
	     "redteam: a domain of exactly HM_DOMAIN_MAX - 1 bytes"},
	    {HM_LIST_DOMAINS, HM_DOMAIN_MAX, -E2BIG,
	     "redteam: a domain of exactly HM_DOMAIN_MAX bytes"},
	    {HM_LIST_ROOT, HM_PATH_MAX - 1, 0,
	     "redteam: a root of exactly HM_PATH_MAX - 1 bytes"},
	    {HM_LIST_WRITABLE, HM_PATH_MAX - 1, 0,
	     "redteam: a hole of exactly HM_PATH_MAX - 1 bytes"},
	    {HM_LIST_READABLE, HM_PATH_MAX, -E2BIG,
	     "redteam: a readable path of exactly HM_PATH_MAX bytes"},
	    {HM_LIST_IMPORTS, HM_IMPORT_MAX - 1, 0,
	     "redteam: an import of exactly HM_IMPORT_MAX - 1 bytes"},
	    {HM_LIST_IMPORTS, HM_IMPORT_MAX, -E2BIG,
	     "redteam: an import of exactly HM_IMPORT_MAX bytes"},
	};
	char *t, *u;
	size_t n, i, len;
	int k;

	for (i = 0; i < sizeof(edge) / sizeof(edge[0]); i++) {
		t = rt_one_entry(&r, edge[i].l, edge[i].len, 'q');
		n = 99;
		CHECK_INT(decode(t, 1, &n), edge[i].want, edge[i].name);
		CHECK_INT(n, edge[i].want ? 0 : 1, "redteam: n matches");
		free(t);
	}

	/* 2^31 entries announced, two empty strings present. */
	r_head(&r, 2, 1);
	r_u32(&r, HM_F_BLOCK_NETWORK);
	r_u32(&r, 0);
	r_u32(&r, 0x80000000u);
	r_u16(&r, 0);
	r_u16(&r, 0);
	t = finish(&r);
	CHECK_INT(decode(t, 1, &n), -EINVAL, "redteam: 2^31 domains announced");
	free(t);

	/* 2^32-1 announced, then 2-byte strings until the pool overflows
	 * (each costs 4 record bytes and 3 pool bytes). */
	r_head(&r, 2, 1);
	r_u32(&r, HM_F_BLOCK_NETWORK);
	r_u32(&r, 0);
	r_u32(&r, 0xffffffffu);
	for (k = 0; k < (int)HM_POOL_MAX / 3 + 2; k++)
		r_str(&r, "ab");
	t = finish(&r);
	n = 99;
	CHECK_INT(decode(t, 1, &n), -E2BIG,
		  "redteam: 2^32-1 domains announced, the pool overflows");
	CHECK_INT(n, 0, "redteam: nothing decoded");
	free(t);

	/* Many empty entries that fit the pool: empty entries are invalid. */
	r_head(&r, 2, 1);
	r_u32(&r, HM_F_BLOCK_NETWORK);
	r_u32(&r, 0);
	r_u32(&r, 1000);
	for (k = 0; k < 1000; k++)
		r_u16(&r, 0);
	r_u32(&r, 0);
	r_u32(&r, 0);
	r_u32(&r, 0);
	t = finish(&r);
	CHECK_INT(decode(t, 1, &n), -EINVAL,
		  "redteam: 1000 empty domains are refused");
	free(t);

	/* Length 0xffff with the record ending right after it. */
	r_head(&r, 2, 1);
	r_u32(&r, 0);
	r_u32(&r, 1);
	r_u16(&r, 0xffff);
	t = finish(&r);
	CHECK_INT(decode(t, 1, &n), -E2BIG, "redteam: a 65535-byte root");
	free(t);

	/* A version-2 header on a version-1 body (fs_root as one str). */
	r_head(&r, 2, 1);
	r_u32(&r, HM_F_FS_READONLY | HM_F_FS_ROOT);
	r_str(&r, "/srv");
	r_u16(&r, 0);
	r_u16(&r, 0);
	r_u16(&r, 0);
	r_u16(&r, 0);
	t = finish(&r);
	n = 99;
	k = decode(t, 1, &n);
	OK(k < 0 && n == 0, "redteam: version-2 header on a version-1 body");
	free(t);

	/* More layers than the caller holds, even zero. */
	r_head(&r, 2, 1);
	r_plain_layer(&r, HM_F_BLOCK_NETWORK, "");
	t = finish(&r);
	CHECK_INT(hm_wire_decode(t, NULL, 0, &n), -E2BIG,
		  "redteam: one layer, room for none");
	/* Text-level damage of a good record. */
	len = strlen(t);
	u = malloc(len + 4);
	memcpy(u, t, len + 1);
	u[len - 3] = 'A';
	CHECK_INT(decode(u, 1, &n), -EINVAL, "redteam: an upper-case digit");
	memcpy(u, t, len + 1);
	u[len / 2] = '\0'; /* an embedded NUL: the C string ends early */
	CHECK_INT(decode(u, 1, &n), -EINVAL, "redteam: an embedded NUL");
	memcpy(u, t, len + 1);
	u[len] = '\n';
	u[len + 1] = '\0';
	CHECK_INT(decode(u, 1, &n), -EINVAL, "redteam: a trailing newline");
	memcpy(u, t, len + 1);
	u[len] = '0';
	u[len + 1] = '\0';
	CHECK_INT(decode(u, 1, &n), -EINVAL, "redteam: odd length");
	memcpy(u, t, len + 1);
	u[4] = 'g';
	CHECK_INT(decode(u, 1, &n), -EINVAL, "redteam: a non-hex digit");
	CHECK_INT(decode("", 1, &n), -EINVAL, "redteam: an empty string");
	CHECK_INT(decode(t, 1, &n), 0, "redteam: the undamaged record decodes");
	free(u);
	free(t);
}

/* A memfd holding @text, with @seals added (0: none). */
static int rt_memfd(const char *text, size_t len, int seals, char *ref,
		    size_t cap)
{
	struct stat st;
	int fd = (int)syscall(SYS_memfd_create, "rt", MFD_ALLOW_SEALING);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		return -1;
	if (seals && fcntl(fd, F_ADD_SEALS, seals) < 0)
		return -1;
	fstat(fd, &st);
	snprintf(ref, cap, "fd:%d:%llu:%llu", fd, (unsigned long long)st.st_ino,
		 (unsigned long long)st.st_dev);
	return fd;
}

static void test_redteam_memfd(void)
{
	static struct hm_policy in;
	const int all =
	    F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
	char ref[96], bad[128], *text;
	size_t n, len;
	int fd, rc;
	FILE *f;

	hm_policy_init(&in);
	in.flags = HM_F_BLOCK_NETWORK;
	text = encode(&in, 1, &rc);
	len = strlen(text);

	/* Positive control: the transport's own memfd. */
	fd = hm_policy_memfd(text, len, ref, sizeof(ref));
	OK(fd >= 0, "redteam memfd: hm_policy_memfd");
	CHECK_INT(hm_policy_env_decode(ref, scratch, 1, &n), 0,
		  "redteam memfd: its reference decodes");
	OK(ftruncate(fd, (off_t)len * 2) < 0 && write(fd, "00", 2) < 0,
	   "redteam memfd: it cannot be resized or written once named");
	close(fd);

	fd = rt_memfd(text, len, all, ref, sizeof(ref));
	CHECK_INT(hm_policy_env_decode(ref, scratch, 1, &n), 0,
		  "redteam memfd: a hand-made fully sealed memfd (control)");
	close(fd);

	fd = rt_memfd(text, len, 0, ref, sizeof(ref));
	n = 99;
	CHECK_INT(hm_policy_env_decode(ref, scratch, 1, &n), -EINVAL,
		  "redteam memfd: not sealed");
	CHECK_INT(n, 0, "redteam memfd: nothing decoded");
	/* Resized after it was named: still unsealed, still refused. */
	OK(ftruncate(fd, (off_t)len + 2) == 0, "redteam memfd: grown");
	CHECK_INT(hm_policy_env_decode(ref, scratch, 1, &n), -EINVAL,
		  "redteam memfd: grown after naming");
	close(fd);

	fd = rt_memfd(text, len, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE,
		      ref, sizeof(ref));
	CHECK_INT(hm_policy_env_decode(ref, scratch, 1, &n), -EINVAL,
		  "redteam memfd: sealed but F_SEAL_SEAL missing");
	close(fd);
	fd = rt_memfd(text, len, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW, ref,
		      sizeof(ref));
	CHECK_INT(hm_policy_env_decode(ref, scratch, 1, &n), -EINVAL,
		  "redteam memfd: writable (F_SEAL_WRITE missing)");
	close(fd);

	/* An embedded NUL in the memfd's text, sealed. */
	{
		char *z = malloc(len + 1);

		memcpy(z, text, len);
		z[len / 2] = '\0';
		fd = rt_memfd(z, len, all, ref, sizeof(ref));
		CHECK_INT(hm_policy_env_decode(ref, scratch, 1, &n), -EINVAL,
			  "redteam memfd: a NUL inside the sealed text");
		close(fd);
		free(z);
	}
	fd = rt_memfd("", 0, all, ref, sizeof(ref));
	CHECK_INT(hm_policy_env_decode(ref, scratch, 1, &n), -EINVAL,
		  "redteam memfd: an empty sealed memfd");
	/* The right descriptor number with another inode. */
	snprintf(bad, sizeof(bad), "fd:%d:1:1", fd);
	CHECK_INT(hm_policy_env_decode(bad, scratch, 1, &n), -EINVAL,
		  "redteam memfd: wrong inode and device");
	close(fd);

	/* A regular file at the named number. */
	f = tmpfile();
	if (f) {
		struct stat st;

		fputs(text, f);
		fflush(f);
		fstat(fileno(f), &st);
		snprintf(bad, sizeof(bad), "fd:%d:%llu:%llu", fileno(f),
			 (unsigned long long)st.st_ino,
			 (unsigned long long)st.st_dev);
		CHECK_INT(
		    hm_policy_env_decode(bad, scratch, 1, &n), -EINVAL,
		    "redteam memfd: a regular file is not a sealed memfd");
		fclose(f);
	}
	CHECK_INT(hm_policy_env_decode("fd:99999999999999999999999:1:1",
				       scratch, 1, &n),
		  -EINVAL, "redteam memfd: a descriptor number beyond 2^64");
	CHECK_INT(hm_policy_env_decode("fd:4294967299:1:1", scratch, 1, &n),
		  -EINVAL, "redteam memfd: a descriptor number beyond int");
	CHECK_INT(hm_policy_env_decode("fd:0:0:0x", scratch, 1, &n), -EINVAL,
		  "redteam memfd: trailing junk");
	CHECK_INT(hm_policy_env_decode("fd:", scratch, 1, &n), -EINVAL,
		  "redteam memfd: no number");
	CHECK_INT(hm_policy_env_decode("fd:-1:0:0", scratch, 1, &n), -EINVAL,
		  "redteam memfd: a negative number");
	free(text);
}

int main(void)
{
	test_audit_outermost_only();
	test_empty();
	test_one();
	test_many_and_max();
	test_nospc();
	test_shape();
	test_every_byte_flip();
	test_truncation();
	test_crafted();
	test_encode_invalid();
	test_redteam_fuzz();
	test_redteam_crafted();
	test_redteam_memfd();
	return tap_done();
}
