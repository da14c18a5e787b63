/*
 * test_args.c - argv vectors through the launcher's pure parser
 * (cli/args.c): every flag, prefixes, repeatables, the `--` split,
 * help/version, and every kind of bad command line.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tap.h"

/* A NULL-terminated argv starting with "hermetic". */
#define ARGV(...) ((char *[]){"hermetic", __VA_ARGS__, NULL})

static struct hm_cli_options o;
static char err[1024];

static int argc_of(char **argv)
{
	int n = 0;

	while (argv[n])
		n++;
	return n;
}

/* "<name>: <what>" for a check name built at run time. */
static const char *nm(const char *name, const char *what)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s: %s", name, what);
	return buf;
}

/*
 * Parse a copy of @argv kept in static storage: the ARGV() compound
 * literals die with the macro's block, but o.target_argv points into the
 * vector and is checked after it.
 */
static int parse(char **argv)
{
	static char *vec[2 * HM_CLI_MAX_PATHS + 16];
	int argc = argc_of(argv);

	memcpy(vec, argv, ((size_t)argc + 1) * sizeof(*vec));
	return hm_cli_parse(argc, vec, &o, err, sizeof(err));
}

/* err is one "hermetic: ..." line containing @part. */
static int err_is(const char *part)
{
	return !strncmp(err, "hermetic: ", 10) && strstr(err, part) &&
	       !strchr(err, '\n');
}

#define CHECK_ERR(argv, part, name)                                            \
	do {                                                                   \
		int r_ = parse(argv);                                          \
		CHECK_INT(r_, HM_CLI_ERROR, nm(name, "error"));                \
		OK(err_is(part), nm(name, "message"));                         \
		if (!err_is(part))                                             \
			printf("#   err: \"%s\", want \"%s\"\n", err, part);   \
	} while (0)

#define CHECK_RUN(argv, name)                                                  \
	do {                                                                   \
		int r_ = parse(argv);                                          \
		CHECK_INT(r_, HM_CLI_RUN, nm(name, "parses"));                 \
		if (r_ != HM_CLI_RUN)                                          \
			printf("#   err: \"%s\"\n", err);                      \
	} while (0)

static void test_single_flags(void)
{
	static const struct {
		const char *flag;
		uint32_t want;
	} rows[] = {
	    {"--no-network", HM_F_BLOCK_NETWORK},
	    {"--allow-localhost", HM_F_ALLOW_LOCALHOST},
	    {"--no-subprocess", HM_F_BLOCK_SUBPROCESS},
	    {"--fs-readonly", HM_F_FS_READONLY},
	    {"--no-environment", HM_F_BLOCK_ENVIRONMENT},
	    {"--no-env", HM_F_BLOCK_ENVIRONMENT},
	    {"--no-code-exec", HM_F_BLOCK_CODE_EXEC},
	    {"--no-interpreter-mutation", HM_F_BLOCK_INTERP_MUTATION},
	    {"--block-native", HM_F_BLOCK_NATIVE},
	    {"--trace", HM_F_TRACE},
	    {"--seal", HM_F_SEALED},
	    /* unambiguous prefixes, like argparse */
	    {"--no-net", HM_F_BLOCK_NETWORK},
	    {"--no-s", HM_F_BLOCK_SUBPROCESS},
	    {"--no-e", HM_F_BLOCK_ENVIRONMENT}, /* two aliases, one option */
	    {"--no-i", HM_F_BLOCK_INTERP_MUTATION},
	    {"--fs", HM_F_FS_READONLY},
	    {"--bl", HM_F_BLOCK_NATIVE},
	    {"--tr", HM_F_TRACE},
	};
	char name[128];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *argv[] = {"hermetic", (char *)rows[i].flag, "--", "cmd",
				NULL};

		snprintf(name, sizeof(name), "%s", rows[i].flag);
		CHECK_RUN(argv, name);
		CHECK_INT(o.policy.flags, rows[i].want, name);
		CHECK_INT(o.target_argc, 1, name);
		CHECK_STR(o.target_argv[0], "cmd", name);
		OK(o.fs_root == NULL && o.n_writable == 0 &&
		       o.policy.n_domains == 0 && o.policy.n_imports == 0,
		   name);
	}

	CHECK_RUN(ARGV("--", "cmd"), "no flags");
	CHECK_INT(o.policy.flags, 0, "no flags: nothing set");

	CHECK_RUN(ARGV("--no-network", "--allow-localhost", "--seal", "--trace",
		       "--", "cmd"),
		  "several flags");
	CHECK_INT(o.policy.flags,
		  HM_F_BLOCK_NETWORK | HM_F_ALLOW_LOCALHOST | HM_F_SEALED |
		      HM_F_TRACE,
		  "several flags: all set");
}

