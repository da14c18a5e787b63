/*
 * segment.c - the per-process policy segment: an immutable, sealed BASE
 * memfd ("hermetic-base") holding the inherited layers, and a DYNAMIC
 * memfd ("hermetic-dyn") mapped MAP_PRIVATE holding the stack of active
 * hermetic_blocker entries, read lock-free under a seqlock.
 *
 * The dynamic stack is an array of entry slots plus an order[] of slot
 * numbers. A push fills a free slot outside the seqlock's write window
 * and then, inside it, only appends the slot number; a pop only removes
 * one. Write windows are a few stores long, so readers rarely retry.
 *
 * Torn reads: a stale reader (one whose seqlock read will fail) may
 * evaluate a slot while a writer refills it; the verdict is discarded.
 * Such a read stays memory-safe because every slot holds a full struct
 * hm_policy (HM_POOL_MAX pool bytes) and the core reads a layer's lists
 * only through hm_policy_list_first/next, which clamp every section to
 * the pool and return only strings NUL-terminated inside it, whatever the
 * header and the bytes say; slot numbers are reduced modulo HM_MAX_DYN.
 * So a push writes only the header and the used pool bytes (a slot's
 * untouched pages cost nothing), never a whole slot. One more invariant
 * keeps the readers that measure an entry again after the cursor found
 * its NUL (a writer may overwrite that NUL meanwhile) inside the slot:
 * the last pool byte of every slot is always 0, since the memfd starts
 * zeroed and a pushed pool of HM_POOL_MAX used bytes ends in the NUL of
 * its last entry (hm_policy_validate refuses anything else).
 *
 * The base area is written once and validated (hm_policy_validate) before
 * anyone reads it, so its layers are stored compactly: each layer takes
 * hm_policy_size() bytes (header + used pool bytes, 8-aligned) at the
 * offset off[i] records; readers never look past a layer's used bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hermetic/hermetic.h"
#include "internal.h"

#define BASE_MAGIC 0x45534248u /* "HBSE" */
#define DYN_MAGIC 0x4e594448u  /* "HDYN" */
#define SEG_VERSION 2u

#define BASE_NAME "hermetic-base"
#define DYN_NAME "hermetic-dyn"

/* Torn-read retries: spin this often, then yield up to the limit. */
#define READ_SPINS 64u
#define READ_TRIES 2048u

/* What a reader assumes of a segment it cannot trust. */
#define FAIL_CLOSED_FLAGS                                                      \
	(HM_F_INVALID | HM_F_BLOCK_NETWORK | HM_F_BLOCK_SUBPROCESS |           \
	 HM_F_FS_READONLY | HM_F_FS_ROOT | HM_F_BLOCK_NATIVE |                 \
	 HM_F_BLOCK_ENVIRONMENT | HM_F_BLOCK_CODE_EXEC |                       \
	 HM_F_BLOCK_INTERP_MUTATION)

/* Read-only after creation: written with pwrite, then sealed. */
struct hm_base_area {
	uint32_t magic;
	uint32_t version;
	uint64_t size;	/* bytes of the whole area */
	uint32_t n;	/* layers */
	uint32_t flags; /* OR of the layers' flags */
	uint64_t reserved;
	uint32_t off[HM_MAX_BASE]; /* layer i at (char *)area + off[i] */
	/* the layers follow, each hm_policy_size() bytes rounded up to 8 */
};

struct hm_dyn_entry {
	uint32_t id;
	uint32_t sealed;
	struct hm_policy pol;
};

struct hm_dyn_area {
	uint32_t magic;
	uint32_t version;
	uint64_t size;		/* sizeof(struct hm_dyn_area) */
	_Atomic uint32_t seq;	/* odd while a writer is active */
	_Atomic uint32_t n;	/* live entries: order[0..n) */
	_Atomic uint32_t flags; /* OR of the live entries' flags (superset) */
	uint32_t next_id;	/* writers only */
	_Atomic uint64_t counters[HM_FAM_COUNT];
	_Atomic uint8_t order[HM_MAX_DYN]; /* slots, oldest entry first */
	struct hm_dyn_entry entries[HM_MAX_DYN];
};

/* ---- raw system calls (the shim interposes the libc wrappers) --------- */

static int sys_ret(long rc)
{
	return rc < 0 ? -errno : (int)rc;
}

