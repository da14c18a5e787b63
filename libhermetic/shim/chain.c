/*
 * chain.c - the launch chain under block_subprocess: a known wrapper
 * program (env, nice, timeout, xargs, ...), recognised by the real path of
 * the running executable, may start the one program it wraps; the first
 * program that is not such a wrapper closes the chain. See docs/cli.md
 * ("The launch chain") for the rule and why it cannot be abused.
 */
#include <limits.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim.h"

/*
 * The wrappers, by real path. Exec-in-place: env, nice, nohup, stdbuf,
 * taskset, ionice, chrt (and setsid when it is not a group leader);
 * fork-and-wait: timeout, time, xargs, setsid -f. /bin/X is listed for
 * systems without the merged /usr (elsewhere /proc/self/exe already says
 * /usr/bin/X).
 */
static const char *const wrappers[] = {
    "/usr/bin/env",
    "/usr/bin/nice",
    "/usr/bin/nohup",
    "/usr/bin/stdbuf",
    "/usr/bin/taskset",
    "/usr/bin/ionice",
    "/usr/bin/chrt",
    "/usr/bin/timeout",
    "/usr/bin/time",
    "/usr/bin/xargs",
    "/usr/bin/setsid",
    "/bin/env",
    "/bin/nice",
    "/bin/nohup",
    "/bin/stdbuf",
    "/bin/taskset",
    "/bin/ionice",
    "/bin/chrt",
    "/bin/timeout",
    "/bin/time",
    "/bin/xargs",
    "/bin/setsid",
    NULL,
};

/*
 * Shared between the wrapper and its forked children (MAP_SHARED, made
 * before any fork): which program the chain started first.
 */
struct chain_page {
	atomic_int state; /* 0 none yet, 1 being recorded, 2 recorded */
	dev_t dev;
	ino_t ino;
};

/* Written once by hm_chain_init (under init's pthread_once). */
static struct chain_page *chain;

void hm_chain_init(void)
{
	char exe[PATH_MAX];
	struct stat st;
	ssize_t n;
	void *p;
	int i;

	if ((hm_shim_flags() & (HM_F_BLOCK_SUBPROCESS | HM_F_INVALID)) !=
	    HM_F_BLOCK_SUBPROCESS)
		return;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = '\0';
	for (i = 0; wrappers[i]; i++)
		if (!strcmp(exe, wrappers[i]))
			break;
	if (!wrappers[i])
		return;
	/* Only the system's own copy: root-owned, writable by no one else. */
	if (stat("/proc/self/exe", &st) < 0 || st.st_uid != 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) || !S_ISREG(st.st_mode))
		return;
	p = mmap(NULL, sizeof(struct chain_page), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return;
	chain = p;
	hm_shim_debug("launch chain open in ", exe);
}

int hm_chain_forks(void)
{
	return chain && hm_segment_dyn_count(&hm_shim.seg) == 0;
}

int hm_chain_allows(const char *target)
{
	struct chain_page *c = chain;
	struct stat st;
	int expect = 0, ok;

	if (!c || !target || hm_segment_dyn_count(&hm_shim.seg) > 0)
		return 0;
	/*
	 * Nothing there: the real call fails with the kernel's errno and
	 * starts nothing, so nothing is recorded.
	 */
	if (stat(target, &st) < 0)
		return errno == ENOENT || errno == ENOTDIR;
	if (atomic_compare_exchange_strong(&c->state, &expect, 1)) {
		c->dev = st.st_dev;
		c->ino = st.st_ino;
		atomic_store(&c->state, 2);
		return 1;
	}
	while (atomic_load(&c->state) != 2)
		sched_yield();
	ok = c->dev == st.st_dev && c->ino == st.st_ino;
	return ok;
}
