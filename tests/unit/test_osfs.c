/*
 * test_osfs.c - core/osfs.c: the errno the OS would have given a refused
 * write (hm_os_own_error, hm_os_open_want) and the held-descriptor re-open
 * rule (hm_os_held_reopen), shared by the shim and _native. Works in a
 * private temporary directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hermetic/hermetic.h"
#include "tap.h"

int main(void)
{
	char dir[] = "/tmp/hm-osfs-XXXXXX", file[64], sub[64], missing[80],
	     deep[96], name[32];
	int fd, ro, wo;

	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(file, sizeof(file), "%s/f", dir);
	snprintf(sub, sizeof(sub), "%s/d", dir);
	snprintf(missing, sizeof(missing), "%s/missing", dir);
	snprintf(deep, sizeof(deep), "%s/nodir/x", dir);
	fd = open(file, O_WRONLY | O_CREAT, 0600);
	close(fd);
	mkdir(sub, 0700);

	/* The outcome each open needs. */
	CHECK_INT(hm_os_open_want(O_WRONLY), HM_OSE_EXIST | HM_OSE_ISDIR,
		  "plain write open: must exist, not a directory");
	CHECK_INT(hm_os_open_want(O_WRONLY | O_CREAT),
		  HM_OSE_PARENT | HM_OSE_ISDIR, "O_CREAT: its directory");
	CHECK_INT(hm_os_open_want(O_WRONLY | O_CREAT | O_EXCL),
		  HM_OSE_ABSENT | HM_OSE_PARENT, "O_EXCL: must not exist");
	CHECK_INT(hm_os_open_want(O_TMPFILE | O_RDWR), HM_OSE_EXIST,
		  "O_TMPFILE: an existing directory");

	/* What the OS would say. */
	CHECK_INT(hm_os_own_error(AT_FDCWD, missing, 1, HM_OSE_EXIST), ENOENT,
		  "unlink of a missing file: ENOENT");
	CHECK_INT(hm_os_own_error(AT_FDCWD, file, 1, HM_OSE_EXIST), 0,
		  "unlink of an existing file: the policy's refusal");
	CHECK_INT(
	    hm_os_own_error(AT_FDCWD, sub, 1, HM_OSE_ABSENT | HM_OSE_PARENT),
	    EEXIST, "mkdir of an existing directory: EEXIST");
	CHECK_INT(hm_os_own_error(AT_FDCWD, missing, 1,
				  HM_OSE_ABSENT | HM_OSE_PARENT),
		  0, "mkdir of a new name: the policy's refusal");
	CHECK_INT(
	    hm_os_own_error(AT_FDCWD, deep, 1, HM_OSE_ABSENT | HM_OSE_PARENT),
	    ENOENT, "mkdir under a missing directory: ENOENT");
	CHECK_INT(
	    hm_os_own_error(AT_FDCWD, file, 1, HM_OSE_EXIST | HM_OSE_NOTDIR),
	    ENOTDIR, "rmdir of a file: ENOTDIR");
	CHECK_INT(
	    hm_os_own_error(AT_FDCWD, sub, 1, HM_OSE_EXIST | HM_OSE_ISDIR),
	    EISDIR, "unlink of a directory: EISDIR");
	CHECK_INT(hm_os_own_error(AT_FDCWD, missing, 1, 0), 0,
		  "no outcome asked: nothing said");

	/* Re-opening held descriptors by name. */
	ro = open(file, O_RDONLY);
	wo = open(file, O_WRONLY);
	snprintf(name, sizeof(name), "/proc/self/fd/%d", ro);
	OK(hm_os_held_reopen(name, O_RDONLY), "read re-open of a read fd");
	OK(!hm_os_held_reopen(name, O_RDWR),
	   "write re-open of a read fd is an upgrade");
	snprintf(name, sizeof(name), "/dev/fd/%d", wo);
	OK(hm_os_held_reopen(name, O_WRONLY), "write re-open of a write fd");
	OK(!hm_os_held_reopen(name, O_RDONLY),
	   "read re-open of a write-only fd is an upgrade");
	OK(!hm_os_held_reopen("/proc/self/fd/", O_RDONLY), "no number");
	OK(!hm_os_held_reopen("/proc/self/fd/3x", O_RDONLY), "not a number");
	OK(!hm_os_held_reopen("/proc/self/fd/999999", O_RDONLY),
	   "a descriptor not held");
	OK(!hm_os_held_reopen(file, O_RDONLY), "an ordinary path");
	close(ro);
	close(wo);

	unlink(file);
	rmdir(sub);
	rmdir(dir);
	return tap_done();
}
