/*
 * cli.h - the launcher's internal interface: the parsed command line
 * (args.c, pure and unit-tested) and the launch step (launch.c) that main.c
 * runs once the policy is complete.
 */
#ifndef HERMETIC_CLI_CLI_H
#define HERMETIC_CLI_CLI_H

#include <stddef.h>

#include <hermetic/hermetic.h>

/* --profile may be given at most this many times. */
#define HM_CLI_MAX_PROFILES 16
/* --policy FILE (and --profile FILE) at most this many times. */
#define HM_CLI_MAX_POLICY_FILES 8
/*
 * --allow-write and --allow-read paths (each list, command line and
 * policy files together). Not the policy's limit (its pool bytes are,
 * HM_POOL_MAX): only the launcher's table of raw names before they are
 * resolved.
 */
#define HM_CLI_MAX_PATHS 16384

/* What hm_cli_parse found the command line asks for. */
enum hm_cli_result {
	HM_CLI_ERROR = -1,  /* bad command line: message in @err, exit 1 */
	HM_CLI_RUN = 0,	    /* run the target under o->policy */
	HM_CLI_HELP = 1,    /* print hm_cli_usage() to stdout, exit 0 */
	HM_CLI_VERSION = 2, /* print "hermetic " HERMETIC_VERSION, exit 0 */
};

/*
 * The parsed command line. Every pointer points into the argv given to
 * hm_cli_parse (nothing is copied or allocated), so argv must outlive it.
 */
struct hm_cli_options {
	const char *fs_root; /* raw --fs-readonly ROOT, or NULL */
	size_t n_writable;
	size_t n_readable;
	int no_private_tmp;			   /* --no-private-tmp */
	const char *profiles[HM_CLI_MAX_PROFILES]; /* in the order given */
	size_t n_profiles;
	/* --policy FILE and --profile FILE, loaded by hm_cli_load_policy_files
	 */
	const char *policy_files[HM_CLI_MAX_POLICY_FILES];
	size_t n_policy_files;
	int print_policy; /* --print-policy: print, do not run (no -- needed) */
	char **argv;	  /* the launcher's argv as given to hm_cli_parse */
	int audit;	  /* --audit[=FILE] */
	const char *audit_file; /* FILE of --audit=FILE, or NULL (default) */
	/* The target: argv after the first "--", NULL-terminated. */
	char **target_argv;
	int target_argc;
	/*
	 * The large members last: hm_cli_parse zeroes everything before
	 * them and only the policy's header (about 390 KiB, read only up to
	 * their counts; zeroing them cost ~95 page faults per launch).
	 *
	 * Flags, allow_domains, deny_imports, with the profiles already
	 * OR-ed in. fs_root and writable[] are NOT set yet: the caller
	 * resolves fs_root/writable below (realpath) and then calls
	 * hm_policy_set_root / hm_policy_add_writable.
	 */
	struct hm_policy policy;
	const char *writable[HM_CLI_MAX_PATHS]; /* raw --allow-write DIRs */
	const char *readable[HM_CLI_MAX_PATHS]; /* raw --allow-read PATHs */
};

/*
 * Parse the launcher's command line `hermetic [FLAGS] -- CMD [ARGS...]`.
 * argv must be NULL-terminated at argv[argc], as main's is. The split is
 * at the FIRST literal "--": everything after it is the target, untouched.
 * Pure: no I/O, no exit, no allocation, no file-system access; argv is
 * not modified. Safe to call repeatedly (getopt is fully re-initialised).
 * Returns an enum hm_cli_result. On HM_CLI_ERROR, @err (if @errlen > 0)
 * holds one line "hermetic: <message>" without a trailing newline; on
 * HM_CLI_RUN, @o is complete (target_argc >= 1).
 */
int hm_cli_parse(int argc, char **argv, struct hm_cli_options *o, char *err,
		 size_t errlen);

/* The --help text (ends in a newline). */
const char *hm_cli_usage(void);

/*
 * Run the target of @o (whose policy is complete and valid): set up
 * LD_PRELOAD, HERMETIC_POLICY, HERMETIC_PYSITE and PYTHONPATH, resolve the
 * command like execvp, refuse targets LD_PRELOAD cannot guard, and execve
 * it. Never returns on success. On failure it prints one "hermetic: "
 * line to stderr and returns the exit status: 127 (command not found),
 * 126 (found but not executable), 1 (anything else).
 */
int hm_cli_launch(const struct hm_cli_options *o);

/*
 * cli/supervise.c: runs that fork and wait (private TMPDIR, --audit).
 * hm_cli_audit_setup: refuse --audit under an inherited policy, create
 * the record directory and fix the report path (0 or -1, printed).
 * hm_cli_audit_dir: that directory, "" without --audit.
 * hm_cli_audit_record_exec: record an exec the policy would refuse.
 * hm_cli_make_private_tmp: create the private TMPDIR, add it to @pol as a
 * writable hole and export it (0 or -1, printed).
 * hm_cli_drop_run_dirs: remove both again (a launch that fails early).
 * hm_cli_supervise_if_needed: with either one, fork; the parent becomes
 * the supervisor and never returns, the child returns and goes on.
 */
int hm_cli_audit_setup(const struct hm_cli_options *o, char **argv);
const char *hm_cli_audit_dir(void);
void hm_cli_audit_record_exec(const char *path);
int hm_cli_make_private_tmp(struct hm_policy *pol);
void hm_cli_drop_run_dirs(void);
void hm_cli_supervise_if_needed(void);

/*
 * policyfile.c: merge the policy files of @o into it (flags, allow lists,
 * fs_root and writable paths still raw). Returns 0, or 1 after printing a
 * "hermetic: " line.
 */
int hm_cli_load_policy_files(struct hm_cli_options *o);

/*
 * --print-policy: print the inherited layers (HERMETIC_POLICY), this
 * launcher's layer and their combined effect as JSON on stdout. Returns
 * the exit status (0, or 1 after printing a "hermetic: " line).
 */
int hm_cli_print_policy(const struct hm_cli_options *o);

/*
 * doctor.c: `hermetic doctor [FLAGS] [-- CMD...]` (argv[1] is "doctor"),
 * and its probe child `hermetic __doctor-probe DIR`. Return exit codes.
 */
int hm_cli_doctor(int argc, char **argv);

/*
 * `hermetic suggest REPORT.json` (suggest.c): print the narrowest flags
 * under which the audited run would have passed. Returns the exit code.
 */
int hm_cli_suggest(int argc, char **argv);

/*
 * Merge the audit records in @dir (records.jsonl, audit.c of the shim)
 * into the JSON report @file, print a summary on stderr and remove @dir.
 * @argv is the audited command; @status its wait status; @flags the
 * launcher's own @n_flags words (for `hermetic suggest`). Returns 0 or -1.
 */
int hm_cli_audit_finish(const char *dir, const char *file, char **argv,
			int status, char **flags, int n_flags);
int hm_cli_doctor_probe(int argc, char **argv);

#endif /* HERMETIC_CLI_CLI_H */
