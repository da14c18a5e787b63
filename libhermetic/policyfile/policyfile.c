/*
 * policyfile.c - load and print hermetic policy files with json-c.
 *
 * The format is one JSON object whose keys are hermetic_blocker's keywords
 * (see policyfile.h and docs/policy-files.md). Every key is checked:
 * unknown keys, wrong types and values the core refuses are errors, never
 * ignored, so a typo cannot silently weaken a policy.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "policyfile.h"

/* clang-format off */
const struct hm_policy_key hm_policy_bool_keys[] = {
	{"block_network",              HM_F_BLOCK_NETWORK},
	{"allow_localhost",            HM_F_ALLOW_LOCALHOST},
	{"block_subprocess",           HM_F_BLOCK_SUBPROCESS},
	{"fs_readonly",                HM_F_FS_READONLY},
	{"block_native",               HM_F_BLOCK_NATIVE},
	{"block_environment",          HM_F_BLOCK_ENVIRONMENT},
	{"block_code_exec",            HM_F_BLOCK_CODE_EXEC},
	{"block_interpreter_mutation", HM_F_BLOCK_INTERP_MUTATION},
	{"trace",                      HM_F_TRACE},
	{"sealed",                     HM_F_SEALED},
	{NULL,                         0},
};
/* clang-format on */

static void fail(char *err, size_t errlen, const char *path, const char *fmt,
		 ...) __attribute__((format(printf, 4, 5)));

static void fail(char *err, size_t errlen, const char *path, const char *fmt,
		 ...)
{
	va_list ap;
	int n;

	if (!err || !errlen)
		return;
	n = snprintf(err, errlen, "policy file %s: ", path);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* Read all of @path into a malloc'd NUL-terminated buffer. */
static char *slurp(const char *path, int *errnum, int *too_big)
{
	struct stat st;
	char *buf = NULL;
	size_t used = 0;
	ssize_t n;
	int fd;

	*too_big = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto err;
	if (fstat(fd, &st) != 0)
		goto err_close;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto err_close;
	}
	buf = malloc(HM_POLICY_FILE_MAX + 1);
	if (!buf)
		goto err_close;
	for (;;) {
		n = read(fd, buf + used, HM_POLICY_FILE_MAX + 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto err_free;
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > HM_POLICY_FILE_MAX) {
			*too_big = 1;
			errno = EFBIG;
			goto err_free;
		}
	}
	close(fd);
	buf[used] = '\0';
	if (strlen(buf) != used) {
		free(buf);
		*errnum = 0;
		errno = EINVAL; /* a NUL byte: not text */
		return NULL;
	}
	return buf;

err_free:
	free(buf);
err_close:
	n = errno;
	close(fd);
	errno = (int)n;
err:
	*errnum = errno;
	return NULL;
}

/* @rel joined to the directory of @file unless absolute, into @out. */
static int join_path(const char *file, const char *rel, char *out, size_t cap)
{
	const char *slash = strrchr(file, '/');
	int n;

	if (rel[0] == '/' || !slash)
		n = snprintf(out, cap, "%s", rel);
	else
		n = snprintf(out, cap, "%.*s/%s", (int)(slash - file), file,
			     rel);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static const char *type_name(json_object *v)
{
	return json_type_to_name(json_object_get_type(v));
}

struct ctx {
	const char *path;
	char *err;
	size_t errlen;
	struct hm_policy_file *out;
};

/* A list key: an array of non-empty strings, each handed to @add. */
static int take_list(struct ctx *c, const char *key, json_object *v,
		     int (*add)(struct ctx *, const char *, const char *))
{
	size_t i, n;

	if (!json_object_is_type(v, json_type_array)) {
		fail(c->err, c->errlen, c->path,
		     "\"%s\" must be a list of strings, not %s", key,
		     type_name(v));
		return -1;
	}
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(v, i);

		if (!json_object_is_type(e, json_type_string)) {
			fail(c->err, c->errlen, c->path,
			     "\"%s\"[%zu] must be a string, not %s", key, i,
			     type_name(e));
			return -1;
		}
		if (add(c, key, json_object_get_string(e)))
			return -1;
	}
	return 0;
}

/* The one message for a list that no longer fits the layer's pool. */
static void fail_pool_full(struct ctx *c, const char *key)
{
	fail(c->err, c->errlen, c->path,
	     "too many \"%s\": the lists of one policy hold at most %u bytes",
	     key, HM_POOL_MAX);
}

