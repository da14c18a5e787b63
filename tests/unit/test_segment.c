/*
 * test_segment.c - unit tests of the per-process policy segment (create,
 * attach, push/pop, nesting as conjunction, sealed entries, snapshots,
 * counters, mapping protections, fork isolation, a concurrent
 * reader/writer run) and of exec-target inspection (exectarget.c has no
 * test file of its own).
 */
#include <arpa/inet.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "hermetic/hermetic.h"
#include "tap.h"

/* ---- helpers ------------------------------------------------------------ */

static struct hm_policy pol_flags(uint32_t flags)
{
	struct hm_policy p;

	hm_policy_init(&p);
	p.flags = flags;
	return p;
}

static struct hm_policy pol_root(const char *root)
{
	struct hm_policy p;

	hm_policy_init(&p);
	hm_policy_set_root(&p, root);
	return p;
}

static struct sockaddr_in loopback4(void)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(80);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sin;
}

static enum hm_reason check_connect_lo(struct hm_segment *s)
{
	struct sockaddr_in sin = loopback4();
	struct hm_request rq = {.op = HM_OP_CONNECT,
				.sa = (const struct sockaddr *)&sin,
				.salen = sizeof(sin)};

	return hm_segment_check(s, &rq);
}

static enum hm_reason check_read(struct hm_segment *s, const char *path)
{
	struct hm_request rq = {
	    .op = HM_OP_OPEN, .path = path, .flags = O_RDONLY};

	return hm_segment_check(s, &rq);
}

static enum hm_reason check_exec(struct hm_segment *s)
{
	struct hm_request rq = {.op = HM_OP_EXEC, .path = "/bin/true"};

	return hm_segment_check(s, &rq);
}

/* Every mapping line of /proc/self/maps naming @name. */
static int maps_count(const char *name)
{
	char buf[65536];
	ssize_t got, len = 0;
	int fd = open("/proc/self/maps", O_RDONLY), n = 0;
	const char *p;

	if (fd < 0)
		return -1;
	while ((got = read(fd, buf + len, sizeof(buf) - 1 - (size_t)len)) > 0)
		len += got;
	close(fd);
	buf[len] = '\0';
	for (p = buf; (p = strstr(p, name)); p++)
		n++;
	return n;
}

/* ---- create / attach ----------------------------------------------------- */