static int sys_close(int fd)
{
	return sys_ret(syscall(SYS_close, fd));
}

static int sys_openat(const char *path, int flags)
{
	return sys_ret(syscall(SYS_openat, AT_FDCWD, path, flags, 0));
}

static int pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;
	long rc;

	while (len) {
		rc = syscall(SYS_pwrite64, fd, p, len, off);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return rc < 0 ? -errno : -EIO;
		p += rc;
		off += rc;
		len -= (size_t)rc;
	}
	return 0;
}

/* A sealable memfd of @size bytes. Returns the fd or a negative errno. */
static int make_memfd(const char *name, size_t size)
{
	int fd, rc;

	fd = sys_ret(
	    syscall(SYS_memfd_create, name, MFD_CLOEXEC | MFD_ALLOW_SEALING));
	if (fd < 0)
		return fd;
	rc = sys_ret(syscall(SYS_ftruncate, fd, (off_t)size));
	if (rc < 0) {
		sys_close(fd);
		return rc;
	}
	return fd;
}

static int add_seals(int fd, int seals)
{
	return sys_ret(syscall(SYS_fcntl, fd, F_ADD_SEALS, seals));
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#else
	atomic_signal_fence(memory_order_seq_cst);
#endif
}

/* Back off after torn read @tries; 0 when the caller must give up. */
static int backoff(unsigned tries)
{
	if (tries >= READ_TRIES)
		return 0;
	if (tries < READ_SPINS)
		cpu_relax();
	else
		sched_yield();
	return 1;
}

/* ---- validity ----------------------------------------------------------- */

/* A layer's footprint in the base area (8-aligned). */
static size_t rec_size(const struct hm_policy *p)
{
	return (hm_policy_size(p) + 7) & ~(size_t)7;
}

static size_t base_size(const struct hm_policy *layers, size_t n)
{
	size_t size = sizeof(struct hm_base_area), i;

	for (i = 0; i < n; i++)
		size += rec_size(&layers[i]);
	return size;
}

static const struct hm_policy *layer_at(const struct hm_base_area *b, size_t i)
{
	return (const struct hm_policy *)((const char *)b + b->off[i]);
}

static int base_ok(const struct hm_base_area *b)
{
	return b && b->magic == BASE_MAGIC && b->version == SEG_VERSION &&
	       b->n <= HM_MAX_BASE && b->size >= sizeof(*b);
}

/* Every layer record lies inside the area (attach: not our own bytes). */
static int base_layout_ok(const struct hm_base_area *b)
{
	uint32_t i;

	for (i = 0; i < b->n; i++) {
		uint64_t off = b->off[i];

		if (off % 8 || off < sizeof(*b) || off > b->size ||
		    b->size - off < HM_POLICY_HEAD ||
		    b->size - off < hm_policy_size(layer_at(b, i)))
			return 0;
	}
	return 1;
}

static int dyn_ok(const struct hm_dyn_area *d)
{
	return d && d->magic == DYN_MAGIC && d->version == SEG_VERSION &&
	       d->size == sizeof(struct hm_dyn_area);
}

static uint32_t clamp_dyn(uint32_t n)
{
	return n > HM_MAX_DYN ? HM_MAX_DYN : n;
}

/* The entry at stack position @i (any @i is memory-safe). */
static const struct hm_dyn_entry *entry_at(const struct hm_dyn_area *d,
					   uint32_t i)
{
	uint8_t slot = atomic_load_explicit(&d->order[i % HM_MAX_DYN],
					    memory_order_relaxed);

	return &d->entries[slot % HM_MAX_DYN];
}

/* ---- creation ------------------------------------------------------------ */

/*
 * Map the sealed base memfd read-only. Since Linux 6.7 a write-sealed
 * memfd maps MAP_SHARED read-only without VM_MAYWRITE; older kernels
 * refuse any shared mapping of it, so fall back to a read-only reopen
 * through /proc, whose shared mapping lacks VM_MAYWRITE as well. Either
 * way mprotect(PROT_WRITE) fails on the result.
 */
