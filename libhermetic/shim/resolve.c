/*
 * resolve.c - the shim's real symbols, found once at init: for every
 * symbols.def row the real entry point (what dlsym(RTLD_NEXT, name) would
 * return), and for every exported row the shim's own wrapper if it is
 * what dlsym(RTLD_DEFAULT, name) would return (hm_shim_wrapper_for).
 *
 * Two dlsym calls per row cost about half of a preloaded /bin/true's
 * start-up (each call takes the loader lock, sets up an error catch and
 * runs a full scope lookup: 312 K of 634 K instructions; see
 * docs/performance.md). Instead, one dl_iterate_phdr walk looks every
 * name up in the GNU hash table of each object, as the loader would:
 *
 *  - RTLD_NEXT: the objects after the shim in load order, up to and
 *    including libc.so.6. While the shim is one of the objects loaded at
 *    start (LD_PRELOAD), these are exactly the objects after it in the
 *    global search list (the link map is appended to in load order, and
 *    libc.so.6 is one of the objects loaded at start). Another preload
 *    library after the shim, or a DT_NEEDED library of the program loaded
 *    before libc, that defines the name wins, as with dlsym.
 *  - RTLD_DEFAULT: the objects before the shim (the program first, then
 *    preloads named before it), then the shim itself.
 *
 * Whatever the walk cannot answer exactly is left to the real dlsym/
 * dlvsym: a name not found up to libc, an object without DT_GNU_HASH, an
 * IFUNC, TLS or unique symbol, a shim not loaded before libc (dlopen()ed
 * late), and LD_AUDIT (an auditor may rebind dlsym's answers) or
 * LD_DYNAMIC_WEAK (changes weak-symbol precedence) in the environment.
 * All of it runs inside the one-time init, never in an interposer.
 */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "shim.h"

/* The rows, in symbols.def order: names, slots in hm_real, flags. */
#define HM_SYM(family, req, ret, name, params) #name "\0"
#define HM_REAL_ONLY(req, ret, name, params) #name "\0"
static const char row_names[] =
#include "symbols.def"
    ;
#undef HM_SYM
#undef HM_REAL_ONLY

struct row {
	unsigned short off; /* offsetof(struct hm_real_table, name) */
	unsigned char req;  /* a missing symbol is fatal */
	unsigned char wrap; /* exported by the shim (HM_SYM) */
};

#define HM_SYM(family, req, ret, name, params)                                 \
	{offsetof(struct hm_real_table, name), req, 1},
#define HM_REAL_ONLY(req, ret, name, params)                                   \
	{offsetof(struct hm_real_table, name), req, 0},
static const struct row rows[] = {
#include "symbols.def"
};
#undef HM_SYM
#undef HM_REAL_ONLY

#define N_ROWS (sizeof(rows) / sizeof(rows[0]))

#define HM_SYM(family, req, ret, name, params) +1
#define HM_REAL_ONLY(req, ret, name, params)
enum {
	N_WRAPS = 0
#include "symbols.def"
};
#undef HM_SYM
#undef HM_REAL_ONLY

/* One {real, wrapper} pair per HM_SYM row, for hm_shim_wrapper_for(). */
static struct {
	void *real;
	void *wrap;
} wraps[N_WRAPS];

/* glibc's older versions the compat wrappers forward to (dlvsym). */
#define N_COMPAT 4
static const char compat_names[] = "posix_spawn\0posix_spawnp\0glob\0glob64";
static const char compat_version[] = "GLIBC_2.2.5";

/* Per-row answers of the walk (names are shorter than 256 bytes). */
enum {
	F_SHADOWED = 1, /* an object before the shim defines it */
	F_DEF_SLOW = 2, /* RTLD_DEFAULT: ask dlsym */
	F_NEXT_SLOW = 4 /* RTLD_NEXT: ask dlsym */
};

/* What a lookup in one object found. */
enum { LM_NONE, LM_FOUND, LM_UNSURE };

/* One object's dynamic symbol table and GNU hash table. */
struct lm_obj {
	uintptr_t base;
	const ElfW(Sym) * symtab;
	const char *strtab;
	const uint32_t *gh;
	const ElfW(Half) * versym;
	const ElfW(Verdef) * verdef;
};

