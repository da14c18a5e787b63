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

/* @s (NUL-terminated) if it ends inside its array of @cap bytes, else NULL. */
static const char *field(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) ? s : NULL;
}

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

/* --- builders ------------------------------------------------------ */

void hm_policy_init(struct hm_policy *p)
{
	if (p)
		memset(p, 0, sizeof(*p));
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
	if (p->n_domains >= HM_MAX_DOMAINS)
		return -ENOSPC;
	memcpy(p->domains[p->n_domains], buf, strlen(buf) + 1);
	p->n_domains++;
	return 0;
}

/* Normalise an absolute path into @dst (HM_PATH_MAX bytes) or fail. */
static int set_path(char *dst, const char *path)
{
	char buf[HM_PATH_MAX];
	int n;

	if (!path || path[0] != '/')
		return -EINVAL;
	n = hm_path_normalize(NULL, path, buf, sizeof(buf));
	if (n < 0)
		return n;
	memcpy(dst, buf, (size_t)n + 1);
	return 0;
}

int hm_policy_set_root(struct hm_policy *p, const char *path)
{
	int rc;

	if (!p)
		return -EINVAL;
	rc = set_path(p->fs_root, path);
	if (rc < 0)
		return rc;
	p->flags |= HM_F_FS_ROOT | HM_F_FS_READONLY;
	return 0;
}

int hm_policy_add_writable(struct hm_policy *p, const char *path)
{
	int rc;

	if (!p)
		return -EINVAL;
	if (p->n_writable >= HM_MAX_WRITABLE) {
		/* Still report a bad path as such. */
		if (!path || path[0] != '/')
			return -EINVAL;
		return -ENOSPC;
	}
	rc = set_path(p->writable[p->n_writable], path);
	if (rc < 0)
		return rc;
	p->n_writable++;
	return 0;
}

int hm_policy_add_readable(struct hm_policy *p, const char *path)
{
	int rc;

	if (!p)
		return -EINVAL;
	if (p->n_readable >= HM_MAX_READABLE) {
		if (!path || path[0] != '/')
			return -EINVAL;
		return -ENOSPC;
	}
	rc = set_path(p->readable[p->n_readable], path);
	if (rc < 0)
		return rc;
	p->n_readable++;
	return 0;
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
	if (p->n_imports >= HM_MAX_IMPORTS)
		return -ENOSPC;
	memcpy(p->imports[p->n_imports], s, n);
	p->imports[p->n_imports][n] = '\0';
	p->n_imports++;
	return 0;
}

int hm_policy_validate(const struct hm_policy *p)
{
	uint32_t i;
	int has_root;

	if (!p)
		return -EINVAL;
	if (p->flags & ~(uint32_t)HM_F_ALL_KNOWN)
		return -EINVAL;
	if (p->n_domains > HM_MAX_DOMAINS || p->n_writable > HM_MAX_WRITABLE ||
	    p->n_imports > HM_MAX_IMPORTS || p->n_readable > HM_MAX_READABLE)
		return -EINVAL;
	if (!field(p->fs_root, HM_PATH_MAX))
		return -EINVAL;
	has_root = p->fs_root[0] != '\0';
	if (has_root != !!(p->flags & HM_F_FS_ROOT))
		return -EINVAL;
	if (has_root &&
	    (!(p->flags & HM_F_FS_READONLY) || !hm_path_is_normal(p->fs_root)))
		return -EINVAL;
	for (i = 0; i < p->n_writable; i++)
		if (!field(p->writable[i], HM_PATH_MAX) ||
		    !hm_path_is_normal(p->writable[i]))
			return -EINVAL;
	for (i = 0; i < p->n_readable; i++)
		if (!field(p->readable[i], HM_PATH_MAX) ||
		    !hm_path_is_normal(p->readable[i]))
			return -EINVAL;
	for (i = 0; i < p->n_domains; i++)
		if (!field(p->domains[i], HM_DOMAIN_MAX) ||
		    !hm_addr_domain_valid(p->domains[i]))
			return -EINVAL;
	for (i = 0; i < p->n_imports; i++)
		if (!field(p->imports[i], HM_IMPORT_MAX) ||
		    !import_valid(p->imports[i], strlen(p->imports[i])))
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
	memset(p, 0, sizeof(*p));
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

/* True if @path is under one of @p's writable holes. */
static int in_hole(const struct hm_policy *p, const char *path)
{
	uint32_t i, n = p->n_writable;

	if (!path)
		return 0;
	if (n > HM_MAX_WRITABLE)
		n = HM_MAX_WRITABLE;
	for (i = 0; i < n; i++) {
		const char *w = field(p->writable[i], HM_PATH_MAX);

		if (w && hm_path_under(path, w))
			return 1;
	}
	return 0;
}

/* True if @path is under one of @p's --allow-read paths. */
static int in_readable(const struct hm_policy *p, const char *path)
{
	uint32_t i, n = p->n_readable;

	if (n > HM_MAX_READABLE)
		n = HM_MAX_READABLE;
	for (i = 0; i < n; i++) {
		const char *w = field(p->readable[i], HM_PATH_MAX);

		if (w && hm_path_under(path, w))
			return 1;
	}
	return 0;
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
	root = field(p->fs_root, HM_PATH_MAX);
	if (root && root[0] && hm_path_under(path, root))
		return 1;
	return hm_runtime_readable(path) || in_hole(p, path) ||
	       in_readable(p, path);
}

static enum hm_reason check_open(const struct hm_policy *p,
				 const struct hm_request *rq)
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

static enum hm_reason check_import(const struct hm_policy *p, const char *name)
{
	uint32_t i, n = p->n_imports;

	if (n > HM_MAX_IMPORTS)
		n = HM_MAX_IMPORTS;
	for (i = 0; i < n; i++) {
		const char *d = field(p->imports[i], HM_IMPORT_MAX);
		size_t len;

		if (!d || !d[0])
			continue;
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
	case HM_OP_BIND:
	case HM_OP_LISTEN:
	case HM_OP_SOCKET:
	case HM_OP_RESOLVE:
	case HM_OP_REVERSE:
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
