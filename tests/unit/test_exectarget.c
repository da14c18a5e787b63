/*
 * test_exectarget.c - the exec-target decision (hm_exec_refusal), its
 * message table, the system-loader table, the Go note parser, and the
 * classification of synthetic ELF files: a PT_INTERP of the program's
 * own, Go notes and sections, an execute-only file.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hermetic/hermetic.h"
#include "tap.h"

static const enum hm_exec_kind refused_kinds[] = {
    HM_EXEC_STATIC, HM_EXEC_SETID, HM_EXEC_FOREIGN, HM_EXEC_GO,
    HM_EXEC_INTERP, HM_EXEC_DEEP,  HM_EXEC_OPAQUE,
};

static const uint32_t guard_flags[] = {
    HM_F_BLOCK_NETWORK, HM_F_BLOCK_SUBPROCESS,
    HM_F_FS_READONLY,	HM_F_FS_READONLY | HM_F_FS_ROOT,
    HM_F_BLOCK_NATIVE,	HM_F_INVALID,
};

/* Flags that guard nothing a target could escape through raw syscalls. */
static const uint32_t quiet_flags[] = {
    0,
    HM_F_TRACE,
    HM_F_ALLOW_LOCALHOST,
};

static void test_decision_table(void)
{
	char name[128];
	const char *why;
	size_t i, j;

	for (i = 0; i < sizeof(refused_kinds) / sizeof(refused_kinds[0]); i++) {
		for (j = 0; j < sizeof(guard_flags) / sizeof(guard_flags[0]);
		     j++) {
			why = hm_exec_refusal(guard_flags[j], refused_kinds[i]);
			snprintf(name, sizeof(name),
				 "decision: kind %d refused under flags %#x",
				 (int)refused_kinds[i],
				 (unsigned)guard_flags[j]);
			OK(why != NULL, name);
			/* --seal does nothing yet: never offered as the fix. */
			snprintf(name, sizeof(name),
				 "message: kind %d does not say 'use --seal'",
				 (int)refused_kinds[i]);
			OK(why && !strstr(why, "use --seal"), name);
		}
		for (j = 0; j < sizeof(quiet_flags) / sizeof(quiet_flags[0]);
		     j++) {
			snprintf(name, sizeof(name),
				 "decision: kind %d runs under flags %#x",
				 (int)refused_kinds[i],
				 (unsigned)quiet_flags[j]);
			OK(hm_exec_refusal(quiet_flags[j], refused_kinds[i]) ==
			       NULL,
			   name);
		}
	}
	/* Positive controls: what the shim follows, or the kernel decides. */
	for (j = 0; j < sizeof(guard_flags) / sizeof(guard_flags[0]); j++) {
		OK(hm_exec_refusal(guard_flags[j], HM_EXEC_DYNAMIC) == NULL,
		   "decision: dynamic runs under every guard");
		OK(hm_exec_refusal(guard_flags[j], HM_EXEC_UNKNOWN) == NULL,
		   "decision: unknown (the kernel decides) runs");
	}
	OK(hm_exec_refusal(HM_F_BLOCK_NETWORK, HM_EXEC_N_KINDS) != NULL,
	   "decision: an unknown kind fails closed");
	OK(hm_exec_refusal(HM_F_BLOCK_NETWORK, (enum hm_exec_kind)77) != NULL,
	   "decision: an out-of-range kind fails closed");

	/* The message names the cause. */
	OK(strstr(hm_exec_refusal(HM_F_BLOCK_NETWORK, HM_EXEC_GO),
		  "is a Go program: it makes system calls directly") != NULL,
	   "message: Go says why");
	OK(strstr(hm_exec_refusal(HM_F_BLOCK_NETWORK, HM_EXEC_STATIC),
		  "is statically linked: LD_PRELOAD cannot guard it") != NULL,
	   "message: static says why");
	OK(strstr(hm_exec_refusal(HM_F_BLOCK_NETWORK, HM_EXEC_OPAQUE),
		  "cannot be read to inspect it") != NULL,
	   "message: execute-only says why");
	OK(strstr(hm_exec_refusal(HM_F_BLOCK_NETWORK, HM_EXEC_INTERP),
		  "PT_INTERP") != NULL,
	   "message: own loader says why");
	OK(strstr(hm_exec_refusal(HM_F_BLOCK_NETWORK, HM_EXEC_DEEP), "(5)") !=
	       NULL,
	   "message: deep chain names the kernel's limit");
}

