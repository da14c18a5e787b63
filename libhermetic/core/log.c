/*
 * log.c - the one logging funnel: formats a trace or diagnostic line into
 * a fixed stack buffer and emits it with a single write(2). No malloc, no
 * stdio, errno preserved: callable from interposers and signal handlers.
 */
#include <errno.h>
#include <stdarg.h>
#include <unistd.h>

#include "hermetic/hermetic.h"

/* A line never exceeds this (well under PIPE_BUF, so pipes keep it whole). */
#define LOG_CAP 1024
/* Longest reason name we print; hm_reason_name's names are far shorter. */
#define REASON_MAX 48

struct line {
	char b[LOG_CAP];
	size_t len;
	int cut; /* something did not fit */
};

/* Append @s, control characters replaced by '?', stopping at @lim. */
static void add(struct line *l, const char *s, size_t lim)
{
	unsigned char c;

	if (!s)
		s = "(null)";
	for (; *s; s++) {
		if (l->len >= lim) {
			l->cut = 1;
			return;
		}
		c = (unsigned char)*s;
		l->b[l->len++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
}

/* Mark a truncated line with "..." in its last three kept bytes. */
static void mark_cut(struct line *l, size_t floor)
{
	size_t i;

	if (!l->cut)
		return;
	for (i = 0; i < 3 && l->len > floor; i++)
		l->b[l->len - 1 - i] = '.';
}

static void emit(int fd, const struct line *l)
{
	ssize_t rc;

	do {
		rc = write(fd, l->b, l->len);
	} while (rc < 0 && errno == EINTR);
}

void hm_log_blocked(int fd, const char *api, const char *key, const char *value,
		    enum hm_reason reason)
{
	static const char head[] = "[hermetic] blocked ";
	struct line l;
	struct line tail;
	int saved = errno;
	size_t i;

	if (fd < 0)
		return;
	/* The tail " reason=<name>\n" is built first and always kept whole. */
	tail.len = 0;
	tail.cut = 0;
	add(&tail, " reason=", LOG_CAP);
	add(&tail, hm_reason_name(reason), 8 + REASON_MAX);
	tail.b[tail.len++] = '\n';

	l.len = 0;
	l.cut = 0;
	add(&l, head, LOG_CAP);
	add(&l, api ? api : "?", LOG_CAP - tail.len);
	if (key && value) {
		add(&l, " ", LOG_CAP - tail.len);
		add(&l, key, LOG_CAP - tail.len);
		add(&l, "=", LOG_CAP - tail.len);
		add(&l, value, LOG_CAP - tail.len);
	}
	mark_cut(&l, sizeof(head) - 1);
	for (i = 0; i < tail.len; i++)
		l.b[l.len++] = tail.b[i];
	emit(fd, &l);
	errno = saved;
}

void hm_log_msg(int fd, const char *first, ...)
{
	struct line l;
	const char *s;
	int saved = errno;
	va_list ap;

	if (fd < 0)
		return;
	l.len = 0;
	l.cut = 0;
	add(&l, "hermetic: ", LOG_CAP - 1);
	va_start(ap, first);
	for (s = first; s; s = va_arg(ap, const char *))
		add(&l, s, LOG_CAP - 1);
	va_end(ap);
	mark_cut(&l, sizeof("hermetic: ") - 1);
	l.b[l.len++] = '\n';
	emit(fd, &l);
	errno = saved;
}
