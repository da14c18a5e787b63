/*
 * suggest.c - `hermetic suggest REPORT.json` (docs/audit.md): read an
 * audit report and print the narrowest policy under which the recorded
 * run would have passed: the audited run's own flags, minus the flags
 * that have no allow list for what was recorded, plus --allow-localhost,
 * --allow-domain, --allow-write and --allow-read entries.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"

#define MAX_WORDS 512

/* The suggested flag words, deduplicated, in order. */
struct words {
	const char *w[MAX_WORDS];
	char *owned[MAX_WORDS];
	size_t n;
};

static int has_word(const struct words *s, const char *a, const char *b)
{
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->w[i], a))
			continue;
		if (!b)
			return 1;
		if (i + 1 < s->n && !strcmp(s->w[i + 1], b))
			return 1;
	}
	return 0;
}

static void add(struct words *s, const char *a, const char *b)
{
	if (has_word(s, a, b) || s->n + 2 > MAX_WORDS)
		return;
	s->owned[s->n] = strdup(a);
	s->w[s->n] = s->owned[s->n];
	s->n++;
	if (b) {
		s->owned[s->n] = strdup(b);
		s->w[s->n] = s->owned[s->n];
		s->n++;
	}
}

/* Remove every occurrence of flag @f (with its value if @valued). */
static int drop(struct words *s, const char *f, int valued)
{
	size_t i = 0, k = 0;
	int found = 0;

	while (i < s->n) {
		if (!strcmp(s->w[i], f)) {
			found = 1;
			free(s->owned[i]);
			i++;
			if (valued && i < s->n)
				free(s->owned[i++]);
			continue;
		}
		s->owned[k] = s->owned[i];
		s->w[k++] = s->w[i++];
	}
	s->n = k;
	return found;
}

static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

static int is_loopback(const char *ip)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, ip, a) == 1)
		return a[0] == 127;
	if (inet_pton(AF_INET6, ip, a) == 1) {
		static const unsigned char lo[16] = {[15] = 1};
		static const unsigned char mapped[12] = {
		    [10] = 0xff, [11] = 0xff};

		return !memcmp(a, lo, 16) ||
		       (!memcmp(a, mapped, 12) && a[12] == 127);
	}
	return 0;
}

/* The directory part of absolute @path into @out ("/" for "/x"). */
static void dir_of(const char *path, char *out, size_t cap)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;

	if (n == 0)
		n = 1;
	if (n >= cap)
		n = cap - 1;
	memcpy(out, path, n);
	out[n] = '\0';
}

/* Drop flag @f; say so if it was not one of the audited run's words. */
static void need_drop(struct words *s, const char *f, int valued,
		      const char *why)
{
	if (!drop(s, f, valued))
		fprintf(stderr,
			"hermetic: suggest: %s needs %s off; it comes from a "
			"profile or policy file: remove it there\n",
			why, f);
}

