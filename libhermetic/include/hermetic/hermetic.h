/*
 * hermetic.h - the one public header of hermetic's policy core.
 *
 * The launcher (cli/), the Python extension (pybind/), the preloaded shim
 * (libhermetic/shim/) and the unit tests all speak through this header:
 * the policy model, named profiles, request/verdict evaluation, the wire
 * format handed from parent to child, and the per-process policy segment.
 * Everything here is Linux/glibc only.
 */
#ifndef HERMETIC_INCLUDE_HERMETIC_H
#define HERMETIC_INCLUDE_HERMETIC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* HERMETIC_VERSION, generated from project(VERSION) by CMake. */
#include <hermetic/version.h>

/* Environment variables (the complete list lives in docs/environment.md). */
/* Hex-encoded wire form of the inherited policy layers (see hm_wire_*). */
#define HM_ENV_POLICY "HERMETIC_POLICY"
/* Audit mode: the per-run directory the shim appends its records to. */
#define HM_ENV_AUDIT_DIR "HERMETIC_AUDIT_DIR"
/* Non-empty: the shim writes debug lines to stderr. */
#define HM_ENV_DEBUG "HERMETIC_DEBUG"
/*
 * Absolute path of the Python bootstrap directory (holding the
 * sitecustomize.py that loads the Python layer). Set by the launcher,
 * re-injected (with PYTHONPATH) into every child by the shim. Its parent
 * is the hermetic package directory, whose _native extension stays
 * loadable under block_native and readable under fs_root.
 */
#define HM_ENV_PYSITE "HERMETIC_PYSITE"

/* Exit codes of the launcher and of Python targets. */
#define HM_EXIT_USAGE 1	  /* hermetic's own failure */
#define HM_EXIT_BLOCKED 2 /* uncaught PolicyViolation in a Python target */

/* ------------------------------------------------------------------ */
/* Policy model                                                        */
/* ------------------------------------------------------------------ */

/* clang-format off */
enum hm_flag {
	HM_F_BLOCK_NETWORK         = 1u << 0,
	HM_F_ALLOW_LOCALHOST       = 1u << 1,  /* only meaningful with BLOCK_NETWORK */
	HM_F_BLOCK_SUBPROCESS      = 1u << 2,
	HM_F_FS_READONLY           = 1u << 3,
	HM_F_FS_ROOT               = 1u << 4,  /* derived: fs_root[] is set */
	HM_F_BLOCK_NATIVE          = 1u << 5,
	HM_F_BLOCK_ENVIRONMENT     = 1u << 6,  /* Python layer only */
	HM_F_BLOCK_CODE_EXEC       = 1u << 7,  /* Python layer only */
	HM_F_BLOCK_INTERP_MUTATION = 1u << 8,  /* Python layer only */
	HM_F_TRACE                 = 1u << 9,
	HM_F_SEALED                = 1u << 10,
	HM_F_INVALID               = 1u << 11, /* fail-closed stand-in for a bad policy */
	HM_F_AUDIT                 = 1u << 12, /* record, do not enforce (outermost layer only; docs/audit.md) */
};
#define HM_F_ALL_KNOWN ((1u << 13) - 1)

#define HM_POOL_MAX     (128u * 1024u) /* string bytes per layer, all lists */
#define HM_DOMAIN_MAX   256   /* bytes per domain, NUL included */
#define HM_PATH_MAX     1024  /* bytes per fs_root / writable path, NUL included */
#define HM_IMPORT_MAX   128   /* bytes per import name, NUL included */
/* clang-format on */

/*
 * The string lists of a layer. Each is one section of the layer's pool:
 * list l holds pool[start(l), end[l]) with start(0) = 0 and start(l) =
 * end[l - 1], its entries packed back to back, each NUL-terminated.
 */
enum hm_list {
	HM_LIST_ROOT = 0, /* fs_root: 0 or 1 entry */
	HM_LIST_DOMAINS,  /* allow_domains */
	HM_LIST_WRITABLE, /* --allow-write holes */
	HM_LIST_IMPORTS,  /* deny_imports */
	HM_LIST_READABLE, /* --allow-read paths */
	HM_LIST_N
};

/*
 * One policy layer. A process is governed by a list of layers (inherited
 * base layers plus the dynamic stack of active hermetic_blocker entries);
 * an action is allowed only if EVERY layer allows it (conjunction).
 *
 * The lists share one bounded string pool: a layer may hold any number of
 * entries as long as their bytes (each plus its NUL) fit in HM_POOL_MAX;
 * each entry is also bounded by its list's per-entry maximum. Only the
 * header and pool[0, used) carry meaning: a layer may be stored or copied
 * truncated to hm_policy_size() bytes (the segment's base area does), so
 * never copy or compare sizeof(struct hm_policy) bytes: use
 * hm_policy_copy / hm_policy_equal. Read the lists only through
 * hm_policy_list_first/next, which stay inside the pool on any bytes.
 *
 * Invariants (checked by hm_policy_validate, kept by the builders):
 * used <= HM_POOL_MAX; end[] ascends to end[HM_LIST_N - 1] == used; every
 * non-empty section ends in a NUL and holds n[l] non-empty strings, each
 * shorter than its list's maximum; fs_root and writable/readable paths are
 * absolute, lexically normalised paths ("/" allowed); domains are
 * lower-case, without trailing dot, valid hostnames or IP literals;
 * HM_F_FS_ROOT is set iff the root list has its one entry, and then
 * HM_F_FS_READONLY is set too.
 */
struct hm_policy {
	uint32_t flags;
	uint32_t used; /* pool bytes in use */
	union {
		uint32_t n[HM_LIST_N]; /* entries per list */
		struct {
			uint32_t n_root, n_domains, n_writable, n_imports,
			    n_readable;
		};
	};
	uint32_t end[HM_LIST_N]; /* section ends (see enum hm_list) */
	char pool[HM_POOL_MAX];
};

