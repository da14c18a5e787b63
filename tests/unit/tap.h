/*
 * tap.h - a minimal TAP harness for the C unit tests: one "ok N - name" or
 * "not ok N - name" line per check, a plan at the end, and an exit status
 * of 1 if anything failed (CTest reads the status).
 */
#ifndef HERMETIC_UNIT_TAP_H
#define HERMETIC_UNIT_TAP_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int tap_n;
static int tap_failed;

static inline void tap_ok(int cond, const char *name, const char *file,
			  int line)
{
	tap_n++;
	if (cond) {
		printf("ok %d - %s\n", tap_n, name);
		return;
	}
	tap_failed++;
	printf("not ok %d - %s\n#   at %s:%d\n", tap_n, name, file, line);
}

#define OK(cond, name) tap_ok(!!(cond), (name), __FILE__, __LINE__)

#define CHECK_INT(got, want, name)                                             \
	do {                                                                   \
		long long g_ = (long long)(got), w_ = (long long)(want);       \
		tap_ok(g_ == w_, (name), __FILE__, __LINE__);                  \
		if (g_ != w_)                                                  \
			printf("#   got %lld, want %lld\n", g_, w_);           \
	} while (0)

#define CHECK_STR(got, want, name)                                             \
	do {                                                                   \
		const char *g_ = (got), *w_ = (want);                          \
		int eq_ = g_ && w_ && strcmp(g_, w_) == 0;                     \
		tap_ok(eq_, (name), __FILE__, __LINE__);                       \
		if (!eq_)                                                      \
			printf("#   got \"%s\", want \"%s\"\n",                \
			       g_ ? g_ : "(null)", w_ ? w_ : "(null)");        \
	} while (0)

#define CHECK_ERRNO(got, want, name) CHECK_INT((got), (want), (name))

/* Print the plan and return the process exit status. */
static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	if (tap_failed)
		printf("# %d of %d checks failed\n", tap_failed, tap_n);
	return tap_failed ? 1 : 0;
}

#endif /* HERMETIC_UNIT_TAP_H */