static void test_loader_table(void)
{
	static const struct {
		const char *bytes;
		size_t len;
		int want;
		const char *name;
	} rows[] = {
	    {"/lib64/ld-linux-x86-64.so.2", 28, 1, "loader: /lib64"},
	    {"/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", 43, 1,
	     "loader: multiarch path"},
	    {"/usr/lib64/ld-linux-x86-64.so.2", 32, 1, "loader: /usr/lib64"},
	    {"/lib64/ld-linux-x86-64.so.2\0junk", 33, 1,
	     "loader: bytes after the NUL are ignored (as the kernel does)"},
	    {"/lib64/ld-linux-x86-64.so.2", 27, 0,
	     "loader: no NUL inside p_filesz"},
	    {"/tmp/ld-linux-x86-64.so.2", 26, 0, "loader: the program's own"},
	    {"/lib64//ld-linux-x86-64.so.2", 29, 0,
	     "loader: another spelling is not the table's"},
	    {"/lib64/ld-linux-x86-64.so.2/", 29, 0, "loader: trailing slash"},
	    {"lib64/ld-linux-x86-64.so.2", 27, 0, "loader: relative"},
	    {"/lib/ld-musl-x86_64.so.1", 25, 0,
	     "loader: musl's cannot load a glibc shim"},
	    {"", 1, 0, "loader: empty"},
	    {"", 0, 0, "loader: zero length"},
	};
	size_t i;

#if defined(__x86_64__)
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CHECK_INT(hm_exec_loader_trusted(rows[i].bytes, rows[i].len),
			  rows[i].want, rows[i].name);
#else
	(void)rows;
	(void)i;
	OK(1, "loader: rows # SKIP x86-64 paths");
#endif
	CHECK_INT(hm_exec_loader_trusted(NULL, 5), 0, "loader: NULL");
}

/* Append one ELF note to @buf at *@off; @align is 4 or 8. */
static void put_note(unsigned char *buf, size_t *off, const char *name,
		     uint32_t namesz, uint32_t type, uint32_t descsz,
		     size_t align)
{
	uint32_t h[3] = {namesz, descsz, type};

	memcpy(buf + *off, h, sizeof(h));
	*off += sizeof(h);
	memcpy(buf + *off, name, namesz);
	*off += (namesz + align - 1) & ~(align - 1);
	memset(buf + *off, 'd', descsz);
	*off += (descsz + align - 1) & ~(align - 1);
}

static void test_notes(void)
{
	unsigned char buf[256];
	size_t n = 0;

	memset(buf, 0, sizeof(buf));
	put_note(buf, &n, "Go\0", 4, 4, 16, 4);
	CHECK_INT(hm_exec_notes_go(buf, n, 4), 1, "notes: Go build id");
	n = 0;
	put_note(buf, &n, "GNU", 4, NT_GNU_BUILD_ID, 20, 4);
	CHECK_INT(hm_exec_notes_go(buf, n, 4), 0, "notes: GNU build id only");
	put_note(buf, &n, "Go\0", 4, 4, 7, 4);
	CHECK_INT(hm_exec_notes_go(buf, n, 4), 1, "notes: GNU then Go");
	n = 0;
	put_note(buf, &n, "GNU", 4, NT_GNU_PROPERTY_TYPE_0, 12, 8);
	put_note(buf, &n, "Go\0", 4, 4, 3, 8);
	CHECK_INT(hm_exec_notes_go(buf, n, 8), 1, "notes: 8-byte aligned");
	n = 0;
	put_note(buf, &n, "Gopher", 7, 4, 4, 4);
	CHECK_INT(hm_exec_notes_go(buf, n, 4), 0, "notes: another name");
	/* Bounds: a size running off the end stops the walk. */
	n = 0;
	put_note(buf, &n, "GNU", 4, 1, 4, 4);
	memset(buf + 4, 0xff, 4); /* descsz = 4 GiB */
	put_note(buf, &n, "Go\0", 4, 4, 4, 4);
	CHECK_INT(hm_exec_notes_go(buf, n, 4), 0,
		  "notes: oversized descsz stops the walk");
	CHECK_INT(hm_exec_notes_go(buf, 11, 4), 0, "notes: short header");
	CHECK_INT(hm_exec_notes_go(NULL, 0, 4), 0, "notes: empty");
}

