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

/* Storage for the raw paths a file contributes (o-> keeps pointers). */
static char file_root[HM_PATH_MAX];
static char file_writable[HM_MAX_WRITABLE][HM_PATH_MAX];
static size_t n_file_writable;

/* True if @a and @b name the same directory (or are the same string). */
static int same_dir(const char *a, const char *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];

	if (!strcmp(a, b))
		return 1;
	return realpath(a, ra) && realpath(b, rb) && !strcmp(ra, rb);
}

static int merge_one(struct hm_cli_options *o, const char *path,
		     const struct hm_policy_file *pf)
{
	size_t i;

	o->policy.flags |= pf->policy.flags;
	for (i = 0; i < pf->policy.n_domains; i++)
		if (hm_policy_add_domain(&o->policy, pf->policy.domains[i]))
			goto err_full;
	for (i = 0; i < pf->policy.n_imports; i++)
		if (hm_policy_add_import(&o->policy, pf->policy.imports[i]))
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
	for (i = 0; i < pf->n_writable; i++) {
		if (o->n_writable >= HM_MAX_WRITABLE ||
		    n_file_writable >= HM_MAX_WRITABLE) {
			fprintf(stderr,
				"hermetic: policy file %s: too many "
				"allow_write directories (at most %d in all)\n",
				path, HM_MAX_WRITABLE);
			return -1;
		}
		memcpy(file_writable[n_file_writable], pf->writable[i],
		       HM_PATH_MAX);
		o->writable[o->n_writable++] = file_writable[n_file_writable++];
	}
	return 0;

err_full:
	fprintf(stderr,
		"hermetic: policy file %s: too many allow_domains or "
		"deny_imports with the flags (at most %d each)\n",
		path, HM_MAX_DOMAINS);
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
		r = hm_wire_decode(old, layers, HM_MAX_BASE - 1, &n);
		if (r) {
			fprintf(stderr, "hermetic: the inherited " HM_ENV_POLICY
					" is invalid; refusing to print it\n");
			free(layers);
			return HM_EXIT_USAGE;
		}
	}
	layers[n++] = o->policy;
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
