/*
 * exectarget.c - classify an exec target: a dynamically linked ELF the
 * preloaded shim will follow, one it cannot follow (static, set-id or
 * file capabilities, another architecture, a Go program, a loader of its
 * own, a "#!" chain deeper than the kernel follows, a file that cannot be
 * read), or something the kernel alone decides about; and the one
 * decision and message table both the launcher and the shim's exec
 * wrappers use for it (hm_exec_refusal).
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

/*
 * Interpreter levels followed ("#!" scripts running "#!" scripts ...):
 * as many as the kernel follows. fs/exec.c exec_binprm() allows five
 * rewrites ("if (depth > 5) return -ELOOP"); measured on 6.x: a chain of
 * five scripts runs, six fail with ELOOP. Deeper is HM_EXEC_DEEP.
 */
#define MAX_DEPTH 5
/* Bytes of a "#!" line the kernel looks at (BINPRM_BUF_SIZE). */
#define SHEBANG_MAX 256
/*
 * Bytes read from the start of the file at once: the "#!" line, or the
 * ELF header, the program headers, the notes and the PT_INTERP string of
 * an ordinary program (/bin/true: 924 bytes), served from this buffer
 * instead of a pread each.
 */
#define HEAD_BYTES 1024
/* Program headers read per pread. */
#define PH_BATCH 16
/* More program headers than this is not an ELF we trust to classify. */
#define PH_MAX 4096
/* PT_NOTE segments, and bytes of each, searched for a Go note. */
#define NOTES_MAX 8
#define NOTE_BYTES 1024
/* Section headers searched for a Go section (more: not looked at), read
 * this many at a time; bytes of the section-name table read at once. */
#define SH_MAX 1024
#define SH_BATCH 32
#define STRTAB_BYTES 1024
/* Longest PT_INTERP string compared with the loader table. */
#define INTERP_MAX 128

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_DATA ELFDATA2LSB
#else
#define NATIVE_DATA ELFDATA2MSB
#endif

static enum hm_exec_kind inspect(int fd, int depth);

/* An open target and the first bytes of it (struct head). */
struct head {
	int fd;
	size_t len; /* bytes of buf read from offset 0 */
	unsigned char buf[HEAD_BYTES];
};

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

/*
 * Exactly @len bytes at @off of the target: from the head buffer when it
 * holds them, else pread; 0 on success.
 */
static int head_read(const struct head *h, void *buf, size_t len, uint64_t off)
{
	if (off <= h->len && len <= h->len - off) {
		memcpy(buf, h->buf + off, len);
		return 0;
	}
	if (off > (uint64_t)INT64_MAX)
		return -1;
	return pread_full(h->fd, buf, len, (off_t)off);
}

/* What the verdict needs from the program headers. */
struct elf_facts {
	int has_interp;
	uint64_t interp_off, interp_len;
	unsigned int n_notes;
	uint64_t note_off[NOTES_MAX], note_len[NOTES_MAX],
	    note_align[NOTES_MAX];
};

/* One program header of either class, widened. */
static void phdr_at(const unsigned char *p, int is64, uint32_t *type,
		    uint64_t *off, uint64_t *filesz, uint64_t *align)
{
	Elf64_Phdr h64;
	Elf32_Phdr h32;

	if (is64) {
		memcpy(&h64, p, sizeof(h64));
		*type = h64.p_type;
		*off = h64.p_offset;
		*filesz = h64.p_filesz;
		*align = h64.p_align;
	} else {
		memcpy(&h32, p, sizeof(h32));
		*type = h32.p_type;
		*off = h32.p_offset;
		*filesz = h32.p_filesz;
		*align = h32.p_align;
	}
}

