/*
 * transport.c - how the policy text reaches a child without E2BIG. Up to
 * HM_ENV_INLINE_MAX bytes it is the value of HERMETIC_POLICY itself. A
 * longer one (the kernel caps ONE environment string at 128 KiB) goes
 * into a sealed memfd the child inherits, and HERMETIC_POLICY only names
 * it: "fd:<N>:<inode>:<device>". The child accepts the descriptor only if
 * it is that very memfd (same inode and device: a file swapped in at N by
 * posix_spawn file actions or dup2 is refused) and sealed against every change,
 * then closes it. Used by the launcher, the exec wrappers, the shim's init and
 * _native alike. System calls only through syscall(); no malloc.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hermetic/hermetic.h"
#include "internal.h"

#define FD_PREFIX "fd:"
#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
/* The largest policy text a child accepts from a descriptor. */
#define TEXT_MAX (64u << 20)

static long sys(long rc)
{
	return rc < 0 ? -errno : rc;
}

static const char *get_u64(const char *p, unsigned long long *v)
{
	unsigned long long x = 0;
	const char *s = p;

	while (*p >= '0' && *p <= '9' && p - s < 20)
		x = x * 10 + (unsigned long long)(*p++ - '0');
	*v = x;
	return p == s ? NULL : p;
}

/* Read exactly @len bytes at @off; 0 or a negative errno. */
static int pread_all(int fd, char *buf, size_t len, off_t off)
{
	while (len) {
		long rc = syscall(SYS_pread64, fd, buf, len, off);

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return rc < 0 ? -errno : -EIO;
		buf += rc;
		off += rc;
		len -= (size_t)rc;
	}
	return 0;
}

int hm_policy_memfd(const char *text, size_t len, char *ref, size_t cap)
{
	char chunk[512];
	struct stat st;
	size_t done = 0;
	long fd, rc;
	char *p;

	if (cap < 64)
		return -ENOSPC;
	/* Inherited across exec on purpose: no MFD_CLOEXEC. */
	fd = sys(
	    syscall(SYS_memfd_create, "hermetic-policy", MFD_ALLOW_SEALING));
	if (fd < 0)
		return (int)fd;
	while (done < len) {
		rc = syscall(SYS_pwrite64, fd, text + done, len - done,
			     (off_t)done);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0) {
			rc = rc < 0 ? -errno : -EIO;
			goto err;
		}
		done += (size_t)rc;
	}
	rc = sys(syscall(SYS_fcntl, fd, F_ADD_SEALS, SEALS));
	if (rc < 0)
		goto err;
	/*
	 * Another thread could have written through /proc/self/fd/N before
	 * the seals: compare what the child will read with what we meant.
	 */
	for (done = 0; done < len; done += sizeof(chunk)) {
		size_t n =
		    len - done < sizeof(chunk) ? len - done : sizeof(chunk);

		rc = pread_all((int)fd, chunk, n, (off_t)done);
		if (rc < 0)
			goto err;
		if (memcmp(chunk, text + done, n) != 0) {
			rc = -EIO;
			goto err;
		}
	}
	rc = sys(syscall(SYS_fstat, fd, &st));
	if (rc < 0)
		goto err;
	if ((size_t)st.st_size != len) {
		rc = -EIO;
		goto err;
	}
	p = memcpy(ref, FD_PREFIX, sizeof(FD_PREFIX) - 1);
	p += sizeof(FD_PREFIX) - 1;
	p = hm_put_u64(p, (unsigned long long)fd);
	*p++ = ':';
	p = hm_put_u64(p, (unsigned long long)st.st_ino);
	*p++ = ':';
	p = hm_put_u64(p, (unsigned long long)st.st_dev);
	*p = '\0';
	return (int)fd;
err:
	syscall(SYS_close, fd);
	return (int)rc;
}

/*
 * The descriptor "fd:<N>:<ino>:<dev>" names, if it still is that file
 * (fstat into @st). Returns N or -EINVAL.
 */
static int named_fd(const char *value, struct stat *st)
{
	unsigned long long fd, ino, dev;
	const char *p;

	p = get_u64(value + sizeof(FD_PREFIX) - 1, &fd);
	if (!p || *p != ':' || fd > 0x7fffffff)
		return -EINVAL;
	p = get_u64(p + 1, &ino);
	if (!p || *p != ':')
		return -EINVAL;
	p = get_u64(p + 1, &dev);
	if (!p || *p)
		return -EINVAL;
	if (syscall(SYS_fstat, (int)fd, st) < 0 ||
	    (unsigned long long)st->st_ino != ino ||
	    (unsigned long long)st->st_dev != dev)
		return -EINVAL;
	return (int)fd;
}

static int env_decode_raw(const char *value, struct hm_policy *layers,
			  size_t max, size_t *n)
{
	struct stat st;
	long seals;
	size_t len;
	char *text;
	int rc, fd;

	*n = 0;
	if (strncmp(value, FD_PREFIX, sizeof(FD_PREFIX) - 1) != 0)
		return hm_wire_decode(value, layers, max, n);
	fd = named_fd(value, &st);
	if (fd < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (unsigned long long)st.st_size > TEXT_MAX)
		return -EINVAL;
	seals = syscall(SYS_fcntl, fd, F_GET_SEALS);
	if (seals < 0 || (seals & SEALS) != SEALS)
		return -EINVAL;
	len = (size_t)st.st_size;
	text = (char *)syscall(SYS_mmap, NULL, len + 1, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (text == MAP_FAILED)
		return -ENOMEM;
	rc = pread_all(fd, text, len, 0);
	text[len] = '\0';
	if (rc == 0)
		rc = hm_wire_decode(text, layers, max, n);
	syscall(SYS_munmap, text, len + 1);
	return rc < 0 ? (rc == -EIO ? -EINVAL : rc) : 0;
}

int hm_policy_env_cloexec(const char *value)
{
	struct stat st;
	int fd;

	if (!value || strncmp(value, FD_PREFIX, sizeof(FD_PREFIX) - 1) != 0)
		return 0;
	/* Only the descriptor it names: never touch someone else's file. */
	fd = named_fd(value, &st);
	if (fd < 0)
		return 0;
	return syscall(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC) == 0;
}

/*
 * Audit mode (HM_F_AUDIT: record, do not enforce) is valid only in the
 * outermost layer, which only a launcher writes: an inner layer must not
 * switch off an outer layer's enforcement. Anything else is refused
 * (-EPERM; the caller fails closed).
 */
int hm_policy_env_decode(const char *value, struct hm_policy *layers,
			 size_t max, size_t *n)
{
	int rc = env_decode_raw(value, layers, max, n);
	size_t i;

	if (rc < 0)
		return rc;
	for (i = 1; i < *n; i++) {
		if (layers[i].flags & HM_F_AUDIT) {
			*n = 0;
			return -EPERM;
		}
	}
	return rc;
}
