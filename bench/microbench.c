/*
 * microbench: performs one named libc operation N times and prints the mean
 * cost in nanoseconds per operation, so bench/run can time it bare and under
 * libhermetic.so. Every operation is checked; a failure exits 1, never a fast
 * wrong number.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* What a timed loop needs besides the iteration count. */
struct bench_ctx {
	const char *path;	 /* open, stat: the file; openat: its name */
	int dirfd;		 /* openat: the directory holding the file */
	int listen_fd;		 /* connect: the listener, non-blocking */
	struct sockaddr_in addr; /* connect: the listener's address */
	char **argv;		 /* run: command and its arguments */
	posix_spawn_file_actions_t quiet; /* run: stdout/stderr to /dev/null */
};

static const char usage[] =
    "usage: microbench OP N [ARG...]\n"
    "  open N FILE       open(FILE, O_RDONLY) + close\n"
    "  openat N FILE     openat(dirfd, basename, O_RDONLY) + close\n"
    "  stat N FILE       stat(FILE)\n"
    "  connect N         TCP connect+accept+close on 127.0.0.1\n"
    "  getaddrinfo N     getaddrinfo(\"localhost\") + freeaddrinfo\n"
    "  forkexec N        fork + execve /bin/true + waitpid\n"
    "  spawn N           posix_spawn /bin/true + waitpid\n"
    "  run N -- CMD...   posix_spawnp CMD (output to /dev/null) + waitpid\n"
    "Prints mean ns per operation on stdout.\n";

static void die(const char *what)
{
	fprintf(stderr, "microbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void check_status(const char *what, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	fprintf(stderr, "microbench: %s: child status 0x%x\n", what, status);
	exit(1);
}

static __attribute__((noinline)) void bench_open(struct bench_ctx *c, long n)
{
	for (long i = 0; i < n; i++) {
		int fd = open(c->path, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			die("open");
		close(fd);
	}
}

static __attribute__((noinline)) void bench_openat(struct bench_ctx *c, long n)
{
	for (long i = 0; i < n; i++) {
		int fd = openat(c->dirfd, c->path, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			die("openat");
		close(fd);
	}
}

static __attribute__((noinline)) void bench_stat(struct bench_ctx *c, long n)
{
	struct stat st;

	for (long i = 0; i < n; i++) {
		if (stat(c->path, &st) < 0)
			die("stat");
	}
}

static __attribute__((noinline)) void bench_connect(struct bench_ctx *c, long n)
{
	for (long i = 0; i < n; i++) {
		int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int a;

		if (s < 0)
			die("socket");
		if (connect(s, (const struct sockaddr *)&c->addr,
			    sizeof(c->addr)) < 0)
			die("connect");
		/* Loopback completes the handshake inside connect(). */
		a = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (a < 0)
			die("accept4");
		/*
		 * The accepted socket inherits SO_LINGER 0 from the listener:
		 * closing it first sends RST, so no TIME_WAIT piles up and
		 * ephemeral ports never run out.
		 */
		close(a);
		close(s);
	}
}

static __attribute__((noinline)) void bench_getaddrinfo(struct bench_ctx *c,
							long n)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
	struct addrinfo *res;

	(void)c;
	for (long i = 0; i < n; i++) {
		int rc = getaddrinfo("localhost", NULL, &hints, &res);

		if (rc != 0) {
			fprintf(stderr, "microbench: getaddrinfo: %s\n",
				gai_strerror(rc));
			exit(1);
		}
		freeaddrinfo(res);
	}
}

static __attribute__((noinline)) void bench_forkexec(struct bench_ctx *c,
						     long n)
{
	char *argv[] = {"true", NULL};

	(void)c;
	for (long i = 0; i < n; i++) {
		int status;
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			execve("/bin/true", argv, environ);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) < 0)
			die("waitpid");
		check_status("forkexec", status);
	}
}

static __attribute__((noinline)) void bench_spawn(struct bench_ctx *c, long n)
{
	char *argv[] = {"true", NULL};

	(void)c;
	for (long i = 0; i < n; i++) {
		int status;
		pid_t pid;
		int rc =
		    posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ);

		if (rc != 0) {
			errno = rc;
			die("posix_spawn");
		}
		if (waitpid(pid, &status, 0) < 0)
			die("waitpid");
		check_status("spawn", status);
	}
}