struct walk {
	uint32_t hash[N_ROWS];
	unsigned short name[N_ROWS]; /* offset in row_names */
	unsigned char len[N_ROWS];
	unsigned char flags[N_ROWS];
	void *next[N_ROWS];
	void *def[N_ROWS];
	uint32_t chash[N_COMPAT];
	unsigned short cname[N_COMPAT]; /* offset in compat_names */
	unsigned char clen[N_COMPAT];
	unsigned char cslow[N_COMPAT];
	void *compat[N_COMPAT];
	uintptr_t vdso;
	int phase; /* 0: before the shim, 1: after it, 2: libc.so.6 seen */
	const char *self_name;
};

/* The GNU hash of @s; *@len (if not NULL) gets its length. */
static uint32_t gnu_hash(const char *s, size_t *len)
{
	const char *p = s;
	uint32_t h = 5381;

	for (; *p; p++)
		h = h * 33 + (unsigned char)*p;
	if (len)
		*len = (size_t)(p - s);
	return h;
}

/* An address field of a dynamic entry; ld.so relocated some, not all. */
static uintptr_t dyn_ptr(const ElfW(Dyn) * d, uintptr_t base)
{
	return d->d_un.d_ptr < base ? d->d_un.d_ptr + base : d->d_un.d_ptr;
}

