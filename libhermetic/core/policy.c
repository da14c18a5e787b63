/*
 * policy.c - the policy model: builders, named profiles, validation of
 * untrusted policy bytes, and the per-layer verdict (hm_policy_check).
 * Pure: no I/O, no allocation, no state; the check is async-signal-safe
 * and runs inside the shim's interposers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "hermetic/hermetic.h"
#include "internal.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Every "block" switch: what the fail-closed stand-in turns on. */
#define BLOCK_FLAGS                                                            \
	(HM_F_BLOCK_NETWORK | HM_F_BLOCK_SUBPROCESS | HM_F_FS_READONLY |       \
	 HM_F_BLOCK_NATIVE | HM_F_BLOCK_ENVIRONMENT | HM_F_BLOCK_CODE_EXEC |   \
	 HM_F_BLOCK_INTERP_MUTATION)

struct profile {
	const char *name;
	uint32_t flags;
};

/* original-hermetic.md section 4, in documentation order. */
/* clang-format off */
static const struct profile profiles[] = {
	{ "block-all",    BLOCK_FLAGS },
	{ "net-hermetic", HM_F_BLOCK_NETWORK | HM_F_ALLOW_LOCALHOST },
	{ "exec-deny",    HM_F_BLOCK_SUBPROCESS },
	{ "fs-readonly",  HM_F_FS_READONLY },
	{ "block-native", HM_F_BLOCK_NATIVE },
};

static const char *const profile_names[] = {
	"block-all", "net-hermetic", "exec-deny", "fs-readonly", "block-native",
	NULL,
};

static const char *const reason_names[HM_R_COUNT] = {
	[HM_R_NONE]               = "allowed",
	[HM_R_NO_NETWORK]         = "no-network",
	[HM_R_NO_SUBPROCESS]      = "no-subprocess",
	[HM_R_FS_READONLY]        = "fs-readonly",
	[HM_R_FS_ROOT]            = "fs-root",
	[HM_R_BLOCK_NATIVE]       = "block-native",
	[HM_R_NO_ENVIRONMENT]     = "no-environment",
	[HM_R_NO_CODE_EXEC]       = "no-code-exec",
	[HM_R_NO_INTERP_MUTATION] = "no-interpreter-mutation",
	[HM_R_DENY_IMPORT]        = "deny-import",
	[HM_R_UNGUARDABLE]        = "unguardable",
	[HM_R_INVALID_POLICY]     = "invalid-policy",
};
/* clang-format on */

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
	       c == '\r';
}

/* Trim blanks: *@start and the returned length describe what is left. */
static size_t trim(const char **start)
{
	const char *s = *start;
	size_t n;

	while (is_blank(*s))
		s++;
	n = strlen(s);
	while (n && is_blank(s[n - 1]))
		n--;
	*start = s;
	return n;
}

