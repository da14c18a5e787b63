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

#define HERMETIC_VERSION "0.1.0"

/* Environment variables (the complete list lives in docs/environment.md). */
/* Hex-encoded wire form of the inherited policy layers (see hm_wire_*). */
#define HM_ENV_POLICY "HERMETIC_POLICY"
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
};
#define HM_F_ALL_KNOWN ((1u << 12) - 1)

#define HM_MAX_DOMAINS  32    /* allow_domains entries per layer */
#define HM_DOMAIN_MAX   256   /* bytes per domain, NUL included */
#define HM_MAX_WRITABLE 8     /* --allow-write holes per layer */
#define HM_PATH_MAX     1024  /* bytes per fs_root / writable path, NUL included */
#define HM_MAX_IMPORTS  32    /* deny_imports entries per layer */
#define HM_IMPORT_MAX   128   /* bytes per import name, NUL included */
/* clang-format on */

/*
 * One policy layer. A process is governed by a list of layers (inherited
 * base layers plus the dynamic stack of active hermetic_blocker entries);
 * an action is allowed only if EVERY layer allows it (conjunction).
 *
 * Invariants (checked by hm_policy_validate, kept by the builders):
 * every string is NUL-terminated inside its array; counts are within the
 * maxima; fs_root and writable[] are absolute, lexically normalised paths
 * ("/" allowed); domains are lower-case, without trailing dot, valid
 * hostnames of at least two labels or a literal IP; HM_F_FS_ROOT is set
 * iff fs_root[0] != 0, and then HM_F_FS_READONLY is set too.
 */
struct hm_policy {
	uint32_t flags;
	uint32_t n_domains;
	uint32_t n_writable;
	uint32_t n_imports;
	char fs_root[HM_PATH_MAX];
	char domains[HM_MAX_DOMAINS][HM_DOMAIN_MAX];
	char writable[HM_MAX_WRITABLE][HM_PATH_MAX];
	char imports[HM_MAX_IMPORTS][HM_IMPORT_MAX];
};

/* Zero the policy: everything allowed. */
void hm_policy_init(struct hm_policy *p);

/*
 * Add an allow_domains entry after normalising it (trim blanks, lower-case,
 * strip one trailing dot; a leading "*." or "." is accepted and stripped).
 * Returns 0, -EINVAL for an empty string, "*", a single label such as "com"
 * or ".com", or any character outside [a-z0-9._-] (IP literals pass), -ENOSPC
 * when the table is full, -ENAMETOOLONG when it does not fit. Duplicates
 * are accepted silently.
 */
int hm_policy_add_domain(struct hm_policy *p, const char *domain);

/*
 * Set fs_root (also sets HM_F_FS_ROOT | HM_F_FS_READONLY). @path must be
 * absolute; it is normalised lexically ("//", "/./", "/x/.." collapsed).
 * The caller resolves symlinks (realpath) first. Returns 0, -EINVAL if not
 * absolute or empty, -ENAMETOOLONG.
 */
int hm_policy_set_root(struct hm_policy *p, const char *path);

/* Add a writable hole (same path rules as hm_policy_set_root). -ENOSPC when
 * full. */
int hm_policy_add_writable(struct hm_policy *p, const char *path);

/*
 * Add a deny_imports entry (trimmed; must be a dotted Python identifier
 * path). Returns 0, -EINVAL, -ENOSPC, -ENAMETOOLONG.
 */
int hm_policy_add_import(struct hm_policy *p, const char *name);

/*
 * Check every invariant above. Returns 0 or -EINVAL. Never trusts counts:
 * safe to call on arbitrary bytes of the right size.
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
};

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
 *    "localhost" iff ALLOW_LOCALHOST ("x.localhost" goes to DNS: like any
 * name); metadata names denied; otherwise a dot-boundary match against
 * allow_domains.
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

/* Format "ip:port" ("[v6]:port", "unix:path") into @buf; returns @buf. Never
 * fails. */
const char *hm_format_sockaddr(const struct sockaddr *sa, socklen_t len,
			       char *buf, size_t cap);

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
 * read is bounds-checked; every decoded layer is validated. Returns 0,
 * -EINVAL (not hex, bad magic, bad checksum, truncated, invalid layer),
 * -EPROTO (unknown version), -E2BIG (more layers or entries than fit).
 * On error *@n is 0 and @layers is unspecified.
 */
int hm_wire_decode(const char *text, struct hm_policy *layers, size_t max,
		   size_t *n);

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
 * Find the segment created earlier in this process (by the shim) through
 * /proc/self/maps and validate its headers. Returns 0, -ENOENT if there is
 * none, -EINVAL if it is invalid.
 */
int hm_segment_attach(struct hm_segment *s);

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
