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

/* Bytes read onto the stack first: most such files fit (fewer calls). */
#define SMALL 4096

struct mapped {
	const char *text; /* NULL: missing or unreadable */
	size_t len;
	size_t cap; /* bytes mapped, 0 for none */
	char small[SMALL];
};

/*
 * Read from @fd at @done into @buf until @cap or EOF; the new length.
 * *@eof says whether the end of the file was seen.
 */
static size_t read_into(long fd, char *buf, size_t done, size_t cap, int *eof)
{
	*eof = 0;
	while (done < cap) {
		long rc = syscall(SYS_read, fd, buf + done, cap - done);

		if (rc < 0 && errno == EINTR)
			continue;
		*eof = rc == 0;
		if (rc <= 0)
			break;
		done += (size_t)rc;
	}
	return done;
}

/*
 * Text that stops before the end of the file (an error, or the 1 MiB
 * cap) must not end in half a line: "10.0.0.1 abc" cut from "... abcdef"
 * would make "abc" look local. Keep whole lines only.
 */
static size_t whole_lines(const char *text, size_t len)
{
	while (len && text[len - 1] != '\n')
		len--;
	return len;
}

static void map_file(const char *path, struct mapped *m)
{
	struct stat st;
	size_t cap;
	void *p;
	long fd;
	int eof;

	m->text = NULL;
	m->len = 0;
	m->cap = 0;
	fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return;
	m->len = read_into(fd, m->small, 0, SMALL, &eof);
	if (m->len < SMALL || eof) {
		/* The whole file, or whole lines of what was readable. */
		if (!eof)
			m->len = whole_lines(m->small, m->len);
		m->text = m->small;
		goto out;
	}
	/*
	 * Larger: an anonymous mapping rather than a mapping of the file,
	 * so a file truncated meanwhile reads short instead of raising
	 * SIGBUS.
	 */
	m->len = 0; /* from here on, a failure reads as a missing file */
	if (syscall(SYS_fstat, fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size <= SMALL)
		goto out;
	cap = (size_t)st.st_size < FILE_CAP ? (size_t)st.st_size : FILE_CAP;
	p = (void *)syscall(SYS_mmap, NULL, cap, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		goto out;
	memcpy(p, m->small, SMALL);
	m->len = read_into(fd, p, SMALL, cap, &eof);
	if (!eof)
		m->len = whole_lines(p, m->len);
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