static int is_ip_literal(const char *s)
{
	unsigned char a[16];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/* --- the pool ------------------------------------------------------ */

/* The section of list @l, clamped to the pool whatever the header says. */
static void section(const struct hm_policy *p, enum hm_list l, uint32_t *lo,
		    uint32_t *hi)
{
	uint32_t a = l ? p->end[l - 1] : 0, b = p->end[l];

	if (b > HM_POOL_MAX)
		b = HM_POOL_MAX;
	if (a > b)
		a = b;
	*lo = a;
	*hi = b;
}

const char *hm_policy_list_next(struct hm_list_iter *it)
{
	const char *s, *nul;

	while (it->cur && it->cur < it->end) {
		s = it->cur;
		nul = memchr(s, '\0', (size_t)(it->end - s));
		if (!nul) {
			it->cur = it->end; /* unterminated tail: not an entry */
			return NULL;
		}
		it->cur = nul + 1;
		it->len = (size_t)(nul - s);
		if (nul != s)
			return s;
	}
	return NULL;
}

const char *hm_policy_list_first(const struct hm_policy *p, enum hm_list l,
				 struct hm_list_iter *it)
{
	uint32_t lo, hi;

	it->cur = it->end = NULL;
	if (!p || (unsigned)l >= HM_LIST_N)
		return NULL;
	section(p, l, &lo, &hi);
	it->cur = p->pool + lo;
	it->end = p->pool + hi;
	return hm_policy_list_next(it);
}

const char *hm_policy_root(const struct hm_policy *p)
{
	/* The root list is the pool's first section: at most one entry. */
	uint32_t end = p->end[HM_LIST_ROOT];

	if (end > HM_POOL_MAX)
		end = HM_POOL_MAX;
	if (end && p->pool[0] && memchr(p->pool, '\0', end))
		return p->pool;
	return "";
}

size_t hm_policy_size(const struct hm_policy *p)
{
	uint32_t used = p->used;

	return HM_POLICY_HEAD + (used > HM_POOL_MAX ? HM_POOL_MAX : used);
}

void hm_policy_copy(struct hm_policy *dst, const struct hm_policy *src)
{
	if (dst != src)
		memcpy(dst, src, hm_policy_size(src));
}

int hm_policy_equal(const struct hm_policy *a, const struct hm_policy *b)
{
	size_t n = hm_policy_size(a);

	return n == hm_policy_size(b) && memcmp(a, b, n) == 0;
}

/*
 * Append @s (@len bytes, no NUL inside) to list @l: the later sections
 * move up by len + 1. -ENOSPC when the pool cannot hold it.
 */
static int list_add(struct hm_policy *p, enum hm_list l, const char *s,
		    size_t len)
{
	uint32_t at = p->end[l], k;

	if (p->used > HM_POOL_MAX || len + 1 > HM_POOL_MAX - p->used)
		return -ENOSPC;
	memmove(p->pool + at + len + 1, p->pool + at, p->used - at);
	memcpy(p->pool + at, s, len);
	p->pool[at + len] = '\0';
	for (k = l; k < HM_LIST_N; k++)
		p->end[k] += (uint32_t)(len + 1);
	p->used += (uint32_t)(len + 1);
	p->n[l]++;
	return 0;
}

/* Empty list @l (the later sections move down). */
static void list_clear(struct hm_policy *p, enum hm_list l)
{
	uint32_t lo = l ? p->end[l - 1] : 0, gap = p->end[l] - lo, k;

	memmove(p->pool + lo, p->pool + p->end[l], p->used - p->end[l]);
	for (k = l; k < HM_LIST_N; k++)
		p->end[k] -= gap;
	p->used -= gap;
	p->n[l] = 0;
}

/* --- builders ------------------------------------------------------ */

void hm_policy_init(struct hm_policy *p)
{
	/* The header only: pool bytes past used are never read. */
	if (p)
		memset(p, 0, HM_POLICY_HEAD);
}

int hm_policy_add_domain(struct hm_policy *p, const char *domain)
{
	char buf[HM_DOMAIN_MAX];
	const char *s = domain;
	size_t n, i, skip = 0;

	if (!p || !domain)
		return -EINVAL;
	n = trim(&s);
	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	for (i = 0; i < n; i++)
		buf[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a')
						      : s[i];
	buf[n] = '\0';
	if (n && buf[n - 1] == '.')
		buf[--n] = '\0';
	if (buf[0] == '*' && buf[1] == '.')
		skip = 2;
	else if (buf[0] == '.')
		skip = 1;
	memmove(buf, buf + skip, n - skip + 1);
	if (!hm_addr_domain_valid(buf))
		return -EINVAL;
	/* "*.1.2.3.4" is not a wildcard anyone can mean. */
	if (skip && is_ip_literal(buf))
		return -EINVAL;
	return list_add(p, HM_LIST_DOMAINS, buf, strlen(buf));
}

/* Normalise an absolute path and add it to list @l, or fail. */
static int add_path(struct hm_policy *p, enum hm_list l, const char *path)
{
	char buf[HM_PATH_MAX];
	int n;

	if (!p)
		return -EINVAL;
	if (!path || path[0] != '/')
		return -EINVAL;
	n = hm_path_normalize(NULL, path, buf, sizeof(buf));
	if (n < 0)
		return n;
	return list_add(p, l, buf, (size_t)n);
}

int hm_policy_set_root(struct hm_policy *p, const char *path)
{
	uint32_t old_flags;
	int rc;

	if (!p)
		return -EINVAL;
	if (!path || path[0] != '/')
		return -EINVAL;
	/* Replace: keep the old root if the new one cannot be stored. */
	if (p->n[HM_LIST_ROOT]) {
		char old[HM_PATH_MAX];
		size_t len = strnlen(hm_policy_root(p), sizeof(old) - 1);

		memcpy(old, hm_policy_root(p), len);
		old[len] = '\0';
		old_flags = p->flags;
		list_clear(p, HM_LIST_ROOT);
		rc = add_path(p, HM_LIST_ROOT, path);
		if (rc < 0) {
			list_add(p, HM_LIST_ROOT, old, len);
			p->flags = old_flags;
			return rc;
		}
	} else {
		rc = add_path(p, HM_LIST_ROOT, path);
		if (rc < 0)
			return rc;
	}
	p->flags |= HM_F_FS_ROOT | HM_F_FS_READONLY;
	return 0;
}

int hm_policy_add_writable(struct hm_policy *p, const char *path)
{
	return add_path(p, HM_LIST_WRITABLE, path);
}

int hm_policy_add_readable(struct hm_policy *p, const char *path)
{
	return add_path(p, HM_LIST_READABLE, path);
}

static int is_ident_start(unsigned char c)
{
	/* Bytes >= 0x80: Python 3 identifiers may be non-ASCII (UTF-8). */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c >= 0x80;
}

/* True if [s, s+n) is a dotted Python identifier path ("a.b_c.d1"). */
static int import_valid(const char *s, size_t n)
{
	size_t i;
	int at_start = 1;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (at_start)
				return 0;
			at_start = 1;
			continue;
		}
		if (at_start ? !is_ident_start(c)
			     : !(is_ident_start(c) || (c >= '0' && c <= '9')))
			return 0;
		at_start = 0;
	}
	return !at_start;
}