static char tmpdir[] = "/tmp/hm-exectarget-XXXXXX";

static const char *tmp_path(const char *name)
{
	static char p[4][256];
	static int k;
	char *r = p[k++ & 3];

	snprintf(r, 256, "%s/%s", tmpdir, name);
	return r;
}

static void write_file(const char *path, const void *data, size_t len,
		       mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0700);

	if (fd >= 0) {
		if (write(fd, data, len) != (ssize_t)len)
			printf("# short write to %s\n", path);
		close(fd);
	}
	chmod(path, mode);
}

/*
 * A native ELF64 image: header, PT_LOAD, optional PT_INTERP naming
 * @interp, optional PT_NOTE holding a Go (or GNU) note, and optional
 * section headers naming @section.
 */
static size_t make_elf(unsigned char *buf, size_t cap, const char *interp,
		       int go_note, const char *section)
{
	Elf64_Ehdr *e = (Elf64_Ehdr *)buf;
	Elf64_Phdr *ph = (Elf64_Phdr *)(buf + sizeof(*e));
	size_t at = sizeof(*e) + 3 * sizeof(*ph), n;
	int nph = 1;

	memset(buf, 0, cap);
	memcpy(e->e_ident, ELFMAG, SELFMAG);
	e->e_ident[EI_CLASS] = ELFCLASS64;
	e->e_ident[EI_DATA] = ELFDATA2LSB;
	e->e_ident[EI_VERSION] = EV_CURRENT;
	e->e_type = ET_DYN;
	e->e_machine = EM_X86_64;
	e->e_phoff = sizeof(*e);
	e->e_phentsize = sizeof(*ph);
	ph[0].p_type = PT_LOAD;
	if (interp) {
		ph[nph].p_type = PT_INTERP;
		ph[nph].p_offset = at;
		ph[nph].p_filesz = strlen(interp) + 1;
		memcpy(buf + at, interp, strlen(interp) + 1);
		at += (strlen(interp) + 8) & ~(size_t)7;
		nph++;
	}
	if (go_note >= 0) {
		n = 0;
		put_note(buf + at, &n, go_note ? "Go\0" : "GNU", 4,
			 go_note ? 4 : NT_GNU_BUILD_ID, 20, 4);
		ph[nph].p_type = PT_NOTE;
		ph[nph].p_offset = at;
		ph[nph].p_filesz = n;
		ph[nph].p_align = 4;
		at += n;
		nph++;
	}
	e->e_phnum = (Elf64_Half)nph;
	if (section) {
		/* [0] null, [1] @section, [2] .shstrtab */
		Elf64_Shdr *sh;
		size_t str = at;

		memcpy(buf + str, "\0.shstrtab\0", 11);
		memcpy(buf + str + 11, section, strlen(section) + 1);
		at = (str + 11 + strlen(section) + 1 + 7) & ~(size_t)7;
		sh = (Elf64_Shdr *)(buf + at);
		sh[1].sh_name = 11;
		sh[1].sh_type = SHT_PROGBITS;
		sh[2].sh_name = 1;
		sh[2].sh_type = SHT_STRTAB;
		sh[2].sh_offset = str;
		sh[2].sh_size = 11 + strlen(section) + 1;
		e->e_shoff = at;
		e->e_shentsize = sizeof(Elf64_Shdr);
		e->e_shnum = 3;
		e->e_shstrndx = 2;
		at += 3 * sizeof(Elf64_Shdr);
	}
	return at;
}

#define LD "/lib64/ld-linux-x86-64.so.2"