/* Map a zero-filled page (wrong magic everywhere). */
static void *map_decoy(void)
{
	return mmap(NULL, 65536, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/* A handshake as the shim exports it, for @seg. */
static struct hm_handshake handshake_for(const struct hm_segment *seg)
{
	struct hm_handshake h = {.magic = HM_HANDSHAKE_MAGIC,
				 .size = sizeof(struct hm_handshake),
				 .seg = seg};

	return h;
}

static void test_attach_edges(const struct hm_segment *s)
{
	struct hm_segment a, fake;
	struct hm_handshake h = handshake_for(s);
	void *decoy = map_decoy();

	h.magic ^= 1;
	CHECK_INT(hm_segment_attach(&a, &h), -EINVAL, "attach: bad magic");
	OK(!a.base && !a.dyn, "attach: zeroed after a bad magic");
	h = handshake_for(s);
	h.size--;
	CHECK_INT(hm_segment_attach(&a, &h), -EINVAL, "attach: bad size");
	h = handshake_for(NULL);
	CHECK_INT(hm_segment_attach(&a, &h), -EINVAL, "attach: no segment");
	fake = *s;
	fake.base = decoy;
	h = handshake_for(&fake);
	CHECK_INT(hm_segment_attach(&a, &h), -EINVAL,
		  "attach: an invalid base is EINVAL");
	fake = *s;
	fake.dyn = decoy;
	CHECK_INT(hm_segment_attach(&a, &h), -EINVAL,
		  "attach: an invalid dyn is EINVAL");
	fake.dyn = NULL;
	CHECK_INT(hm_segment_attach(&a, &h), -EINVAL,
		  "attach: base without dyn is EINVAL");
	fake = *s;
	CHECK_INT(hm_segment_attach(&a, &h), 0,
		  "attach: the same pointers (positive control)");
	CHECK_INT(hm_segment_attach(NULL, &h), -EINVAL, "attach: NULL out");
	if (decoy != MAP_FAILED)
		munmap(decoy, 65536);
}

static void test_create_attach(void)
{
	struct hm_policy base = pol_flags(HM_F_BLOCK_SUBPROCESS);
	struct hm_segment s, a;
	struct hm_handshake h;

	CHECK_INT(hm_segment_attach(&a, NULL), -ENOENT,
		  "attach: no handshake, nothing to attach to");
	OK(a.base == NULL && a.dyn == NULL, "attach: zeroed on failure");
	CHECK_INT(hm_segment_create(&s, &base, 1), 0, "create: one base layer");
	CHECK_INT(maps_count("/memfd:hermetic-base"), 1,
		  "create: base memfd mapped by name");
	CHECK_INT(maps_count("/memfd:hermetic-dyn"), 1,
		  "create: dyn memfd mapped by name");
	h = handshake_for(&s);
	CHECK_INT(hm_segment_attach(&a, &h), 0, "attach: finds it");
	OK(a.base == s.base && a.dyn == s.dyn, "attach: the same mappings");
	CHECK_INT(hm_segment_base_count(&a), 1, "attach: one base layer");
	CHECK_INT(hm_segment_dyn_count(&a), 0, "attach: no dynamic entries");
	OK(hm_segment_flags(&a) == HM_F_BLOCK_SUBPROCESS,
	   "flags: base OR only");
	CHECK_INT(check_exec(&a), HM_R_NO_SUBPROCESS, "check: base denies");
	CHECK_INT(check_connect_lo(&a), HM_R_NONE,
		  "check: unrelated op allowed (positive control)");
	OK(hm_segment_base_layer(&a, 0) &&
	       hm_segment_base_layer(&a, 0)->flags == HM_F_BLOCK_SUBPROCESS,
	   "base_layer: readable");
	OK(hm_segment_base_layer(&a, 1) == NULL, "base_layer: out of range");

	/* A fork child inherits the mappings and attaches to them. */
	{
		pid_t pid = fork();
		int st = 0;

		if (pid == 0) {
			struct hm_segment c;

			_exit(hm_segment_attach(&c, &h) == 0 && c.base == s.base
				  ? 0
				  : 1);
		}
		waitpid(pid, &st, 0);
		OK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		   "attach: works in a fork child");
	}
	test_attach_edges(&s);
}

/* The first entry of @p's list @l, or "". */
static const char *first(const struct hm_policy *p, enum hm_list l)
{
	struct hm_list_iter it;
	const char *e = hm_policy_list_first(p, l, &it);

	return e ? e : "";
}

static void test_create_errors(void)
{
	static struct hm_policy many[HM_MAX_BASE + 1];
	struct hm_policy bad = pol_flags(HM_F_FS_READONLY | HM_F_FS_ROOT);
	struct hm_segment s;
	size_t i;

	/* A relative root, stored raw: "relative\0" as the root list. */
	memcpy(bad.pool, "relative", 9);
	bad.n_root = 1;
	bad.used = 9;
	for (i = 0; i < HM_LIST_N; i++)
		bad.end[i] = 9;
	CHECK_INT(hm_segment_create(&s, &bad, 1), -EINVAL,
		  "create: invalid layer refused");
	OK(s.base == NULL && s.dyn == NULL, "create: zeroed on failure");
	for (i = 0; i < HM_MAX_BASE + 1; i++)
		many[i] = pol_flags(HM_F_BLOCK_NETWORK);
	CHECK_INT(hm_segment_create(&s, many, HM_MAX_BASE + 1), -E2BIG,
		  "create: 33 base layers refused");

	memset(&s, 0, sizeof(s));
	OK(hm_segment_flags(&s) & HM_F_INVALID,
	   "flags: an empty segment fails closed");
	OK((hm_segment_flags(&s) & HM_F_BLOCK_NETWORK) &&
	       (hm_segment_flags(&s) & HM_F_FS_ROOT),
	   "flags: fail-closed flags include the blocks");
	CHECK_INT(check_connect_lo(&s), HM_R_INVALID_POLICY,
		  "check: an empty segment denies");
	OK(hm_segment_flags(NULL) & HM_F_INVALID, "flags: NULL fails closed");
}

/* ---- protections ------------------------------------------------------------
 */

static void test_protections(void)
{
	struct hm_policy base = pol_flags(HM_F_BLOCK_NETWORK);
	long pg = sysconf(_SC_PAGESIZE);
	struct hm_segment s;
	char *p;
	int fd;

	CHECK_INT(hm_segment_create(&s, &base, 1), 0, "protect: create");
	CHECK_INT(mprotect((void *)s.base, (size_t)pg, PROT_READ), 0,
		  "protect: base mprotect(PROT_READ) works (control)");
	errno = 0;
	OK(mprotect((void *)s.base, (size_t)pg, PROT_READ | PROT_WRITE) != 0,
	   "protect: base cannot be mprotect'ed writable");
	CHECK_ERRNO(errno, EACCES, "protect: ... with EACCES");
	OK(mprotect((void *)s.dyn, (size_t)pg, PROT_READ | PROT_WRITE) == 0,
	   "protect: dyn stays writable (control)");

	/*
	 * The dyn memfd is write-sealed and then mapped MAP_PRIVATE writable:
	 * prove on this kernel that the sequence segment.c uses works and
	 * that the seal really holds for the file and shared mappings.
	 */
	fd = memfd_create("hermetic-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	OK(fd >= 0 && ftruncate(fd, pg) == 0, "seal: memfd");
	CHECK_INT(
	    fcntl(fd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL),
	    0, "seal: all seals");
	p = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	OK(p != MAP_FAILED, "seal: MAP_PRIVATE writable still maps");
	if (p != MAP_FAILED) {
		p[0] = 'x';
		OK(p[0] == 'x', "seal: private copy is writable");
		munmap(p, (size_t)pg);
	}
	OK(mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) ==
	       MAP_FAILED,
	   "seal: MAP_SHARED writable refused");
	OK(pwrite(fd, "y", 1, 0) < 0 && errno == EPERM, "seal: pwrite refused");
	OK(ftruncate(fd, 0) < 0 && errno == EPERM, "seal: shrink refused");
	OK(fcntl(fd, F_ADD_SEALS, 0) < 0, "seal: seals are sealed");
	close(fd);
}

/* ---- push / pop -----------------------------------------------------------
 */

static void test_nesting(void)
{
	struct hm_policy outer = pol_flags(HM_F_BLOCK_NETWORK);
	struct hm_policy inner =
	    pol_flags(HM_F_BLOCK_NETWORK | HM_F_ALLOW_LOCALHOST);
	struct hm_policy ra = pol_root("/a"), rb = pol_root("/b");
	uint32_t id_o, id_i, id_a, id_b;
	struct hm_segment s;

	CHECK_INT(hm_segment_create(&s, NULL, 0), 0, "nest: create empty");
	CHECK_INT(check_connect_lo(&s), HM_R_NONE, "nest: nothing active");
	OK(hm_segment_flags(&s) == 0, "nest: no flags");
	CHECK_INT(hm_segment_push(&s, &outer, 0, &id_o), 0, "nest: push outer");
	OK(hm_segment_flags(&s) & HM_F_BLOCK_NETWORK, "nest: flags see it");
	CHECK_INT(check_connect_lo(&s), HM_R_NO_NETWORK,
		  "nest: outer blocks loopback");
	CHECK_INT(hm_segment_push(&s, &inner, 0, &id_i), 0, "nest: push inner");
	CHECK_INT(hm_segment_dyn_count(&s), 2, "nest: two entries");
	CHECK_INT(check_connect_lo(&s), HM_R_NO_NETWORK,
		  "nest: inner allow_localhost does NOT re-open loopback");
	CHECK_INT(hm_segment_pop(&s, id_o), 0, "nest: pop outer first");
	CHECK_INT(check_connect_lo(&s), HM_R_NONE,
		  "nest: inner alone allows loopback (control)");
	CHECK_INT(hm_segment_pop(&s, id_i), 0, "nest: pop inner");
	OK(hm_segment_flags(&s) == 0, "nest: flags narrowed again");

	CHECK_INT(hm_segment_push(&s, &ra, 0, &id_a), 0, "root: push /a");
	CHECK_INT(check_read(&s, "/a/x"), HM_R_NONE,
		  "root: /a/x readable under /a (control)");
	CHECK_INT(check_read(&s, "/b/x"), HM_R_FS_ROOT,
		  "root: /b/x denied under /a");
	CHECK_INT(hm_segment_push(&s, &rb, 0, &id_b), 0, "root: push /b");
	CHECK_INT(check_read(&s, "/a/x"), HM_R_FS_ROOT,
		  "root: /a + /b intersect: /a/x denied");
	CHECK_INT(check_read(&s, "/b/x"), HM_R_FS_ROOT,
		  "root: /a + /b intersect: /b/x denied");
	CHECK_INT(hm_segment_pop(&s, id_b), 0, "root: pop /b");
	CHECK_INT(hm_segment_pop(&s, id_a), 0, "root: pop /a");
	CHECK_INT(check_read(&s, "/b/x"), HM_R_NONE, "root: all popped");
	CHECK_INT(hm_segment_pop(&s, id_a), -ENOENT, "pop: twice is ENOENT");
	CHECK_INT(hm_segment_pop(&s, 0), -ENOENT, "pop: id 0 is ENOENT");
	CHECK_INT(hm_segment_push(&s, NULL, 0, &id_a), -EINVAL,
		  "push: NULL policy");
	ra.n_domains = 7; /* a count the pool does not hold */
	CHECK_INT(hm_segment_push(&s, &ra, 0, &id_a), -EINVAL,
		  "push: invalid policy refused");
	CHECK_INT(hm_segment_dyn_count(&s), 0, "push: refused push left none");
}

/* Resolve @name against every layer of @s. */
static enum hm_reason check_resolve_name(struct hm_segment *s, const char *name)
{
	struct hm_request rq = {.op = HM_OP_RESOLVE, .name = name};

	return hm_segment_check(s, &rq);
}

/*
 * A slot reused by a shorter string must not keep the old tail: the
 * segment clears only the bytes the previous value used.
 */
static void test_slot_reuse(void)
{
	struct hm_policy a = pol_flags(HM_F_BLOCK_NETWORK);
	struct hm_policy b = pol_flags(HM_F_BLOCK_NETWORK);
	struct hm_segment s;
	uint32_t id;

	CHECK_INT(hm_policy_add_domain(&a, "aaaa.example.com"), 0,
		  "reuse: long domain");
	CHECK_INT(hm_policy_add_domain(&b, "aaaa.example.co"), 0,
		  "reuse: shorter domain");
	CHECK_INT(hm_segment_create(&s, NULL, 0), 0, "reuse: create");
	CHECK_INT(hm_segment_push(&s, &a, 0, &id), 0, "reuse: push long");
	CHECK_INT(check_resolve_name(&s, "x.aaaa.example.com"), HM_R_NONE,
		  "reuse: long allowed while pushed (control)");
	CHECK_INT(hm_segment_pop(&s, id), 0, "reuse: pop long");
	CHECK_INT(hm_segment_push(&s, &b, 0, &id), 0, "reuse: push shorter");
	CHECK_INT(check_resolve_name(&s, "x.aaaa.example.co"), HM_R_NONE,
		  "reuse: the shorter domain is what the slot holds");
	CHECK_INT(check_resolve_name(&s, "x.aaaa.example.com"), HM_R_NO_NETWORK,
		  "reuse: the old tail is gone");
	CHECK_INT(hm_segment_pop(&s, id), 0, "reuse: pop shorter");
}

static void test_order_and_sealed(void)
{
	struct hm_policy net = pol_flags(HM_F_BLOCK_NETWORK);
	struct hm_policy exe = pol_flags(HM_F_BLOCK_SUBPROCESS);
	struct hm_policy nat = pol_flags(HM_F_BLOCK_NATIVE);
	struct hm_policy sealed_flag =
	    pol_flags(HM_F_BLOCK_ENVIRONMENT | HM_F_SEALED);
	uint32_t a, b, c, d, e, ids[HM_MAX_DYN];
	struct hm_segment s;
	int i, rc = 0;

	CHECK_INT(hm_segment_create(&s, NULL, 0), 0, "order: create");
	hm_segment_push(&s, &net, 0, &a);
	hm_segment_push(&s, &exe, 0, &b);
	hm_segment_push(&s, &nat, 0, &c);
	OK(a != b && b != c && a != c && a && b && c, "order: distinct ids");
	CHECK_INT(hm_segment_pop(&s, b), 0, "order: pop the middle one");
	CHECK_INT(hm_segment_dyn_count(&s), 2, "order: two left");
	OK(hm_segment_flags(&s) == (HM_F_BLOCK_NETWORK | HM_F_BLOCK_NATIVE),
	   "order: flags recomputed");
	CHECK_INT(check_exec(&s), HM_R_NONE, "order: middle entry gone");
	CHECK_INT(check_connect_lo(&s), HM_R_NO_NETWORK,
		  "order: first still active");
	CHECK_INT(hm_segment_pop(&s, a), 0, "order: pop the first");
	CHECK_INT(check_connect_lo(&s), HM_R_NONE, "order: first gone");
	OK(hm_segment_flags(&s) == HM_F_BLOCK_NATIVE, "order: last remains");
	CHECK_INT(hm_segment_pop(&s, c), 0, "order: pop the last");

	CHECK_INT(hm_segment_push(&s, &exe, 1, &d), 0, "sealed: push sealed");
	CHECK_INT(hm_segment_pop(&s, d), -EPERM, "sealed: pop is EPERM");
	CHECK_INT(check_exec(&s), HM_R_NO_SUBPROCESS, "sealed: still active");
	CHECK_INT(hm_segment_push(&s, &sealed_flag, 0, &e), 0,
		  "sealed: push a policy flagged HM_F_SEALED");
	{
		struct hm_policy aud = pol_flags(HM_F_AUDIT);
		struct hm_policy aud_net =
		    pol_flags(HM_F_AUDIT | HM_F_BLOCK_NETWORK);
		uint32_t x = 0;

		/* Audit belongs to the launcher's base layer only. */
		CHECK_INT(hm_segment_push(&s, &aud, 0, &x), -EPERM,
			  "audit: a pushed layer cannot carry HM_F_AUDIT");
		CHECK_INT(hm_segment_push(&s, &aud_net, 0, &x), -EPERM,
			  "audit: not even with a block flag");
		OK(!(hm_segment_flags(&s) & HM_F_AUDIT),
		   "audit: the refused push left no flag behind");
	}
	CHECK_INT(hm_segment_pop(&s, e), -EPERM,
		  "sealed: the flag seals the entry too");

	for (i = 2; i < HM_MAX_DYN; i++)
		rc |= hm_segment_push(&s, &net, 0, &ids[i]);
	CHECK_INT(rc, 0, "full: 32 entries fit");
	CHECK_INT(hm_segment_dyn_count(&s), HM_MAX_DYN, "full: count 32");
	CHECK_INT(hm_segment_push(&s, &net, 0, &a), -ENOSPC,
		  "full: the 33rd is ENOSPC");
	CHECK_INT(hm_segment_pop(&s, ids[10]), 0, "full: pop one");
	CHECK_INT(hm_segment_push(&s, &net, 0, &a), 0, "full: room again");
}

/* ---- snapshot --------------------------------------------------------------
 */

static void test_snapshot(void)
{
	static struct hm_policy base[HM_MAX_BASE], out[HM_MAX_BASE];
	struct hm_policy dyn1 = pol_flags(HM_F_BLOCK_NETWORK);
	struct hm_policy dyn2 = pol_root("/srv");
	struct hm_segment s;
	size_t size, n = 0, i;
	uint32_t id1, id2;
	char *text;
	int rc;

	CHECK_INT(hm_segment_create(&s, NULL, 0), 0, "snap: create empty");
	size = hm_segment_snapshot_size(&s);
	text = malloc(size);
	CHECK_INT(hm_segment_snapshot(&s, text, size), 0,
		  "snap: no layers gives 0");
	CHECK_STR(text, "", "snap: ... and an empty string");
	free(text);

	base[0] = pol_flags(HM_F_BLOCK_SUBPROCESS);
	hm_policy_add_domain(&base[1], "example.org");
	base[1].flags |= HM_F_BLOCK_NETWORK;
	CHECK_INT(hm_segment_create(&s, base, 2), 0, "snap: create 2 base");
	hm_segment_push(&s, &dyn1, 0, &id1);
	hm_segment_push(&s, &dyn2, 1, &id2);
	size = hm_segment_snapshot_size(&s);
	text = malloc(size);
	CHECK_INT(hm_segment_snapshot(&s, text, size - 1), -ENOSPC,
		  "snap: one byte short is ENOSPC");
	rc = hm_segment_snapshot(&s, text, size);
	CHECK_INT(rc, (int)strlen(text), "snap: returns the length");
	CHECK_INT((size_t)rc + 1, size, "snap: size exact when idle");
	CHECK_INT(hm_wire_decode(text, out, HM_MAX_BASE, &n), 0,
		  "snap: decodes");
	CHECK_INT(n, 4, "snap: base + dyn = 4 layers");
	OK(n == 4 && out[0].flags == HM_F_BLOCK_SUBPROCESS &&
	       strcmp(first(&out[1], HM_LIST_DOMAINS), "example.org") == 0 &&
	       out[2].flags == HM_F_BLOCK_NETWORK &&
	       strcmp(hm_policy_root(&out[3]), "/srv") == 0,
	   "snap: base layers first, then dynamic entries in order");
	free(text);

	/* 32 base layers + 1 dynamic entry cannot be handed down. */
	for (i = 0; i < HM_MAX_BASE; i++)
		base[i] = pol_flags(HM_F_BLOCK_NATIVE);
	CHECK_INT(hm_segment_create(&s, base, HM_MAX_BASE), 0,
		  "e2big: 32 base layers");
	size = hm_segment_snapshot_size(&s);
	text = malloc(size + 1024);
	rc = hm_segment_snapshot(&s, text, size);
	CHECK_INT(rc, (int)size - 1, "e2big: 32 layers fit (control)");
	hm_segment_push(&s, &dyn1, 0, &id1);
	CHECK_INT(hm_segment_snapshot(&s, text, size + 1024), -E2BIG,
		  "e2big: 33 layers refused");
	CHECK_INT(hm_segment_pop(&s, id1), 0, "e2big: pop");
	CHECK_INT(hm_segment_snapshot(&s, text, size), (int)size - 1,
		  "e2big: fits again");
	free(text);
}

/* ---- counters ---------------------------------------------------------------
 */

static void test_counters(void)
{
	struct hm_policy p = pol_flags(HM_F_BLOCK_NETWORK | HM_F_BLOCK_NATIVE);
	struct hm_request dl = {.op = HM_OP_DLOPEN, .path = "libm.so.6"};
	struct hm_request res = {.op = HM_OP_RESOLVE, .name = "example.com"};
	struct hm_segment s;
	uint32_t id;

	CHECK_INT(hm_segment_create(&s, NULL, 0), 0, "count: create");
	CHECK_INT(hm_segment_count(&s, HM_FAM_NETWORK), 0, "count: zero");
	check_connect_lo(&s);
	CHECK_INT(hm_segment_count(&s, HM_FAM_NETWORK), 0,
		  "count: an allow does not count");
	hm_segment_push(&s, &p, 0, &id);
	check_connect_lo(&s);
	hm_segment_check(&s, &res);
	CHECK_INT(hm_segment_count(&s, HM_FAM_NETWORK), 2,
		  "count: two network denials");
	hm_segment_check(&s, &dl);
	CHECK_INT(hm_segment_count(&s, HM_FAM_NATIVE), 1,
		  "count: one native denial");
	CHECK_INT(hm_segment_count(&s, HM_FAM_SUBPROCESS), 0,
		  "count: other families untouched");
	CHECK_INT(hm_segment_count(&s, HM_FAM_COUNT), 0,
		  "count: out of range is 0");
	CHECK_INT(hm_op_family(HM_OP_OPEN), HM_FAM_FILESYSTEM,
		  "family: open is filesystem");
	CHECK_INT(hm_op_family(HM_OP_EXEC), HM_FAM_SUBPROCESS,
		  "family: exec is subprocess");
	CHECK_INT(hm_op_family(HM_OP_IMPORT), HM_FAM_PYTHON,
		  "family: import is python");
}

/*
 * hm_segment_check skips layers that cannot deny an op: it must agree with
 * evaluating every layer with hm_policy_check.
 */
static void test_matches_conjunction(void)
{
	struct hm_policy layers[6];
	struct sockaddr_in lo = loopback4();
	const struct hm_request rqs[] = {
	    {.op = HM_OP_CONNECT,
	     .sa = (const struct sockaddr *)&lo,
	     .salen = sizeof(lo)},
	    {.op = HM_OP_RESOLVE, .name = "example.com"},
	    {.op = HM_OP_SOCKET, .domain = AF_PACKET, .type = SOCK_RAW},
	    {.op = HM_OP_EXEC, .path = "/bin/sh"},
	    {.op = HM_OP_OPEN, .path = "/etc/passwd", .flags = O_RDONLY},
	    {.op = HM_OP_OPEN, .path = "/tmp/x", .flags = O_WRONLY},
	    {.op = HM_OP_OPEN, .path = "/proc/self/mem", .flags = O_RDWR},
	    {.op = HM_OP_MUTATE, .path = "/tmp/x"},
	    {.op = HM_OP_DLOPEN, .path = "libm.so.6"},
	    {.op = HM_OP_ENV},
	    {.op = HM_OP_CODE_EXEC},
	    {.op = HM_OP_INTERP},
	    {.op = HM_OP_IMPORT, .name = "ctypes"},
	    {.op = HM_OP_IMPORT, .name = "json"},
	};
	struct hm_segment s;
	size_t i, j, k, bad = 0;
	uint32_t id;

	layers[0] = pol_flags(HM_F_TRACE);
	layers[1] = pol_flags(HM_F_BLOCK_ENVIRONMENT | HM_F_BLOCK_CODE_EXEC);
	hm_policy_init(&layers[2]);
	hm_policy_add_import(&layers[2], "ctypes");
	layers[3] = pol_flags(HM_F_BLOCK_INTERP_MUTATION | HM_F_FS_READONLY);
	layers[4] = pol_root("/srv");
	layers[5] = pol_flags(HM_F_BLOCK_NETWORK | HM_F_BLOCK_SUBPROCESS |
			      HM_F_BLOCK_NATIVE);
	/* Each layer alone, as base and as a dynamic entry. */
	for (j = 0; j < 6; j++) {
		for (k = 0; k < 2; k++) {
			if (k == 0) {
				hm_segment_create(&s, &layers[j], 1);
			} else {
				hm_segment_create(&s, NULL, 0);
				hm_segment_push(&s, &layers[j], 0, &id);
			}
			for (i = 0; i < sizeof(rqs) / sizeof(rqs[0]); i++) {
				enum hm_reason want =
				    hm_policy_check(&layers[j], &rqs[i]);

				if (hm_segment_check(&s, &rqs[i]) != want) {
					bad++;
					printf("#   layer %zu op %d differs\n",
					       j, rqs[i].op);
				}
			}
		}
	}
	CHECK_INT(bad, 0, "skip: segment verdicts equal hm_policy_check");
}

/* ---- fork -------------------------------------------------------------------
 */

static void test_fork(void)
{
	struct hm_policy exe = pol_flags(HM_F_BLOCK_SUBPROCESS);
	struct hm_policy net = pol_flags(HM_F_BLOCK_NETWORK);
	struct hm_segment s;
	uint32_t id;
	int st = 0;
	pid_t pid;

	CHECK_INT(hm_segment_create(&s, NULL, 0), 0, "fork: create");
	hm_segment_push(&s, &exe, 0, &id);
	pid = fork();
	if (pid == 0) {
		uint32_t cid;
		int ok = check_exec(&s) == HM_R_NO_SUBPROCESS &&
			 hm_segment_push(&s, &net, 0, &cid) == 0 &&
			 hm_segment_pop(&s, id) == 0 &&
			 check_connect_lo(&s) == HM_R_NO_NETWORK &&
			 check_exec(&s) == HM_R_NONE;

		_exit(ok ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	OK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "fork: child inherits the stack and can change its copy");
	CHECK_INT(hm_segment_dyn_count(&s), 1, "fork: parent count unchanged");
	CHECK_INT(check_exec(&s), HM_R_NO_SUBPROCESS,
		  "fork: child's pop invisible to the parent");
	CHECK_INT(check_connect_lo(&s), HM_R_NONE,
		  "fork: child's push invisible to the parent");
	OK(hm_segment_flags(&s) == HM_F_BLOCK_SUBPROCESS,
	   "fork: parent flags unchanged");
}

/* ---- concurrency
 * -------------------------------------------------------------- */

#define WRITER_ROUNDS 50000
#define READERS 2

static struct hm_segment conc;
static atomic_int writer_done;
static uint32_t conc_first; /* pushed before any thread starts */

static void *writer(void *arg)
{
	struct hm_policy deny = pol_flags(HM_F_BLOCK_SUBPROCESS);
	struct hm_policy other = pol_root("/srv");
	uint32_t keep = conc_first, next, extra;
	int i;

	(void)arg;
	hm_policy_add_domain(&deny, "example.com");
	for (i = 0; i < WRITER_ROUNDS; i++) {
		/* Always at least one denying entry: push before pop. */
		hm_segment_push(&conc, &other, 0, &extra);
		hm_segment_push(&conc, &deny, 0, &next);
		hm_segment_pop(&conc, keep);
		keep = next;
		hm_segment_pop(&conc, extra);
	}
	atomic_store(&writer_done, 1);
	return NULL;
}

struct reader_result {
	long reads, allowed, garbage, failed_closed, snaps, bad_snaps;
};

static void *reader(void *arg)
{
	static struct hm_policy out[HM_MAX_BASE];
	struct reader_result *res = arg;
	char *text = malloc(1 << 20);
	enum hm_reason r;
	size_t n, i;
	int rc, found;

	while (!atomic_load(&writer_done)) {
		r = check_exec(&conc);
		res->reads++;
		if (r == HM_R_NONE)
			res->allowed++;
		else if (r == HM_R_INVALID_POLICY)
			res->failed_closed++;
		else if (r != HM_R_NO_SUBPROCESS)
			res->garbage++;
		if (!(hm_segment_flags(&conc) & HM_F_BLOCK_SUBPROCESS))
			res->allowed++;
		if (res->reads % 64)
			continue;
		/* Snapshots too: one reader thread only (static out). */
		res->snaps++;
		rc = hm_segment_snapshot(&conc, text, 1 << 20);
		if (rc == -EAGAIN) {
			/* No consistent read in time: the spawn is refused. */
			res->failed_closed++;
			continue;
		}
		found = 0;
		if (rc > 0 && hm_wire_decode(text, out, HM_MAX_BASE, &n) == 0) {
			for (i = 0; i < n; i++)
				found |=
				    !!(out[i].flags & HM_F_BLOCK_SUBPROCESS);
		}
		if (!found)
			res->bad_snaps++;
	}
	free(text);
	return NULL;
}

static void *reader_nosnap(void *arg)
{
	struct reader_result *res = arg;
	enum hm_reason r;

	while (!atomic_load(&writer_done)) {
		r = check_exec(&conc);
		res->reads++;
		if (r == HM_R_NONE)
			res->allowed++;
		else if (r == HM_R_INVALID_POLICY)
			res->failed_closed++;
		else if (r != HM_R_NO_SUBPROCESS)
			res->garbage++;
	}
	return NULL;
}

static void test_concurrent(void)
{
	struct reader_result res[READERS];
	pthread_t w, rd[READERS];
	long reads = 0, allowed = 0, garbage = 0, closed = 0;
	struct hm_policy first = pol_flags(HM_F_BLOCK_SUBPROCESS);
	int i;

	memset(res, 0, sizeof(res));
	CHECK_INT(hm_segment_create(&conc, NULL, 0), 0, "conc: create");
	CHECK_INT(hm_segment_push(&conc, &first, 0, &conc_first), 0,
		  "conc: first denying entry pushed before the threads start");
	pthread_create(&w, NULL, writer, NULL);
	pthread_create(&rd[0], NULL, reader, &res[0]);
	for (i = 1; i < READERS; i++)
		pthread_create(&rd[i], NULL, reader_nosnap, &res[i]);
	pthread_join(w, NULL);
	for (i = 0; i < READERS; i++) {
		pthread_join(rd[i], NULL);
		reads += res[i].reads;
		allowed += res[i].allowed;
		garbage += res[i].garbage;
		closed += res[i].failed_closed;
	}
	printf("# conc: %ld reads, %ld snapshots, %ld failed closed\n", reads,
	       res[0].snaps, closed);
	OK(reads > 0, "conc: readers ran");
	CHECK_INT(allowed, 0, "conc: never an allow while a deny is pushed");
	CHECK_INT(garbage, 0, "conc: never a wrong reason");
	CHECK_INT(res[0].bad_snaps, 0,
		  "conc: every snapshot decodes and holds the deny");
	CHECK_INT(hm_segment_dyn_count(&conc), 1, "conc: writer left one");
}

/*
 * Torn reads of the string pool: the writer keeps replacing a 2,000-domain
 * layer with a one-domain layer (and back), so slots are refilled with a
 * different layout while readers walk the domain lists. Both layers block
 * the network and neither names "x.other.example": every read must deny
 * it, and a name only the big layer holds may go either way.
 */
static struct hm_segment pconc;
static atomic_int pwriter_done;
static uint32_t pconc_first; /* pushed before the threads start */

static void *pool_writer(void *arg)
{
	static struct hm_policy big, small;
	uint32_t keep = pconc_first, next;
	char name[64];
	int i;

	(void)arg;
	hm_policy_init(&big);
	hm_policy_init(&small);
	big.flags = small.flags = HM_F_BLOCK_NETWORK;
	for (i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "host%04d.mirror.example", i);
		hm_policy_add_domain(&big, name);
	}
	hm_policy_add_domain(&small, "a.example");
	for (i = 0; i < 4000; i++) {
		hm_segment_push(&pconc, i % 2 ? &small : &big, 0, &next);
		hm_segment_pop(&pconc, keep);
		keep = next;
	}
	atomic_store(&pwriter_done, 1);
	return NULL;
}

static void *pool_reader(void *arg)
{
	struct hm_request out = {.op = HM_OP_RESOLVE,
				 .name = "x.other.example"};
	struct hm_request in = {.op = HM_OP_RESOLVE,
				.name = "api.host1999.mirror.example"};
	long *bad = arg;
	enum hm_reason r;

	while (!atomic_load(&pwriter_done)) {
		r = hm_segment_check(&pconc, &out);
		if (r != HM_R_NO_NETWORK && r != HM_R_INVALID_POLICY)
			bad[0]++;
		r = hm_segment_check(&pconc, &in);
		if (r != HM_R_NONE && r != HM_R_NO_NETWORK &&
		    r != HM_R_INVALID_POLICY)
			bad[0]++;
		bad[1]++;
	}
	return NULL;
}

static void test_concurrent_pool(void)
{
	pthread_t w, rd;
	long res[2] = {0, 0};

	static struct hm_policy first;

	hm_policy_init(&first);
	first.flags = HM_F_BLOCK_NETWORK;
	CHECK_INT(hm_segment_create(&pconc, NULL, 0), 0, "pconc: create");
	CHECK_INT(hm_segment_push(&pconc, &first, 0, &pconc_first), 0,
		  "pconc: a denying entry before the threads start");
	pthread_create(&w, NULL, pool_writer, NULL);
	pthread_create(&rd, NULL, pool_reader, res);
	pthread_join(w, NULL);
	pthread_join(rd, NULL);
	printf("# pconc: %ld read pairs\n", res[1]);
	OK(res[1] > 0, "pconc: the reader ran");
	CHECK_INT(res[0], 0,
		  "pconc: never an allow of an unlisted name, never a wrong "
		  "reason, while slots change layout");
}

/* ---- exec targets ---------------------------------------------------------
 */

static char tmpdir[] = "/tmp/hm-test-exec-XXXXXX";

static const char *tmp_path(const char *name)
{
	static char buf[4][256];
	static int k;
	char *p = buf[k++ % 4];

	snprintf(p, 256, "%s/%s", tmpdir, name);
	return p;
}

static void write_file(const char *path, const void *data, size_t len,
		       mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0700);

	if (fd >= 0) {
		if (write(fd, data, len) != (ssize_t)len)
			printf("# short write to %s\n", path);
		close(fd);
	}
	chmod(path, mode);
}