int hm_policy_add_import(struct hm_policy *p, const char *name)
{
	const char *s = name;
	size_t n;

	if (!p || !name)
		return -EINVAL;
	n = trim(&s);
	if (!import_valid(s, n))
		return -EINVAL;
	if (n >= HM_IMPORT_MAX)
		return -ENAMETOOLONG;
	return list_add(p, HM_LIST_IMPORTS, s, n);
}

/* The per-entry maximum (NUL included) of each list. */
static const uint32_t list_cap[HM_LIST_N] = {
    [HM_LIST_ROOT] = HM_PATH_MAX,     [HM_LIST_DOMAINS] = HM_DOMAIN_MAX,
    [HM_LIST_WRITABLE] = HM_PATH_MAX, [HM_LIST_IMPORTS] = HM_IMPORT_MAX,
    [HM_LIST_READABLE] = HM_PATH_MAX,
};

static int entry_valid(enum hm_list l, const char *s, size_t len)
{
	if (len == 0 || len >= list_cap[l])
		return 0;
	switch (l) {
	case HM_LIST_DOMAINS:
		return hm_addr_domain_valid(s);
	case HM_LIST_IMPORTS:
		return import_valid(s, len);
	case HM_LIST_ROOT:
	case HM_LIST_WRITABLE:
	case HM_LIST_READABLE:
		return hm_path_is_normal(s);
	default:
		return 0;
	}
}

