/*
 * policyfile.c - the launcher's side of policy files: merge `--policy FILE`
 * (and `--profile FILE`) into the command line's layer, and print the
 * effective policy for --print-policy. The parsing itself is
 * libhermetic/policyfile (json-c), shared with hermetic._native.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "policyfile.h"

/* Storage for the raw root a file contributes (o-> keeps a pointer). */
static char file_root[HM_PATH_MAX];

/* True if @a and @b name the same directory (or are the same string). */
static int same_dir(const char *a, const char *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];

	if (!strcmp(a, b))
		return 1;
	return realpath(a, ra) && realpath(b, rb) && !strcmp(ra, rb);
}

/*
 * Append the raw paths of @l to @list (@n entries so far); the launcher
 * keeps them until it execs (copies: @l is reused for the next file).
 */
static int merge_paths(const char *path, const char *key,
		       const struct hm_pf_paths *l, const char **list,
		       size_t *n)
{
	size_t off = 0;
	const char *e;
	char *copy;

	while ((e = hm_pf_paths_next(l, &off))) {
		if (*n >= HM_CLI_MAX_PATHS) {
			fprintf(stderr,
				"hermetic: policy file %s: too many %s "
				"entries (at most %d in all)\n",
				path, key, HM_CLI_MAX_PATHS);
			return -1;
		}
		copy = strdup(e);
		if (!copy) {
			fprintf(stderr, "hermetic: out of memory\n");
			return -1;
		}
		list[(*n)++] = copy;
	}
	return 0;
}

static int merge_one(struct hm_cli_options *o, const char *path,
		     const struct hm_policy_file *pf)
{
	struct hm_list_iter it;
	const char *e;

	o->policy.flags |= pf->policy.flags;
	for (e = hm_policy_list_first(&pf->policy, HM_LIST_DOMAINS, &it); e;
	     e = hm_policy_list_next(&it))
		if (hm_policy_add_domain(&o->policy, e))
			goto err_full;
	for (e = hm_policy_list_first(&pf->policy, HM_LIST_IMPORTS, &it); e;
	     e = hm_policy_list_next(&it))
		if (hm_policy_add_import(&o->policy, e))
			goto err_full;
	if (pf->fs_root[0]) {
		if (o->fs_root && !same_dir(o->fs_root, pf->fs_root)) {
			fprintf(stderr,
				"hermetic: policy file %s: fs_root '%s' "
				"differs from the root already given ('%s')\n",
				path, pf->fs_root, o->fs_root);
			return -1;
		}
		if (!o->fs_root) {
			memcpy(file_root, pf->fs_root, sizeof(file_root));
			o->fs_root = file_root;
		}
	}
	if (merge_paths(path, "allow_write", &pf->writable, o->writable,
			&o->n_writable) ||
	    merge_paths(path, "allow_read", &pf->readable, o->readable,
			&o->n_readable))
		return -1;
	return 0;

err_full:
	fprintf(stderr,
		"hermetic: policy file %s: too many allow_domains or "
		"deny_imports with the command line's: the lists of one "
		"policy hold at most %u bytes\n",
		path, HM_POOL_MAX);
	return -1;
}

int hm_cli_load_policy_files(struct hm_cli_options *o)
{
	struct hm_policy_file *pf;
	char err[1024];
	size_t i;
	int errnum;

	if (!o->n_policy_files)
		return 0;
	pf = malloc(sizeof(*pf));
	if (!pf) {
		fprintf(stderr, "hermetic: out of memory\n");
		return 1;
	}
	for (i = 0; i < o->n_policy_files; i++) {
		if (hm_policy_file_load(o->policy_files[i], pf, err,
					sizeof(err), &errnum)) {
			fprintf(stderr, "hermetic: %s\n", err);
			goto err;
		}
		if (merge_one(o, o->policy_files[i], pf))
			goto err;
	}
	free(pf);
	if (o->n_writable && !(o->policy.flags & HM_F_FS_READONLY)) {
		fprintf(stderr, "hermetic: --allow-write needs --fs-readonly "
				"(or a profile or policy file that sets it)\n");
		return 1;
	}
	if (o->n_readable && !o->fs_root) {
		fprintf(stderr, "hermetic: allow_read / --allow-read needs "
				"an fs_root (--fs-readonly=ROOT): without a "
				"root every read is allowed\n");
		return 1;
	}
	return 0;
err:
	free(pf);
	return 1;
}

/* json-c object of @p in the file format (parsed back from the text). */
static json_object *policy_object(const struct hm_policy *p)
{
	char *text = hm_policy_to_json(p, 0);
	json_object *o = text ? json_tokener_parse(text) : NULL;

	free(text);
	return o;
}

static json_object *layer(const char *source, const struct hm_policy *p)
{
	json_object *l = json_object_new_object();

	json_object_object_add(l, "source", json_object_new_string(source));
	json_object_object_add(l, "policy", policy_object(p));
	return l;
}

/*
 * What every layer together enforces: a guard is on if any layer turns it
 * on; loopback is open only if every network-blocking layer opens it.
 * Allow lists and roots stay per layer (each layer must allow).
 */
static json_object *effective(const struct hm_policy *layers, size_t n)
{
	const struct hm_policy_key *k;
	json_object *e = json_object_new_object();
	uint32_t any = 0, lh = HM_F_ALLOW_LOCALHOST;
	size_t i;

	for (i = 0; i < n; i++) {
		any |= layers[i].flags;
		if (layers[i].flags & HM_F_BLOCK_NETWORK)
			lh &= layers[i].flags;
	}
	if (!(any & HM_F_BLOCK_NETWORK))
		lh = 0;
	for (k = hm_policy_bool_keys; k->key; k++) {
		int on = k->flag == HM_F_ALLOW_LOCALHOST ? !!(lh & k->flag)
							 : !!(any & k->flag);

		json_object_object_add(e, k->key, json_object_new_boolean(on));
	}
	json_object_object_add(e, "layers", json_object_new_int((int)n));
	return e;
}

int hm_cli_print_policy(const struct hm_cli_options *o)
{
	const char *old = getenv(HM_ENV_POLICY);
	struct hm_policy *layers;
	json_object *root, *list;
	size_t n = 0, i;
	int r, ret = HM_EXIT_USAGE;

	layers = calloc(HM_MAX_BASE, sizeof(*layers));
	if (!layers) {
		fprintf(stderr, "hermetic: out of memory\n");
		return HM_EXIT_USAGE;
	}
	if (old && *old) {
		/* Inline text or a sealed memfd (a policy over 64 KiB). */
		r = hm_policy_env_decode(old, layers, HM_MAX_BASE - 1, &n);
		if (r) {
			fprintf(stderr, "hermetic: the inherited " HM_ENV_POLICY
					" is invalid; refusing to print it\n");
			free(layers);
			return HM_EXIT_USAGE;
		}
	}
	hm_policy_copy(&layers[n++], &o->policy);
	root = json_object_new_object();
	list = json_object_new_array();
	for (i = 0; i + 1 < n; i++)
		json_object_array_add(list, layer("inherited", &layers[i]));
	json_object_array_add(list, layer("command line", &o->policy));
	json_object_object_add(root, "layers", list);
	json_object_object_add(root, "effective", effective(layers, n));
	if (printf("%s\n",
		   json_object_to_json_string_ext(
		       root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
				 JSON_C_TO_STRING_NOSLASHESCAPE)) < 0 ||
	    fflush(stdout) == EOF)
		fprintf(stderr, "hermetic: cannot write to stdout: %s\n",
			strerror(errno));
	else
		ret = 0;
	json_object_put(root);
	free(layers);
	return ret;
}
