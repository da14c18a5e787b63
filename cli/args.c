/*
 * args.c - the launcher's command-line parser: the split at the first "--",
 * a getopt_long table for hermetic's own flags, profile expansion and the
 * one usage text. Pure (no I/O, no exit, no allocation, no file system);
 * unit-tested with argv vectors in tests/unit/test_args.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>

#include "cli.h"

/* clang-format off */
static const char usage[] =
"Usage: hermetic [FLAGS] -- CMD [ARGS...]\n"
"       hermetic [FLAGS] --print-policy\n"
"       hermetic doctor [FLAGS] [-- CMD [ARGS...]]\n"
"       hermetic suggest REPORT.json\n"

"\n"
"Run CMD under hermetic's guards: libhermetic.so is preloaded into CMD and\n"
"every program it starts; Python targets also get the Python layer.\n"
"Everything after the first `--` goes to CMD unchanged.\n"
"\n"
"Network:\n"
"  --no-network          block IP networking and DNS (AF_UNIX still works)\n"
"  --allow-localhost     with --no-network: allow 127.0.0.0/8, ::1, localhost\n"
"  --allow-domain D      with --no-network: allow D and *.D (repeatable)\n"
"Processes:\n"
"  --no-subprocess       block exec/spawn/system/popen (CMD itself runs)\n"
"Files:\n"
"  --fs-readonly         deny every write to the file system\n"
"  --fs-readonly=ROOT    also deny reads outside ROOT (or --fs-readonly ROOT)\n"
"  --allow-write DIR     with --fs-readonly: allow writes under DIR\n"
"                        (repeatable)\n"
"  --allow-read PATH     with --fs-readonly=ROOT: also allow reads of PATH\n"
"                        (a file or a directory tree; repeatable)\n"
"  --no-private-tmp      with --fs-readonly: no private writable TMPDIR\n"
"Native code:\n"
"  --block-native        deny loading new native code (dlopen, ctypes)\n"
"Python targets (enforced by the Python layer):\n"
"  --no-environment      block reading and writing os.environ\n"
"  --no-env              same as --no-environment\n"
"  --no-code-exec        block eval/exec/compile\n"
"  --no-interpreter-mutation\n"
"                        block sys.path/meta_path changes and os.chdir\n"
"  --deny-import NAME    deny importing NAME and NAME.* (repeatable)\n"
"Policy:\n"
"  --profile NAME        add a profile (repeatable, union): block-all,\n"
"                        net-hermetic, exec-deny, fs-readonly, block-native;\n"
"                        a NAME with '/' or ending in .json is a policy file\n"
"  --policy FILE         add the policy in a JSON policy file (repeatable)\n"
"  --print-policy        print the effective policy as JSON and exit\n"
"                        (no `--` or command needed)\n"
"  --trace               print a line to stderr for every blocked action\n"
"  --audit[=FILE]        enforce nothing: record what the policy would block\n"
"                        into a JSON report (FILE, default\n"
"                        ./hermetic-audit.json) and a summary on stderr\n"
"  --seal                mark the policy sealed (the kernel layer that\n"
"                        would cover static binaries is not built yet)\n"
"  --version             print the version and exit\n"
"  -h, --help            print this help and exit\n"
"\n"
"CMD forms:\n"
"  PATH or NAME          a program (NAME is searched in PATH)\n"
"  script.py             a Python script that is not executable\n"
"  pkg.mod:func          import pkg.mod and call func() (Python)\n"
"  pkg.mod               not a command on PATH: run as python -m pkg.mod\n"
"\n"
"Long flags may be shortened to any unambiguous prefix (--no-net).\n"
"While a libc guard is on, a statically linked or setuid CMD is refused:\n"
"LD_PRELOAD cannot follow it.\n"
"\n"
"Exit status:\n"
"  N    CMD's own exit status (or its fatal signal)\n"
"  0    --help, --version\n"
"  1    hermetic's own error: bad flag, missing `--`, bad path,\n"
"       CMD cannot be guarded\n"
"  2    a Python target ended with an uncaught PolicyViolation\n"
"  126  CMD was found but cannot be executed\n"
"  127  CMD was not found\n"
"\n"
"Environment:\n"
"  HERMETIC_POLICY   set for CMD: the encoded policy (inherited layers kept)\n"
"  HERMETIC_PYSITE   set for CMD: the Python bootstrap directory\n"
"  HERMETIC_DEBUG    non-empty: libhermetic.so writes debug lines to stderr\n"
"  LD_PRELOAD and PYTHONPATH get hermetic's entry first; others are kept.\n"
"\n"
"Examples:\n"
"  hermetic --no-network --allow-localhost -- curl http://127.0.0.1:8000/\n"
"  hermetic --fs-readonly --allow-write /tmp/out -- make\n"
"  hermetic --profile block-all --trace -- python3 app.py\n";
/* clang-format on */