int hm_policy_validate(const struct hm_policy *p)
{
	uint32_t l, lo, hi, count;
	int has_root;

	if (!p)
		return -EINVAL;
	if (p->flags & ~(uint32_t)HM_F_ALL_KNOWN)
		return -EINVAL;
	if (p->used > HM_POOL_MAX || p->end[HM_LIST_N - 1] != p->used)
		return -EINVAL;
	for (l = 1; l < HM_LIST_N; l++)
		if (p->end[l - 1] > p->end[l])
			return -EINVAL;
	for (l = 0; l < HM_LIST_N; l++) {
		const char *s = p->pool + (l ? p->end[l - 1] : 0);
		const char *end;

		section(p, (enum hm_list)l, &lo, &hi);
		end = p->pool + hi;
		if (hi > lo && p->pool[hi - 1] != '\0')
			return -EINVAL;
		for (count = 0; s < end; count++) {
			size_t len = strlen(s); /* the section ends in a NUL */

			if (!entry_valid((enum hm_list)l, s, len))
				return -EINVAL;
			s += len + 1;
		}
		if (count != p->n[l])
			return -EINVAL;
	}
	if (p->n[HM_LIST_ROOT] > 1)
		return -EINVAL;
	has_root = p->n[HM_LIST_ROOT] == 1;
	if (has_root != !!(p->flags & HM_F_FS_ROOT))
		return -EINVAL;
	if (has_root && !(p->flags & HM_F_FS_READONLY))
		return -EINVAL;
	return 0;
}

int hm_profile_apply(struct hm_policy *p, const char *name)
{
	size_t i;

	if (!p)
		return -EINVAL;
	if (!name)
		return -ENOENT;
	for (i = 0; i < ARRAY_LEN(profiles); i++) {
		if (strcmp(name, profiles[i].name) == 0) {
			p->flags |= profiles[i].flags;
			return 0;
		}
	}
	return -ENOENT;
}

const char *const *hm_profile_names(void)
{
	return profile_names;
}

void hm_policy_make_invalid(struct hm_policy *p)
{
	if (!p)
		return;
	hm_policy_init(p);
	/*
	 * The block flags too, so flag-only fast paths ("is any fs policy
	 * active?") see a restricted process; the check itself looks at
	 * HM_F_INVALID first. Still passes hm_policy_validate, so a child
	 * inherits the fail-closed state.
	 */
	p->flags = HM_F_INVALID | BLOCK_FLAGS;
}

const char *hm_reason_name(enum hm_reason r)
{
	if ((unsigned)r >= HM_R_COUNT)
		return "unknown";
	return reason_names[r];
}

enum hm_family hm_op_family(enum hm_op op)
{
	switch (op) {
	case HM_OP_CONNECT:
	case HM_OP_SENDTO:
	case HM_OP_BIND:
	case HM_OP_LISTEN:
	case HM_OP_SOCKET:
	case HM_OP_RESOLVE:
	case HM_OP_REVERSE:
	case HM_OP_RAW_DNS:
	case HM_OP_RCMD:
		return HM_FAM_NETWORK;
	case HM_OP_EXEC:
		return HM_FAM_SUBPROCESS;
	case HM_OP_OPEN:
	case HM_OP_MUTATE:
		return HM_FAM_FILESYSTEM;
	case HM_OP_DLOPEN:
		return HM_FAM_NATIVE;
	case HM_OP_ENV:
	case HM_OP_CODE_EXEC:
	case HM_OP_INTERP:
	case HM_OP_IMPORT:
		return HM_FAM_PYTHON;
	default:
		/* Never HM_FAM_COUNT: callers index counters with it. */
		return HM_FAM_PYTHON;
	}
}

/* --- verdicts ------------------------------------------------------ */

/* True if @path is under an entry of @p's list @l (writable, readable). */
__attribute__((noinline)) static int in_list(const struct hm_policy *p,
					     enum hm_list l, const char *path)
{
	struct hm_list_iter it;
	const char *w;

	if (!path)
		return 0;
	for (w = hm_policy_list_first(p, l, &it); w;
	     w = hm_policy_list_next(&it))
		if (hm_path_under(path, w))
			return 1;
	return 0;
}

