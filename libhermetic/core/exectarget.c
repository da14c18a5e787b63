/*
 * exectarget.c - classify an exec target: a dynamically linked ELF the
 * preloaded shim will follow, a static ELF or a set-id/file-capability
 * binary it cannot follow, or something the kernel alone decides about.
 * Async-signal-safe and allocation-free: exec wrappers call it, also in
 * fork and vfork children.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "hermetic/hermetic.h"

/* Interpreter levels followed ("#!" scripts running "#!" scripts ...). */
#define MAX_DEPTH 4
/* Bytes of a "#!" line the kernel looks at (BINPRM_BUF_SIZE). */
#define SHEBANG_MAX 256
/* Program headers read per pread. */
#define PH_BATCH 16
/* More program headers than this is not an ELF we trust to classify. */
#define PH_MAX 4096

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_DATA ELFDATA2LSB
#else
#define NATIVE_DATA ELFDATA2MSB
#endif

static enum hm_exec_kind inspect(int fd, int depth);

static int sys_open_ro(const char *path)
{
	long rc = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);

	return rc < 0 ? -1 : (int)rc;
}

static void sys_close(int fd)
{
	syscall(SYS_close, fd);
}

/* pread exactly @len bytes at @off; 0 on success. */
static int pread_full(int fd, void *buf, size_t len, off_t off)
{
	char *p = buf;
	ssize_t rc;

	while (len) {
		rc = pread(fd, p, len, off);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return -1;
		p += rc;
		off += rc;
		len -= (size_t)rc;
	}
	return 0;
}

/* Walk @phnum program headers of @entsize bytes at @phoff for PT_INTERP. */
static enum hm_exec_kind walk_phdrs(int fd, uint64_t phoff, size_t phnum,
				    size_t entsize, int is64)
{
	unsigned char buf[PH_BATCH * sizeof(Elf64_Phdr)];
	size_t need = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	size_t done = 0, k, i;
	uint32_t type;

	if (entsize < need || entsize > sizeof(Elf64_Phdr) || phnum > PH_MAX)
		return HM_EXEC_UNKNOWN;
	while (done < phnum) {
		k = phnum - done;
		if (k > PH_BATCH)
			k = PH_BATCH;
		if (phoff > (uint64_t)INT64_MAX - done * entsize ||
		    pread_full(fd, buf, k * entsize,
			       (off_t)(phoff + done * entsize)) < 0)
			return HM_EXEC_UNKNOWN;
		for (i = 0; i < k; i++) {
			/* p_type is the first 32-bit field in both classes. */
			memcpy(&type, buf + i * entsize, sizeof(type));
			if (type == PT_INTERP)
				return HM_EXEC_DYNAMIC;
		}
		done += k;
	}
	return HM_EXEC_STATIC;
}

/*
 * The ELF class and machine this code (and so the shim) is built for: a
 * dynamic program of another class or machine gets its own loader, which
 * ignores a preload it cannot load ("wrong ELF class ... ignored") and
 * runs the program unguarded.
 */
#if defined(__LP64__)
#define NATIVE_CLASS ELFCLASS64
#else
#define NATIVE_CLASS ELFCLASS32
#endif
#if defined(__x86_64__)
#define NATIVE_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define NATIVE_MACHINE EM_AARCH64
#elif defined(__i386__)
#define NATIVE_MACHINE EM_386
#elif defined(__riscv)
#define NATIVE_MACHINE EM_RISCV
#else
#define NATIVE_MACHINE 0 /* unknown: the machine is not compared */
#endif

/* A dynamic verdict for a foreign class or machine becomes FOREIGN. */
static enum hm_exec_kind native_or_foreign(enum hm_exec_kind k, int cls,
					   unsigned machine)
{
	if (k != HM_EXEC_DYNAMIC)
		return k;
	if (cls != NATIVE_CLASS ||
	    (NATIVE_MACHINE != 0 && machine != NATIVE_MACHINE))
		return HM_EXEC_FOREIGN;
	return k;
}

static enum hm_exec_kind inspect_elf(int fd, const unsigned char *id)
{
	Elf64_Ehdr e64;
	Elf32_Ehdr e32;

