/*
 * audit.c - the launcher's side of audit mode (docs/audit.md): merge the
 * records the shim appended to "$HERMETIC_AUDIT_DIR/records.jsonl" (one
 * JSON object per line, any process of the run) into one JSON report
 * (docs/audit.schema.json), print a summary on stderr, and remove the
 * record directory.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"

/* At most this many distinct lines in the stderr summary. */
#define SUMMARY_MAX 20

/* A record line as the shim writes it: an object with the keys we need. */
static int record_ok(struct json_object *o)
{
	struct json_object *v;

	return json_object_is_type(o, json_type_object) &&
	       json_object_object_get_ex(o, "pid", &v) &&
	       json_object_is_type(v, json_type_int) &&
	       json_object_object_get_ex(o, "guard", &v) &&
	       json_object_is_type(v, json_type_string) &&
	       json_object_object_get_ex(o, "op", &v) &&
	       json_object_is_type(v, json_type_string);
}

static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

/* Read every record line of @path into @records; count the bad ones. */
static void read_records(const char *path, struct json_object *records,
			 int *bad)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f = fopen(path, "re");

	if (!f)
		return; /* no record: nothing would have been blocked */
	while ((len = getline(&line, &cap, f)) > 0) {
		struct json_object *o;

		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (!len)
			continue;
		o = json_tokener_parse(line);
		if (o && record_ok(o)) {
			json_object_array_add(records, o);
		} else {
			json_object_put(o);
			(*bad)++;
		}
	}
	free(line);
	fclose(f);
}

/* One summary line per distinct (guard, op, target); counted. */
static void summary(struct json_object *records, const char *file)
{
	size_t n = json_object_array_length(records), i, j, shown = 0;

	fprintf(stderr,
		"hermetic: audit: %zu action%s would have been blocked; "
		"report: %s\n",
		n, n == 1 ? "" : "s", file);
	for (i = 0; i < n; i++) {
		struct json_object *a = json_object_array_get_idx(records, i);
		const char *g = str_of(a, "guard"), *op = str_of(a, "op");
		const char *t = str_of(a, "target");
		size_t count = 1;
		int seen = 0;

		for (j = 0; j < i && !seen; j++) {
			struct json_object *b =
			    json_object_array_get_idx(records, j);
			const char *tb = str_of(b, "target");

			seen = !strcmp(g, str_of(b, "guard")) &&
			       !strcmp(op, str_of(b, "op")) &&
			       ((!t && !tb) || (t && tb && !strcmp(t, tb)));
		}
		if (seen)
			continue;
		for (j = i + 1; j < n; j++) {
			struct json_object *b =
			    json_object_array_get_idx(records, j);
			const char *tb = str_of(b, "target");

			if (!strcmp(g, str_of(b, "guard")) &&
			    !strcmp(op, str_of(b, "op")) &&
			    ((!t && !tb) || (t && tb && !strcmp(t, tb))))
				count++;
		}
		if (shown++ == SUMMARY_MAX) {
			fprintf(stderr, "hermetic: audit:   ... (see the "
					"report)\n");
			break;
		}
		fprintf(stderr, "hermetic: audit:   %s %s%s%s (%zux)\n", g, op,
			t ? " " : "", t ? t : "", count);
	}
	if (n)
		fprintf(stderr,
			"hermetic: audit: `hermetic suggest %s` prints "
			"a policy under which this run passes\n",
			file);
}

int hm_cli_audit_finish(const char *dir, const char *file, char **argv,
			int status, char **flags, int n_flags)
{
	struct json_object *args = json_object_new_array();
	char path[PATH_MAX + 32];
	struct json_object *rep = json_object_new_object();
	struct json_object *cmd = json_object_new_array();
	struct json_object *records = json_object_new_array();
	int bad = 0, rc = 0;

	snprintf(path, sizeof(path), "%s/" HM_AUDIT_RECORDS, dir);
	read_records(path, records, &bad);
	unlink(path);
	rmdir(dir);
	for (; argv && *argv; argv++)
		json_object_array_add(cmd, json_object_new_string(*argv));
	json_object_object_add(rep, "version", json_object_new_int(1));
	json_object_object_add(rep, "command", cmd);
	for (int i = 0; i < n_flags; i++)
		json_object_array_add(args, json_object_new_string(flags[i]));
	json_object_object_add(rep, "hermetic_args", args);
	if (WIFEXITED(status))
		json_object_object_add(
		    rep, "exit_status",
		    json_object_new_int(WEXITSTATUS(status)));
	else
		json_object_object_add(rep, "signal",
				       json_object_new_int(WTERMSIG(status)));
	json_object_object_add(rep, "unreadable_records",
			       json_object_new_int(bad));
	json_object_object_add(rep, "records", records);
	if (json_object_to_file_ext(file, rep,
				    JSON_C_TO_STRING_PRETTY |
					JSON_C_TO_STRING_NOSLASHESCAPE) < 0) {
		fprintf(stderr,
			"hermetic: audit: cannot write the report %s: %s\n",
			file, strerror(errno));
		rc = -1;
	}
	if (!rc)
		summary(records, file);
	if (bad)
		fprintf(
		    stderr,
		    "hermetic: audit: %d unreadable record line%s skipped\n",
		    bad, bad == 1 ? "" : "s");
	json_object_put(rep);
	return rc;
}