static void *map_base(int fd, size_t size)
{
	char path[32] = "/proc/self/fd/";
	char digits[12];
	size_t len = strlen(path), k = 0;
	void *p;
	int ro;

	p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED)
		return p;
	do {
		digits[k++] = (char)('0' + fd % 10);
		fd /= 10;
	} while (fd && k < sizeof(digits));
	while (k)
		path[len++] = digits[--k];
	path[len] = '\0';
	ro = sys_openat(path, O_RDONLY | O_CLOEXEC);
	if (ro < 0)
		return MAP_FAILED;
	p = mmap(NULL, size, PROT_READ, MAP_SHARED, ro, 0);
	sys_close(ro);
	return p;
}

static int create_base(const struct hm_policy *layers, size_t n,
		       const struct hm_base_area **out)
{
	struct hm_base_area hdr;
	size_t size = base_size(layers, n), i, off;
	void *p;
	int fd, rc;

	memset(&hdr, 0, sizeof(hdr));
	hdr.magic = BASE_MAGIC;
	hdr.version = SEG_VERSION;
	hdr.size = size;
	hdr.n = (uint32_t)n;
	off = sizeof(hdr);
	for (i = 0; i < n; i++) {
		hdr.flags |= layers[i].flags;
		hdr.off[i] = (uint32_t)off;
		off += rec_size(&layers[i]);
	}

	fd = make_memfd(BASE_NAME, size);
	if (fd < 0)
		return fd;
	/* Filled with pwrite: the base never has a writable mapping. */
	rc = pwrite_all(fd, &hdr, sizeof(hdr), 0);
	/* Only the used bytes of each layer (the memfd is zero elsewhere). */
	for (i = 0; rc == 0 && i < n; i++)
		rc = pwrite_all(fd, &layers[i], hm_policy_size(&layers[i]),
				(off_t)hdr.off[i]);
	if (rc == 0)
		rc = add_seals(fd, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
				       F_SEAL_SEAL);
	if (rc < 0)
		goto err_close_fd;
	p = map_base(fd, size);
	if (p == MAP_FAILED) {
		rc = -errno;
		goto err_close_fd;
	}
	sys_close(fd);
	*out = p;
	return 0;

err_close_fd:
	sys_close(fd);
	return rc;
}

static int create_dyn(struct hm_dyn_area **out)
{
	size_t size = sizeof(struct hm_dyn_area);
	struct hm_dyn_area *d;
	int fd, rc;

	fd = make_memfd(DYN_NAME, size);
	if (fd < 0)
		return fd;
	/*
	 * Seal everything before mapping: the memfd itself stays all zero
	 * for good. A MAP_PRIVATE mapping is still writable (copy-on-write
	 * pages private to this process; tested in test_segment.c).
	 */
	rc = add_seals(fd, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
			       F_SEAL_SEAL);
	if (rc < 0)
		goto err_close_fd;
	d = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (d == MAP_FAILED) {
		rc = -errno;
		goto err_close_fd;
	}
	sys_close(fd);
	d->version = SEG_VERSION;
	d->size = size;
	d->next_id = 1;
	atomic_store_explicit(&d->seq, 0, memory_order_relaxed);
	atomic_store_explicit(&d->n, 0, memory_order_relaxed);
	atomic_store_explicit(&d->flags, 0, memory_order_relaxed);
	/* The magic last: attach never accepts a half-initialised area. */
	atomic_thread_fence(memory_order_release);
	d->magic = DYN_MAGIC;
	*out = d;
	return 0;

err_close_fd:
	sys_close(fd);
	return rc;
}

int hm_segment_create(struct hm_segment *s, const struct hm_policy *base,
		      size_t n)
{
	const struct hm_base_area *b = NULL;
	struct hm_dyn_area *d = NULL;
	size_t i;
	int rc;

	if (!s)
		return -EINVAL;
	s->base = NULL;
	s->dyn = NULL;
	if (n > HM_MAX_BASE)
		return -E2BIG;
	if (n && !base)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (hm_policy_validate(&base[i]) < 0)
			return -EINVAL;
	}
	rc = create_base(base, n, &b);
	if (rc < 0)
		return rc;
	rc = create_dyn(&d);
	if (rc < 0) {
		munmap((void *)b, b->size);
		return rc;
	}
	s->base = b;
	s->dyn = d;
	return 0;
}

/* ---- attach -------------------------------------------------------------- */