/* Apply one record to @s. */
static void apply(struct words *s, struct json_object *r)
{
	const char *g = str_of(r, "guard"), *op = str_of(r, "op");
	const char *t = str_of(r, "target"), *fam = str_of(r, "family");
	const char *name = str_of(r, "name");
	char dir[PATH_MAX];

	if (!g || !op)
		return;
	if (!strcmp(g, "no-network")) {
		int sock = !strcmp(op, "connect") || !strcmp(op, "sendto") ||
			   !strcmp(op, "bind") || !strcmp(op, "listen");
		int inet = fam && strcmp(fam, "unix");

		if (sock && inet && t && is_loopback(t)) {
			add(s, "--allow-localhost", NULL);
		} else if ((!strcmp(op, "connect") || !strcmp(op, "sendto")) &&
			   inet && (name || t)) {
			add(s, "--allow-domain", name ? name : t);
		} else if (!strcmp(op, "resolve") && t) {
			if (!strcasecmp(t, "localhost"))
				add(s, "--allow-localhost", NULL);
			else
				add(s, "--allow-domain", t);
		} else {
			need_drop(s, "--no-network", 0, op);
		}
	} else if (!strcmp(g, "no-subprocess")) {
		need_drop(s, "--no-subprocess", 0, op);
	} else if (!strcmp(g, "fs-readonly") && t && t[0] == '/') {
		dir_of(t, dir, sizeof(dir));
		add(s, "--allow-write", dir);
	} else if (!strcmp(g, "fs-root") && t && t[0] == '/') {
		add(s, "--allow-read", t);
	} else if (!strcmp(g, "block-native")) {
		need_drop(s, "--block-native", 0, op);
	} else if (!strcmp(g, "no-environment")) {
		need_drop(s, "--no-environment", 0, op);
		drop(s, "--no-env", 0);
	} else if (!strcmp(g, "no-code-exec")) {
		need_drop(s, "--no-code-exec", 0, op);
	} else if (!strcmp(g, "no-interpreter-mutation")) {
		need_drop(s, "--no-interpreter-mutation", 0, op);
	} else if (!strcmp(g, "deny-import")) {
		fprintf(stderr,
			"hermetic: suggest: the import of %s needs its "
			"--deny-import entry removed\n",
			t ? t : "?");
	} else if (!strcmp(g, "unguardable")) {
		fprintf(stderr,
			"hermetic: suggest: %s cannot be guarded (static or "
			"setuid): no libc-layer policy covers it\n",
			t ? t : "?");
	}
}

/* Print @w shell-quoted when it needs it. */
static void put_word(const char *w)
{
	if (*w && !w[strcspn(w, " \t\n'\"\\$`!*?[]{}()<>|&;#~")]) {
		fputs(w, stdout);
		return;
	}
	putchar('\'');
	for (; *w; w++) {
		if (*w == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*w);
	}
	putchar('\'');
}

int hm_cli_suggest(int argc, char **argv)
{
	struct json_object *rep, *v, *recs, *cmd = NULL;
	struct words s = {.n = 0};
	size_t i, n;

	if (argc != 3 || argv[2][0] == '-') {
		fprintf(stderr,
			"hermetic: usage: hermetic suggest REPORT.json\n");
		return HM_EXIT_USAGE;
	}
	rep = json_object_from_file(argv[2]);
	if (!rep) {
		fprintf(stderr, "hermetic: suggest: cannot read %s: %s\n",
			argv[2], json_util_get_last_err());
		return HM_EXIT_USAGE;
	}
	if (!json_object_is_type(rep, json_type_object) ||
	    !json_object_object_get_ex(rep, "version", &v) ||
	    json_object_get_int(v) != 1 ||
	    !json_object_object_get_ex(rep, "records", &recs) ||
	    !json_object_is_type(recs, json_type_array)) {
		fprintf(stderr,
			"hermetic: suggest: %s is not a hermetic audit "
			"report (version 1)\n",
			argv[2]);
		json_object_put(rep);
		return HM_EXIT_USAGE;
	}
	if (json_object_object_get_ex(rep, "hermetic_args", &v) &&
	    json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		for (i = 0; i < n && s.n < MAX_WORDS; i++) {
			const char *w = json_object_get_string(
			    json_object_array_get_idx(v, i));

			if (!w || !strncmp(w, "--audit", 7))
				continue;
			s.owned[s.n] = strdup(w);
			s.w[s.n] = s.owned[s.n];
			s.n++;
		}
	}
	n = json_object_array_length(recs);
	for (i = 0; i < n; i++)
		apply(&s, json_object_array_get_idx(recs, i));
	fputs("hermetic", stdout);
	for (i = 0; i < s.n; i++) {
		putchar(' ');
		put_word(s.w[i]);
	}
	fputs(" --", stdout);
	if (json_object_object_get_ex(rep, "command", &cmd) &&
	    json_object_is_type(cmd, json_type_array)) {
		for (i = 0; i < json_object_array_length(cmd); i++) {
			const char *w = json_object_get_string(
			    json_object_array_get_idx(cmd, i));

			putchar(' ');
			put_word(w ? w : "");
		}
	}
	putchar('\n');
	for (i = 0; i < s.n; i++)
		free(s.owned[i]);
	json_object_put(rep);
	return 0;
}