static void test_prefix_errors(void)
{
	CHECK_ERR(ARGV("--no", "--", "cmd"), "ambiguous option '--no'",
		  "--no is ambiguous");
	OK(strstr(err, "--no-network") && strstr(err, "--no-subprocess"),
	   "--no: candidates listed");
	CHECK_ERR(ARGV("--allow", "--", "cmd"), "ambiguous option '--allow'",
		  "--allow is ambiguous");
	CHECK_ERR(ARGV("--bogus", "--", "cmd"), "unknown option '--bogus'",
		  "unknown long option");
	CHECK_ERR(ARGV("--bogus=1", "--", "cmd"), "unknown option '--bogus'",
		  "unknown long option with value");
	CHECK_ERR(ARGV("-x", "--", "cmd"), "unknown option '-x'",
		  "unknown short option");
	CHECK_ERR(ARGV("-n", "--", "cmd"), "unknown option '-n'",
		  "no short form of --no-network");
	CHECK_ERR(ARGV("--no-network=yes", "--", "cmd"),
		  "option '--no-network' takes no value", "value for a switch");
	CHECK_ERR(ARGV("--help=1", "--", "cmd"),
		  "option '--help' takes no value", "value for --help");
	CHECK_ERR(ARGV("foo", "--", "cmd"), "unexpected argument 'foo'",
		  "stray word before --");
	CHECK_ERR(ARGV("--no-network", "-", "--", "cmd"),
		  "unexpected argument '-'", "stray - before --");
	CHECK_ERR(ARGV("--trace", "", "--", "cmd"), "unexpected argument ''",
		  "stray empty word before --");
}

/* Entry @i of @p's list @l, or "". */
static const char *nth(const struct hm_policy *p, enum hm_list l, size_t i)
{
	struct hm_list_iter it;
	const char *e = hm_policy_list_first(p, l, &it);

	while (e && i--)
		e = hm_policy_list_next(&it);
	return e ? e : "";
}

static void test_domains(void)
{
	CHECK_RUN(ARGV("--no-network", "--allow-domain", "Example.COM.",
		       "--allow-domain=pypi.org", "--allow-dom", "10.0.0.1",
		       "--", "cmd"),
		  "--allow-domain x3");
	CHECK_INT(o.policy.n_domains, 3, "--allow-domain x3: three entries");
	CHECK_STR(nth(&o.policy, HM_LIST_DOMAINS, 0), "example.com",
		  "--allow-domain: normalised by the core");
	CHECK_STR(nth(&o.policy, HM_LIST_DOMAINS, 1), "pypi.org",
		  "--allow-domain=: value");
	CHECK_STR(nth(&o.policy, HM_LIST_DOMAINS, 2), "10.0.0.1",
		  "--allow-domain: IP");

	CHECK_ERR(ARGV("--allow-domain", "db-", "--", "cmd"),
		  "invalid --allow-domain value 'db-': ", "db- refused");
	CHECK_ERR(ARGV("--allow-domain", "*", "--", "cmd"),
		  "invalid --allow-domain value '*': ", "* refused");
	CHECK_ERR(ARGV("--allow-domain", "", "--", "cmd"),
		  "invalid --allow-domain value '': ", "empty refused");
	CHECK_ERR(
	    ARGV("--allow-domain=", "--", "cmd"),
	    "invalid --allow-domain value '': ", "--allow-domain= refused");
	CHECK_ERR(
	    ARGV("--allow-domain", "a..b", "--", "cmd"),
	    "invalid --allow-domain value 'a..b': ", "empty label refused");
	CHECK_RUN(ARGV("--allow-domain", "db", "--", "cmd"),
		  "single label db accepted");
	CHECK_ERR(ARGV("--allow-domain=-x", "--", "cmd"),
		  "invalid --allow-domain value '-x': ", "=-x is a value");
	CHECK_RUN(ARGV("--allow-domain", "*.example.com", "--", "cmd"),
		  "*.example.com accepted (control)");
	CHECK_INT(o.policy.n_domains, 1, "*.example.com: one entry");

	/* 2,000 domains fit; names beyond the pool's bytes are refused. */
	{
		static char names[2000][32], longs[600][256];
		static char *argv[2 * 2600 + 4];
		int i, n = 0;

		argv[n++] = "hermetic";
		for (i = 0; i < 2000; i++) {
			snprintf(names[i], sizeof(names[i]), "h%d.example", i);
			argv[n++] = "--allow-domain";
			argv[n++] = names[i];
		}
		argv[n++] = "--";
		argv[n++] = "cmd";
		argv[n] = NULL;
		CHECK_RUN(argv, "2000 domains");
		CHECK_INT(o.policy.n_domains, 2000, "2000 domains: all kept");
		CHECK_STR(nth(&o.policy, HM_LIST_DOMAINS, 1999),
			  "h1999.example", "2000 domains: the last one");
		n -= 2;
		for (i = 0; i < 600; i++) {
			/* Four labels of 59 bytes: a 250-byte name. */
			memset(longs[i], 'a', 240);
			longs[i][59] = longs[i][119] = longs[i][179] = '.';
			snprintf(longs[i] + 239, 16, ".x%d.io", i);
			argv[n++] = "--allow-domain";
			argv[n++] = longs[i];
		}
		argv[n++] = "--";
		argv[n++] = "cmd";
		argv[n] = NULL;
		CHECK_ERR(argv,
			  "too many --allow-domain values: the lists of "
			  "one policy hold at most 131072 bytes",
			  "domains beyond the pool's bytes");
	}
}