/* Fill @o from @info; -1 if the object has no usable GNU hash table. */
static int lm_parse(const struct dl_phdr_info *info, struct lm_obj *o)
{
	const ElfW(Dyn) *dyn = NULL;

	memset(o, 0, sizeof(*o));
	o->base = info->dlpi_addr;
	for (int k = 0; k < info->dlpi_phnum; k++)
		if (info->dlpi_phdr[k].p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(o->base +
						  info->dlpi_phdr[k].p_vaddr);
	for (; dyn && dyn->d_tag != DT_NULL; dyn++) {
		if (dyn->d_tag == DT_SYMTAB)
			o->symtab = (const ElfW(Sym) *)dyn_ptr(dyn, o->base);
		else if (dyn->d_tag == DT_STRTAB)
			o->strtab = (const char *)dyn_ptr(dyn, o->base);
		else if (dyn->d_tag == DT_GNU_HASH)
			o->gh = (const uint32_t *)dyn_ptr(dyn, o->base);
		else if (dyn->d_tag == DT_VERSYM)
			o->versym = (const ElfW(Half) *)dyn_ptr(dyn, o->base);
		else if (dyn->d_tag == DT_VERDEF)
			o->verdef = (const ElfW(Verdef) *)dyn_ptr(dyn, o->base);
	}
	if (!o->symtab || !o->strtab || !o->gh)
		return -1;
	/* The bloom filter's word count must be a power of two. */
	if (o->gh[2] == 0 || (o->gh[2] & (o->gh[2] - 1)) != 0)
		return -1;
	return 0;
}

/* The name of version index @ndx in @o's version definitions, or NULL. */
static const char *lm_version(const struct lm_obj *o, unsigned int ndx)
{
	const ElfW(Verdef) *vd = o->verdef;

	while (vd) {
		if (vd->vd_ndx == ndx) {
			const ElfW(Verdaux) *aux = (const ElfW(
			    Verdaux) *)((const char *)vd + vd->vd_aux);
			return o->strtab + aux->vda_name;
		}
		if (!vd->vd_next)
			break;
		vd = (const ElfW(Verdef) *)((const char *)vd + vd->vd_next);
	}
	return NULL;
}

/* Symbol types the loader's lookup accepts at all (dl-lookup.c). */
#define LM_ALLOWED_STT                                                         \
	((1u << STT_NOTYPE) | (1u << STT_OBJECT) | (1u << STT_FUNC) |          \
	 (1u << STT_COMMON) | (1u << STT_TLS) | (1u << STT_GNU_IFUNC))

/*
 * Look @name (GNU hash @h) up in @o as glibc's do_lookup_x/check_match
 * do for dlsym (@version NULL: an unversioned definition, else the one
 * non-hidden versioned one) or dlvsym (@version: exactly that version).
 * Found: *@addr is the symbol's address. Anything the result would need
 * the loader for (IFUNC, TLS, unique) is LM_UNSURE.
 */
static int lm_lookup(const struct lm_obj *o, const char *name, size_t len,
		     uint32_t h, const char *version, void **addr)
{
	const unsigned int bits = sizeof(ElfW(Addr)) * 8;
	const uint32_t nbuckets = o->gh[0], symoffset = o->gh[1];
	const uint32_t bloom_size = o->gh[2], shift = o->gh[3];
	const ElfW(Addr) *bloom = (const ElfW(Addr) *)(o->gh + 4);
	const uint32_t *buckets = (const uint32_t *)(bloom + bloom_size);
	const uint32_t *chain = buckets + nbuckets;
	const ElfW(Sym) *sym = NULL, *versioned = NULL;
	unsigned int nversions = 0, stt;
	ElfW(Addr) word;
	uint32_t i;

	if (nbuckets == 0)
		return LM_NONE;
	word = bloom[(h / bits) & (bloom_size - 1)];
	if (!((word >> (h % bits)) & (word >> ((h >> shift) % bits)) & 1))
		return LM_NONE;
	i = buckets[h % nbuckets];
	if (i == 0)
		return LM_NONE;
	if (i < symoffset)
		return LM_UNSURE;
	for (;; i++) {
		uint32_t ch = chain[i - symoffset];
		const ElfW(Sym) *s = &o->symtab[i];

		if (((ch ^ h) >> 1) != 0)
			goto next;
		stt = ELF64_ST_TYPE(s->st_info);
		if (s->st_value == 0 && s->st_shndx != SHN_ABS &&
		    stt != STT_TLS)
			goto next;
		if (!((1u << stt) & LM_ALLOWED_STT) ||
		    memcmp(o->strtab + s->st_name, name, len + 1) != 0)
			goto next;
		if (version) {
			const char *v;

			/* No version information: any definition matches. */
			if (!o->versym) {
				sym = s;
				break;
			}
			v = lm_version(o, o->versym[i] & 0x7fff);
			if (v && strcmp(v, version) == 0) {
				sym = s;
				break;
			}
			goto next;
		}
		if (o->versym && (o->versym[i] & 0x7fff) >= 2) {
			/* Versioned: the default (non-hidden) one only. */
			if (!(o->versym[i] & 0x8000) && nversions++ == 0)
				versioned = s;
			goto next;
		}
		sym = s; /* unversioned: taken at once */
		break;
	next:
		if (ch & 1)
			break;
	}
	if (!sym)
		sym = nversions == 1 ? versioned : NULL;
	if (!sym)
		return LM_NONE;
	switch (ELF64_ST_BIND(sym->st_info)) {
	case STB_GLOBAL:
	case STB_WEAK:
		break;
	case STB_GNU_UNIQUE:
		return LM_UNSURE;
	default:
		return LM_NONE; /* local symbols are ignored */
	}
	stt = ELF64_ST_TYPE(sym->st_info);
	if (stt == STT_GNU_IFUNC || stt == STT_TLS)
		return LM_UNSURE;
	*addr = (void *)(o->base + sym->st_value);
	return LM_FOUND;
}

/* The objects before the shim: which names they shadow. */
static void walk_before(struct walk *w, const struct lm_obj *o, int ok)
{
	void *a;
	int r;

	for (size_t i = 0; i < N_ROWS; i++) {
		if (!rows[i].wrap || (w->flags[i] & (F_SHADOWED | F_DEF_SLOW)))
			continue;
		r = ok ? lm_lookup(o, row_names + w->name[i], w->len[i],
				   w->hash[i], NULL, &a)
		       : LM_UNSURE;
		if (r == LM_FOUND)
			w->flags[i] |= F_SHADOWED;
		else if (r == LM_UNSURE)
			w->flags[i] |= F_DEF_SLOW;
	}
}

/* The shim itself: its own definition of every name not shadowed. */
static void walk_self(struct walk *w, const struct lm_obj *o, int ok)
{
	int r;

	for (size_t i = 0; i < N_ROWS; i++) {
		if (!rows[i].wrap || (w->flags[i] & (F_SHADOWED | F_DEF_SLOW)))
			continue;
		r = ok ? lm_lookup(o, row_names + w->name[i], w->len[i],
				   w->hash[i], NULL, &w->def[i])
		       : LM_UNSURE;
		if (r == LM_UNSURE)
			w->flags[i] |= F_DEF_SLOW;
	}
}

/* An object after the shim: the first definition of what is unresolved. */
static void walk_after(struct walk *w, const struct lm_obj *o, int ok)
{
	int r;

	for (size_t i = 0; i < N_ROWS; i++) {
		if (w->next[i] || (w->flags[i] & F_NEXT_SLOW))
			continue;
		r = ok ? lm_lookup(o, row_names + w->name[i], w->len[i],
				   w->hash[i], NULL, &w->next[i])
		       : LM_UNSURE;
		if (r == LM_UNSURE) {
			w->next[i] = NULL;
			w->flags[i] |= F_NEXT_SLOW;
		}
	}
	for (size_t i = 0; i < N_COMPAT; i++) {
		if (w->compat[i] || w->cslow[i])
			continue;
		r = ok ? lm_lookup(o, compat_names + w->cname[i], w->clen[i],
				   w->chash[i], compat_version, &w->compat[i])
		       : LM_UNSURE;
		if (r == LM_UNSURE) {
			w->compat[i] = NULL;
			w->cslow[i] = 1;
		}
	}
}

static int walk_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct walk *w = data;
	const char *n = info->dlpi_name, *slash;
	struct lm_obj o;
	int ok;

	(void)size;
	/* The vDSO is in the link map but not in any search list. */
	if (w->vdso && (uintptr_t)info->dlpi_phdr - w->vdso < 4096)
		return 0;
	ok = lm_parse(info, &o) == 0;
	if (hm_shim_is_self(info->dlpi_phdr)) {
		w->self_name = n;
		if (w->phase == 0)
			walk_self(w, &o, ok);
		w->phase = 1;
		return 0;
	}
	if (w->phase == 0) {
		walk_before(w, &o, ok);
		return 0;
	}
	walk_after(w, &o, ok);
	slash = n ? strrchr(n, '/') : NULL;
	if (strcmp(slash ? slash + 1 : (n ? n : ""), "libc.so.6") == 0) {
		w->phase = 2;
		return 1;
	}
	return 0;
}