/* Bytes of a layer before its pool (the part always stored). */
#define HM_POLICY_HEAD offsetof(struct hm_policy, pool)

/*
 * A cursor over one list. hm_policy_list_first returns the first entry
 * (or NULL); hm_policy_list_next the next one, or NULL at the end. Every
 * returned string is NUL-terminated inside the list's section, and the
 * cursor never reads outside pool[0, HM_POOL_MAX) whatever the header
 * says, so a torn read of a dynamic slot stays memory-safe. Empty strings
 * (only in invalid bytes) are skipped.
 */
struct hm_list_iter {
	const char *cur;
	const char *end;
	size_t len; /* strlen of the entry last returned */
};
const char *hm_policy_list_first(const struct hm_policy *p, enum hm_list l,
				 struct hm_list_iter *it);
const char *hm_policy_list_next(struct hm_list_iter *it);

/* fs_root, or "" when the layer has none. */
const char *hm_policy_root(const struct hm_policy *p);

/* Bytes of @p that carry meaning: HM_POLICY_HEAD + used (bounded). */
size_t hm_policy_size(const struct hm_policy *p);

/* Copy hm_policy_size(@src) bytes of @src into @dst (a full layer). */
void hm_policy_copy(struct hm_policy *dst, const struct hm_policy *src);

/* True if @a and @b hold the same layer (header and used pool bytes). */
int hm_policy_equal(const struct hm_policy *a, const struct hm_policy *b);

/* Empty the policy (header only; the pool is not touched): everything
 * allowed. */
void hm_policy_init(struct hm_policy *p);

/*
 * Add an allow_domains entry after normalising it (trim blanks, lower-case,
 * strip one trailing dot; a leading "*." or "." is accepted and stripped).
 * A single label ("db", "com") is a valid entry (docs/cli.md). Returns 0,
 * -EINVAL for an empty string, "*", an empty label, or any character
 * outside [a-z0-9._-] (IP literals pass), -ENOSPC when the pool is full,
 * -ENAMETOOLONG when it is longer than HM_DOMAIN_MAX.
 * Duplicates are accepted silently.
 */
int hm_policy_add_domain(struct hm_policy *p, const char *domain);

/*
 * Set fs_root (also sets HM_F_FS_ROOT | HM_F_FS_READONLY). @path must be
 * absolute; it is normalised lexically ("//", "/./", "/x/.." collapsed).
 * The caller resolves symlinks (realpath) first. Returns 0, -EINVAL if not
 * absolute or empty, -ENAMETOOLONG.
 */
int hm_policy_set_root(struct hm_policy *p, const char *path);

/*
 * The one validation of a directory a user names as fs_root (launcher and
 * API alike; the launcher also uses it for --allow-write): @raw must name
 * an existing directory; its realpath goes to @out (@cap bytes). Returns
 * 0, -EINVAL (empty), -ENOENT (missing, or a path through a non-directory),
 * -ENOTDIR (not a directory), -ENAMETOOLONG (beyond HM_PATH_MAX), or
 * another negative errno from realpath/stat (-EACCES, -ELOOP). Not pure.
 */
int hm_resolve_dir(const char *raw, char *out, size_t cap);

/* The message part for an hm_resolve_dir failure ("does not exist", ...). */
const char *hm_resolve_dir_error(int rc);

/* Add a writable hole (same path rules as hm_policy_set_root). -ENOSPC when
 * the pool is full. */
int hm_policy_add_writable(struct hm_policy *p, const char *path);

/*
 * Add a readable path (a file or a directory tree readable even outside
 * fs_root; same path rules as hm_policy_set_root). -ENOSPC when the pool
 * is full.
 */
int hm_policy_add_readable(struct hm_policy *p, const char *path);

/*
 * Add a deny_imports entry (trimmed; must be a dotted Python identifier
 * path). Returns 0, -EINVAL, -ENOSPC (pool full), -ENAMETOOLONG.
 */
int hm_policy_add_import(struct hm_policy *p, const char *name);

/*
 * Check every invariant above. Returns 0 or -EINVAL. Never trusts the
 * header: safe to call on arbitrary bytes of sizeof(struct hm_policy).
 */
int hm_policy_validate(const struct hm_policy *p);

/*
 * Apply a named profile (OR its flags into @p): "block-all", "net-hermetic",
 * "exec-deny", "fs-readonly", "block-native". Returns 0 or -ENOENT.
 */
int hm_profile_apply(struct hm_policy *p, const char *name);

/* NULL-terminated list of profile names, in documentation order. */
const char *const *hm_profile_names(void);

/* Make @p the fail-closed stand-in for an unreadable policy (HM_F_INVALID). */
void hm_policy_make_invalid(struct hm_policy *p);

/* ------------------------------------------------------------------ */
/* Requests and verdicts                                               */
/* ------------------------------------------------------------------ */

enum hm_op {
	HM_OP_CONNECT = 1, /* sa; resolved_name = provenance or NULL */
	HM_OP_SENDTO,	   /* sa (a datagram or TFO destination); as connect */
	HM_OP_BIND,   /* sa (AF_INET/AF_INET6 only; the shim handles AF_UNIX) */
	HM_OP_LISTEN, /* sa = the socket's local address */
	HM_OP_SOCKET, /* domain, type, protocol */
	HM_OP_RESOLVE, /* name (NULL = passive/local lookup, allowed) */
	HM_OP_EXEC,    /* path (informational) */
	HM_OP_OPEN,    /* path (absolute), flags (open(2) flags), is_chardev */
	HM_OP_MUTATE,  /* path (absolute): rename/unlink/mkdir/chmod/... */
	HM_OP_DLOPEN,  /* path (informational) */
	HM_OP_ENV,     /* Python layer: environment read or write */
	HM_OP_CODE_EXEC, /* Python layer: eval/exec/compile */
	HM_OP_INTERP,	 /* Python layer: sys.path & co, chdir */
	HM_OP_IMPORT,	 /* Python layer: name = absolute module name */
	HM_OP_REVERSE,	 /* sa = the address a reverse lookup asks about */
	HM_OP_RAW_DNS,	 /* res_send/res_nsend: a raw query packet */
	HM_OP_RCMD,	 /* rcmd, rexec, rresvport, ruserok, iruserok (+ _af) */
};

