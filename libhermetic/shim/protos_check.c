/*
 * protos_check.c - compiled, never linked: declares every HM_SYM row with
 * the row's own return and parameter types after glibc's headers, so a
 * row whose types differ from glibc's declaration is a compile error
 * ("conflicting types"). Rows for names glibc does not declare (the
 * underscore aliases) are plain declarations. The res_n* rows spell
 * res_state as struct __res_state * and newlocale's locale_t as struct
 * __locale_struct *, which <resolv.h> and <locale.h> check.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <iconv.h>
#include <locale.h>
#include <netdb.h>
#include <resolv.h>
#include <stdlib.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "shim.h"

#define HM_SYM(family, req, ret, name, params) ret name params;
#define HM_REAL_ONLY(req, ret, name, params) ret name params;
#include "symbols.def"
#undef HM_SYM
#undef HM_REAL_ONLY