/* Walk @phnum program headers of @entsize bytes at @phoff; 0 or -1. */
static int walk_phdrs(const struct head *h, uint64_t phoff, size_t phnum,
		      size_t entsize, int is64, struct elf_facts *ef)
{
	unsigned char buf[PH_BATCH * sizeof(Elf64_Phdr)];
	size_t need = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	size_t done = 0, k, i;
	uint64_t off, filesz, align;
	uint32_t type;

	memset(ef, 0, sizeof(*ef));
	if (entsize < need || entsize > sizeof(Elf64_Phdr) || phnum > PH_MAX)
		return -1;
	while (done < phnum) {
		k = phnum - done;
		if (k > PH_BATCH)
			k = PH_BATCH;
		if (phoff > (uint64_t)INT64_MAX - done * entsize ||
		    head_read(h, buf, k * entsize, phoff + done * entsize) < 0)
			return -1;
		for (i = 0; i < k; i++) {
			phdr_at(buf + i * entsize, is64, &type, &off, &filesz,
				&align);
			if (type == PT_INTERP && !ef->has_interp) {
				ef->has_interp = 1;
				ef->interp_off = off;
				ef->interp_len = filesz;
			} else if (type == PT_NOTE && ef->n_notes < NOTES_MAX) {
				ef->note_off[ef->n_notes] = off;
				ef->note_len[ef->n_notes] = filesz;
				ef->note_align[ef->n_notes] = align;
				ef->n_notes++;
			}
		}
		done += k;
	}
	return 0;
}

/*
 * The ELF class and machine this code (and so the shim) is built for: a
 * dynamic program of another class or machine gets its own loader, which
 * ignores a preload it cannot load ("wrong ELF class ... ignored") and
 * runs the program unguarded.
 */
#if defined(__LP64__)
#define NATIVE_CLASS ELFCLASS64
typedef Elf64_Ehdr native_ehdr;
typedef Elf64_Shdr native_shdr;
#else
#define NATIVE_CLASS ELFCLASS32
typedef Elf32_Ehdr native_ehdr;
typedef Elf32_Shdr native_shdr;
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

/*
 * The program loaders the shim is known to load into: glibc's ld.so for
 * this machine, under every path Debian, Fedora and merged-/usr systems
 * spell it. A PT_INTERP naming anything else (a loader of the program's
 * own, a static "interpreter" that never reads LD_PRELOAD, musl's loader,
 * which cannot load a glibc shim) is HM_EXEC_INTERP. The paths are
 * root-owned system files; replacing the system loader is out of scope.
 */
static const char *const system_loaders[] = {
#if defined(__x86_64__)
    "/lib64/ld-linux-x86-64.so.2",
    "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
    "/usr/lib64/ld-linux-x86-64.so.2",
    "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
#elif defined(__aarch64__)
    "/lib/ld-linux-aarch64.so.1",
    "/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1",
    "/usr/lib/ld-linux-aarch64.so.1",
    "/usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1",
    "/lib64/ld-linux-aarch64.so.1",
    "/usr/lib64/ld-linux-aarch64.so.1",
#elif defined(__riscv)
    "/lib/ld-linux-riscv64-lp64d.so.1",
    "/lib/riscv64-linux-gnu/ld-linux-riscv64-lp64d.so.1",
    "/usr/lib/riscv64-linux-gnu/ld-linux-riscv64-lp64d.so.1",
#elif defined(__i386__)
    "/lib/ld-linux.so.2",
    "/lib/i386-linux-gnu/ld-linux.so.2",
    "/usr/lib/i386-linux-gnu/ld-linux.so.2",
#endif
    NULL,
};

int hm_exec_loader_trusted(const char *interp, size_t len)
{
	const char *nul;
	size_t n, i;

	if (!interp)
		return 0;
	/* The kernel wants the NUL inside p_filesz and opens up to the first.
	 */
	nul = memchr(interp, '\0', len);
	if (!nul)
		return 0;
	n = (size_t)(nul - interp);
	for (i = 0; system_loaders[i]; i++) {
		if (strlen(system_loaders[i]) == n &&
		    memcmp(system_loaders[i], interp, n) == 0)
			return 1;
	}
	return 0;
}

/* Whether PT_INTERP at @off (@len bytes) names a system loader. */
static int interp_trusted(const struct head *h, uint64_t off, uint64_t len)
{
	char buf[INTERP_MAX];

	if (len == 0 || len > sizeof(buf) ||
	    head_read(h, buf, (size_t)len, off) < 0)
		return 0;
	return hm_exec_loader_trusted(buf, (size_t)len);
}

/* Round @n up to @a (a power of two); SIZE_MAX on overflow. */
static size_t pad_to(size_t n, size_t a)
{
	if (n > SIZE_MAX - (a - 1))
		return SIZE_MAX;
	return (n + a - 1) & ~(a - 1);
}

