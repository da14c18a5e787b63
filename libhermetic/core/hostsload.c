/*
 * hostsload.c - read the files hm_hosts_parse judges (/etc/nsswitch.conf,
 * /etc/hosts), once per process. Raw system calls
 * only, so it never enters an interposed function, and no allocation: the
 * files are mapped read-only for the parse and unmapped after it.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hermetic/hermetic.h"

#define FILE_CAP (1u << 20)

struct mapped {
	const char *text; /* NULL: missing or unreadable */
	size_t len;
	size_t cap; /* bytes mapped, 0 for none */
};

static void map_file(const char *path, struct mapped *m)
{
	struct stat st;
	size_t cap;
	void *p;
	long fd;

	m->text = NULL;
	m->len = 0;
	m->cap = 0;
	fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (syscall(SYS_fstat, fd, &st) < 0 || !S_ISREG(st.st_mode))
		goto out;
	if (st.st_size == 0) {
		m->text = "";
		goto out;
	}
	/*
	 * Read into an anonymous mapping rather than map the file: a file
	 * truncated meanwhile then reads short instead of raising SIGBUS.
	 */
	cap = (size_t)st.st_size < FILE_CAP ? (size_t)st.st_size : FILE_CAP;
	p = (void *)syscall(SYS_mmap, NULL, cap, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		goto out;
	while (m->len < cap) {
		long rc =
		    syscall(SYS_read, fd, (char *)p + m->len, cap - m->len);

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			break;
		m->len += (size_t)rc;
	}
	m->text = p;
	m->cap = cap;
out:
	syscall(SYS_close, fd);
}

static void unmap_file(struct mapped *m)
{
	if (m->cap)
		syscall(SYS_munmap, (void *)m->text, m->cap);
}

void hm_hosts_load(struct hm_hosts *t)
{
	struct mapped ns, hosts;
	int saved = errno;

	map_file("/etc/nsswitch.conf", &ns);
	map_file("/etc/hosts", &hosts);
	hm_hosts_parse(t, ns.text, ns.len, hosts.text, hosts.len);
	unmap_file(&ns);
	unmap_file(&hosts);
	errno = saved;
}
