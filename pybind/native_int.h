/*
 * native_int.h - the private header of hermetic._native (the .c files
 * of pybind/): the process and module state, the shared tables and the
 * functions one file of the extension calls in another. Everything
 * declared here is hidden: the extension exports PyInit__native only.
 */
#ifndef HM_NATIVE_INT_H
#define HM_NATIVE_INT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hermetic/hermetic.h"

#pragma GCC visibility push(hidden)

/* Every flag that can make a layer deny something at the Python layer. */
#define ACTIVE_FLAGS                                                           \
	(HM_F_BLOCK_NETWORK | HM_F_BLOCK_SUBPROCESS | HM_F_FS_READONLY |       \
	 HM_F_FS_ROOT | HM_F_BLOCK_NATIVE | HM_F_BLOCK_ENVIRONMENT |           \
	 HM_F_BLOCK_CODE_EXEC | HM_F_BLOCK_INTERP_MUTATION | HM_F_INVALID)

/* Flags a hermetic_blocker entry may carry (push validates against it). */
#define PUSH_FLAGS                                                             \
	(HM_F_BLOCK_NETWORK | HM_F_ALLOW_LOCALHOST | HM_F_BLOCK_SUBPROCESS |   \
	 HM_F_FS_READONLY | HM_F_BLOCK_NATIVE | HM_F_BLOCK_ENVIRONMENT |       \
	 HM_F_BLOCK_CODE_EXEC | HM_F_BLOCK_INTERP_MUTATION | HM_F_TRACE)

#define FS_FLAGS HM_GATE_FS
#define NET_FLAGS HM_GATE_NET

/*
 * Process-level state: one segment per process, whatever number of
 * interpreters or module objects load this extension. Written under
 * @lock (native_state.c, native_owner.c, _native.c); the audit hook reads
 * it lock-free.
 */
struct proc_state {
	pthread_mutex_t lock;
	int ready;    /* seg is usable */
	int attached; /* seg is the shim's: the libc layer is live */
	int hook;     /* the audit hook is installed */
	int atfork;   /* pthread_atfork handlers registered */
	int audit;    /* the launcher's --audit: record, do not raise */
	char audit_dir[PATH_MAX]; /* HERMETIC_AUDIT_DIR under audit */
	struct hm_segment seg;
	/* What the resolver answers without a query: the shim's snapshot
	 * (through the handshake) or, without the shim, own_hosts. */
	const struct hm_hosts *hosts;
	/* Layers (base + dynamic) carrying deny_imports entries. */
	_Atomic uint32_t n_import_layers;
	uint32_t import_ids[HM_MAX_DYN];
	uint32_t n_import_ids;
	/* realpath of this package's directory, and of the stdlib. */
	char pkgdir[PATH_MAX];
	char stdlib[PATH_MAX];
	/* The stdlib directory as os.__file__ spells it (code filenames). */
	char stdlib_raw[PATH_MAX];
};

extern struct proc_state proc;
extern struct hm_hosts own_hosts;

/* Non-zero while this thread runs the audit hook (no re-entry). */
extern _Thread_local int in_hook;
/* Set by the eval/exec/compile wrappers: the name the user called. */
extern _Thread_local const char *code_label;
/* Set by the compile wrapper for compile(..., flags=PyCF_ONLY_AST). */
extern _Thread_local int code_ast_only;

/* Per-module-object state (one per interpreter that imported us). */
struct mod_state {
	PyObject *policy_violation;
	PyObject *import_blocked;
	PyObject *native_import_blocked;
	PyObject *fs_blocked;
	PyObject *socket_blocked;
	PyObject *connect_blocked;
	PyObject *lookup_blocked;
	PyObject *addr_lookup_blocked;
	PyObject *orig_import;
	PyObject *orig_eval;
	PyObject *orig_exec;
	PyObject *orig_compile;
	PyObject *orig_fork_exec;
	PyObject *orig_getaddrinfo;
	PyObject *orig_gethostbyname;
	PyObject *orig_gethostbyname_ex;
	PyObject *orig_getnameinfo;
	PyObject *env_data;
};

extern struct PyModuleDef native_def;