/* Long-option values; 'h' doubles as the one short option. */
enum {
	OPT_HELP = 'h',
	OPT_NO_NETWORK = 256,
	OPT_ALLOW_LOCALHOST,
	OPT_ALLOW_DOMAIN,
	OPT_NO_SUBPROCESS,
	OPT_FS_READONLY,
	OPT_ALLOW_WRITE,
	OPT_ALLOW_READ,
	OPT_NO_PRIVATE_TMP,
	OPT_BLOCK_NATIVE,
	OPT_NO_ENVIRONMENT,
	OPT_NO_CODE_EXEC,
	OPT_NO_INTERP_MUTATION,
	OPT_DENY_IMPORT,
	OPT_PROFILE,
	OPT_TRACE,
	OPT_SEAL,
	OPT_VERSION,
	OPT_POLICY,
	OPT_PRINT_POLICY,
	OPT_AUDIT,
};

/* clang-format off */
static const struct option long_options[] = {
	{"no-network",              no_argument,       NULL, OPT_NO_NETWORK},
	{"allow-localhost",         no_argument,       NULL, OPT_ALLOW_LOCALHOST},
	{"allow-domain",            required_argument, NULL, OPT_ALLOW_DOMAIN},
	{"no-subprocess",           no_argument,       NULL, OPT_NO_SUBPROCESS},
	{"fs-readonly",             optional_argument, NULL, OPT_FS_READONLY},
	{"allow-write",             required_argument, NULL, OPT_ALLOW_WRITE},
	{"allow-read",              required_argument, NULL, OPT_ALLOW_READ},
	{"no-private-tmp",          no_argument,       NULL, OPT_NO_PRIVATE_TMP},
	{"block-native",            no_argument,       NULL, OPT_BLOCK_NATIVE},
	{"no-environment",          no_argument,       NULL, OPT_NO_ENVIRONMENT},
	{"no-env",                  no_argument,       NULL, OPT_NO_ENVIRONMENT},
	{"no-code-exec",            no_argument,       NULL, OPT_NO_CODE_EXEC},
	{"no-interpreter-mutation", no_argument,       NULL, OPT_NO_INTERP_MUTATION},
	{"deny-import",             required_argument, NULL, OPT_DENY_IMPORT},
	{"profile",                 required_argument, NULL, OPT_PROFILE},
	{"trace",                   no_argument,       NULL, OPT_TRACE},
	{"seal",                    no_argument,       NULL, OPT_SEAL},
	{"version",                 no_argument,       NULL, OPT_VERSION},
	{"policy",                  required_argument, NULL, OPT_POLICY},
	{"print-policy",            no_argument,       NULL, OPT_PRINT_POLICY},
	{"audit",                   optional_argument, NULL, OPT_AUDIT},
	{"help",                    no_argument,       NULL, OPT_HELP},
	{NULL,                      0,                 NULL, 0},
};
/* clang-format on */

/*
 * "-" first: return non-option words in order (as option 1) instead of
 * permuting argv or consulting POSIXLY_CORRECT. ":" next: report a missing
 * value as ':' and print nothing.
 */
static const char short_options[] = "-:h";

/* The first error wins; parsing goes on so a later -h/--version still acts. */
struct state {
	char *err;
	size_t errlen;
	int failed;
};