/* A minimal native ELF64 image: header + @nph program headers. */
static size_t make_elf(unsigned char *buf, int with_interp, int phentsize,
		       int type)
{
	Elf64_Ehdr *e = (Elf64_Ehdr *)buf;
	Elf64_Phdr *ph = (Elf64_Phdr *)(buf + sizeof(*e));
	int i;

	memset(buf, 0, 1024);
	memcpy(e->e_ident, ELFMAG, SELFMAG);
	e->e_ident[EI_CLASS] = ELFCLASS64;
	e->e_ident[EI_DATA] = ELFDATA2LSB;
	e->e_ident[EI_VERSION] = EV_CURRENT;
	e->e_type = (Elf64_Half)type;
	e->e_machine = EM_X86_64;
	e->e_phoff = sizeof(*e);
	e->e_phentsize = (Elf64_Half)phentsize;
	e->e_phnum = 3;
	for (i = 0; i < 3; i++)
		ph[i].p_type = PT_LOAD;
	if (with_interp) {
		/* The system loader: any other PT_INTERP is HM_EXEC_INTERP. */
		static const char ld[] = "/lib64/ld-linux-x86-64.so.2";
		size_t at = sizeof(*e) + 3 * sizeof(*ph);

		ph[2].p_type = PT_INTERP;
		ph[2].p_offset = at;
		ph[2].p_filesz = sizeof(ld);
		memcpy(buf + at, ld, sizeof(ld));
		return at + sizeof(ld);
	}
	return sizeof(*e) + 3 * sizeof(*ph);
}