static int add_domain(struct ctx *c, const char *key, const char *s)
{
	int r = hm_policy_add_domain(&c->out->policy, s);

	if (r == 0)
		return 0;
	if (r == -ENOSPC)
		fail_pool_full(c, key);
	else
		fail(c->err, c->errlen, c->path,
		     "invalid \"%s\" entry '%.300s': need a host name "
		     "(example.com, or a single label such as db) or an IP "
		     "address",
		     key, s);
	return -1;
}

static int add_import(struct ctx *c, const char *key, const char *s)
{
	int r = hm_policy_add_import(&c->out->policy, s);

	if (r == 0)
		return 0;
	if (r == -ENOSPC)
		fail_pool_full(c, key);
	else
		fail(c->err, c->errlen, c->path,
		     "invalid \"%s\" entry '%.300s': need a module name such "
		     "as socket or xml.etree",
		     key, s);
	return -1;
}

const char *hm_pf_paths_next(const struct hm_pf_paths *l, size_t *off)
{
	const char *s;

	if (*off >= l->used)
		return NULL;
	s = l->buf + *off;
	*off += strlen(s) + 1;
	return s;
}

/* Append @s joined to the file's directory to @l. */
static int add_path(struct ctx *c, const char *key, const char *s,
		    struct hm_pf_paths *l)
{
	char path[HM_PATH_MAX];
	size_t len;

	if (!*s) {
		fail(c->err, c->errlen, c->path, "\"%s\" entry is empty", key);
		return -1;
	}
	if (join_path(c->path, s, path, sizeof(path))) {
		fail(c->err, c->errlen, c->path, "\"%s\" entry is too long",
		     key);
		return -1;
	}
	len = strlen(path);
	/* Both path lists and the layer share one pool when applied. */
	if (len + 1 > sizeof(l->buf) - l->used) {
		fail_pool_full(c, key);
		return -1;
	}
	memcpy(l->buf + l->used, path, len + 1);
	l->used += len + 1;
	l->n++;
	return 0;
}

static int add_writable(struct ctx *c, const char *key, const char *s)
{
	return add_path(c, key, s, &c->out->writable);
}

static int add_readable(struct ctx *c, const char *key, const char *s)
{
	return add_path(c, key, s, &c->out->readable);
}

static int add_profile(struct ctx *c, const char *key, const char *s)
{
	const char *const *names;
	char list[256];
	size_t used = 0;

	if (hm_profile_apply(&c->out->policy, s) == 0)
		return 0;
	list[0] = '\0';
	for (names = hm_profile_names(); *names && used < sizeof(list);
	     names++) {
		int n = snprintf(list + used, sizeof(list) - used, "%s%s",
				 used ? ", " : "", *names);
		if (n > 0)
			used += (size_t)n;
	}
	fail(c->err, c->errlen, c->path, "unknown \"%s\" '%.200s' (known: %s)",
	     key, s, list);
	return -1;
}

static int take_key(struct ctx *c, const char *key, json_object *v)
{
	const struct hm_policy_key *k;

	for (k = hm_policy_bool_keys; k->key; k++) {
		if (strcmp(key, k->key) != 0)
			continue;
		if (!json_object_is_type(v, json_type_boolean)) {
			fail(c->err, c->errlen, c->path,
			     "\"%s\" must be true or false, not %s", key,
			     type_name(v));
			return -1;
		}
		if (json_object_get_boolean(v))
			c->out->policy.flags |= k->flag;
		return 0;
	}
	if (!strcmp(key, "allow_domains"))
		return take_list(c, key, v, add_domain);
	if (!strcmp(key, "deny_imports"))
		return take_list(c, key, v, add_import);
	if (!strcmp(key, "allow_write"))
		return take_list(c, key, v, add_writable);
	if (!strcmp(key, "allow_read"))
		return take_list(c, key, v, add_readable);
	if (!strcmp(key, "profile")) {
		if (json_object_is_type(v, json_type_string))
			return add_profile(c, key, json_object_get_string(v));
		return take_list(c, key, v, add_profile);
	}
	if (!strcmp(key, "fs_root")) {
		const char *s;

		if (!json_object_is_type(v, json_type_string)) {
			fail(c->err, c->errlen, c->path,
			     "\"fs_root\" must be a string, not %s",
			     type_name(v));
			return -1;
		}
		s = json_object_get_string(v);
		if (!*s) {
			fail(c->err, c->errlen, c->path,
			     "\"fs_root\" is empty");
			return -1;
		}
		if (join_path(c->path, s, c->out->fs_root, HM_PATH_MAX)) {
			fail(c->err, c->errlen, c->path,
			     "\"fs_root\" is too long");
			return -1;
		}
		return 0;
	}
	/* Documentation keys, ignored by design. */
	if (!strcmp(key, "$schema") || !strcmp(key, "description"))
		return 0;
	fail(c->err, c->errlen, c->path, "unknown key \"%.200s\"", key);
	return -1;
}

