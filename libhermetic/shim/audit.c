/*
 * audit.c - audit mode (docs/audit.md): under HM_F_AUDIT in the sole
 * outermost layer (only the launcher's --audit writes it), a verdict
 * that would deny is recorded instead of enforced. One JSON object per
 * line is appended with one write(2) (O_APPEND, no allocation, no stdio)
 * to "$HERMETIC_AUDIT_DIR/records.jsonl"; the launcher merges the lines
 * into the report when the command ends. Only the deny path gets here.
 */
#include <fcntl.h>
#include <unistd.h>

#include "shim.h"

void hm_shim_audit_record(const struct hm_request *rq, enum hm_reason why)
{
	char path[sizeof(hm_shim.audit_dir) + 16];
	char rec[HM_AUDIT_REC_MAX];
	size_t n, len;
	int fd, saved = errno;

	len = hm_audit_format(rec, rq, why, (int)getpid(), "libc", NULL);
	n = strlen(hm_shim.audit_dir);
	memcpy(path, hm_shim.audit_dir, n);
	memcpy(path + n, "/" HM_AUDIT_RECORDS, sizeof("/" HM_AUDIT_RECORDS));
	fd = HM_REAL(open)(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
			   0600);
	if (fd >= 0) {
		if (write(fd, rec, len) != (ssize_t)len)
			hm_shim_msg("audit: cannot write a record to ", path);
		close(fd);
	} else {
		hm_shim_msg("audit: cannot open ", path);
	}
	errno = saved;
}