int hm_exec_notes_go(const unsigned char *buf, size_t len, size_t align)
{
	uint32_t namesz, descsz;
	size_t off = 0, n;

	if (align != 8)
		align = 4;
	while (buf && len - off >= 12) {
		memcpy(&namesz, buf + off, 4);
		memcpy(&descsz, buf + off + 4, 4);
		off += 12;
		/* The Go toolchain's notes are all named "Go" (namesz 4). */
		if (namesz == 4 && len - off >= 4 &&
		    memcmp(buf + off, "Go\0\0", 4) == 0)
			return 1;
		n = pad_to(namesz, align);
		if (n > len - off)
			return 0;
		off += n;
		n = pad_to(descsz, align);
		if (n > len - off)
			return 0;
		off += n;
	}
	return 0;
}

/* Sections only the Go linker makes. */
static const char *const go_sections[] = {".go.buildinfo", ".note.go.buildid",
					  NULL};

/* Whether @name (NUL-terminated or cut at @len) is a Go section's. */
static int go_section_name(const char *name, size_t len)
{
	size_t j, n;

	for (j = 0; go_sections[j]; j++) {
		n = strlen(go_sections[j]) + 1;
		if (n <= len && memcmp(name, go_sections[j], n) == 0)
			return 1;
	}
	return 0;
}

/*
 * Whether the section headers of the native-class ELF @e name a Go one.
 * Headers are read SH_BATCH at a time (the first batch usually holds the
 * section-name table's header too) and the section-name table once (names
 * past STRTAB_BYTES are read one by one), so an ordinary binary costs two
 * preads.
 */
static int go_by_sections(const struct head *h, const native_ehdr *e)
{
	native_shdr sh[SH_BATCH], strtab;
	char names[STRTAB_BYTES], one[20];
	size_t i, k, n, done = 0, have = 0;
	ssize_t got;

	if (e->e_shoff == 0 || e->e_shentsize != sizeof(sh[0]) ||
	    e->e_shnum == 0 || e->e_shstrndx >= e->e_shnum ||
	    e->e_shoff > (uint64_t)INT64_MAX / 2)
		return 0;
	n = e->e_shnum < SH_MAX ? e->e_shnum : SH_MAX;
	k = n < SH_BATCH ? n : SH_BATCH;
	if (head_read(h, sh, k * sizeof(sh[0]), e->e_shoff) < 0)
		return 0;
	if (e->e_shstrndx < k)
		strtab = sh[e->e_shstrndx];
	else if (head_read(h, &strtab, sizeof(strtab),
			   e->e_shoff +
			       (uint64_t)e->e_shstrndx * sizeof(strtab)) < 0)
		return 0;
	if (strtab.sh_offset > (uint64_t)INT64_MAX / 2)
		return 0;
	i = strtab.sh_size < sizeof(names) ? (size_t)strtab.sh_size
					   : sizeof(names);
	got = pread(h->fd, names, i, (off_t)strtab.sh_offset);
	if (got > 0)
		have = (size_t)got;
	for (;;) {
		for (i = 0; i < k; i++) {
			if (sh[i].sh_name >= strtab.sh_size)
				continue;
			if (sh[i].sh_name < have) {
				if (go_section_name(names + sh[i].sh_name,
						    have - sh[i].sh_name))
					return 1;
				continue;
			}
			/* Past the buffer: read this name on its own. */
			memset(one, 0, sizeof(one));
			if (pread(h->fd, one, sizeof(one) - 1,
				  (off_t)(strtab.sh_offset + sh[i].sh_name)) >
				0 &&
			    go_section_name(one, sizeof(one)))
				return 1;
		}
		done += k;
		if (done >= n)
			return 0;
		k = n - done < SH_BATCH ? n - done : SH_BATCH;
		if (head_read(h, sh, k * sizeof(sh[0]),
			      e->e_shoff + done * sizeof(sh[0])) < 0)
			return 0;
	}
}

/*
 * Whether the note segment at @off (@len bytes) holds a Go note. Out of
 * line: its buffer is only on the stack while it runs (a note outside the
 * head buffer is rare), not under go_by_sections' buffers.
 */
static __attribute__((noinline)) int
notes_go_at(const struct head *h, uint64_t off, uint64_t len, uint64_t align)
{
	unsigned char buf[NOTE_BYTES];
	size_t n = len < sizeof(buf) ? (size_t)len : sizeof(buf);

	if (n < 12)
		return 0;
	if (off <= h->len && n <= h->len - off)
		return hm_exec_notes_go(h->buf + off, n, (size_t)align);
	if (head_read(h, buf, n, off) < 0)
		return 0;
	return hm_exec_notes_go(buf, n, (size_t)align);
}