/*
 * The shim hands its segment over through the handshake object it
 * exports (HM_SHIM_HANDSHAKE); nothing is looked up by name in
 * /proc/self/maps any more. The headers are validated as the shim would
 * have created them: a mismatch is -EINVAL, and the caller fails closed.
 */
int hm_segment_attach(struct hm_segment *s, const struct hm_handshake *h)
{
	const struct hm_base_area *b;
	struct hm_dyn_area *d;
	uint32_t flags = 0, i;

	if (!s)
		return -EINVAL;
	s->base = NULL;
	s->dyn = NULL;
	if (!h)
		return -ENOENT;
	if (h->magic != HM_HANDSHAKE_MAGIC || h->size != sizeof(*h) || !h->seg)
		return -EINVAL;
	b = h->seg->base;
	d = h->seg->dyn;
	if (!base_ok(b) || !base_layout_ok(b) || !dyn_ok(d) ||
	    atomic_load_explicit(&d->n, memory_order_relaxed) > HM_MAX_DYN)
		return -EINVAL;
	for (i = 0; i < b->n; i++) {
		if (hm_policy_validate(layer_at(b, i)) < 0)
			return -EINVAL;
		flags |= layer_at(b, i)->flags;
	}
	if (flags != b->flags)
		return -EINVAL;
	s->base = b;
	s->dyn = d;
	return 0;
}

/* ---- readers ------------------------------------------------------------- */

static int valid(const struct hm_segment *s)
{
	return s && s->base && s->dyn && s->base->magic == BASE_MAGIC &&
	       s->dyn->magic == DYN_MAGIC;
}

uint32_t hm_segment_flags(const struct hm_segment *s)
{
	if (__builtin_expect(!valid(s), 0))
		return FAIL_CLOSED_FLAGS;
	return s->base->flags |
	       atomic_load_explicit(&s->dyn->flags, memory_order_relaxed);
}

static void count_deny(struct hm_dyn_area *d, enum hm_op op)
{
	unsigned fam = (unsigned)hm_op_family(op);

	if (fam < HM_FAM_COUNT)
		atomic_fetch_add_explicit(&d->counters[fam], 1,
					  memory_order_relaxed);
}

static int may_deny(uint32_t flags, uint32_t mask)
{
	return !mask || (flags & mask);
}

/* One seqlock read of the dynamic stack; 1 if it was consistent. */
static int check_dyn(const struct hm_dyn_area *d, const struct hm_request *rq,
		     uint32_t mask, enum hm_reason *out)
{
	enum hm_reason r = HM_R_NONE;
	uint32_t s1, s2, n, i;

	s1 = atomic_load_explicit(&d->seq, memory_order_acquire);
	if (s1 & 1)
		return 0;
	n = clamp_dyn(atomic_load_explicit(&d->n, memory_order_relaxed));
	for (i = 0; i < n && r == HM_R_NONE; i++) {
		const struct hm_policy *p = &entry_at(d, i)->pol;

		if (may_deny(p->flags, mask))
			r = hm_policy_check(p, rq);
	}
	atomic_thread_fence(memory_order_acquire);
	s2 = atomic_load_explicit(&d->seq, memory_order_relaxed);
	if (s1 != s2)
		return 0;
	*out = r;
	return 1;
}

enum hm_reason hm_segment_check(struct hm_segment *s,
				const struct hm_request *rq)
{
	const struct hm_base_area *b;
	struct hm_dyn_area *d;
	enum hm_reason r = HM_R_NONE;
	uint32_t mask, i;
	unsigned tries;

	if (!valid(s))
		return HM_R_INVALID_POLICY;
	b = s->base;
	d = s->dyn;
	if (!rq) {
		r = HM_R_INVALID_POLICY;
		goto deny;
	}
	mask = hm_op_gate(rq);

	/* Base layers are immutable: no seqlock needed. */
	if (may_deny(b->flags, mask)) {
		for (i = 0; i < b->n && i < HM_MAX_BASE; i++) {
			const struct hm_policy *p = layer_at(b, i);

			if (!may_deny(p->flags, mask))
				continue;
			r = hm_policy_check(p, rq);
			if (r != HM_R_NONE)
				goto deny;
		}
	}

	/* The OR of the entries' flags is a superset at every instant. */
	if (!may_deny(atomic_load_explicit(&d->flags, memory_order_relaxed),
		      mask))
		return HM_R_NONE;
	for (tries = 0;; tries++) {
		if (check_dyn(d, rq, mask, &r))
			break;
		if (!backoff(tries)) {
			r = HM_R_INVALID_POLICY; /* fail closed */
			break;
		}
	}
	if (r == HM_R_NONE)
		return r;
deny:
	count_deny(d, rq ? rq->op : HM_OP_IMPORT);
	return r;
}