static void fail(struct state *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail(struct state *st, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (st->failed)
		return;
	st->failed = 1;
	if (!st->err || st->errlen == 0)
		return;
	n = snprintf(st->err, st->errlen, "hermetic: ");
	if (n < 0 || (size_t)n >= st->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(st->err + n, st->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* The canonical (first) long name of option value @val. */
static const char *opt_name(int val)
{
	const struct option *p;

	for (p = long_options; p->name; p++)
		if (p->val == val)
			return p->name;
	return "?";
}

/*
 * Explain an unrecognised "--word[=value]" the way getopt judged it:
 * several options with different meanings share the prefix (ambiguous),
 * or none matches (unknown).
 */
static void bad_long_option(struct state *st, const char *tok)
{
	const char *name = tok + 2;
	size_t len = strcspn(name, "=");
	const struct option *p, *q;
	char list[512];
	size_t used = 0;
	int distinct = 0;

	list[0] = '\0';
	for (p = long_options; p->name; p++) {
		if (strncmp(p->name, name, len) != 0)
			continue;
		/* An alias of an earlier match is the same option. */
		for (q = long_options; q < p; q++)
			if (strncmp(q->name, name, len) == 0 &&
			    q->val == p->val && q->has_arg == p->has_arg)
				break;
		if (q < p)
			continue;
		distinct++;
		if (used < sizeof(list)) {
			int n = snprintf(list + used, sizeof(list) - used,
					 "%s--%s", used ? ", " : "", p->name);
			if (n > 0)
				used += (size_t)n;
		}
	}
	if (distinct > 1)
		fail(st, "ambiguous option '--%.*s' (could be %s)", (int)len,
		     name, list);
	else
		fail(st, "unknown option '%.*s'", (int)(len + 2), tok);
}

/*
 * getopt took the word after an option as its value. Like argparse,
 * refuse a value that looks like a flag ("--allow-domain --trace"): the
 * user forgot the value. "--opt=-x" stays allowed.
 */
static int value_given(struct state *st, char **argv, int val)
{
	if (optarg == argv[optind - 1] && optarg[0] == '-') {
		fail(st, "option '--%s' needs a value", opt_name(val));
		return 0;
	}
	return 1;
}

static void add_domain(struct state *st, struct hm_policy *p, const char *d)
{
	switch (hm_policy_add_domain(p, d)) {
	case 0:
		break;
	case -ENOSPC:
		fail(st,
		     "too many --allow-domain values: the lists of one policy "
		     "hold at most %u bytes",
		     HM_POOL_MAX);
		break;
	case -ENAMETOOLONG:
		fail(st,
		     "invalid --allow-domain value '%.64s...': longer than "
		     "%d bytes",
		     d, HM_DOMAIN_MAX - 1);
		break;
	default:
		fail(st,
		     "invalid --allow-domain value '%s': need a host name "
		     "(example.com, or a single label such as db) or an IP "
		     "address",
		     d);
		break;
	}
}

static void add_import(struct state *st, struct hm_policy *p, const char *n)
{
	switch (hm_policy_add_import(p, n)) {
	case 0:
		break;
	case -ENOSPC:
		fail(st,
		     "too many --deny-import values: the lists of one policy "
		     "hold at most %u bytes",
		     HM_POOL_MAX);
		break;
	case -ENAMETOOLONG:
		fail(st,
		     "invalid --deny-import value '%.64s...': longer than "
		     "%d bytes",
		     n, HM_IMPORT_MAX - 1);
		break;
	default:
		fail(st,
		     "invalid --deny-import value '%s': need a module name "
		     "such as socket or xml.etree",
		     n);
		break;
	}
}

/* --fs-readonly, --fs-readonly=ROOT and --fs-readonly ROOT. */
static void set_fs_readonly(struct state *st, int argc, char **argv,
			    struct hm_cli_options *o)
{
	const char *root = optarg;

	o->policy.flags |= HM_F_FS_READONLY;
	/* argparse's nargs="?": a following word that is not a flag. */
	if (!root && optind < argc && argv[optind][0] != '-')
		root = argv[optind++];
	if (!root)
		return;
	if (!*root)
		fail(st, "--fs-readonly root '' is empty (use --fs-readonly "
			 "alone for no root)");
	else if (o->fs_root && strcmp(o->fs_root, root) != 0)
		fail(st, "--fs-readonly given two roots: '%s' and '%s'",
		     o->fs_root, root);
	else
		o->fs_root = root;
}

static void add_policy_file(struct state *st, struct hm_cli_options *o,
			    const char *path)
{
	if (!*path)
		fail(st, "option '--policy' needs a file name");
	else if (o->n_policy_files >= HM_CLI_MAX_POLICY_FILES)
		fail(st, "too many policy files (at most %d)",
		     HM_CLI_MAX_POLICY_FILES);
	else
		o->policy_files[o->n_policy_files++] = path;
}

/* A --profile value that names a policy file rather than a profile. */
static int profile_is_file(const char *name)
{
	size_t len = strlen(name);

	return strchr(name, '/') ||
	       (len > 5 && !strcmp(name + len - 5, ".json"));
}

/* Apply one recognised option (not help/version/errors). */
static void take_option(struct state *st, int c, int argc, char **argv,
			struct hm_cli_options *o)
{
	uint32_t *flags = &o->policy.flags;

	switch (c) {
	case OPT_NO_NETWORK:
		*flags |= HM_F_BLOCK_NETWORK;
		break;
	case OPT_ALLOW_LOCALHOST:
		*flags |= HM_F_ALLOW_LOCALHOST;
		break;
	case OPT_ALLOW_DOMAIN:
		if (value_given(st, argv, c))
			add_domain(st, &o->policy, optarg);
		break;
	case OPT_NO_SUBPROCESS:
		*flags |= HM_F_BLOCK_SUBPROCESS;
		break;
	case OPT_FS_READONLY:
		set_fs_readonly(st, argc, argv, o);
		break;
	case OPT_ALLOW_WRITE:
		if (!value_given(st, argv, c))
			break;
		if (o->n_writable >= HM_CLI_MAX_PATHS)
			fail(st,
			     "too many --allow-write directories (at most %d)",
			     HM_CLI_MAX_PATHS);
		else
			o->writable[o->n_writable++] = optarg;
		break;
	case OPT_ALLOW_READ:
		if (!value_given(st, argv, c))
			break;
		if (o->n_readable >= HM_CLI_MAX_PATHS)
			fail(st, "too many --allow-read paths (at most %d)",
			     HM_CLI_MAX_PATHS);
		else
			o->readable[o->n_readable++] = optarg;
		break;
	case OPT_NO_PRIVATE_TMP:
		o->no_private_tmp = 1;
		break;
	case OPT_BLOCK_NATIVE:
		*flags |= HM_F_BLOCK_NATIVE;
		break;
	case OPT_NO_ENVIRONMENT:
		*flags |= HM_F_BLOCK_ENVIRONMENT;
		break;
	case OPT_NO_CODE_EXEC:
		*flags |= HM_F_BLOCK_CODE_EXEC;
		break;
	case OPT_NO_INTERP_MUTATION:
		*flags |= HM_F_BLOCK_INTERP_MUTATION;
		break;
	case OPT_DENY_IMPORT:
		if (value_given(st, argv, c))
			add_import(st, &o->policy, optarg);
		break;
	case OPT_PROFILE:
		if (!value_given(st, argv, c))
			break;
		if (o->n_profiles >= HM_CLI_MAX_PROFILES)
			fail(st, "too many --profile options (at most %d)",
			     HM_CLI_MAX_PROFILES);
		else
			o->profiles[o->n_profiles++] = optarg;
		break;
	case OPT_TRACE:
		*flags |= HM_F_TRACE;
		break;
	case OPT_SEAL:
		*flags |= HM_F_SEALED;
		break;
	case OPT_POLICY:
		if (value_given(st, argv, c))
			add_policy_file(st, o, optarg);
		break;
	case OPT_PRINT_POLICY:
		o->print_policy = 1;
		break;
	case OPT_AUDIT:
		if (optarg && !*optarg)
			fail(st, "--audit= needs a file name (or --audit alone "
				 "for ./hermetic-audit.json)");
		o->audit = 1;
		o->audit_file = optarg;
		break;
	default:
		fail(st, "internal error: option %d not handled", c);
		break;
	}
}

/*
 * Run getopt_long over hermetic's own words argv[1..argc). Returns
 * HM_CLI_HELP or HM_CLI_VERSION as soon as one is seen (like argparse's
 * actions), else HM_CLI_RUN with any error recorded in @st.
 */
static int parse_flags(struct state *st, int argc, char **argv,
		       struct hm_cli_options *o)
{
	int c;

	/* 0, not 1: glibc then re-initialises all its state (unit tests). */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, short_options, long_options,
				NULL)) != -1) {
		switch (c) {
		case OPT_HELP:
			return HM_CLI_HELP;
		case OPT_VERSION:
			return HM_CLI_VERSION;
		case 1:
			fail(st,
			     "unexpected argument '%s' (the command goes after "
			     "`--`)",
			     optarg);
			break;
		case ':':
			fail(st, "option '--%s' needs a value",
			     opt_name(optopt));
			break;
		case '?':
			/*
			 * optopt 0: an unknown or ambiguous long option, and
			 * getopt has stepped past it. A long option's value
			 * (or 'h' from --help=x): it takes no value. Else an
			 * unknown short option.
			 */
			if (optopt == 0)
				bad_long_option(st, argv[optind - 1]);
			else if (optopt >= OPT_NO_NETWORK || optopt == OPT_HELP)
				fail(st, "option '--%s' takes no value",
				     opt_name(optopt));
			else
				fail(st, "unknown option '-%c'", optopt);
			break;
		default:
			take_option(st, c, argc, argv, o);
			break;
		}
	}
	return HM_CLI_RUN;
}

/* Profiles are OR-ed in after the explicit flags, in the order given. */
static void apply_profiles(struct state *st, struct hm_cli_options *o)
{
	const char *const *names;
	char list[256];
	size_t i, used = 0;

	for (i = 0; i < o->n_profiles && !st->failed; i++) {
		if (profile_is_file(o->profiles[i])) {
			add_policy_file(st, o, o->profiles[i]);
			continue;
		}
		if (hm_profile_apply(&o->policy, o->profiles[i]) == 0)
			continue;
		list[0] = '\0';
		for (names = hm_profile_names(); *names; names++) {
			int n;

			if (used >= sizeof(list))
				break;
			n = snprintf(list + used, sizeof(list) - used, "%s%s",
				     used ? ", " : "", *names);
			if (n > 0)
				used += (size_t)n;
		}
		fail(st, "unknown profile: %s (known: %s)", o->profiles[i],
		     list);
	}
}

/* True if argv holds an exact -h, --help or --version word. */
static int wants_help_or_version(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help") ||
		    !strcmp(argv[i], "--version") ||
		    !strcmp(argv[i], "--print-policy"))
			return 1;
	return 0;
}