static __attribute__((noinline)) void bench_run(struct bench_ctx *c, long n)
{
	for (long i = 0; i < n; i++) {
		int status;
		pid_t pid;
		int rc = posix_spawnp(&pid, c->argv[0], &c->quiet, NULL,
				      c->argv, environ);

		if (rc != 0) {
			errno = rc;
			die(c->argv[0]);
		}
		if (waitpid(pid, &status, 0) < 0)
			die("waitpid");
		check_status(c->argv[0], status);
	}
}

static void setup_listener(struct bench_ctx *c)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	socklen_t len = sizeof(c->addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		die("socket");
	memset(&c->addr, 0, sizeof(c->addr));
	c->addr.sin_family = AF_INET;
	c->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0)
		die("setsockopt");
	if (bind(fd, (const struct sockaddr *)&c->addr, sizeof(c->addr)) < 0)
		die("bind");
	if (listen(fd, 64) < 0)
		die("listen");
	if (getsockname(fd, (struct sockaddr *)&c->addr, &len) < 0)
		die("getsockname");
	c->listen_fd = fd;
}

static void setup_openat(struct bench_ctx *c)
{
	char dir[4096];
	const char *slash = strrchr(c->path, '/');
	size_t len;

	if (!slash) {
		c->dirfd = AT_FDCWD;
		return;
	}
	len = (size_t)(slash - c->path);
	if (len == 0)
		len = 1;
	if (len >= sizeof(dir)) {
		fprintf(stderr, "microbench: path too long\n");
		exit(1);
	}
	memcpy(dir, c->path, len);
	dir[len] = '\0';
	c->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->dirfd < 0)
		die(dir);
	c->path = slash + 1;
}

static void setup_quiet(struct bench_ctx *c)
{
	if (posix_spawn_file_actions_init(&c->quiet) != 0 ||
	    posix_spawn_file_actions_addopen(&c->quiet, 1, "/dev/null",
					     O_WRONLY, 0) != 0 ||
	    posix_spawn_file_actions_addopen(&c->quiet, 2, "/dev/null",
					     O_WRONLY, 0) != 0)
		die("posix_spawn_file_actions");
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	struct bench_ctx c = {.dirfd = -1, .listen_fd = -1};
	void (*fn)(struct bench_ctx *, long);
	const char *op;
	char *end;
	long n;
	double t0;
	double t1;

	if (argc < 3) {
		fputs(usage, stderr);
		return 1;
	}
	op = argv[1];
	n = strtol(argv[2], &end, 10);
	if (*end != '\0' || n <= 0) {
		fputs(usage, stderr);
		return 1;
	}
	if (!strcmp(op, "open") || !strcmp(op, "openat") ||
	    !strcmp(op, "stat")) {
		if (argc != 4) {
			fputs(usage, stderr);
			return 1;
		}
		c.path = argv[3];
		if (!strcmp(op, "open")) {
			fn = bench_open;
		} else if (!strcmp(op, "stat")) {
			fn = bench_stat;
		} else {
			setup_openat(&c);
			fn = bench_openat;
		}
	} else if (!strcmp(op, "connect")) {
		setup_listener(&c);
		fn = bench_connect;
	} else if (!strcmp(op, "getaddrinfo")) {
		fn = bench_getaddrinfo;
	} else if (!strcmp(op, "forkexec")) {
		fn = bench_forkexec;
	} else if (!strcmp(op, "spawn")) {
		fn = bench_spawn;
	} else if (!strcmp(op, "run") && argc > 4 && !strcmp(argv[3], "--")) {
		c.argv = argv + 4;
		setup_quiet(&c);
		fn = bench_run;
	} else {
		fputs(usage, stderr);
		return 1;
	}

	/* Warm-up: fault in code, caches, the dentry and the resolver. */
	fn(&c, n / 10 > 0 ? n / 10 : 1);
	t0 = now_ns();
	fn(&c, n);
	t1 = now_ns();
	printf("%.1f\n", (t1 - t0) / (double)n);
	return 0;
}