/* A variable present in the environment at all (init only). */
static int env_has(const char *name)
{
	extern char **environ;
	size_t len = strlen(name);

	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
			return 1;
	return 0;
}

/*
 * libc's dlsym/dlvsym for the slow cases. The shim exports both names
 * itself, under glibc's own versions, so no reference from here can
 * reach libc's: they are looked up in libc.so.6's table directly.
 */
struct vsym_query {
	const char *name;
	const char *version;
	void *addr;
};

static int vsym_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct vsym_query *q = data;
	const char *n = info->dlpi_name, *slash = n ? strrchr(n, '/') : NULL;
	struct lm_obj o;

	(void)size;
	if (!slash || strcmp(slash, "/libc.so.6") != 0)
		return 0;
	if (lm_parse(info, &o) == 0 && o.versym) {
		size_t len;
		uint32_t h = gnu_hash(q->name, &len);

		lm_lookup(&o, q->name, len, h, q->version, &q->addr);
	}
	return 1; /* libc.so.6 seen: stop either way */
}

static void *libc_vsym(const char *name, const char *version)
{
	struct vsym_query q = {name, version, NULL};

	dl_iterate_phdr(vsym_cb, &q);
	return q.addr;
}

static void *(*real_dlsym)(void *, const char *);
static void *(*real_dlvsym)(void *, const char *, const char *);

static void need_real_dl(void)
{
	if (real_dlsym)
		return;
	real_dlsym =
	    (void *(*)(void *, const char *))libc_vsym("dlsym", "GLIBC_2.34");
	if (!real_dlsym)
		real_dlsym = (void *(*)(void *, const char *))libc_vsym(
		    "dlsym", "GLIBC_2.2.5");
	real_dlvsym = (void *(*)(void *, const char *, const char *))libc_vsym(
	    "dlvsym", "GLIBC_2.34");
	if (!real_dlvsym)
		real_dlvsym =
		    (void *(*)(void *, const char *, const char *))libc_vsym(
			"dlvsym", "GLIBC_2.2.5");
	if (!real_dlsym || !real_dlvsym) {
		hm_log_msg(2, "libhermetic: cannot find libc's dlsym; aborting",
			   (char *)0);
		_exit(1);
	}
}

static void check_one(const char *name, void *p, int required)
{
	if (p && hm_shim_is_self(p)) {
		/* A circular reference would make every call recurse. */
		hm_log_msg(2, "libhermetic: ", name,
			   " resolves to the shim itself; aborting", (char *)0);
		_exit(1);
	}
	if (!p && required) {
		hm_log_msg(2, "libhermetic: required libc symbol ", name,
			   " not found; aborting", (char *)0);
		_exit(1);
	}
}

/*
 * Under HERMETIC_DEBUG: ask dlsym/dlvsym for every row as well and say
 * where the walk's answer differs (tests/py/test_startup.py fails on
 * such a line).
 */