static void test_imports_profiles(void)
{
	CHECK_RUN(ARGV("--deny-import", "socket", "--deny-import=xml.etree",
		       "--", "cmd"),
		  "--deny-import x2");
	CHECK_INT(o.policy.n_imports, 2, "--deny-import x2: two entries");
	CHECK_STR(nth(&o.policy, HM_LIST_IMPORTS, 0), "socket",
		  "--deny-import: first");
	CHECK_STR(nth(&o.policy, HM_LIST_IMPORTS, 1), "xml.etree",
		  "--deny-import: second");
	CHECK_ERR(ARGV("--deny-import", "1abc", "--", "cmd"),
		  "invalid --deny-import value '1abc': ", "bad import name");
	CHECK_ERR(ARGV("--deny-import", "", "--", "cmd"),
		  "invalid --deny-import value '': ", "empty import name");

	CHECK_RUN(ARGV("--profile", "exec-deny", "--profile=block-native", "--",
		       "cmd"),
		  "--profile x2");
	CHECK_INT(o.policy.flags, HM_F_BLOCK_SUBPROCESS | HM_F_BLOCK_NATIVE,
		  "--profile x2: union");
	CHECK_INT(o.n_profiles, 2, "--profile x2: both recorded");
	CHECK_RUN(ARGV("--trace", "--profile", "net-hermetic", "--", "cmd"),
		  "--profile net-hermetic");
	CHECK_INT(o.policy.flags,
		  HM_F_TRACE | HM_F_BLOCK_NETWORK | HM_F_ALLOW_LOCALHOST,
		  "--profile net-hermetic: added to the flags");
	CHECK_RUN(ARGV("--prof", "block-all", "--", "cmd"), "--prof block-all");
	CHECK_INT(o.policy.flags,
		  HM_F_BLOCK_NATIVE | HM_F_BLOCK_SUBPROCESS |
		      HM_F_BLOCK_NETWORK | HM_F_FS_READONLY |
		      HM_F_BLOCK_ENVIRONMENT | HM_F_BLOCK_CODE_EXEC |
		      HM_F_BLOCK_INTERP_MUTATION,
		  "block-all: every block, no allow-localhost");
	CHECK_ERR(ARGV("--profile", "nope", "--", "cmd"),
		  "unknown profile: nope", "unknown profile");
	OK(strstr(err, "block-all") && strstr(err, "net-hermetic"),
	   "unknown profile: known ones listed");
	CHECK_ERR(
	    ARGV("--profile", "exec-deny", "--profile", "nope2", "--", "cmd"),
	    "unknown profile: nope2", "unknown profile after a good one");
}