/* Whether the native-class ELF at @h is a Go program (notes, sections). */
static int is_go(const struct head *h, const struct elf_facts *ef,
		 const native_ehdr *e)
{
	unsigned int i;

	for (i = 0; i < ef->n_notes; i++)
		if (notes_go_at(h, ef->note_off[i], ef->note_len[i],
				ef->note_align[i]))
			return 1;
	return go_by_sections(h, e);
}

/*
 * The verdict for an ELF whose class and machine are known: FOREIGN for
 * a dynamic program of another class or machine; for a native one, GO,
 * then STATIC (no PT_INTERP), then INTERP (not a system loader).
 */
static enum hm_exec_kind classify(const struct head *h,
				  const struct elf_facts *ef, int cls,
				  unsigned machine, const native_ehdr *e)
{
	if (cls != NATIVE_CLASS ||
	    (NATIVE_MACHINE != 0 && machine != NATIVE_MACHINE))
		return ef->has_interp ? HM_EXEC_FOREIGN : HM_EXEC_STATIC;
	if (is_go(h, ef, e))
		return HM_EXEC_GO;
	if (!ef->has_interp)
		return HM_EXEC_STATIC;
	if (!interp_trusted(h, ef->interp_off, ef->interp_len))
		return HM_EXEC_INTERP;
	return HM_EXEC_DYNAMIC;
}

static enum hm_exec_kind inspect_elf(const struct head *h)
{
	const unsigned char *id = h->buf;
	struct elf_facts ef;
	Elf64_Ehdr e64;
	Elf32_Ehdr e32;

	if (id[EI_DATA] != NATIVE_DATA)
		return HM_EXEC_UNKNOWN;
	if (id[EI_CLASS] == ELFCLASS64) {
		if (head_read(h, &e64, sizeof(e64), 0) < 0 ||
		    (e64.e_type != ET_EXEC && e64.e_type != ET_DYN) ||
		    e64.e_phnum == PN_XNUM ||
		    walk_phdrs(h, e64.e_phoff, e64.e_phnum, e64.e_phentsize, 1,
			       &ef) < 0)
			return HM_EXEC_UNKNOWN;
		return classify(h, &ef, ELFCLASS64, e64.e_machine,
				(const native_ehdr *)(const void *)&e64);
	}
	if (id[EI_CLASS] == ELFCLASS32) {
		if (head_read(h, &e32, sizeof(e32), 0) < 0 ||
		    (e32.e_type != ET_EXEC && e32.e_type != ET_DYN) ||
		    e32.e_phnum == PN_XNUM ||
		    walk_phdrs(h, e32.e_phoff, e32.e_phnum, e32.e_phentsize, 0,
			       &ef) < 0)
			return HM_EXEC_UNKNOWN;
		return classify(h, &ef, ELFCLASS32, e32.e_machine,
				(const native_ehdr *)(const void *)&e32);
	}
	return HM_EXEC_UNKNOWN;
}

static int is_setid(const struct stat *st)
{
	/* setgid without group-execute is a locking mark, not set-id. */
	return (st->st_mode & S_ISUID) ||
	       ((st->st_mode & S_ISGID) && (st->st_mode & S_IXGRP));
}

/*
 * @path could not be opened for reading. A regular file someone may
 * execute but we cannot read (mode --x as a non-root user) is OPAQUE: it
 * could be static or Go, we cannot tell, so it counts as unguardable
 * (fail closed). Set-id bits are visible without reading: SETID.
 */
static enum hm_exec_kind unreadable(const char *path, int err)
{
	enum hm_exec_kind kind = HM_EXEC_UNKNOWN;
	struct stat st;
	long fd;

	if (err != EACCES && err != EPERM)
		return kind;
	fd = syscall(SYS_openat, AT_FDCWD, path, O_PATH | O_CLOEXEC, 0);
	if (fd < 0)
		return kind;
	if (fstat((int)fd, &st) == 0 && S_ISREG(st.st_mode)) {
		if (is_setid(&st))
			kind = HM_EXEC_SETID;
		else if (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH))
			kind = HM_EXEC_OPAQUE;
	}
	sys_close((int)fd);
	return kind;
}

/* Open @path and inspect it at @depth (interpreter level). */
static enum hm_exec_kind inspect_at(const char *path, int depth)
{
	enum hm_exec_kind kind;
	int fd = sys_open_ro(path);