/*
 * Which flags matter for which operation: a layer (or a process, through
 * the OR of its layers' flags) without any of an op's gate flags never
 * refuses it, so a front-end may forward without asking the core. The
 * one table of these masks (hm_op_gate; tests/unit/test_hosts.c proves
 * each is sound).
 */
#define HM_GATE_NET (HM_F_BLOCK_NETWORK | HM_F_INVALID)
/* connect/sendto to a container-daemon socket (rq.is_door) */
#define HM_GATE_DOOR (HM_GATE_NET | HM_F_BLOCK_SUBPROCESS)
#define HM_GATE_EXEC (HM_F_BLOCK_SUBPROCESS | HM_F_INVALID)
#define HM_GATE_FS (HM_F_FS_READONLY | HM_F_FS_ROOT | HM_F_INVALID)
#define HM_GATE_NATIVE (HM_F_BLOCK_NATIVE | HM_F_INVALID)
#define HM_GATE_ENV (HM_F_BLOCK_ENVIRONMENT | HM_F_INVALID)
#define HM_GATE_CODE (HM_F_BLOCK_CODE_EXEC | HM_F_INVALID)
#define HM_GATE_INTERP (HM_F_BLOCK_INTERP_MUTATION | HM_F_INVALID)
/* Any flag a libc-layer family acts on. */
#define HM_GATE_LIBC (HM_GATE_NET | HM_GATE_EXEC | HM_GATE_FS | HM_GATE_NATIVE)

struct hm_request;

/*
 * The gate flags of @rq's op (HM_GATE_*), plus HM_F_INVALID and unknown
 * bits, which deny (almost) everything. 0 means "every layer must be
 * asked" (deny_imports has no flag of its own; unknown ops).
 */
uint32_t hm_op_gate(const struct hm_request *rq);

/*
 * Container-daemon sockets (docker, podman, containerd): such a daemon
 * starts processes and reaches the network for its caller. True if the
 * last component of @path is one of their socket names.
 */
int hm_door_name(const char *path);

/* NULL-terminated list of the daemons' well-known socket paths (the shim
 * compares an AF_UNIX destination with them by inode). */
const char *const *hm_door_paths(void);

struct hm_hosts;

struct hm_request {
	enum hm_op op;
	const struct sockaddr *sa;
	socklen_t salen;
	const char
	    *resolved_name; /* CONNECT/SENDTO: name the address came from */
	const char *name;   /* RESOLVE, IMPORT */
	const char *path;   /* OPEN, MUTATE (absolute); EXEC, DLOPEN */
	int flags;	    /* OPEN: open flags */
	int domain, type, protocol; /* SOCKET */
	int is_chardev; /* OPEN: target exists and is a char device */
	/*
	 * RESOLVE, REVERSE: what the resolver answers without a query (the
	 * process's snapshot, hm_hosts_load), or NULL for nothing. RESOLVE
	 * also reads @domain as the address family asked for (AF_UNSPEC,
	 * AF_INET, AF_INET6).
	 */
	const struct hm_hosts *hosts;
	/*
	 * CONNECT, SENDTO to AF_UNIX: the front-end found the destination to
	 * be a container-daemon socket (hm_door_name, or by inode against
	 * hm_door_paths). Refused under BLOCK_NETWORK or BLOCK_SUBPROCESS.
	 */
	int is_door;
};

/* clang-format off */
enum hm_reason {
	HM_R_NONE = 0,              /* allowed */
	HM_R_NO_NETWORK,            /* "no-network" */
	HM_R_NO_SUBPROCESS,         /* "no-subprocess" */
	HM_R_FS_READONLY,           /* "fs-readonly" */
	HM_R_FS_ROOT,               /* "fs-root": read outside the root */
	HM_R_BLOCK_NATIVE,          /* "block-native" */
	HM_R_NO_ENVIRONMENT,        /* "no-environment" */
	HM_R_NO_CODE_EXEC,          /* "no-code-exec" */
	HM_R_NO_INTERP_MUTATION,    /* "no-interpreter-mutation" */
	HM_R_DENY_IMPORT,           /* "deny-import" */
	HM_R_UNGUARDABLE,           /* "unguardable": static/setuid exec target */
	HM_R_INVALID_POLICY,        /* "invalid-policy" */
	HM_R_COUNT
};
/* clang-format on */

/* The trace name of a reason ("no-network", ...); "allowed" for NONE. */
const char *hm_reason_name(enum hm_reason r);

