/*
 * test_procmem.c - hm_path_is_proc_mem: the one rule for "this path
 * reaches a process's memory through procfs" (issue 8 class 1).
 */
#include <stdio.h>

#include "hermetic/hermetic.h"
#include "tap.h"

static const struct {
	const char *path;
	int want;
} rows[] = {
    {"/proc/self/mem", 1},
    {"/proc/thread-self/mem", 1},
    {"/proc/1/mem", 1},
    {"/proc/4242/mem", 1},
    {"/proc/self/task/4242/mem", 1},
    {"/proc/77/task/78/mem", 1},
    {"/proc/self/map_files", 1},
    {"/proc/self/map_files/7f00-7f01", 1},
    {"/proc/12/map_files/400000-401000", 1},
    {"/proc/12/task/13/map_files/400000-401000", 1},
    {"/proc/thread-self/map_files/1-2", 1},
    /* Controls: other procfs files and look-alikes stay out. */
    {"/proc/self/maps", 0},
    {"/proc/self/memory", 0},
    {"/proc/self/mem/x", 0},
    {"/proc/self/environ", 0},
    {"/proc/self/fd/3", 0},
    {"/proc/meminfo", 0},
    {"/proc/mem", 0},
    {"/proc/selfish/mem", 0},
    {"/proc/12a/mem", 0},
    {"/proc//mem", 0},
    {"/proc/self/task/self/mem", 0},
    {"/proc/self/task/12", 0},
    {"/proc/self/task/12/maps", 0},
    {"/proc/self/map_filesx", 0},
    {"/tmp/proc/self/mem", 0},
    {"/procx/self/mem", 0},
    {"proc/self/mem", 0},
    {"/", 0},
    {"", 0},
};

int main(void)
{
	char name[128];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(name, sizeof(name), "proc mem: %s", rows[i].path);
		CHECK_INT(hm_path_is_proc_mem(rows[i].path), rows[i].want,
			  name);
	}
	CHECK_INT(hm_path_is_proc_mem(NULL), 0, "proc mem: NULL");
	return tap_done();
}
