/*
 * main.c - the hermetic launcher: parse the command line, finish the policy
 * (resolve --fs-readonly ROOT and --allow-write DIRs), then hand over to
 * launch.c, which execs the target. hermetic's own failures exit 1.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/*
 * realpath() @raw (the value of @flag) into @out and check it names a
 * directory. Prints a "hermetic: " line and returns -1 on failure.
 */
static int resolve_dir(const char *flag, const char *what, const char *raw,
		       char out[PATH_MAX])
{
	int rc = hm_resolve_dir(raw, out, PATH_MAX);

	if (rc == 0)
		return 0;
	if (rc == -EINVAL || rc == -ENOENT || rc == -ENOTDIR ||
	    rc == -ENAMETOOLONG)
		fprintf(stderr, "hermetic: %s %s '%s' %s\n", flag, what, raw,
			hm_resolve_dir_error(rc));
	else
		fprintf(stderr, "hermetic: %s %s '%s': %s\n", flag, what, raw,
			strerror(-rc));
	return -1;
}

/* What a failed hm_policy_add_* means, for the user. */
static const char *pool_error(int r)
{
	if (r == -ENOSPC)
		return "too many entries: the lists of one policy hold at most "
		       "128 KiB (HM_POOL_MAX)";
	return strerror(-r);
}

/* Resolve the raw paths of @o into its policy. Returns 0 or -1 (printed). */
static int finish_policy(struct hm_cli_options *o)
{
	char path[PATH_MAX];
	size_t i;
	int r;

	if (o->fs_root) {
		if (resolve_dir("--fs-readonly", "root", o->fs_root, path))
			return -1;
		r = hm_policy_set_root(&o->policy, path);
		if (r) {
			fprintf(stderr,
				"hermetic: --fs-readonly root '%s': %s\n",
				o->fs_root, strerror(-r));
			return -1;
		}
	}
	for (i = 0; i < o->n_writable; i++) {
		if (resolve_dir("--allow-write", "directory", o->writable[i],
				path))
			return -1;
		r = hm_policy_add_writable(&o->policy, path);
		if (r) {
			fprintf(stderr,
				"hermetic: --allow-write directory '%s': %s\n",
				o->writable[i], pool_error(r));
			return -1;
		}
	}
	for (i = 0; i < o->n_readable; i++) {
		if (!realpath(o->readable[i], path)) {
			fprintf(stderr,
				"hermetic: --allow-read path '%s': %s\n",
				o->readable[i],
				errno == ENOENT || errno == ENOTDIR
				    ? "does not exist"
				    : strerror(errno));
			return -1;
		}
		r = hm_policy_add_readable(&o->policy, path);
		if (r) {
			fprintf(stderr,
				"hermetic: --allow-read path '%s': %s\n",
				o->readable[i], pool_error(r));
			return -1;
		}
	}
	if (hm_policy_validate(&o->policy)) {
		fprintf(stderr, "hermetic: internal error: the policy built "
				"from the command line is invalid\n");
		return -1;
	}
	return 0;
}

/* Print @text to stdout; a failed write (e.g. to /dev/full) is an error. */
static int print_stdout(const char *text)
{
	if (fputs(text, stdout) == EOF || fflush(stdout) == EOF) {
		fprintf(stderr, "hermetic: cannot write to stdout: %s\n",
			strerror(errno));
		return HM_EXIT_USAGE;
	}
	return 0;
}

int main(int argc, char **argv)
{
	/* ~22 KiB of fixed tables: static rather than on the stack. */
	static struct hm_cli_options o;
	char err[1024];

	/* Subcommands: a first word that cannot be a flag or a `--`. */
	if (argc > 1 && !strcmp(argv[1], "doctor"))
		return hm_cli_doctor(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "suggest"))
		return hm_cli_suggest(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "__doctor-probe"))
		return hm_cli_doctor_probe(argc, argv);

	switch (hm_cli_parse(argc, argv, &o, err, sizeof(err))) {
	case HM_CLI_RUN:
		break;
	case HM_CLI_HELP:
		return print_stdout(hm_cli_usage());
	case HM_CLI_VERSION:
		return print_stdout("hermetic " HERMETIC_VERSION "\n");
	case HM_CLI_ERROR:
	default:
		fprintf(stderr, "%s\nTry 'hermetic --help'.\n", err);
		return HM_EXIT_USAGE;
	}
	if (hm_cli_load_policy_files(&o) || finish_policy(&o))
		return HM_EXIT_USAGE;
	if (o.print_policy)
		return hm_cli_print_policy(&o);
	return hm_cli_launch(&o);
}
