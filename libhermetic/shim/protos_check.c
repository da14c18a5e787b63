/*
 * protos_check.c - compiled, never linked: declares every HM_SYM row with
 * the row's own return and parameter types after glibc's headers, so a
 * row whose types differ from glibc's declaration is a compile error
 * ("conflicting types"). Rows for names glibc does not declare (the
 * underscore aliases) are plain declarations. <resolv.h> and
 * <wordexp.h> are left out on purpose: those rows spell res_state and
 * wordexp_t * as void * (see sym_net_resolve.def, sym_exec_shell.def),
 * so they are not checked here.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "shim.h"

#define HM_SYM(family, req, ret, name, params) ret name params;
#define HM_REAL_ONLY(req, ret, name, params) ret name params;
#include "symbols.def"
#undef HM_SYM
#undef HM_REAL_ONLY