/*
 * Evaluate one request against ONE layer. Pure: no I/O, no state, no
 * allocation, async-signal-safe. Returns HM_R_NONE to allow.
 * Rules (DESIGN.md section 3):
 *  - network: AF_UNIX/AF_NETLINK always allowed; other families checked by
 *    destination after normalising IPv4-mapped, IPv4-compatible and NAT64
 *    (64:ff9b::/96) IPv6 forms; metadata endpoints always denied under
 *    BLOCK_NETWORK; loopback (127/8, ::1, 0.0.0.0/8, ::) iff ALLOW_LOCALHOST;
 *    otherwise allowed iff resolved_name matches allow_domains.
 *    BIND: loopback only. LISTEN: deny a wildcard/any local address.
 *    SOCKET: deny families other than UNIX/INET/INET6/NETLINK and SCTP.
 *  - RESOLVE: NULL allowed; numeric literals allowed unless metadata;
 *    metadata names denied; a name rq->hosts answers locally for the
 *    family asked (hm_hosts_name) allowed; "localhost" iff
 *    ALLOW_LOCALHOST ("x.localhost" goes to DNS: like any name);
 *    otherwise a dot-boundary match against allow_domains.
 *  - REVERSE: metadata, multicast and invalid addresses denied; an
 *    address rq->hosts answers locally (hm_hosts_addr) allowed; loopback
 *    iff ALLOW_LOCALHOST; everything else denied (a PTR query names no
 *    allowed domain).
 *  - OPEN: a write intent (hm_open_flags_write) under FS_READONLY is denied
 *    unless the path is under a writable hole or is_chardev; a read under
 *    FS_ROOT is denied unless the path is under the root or in the
 *    runtime read allow-list (hm_runtime_readable).
 *  - MUTATE: denied under FS_READONLY unless under a writable hole.
 *  - EXEC: BLOCK_SUBPROCESS. DLOPEN: BLOCK_NATIVE.
 *  - HM_F_INVALID denies every op (reads only within the runtime allow-list).
 */
enum hm_reason hm_policy_check(const struct hm_policy *p,
			       const struct hm_request *rq);

/* True if open(2) @flags can modify the file system (see
 * docs/guards/filesystem.md). */
int hm_open_flags_write(int flags);

/*
 * core/osfs.c (system helpers, both layers): what the OS itself would say.
 * A refused write that would have failed anyway fails with the OS's own
 * errno (docs/guards/filesystem.md), so `rm -f /missing` and
 * `except FileExistsError` keep working. @want says which outcome the call
 * needs (HM_OSE_*); judged with fstatat, i.e. metadata, which the policy
 * does not confine.
 */
enum {
	HM_OSE_EXIST = 1,  /* the object must exist: ENOENT */
	HM_OSE_ABSENT = 2, /* the object must not exist: EEXIST */
	HM_OSE_PARENT = 4, /* it is created: its directory must exist */
	HM_OSE_NOTDIR = 8, /* rmdir: ENOTDIR for a non-directory */
	HM_OSE_ISDIR = 16, /* unlink, write opens: EISDIR for a directory */
};

/* The errno the OS would have given @p (relative to @dirfd), or 0. */
int hm_os_own_error(int dirfd, const char *p, int follow, int want);

/* The outcome (HM_OSE_*) a write open with @oflags needs. */
int hm_os_open_want(int oflags);

/*
 * True if opening @p ("/proc/self/fd/N", "/dev/fd/N", "/dev/stdin",
 * "/dev/stdout", "/dev/stderr") with @oflags re-opens a descriptor this
 * process holds with at least the access asked for: wrapping what is
 * held grants nothing new. A write re-open of a read-only descriptor is
 * an upgrade (acquiring) and returns 0.
 */
int hm_os_held_reopen(const char *p, int oflags);

/*
 * Translate an fopen(3) mode ("r", "w+", "a", "rb+", "re", "r,ccs=UTF-8")
 * to open(2) flags. Returns -1 for an invalid mode.
 */
int hm_fopen_mode_flags(const char *mode);

/* True if @path (absolute, normalised) is under @dir (equal or below it, on a
 * '/' boundary). */
int hm_path_under(const char *path, const char *dir);

/*
 * Lexically normalise @in into @out (cap bytes). If @in is relative it is
 * joined to @base (absolute) first; @base may be NULL for absolute input.
 * Collapses "//", "." and ".." ("/.." stays "/"). Returns the length, or
 * -EINVAL (relative without base), -ENAMETOOLONG.
 */
int hm_path_normalize(const char *base, const char *in, char *out, size_t cap);

/* True if @path (absolute, normalised) is in the built-in runtime read
 * allow-list. */
int hm_runtime_readable(const char *path);

/*
 * True if @path (absolute, normalised) reaches a process's memory through
 * procfs: /proc/P/mem, /proc/P/task/T/mem, or anything under
 * /proc/P/map_files or /proc/P/task/T/map_files, where P is "self",
 * "thread-self" or a number and T a number. Pure; the one rule for every
 * layer that refuses writing process memory.
 */
int hm_path_is_proc_mem(const char *path);

/*
 * The trusted-runtime rule of block_native (core/native.c): the
 * interpreter's own stdlib extension modules that load although new
 * native code is refused. hm_runtime_ext_module: @name (@len bytes) is on
 * the list. hm_runtime_ext_file: @base, a file name "<module>.so" or
 * "<module>.<tag>.so", names a listed module. hm_runtime_dynload_dir:
 * @dir (@len bytes, absolute, normalised) is the lib-dynload directory of
 * the interpreter whose executable's real path is @exe. The caller adds
 * the ownership half: the directory and the file are owned by root and
 * not writable by group or others.
 */
/*
 * The wildcard-bind rule (core/bindaddr.c): if @ss (@len bytes) is an
 * AF_INET/AF_INET6 "any" address (0.0.0.0, ::, ::ffff:0.0.0.0), rewrite
 * it in place to the matching loopback address (port, flow info and scope
 * kept) and return 1; otherwise leave it and return 0.
 */
int hm_bind_wildcard_to_loopback(struct sockaddr_storage *ss, socklen_t len);

int hm_runtime_ext_module(const char *name, size_t len);
int hm_runtime_ext_file(const char *base);
int hm_runtime_dynload_dir(const char *exe, const char *dir, size_t len);

/*
 * The whole trusted-runtime rule for @path (absolute, normalised, a real
 * path): a listed module's file in the lib-dynload directory of the
 * RUNNING interpreter (from the real path of /proc/self/exe), with that
 * directory and the file owned by root and not writable by group or
 * others, so the guarded program cannot have planted them. Checked at
 * each call (two stats), never cached. Not pure (core/osfs.c); used by
 * the shim's dlopen filter and _native's import hook alike.
 */
