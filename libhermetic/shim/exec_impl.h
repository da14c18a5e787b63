/*
 * exec_impl.h - private to the process-creation interposers (exec.c,
 * exec_spawn.c, exec_shell.c): their includes, limits, the child
 * environment type and the helpers one file defines and another uses.
 */
#ifndef HERMETIC_SHIM_EXEC_IMPL_H
#define HERMETIC_SHIM_EXEC_IMPL_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wordexp.h>

#include "shim.h"

/* Exported by glibc (see sym_exec.def) but declared in no public header. */
HM_EXPORT int __libc_system(const char *cmd);
HM_EXPORT FILE *_IO_popen(const char *cmd, const char *mode);
HM_EXPORT FILE *_IO_proc_open(FILE *fp, const char *cmd, const char *mode);

#define SHELL_PATH "/bin/sh"
#define DEFAULT_PATH "/bin:/usr/bin" /* glibc's execvp default */
#define BLOCK_FLAGS HM_GATE_EXEC
#define STACK_ARGS 64	      /* execl* argv entries kept on the stack */
#define MAX_ARGS (1u << 21)   /* more than ARG_MAX can carry anyway */
#define POPEN_SLOTS 256	      /* concurrently open popen streams */
#define SLOT_BUSY ((FILE *)1) /* a slot being filled or released */

/* The child's environment, built in an anonymous mapping. */
struct child_env {
	void *map; /* the envp vector and its new strings */
	size_t size;
	char *pol; /* the policy text handed down */
	size_t pol_size;
	int pol_fd1;	  /* 1 + the memfd carrying a long policy, 0: none */
	char pol_ref[64]; /* HERMETIC_POLICY value naming that memfd */
	char **envp;	  /* NULL: forward the caller's environment untouched */
};

/* Fast-path predicates, inline in every trampoline. */
/* Whether an exec must take the slow path (a block, or any layer). */
static inline int exec_relevant(void)
{
	if (hm_shim_flags() & BLOCK_FLAGS)
		return 1;
	return hm_segment_base_count(&hm_shim.seg) +
		   hm_segment_dyn_count(&hm_shim.seg) >
	       0;
}

/* Shared between the exec files (defined in the file named). */
const char *search_path(const char *file, char *out) HM_HIDDEN;
void release_env(struct child_env *ce) HM_HIDDEN;
int exec_gate(const char *api, const char *shown, const char *ipath, int ifd,
	      char *const *env, struct child_env *ce) HM_HIDDEN;
enum hm_reason implicit_shell(const char **why) HM_HIDDEN;
void implicit_shell_report(const char *api, enum hm_reason r,
			   const char *why) HM_HIDDEN;

#endif /* HERMETIC_SHIM_EXEC_IMPL_H */
