/*
 * auditrec.c - one audit record (docs/audit.md, docs/audit.schema.json):
 * a JSON object on one line describing a request that a policy would
 * deny, formatted into a caller's buffer. Pure: no allocation, no stdio,
 * async-signal-safe (inet_ntop only); used by the shim's deny path and by
 * the Python layer.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/un.h>

#include "hermetic/hermetic.h"
#include "internal.h"

#define REC_MAX HM_AUDIT_REC_MAX

struct rec {
	char *b; /* HM_AUDIT_REC_MAX bytes */
	size_t len;
	int cut;
};

/* The decimal form of @v into @out (NUL-terminated). */
static void put_uint(char *out, unsigned int v)
{
	*hm_put_u64(out, v) = '\0';
}

static void raw(struct rec *r, const char *s)
{
	size_t n = strlen(s);

	/* Keep room for the closing text ("\"}\n" and a cut marker). */
	if (r->len + n > REC_MAX - 64) {
		r->cut = 1;
		return;
	}
	memcpy(r->b + r->len, s, n);
	r->len += n;
}

/* A JSON string body: '"' '\\' and every byte outside 0x20..0x7e escaped. */
static void esc(struct rec *r, const char *s, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; s[i] && i < max; i++) {
		unsigned char c = (unsigned char)s[i];

		if (r->len + 8 > REC_MAX - 64) {
			r->cut = 1;
			return;
		}
		if (c == '"' || c == '\\') {
			r->b[r->len++] = '\\';
			r->b[r->len++] = (char)c;
		} else if (c < 0x20 || c > 0x7e) {
			memcpy(r->b + r->len, "\\u00", 4);
			r->b[r->len + 4] = hex[c >> 4];
			r->b[r->len + 5] = hex[c & 15];
			r->len += 6;
		} else {
			r->b[r->len++] = (char)c;
		}
	}
}

static void field(struct rec *r, const char *key, const char *value)
{
	raw(r, ",\"");
	raw(r, key);
	raw(r, "\":\"");
	esc(r, value, HM_PATH_MAX);
	raw(r, "\"");
}

static const char *op_name(enum hm_op op)
{
	switch (op) {
	case HM_OP_CONNECT:
		return "connect";
	case HM_OP_SENDTO:
		return "sendto";
	case HM_OP_BIND:
		return "bind";
	case HM_OP_LISTEN:
		return "listen";
	case HM_OP_SOCKET:
		return "socket";
	case HM_OP_RESOLVE:
		return "resolve";
	case HM_OP_EXEC:
		return "exec";
	case HM_OP_OPEN:
		return "open";
	case HM_OP_MUTATE:
		return "mutate";
	case HM_OP_DLOPEN:
		return "dlopen";
	case HM_OP_ENV:
		return "env";
	case HM_OP_CODE_EXEC:
		return "code-exec";
	case HM_OP_INTERP:
		return "interp";
	case HM_OP_IMPORT:
		return "import";
	case HM_OP_REVERSE:
		return "reverse";
	case HM_OP_RAW_DNS:
		return "raw-dns";
	case HM_OP_RCMD:
		return "rcmd";
	default:
		return "unknown";
	}
}

/* The address of @sa as "a.b.c.d", "x:y::z" or a unix path; "" if none. */
static void put_addr(struct rec *r, const struct sockaddr *sa, socklen_t len)
{
	char host[INET6_ADDRSTRLEN + 1];
	char port[8];
	unsigned int p = 0;

	if (!sa || len < (socklen_t)sizeof(sa_family_t))
		return;
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const void *)sa;

		if (!inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host)))
			return;
		p = ntohs(in->sin_port);
	} else if (sa->sa_family == AF_INET6 &&
		   len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		if (!inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host)))
			return;
		p = ntohs(in6->sin6_port);
	} else if (sa->sa_family == AF_UNIX) {
		const struct sockaddr_un *un = (const void *)sa;
		size_t max = len - offsetof(struct sockaddr_un, sun_path);

		if (len <= offsetof(struct sockaddr_un, sun_path))
			return;
		if (max > sizeof(un->sun_path))
			max = sizeof(un->sun_path);
		field(r, "family", "unix");
		/* An abstract name starts with NUL: shown as "@name". */
		if (un->sun_path[0] == '\0' && max > 1) {
			raw(r, ",\"target\":\"@");
			esc(r, un->sun_path + 1, max - 1);
			raw(r, "\"");
		} else {
			raw(r, ",\"target\":\"");
			esc(r, un->sun_path, max);
			raw(r, "\"");
		}
		return;
	} else {
		return;
	}
	field(r, "family", sa->sa_family == AF_INET ? "inet" : "inet6");
	field(r, "target", host);
	put_uint(port, p);
	raw(r, ",\"port\":");
	raw(r, port);
}

size_t hm_audit_format(char *buf, const struct hm_request *rq,
		       enum hm_reason why, int pid, const char *layer,
		       const char *frame)
{
	struct rec r = {.b = buf, .len = 0, .cut = 0};
	char num[16];

	raw(&r, "{\"pid\":");
	put_uint(num, (unsigned int)pid);
	raw(&r, num);
	field(&r, "layer", layer);
	field(&r, "guard", hm_reason_name(why));
	field(&r, "op", op_name(rq->op));
	switch (rq->op) {
	case HM_OP_CONNECT:
	case HM_OP_SENDTO:
	case HM_OP_BIND:
	case HM_OP_LISTEN:
	case HM_OP_REVERSE:
		put_addr(&r, rq->sa, rq->salen);
		if (rq->resolved_name)
			field(&r, "name", rq->resolved_name);
		break;
	case HM_OP_RESOLVE:
	case HM_OP_IMPORT:
		if (rq->name)
			field(&r, "target", rq->name);
		break;
	case HM_OP_OPEN:
	case HM_OP_MUTATE:
	case HM_OP_EXEC:
	case HM_OP_DLOPEN:
		if (rq->path)
			field(&r, "target", rq->path);
		if (rq->op == HM_OP_OPEN)
			field(&r, "access",
			      (rq->flags & O_ACCMODE) == O_RDONLY ? "read"
								  : "write");
		break;
	default:
		break;
	}
	if (frame && *frame)
		field(&r, "frame", frame);
	if (r.cut)
		raw(&r, ",\"truncated\":true");
	raw(&r, "}\n");
	return r.len;
}