int hm_runtime_trusted_ext(const char *path);

/*
 * True if @path (absolute, normalised) is a process's environment in
 * procfs: /proc/P/environ or /proc/P/task/T/environ (P and T as above).
 * Pure; block_environment refuses reading it.
 */
int hm_path_is_proc_environ(const char *path);

/* True if @name (a DNS name, any case, optional trailing dot) equals @domain or
 * ends in "." @domain. */
int hm_domain_match(const char *name, const char *domain);

/*
 * Classify a socket address (after IPv4-mapped/compat/NAT64 normalisation).
 */
enum hm_addr_class {
	HM_ADDR_LOCAL_IPC = 1, /* AF_UNIX, AF_NETLINK */
	HM_ADDR_LOOPBACK,      /* 127/8, ::1, 0.0.0.0/8, :: */
	HM_ADDR_METADATA,      /* cloud metadata endpoints */
	HM_ADDR_MULTICAST,     /* 224/4, 255.255.255.255, ff00::/8 */
	HM_ADDR_OTHER,	       /* any other IPv4/IPv6 destination */
	HM_ADDR_INVALID,       /* NULL, too short, unknown family */
};
enum hm_addr_class hm_addr_classify(const struct sockaddr *sa, socklen_t len);

/* True if @host is a metadata endpoint name or literal, in any
 * inet_aton/inet_pton spelling. */
int hm_host_is_metadata(const char *host);

/*
 * Parse @host as getaddrinfo(AI_NUMERICHOST) would for @family (AF_INET:
 * every inet_aton spelling, no trailing text; AF_INET6: an inet_pton
 * literal with an optional "%zone", no brackets; AF_UNSPEC: either).
 * Fills @ss/@len with the address (port 0) and returns 1, or returns 0
 * for anything a resolver would have to look up. The one numeric-host
 * parser of every layer.
 */
int hm_addr_parse_numeric(const char *host, int family,
			  struct sockaddr_storage *ss, socklen_t *len);

/*
 * True if setsockopt(@level, @name) with @len bytes at @val (may be NULL)
 * would make the kernel send somewhere no connect/sendto check saw: an
 * IPv4 source route (IP_OPTIONS), an IPv6 routing header (IPV6_RTHDR,
 * IPV6_2292RTHDR, IPV6_2292PKTOPTIONS), or a caller-built IP header
 * (IP_HDRINCL, IPV6_HDRINCL). Clearing such an option (len 0 or a zero
 * flag) is not. Refused under block_network.
 */
int hm_sockopt_reroutes(int level, int name, const void *val, unsigned int len);

/* The same for one sendmsg() control message (IP_RETOPTS, IPV6_RTHDR...). */
int hm_cmsg_reroutes(int level, int type);

/* Format "ip:port" ("[v6]:port", "unix:path") into @buf; returns @buf. Never
 * fails. */
const char *hm_format_sockaddr(const struct sockaddr *sa, socklen_t len,
			       char *buf, size_t cap);

/* ------------------------------------------------------------------ */
/* Resolution provenance                                               */
/* ------------------------------------------------------------------ */

#define HM_PROV_SLOTS 256

struct hm_prov_slot {
	unsigned int seq;  /* 0 empty, odd being written, even valid */
	unsigned char fam; /* 4 or 6 */
	unsigned char addr[16];
	char name[HM_DOMAIN_MAX];
};

/*
 * A ring of the HM_PROV_SLOTS newest (address -> lookup name) records
 * (core/prov.c). Zero-initialised = empty. Lock-free: any thread may
 * record and look up concurrently; a torn slot is skipped (a deny).
 */
struct hm_prov_ring {
	unsigned int next;
	struct hm_prov_slot slots[HM_PROV_SLOTS];
};

/*
 * Record that the lookup @name (lower-cased, one trailing dot dropped)
 * answered with the address of @sa (AF_INET/AF_INET6; others ignored).
 * Only ever call it with what a real resolver returned for an allowed,
 * non-numeric lookup.
 */
void hm_prov_record(struct hm_prov_ring *r, const struct sockaddr *sa,
		    socklen_t len, const char *name);

/*
 * The newest name recorded for the address of @sa into @out (@cap >=
 * HM_DOMAIN_MAX). Returns 1 if found. Async-signal-safe.
 */
int hm_prov_lookup(const struct hm_prov_ring *r, const struct sockaddr *sa,
		   socklen_t len, char *out, size_t cap);

/* ------------------------------------------------------------------ */
/* Local name service: lookups no DNS server sees                      */
/* ------------------------------------------------------------------ */

/* clang-format off */
#define HM_HOSTS_NAMES 512   /* names kept from /etc/hosts (more: not local) */
#define HM_HOSTS_POOL  16384 /* bytes of name text kept */
#define HM_HOSTS_ADDRS 256   /* addresses kept for reverse lookups */
#define HM_HOSTS_FILES 1u      /* nsswitch: "files" answers before any query */
/* clang-format on */

/*
 * A snapshot of what glibc's resolver answers without sending a query:
 * the names and addresses of /etc/hosts, consulted only when the
 * nsswitch "hosts:" line puts "files" before every service that may query
 * (dns, resolve, mdns, ...). The machine's host name is local exactly when
 * /etc/hosts lists it (otherwise glibc asks DNS, with search domains).
 * Filled once per process (hm_hosts_parse / hm_hosts_load) and then only
 * read. Fixed size: entries beyond the limits are not local (a lookup of
 * them is judged like any DNS name: fail closed).
 */
