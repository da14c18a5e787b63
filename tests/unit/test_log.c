/*
 * test_log.c - unit tests of the logging funnel: exact line format, one
 * line per call even for huge values, control characters replaced, errno
 * preserved, and fd -1 as a no-op (lines are written into a pipe and read
 * back).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hermetic/hermetic.h"
#include "tap.h"

static int pipefd[2];

/* Everything in the pipe so far, NUL-terminated ("" when empty). */
static const char *drain(void)
{
	static char buf[8192];
	ssize_t got, len = 0;

	for (;;) {
		got = read(pipefd[0], buf + len, sizeof(buf) - 1 - (size_t)len);
		if (got <= 0)
			break;
		len += got;
	}
	buf[len] = '\0';
	return buf;
}

static int ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);

	return a >= b && strcmp(s + a - b, tail) == 0;
}

static void test_format(void)
{
	hm_log_blocked(pipefd[1], "connect", "host", "127.0.0.1:8080",
		       HM_R_NO_NETWORK);
	CHECK_STR(drain(),
		  "[hermetic] blocked connect host=127.0.0.1:8080 "
		  "reason=no-network\n",
		  "blocked: connect line");
	hm_log_blocked(pipefd[1], "open", "path", "/etc/passwd", HM_R_FS_ROOT);
	CHECK_STR(drain(),
		  "[hermetic] blocked open path=/etc/passwd reason=fs-root\n",
		  "blocked: open line");
	hm_log_blocked(pipefd[1], "fork", NULL, NULL, HM_R_NO_SUBPROCESS);
	CHECK_STR(drain(), "[hermetic] blocked fork reason=no-subprocess\n",
		  "blocked: no key/value");
	hm_log_blocked(pipefd[1], "import", "name", "ctypes", HM_R_DENY_IMPORT);
	CHECK_STR(drain(),
		  "[hermetic] blocked import name=ctypes reason=deny-import\n",
		  "blocked: import line");
	hm_log_msg(pipefd[1], "cannot exec ", "/bin/x", ": static", (char *)0);
	CHECK_STR(drain(), "hermetic: cannot exec /bin/x: static\n",
		  "msg: concatenation");
	hm_log_msg(pipefd[1], "plain", (char *)0);
	CHECK_STR(drain(), "hermetic: plain\n", "msg: one piece");
}

static void test_truncation(void)
{
	size_t big = 5000;
	char *v = malloc(big + 1);
	const char *line;

	memset(v, 'a', big);
	v[big] = '\0';
	hm_log_blocked(pipefd[1], "open", "path", v, HM_R_FS_READONLY);
	line = drain();
	OK(strlen(line) <= 1024, "truncation: line bounded");
	OK(strlen(line) > 900, "truncation: the buffer is used");
	OK(strncmp(line, "[hermetic] blocked open path=aaa", 32) == 0,
	   "truncation: head kept");
	OK(ends_with(line, "a... reason=fs-readonly\n"),
	   "truncation: marked, tail and newline kept");
	OK(strchr(line, '\n') == line + strlen(line) - 1,
	   "truncation: exactly one line");

	hm_log_msg(pipefd[1], "x", v, "y", (char *)0);
	line = drain();
	OK(strlen(line) <= 1024 && ends_with(line, "...\n") &&
	       strncmp(line, "hermetic: xaaa", 14) == 0,
	   "truncation: msg bounded, newline kept");
	free(v);
}

static void test_control_chars(void)
{
	hm_log_blocked(pipefd[1], "open", "path", "/tmp/a\nb\tc\x7f\x1b[0m",
		       HM_R_FS_READONLY);
	CHECK_STR(drain(),
		  "[hermetic] blocked open path=/tmp/a?b?c??[0m "
		  "reason=fs-readonly\n",
		  "control: replaced by '?'");
	hm_log_blocked(pipefd[1], "open", "path", "/tmp/caf\xc3\xa9",
		       HM_R_FS_READONLY);
	CHECK_STR(drain(),
		  "[hermetic] blocked open path=/tmp/caf\xc3\xa9 "
		  "reason=fs-readonly\n",
		  "control: UTF-8 kept");
	hm_log_msg(pipefd[1], "a\nb", (char *)0);
	CHECK_STR(drain(), "hermetic: a?b\n", "control: msg replaced too");
}

static void test_errno_and_noop(void)
{
	int fds[2];

	errno = 1234;
	hm_log_blocked(pipefd[1], "connect", "host", "h", HM_R_NO_NETWORK);
	CHECK_INT(errno, 1234, "errno: preserved after a write");
	drain();
	errno = 4321;
	hm_log_msg(pipefd[1], "m", (char *)0);
	CHECK_INT(errno, 4321, "errno: msg preserves it");
	drain();

	errno = 77;
	hm_log_blocked(-1, "connect", "host", "h", HM_R_NO_NETWORK);
	hm_log_msg(-1, "m", (char *)0);
	CHECK_INT(errno, 77, "noop: fd -1 keeps errno");
	CHECK_STR(drain(), "", "noop: nothing written anywhere");

	/* A write that fails (EBADF) must not leak its errno either. */
	OK(pipe(fds) == 0, "errno: second pipe");
	close(fds[0]);
	close(fds[1]);
	errno = 55;
	hm_log_blocked(fds[1], "connect", NULL, NULL, HM_R_NO_NETWORK);
	CHECK_INT(errno, 55, "errno: failed write keeps errno");
}

int main(void)
{
	if (pipe2(pipefd, O_NONBLOCK | O_CLOEXEC) != 0) {
		printf("Bail out! pipe2 failed\n");
		return 1;
	}
	test_format();
	test_truncation();
	test_control_chars();
	test_errno_and_noop();
	return tap_done();
}