size_t hm_segment_base_count(const struct hm_segment *s)
{
	if (!s || !base_ok(s->base))
		return 0;
	return s->base->n;
}

size_t hm_segment_dyn_count(const struct hm_segment *s)
{
	if (!s || !s->dyn)
		return 0;
	return clamp_dyn(
	    atomic_load_explicit(&s->dyn->n, memory_order_relaxed));
}

const struct hm_policy *hm_segment_base_layer(const struct hm_segment *s,
					      size_t i)
{
	if (i >= hm_segment_base_count(s))
		return NULL;
	return layer_at(s->base, i);
}

uint64_t hm_segment_count(const struct hm_segment *s, enum hm_family fam)
{
	if (!s || !s->dyn || (unsigned)fam >= HM_FAM_COUNT)
		return 0;
	return atomic_load_explicit(&s->dyn->counters[fam],
				    memory_order_relaxed);
}

/*
 * A snapshot request: with @out NULL only the encoded size is computed
 * (into @size); otherwise the layers are encoded into @out.
 */
struct snap_args {
	char *out;
	size_t cap;
	size_t size;
};

/*
 * Collect base layers then dynamic entries under one seqlock read and
 * encode (or measure) them. Returns 1 with *@rc set if the read was
 * consistent, 0 if it must be retried.
 */
static int snap_once(const struct hm_segment *s, struct snap_args *a, int *rc)
{
	const struct hm_policy *ptrs[HM_MAX_BASE + HM_MAX_DYN];
	const struct hm_dyn_area *d = s->dyn;
	uint32_t s1, s2, nd, i;
	size_t nb = s->base->n, k = 0;

	s1 = atomic_load_explicit(&d->seq, memory_order_acquire);
	if (s1 & 1)
		return 0;
	nd = clamp_dyn(atomic_load_explicit(&d->n, memory_order_relaxed));
	for (i = 0; i < nb; i++)
		ptrs[k++] = layer_at(s->base, i);
	for (i = 0; i < nd; i++)
		ptrs[k++] = &entry_at(d, i)->pol;
	if (!a->out) {
		a->size = k ? hm_wire_encoded_size_ptrs(ptrs, k) : 1;
		*rc = 0;
	} else if (k == 0) {
		a->out[0] = '\0';
		*rc = 0;
	} else if (k > HM_MAX_BASE) {
		a->out[0] = '\0';
		*rc = -E2BIG;
	} else {
		*rc = hm_wire_encode_ptrs(ptrs, k, a->out, a->cap);
	}
	atomic_thread_fence(memory_order_acquire);
	s2 = atomic_load_explicit(&d->seq, memory_order_relaxed);
	return s1 == s2;
}

static int snap(const struct hm_segment *s, struct snap_args *a)
{
	unsigned tries;
	int rc = 0;

	for (tries = 0;; tries++) {
		if (snap_once(s, a, &rc))
			return rc;
		if (!backoff(tries))
			return -EAGAIN;
	}
}

size_t hm_segment_snapshot_size(const struct hm_segment *s)
{
	struct snap_args a = {0};

	if (!valid(s) || !base_ok(s->base) || snap(s, &a) < 0)
		return 1;
	return a.size;
}

int hm_segment_snapshot(const struct hm_segment *s, char *out, size_t cap)
{
	struct snap_args a = {.out = out, .cap = cap};
	int rc;

	if (!out || cap == 0)
		return -ENOSPC;
	out[0] = '\0';
	if (!valid(s) || !base_ok(s->base))
		return -EINVAL;
	rc = snap(s, &a);
	if (rc < 0)
		out[0] = '\0';
	return rc;
}

/* ---- writers (serialised by the caller) ---------------------------------- */

static uint32_t write_begin(struct hm_dyn_area *d)
{
	uint32_t seq = atomic_load_explicit(&d->seq, memory_order_relaxed);

	atomic_store_explicit(&d->seq, seq + 1, memory_order_relaxed);
	/* Order the odd counter before every data store that follows. */
	atomic_thread_fence(memory_order_release);
	return seq;
}