struct hm_hosts {
	uint32_t local;	   /* HM_HOSTS_* services answering before a query */
	uint32_t n_names;  /* used entries of names[] */
	uint32_t n_addrs;  /* used entries of addrs[] */
	uint32_t pool_len; /* used bytes of pool[] */
	struct {
		uint16_t off;	  /* name text at pool[off], NUL-terminated */
		uint8_t families; /* bit 0: an IPv4 entry, bit 1: IPv6 */
	} names[HM_HOSTS_NAMES];
	struct {
		uint8_t v6; /* 0: a[0..3] IPv4, 1: a[0..15] IPv6 */
		uint8_t a[16];
	} addrs[HM_HOSTS_ADDRS];
	char pool[HM_HOSTS_POOL];
};

/*
 * Fill @t from the text of /etc/nsswitch.conf (@ns, @ns_len bytes; NULL
 * when the file is missing: glibc's default "dns [!UNAVAIL=return] files"
 * queries first, so nothing is local) and of /etc/hosts (@hosts; NULL =
 * empty). Pure; never fails: anything it does not understand leaves the
 * name non-local. Writes the counts and the used entries only (entries
 * past the counts keep whatever they held; nothing reads them).
 */
void hm_hosts_parse(struct hm_hosts *t, const char *ns, size_t ns_len,
		    const char *hosts, size_t hosts_len);

/*
 * True if a forward lookup of @name for @family (AF_UNSPEC, AF_INET,
 * AF_INET6) is answered by a local service of @t, exactly as glibc
 * matches: case-insensitive, whole name, no trailing-dot folding ("vm."
 * is not "vm": glibc sends it to DNS). @t may be NULL (nothing is local).
 */
int hm_hosts_name(const struct hm_hosts *t, const char *name, int family);

/*
 * True if a reverse lookup of @sa (AF_INET or AF_INET6, the family as
 * given: glibc's files service does not map ::ffff:a.b.c.d) is answered
 * by /etc/hosts in @t.
 */
int hm_hosts_addr(const struct hm_hosts *t, const struct sockaddr *sa,
		  socklen_t len);

/*
 * Read /etc/nsswitch.conf and /etc/hosts with raw system calls (no
 * interposed function), then hm_hosts_parse. Not pure: the front-ends call it
 * ONCE at init (the shim in its constructor, _native when it runs without the
 * shim); never call it from an interposer. Files larger than 1 MiB are read up
 * to that size.
 */
void hm_hosts_load(struct hm_hosts *t);

/* ------------------------------------------------------------------ */
/* Wire format: parent -> child (HERMETIC_POLICY)                      */
/* ------------------------------------------------------------------ */

#define HM_MAX_BASE 32 /* inherited layers a process can hold */
#define HM_MAX_DYN 32  /* active hermetic_blocker entries */

/*
 * Encode @n layers as NUL-terminated lower-case hex text of a versioned,
 * checksummed, little-endian binary form (docs/architecture.md). Returns
 * the text length (excluding NUL), or -ENOSPC if @cap is too small, or
 * -EINVAL if a layer fails hm_policy_validate. hm_wire_encoded_size()
 * gives the exact capacity needed (NUL included).
 */
size_t hm_wire_encoded_size(const struct hm_policy *layers, size_t n);
int hm_wire_encode(const struct hm_policy *layers, size_t n, char *out,
		   size_t cap);

/*
 * Decode @text into at most @max layers; *@n receives the count. Every
 * read is bounds-checked; every decoded layer is validated. Only each
 * layer's header and used pool bytes are written (a caller's scratch of
 * @max full layers stays untouched beyond them). Returns 0, -EINVAL (not
 * hex, bad magic, bad checksum, truncated, invalid layer), -EPROTO
 * (another format version), -E2BIG (more layers than @max, a layer's
 * strings beyond HM_POOL_MAX, an entry beyond its list's maximum).
 * On error *@n is 0 and @layers is unspecified.
 */
int hm_wire_decode(const char *text, struct hm_policy *layers, size_t max,
		   size_t *n);

/*
 * A diagnostic for a failed hm_wire_decode / hm_policy_env_decode (@rc <
 * 0), for "invalid HERMETIC_POLICY (<this>)". The front-ends use it for
 * -EPROTO (a parent from another hermetic build: another format version)
 * and keep strerror() for the rest.
 */
const char *hm_wire_error(int rc);

/*
 * The one builder of a child's environment (core/childenv.c), used by the
 * launcher and the exec wrappers alike. From @src (NULL = empty) it drops
 * every LD_PRELOAD, LD_AUDIT (an audit library can rebind every
 * interposed name), HERMETIC_POLICY, HERMETIC_PYSITE, PYTHONPATH when
 * @pysite is set, GCONV_PATH under @native, and under @network the
 * variables that steer glibc's resolver (LOCALDOMAIN, RES_OPTIONS,
 * HOSTALIASES, RESOLV_HOST_CONF: a child's resolver state is built from
 * them before its shim could look); then puts first
 * HERMETIC_POLICY=@policy (when set), HERMETIC_PYSITE=@pysite and
 * PYTHONPATH=@pysite[:@pythonpath_extra][:old entries but @pysite], and
 * last LD_PRELOAD=@preload[:old entries but @preload; none under @native].
 */
struct hm_childenv {
	const char *preload;	      /* libhermetic.so (absolute), required */
	const char *pysite;	      /* HERMETIC_PYSITE or NULL/"" */
	const char *pythonpath_extra; /* after pysite on PYTHONPATH, or NULL */
	const char *policy;	      /* HERMETIC_POLICY value, or NULL/"" */
	const char *audit_dir;	      /* HERMETIC_AUDIT_DIR value, or NULL/"" */
	int native;  /* block_native (or invalid) is in force */
	int network; /* block_network (or invalid): drop the resolver knobs */
};

/* Bytes hm_childenv_build needs for @src: the vector and the new strings. */
size_t hm_childenv_size(char *const *src, const struct hm_childenv *c);

/*
 * Build into @buf (@cap >= hm_childenv_size) and return the
 * NULL-terminated vector (inside @buf; it points at @src's kept strings),
 * or NULL if @cap is too small. Pure, allocation-free.
 */
