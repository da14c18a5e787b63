/*
 * net_impl.h - private to the network interposers (net.c, net_resolve.c):
 * their includes, limits, and the helpers one file defines and the other
 * uses. Never included outside shim/.
 */
#ifndef HERMETIC_SHIM_NET_IMPL_H
#define HERMETIC_SHIM_NET_IMPL_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim.h"

/* The flags under which the network family leaves the fast path. */
#define NET_GATE HM_GATE_NET

/* Longest host name we copy (NI_MAXHOST); a longer one is refused. */
#define NAME_CAP 1025

/* Messages of one sendmmsg() call copied and checked per round. */
#define MMSG_CHUNK 8

/* The kernel caps one sendmmsg() at UIO_MAXIOV messages. */
#define MMSG_MAX 1024

/* Not declared by any header, but exported by glibc and wrapped here. */
int __connect(int fd, const struct sockaddr *addr, socklen_t len);
int __socket(int domain, int type, int protocol);
int __sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags);

/* Shared between the net files (defined in the file named). */
enum hm_reason net_reason(void) HM_HIDDEN;
int sa_copy(struct sockaddr_storage *ss, const struct sockaddr *sa,
	    socklen_t len) HM_HIDDEN;
int str_copy(char *dst, size_t cap, const char *src) HM_HIDDEN;
int is_numeric_host(const char *name) HM_HIDDEN;
void prov_record_ai(const char *name, const struct addrinfo *ai) HM_HIDDEN;
void prov_record_he(const char *name, const struct hostent *he) HM_HIDDEN;

#endif /* HERMETIC_SHIM_NET_IMPL_H */