/* True if @path is under one of @p's writable holes. */
static int in_hole(const struct hm_policy *p, const char *path)
{
	return in_list(p, HM_LIST_WRITABLE, path);
}

/*
 * The fs_root read rule. A writable hole is readable even outside the
 * root: holes are independent of the root, the user named them.
 */
static int root_allows(const struct hm_policy *p, const char *path)
{
	const char *root;

	if (!(p->flags & HM_F_FS_ROOT))
		return 1;
	if (!path)
		return 0;
	root = hm_policy_root(p);
	if (root[0] && hm_path_under(path, root))
		return 1;
	return hm_runtime_readable(path) || in_hole(p, path) ||
	       in_list(p, HM_LIST_READABLE, path);
}

__attribute__((noinline)) static enum hm_reason
check_open(const struct hm_policy *p, const struct hm_request *rq)
{
	/* FS_ROOT implies FS_READONLY; honour it even if the pair is broken. */
	int ro = !!(p->flags & (HM_F_FS_READONLY | HM_F_FS_ROOT));

	if (!hm_open_flags_write(rq->flags))
		return root_allows(p, rq->path) ? HM_R_NONE : HM_R_FS_ROOT;
	if (!ro)
		return HM_R_NONE;
	/* A hole is writable wherever it is, inside the root or not. */
	if (in_hole(p, rq->path))
		return HM_R_NONE;
	if (!rq->is_chardev)
		return HM_R_FS_READONLY;
	/*
	 * Writes to existing character devices (/dev/null, /dev/pts/N) stay
	 * allowed; but an O_RDWR open also reads, so it keeps the root rule.
	 */
	if ((rq->flags & O_ACCMODE) == O_WRONLY)
		return HM_R_NONE;
	return root_allows(p, rq->path) ? HM_R_NONE : HM_R_FS_ROOT;
}

__attribute__((noinline)) static enum hm_reason
check_import(const struct hm_policy *p, const char *name)
{
	struct hm_list_iter it;
	const char *d;

	for (d = hm_policy_list_first(p, HM_LIST_IMPORTS, &it); d;
	     d = hm_policy_list_next(&it)) {
		size_t len;

		if (!name)
			return HM_R_DENY_IMPORT; /* fail closed */
		len = strlen(d);
		/* The module itself and its submodules: "pickle" not
		 * "pickletools". */
		if (strncmp(name, d, len) == 0 &&
		    (name[len] == '\0' || name[len] == '.'))
			return HM_R_DENY_IMPORT;
	}
	return HM_R_NONE;
}

/* The fail-closed stand-in: only what the runtime must read stays open. */
static enum hm_reason check_invalid(const struct hm_request *rq)
{
	if (rq->op == HM_OP_OPEN && !hm_open_flags_write(rq->flags) &&
	    hm_runtime_readable(rq->path))
		return HM_R_NONE;
	return HM_R_INVALID_POLICY;
}

static enum hm_reason flag_verdict(const struct hm_policy *p, uint32_t flag,
				   enum hm_reason r)
{
	return (p->flags & flag) ? r : HM_R_NONE;
}