char **hm_childenv_build(char *const *src, const struct hm_childenv *c,
			 void *buf, size_t cap);

/*
 * Audit mode (docs/audit.md). Records are appended, one JSON object per
 * line and one write(2) each, to HM_AUDIT_RECORDS in $HERMETIC_AUDIT_DIR.
 */
#define HM_AUDIT_REC_MAX 8192
#define HM_AUDIT_RECORDS "records.jsonl"

/*
 * Format the record of @rq, which a policy would deny for @why, made by
 * process @pid in @layer ("libc", "python"), with the optional @frame
 * ("file:line" of Python code) into @buf (HM_AUDIT_REC_MAX bytes): one
 * JSON object and a newline; long values are cut (and marked
 * "truncated"). Returns the length. Pure, allocation-free.
 */
size_t hm_audit_format(char *buf, const struct hm_request *rq,
		       enum hm_reason why, int pid, const char *layer,
		       const char *frame);

/* True if the builder replaces or drops the entry @e of a caller's env. */
int hm_childenv_dropped(const char *e, const struct hm_childenv *c);

/*
 * Transport of the policy text to a child (docs/architecture.md): inline
 * as the value of HERMETIC_POLICY up to HM_ENV_INLINE_MAX bytes; a longer
 * text (the kernel refuses one environment string over 128 KiB with E2BIG)
 * goes into a sealed memfd the child inherits, and HERMETIC_POLICY names it.
 */
#define HM_ENV_INLINE_MAX (64u * 1024u)

/*
 * Write @text (@len bytes) into a new memfd WITHOUT close-on-exec, seal it
 * (seal, shrink, grow, write), check it reads back as written, and put the
 * value to give HERMETIC_POLICY ("fd:<N>:<inode>:<device>") into @ref
 * (@cap >= 64). Returns the descriptor (the caller closes it once the
 * child has it, or after a failed exec) or a negative errno.
 */
int hm_policy_memfd(const char *text, size_t len, char *ref, size_t cap);

/*
 * Decode a HERMETIC_POLICY value: the wire text itself (hm_wire_decode),
 * or "fd:..." naming a memfd from hm_policy_memfd, accepted only if the
 * descriptor is still that memfd (inode and device) and fully sealed.
 * Same results as hm_wire_decode; -EINVAL for a missing or swapped
 * descriptor (the caller fails closed).
 */
int hm_policy_env_decode(const char *value, struct hm_policy *layers,
			 size_t max, size_t *n);

/*
 * Mark the descriptor an "fd:..." value names close-on-exec, if it still
 * is that memfd: the process itself may read it again (a nested launcher,
 * an exec wrapper merging the caller's value), but it is not handed on to
 * the next program, which gets its own. Returns 1 if marked.
 */
int hm_policy_env_cloexec(const char *value);

/* ------------------------------------------------------------------ */
/* The per-process policy segment                                      */
/* ------------------------------------------------------------------ */

/*
 * A process holds one segment: a sealed, read-only BASE (inherited layers,
 * immutable after creation) in a memfd named "hermetic-base", and a DYNAMIC
 * stack (active hermetic_blocker entries) in a memfd named "hermetic-dyn"
 * mapped MAP_PRIVATE (so a forked child gets a copy and nothing flows back
 * to the parent). Both memfds are sealed against shrinking and growing.
 * Readers are lock-free (seqlock on the dynamic part) and fail closed.
 * Writers (push/pop) must be serialised by the caller (one process-wide lock).
 */
struct hm_base_area;
struct hm_dyn_area;
struct hm_segment {
	const struct hm_base_area *base;
	struct hm_dyn_area *dyn;
};

/* Block counters kept in the dynamic area (per family). */
enum hm_family {
	HM_FAM_NETWORK = 0,
	HM_FAM_SUBPROCESS,
	HM_FAM_FILESYSTEM,
	HM_FAM_NATIVE,
	HM_FAM_PYTHON,
	HM_FAM_COUNT
};

/* The family a request op belongs to. */
enum hm_family hm_op_family(enum hm_op op);

/*
 * Create this process's segment holding @n base layers (n may be 0).
 * Returns 0 or a negative errno; on failure @s is zeroed.
 */
int hm_segment_create(struct hm_segment *s, const struct hm_policy *base,
		      size_t n);

/*
 * The shim's handshake: one object the preloaded libhermetic.so exports
 * under the name HM_SHIM_HANDSHAKE (its only export that is not a libc
 * name). _native finds it with dlsym(RTLD_DEFAULT, HM_SHIM_HANDSHAKE) and
 * attaches to the shim's segment and resolver snapshot, so one
 * hermetic_blocker governs both layers and both judge lookups alike.
 */
#define HM_SHIM_HANDSHAKE "hermetic_shim_handshake"
#define HM_HANDSHAKE_MAGIC 0x4b534848u /* "HHSK" */
struct hm_handshake {
	uint32_t magic; /* HM_HANDSHAKE_MAGIC */
	uint32_t size;	/* sizeof(struct hm_handshake) */
	const struct hm_segment *seg;
	const struct hm_hosts *hosts;
};

/*
 * Attach to the segment the shim published in @h (NULL: there is no
 * shim) and validate its headers. Returns 0, -ENOENT if @h is NULL,
 * -EINVAL if @h or the segment is invalid. On failure @s is zeroed.
 */
int hm_segment_attach(struct hm_segment *s, const struct hm_handshake *h);

/* Number of base layers / dynamic entries (a snapshot). */
size_t hm_segment_base_count(const struct hm_segment *s);
size_t hm_segment_dyn_count(const struct hm_segment *s);

/* Read-only access to base layer @i (< base_count). */
const struct hm_policy *hm_segment_base_layer(const struct hm_segment *s,
					      size_t i);