static void test_files(void)
{
	unsigned char elf[2048];
	char script[256];
	size_t len;
	pid_t pid;
	int st;

	len = make_elf(elf, sizeof(elf), LD, -1, NULL);
	write_file(tmp_path("dyn"), elf, len, 0755);
	CHECK_INT(hm_exec_inspect_path(tmp_path("dyn")), HM_EXEC_DYNAMIC,
		  "file: system loader is dynamic (control)");
	len = make_elf(elf, sizeof(elf), LD, 0, ".text");
	write_file(tmp_path("dyn-gnu"), elf, len, 0755);
	CHECK_INT(hm_exec_inspect_path(tmp_path("dyn-gnu")), HM_EXEC_DYNAMIC,
		  "file: GNU note and plain sections stay dynamic (control)");
	len = make_elf(elf, sizeof(elf), "/tmp/evil-ld.so", -1, NULL);
	write_file(tmp_path("own-ld"), elf, len, 0755);
	CHECK_INT(hm_exec_inspect_path(tmp_path("own-ld")), HM_EXEC_INTERP,
		  "file: a PT_INTERP of its own");
	len = make_elf(elf, sizeof(elf), LD, 1, NULL);
	write_file(tmp_path("go-dyn"), elf, len, 0755);
	CHECK_INT(hm_exec_inspect_path(tmp_path("go-dyn")), HM_EXEC_GO,
		  "file: dynamic ELF with a Go note");
	len = make_elf(elf, sizeof(elf), NULL, 1, NULL);
	write_file(tmp_path("go-static"), elf, len, 0755);
	CHECK_INT(hm_exec_inspect_path(tmp_path("go-static")), HM_EXEC_GO,
		  "file: static ELF with a Go note");
	len = make_elf(elf, sizeof(elf), LD, -1, ".go.buildinfo");
	write_file(tmp_path("go-sect"), elf, len, 0755);
	CHECK_INT(hm_exec_inspect_path(tmp_path("go-sect")), HM_EXEC_GO,
		  "file: .go.buildinfo section without a note");
	len = make_elf(elf, sizeof(elf), LD, -1, ".note.go.buildid");
	write_file(tmp_path("go-sect2"), elf, len, 0755);
	CHECK_INT(hm_exec_inspect_path(tmp_path("go-sect2")), HM_EXEC_GO,
		  "file: .note.go.buildid section");
	snprintf(script, sizeof(script), "#!%s\n", tmp_path("go-dyn"));
	write_file(tmp_path("s-go"), script, strlen(script), 0755);
	CHECK_INT(hm_exec_inspect_path(tmp_path("s-go")), HM_EXEC_GO,
		  "file: a script run by a Go interpreter");

	/* Execute-only: as a non-root user it cannot be read. */
	len = make_elf(elf, sizeof(elf), NULL, -1, NULL);
	write_file(tmp_path("xo"), elf, len, 0111);
	chmod(tmpdir, 0711);
	pid = fork();
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(3);
		_exit(hm_exec_inspect_path(tmp_path("xo")) == HM_EXEC_OPAQUE
			  ? 0
			  : 1);
	}
	st = -1;
	waitpid(pid, &st, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 3)
		OK(1, "file: execute-only # SKIP cannot drop to uid 65534");
	else
		OK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		   "file: execute-only is opaque for a user who cannot read "
		   "it");
	write_file(tmp_path("xo-suid"), elf, len, 04111);
	pid = fork();
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(3);
		_exit(hm_exec_inspect_path(tmp_path("xo-suid")) == HM_EXEC_SETID
			  ? 0
			  : 1);
	}
	st = -1;
	waitpid(pid, &st, 0);
	OK(WIFEXITED(st) && WEXITSTATUS(st) != 1,
	   "file: execute-only setuid is still set-id");
	write_file(tmp_path("noexec"), elf, len, 0600);
	pid = fork();
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(3);
		_exit(hm_exec_inspect_path(tmp_path("noexec")) ==
			      HM_EXEC_UNKNOWN
			  ? 0
			  : 1);
	}
	st = -1;
	waitpid(pid, &st, 0);
	OK(WIFEXITED(st) && WEXITSTATUS(st) != 1,
	   "file: unreadable and not executable: the kernel decides");

	/* Real Go binaries, when installed (golang-go). */
	if (access("/usr/lib/go-1.19/bin/go", R_OK) == 0 ||
	    access("/usr/bin/go", R_OK) == 0)
		CHECK_INT(hm_exec_inspect_path("/usr/bin/go"), HM_EXEC_GO,
			  "system: Debian's /usr/bin/go is Go");
	else
		OK(1, "system: /usr/bin/go # SKIP golang-go not installed");

	{
		const char *names[] = {"dyn",	   "dyn-gnu",	"own-ld",
				       "go-dyn",   "go-static", "go-sect",
				       "go-sect2", "s-go",	"xo",
				       "xo-suid",  "noexec"};
		size_t i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			unlink(tmp_path(names[i]));
		rmdir(tmpdir);
	}
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	test_decision_table();
	test_loader_table();
	test_notes();
	if (!mkdtemp(tmpdir)) {
		OK(0, "mkdtemp");
		return tap_done();
	}
	test_files();
	return tap_done();
}