static void test_fs(void)
{
	CHECK_RUN(ARGV("--fs-readonly", "--", "cmd"), "--fs-readonly");
	OK(o.fs_root == NULL, "--fs-readonly: no root");
	CHECK_RUN(ARGV("--fs-readonly=/srv/r", "--", "cmd"),
		  "--fs-readonly=ROOT");
	CHECK_STR(o.fs_root, "/srv/r", "--fs-readonly=ROOT: raw root");
	CHECK_INT(o.policy.flags, HM_F_FS_READONLY,
		  "--fs-readonly=ROOT: FS_ROOT left to hm_policy_set_root");
	CHECK_RUN(ARGV("--fs-readonly", "rel/dir", "--", "cmd"),
		  "--fs-readonly ROOT");
	CHECK_STR(o.fs_root, "rel/dir", "--fs-readonly ROOT: raw root");
	CHECK_RUN(ARGV("--fs-readonly", "--trace", "--", "cmd"),
		  "--fs-readonly then a flag");
	OK(o.fs_root == NULL, "--fs-readonly --trace: no root");
	CHECK_INT(o.policy.flags, HM_F_FS_READONLY | HM_F_TRACE,
		  "--fs-readonly --trace: both flags");
	CHECK_RUN(ARGV("--fs-readonly=/a", "--fs-readonly", "/a", "--", "cmd"),
		  "same root twice");
	CHECK_ERR(ARGV("--fs-readonly=", "--", "cmd"),
		  "--fs-readonly root '' is empty", "--fs-readonly= refused");
	CHECK_ERR(ARGV("--fs-readonly", "", "--", "cmd"),
		  "--fs-readonly root '' is empty", "--fs-readonly '' refused");
	CHECK_ERR(ARGV("--fs-readonly=/a", "--fs-readonly=/b", "--", "cmd"),
		  "two roots", "two different roots refused");

	CHECK_ERR(ARGV("--allow-write", "/tmp", "--", "cmd"),
		  "--allow-write needs --fs-readonly",
		  "--allow-write without fs-readonly");
	CHECK_RUN(ARGV("--allow-write", "/tmp", "--fs-readonly", "--", "cmd"),
		  "--allow-write with --fs-readonly");
	CHECK_INT(o.n_writable, 1, "--allow-write: one hole");
	CHECK_STR(o.writable[0], "/tmp", "--allow-write: raw dir");
	CHECK_RUN(ARGV("--allow-write=/tmp", "--allow-write", "out",
		       "--profile", "fs-readonly", "--", "cmd"),
		  "--allow-write with --profile fs-readonly");
	CHECK_INT(o.n_writable, 2, "--allow-write x2: two holes");
	CHECK_STR(o.writable[1], "out", "--allow-write x2: second");
	CHECK_RUN(ARGV("--profile", "block-all", "--allow-write", "/tmp", "--",
		       "cmd"),
		  "--allow-write with --profile block-all");
	CHECK_ERR(ARGV("--profile", "exec-deny", "--allow-write", "/tmp", "--",
		       "cmd"),
		  "--allow-write needs --fs-readonly",
		  "--allow-write with a profile without fs-readonly");
	{
		static char *argv[2 * HM_CLI_MAX_PATHS + 8];
		int i, n = 0;

		argv[n++] = "hermetic";
		argv[n++] = "--fs-readonly";
		for (i = 0; i <= HM_CLI_MAX_PATHS; i++) {
			argv[n++] = "--allow-write";
			argv[n++] = "/tmp";
		}
		argv[n++] = "--";
		argv[n++] = "cmd";
		argv[n] = NULL;
		CHECK_ERR(argv, "too many --allow-write",
			  "one --allow-write too many");
	}
}

static void test_missing_values(void)
{
	CHECK_ERR(ARGV("--allow-domain", "--", "cmd"),
		  "option '--allow-domain' needs a value",
		  "--allow-domain then --");
	CHECK_ERR(ARGV("--no-network", "--allow-domain"), "usage error",
		  "--allow-domain at the end without --");
	CHECK_ERR(ARGV("--allow-domain", "--trace", "--", "cmd"),
		  "option '--allow-domain' needs a value",
		  "--allow-domain then a flag");
	CHECK_ERR(ARGV("--profile", "--", "cmd"),
		  "option '--profile' needs a value", "--profile then --");
	CHECK_ERR(ARGV("--deny-import", "--", "cmd"),
		  "option '--deny-import' needs a value",
		  "--deny-import then --");
	CHECK_ERR(ARGV("--allow-write", "--", "cmd"),
		  "option '--allow-write' needs a value",
		  "--allow-write then --");
	CHECK_ERR(ARGV("--allow-domain", "-h", "--", "cmd"),
		  "option '--allow-domain' needs a value",
		  "--allow-domain -h is not help");
}

