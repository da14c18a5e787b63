/*
 * bindaddr.c - the wildcard-bind rule of block_network (issue 10 item 9):
 * a server that binds "any" (0.0.0.0, ::, ::ffff:0.0.0.0) is bound to the
 * matching loopback address instead (127.0.0.1, ::1, ::ffff:127.0.0.1),
 * so it works and stays reachable only from this machine. Pure: rewrites
 * a caller-owned copy. No I/O, no allocation, no state;
 * async-signal-safe.
 */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "hermetic/hermetic.h"
#include "internal.h"

int hm_bind_wildcard_to_loopback(struct sockaddr_storage *ss, socklen_t len)
{
	static const unsigned char v4map[12] = {[10] = 0xff, [11] = 0xff};
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	unsigned char *a;
	size_t i;

	if (!ss)
		return 0;
	if (ss->ss_family == AF_INET) {
		if (len < (socklen_t)sizeof(*in4) ||
		    in4->sin_addr.s_addr != htonl(INADDR_ANY))
			return 0;
		in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return 1;
	}
	if (ss->ss_family != AF_INET6 || len < (socklen_t)sizeof(*in6))
		return 0;
	a = in6->sin6_addr.s6_addr;
	if (memcmp(a, v4map, 12) == 0) {
		if (a[12] | a[13] | a[14] | a[15])
			return 0;
		a[12] = 127;
		a[15] = 1;
		return 1;
	}
	for (i = 0; i < 16; i++)
		if (a[i])
			return 0;
	a[15] = 1;
	return 1;
}