static void write_end(struct hm_dyn_area *d, uint32_t seq)
{
	atomic_store_explicit(&d->seq, seq + 2, memory_order_release);
}

/*
 * Fill a slot: the header and the used pool bytes only (a push writes
 * what the policy uses, not the whole slot; see the torn-read note at
 * the top).
 */
static void put_entry(struct hm_dyn_entry *e, uint32_t id, uint32_t sealed,
		      const struct hm_policy *p)
{
	e->id = id;
	e->sealed = sealed;
	hm_policy_copy(&e->pol, p);
}

static int id_in_use(const struct hm_dyn_area *d, uint32_t n, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (entry_at(d, i)->id == id)
			return 1;
	}
	return 0;
}

/* A slot not referenced by order[0..n) (n < HM_MAX_DYN). */
static uint8_t free_slot(const struct hm_dyn_area *d, uint32_t n)
{
	uint32_t used = 0, i;
	uint8_t slot = 0;

	for (i = 0; i < n; i++)
		used |= 1u << (atomic_load_explicit(&d->order[i],
						    memory_order_relaxed) %
			       HM_MAX_DYN);
	while (used & (1u << slot))
		slot++;
	return slot;
}

int hm_segment_push(struct hm_segment *s, const struct hm_policy *p, int sealed,
		    uint32_t *id)
{
	struct hm_dyn_area *d;
	uint32_t n, new_id, seq;
	uint8_t slot;

	if (!valid(s) || !p || !id)
		return -EINVAL;
	if (hm_policy_validate(p) < 0)
		return -EINVAL;
	/* Audit (enforce nothing) belongs to the launcher's base layer only. */
	if (p->flags & HM_F_AUDIT)
		return -EPERM;
	d = s->dyn;
	n = clamp_dyn(atomic_load_explicit(&d->n, memory_order_relaxed));
	if (n >= HM_MAX_DYN)
		return -ENOSPC;
	do {
		new_id = d->next_id++;
	} while (new_id == 0 || id_in_use(d, n, new_id));

	/*
	 * Fill a free slot while the sequence is even: no consistent reader
	 * looks at it (only order[0..n) is live), and a stale reader's
	 * verdict is discarded. A policy marked sealed is sealed whatever
	 * the caller says.
	 */
	slot = free_slot(d, n);
	put_entry(&d->entries[slot], new_id,
		  sealed || (p->flags & HM_F_SEALED) ? 1 : 0, p);
	/*
	 * Widen the flags before the entry goes live so hm_segment_flags
	 * never under-reports: an interposer that skips the check on the
	 * fast path must not miss an entry that is already visible.
	 */
	atomic_fetch_or_explicit(&d->flags, p->flags, memory_order_release);
	seq = write_begin(d);
	atomic_store_explicit(&d->order[n], slot, memory_order_relaxed);
	atomic_store_explicit(&d->n, n + 1, memory_order_relaxed);
	write_end(d, seq);
	*id = new_id;
	return 0;
}

int hm_segment_pop(struct hm_segment *s, uint32_t id)
{
	struct hm_dyn_area *d;
	uint32_t n, i, j, flags = 0, seq;
	uint8_t next;

	if (!valid(s))
		return -EINVAL;
	d = s->dyn;
	n = clamp_dyn(atomic_load_explicit(&d->n, memory_order_relaxed));
	for (i = 0; i < n && entry_at(d, i)->id != id; i++)
		;
	if (i == n || id == 0)
		return -ENOENT;
	if (entry_at(d, i)->sealed)
		return -EPERM;

	seq = write_begin(d);
	for (j = i; j + 1 < n; j++) {
		next = atomic_load_explicit(&d->order[j + 1],
					    memory_order_relaxed);
		atomic_store_explicit(&d->order[j], next, memory_order_relaxed);
	}
	atomic_store_explicit(&d->n, n - 1, memory_order_relaxed);
	write_end(d, seq);

	/* Narrow the flags only once the entry is gone (see push). */
	for (j = 0; j + 1 < n; j++)
		flags |= entry_at(d, j)->pol.flags;
	atomic_store_explicit(&d->flags, flags, memory_order_release);
	return 0;
}