int hm_cli_parse(int argc, char **argv, struct hm_cli_options *o, char *err,
		 size_t errlen)
{
	struct state st = {.err = err, .errlen = errlen};
	int split = -1, left, i, rc;

	memset(o, 0, offsetof(struct hm_cli_options, policy));
	hm_policy_init(&o->policy);
	o->argv = argv;
	if (err && errlen)
		err[0] = '\0';
	if (!argv || argc < 1)
		argc = 1;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			split = i;
			break;
		}
	}
	/* Without "--" the words are hermetic's only for -h/--version. */
	if (split < 0 && !wants_help_or_version(argc, argv))
		goto err_no_separator;
	left = split < 0 ? argc : split;

	rc = parse_flags(&st, left, argv, o);
	if (rc != HM_CLI_RUN)
		return rc;
	if (st.failed)
		return HM_CLI_ERROR;
	if (split < 0 && !o->print_policy)
		goto err_no_separator; /* -h was taken as a value */

	apply_profiles(&st, o);
	/* A policy file may set fs_readonly: checked after loading it. */
	if (!st.failed && o->n_writable && !o->n_policy_files &&
	    !(o->policy.flags & HM_F_FS_READONLY))
		fail(&st, "--allow-write needs --fs-readonly (or a profile "
			  "that sets it: fs-readonly, block-all)");
	if (!st.failed && o->n_readable && !(o->policy.flags & HM_F_FS_ROOT) &&
	    !o->fs_root)
		fail(&st, "--allow-read needs --fs-readonly=ROOT (without a "
			  "root every read is allowed)");
	if (!st.failed && !o->print_policy && split + 1 >= argc)
		fail(&st, "no command given after `--`");
	if (st.failed)
		return HM_CLI_ERROR;

	if (split >= 0) {
		o->target_argv = argv + split + 1;
		o->target_argc = argc - split - 1;
	}
	return HM_CLI_RUN;

err_no_separator:
	fail(&st, "usage error: separate hermetic and target args with `--`");
	return HM_CLI_ERROR;
}

const char *hm_cli_usage(void)
{
	return usage;
}