	if (id[EI_DATA] != NATIVE_DATA)
		return HM_EXEC_UNKNOWN;
	if (id[EI_CLASS] == ELFCLASS64) {
		if (pread_full(fd, &e64, sizeof(e64), 0) < 0 ||
		    (e64.e_type != ET_EXEC && e64.e_type != ET_DYN) ||
		    e64.e_phnum == PN_XNUM)
			return HM_EXEC_UNKNOWN;
		return native_or_foreign(walk_phdrs(fd, e64.e_phoff,
						    e64.e_phnum,
						    e64.e_phentsize, 1),
					 ELFCLASS64, e64.e_machine);
	}
	if (id[EI_CLASS] == ELFCLASS32) {
		if (pread_full(fd, &e32, sizeof(e32), 0) < 0 ||
		    (e32.e_type != ET_EXEC && e32.e_type != ET_DYN) ||
		    e32.e_phnum == PN_XNUM)
			return HM_EXEC_UNKNOWN;
		return native_or_foreign(walk_phdrs(fd, e32.e_phoff,
						    e32.e_phnum,
						    e32.e_phentsize, 0),
					 ELFCLASS32, e32.e_machine);
	}
	return HM_EXEC_UNKNOWN;
}

/* Follow "#!interpreter [arg]" in @buf (@len bytes) to the interpreter. */
static enum hm_exec_kind inspect_script(const char *buf, size_t len, int depth)
{
	char path[SHEBANG_MAX];
	enum hm_exec_kind kind;
	size_t i = 2, k = 0;
	int fd;

	if (depth >= MAX_DEPTH)
		return HM_EXEC_UNKNOWN;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t'))
		i++;
	while (i < len && buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n' &&
	       buf[i] != '\0')
		path[k++] = buf[i++];
	/*
	 * Empty, or cut off by a full buffer: the kernel refuses it too. A
	 * shorter file ends the line at its end, as the kernel's zero-filled
	 * buffer does.
	 */
	if (k == 0 || (i == len && len == SHEBANG_MAX))
		return HM_EXEC_UNKNOWN;
	path[k] = '\0';
	fd = sys_open_ro(path);
	if (fd < 0)
		return HM_EXEC_UNKNOWN;
	kind = inspect(fd, depth + 1);
	sys_close(fd);
	return kind;
}

static int has_file_caps(int fd)
{
	long rc = syscall(SYS_fgetxattr, fd, "security.capability", NULL, 0);

	return rc >= 0;
}

static int is_setid(const struct stat *st)
{
	/* setgid without group-execute is a locking mark, not set-id. */
	return (st->st_mode & S_ISUID) ||
	       ((st->st_mode & S_ISGID) && (st->st_mode & S_IXGRP));
}

static enum hm_exec_kind inspect(int fd, int depth)
{
	char buf[SHEBANG_MAX];
	struct stat st;
	ssize_t got;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return HM_EXEC_UNKNOWN;
	do {
		got = pread(fd, buf, sizeof(buf), 0);
	} while (got < 0 && errno == EINTR);
	/* Linux ignores set-id bits on scripts: the interpreter decides. */
	if (got >= 2 && buf[0] == '#' && buf[1] == '!')
		return inspect_script(buf, (size_t)got, depth);
	if (is_setid(&st) || has_file_caps(fd))
		return HM_EXEC_SETID;
	if (got >= EI_NIDENT && memcmp(buf, ELFMAG, SELFMAG) == 0)
		return inspect_elf(fd, (const unsigned char *)buf);
	return HM_EXEC_UNKNOWN;
}

enum hm_exec_kind hm_exec_inspect_fd(int fd)
{
	enum hm_exec_kind kind;
	int saved = errno;

	kind = fd < 0 ? HM_EXEC_UNKNOWN : inspect(fd, 0);
	errno = saved;
	return kind;
}

enum hm_exec_kind hm_exec_inspect_path(const char *path)
{
	enum hm_exec_kind kind = HM_EXEC_UNKNOWN;
	int saved = errno;
	struct stat st;
	long fd;

	if (!path)
		return HM_EXEC_UNKNOWN;
	fd = sys_open_ro(path);
	if (fd >= 0) {
		kind = inspect((int)fd, 0);
		sys_close((int)fd);
	} else {
		/* Execute-only files cannot be read but may still be set-id. */
		fd = syscall(SYS_openat, AT_FDCWD, path, O_PATH | O_CLOEXEC, 0);
		if (fd >= 0) {
			if (fstat((int)fd, &st) == 0 && S_ISREG(st.st_mode) &&
			    is_setid(&st))
				kind = HM_EXEC_SETID;
			sys_close((int)fd);
		}
	}
	errno = saved;
	return kind;
}