/*
 * Push @p (validated first) as a new dynamic entry; @sealed entries can
 * never be popped. *@id receives a handle for hm_segment_pop. Returns 0,
 * -EINVAL (invalid policy), -ENOSPC (HM_MAX_DYN reached). Caller serialises
 * writers.
 */
int hm_segment_push(struct hm_segment *s, const struct hm_policy *p, int sealed,
		    uint32_t *id);

/*
 * Remove the entry @id wherever it sits in the stack. Returns 0, -ENOENT
 * (no such entry), -EPERM (sealed). Caller serialises writers.
 */
int hm_segment_pop(struct hm_segment *s, uint32_t id);

/*
 * OR of the flags of every layer (base and dynamic): a cheap fast-path
 * test ("is any fs policy active at all?"). Lock-free; on a torn or
 * invalid segment it returns HM_F_INVALID plus every block flag.
 */
uint32_t hm_segment_flags(const struct hm_segment *s);

/*
 * Evaluate @rq against every layer (conjunction). Lock-free and
 * allocation-free; retries a torn read, and fails closed with
 * HM_R_INVALID_POLICY if it cannot get a consistent one. A deny bumps the
 * family's counter.
 */
enum hm_reason hm_segment_check(struct hm_segment *s,
				const struct hm_request *rq);

/* Blocks counted for @fam in this process so far. */
uint64_t hm_segment_count(const struct hm_segment *s, enum hm_family fam);

/*
 * Encode the effective policy (base layers then dynamic entries) for a
 * child, as hm_wire_encode does. Returns the text length, 0 when there are
 * no layers at all (nothing to hand down; @out is ""), -ENOSPC, or
 * -E2BIG when base + dynamic exceeds HM_MAX_BASE (the caller must refuse
 * the spawn). hm_segment_snapshot_size() bounds the capacity needed.
 */
size_t hm_segment_snapshot_size(const struct hm_segment *s);
int hm_segment_snapshot(const struct hm_segment *s, char *out, size_t cap);

/* ------------------------------------------------------------------ */
/* Exec targets                                                        */
/* ------------------------------------------------------------------ */

enum hm_exec_kind {
	HM_EXEC_DYNAMIC = 0, /* dynamically linked ELF the shim follows */
	HM_EXEC_STATIC,	     /* ELF without PT_INTERP */
	HM_EXEC_SETID,	 /* setuid/setgid bit or security.capability xattr */
	HM_EXEC_UNKNOWN, /* not ELF/#!, or missing (the kernel decides) */
	/* A dynamic ELF of another class or machine (a 32-bit program): its
	 * loader ignores the shim and runs it unguarded. */
	HM_EXEC_FOREIGN,
	/* A Go program (a "Go" ELF note, or a .go.buildinfo or
	 * .note.go.buildid section), static or dynamic: it makes system
	 * calls directly, past every libc wrapper. */
	HM_EXEC_GO,
	/* A dynamic ELF whose PT_INTERP is not one of the system's glibc
	 * loaders (hm_exec_loader_trusted). */
	HM_EXEC_INTERP,
	/* A "#!" chain deeper than the kernel follows (5 interpreters). */
	HM_EXEC_DEEP,
	/* A regular executable file that cannot be read (mode --x). */
	HM_EXEC_OPAQUE,
	HM_EXEC_N_KINDS
};

/*
 * Inspect the file open at @fd (read with pread only; async-signal-safe,
 * allocation-free). A "#!" script is resolved to its interpreter (as
 * many levels as the kernel follows) and the interpreter inspected
 * instead. Never changes the file offset.
 */
enum hm_exec_kind hm_exec_inspect_fd(int fd);

/*
 * As hm_exec_inspect_fd for a path (opened O_RDONLY|O_CLOEXEC, then
 * closed). A regular file with an execute bit that cannot be opened for
 * reading is HM_EXEC_OPAQUE (HM_EXEC_SETID if set-id).
 */
enum hm_exec_kind hm_exec_inspect_path(const char *path);

/* Guards a target the shim cannot follow would escape. */
#define HM_EXEC_GUARD_FLAGS                                                    \
	(HM_F_BLOCK_NETWORK | HM_F_BLOCK_SUBPROCESS | HM_F_FS_READONLY |       \
	 HM_F_FS_ROOT | HM_F_BLOCK_NATIVE | HM_F_INVALID)

/*
 * The one decision on exec targets, for the launcher and the shim: NULL
 * when a target of @kind may start under @flags (the OR of every layer's
 * flags), else why it is refused and what would work, to print after
 * "hermetic: <path>". Pure.
 */
const char *hm_exec_refusal(uint32_t flags, enum hm_exec_kind kind);

/*
 * Whether the PT_INTERP bytes @interp (@len = p_filesz, with its NUL)
 * name one of this machine's system glibc loaders. Pure.
 */
int hm_exec_loader_trusted(const char *interp, size_t len);

/*
 * Whether the ELF notes in @buf (@len bytes, entries aligned to @align:
 * 4 or 8) include one of the Go toolchain's (name "Go"). Pure.
 */
int hm_exec_notes_go(const unsigned char *buf, size_t len, size_t align);

/* ------------------------------------------------------------------ */
/* Logging (one write(2) per line, allocation-free, errno preserved)   */
/* ------------------------------------------------------------------ */

/*
 * Write "[hermetic] blocked <api>[ <key>=<value>] reason=<reason>\n" to
 * @fd in one write(2). @key/@value may be NULL. Values are truncated,
 * never split; control characters are replaced by '?'.
 */
void hm_log_blocked(int fd, const char *api, const char *key, const char *value,
		    enum hm_reason reason);

/*
 * Write "hermetic: " followed by the concatenation of the NULL-terminated
 * string arguments and "\n" in one write(2).
 */
void hm_log_msg(int fd, const char *first, ...) __attribute__((sentinel));

#endif /* HERMETIC_INCLUDE_HERMETIC_H */