enum hm_reason hm_policy_check(const struct hm_policy *p,
			       const struct hm_request *rq)
{
	if (!p || !rq)
		return HM_R_INVALID_POLICY;
	/* Unknown bits mean the bytes never passed hm_policy_validate. */
	if ((p->flags & HM_F_INVALID) || (p->flags & ~(uint32_t)HM_F_ALL_KNOWN))
		return check_invalid(rq);
	switch (rq->op) {
	case HM_OP_CONNECT:
	case HM_OP_SENDTO:
		/* A daemon that starts processes: either guard refuses it. */
		if (rq->is_door)
			return (p->flags & HM_F_BLOCK_NETWORK) ? HM_R_NO_NETWORK
			       : (p->flags & HM_F_BLOCK_SUBPROCESS)
				   ? HM_R_NO_SUBPROCESS
				   : HM_R_NONE;
		__attribute__((fallthrough));
	case HM_OP_BIND:
	case HM_OP_LISTEN:
	case HM_OP_SOCKET:
	case HM_OP_RESOLVE:
	case HM_OP_REVERSE:
	case HM_OP_RAW_DNS:
	case HM_OP_RCMD:
		if (!(p->flags & HM_F_BLOCK_NETWORK))
			return HM_R_NONE;
		return hm_addr_check(p, rq);
	case HM_OP_EXEC:
		return flag_verdict(p, HM_F_BLOCK_SUBPROCESS,
				    HM_R_NO_SUBPROCESS);
	case HM_OP_OPEN:
		return check_open(p, rq);
	case HM_OP_MUTATE:
		if (!(p->flags & (HM_F_FS_READONLY | HM_F_FS_ROOT)))
			return HM_R_NONE;
		return in_hole(p, rq->path) ? HM_R_NONE : HM_R_FS_READONLY;
	case HM_OP_DLOPEN:
		return flag_verdict(p, HM_F_BLOCK_NATIVE, HM_R_BLOCK_NATIVE);
	case HM_OP_ENV:
		return flag_verdict(p, HM_F_BLOCK_ENVIRONMENT,
				    HM_R_NO_ENVIRONMENT);
	case HM_OP_CODE_EXEC:
		return flag_verdict(p, HM_F_BLOCK_CODE_EXEC, HM_R_NO_CODE_EXEC);
	case HM_OP_INTERP:
		return flag_verdict(p, HM_F_BLOCK_INTERP_MUTATION,
				    HM_R_NO_INTERP_MUTATION);
	case HM_OP_IMPORT:
		return check_import(p, rq->name);
	default:
		return HM_R_INVALID_POLICY; /* an op this core does not know */
	}
}

uint32_t hm_op_gate(const struct hm_request *rq)
{
	const uint32_t always = HM_F_INVALID | ~(uint32_t)HM_F_ALL_KNOWN;

	if (!rq)
		return 0;
	switch (rq->op) {
	case HM_OP_CONNECT:
	case HM_OP_SENDTO:
		return always | (rq->is_door ? HM_GATE_DOOR : HM_GATE_NET);
	case HM_OP_BIND:
	case HM_OP_LISTEN:
	case HM_OP_SOCKET:
	case HM_OP_RESOLVE:
	case HM_OP_REVERSE:
	case HM_OP_RAW_DNS:
	case HM_OP_RCMD:
		return always | HM_GATE_NET;
	case HM_OP_EXEC:
		return always | HM_GATE_EXEC;
	case HM_OP_OPEN:
	case HM_OP_MUTATE:
		return always | HM_GATE_FS;
	case HM_OP_DLOPEN:
		return always | HM_GATE_NATIVE;
	case HM_OP_ENV:
		return always | HM_GATE_ENV;
	case HM_OP_CODE_EXEC:
		return always | HM_GATE_CODE;
	case HM_OP_INTERP:
		return always | HM_GATE_INTERP;
	case HM_OP_IMPORT:
		return 0;
	default:
		return 0;
	}
}

/* clang-format off */
static const char *const door_names[] = {
	"docker.sock", "podman.sock", "containerd.sock",
};

static const char *const door_paths[] = {
	"/run/docker.sock",
	"/var/run/docker.sock",
	"/run/podman/podman.sock",
	"/run/containerd/containerd.sock",
	"/var/run/containerd/containerd.sock",
	NULL,
};
/* clang-format on */

int hm_door_name(const char *path)
{
	const char *base;
	size_t i;

	if (!path)
		return 0;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (i = 0; i < sizeof(door_names) / sizeof(door_names[0]); i++)
		if (strcmp(base, door_names[i]) == 0)
			return 1;
	return 0;
}

const char *const *hm_door_paths(void)
{
	return door_paths;
}