/* Which hermetic.errors class a refusal raises (raise_violation). */
enum exc_kind {
	EXC_PLAIN,
	EXC_IMPORT,
	EXC_NATIVE_IMPORT,
	EXC_FS,
	EXC_SOCKET,
	EXC_CONNECT,	 /* ConnectBlocked: OSError ENETUNREACH */
	EXC_LOOKUP,	 /* LookupBlocked: socket.gaierror EAI_FAIL */
	EXC_ADDR_LOOKUP, /* AddressLookupBlocked: socket.herror */
};

/* hermetic_blocker(audit=True) watches (native_state.c). */
#define HM_PY_WATCH_MAX 16
struct py_watch {
	unsigned long id; /* 0: free */
	struct hm_policy *p;
	PyObject *sink; /* list of str */
};
extern struct py_watch watches[HM_PY_WATCH_MAX];
extern _Atomic uint32_t watch_flags; /* OR of the watches' flags */
extern int n_watches;
extern unsigned long next_watch_id;

/*
 * One row of the audit hook's event table (native_hook.c): the event,
 * its handler kind, the flags under which it matters, and for a
 * file-system mutation which arguments are paths and their dir_fd slots.
 */
struct hook_event {
	const char *name;
	unsigned char kind;
	uint32_t gate;
	signed char path[2];
	signed char dirfd[2];
	unsigned char
	    follow; /* EV_MUTATE: follow symlinks; EV_SOCKET: SOCK_* */
};

/* Which socket event an EV_SOCKET row is (native_net.c, on_socket). */
enum sock_event {
	SOCK_NEW,
	SOCK_CONNECT,
	SOCK_BIND,
	SOCK_SENDTO,
	SOCK_SENDMSG,
	SOCK_RESOLVE,
	SOCK_REVERSE,
};

extern __thread int nameinfo_numeric;

/* native_state.c */
int policy_has_imports(const struct hm_policy *p);
int proc_init(void);
enum hm_reason py_check(const struct hm_request *rq);
uint32_t seg_flags(void);
int import_checks_active(uint32_t f);
int under(const char *path, const char *dir);
int py_runtime_readable(const char *path);
void trace(const char *api, const char *key, const char *value,
	   enum hm_reason r);
int raise_violation(enum exc_kind kind, const char *guard, PyObject *target,
		    PyObject *msg);

/* native_fs.c */
int path_bytes(PyObject *o, PyObject **out);
const char *utf8_or(PyObject *s, const char *dflt);
int check_mutate_path(const char *api, PyObject *o, long dirfd, int follow);
long arg_long(PyObject *args, int i, long dflt);
PyObject *arg_at(PyObject *args, int i);
int on_mutation(const struct hook_event *m, PyObject *args);
int on_open(PyObject *args, uint32_t f);

/* native_net.c */
const char *host_text(PyObject *h, PyObject **keep);
int numeric_sockaddr(const char *host, int family, int port,
		     struct sockaddr_storage *ss, socklen_t *len);
void prov_record(const char *name, const char *host);
int on_socket(int which, const char *ev, PyObject *args);

/* native_checks.c */
int check_exec(void);
int on_ioctl(PyObject *args, uint32_t f);
int check_env(int write, PyObject *key, const char *api);
int check_interp(const char *label, const char *api, PyObject *path);
int on_code(const char *ev);
int check_import_name(const char *name);
void note_guarded_loaded(void);
int fresh_copy_refused(const char *name);
int on_import(PyObject *args, uint32_t f);
int on_native_interface(const char *ev, PyObject *args);

/* native_hook.c */
PyObject *native_wrap_thread_start(PyObject *m, PyObject *noargs);
PyObject *native_set_uncaught_hook(PyObject *m, PyObject *fn);
int audit_hook(const char *event, PyObject *args, void *data);
int hook_events_init(void);

/* native_wrap.c */
int install_wrappers(PyObject *m, struct mod_state *st);
int install_hidden_wrappers(PyObject *m, struct mod_state *st);

/* native_owner.c */
int import_paths_changed(PyObject *args);
PyObject *native_bind_blocker(PyObject *m, PyObject *arg);
PyObject *native_push(PyObject *m, PyObject *args);
PyObject *native_pop(PyObject *m, PyObject *args);

/* _native.c */
int ensure_ready(void);
struct hm_policy *build_policy(unsigned long flags, PyObject *root,
			       PyObject *writable, PyObject *domains,
			       PyObject *imports, PyObject *readable);

#pragma GCC visibility pop

#endif /* HM_NATIVE_INT_H */