static void test_split(void)
{
	char *argv[] = {"hermetic", "--no-network", "--",  "cmd", "--",
			"--trace",  "-h",	    "x y", "",	  NULL};
	char *copy[sizeof(argv) / sizeof(argv[0])];

	memcpy(copy, argv, sizeof(argv));
	CHECK_INT(hm_cli_parse(9, argv, &o, err, sizeof(err)), HM_CLI_RUN,
		  "target argv: parses");
	OK(o.target_argv == argv + 3, "target argv: points into argv");
	CHECK_INT(o.target_argc, 6, "target argv: count");
	CHECK_STR(o.target_argv[1], "--", "target argv: later -- kept");
	CHECK_STR(o.target_argv[2], "--trace", "target argv: flags kept");
	CHECK_STR(o.target_argv[3], "-h", "target argv: -h kept");
	CHECK_STR(o.target_argv[4], "x y", "target argv: blanks kept");
	CHECK_STR(o.target_argv[5], "", "target argv: empty word kept");
	OK(o.target_argv[6] == NULL, "target argv: NULL-terminated");
	CHECK_INT(o.policy.flags, HM_F_BLOCK_NETWORK,
		  "target argv: its flags are not hermetic's");
	OK(!memcmp(copy, argv, sizeof(argv)), "argv not modified");

	CHECK_RUN(ARGV("--", "--no-network"), "target that looks like a flag");
	CHECK_INT(o.policy.flags, 0, "target that looks like a flag: no flags");
	CHECK_STR(o.target_argv[0], "--no-network",
		  "target that looks like a flag: passed on");

	CHECK_ERR(ARGV("--no-network", "cmd"),
		  "usage error: separate hermetic and target args with `--`",
		  "missing --");
	CHECK_ERR(ARGV("cmd", "arg"),
		  "usage error: separate hermetic and target args with `--`",
		  "missing -- (no flags)");
	{
		char *bare[] = {"hermetic", NULL};

		CHECK_ERR(bare,
			  "usage error: separate hermetic and target args "
			  "with `--`",
			  "bare hermetic");
	}
	CHECK_ERR(ARGV("--no-network", "--"), "no command given after `--`",
		  "nothing after --");
	CHECK_ERR(ARGV("--"), "no command given after `--`", "only -- given");
}

static void test_help_version(void)
{
	CHECK_INT(parse(ARGV("-h")), HM_CLI_HELP, "-h");
	CHECK_INT(parse(ARGV("--help")), HM_CLI_HELP, "--help");
	CHECK_INT(parse(ARGV("--version")), HM_CLI_VERSION, "--version");
	CHECK_INT(parse(ARGV("-h", "--")), HM_CLI_HELP, "-h --");
	CHECK_INT(parse(ARGV("--help", "--", "cmd")), HM_CLI_HELP,
		  "--help -- cmd");
	CHECK_INT(parse(ARGV("--version", "--")), HM_CLI_VERSION,
		  "--version --");
	CHECK_INT(parse(ARGV("--no-network", "--version", "--", "cmd")),
		  HM_CLI_VERSION, "--version after a flag");
	CHECK_INT(parse(ARGV("--hel", "--", "cmd")), HM_CLI_HELP,
		  "--hel prefix");
	CHECK_INT(parse(ARGV("--vers", "--", "cmd")), HM_CLI_VERSION,
		  "--vers prefix");
	CHECK_INT(parse(ARGV("cmd", "--help")), HM_CLI_HELP,
		  "--help without -- and a stray word");
	CHECK_INT(parse(ARGV("--bogus", "-h", "--")), HM_CLI_HELP,
		  "-h wins over an earlier bad flag");
	CHECK_INT(parse(ARGV("--fs-readonly", "-h")), HM_CLI_HELP,
		  "--fs-readonly -h: -h is not a root");
	CHECK_ERR(ARGV("--hel", "cmd"),
		  "usage error: separate hermetic and target args with `--`",
		  "a prefix of --help without -- is not enough");
	CHECK_RUN(ARGV("--", "cmd", "--help"),
		  "--help after -- is the target's");
	CHECK_STR(o.target_argv[1], "--help", "--help passed to the target");

	OK(strstr(hm_cli_usage(), "Usage: hermetic [FLAGS] -- CMD") != NULL,
	   "usage: first line");
	{
		static const char *const flags[] = {"--no-network",
						    "--allow-localhost",
						    "--allow-domain",
						    "--no-subprocess",
						    "--fs-readonly",
						    "--allow-write",
						    "--block-native",
						    "--no-environment",
						    "--no-env",
						    "--no-code-exec",
						    "--no-interpreter-mutation",
						    "--deny-import",
						    "--profile",
						    "--trace",
						    "--seal",
						    "--version",
						    "--help",
						    "HERMETIC_POLICY",
						    "HERMETIC_PYSITE",
						    "HERMETIC_DEBUG",
						    "127",
						    "126"};
		size_t i;
		int all = 1;

		for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
			if (!strstr(hm_cli_usage(), flags[i])) {
				printf("#   usage lacks %s\n", flags[i]);
				all = 0;
			}
		}
		OK(all, "usage: every flag, variable and exit code");
	}
	{
		const char *p = hm_cli_usage(), *nl;
		int narrow = 1;

		for (; *p; p = nl + 1) {
			nl = strchr(p, '\n');
			if (!nl || nl - p > 80)
				narrow = 0;
			if (!nl)
				break;
		}
		OK(narrow, "usage: lines of at most 80 columns, final newline");
	}
}