	if (fd < 0)
		return unreadable(path, errno);
	kind = inspect(fd, depth);
	sys_close(fd);
	return kind;
}

/* Follow "#!interpreter [arg]" in @buf (@len bytes) to the interpreter. */
static enum hm_exec_kind inspect_script(const char *buf, size_t len, int depth)
{
	char path[SHEBANG_MAX];
	size_t i = 2, k = 0;

	/* The kernel would fail with ELOOP; one more level is not inspected. */
	if (depth >= MAX_DEPTH)
		return HM_EXEC_DEEP;
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
	return inspect_at(path, depth + 1);
}

static int has_file_caps(int fd)
{
	long rc = syscall(SYS_fgetxattr, fd, "security.capability", NULL, 0);

	return rc >= 0;
}

static enum hm_exec_kind inspect(int fd, int depth)
{
	struct head h;
	struct stat st;
	ssize_t got;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return HM_EXEC_UNKNOWN;
	h.fd = fd;
	do {
		got = pread(fd, h.buf, sizeof(h.buf), 0);
	} while (got < 0 && errno == EINTR);
	h.len = got > 0 ? (size_t)got : 0;
	/*
	 * Linux ignores set-id bits on scripts: the interpreter decides. The
	 * kernel sees the first SHEBANG_MAX bytes of the "#!" line only.
	 */
	if (h.len >= 2 && h.buf[0] == '#' && h.buf[1] == '!')
		return inspect_script((const char *)h.buf,
				      h.len < SHEBANG_MAX ? h.len : SHEBANG_MAX,
				      depth);
	if (is_setid(&st) || has_file_caps(fd))
		return HM_EXEC_SETID;
	if (h.len >= EI_NIDENT && memcmp(h.buf, ELFMAG, SELFMAG) == 0)
		return inspect_elf(&h);
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

	if (path)
		kind = inspect_at(path, 0);
	errno = saved;
	return kind;
}

/*
 * The one message table: why each kind cannot run under a libc guard,
 * and what would work. Printed after "hermetic: <path>" by the launcher
 * and by the shim's exec wrappers. There is no kernel layer yet, so no
 * message suggests --seal.
 */
#define OUTSIDE                                                                \
	"run it without hermetic's libc guards (--no-network, "                \
	"--no-subprocess, --fs-readonly, --block-native), for example in a "   \
	"container"
static const char *const refusals[HM_EXEC_N_KINDS] = {
    [HM_EXEC_DYNAMIC] = NULL,
    [HM_EXEC_UNKNOWN] = NULL,
    [HM_EXEC_STATIC] = " is statically linked: LD_PRELOAD cannot guard it "
		       "and hermetic has no kernel layer yet; use a "
		       "dynamically linked build, or " OUTSIDE,
    [HM_EXEC_SETID] = " is setuid/setgid or has file capabilities: "
		      "LD_PRELOAD cannot guard it (the loader ignores it); "
		      "run a copy without those bits, or " OUTSIDE,
    [HM_EXEC_FOREIGN] = " is built for another architecture or word size: "
			"LD_PRELOAD cannot guard it (its loader cannot load "
			"the shim); use a native build, or " OUTSIDE,
    [HM_EXEC_GO] = " is a Go program: it makes system calls directly, "
		   "which LD_PRELOAD cannot see, and hermetic has no kernel "
		   "layer yet (--seal does not change that); " OUTSIDE,
    [HM_EXEC_INTERP] = " names a program loader (PT_INTERP) that is not "
		       "the system's ld.so: LD_PRELOAD cannot guard it; use a "
		       "build for the system loader, or " OUTSIDE,
    [HM_EXEC_DEEP] = " starts a chain of more \"#!\" interpreters than the "
		     "kernel follows (5): LD_PRELOAD cannot guard what the "
		     "chain ends in; shorten the chain",
    [HM_EXEC_OPAQUE] = " cannot be read to inspect it: it could be static "
		       "or a Go program, which LD_PRELOAD cannot guard; make "
		       "it readable (chmod +r), or " OUTSIDE,
};

const char *hm_exec_refusal(uint32_t flags, enum hm_exec_kind kind)
{
	if (!(flags & HM_EXEC_GUARD_FLAGS))
		return NULL;
	/* A kind this table does not know fails closed. */
	if ((unsigned)kind >= HM_EXEC_N_KINDS)
		return " cannot be classified: LD_PRELOAD may not guard it";
	return refusals[kind];
}