static void verify(const struct walk *w)
{
	const char *name = row_names;
	size_t i, k = 0;
	void *p;

	need_real_dl();
	for (i = 0; i < N_ROWS; name += strlen(name) + 1, i++) {
		p = real_dlsym(RTLD_NEXT, name);
		if (p != *(void **)((char *)&hm_real + rows[i].off))
			hm_log_msg(2, "debug: resolve mismatch (next) ", name,
				   (char *)0);
		if (!rows[i].wrap)
			continue;
		p = real_dlsym(RTLD_DEFAULT, name);
		if ((p && hm_shim_is_self(p) ? p : NULL) != wraps[k].wrap)
			hm_log_msg(2, "debug: resolve mismatch (default) ",
				   name, (char *)0);
		k++;
	}
	name = compat_names;
	for (i = 0; i < N_COMPAT; name += strlen(name) + 1, i++) {
		p = real_dlvsym(RTLD_NEXT, name, compat_version);
		if (p != (i == 0   ? (void *)hm_real_compat.posix_spawn
			  : i == 1 ? (void *)hm_real_compat.posix_spawnp
			  : i == 2 ? (void *)hm_real_compat.glob
				   : (void *)hm_real_compat.glob64))
			hm_log_msg(2, "debug: resolve mismatch (compat) ", name,
				   (char *)0);
	}
	hm_log_msg(2, "debug: resolve ", w->phase == 2 ? "walk" : "dlsym",
		   (char *)0);
}

const char *hm_shim_resolve(int debug)
{
	struct walk w = {0}; /* about 3.5 KiB of stack, init only */
	void **compat_slots[N_COMPAT] = {
	    (void **)&hm_real_compat.posix_spawn,
	    (void **)&hm_real_compat.posix_spawnp,
	    (void **)&hm_real_compat.glob,
	    (void **)&hm_real_compat.glob64,
	};
	const char *name;
	size_t i, k = 0, off = 0, len;

	_Static_assert(sizeof(hm_real_compat) == N_COMPAT * sizeof(void *),
		       "compat_slots lists every hm_real_compat member");
	_Static_assert(sizeof(row_names) < 65536, "row offsets fit 16 bits");
	w.vdso = (uintptr_t)getauxval(AT_SYSINFO_EHDR);
	for (i = 0; i < N_ROWS; i++, off += len + 1) {
		w.hash[i] = gnu_hash(row_names + off, &len);
		w.name[i] = (unsigned short)off;
		w.len[i] = (unsigned char)len;
	}
	for (i = 0, off = 0; i < N_COMPAT; i++, off += len + 1) {
		w.chash[i] = gnu_hash(compat_names + off, &len);
		w.cname[i] = (unsigned short)off;
		w.clen[i] = (unsigned char)len;
	}
	if (!env_has("LD_AUDIT") && !env_has("LD_DYNAMIC_WEAK"))
		dl_iterate_phdr(walk_cb, &w);
	if (w.phase != 2) {
		/* No exact answer from the walk: dlsym for everything. */
		memset(w.next, 0, sizeof(w.next));
		memset(w.compat, 0, sizeof(w.compat));
		for (i = 0; i < N_ROWS; i++)
			w.flags[i] = F_NEXT_SLOW | F_DEF_SLOW;
		for (i = 0; i < N_COMPAT; i++)
			w.cslow[i] = 1;
	}
	for (i = 0; i < N_ROWS; i++) {
		void *p = w.next[i];

		name = row_names + w.name[i];
		/* Not found up to libc.so.6: the loader has the last word. */
		if (!p || (w.flags[i] & F_NEXT_SLOW)) {
			need_real_dl();
			p = real_dlsym(RTLD_NEXT, name);
		}
		check_one(name, p, rows[i].req);
		*(void **)((char *)&hm_real + rows[i].off) = p;
		if (!rows[i].wrap)
			continue;
		if (w.flags[i] & F_DEF_SLOW) {
			need_real_dl();
			w.def[i] = real_dlsym(RTLD_DEFAULT, name);
		} else if (w.flags[i] & F_SHADOWED) {
			w.def[i] = NULL;
		}
		wraps[k].real = p;
		wraps[k].wrap =
		    w.def[i] && hm_shim_is_self(w.def[i]) ? w.def[i] : NULL;
		k++;
	}
	for (i = 0; i < N_COMPAT; i++) {
		void *p = w.compat[i];

		name = compat_names + w.cname[i];
		if (!p || w.cslow[i]) {
			need_real_dl();
			p = real_dlvsym(RTLD_NEXT, name, compat_version);
		}
		*compat_slots[i] = p;
	}
	if (debug)
		verify(&w);
	return w.phase >= 1 ? w.self_name : NULL;
}

void *hm_shim_wrapper_for(void *real)
{
	if (!real)
		return real;
	for (size_t i = 0; i < N_WRAPS; i++)
		if (wraps[i].real == real && wraps[i].wrap)
			return wraps[i].wrap;
	return real;
}