/* A minimal i386 ELF32 image with PT_INTERP. */
static size_t make_elf32(unsigned char *buf)
{
	Elf32_Ehdr *e = (Elf32_Ehdr *)buf;
	Elf32_Phdr *ph = (Elf32_Phdr *)(buf + sizeof(*e));

	memset(buf, 0, 1024);
	memcpy(e->e_ident, ELFMAG, SELFMAG);
	e->e_ident[EI_CLASS] = ELFCLASS32;
	e->e_ident[EI_DATA] = ELFDATA2LSB;
	e->e_ident[EI_VERSION] = EV_CURRENT;
	e->e_type = ET_EXEC;
	e->e_machine = EM_386;
	e->e_phoff = sizeof(*e);
	e->e_phentsize = sizeof(*ph);
	e->e_phnum = 2;
	ph[0].p_type = PT_INTERP;
	ph[1].p_type = PT_LOAD;
	return sizeof(*e) + 2 * sizeof(*ph);
}

static void test_exec_targets(void)
{
	unsigned char elf[1024];
	char script[512];
	size_t len;
	int fd, i;
	off_t off;

	if (!mkdtemp(tmpdir)) {
		OK(0, "exec: mkdtemp");
		return;
	}
	len = make_elf(elf, 1, sizeof(Elf64_Phdr), ET_DYN);
	write_file(tmp_path("dyn"), elf, len, 0755);
	CHECK_INT(hm_exec_inspect_path(tmp_path("dyn")), HM_EXEC_DYNAMIC,
		  "exec: ELF with PT_INTERP is dynamic");
	/* Another machine, or a 32-bit program: its loader skips the shim. */
	((Elf64_Ehdr *)elf)->e_machine = EM_AARCH64;
	write_file(tmp_path("arm64"), elf, len, 0755);
	CHECK_INT(hm_exec_inspect_path(tmp_path("arm64")), HM_EXEC_FOREIGN,
		  "exec: dynamic ELF of another machine is foreign");
	len = make_elf32(elf);
	write_file(tmp_path("elf32"), elf, len, 0755);
	CHECK_INT(hm_exec_inspect_path(tmp_path("elf32")), HM_EXEC_FOREIGN,
		  "exec: dynamic 32-bit ELF is foreign");
	len = make_elf(elf, 0, sizeof(Elf64_Phdr), ET_EXEC);
	write_file(tmp_path("static"), elf, len, 0755);
	CHECK_INT(hm_exec_inspect_path(tmp_path("static")), HM_EXEC_STATIC,
		  "exec: ELF without PT_INTERP is static");
	len = make_elf(elf, 1, 8, ET_EXEC);
	write_file(tmp_path("badph"), elf, len, 0755);
	CHECK_INT(hm_exec_inspect_path(tmp_path("badph")), HM_EXEC_UNKNOWN,
		  "exec: bogus e_phentsize is unknown");
	len = make_elf(elf, 1, sizeof(Elf64_Phdr), ET_DYN);
	write_file(tmp_path("trunc"), elf,
		   sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr) - 10, 0755);
	CHECK_INT(hm_exec_inspect_path(tmp_path("trunc")), HM_EXEC_UNKNOWN,
		  "exec: truncated program headers are unknown");
	write_file(tmp_path("text"), "hello\n", 6, 0755);
	CHECK_INT(hm_exec_inspect_path(tmp_path("text")), HM_EXEC_UNKNOWN,
		  "exec: plain text is unknown");
	CHECK_INT(hm_exec_inspect_path(tmp_path("missing")), HM_EXEC_UNKNOWN,
		  "exec: missing file is unknown");
	CHECK_INT(hm_exec_inspect_path(tmpdir), HM_EXEC_UNKNOWN,
		  "exec: a directory is unknown");

	/* Set-id bits on a file we own need no privilege. */
	len = make_elf(elf, 1, sizeof(Elf64_Phdr), ET_DYN);
	write_file(tmp_path("suid"), elf, len, 04755);
	CHECK_INT(hm_exec_inspect_path(tmp_path("suid")), HM_EXEC_SETID,
		  "exec: setuid ELF");
	write_file(tmp_path("sgid"), elf, len, 02755);
	CHECK_INT(hm_exec_inspect_path(tmp_path("sgid")), HM_EXEC_SETID,
		  "exec: setgid ELF");
	write_file(tmp_path("sgid-nox"), elf, len, 02745);
	CHECK_INT(hm_exec_inspect_path(tmp_path("sgid-nox")), HM_EXEC_DYNAMIC,
		  "exec: setgid without g+x is a lock mark, not set-id");
	write_file(tmp_path("caps"), elf, len, 0755);
	/* A zero-length value is enough for presence; real ones need
	 * CAP_SETFCAP. */
	if (setxattr(tmp_path("caps"), "security.capability",
		     "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00"
		     "\x00\x00\x00\x00\x00\x00",
		     20, 0) == 0)
		CHECK_INT(hm_exec_inspect_path(tmp_path("caps")), HM_EXEC_SETID,
			  "exec: file capabilities are set-id");
	else
		OK(1, "exec: file capabilities # SKIP setting "
		      "security.capability needs CAP_SETFCAP");

	/* Scripts resolve to their interpreter. */
	snprintf(script, sizeof(script), "#!%s\necho\n", tmp_path("dyn"));
	write_file(tmp_path("s-dyn"), script, strlen(script), 0755);
	CHECK_INT(hm_exec_inspect_path(tmp_path("s-dyn")), HM_EXEC_DYNAMIC,
		  "script: dynamic interpreter");
	snprintf(script, sizeof(script), "#! \t%s -x -y\n", tmp_path("static"));
	write_file(tmp_path("s-static"), script, strlen(script), 0755);
	CHECK_INT(hm_exec_inspect_path(tmp_path("s-static")), HM_EXEC_STATIC,
		  "script: blanks and arguments, static interpreter");
	snprintf(script, sizeof(script), "#!%s", tmp_path("suid"));
	write_file(tmp_path("s-suid"), script, strlen(script), 0755);
	CHECK_INT(hm_exec_inspect_path(tmp_path("s-suid")), HM_EXEC_SETID,
		  "script: set-id interpreter, no trailing newline");
	snprintf(script, sizeof(script), "#!%s\n", tmp_path("dyn"));
	write_file(tmp_path("s-setuid-self"), script, strlen(script), 04755);
	CHECK_INT(hm_exec_inspect_path(tmp_path("s-setuid-self")),
		  HM_EXEC_DYNAMIC, "script: its own setuid bit is ignored");
	write_file(tmp_path("s-empty"), "#!\n", 3, 0755);
	CHECK_INT(hm_exec_inspect_path(tmp_path("s-empty")), HM_EXEC_UNKNOWN,
		  "script: no interpreter is unknown");
	memset(script, 'x', sizeof(script));
	script[0] = '#';
	script[1] = '!';
	script[2] = '/';
	write_file(tmp_path("s-long"), script, sizeof(script), 0755);
	CHECK_INT(hm_exec_inspect_path(tmp_path("s-long")), HM_EXEC_UNKNOWN,
		  "script: interpreter path cut off is unknown");

	/* Chains: 5 levels of scripts are followed (as the kernel does), a
	 * 6th is refused. */
	snprintf(script, sizeof(script), "#!%s\n", tmp_path("dyn"));
	write_file(tmp_path("c0"), script, strlen(script), 0755);
	for (i = 1; i <= 5; i++) {
		char name[8], prev[8];

		snprintf(name, sizeof(name), "c%d", i);
		snprintf(prev, sizeof(prev), "c%d", i - 1);
		snprintf(script, sizeof(script), "#!%s\n", tmp_path(prev));
		write_file(tmp_path(name), script, strlen(script), 0755);
	}
	CHECK_INT(hm_exec_inspect_path(tmp_path("c3")), HM_EXEC_DYNAMIC,
		  "chain: 4 interpreter levels followed");
	CHECK_INT(hm_exec_inspect_path(tmp_path("c4")), HM_EXEC_DYNAMIC,
		  "chain: 5 interpreter levels followed");
	CHECK_INT(hm_exec_inspect_path(tmp_path("c5")), HM_EXEC_DEEP,
		  "chain: 6 levels is deeper than the kernel goes");

	/* By descriptor: the offset does not move. */
	fd = open(tmp_path("s-dyn"), O_RDONLY);
	lseek(fd, 3, SEEK_SET);
	CHECK_INT(hm_exec_inspect_fd(fd), HM_EXEC_DYNAMIC, "fd: script by fd");
	off = lseek(fd, 0, SEEK_CUR);
	CHECK_INT(off, 3, "fd: offset unchanged");
	close(fd);
	CHECK_INT(hm_exec_inspect_fd(-1), HM_EXEC_UNKNOWN, "fd: -1 is unknown");
	errno = 99;
	hm_exec_inspect_path(tmp_path("missing"));
	CHECK_INT(errno, 99, "exec: errno preserved");

	/* Real binaries of the machine, when present (Debian 12 has them). */
	CHECK_INT(hm_exec_inspect_path("/bin/sh"), HM_EXEC_DYNAMIC,
		  "system: /bin/sh is dynamic");
	if (access("/sbin/ldconfig", R_OK) == 0)
		CHECK_INT(hm_exec_inspect_path("/sbin/ldconfig"),
			  HM_EXEC_STATIC, "system: ldconfig is static-pie");
	else
		OK(1, "system: ldconfig # SKIP not installed");
	if (access("/bin/su", R_OK) == 0)
		CHECK_INT(hm_exec_inspect_path("/bin/su"), HM_EXEC_SETID,
			  "system: su is setuid");
	else
		OK(1, "system: su # SKIP not installed");

	{
		const char *names[] = {"dyn",
				       "static",
				       "badph",
				       "trunc",
				       "text",
				       "suid",
				       "sgid",
				       "sgid-nox",
				       "caps",
				       "s-dyn",
				       "s-static",
				       "s-suid",
				       "s-setuid-self",
				       "s-empty",
				       "s-long",
				       "c0",
				       "c1",
				       "c2",
				       "c3",
				       "c4",
				       "c5"};
		for (i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
			unlink(tmp_path(names[i]));
		rmdir(tmpdir);
	}
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	test_create_attach();
	test_create_errors();
	test_protections();
	test_nesting();
	test_slot_reuse();
	test_order_and_sealed();
	test_snapshot();
	test_counters();
	test_matches_conjunction();
	test_fork();
	test_concurrent();
	test_concurrent_pool();
	test_exec_targets();
	return tap_done();
}
