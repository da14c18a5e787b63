/*
 * trampolines.h - generates the exported trampolines of one interposer
 * file from its HM_FN rows. Include it at the end of the file, after the
 * slow paths, with HM_TRAMPOLINE_ROWS naming the file's rows:
 *
 *	#define HM_TRAMPOLINE_ROWS "sym_fs_mutate.def"
 *	#include "trampolines.h"
 *
 * For every row HM_FN(family, required, ret, name, (params), (args),
 * gate, fail, err) it emits the prototype and the exported function:
 *
 *	HM_EXPORT ret name(params)
 *	{
 *		int check = hm_shim_enter();
 *
 *		if (!required && !HM_REAL(name)) {	// optional rows only
 *			errno = ENOSYS;
 *			return fail;
 *		}
 *		if (!check || !hm_shim_gate(gate))	// the fast path
 *			return HM_REAL(name) args;	// errno untouched
 *		return name##_slow args;		// hand-written
 *	}
 *
 * A row HM_FN_FAST(family, required, ret, name, (params), (args), fast,
 * fail, err) states its whole fast-path test instead of a gate: @fast is
 * an expression over the parameters (it calls hm_shim_enter() itself,
 * where the call needs it), non-zero when the call is forwarded unchecked.
 * It is evaluated first, then an optional row's ENOSYS stub runs:
 *
 *	HM_EXPORT ret name(params)
 *	{
 *		int fast = (@fast);
 *
 *		if (!required && !HM_REAL(name)) {	// optional rows only
 *			errno = ENOSYS;
 *			return fail;
 *		}
 *		if (fast)
 *			return HM_REAL(name) args;
 *		return name##_slow args;
 *	}
 *
 * It is for the calls whose fast path also looks at an argument (the
 * open flags, a destination, a socket option level) or tests the flags
 * before the real pointer (res_*, the r-commands), in exactly the order
 * of the hand-written code it replaced.
 *
 * A row HM_FN_OPEN(family, required, ret, name, (params), (args), last,
 * fast, fail, err) is a variadic open: @params are the named parameters
 * (the row's function takes "..." after them), @last the flags parameter.
 * A mode_t is read with va_arg only when needs_mode(@last) (O_CREAT,
 * O_TMPFILE), as open(2) does, before anything else; then the function
 * is HM_FN_FAST's, with the mode appended to @args in both calls:
 *
 *	HM_EXPORT ret name(params, ...)
 *	{
 *		mode_t mode = 0;	// read if needs_mode(last)
 *		int fast = (@fast);
 *		...			// as HM_FN_FAST
 *		if (fast)
 *			return HM_REAL(name)(args, mode);
 *		return name##_slow(args, mode);
 *	}
 *
 * The slow path is a static function named <name>_slow with the row's
 * parameters, defined before the include. It decides and either denies
 * (with the row's @fail and @err, which docs/errors.md lists) or
 * forwards to HM_REAL(name). HM_SYM rows
 * (hand-written entries: variadic functions and those with special fast
 * paths, listed in docs/hacking.md) expand to nothing here.
 */
#ifndef HM_TRAMPOLINE_ROWS
#error "define HM_TRAMPOLINE_ROWS before including trampolines.h"
#endif

#define HM_SYM(family, req, ret, name, params)
#define HM_REAL_ONLY(req, ret, name, params)
#define HM_SYSCALL(name, nr, nargs)
#define HM_SYSCALL_ENOSYS(nr)
#define HM_FN(family, req, ret, name, params, args, gate, fail, err)           \
	static ret name##_slow params;                                         \
	HM_EXPORT ret name params;                                             \
	HM_EXPORT ret name params                                              \
	{                                                                      \
		int check = hm_shim_enter();                                   \
                                                                               \
		if (!(req) && HM_UNLIKELY(!HM_REAL(name))) {                   \
			errno = ENOSYS;                                        \
			return fail;                                           \
		}                                                              \
		if (!check || !hm_shim_gate(gate))                             \
			return HM_REAL(name) args;                             \
		return name##_slow args;                                       \
	}
#define HM_FN_FAST(family, req, ret, name, params, args, fast, fail, err)      \
	static ret name##_slow params;                                         \
	HM_EXPORT ret name params;                                             \
	HM_EXPORT ret name params                                              \
	{                                                                      \
		int hm_fast_ = (fast);                                         \
                                                                               \
		if (!(req) && HM_UNLIKELY(!HM_REAL(name))) {                   \
			errno = ENOSYS;                                        \
			return fail;                                           \
		}                                                              \
		if (hm_fast_)                                                  \
			return HM_REAL(name) args;                             \
		return name##_slow args;                                       \
	}
#define HM_FN_OPEN(family, req, ret, name, params, args, last, fast, fail,     \
		   err)                                                        \
	static ret name##_slow(HM_UNPAREN params, mode_t mode);                \
	HM_EXPORT ret name(HM_UNPAREN params, ...);                            \
	HM_EXPORT ret name(HM_UNPAREN params, ...)                             \
	{                                                                      \
		mode_t mode = 0;                                               \
		va_list ap;                                                    \
		int hm_fast_;                                                  \
                                                                               \
		if (needs_mode(last)) {                                        \
			va_start(ap, last);                                    \
			mode = va_arg(ap, mode_t);                             \
			va_end(ap);                                            \
		}                                                              \
		hm_fast_ = (fast);                                             \
		if (!(req) && HM_UNLIKELY(!HM_REAL(name))) {                   \
			errno = ENOSYS;                                        \
			return fail;                                           \
		}                                                              \
		if (hm_fast_)                                                  \
			return HM_REAL(name)(HM_UNPAREN args, mode);           \
		return name##_slow(HM_UNPAREN args, mode);                     \
	}
#include HM_TRAMPOLINE_ROWS
#undef HM_FN
#undef HM_FN_FAST
#undef HM_FN_OPEN
#undef HM_SYM
#undef HM_REAL_ONLY
#undef HM_SYSCALL
#undef HM_SYSCALL_ENOSYS
#undef HM_TRAMPOLINE_ROWS