static void test_err_buffer(void)
{
	char small[6];
	int r;

	r = hm_cli_parse(argc_of(ARGV("--bogus", "--", "x")),
			 ARGV("--bogus", "--", "x"), &o, small, sizeof(small));
	CHECK_INT(r, HM_CLI_ERROR, "small err buffer: error");
	CHECK_STR(small, "herme", "small err buffer: truncated, terminated");
	r = hm_cli_parse(argc_of(ARGV("--bogus", "--", "x")),
			 ARGV("--bogus", "--", "x"), &o, NULL, 0);
	CHECK_INT(r, HM_CLI_ERROR, "no err buffer: error");
	r = hm_cli_parse(0, NULL, &o, err, sizeof(err));
	CHECK_INT(r, HM_CLI_ERROR, "argc 0: error");
	/* The parser is re-entrant: a good parse after all the bad ones. */
	CHECK_RUN(ARGV("--no-net", "--", "cmd"), "re-entrant after errors");
	CHECK_INT(o.policy.flags, HM_F_BLOCK_NETWORK, "re-entrant: flags");
}

/* --policy, --profile FILE and --print-policy (issue 9). */
static void test_policy_files(void)
{
	CHECK_RUN(ARGV("--policy", "a.json", "--policy", "/x/b", "--", "c"),
		  "--policy twice");
	CHECK_INT((int)o.n_policy_files, 2, "--policy: two files");
	CHECK_STR(o.policy_files[1], "/x/b", "--policy: second file");
	CHECK_INT(o.print_policy, 0, "--policy: no print");
	CHECK_RUN(ARGV("--profile", "./p", "--profile", "ci.json", "--profile",
		       "exec-deny", "--", "c"),
		  "--profile FILE");
	CHECK_INT((int)o.n_policy_files, 2, "--profile: files taken");
	CHECK_STR(o.policy_files[0], "./p", "--profile ./p is a file");
	OK(o.policy.flags & HM_F_BLOCK_SUBPROCESS, "--profile: name applied");
	CHECK_ERR(ARGV("--profile", "nope", "--", "c"), "unknown profile",
		  "--profile unknown name");
	CHECK_ERR(ARGV("--policy", "--", "c"), "needs a value",
		  "--policy without a value");
	CHECK_ERR(ARGV("--policy=", "--", "c"), "needs a file name",
		  "--policy= empty");
	/* --allow-write is checked after the files are loaded. */
	CHECK_RUN(ARGV("--policy", "ro.json", "--allow-write", "d", "--", "c"),
		  "--allow-write with a policy file");
	CHECK_ERR(ARGV("--allow-write", "d", "--", "c"), "needs --fs-readonly",
		  "--allow-write alone");
	/* --print-policy needs no `--` and no command. */
	CHECK_RUN(ARGV("--no-network", "--print-policy"), "--print-policy");
	CHECK_INT(o.print_policy, 1, "--print-policy: set");
	OK(o.target_argv == NULL, "--print-policy: no target");
	CHECK_RUN(ARGV("--print-policy", "--"), "--print-policy --");
	CHECK_RUN(ARGV("--print-policy", "--", "c"), "--print-policy -- c");
	CHECK_ERR(ARGV("--no-network"), "separate hermetic and target",
		  "no -- without --print-policy");
	CHECK_ERR(ARGV("--print-policy", "--bogus"), "unknown option",
		  "--print-policy with a bad flag");
}

int main(void)
{
	test_single_flags();
	test_prefix_errors();
	test_domains();
	test_imports_profiles();
	test_fs();
	test_missing_values();
	test_split();
	test_help_version();
	test_err_buffer();
	test_policy_files();
	return tap_done();
}