int hm_policy_file_load(const char *path, struct hm_policy_file *out, char *err,
			size_t errlen, int *errnum)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	json_object *root;
	struct ctx c = {.path = path, .err = err, .errlen = errlen, .out = out};
	char *text;
	int too_big, ret = -1;

	/* Not the whole struct: the pools are read only up to their used. */
	hm_policy_init(&out->policy);
	out->fs_root[0] = '\0';
	out->writable.n = out->writable.used = 0;
	out->readable.n = out->readable.used = 0;
	*errnum = 0;
	if (err && errlen)
		err[0] = '\0';
	if (!path || !*path) {
		fail(err, errlen, "''", "empty file name");
		return -1;
	}
	text = slurp(path, errnum, &too_big);
	if (!text) {
		if (too_big)
			fail(err, errlen, path, "larger than %u bytes",
			     HM_POLICY_FILE_MAX);
		else if (!*errnum)
			fail(err, errlen, path, "contains a NUL byte");
		else
			fail(err, errlen, path, "%s", strerror(*errnum));
		return -1;
	}
	tok = json_tokener_new();
	if (!tok) {
		free(text);
		*errnum = ENOMEM;
		fail(err, errlen, path, "out of memory");
		return -1;
	}
	root = json_tokener_parse_ex(tok, text, (int)strlen(text) + 1);
	jerr = json_tokener_get_error(tok);
	if (!root || jerr != json_tokener_success) {
		fail(err, errlen, path, "not valid JSON: %s at byte %zu",
		     json_tokener_error_desc(jerr),
		     json_tokener_get_parse_end(tok));
		goto out;
	}
	{
		size_t end = json_tokener_get_parse_end(tok);
		const char *rest = text + end;

		while (end < strlen(text) && strchr(" \t\r\n", *rest) && *rest)
			rest++, end++;
		if (*rest) {
			fail(err, errlen, path,
			     "not valid JSON: trailing data at byte %zu", end);
			goto out;
		}
	}
	if (!json_object_is_type(root, json_type_object)) {
		fail(err, errlen, path,
		     "the top level must be an object, not %s",
		     type_name(root));
		goto out;
	}
	{
		json_object_object_foreach(root, key, val)
		{
			if (take_key(&c, key, val))
				goto out;
		}
	}
	if (out->fs_root[0] && !(out->policy.flags & HM_F_FS_READONLY)) {
		fail(err, errlen, path,
		     "\"fs_root\" needs \"fs_readonly\": true");
		goto out;
	}
	if (out->writable.n && !(out->policy.flags & HM_F_FS_READONLY)) {
		fail(err, errlen, path,
		     "\"allow_write\" needs \"fs_readonly\": true (or a "
		     "profile that sets it)");
		goto out;
	}
	ret = 0;
out:
	json_object_put(root);
	json_tokener_free(tok);
	free(text);
	return ret;
}

static int put_list(json_object *o, const char *key, const struct hm_policy *p,
		    enum hm_list l)
{
	struct hm_list_iter it;
	const char *e;
	json_object *a;

	if (!hm_policy_list_first(p, l, &it))
		return 0;
	a = json_object_new_array();
	if (!a)
		return -1;
	for (e = hm_policy_list_first(p, l, &it); e;
	     e = hm_policy_list_next(&it))
		json_object_array_add(a, json_object_new_string(e));
	return json_object_object_add(o, key, a);
}

char *hm_policy_to_json(const struct hm_policy *p, int pretty)
{
	const struct hm_policy_key *k;
	json_object *o = json_object_new_object();
	char *text = NULL;

	if (!o)
		return NULL;
	for (k = hm_policy_bool_keys; k->key; k++)
		if (p->flags & k->flag)
			json_object_object_add(o, k->key,
					       json_object_new_boolean(1));
	if (p->flags & HM_F_FS_ROOT)
		json_object_object_add(
		    o, "fs_root", json_object_new_string(hm_policy_root(p)));
	if (put_list(o, "allow_write", p, HM_LIST_WRITABLE) ||
	    put_list(o, "allow_read", p, HM_LIST_READABLE) ||
	    put_list(o, "allow_domains", p, HM_LIST_DOMAINS) ||
	    put_list(o, "deny_imports", p, HM_LIST_IMPORTS))
		goto out;
	text = strdup(json_object_to_json_string_ext(
	    o, pretty
		   ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			 JSON_C_TO_STRING_NOSLASHESCAPE
		   : JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
out:
	json_object_put(o);
	return text;
}
