/*
 * policyfile.h - hermetic policy files (JSON), parsed with json-c.
 *
 * One parser for both front ends: the launcher (`hermetic --policy FILE`,
 * `--profile FILE`, `--print-policy`) and the Python API
 * (`hermetic_blocker(policy=FILE)` through hermetic._native). The keys are
 * hermetic_blocker's keywords; docs/policy-files.md is the reference and
 * docs/policy-file.schema.json the schema. Not part of the shim: the shim
 * never reads files.
 */
#ifndef HERMETIC_POLICYFILE_H
#define HERMETIC_POLICYFILE_H

#include <stddef.h>

#include <hermetic/hermetic.h>

/* Largest policy file accepted, in bytes. */
#define HM_POLICY_FILE_MAX (1u << 20)

/*
 * Raw paths of one list key: NUL-terminated strings back to back in
 * buf[0, used). Walk them with hm_pf_paths_next. Bounded by the same
 * pool size as a policy layer, so what a file lists fits a layer.
 */
struct hm_pf_paths {
	size_t n;
	size_t used;
	char buf[HM_POOL_MAX];
};

/* The path after *@off in @l (start with *@off = 0), or NULL at the end. */
const char *hm_pf_paths_next(const struct hm_pf_paths *l, size_t *off);

/*
 * What a file says. @policy holds the flags (profiles OR-ed in), the
 * allow_domains and deny_imports, but NOT fs_root, the writable holes or
 * the readable paths: those are given raw (relative paths joined to the
 * file's directory) for the caller to resolve (realpath) when the policy
 * is applied.
 */
struct hm_policy_file {
	struct hm_policy policy;
	char fs_root[HM_PATH_MAX];   /* "" when the file sets none */
	struct hm_pf_paths writable; /* "allow_write" */
	struct hm_pf_paths readable; /* "allow_read" */
};

/*
 * Read and check the policy file @path into @out. Returns 0, or -1 with
 * one line (no "hermetic: " prefix, no newline) in @err: the file name
 * and what is wrong (unreadable, not JSON with the position, unknown key,
 * wrong type, bad value). An errno-style cause is kept in *@errnum when
 * the file could not be read (else 0).
 */
int hm_policy_file_load(const char *path, struct hm_policy_file *out, char *err,
			size_t errlen, int *errnum);

/*
 * The policy layer @p as JSON in the file format (pretty when @pretty),
 * malloc'd NUL-terminated text the caller frees, or NULL (ENOMEM).
 */
char *hm_policy_to_json(const struct hm_policy *p, int pretty);

/* The key of every boolean flag, in file order: {key, HM_F_*}. */
struct hm_policy_key {
	const char *key;
	unsigned int flag;
};
extern const struct hm_policy_key hm_policy_bool_keys[];

#endif /* HERMETIC_POLICYFILE_H */
