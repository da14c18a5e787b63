/*
 * exec_spawn.c - posix_spawn, posix_spawnp (both versions) and the
 * file actions whose open or chdir happens in the child where no wrapper
 * sees it; see exec.c for the gate and the child's environment.
 */
#include "exec_impl.h"

/* ------------------------------------------------------------------ */
/* posix_spawn                                                         */
/* ------------------------------------------------------------------ */

/* spawn_slow's @how: search PATH (posix_spawnp), and/or the old version. */
#define SPAWN_SEARCH 1
#define SPAWN_COMPAT 2

/*
 * Spawn file actions are checked again at spawn time (issue 8 class 10):
 * an addopen path checked when it was added can name another object by
 * now (a parent directory swapped for a symlink). Under a file-system
 * policy every relevant open action is performed here, in the parent,
 * through the open wrapper (anchored write open and post-check), and the
 * child is handed the very object checked: the action becomes a dup2 of
 * the parent's descriptor (an addclose when the action asked for
 * O_CLOEXEC: its descriptor would not survive the exec). This reads
 * glibc's private action list (sysdeps/posix/spawn_int.h, stable since
 * glibc 2.35); an entry of any other shape makes the spawn fail closed.
 */
struct spawn_action {
	enum {
		SA_CLOSE,
		SA_DUP2,
		SA_OPEN,
		SA_CHDIR,
		SA_FCHDIR,
		SA_CLOSEFROM,
		SA_TCSETPGRP
	} tag;
	union {
		struct {
			int fd;
		} close_action;
		struct {
			int fd;
			int newfd;
		} dup2_action;
		struct {
			int fd;
			char *path;
			int oflag;
			mode_t mode;
		} open_action;
		struct {
			char *path;
		} chdir_action;
		struct {
			int fd;
		} fchdir_action;
		struct {
			int from;
		} closefrom_action;
		struct {
			int fd;
		} tcsetpgrp_action;
	} action;
};

#define SPAWN_OPENS_MAX 32

/* The actions rewritten for one spawn, and the parent's descriptors. */
struct spawn_fa {
	posix_spawn_file_actions_t fa;
	int live;
	int n;
	int fds[SPAWN_OPENS_MAX];
};

static int addopen_relevant(int oflags);
static int spawn_fd_touched(const struct spawn_action *a, int upto, int cand);

/*
 * The child's working directory when it reaches action @upto, as an
 * O_PATH descriptor in *@dirfd (AT_FDCWD: ours, no earlier action moves
 * it): each earlier addchdir is resolved from the directory before it
 * (the child's chdir follows symlinks too), an addfchdir names our own
 * descriptor of that number unless an earlier action changed it in the
 * child (then the directory is unknown: EACCES, the caller reports).
 * Returns 0 or an errno. The directory is only where the name starts;
 * the open itself is the checked openat of the caller.
 */
static int spawn_child_cwd(const struct spawn_action *a, int upto, int *dirfd)
{
	int cur = AT_FDCWD, next;

	for (int i = 0; i < upto; i++) {
		if (a[i].tag == SA_CHDIR) {
			next =
			    HM_REAL(openat)(cur, a[i].action.chdir_action.path,
					    O_PATH | O_DIRECTORY | O_CLOEXEC);
		} else if (a[i].tag == SA_FCHDIR) {
			if (spawn_fd_touched(a, i,
					     a[i].action.fchdir_action.fd))
				next = -2;
			else
				next = fcntl(a[i].action.fchdir_action.fd,
					     F_DUPFD_CLOEXEC, 3);
		} else {
			continue;
		}
		if (next < 0) {
			int e = next == -2 ? EACCES : errno;

			if (cur != AT_FDCWD)
				close(cur);
			return e;
		}
		if (cur != AT_FDCWD)
			close(cur);
		cur = next;
	}
	*dirfd = cur;
	return 0;
}

/*
 * The verdict for the relative @path of an open action, resolved from
 * @dirfd (AT_FDCWD or the child's directory, spawn_child_cwd): 0, or
 * EACCES after reporting a refusal, or the errno of a name too long.
 */
static int spawn_relative_check(int dirfd, const char *path, int oflag)
{
	char buf[PATH_MAX], proc[32] = "/proc/self/fd/";
	size_t plen = strlen(path), n = 0;
	enum hm_reason r;
	ssize_t got;

	if (dirfd != AT_FDCWD) {
		*hm_shim_put_uint(proc + 14, (unsigned int)dirfd) = '\0';
		got = readlink(proc, buf, sizeof(buf) - 1);
		if (got <= 0)
			return EACCES;
		n = (size_t)got;
		buf[n++] = '/';
	}
	if (n + plen + 1 > sizeof(buf))
		return ENAMETOOLONG;
	memcpy(buf + n, path, plen + 1);
	r = hm_fs_check_open(buf, oflag);
	if (r == HM_R_NONE)
		return 0;
	hm_shim_report("posix_spawn_file_actions_addopen", "path", path, r);
	return EACCES;
}

/*
 * Whether descriptor @cand in the child can be changed by one of the
 * first @upto actions (so a dup2 from it at position @upto would read
 * something else).
 */
static int spawn_fd_touched(const struct spawn_action *a, int upto, int cand)
{
	for (int i = 0; i < upto; i++) {
		switch (a[i].tag) {
		case SA_CLOSE:
			if (a[i].action.close_action.fd == cand)
				return 1;
			break;
		case SA_DUP2:
			if (a[i].action.dup2_action.newfd == cand)
				return 1;
			break;
		case SA_OPEN:
			if (a[i].action.open_action.fd == cand)
				return 1;
			break;
		case SA_CLOSEFROM:
			if (cand >= a[i].action.closefrom_action.from)
				return 1;
			break;
		default:
			break;
		}
	}
	return 0;
}

static void spawn_fa_release(struct spawn_fa *sf)
{
	HM_SHIM_GUARD();
	for (int i = 0; i < sf->n; i++)
		close(sf->fds[i]);
	if (sf->live)
		posix_spawn_file_actions_destroy(&sf->fa);
	sf->n = 0;
	sf->live = 0;
}

/* Copy action @a (not an open) into @fa. Returns 0 or an errno. */
static int spawn_fa_copy(posix_spawn_file_actions_t *fa,
			 const struct spawn_action *a)
{
	switch (a->tag) {
	case SA_CLOSE:
		return posix_spawn_file_actions_addclose(
		    fa, a->action.close_action.fd);
	case SA_DUP2:
		return posix_spawn_file_actions_adddup2(
		    fa, a->action.dup2_action.fd, a->action.dup2_action.newfd);
	case SA_CHDIR:
		return posix_spawn_file_actions_addchdir_np(
		    fa, a->action.chdir_action.path);
	case SA_FCHDIR:
		return posix_spawn_file_actions_addfchdir_np(
		    fa, a->action.fchdir_action.fd);
	case SA_CLOSEFROM:
		return posix_spawn_file_actions_addclosefrom_np(
		    fa, a->action.closefrom_action.from);
	case SA_TCSETPGRP:
		return posix_spawn_file_actions_addtcsetpgrp_np(
		    fa, a->action.tcsetpgrp_action.fd);
	default:
		return EINVAL;
	}
}

/*
 * One relevant open action @i of @a: open it here (the open wrapper
 * judges it), move the descriptor to a number no earlier action touches
 * in the child, and add the dup2 (or close). Returns 0 or an errno
 * (EACCES on a denial; the open's own errno otherwise).
 */
static int spawn_fa_open(struct spawn_fa *sf, const struct spawn_action *a,
			 int i)
{
	int oflag = a[i].action.open_action.oflag;
	int fd = a[i].action.open_action.fd;
	const char *path = a[i].action.open_action.path;
	int pfd, cand, start = 3, rc, dirfd;

	if (sf->n >= SPAWN_OPENS_MAX || !path)
		return EACCES;
	/*
	 * A relative path is resolved where the child would resolve it: in
	 * the working directory it has at this action, after the earlier
	 * chdir/fchdir actions (spawn_child_cwd).
	 */
	dirfd = AT_FDCWD;
	if (path[0] != '/') {
		rc = spawn_child_cwd(a, i, &dirfd);
		if (rc) {
			if (rc == EACCES)
				hm_shim_report("posix_spawn", "path", path,
					       HM_R_UNGUARDABLE);
			return rc;
		}
	}
	/*
	 * A relative name is judged first as the action it came from (the
	 * trace names posix_spawn_file_actions_addopen and the path as
	 * given); the open below checks the object again.
	 */
	if (path[0] != '/' && addopen_relevant(oflag)) {
		rc = spawn_relative_check(dirfd, path, oflag);
		if (rc) {
			if (dirfd != AT_FDCWD)
				close(dirfd);
			return rc;
		}
	}
	/*
	 * The checked open, by the wrapper itself (hm_inside is 0 here):
	 * anchored write open and post-check, relative to @dirfd.
	 */
	pfd = openat(dirfd, path, oflag | O_CLOEXEC | O_NOCTTY,
		     a[i].action.open_action.mode);
	rc = errno;
	if (dirfd != AT_FDCWD)
		close(dirfd);
	if (pfd < 0)
		return rc;
	HM_SHIM_GUARD();
	for (int tries = 0;; tries++) {
		cand = fcntl(pfd, F_DUPFD_CLOEXEC, start);
		if (cand < 0 || tries > 64) {
			rc = cand < 0 ? errno : EACCES;
			if (cand >= 0)
				close(cand);
			close(pfd);
			return rc;
		}
		if (!spawn_fd_touched(a, i + 1, cand) && cand != fd)
			break;
		close(cand);
		start = cand + 1;
	}
	close(pfd);
	sf->fds[sf->n++] = cand;
	if (oflag & O_CLOEXEC)
		rc = posix_spawn_file_actions_addclose(&sf->fa, fd);
	else
		rc = posix_spawn_file_actions_adddup2(&sf->fa, cand, fd);
	return rc;
}

/*
 * Rewrite @fa for the spawn when a file-system policy is active. Returns
 * 0 with *@out the actions to use (@fa itself when nothing needs it), or
 * an errno for posix_spawn to return.
 */
static int spawn_fa_prepare(const posix_spawn_file_actions_t *fa,
			    struct spawn_fa *sf,
			    const posix_spawn_file_actions_t **out)
{
	const struct spawn_action *a;
	int used, rc = 0, any = 0;

	sf->n = 0;
	sf->live = 0;
	*out = fa;
	if (!fa || !(hm_shim_flags() & (HM_F_FS_READONLY | HM_F_FS_ROOT |
					HM_F_INVALID | HM_SHIM_ANY_GUARD)))
		return 0;
	used = fa->__used;
	a = (const struct spawn_action *)fa->__actions;
	if (used < 0 || used > fa->__allocated || (used && !a))
		return EINVAL;
	for (int i = 0; i < used; i++) {
		if ((unsigned int)a[i].tag > SA_TCSETPGRP)
			return EACCES; /* a layout we do not know */
		if (a[i].tag == SA_OPEN &&
		    (addopen_relevant(a[i].action.open_action.oflag) ||
		     hm_open_flags_write(a[i].action.open_action.oflag)))
			any = 1;
	}
	if (!any)
		return 0;
	HM_SHIM_GUARD();
	rc = posix_spawn_file_actions_init(&sf->fa);
	if (rc)
		return rc;
	sf->live = 1;
	for (int i = 0; i < used && !rc; i++) {
		if (a[i].tag == SA_OPEN &&
		    (addopen_relevant(a[i].action.open_action.oflag) ||
		     hm_open_flags_write(a[i].action.open_action.oflag))) {
			rc = spawn_fa_open(sf, a, i);
			continue;
		}
		HM_SHIM_GUARD();
		rc = a[i].tag == SA_OPEN
			 ? HM_REAL(posix_spawn_file_actions_addopen)(
			       &sf->fa, a[i].action.open_action.fd,
			       a[i].action.open_action.path,
			       a[i].action.open_action.oflag,
			       a[i].action.open_action.mode)
			 : spawn_fa_copy(&sf->fa, &a[i]);
	}
	if (rc) {
		spawn_fa_release(sf);
		return rc;
	}
	*out = &sf->fa;
	return 0;
}

/* posix_spawn reports failure as its return value; errno is left alone. */
static int spawn_slow(const char *api, int how, pid_t *pid, const char *file,
		      const posix_spawn_file_actions_t *fa,
		      const posix_spawnattr_t *attr, char *const argv[],
		      char *const envp[])
{
	char buf[PATH_MAX], found[PATH_MAX];
	const char *target = buf;
	struct child_env ce;
	struct spawn_fa sf;
	int saved = errno, rc, search = how & SPAWN_SEARCH;

	if (hm_shim_copy_str(file, buf, PATH_MAX) < 0) {
		rc = errno;
		errno = saved;
		return rc;
	}
	if (search)
		target = search_path(buf, found);
	if (exec_gate(api, buf, target, -1, envp, &ce) < 0) {
		/*
		 * The code is the return value, and errno carries it too:
		 * callers such as Java's ProcessBuilder report errno (it used
		 * to say "error=0").
		 */
		rc = errno;
		return rc;
	}
	if (ce.envp)
		envp = ce.envp;
	rc = spawn_fa_prepare(fa, &sf, &fa);
	if (rc) {
		release_env(&ce);
		errno = saved;
		return rc;
	}
	if (how & SPAWN_COMPAT)
		rc = (search ? hm_real_compat.posix_spawnp
			     : hm_real_compat.posix_spawn)(pid, buf, fa, attr,
							   argv, envp);
	else if (search)
		rc = HM_REAL(posix_spawnp)(pid, buf, fa, attr, argv, envp);
	else
		rc = HM_REAL(posix_spawn)(pid, buf, fa, attr, argv, envp);
	spawn_fa_release(&sf);
	release_env(&ce);
	errno = saved;
	return rc;
}

static int posix_spawn_slow(pid_t *pid, const char *path,
			    const posix_spawn_file_actions_t *fa,
			    const posix_spawnattr_t *attr, char *const argv[],
			    char *const envp[])
{
	return spawn_slow("posix_spawn", 0, pid, path, fa, attr, argv, envp);
}

static int posix_spawnp_slow(pid_t *pid, const char *file,
			     const posix_spawn_file_actions_t *fa,
			     const posix_spawnattr_t *attr, char *const argv[],
			     char *const envp[])
{
	return spawn_slow("posix_spawnp", SPAWN_SEARCH, pid, file, fa, attr,
			  argv, envp);
}

/*
 * posix_spawn@GLIBC_2.2.5 and posix_spawnp@GLIBC_2.2.5, the versions
 * programs linked before glibc 2.15 use: the same checks, forwarded to
 * glibc's old versions (which still run a script without "#!" through
 * /bin/sh). Exported through HM_COMPAT_VERSION only.
 */
int hm_compat_posix_spawn(pid_t *pid, const char *path,
			  const posix_spawn_file_actions_t *fa,
			  const posix_spawnattr_t *attr, char *const argv[],
			  char *const envp[]) HM_HIDDEN;
int hm_compat_posix_spawnp(pid_t *pid, const char *file,
			   const posix_spawn_file_actions_t *fa,
			   const posix_spawnattr_t *attr, char *const argv[],
			   char *const envp[]) HM_HIDDEN;

int hm_compat_posix_spawn(pid_t *pid, const char *path,
			  const posix_spawn_file_actions_t *fa,
			  const posix_spawnattr_t *attr, char *const argv[],
			  char *const envp[])
{
	int check = hm_shim_enter(); /* first: it resolves the real table */

	if (!hm_real_compat.posix_spawn)
		return ENOSYS;
	if (!check || !exec_relevant())
		return hm_real_compat.posix_spawn(pid, path, fa, attr, argv,
						  envp);
	return spawn_slow("posix_spawn", SPAWN_COMPAT, pid, path, fa, attr,
			  argv, envp);
}

int hm_compat_posix_spawnp(pid_t *pid, const char *file,
			   const posix_spawn_file_actions_t *fa,
			   const posix_spawnattr_t *attr, char *const argv[],
			   char *const envp[])
{
	int check = hm_shim_enter();

	if (!hm_real_compat.posix_spawnp)
		return ENOSYS;
	if (!check || !exec_relevant())
		return hm_real_compat.posix_spawnp(pid, file, fa, attr, argv,
						   envp);
	return spawn_slow("posix_spawnp", SPAWN_SEARCH | SPAWN_COMPAT, pid,
			  file, fa, attr, argv, envp);
}

HM_COMPAT_VERSION(posix_spawn, hm_compat_posix_spawn, "GLIBC_2.2.5");
HM_COMPAT_VERSION(posix_spawnp, hm_compat_posix_spawnp, "GLIBC_2.2.5");

/* Whether a child's open with @oflags falls under an active fs policy. */
static int addopen_relevant(int oflags)
{
	uint32_t f = hm_shim_flags();

	if (HM_LIKELY(!(f & (HM_F_FS_READONLY | HM_F_FS_ROOT | HM_F_INVALID))))
		return 0;
	if (hm_open_flags_write(oflags))
		return f & (HM_F_FS_READONLY | HM_F_INVALID);
	return f & (HM_F_FS_ROOT | HM_F_INVALID);
}

/*
 * The child performs this open inside glibc, where no wrapper sees it:
 * check it now and hand glibc our checked copy. An absolute path is
 * checked as the open wrappers check it. A relative one cannot be judged
 * yet: the child resolves it against its working directory at spawn
 * time, which addchdir_np/addfchdir_np actions (in any order with this
 * one) or a later chdir() in the parent decide. It is recorded as given
 * and judged by the spawn wrapper (spawn_fa_prepare), which performs
 * every relevant open action itself at spawn time.
 */
static int posix_spawn_file_actions_addopen_slow(posix_spawn_file_actions_t *fa,
						 int fd, const char *path,
						 int oflags, mode_t mode)
{
	char buf[PATH_MAX];
	int saved = errno, rc;
	enum hm_reason r;

	if (hm_shim_copy_str(path, buf, PATH_MAX) < 0) {
		rc = errno == EFAULT ? EINVAL : errno;
		errno = saved;
		return rc;
	}
	HM_SHIM_GUARD();
	r = HM_R_NONE;
	if (buf[0] == '/' || buf[0] == '\0')
		r = hm_fs_check_open(buf, oflags);
	if (r != HM_R_NONE) {
		hm_shim_report("posix_spawn_file_actions_addopen", "path", buf,
			       r);
		errno = saved;
		return EACCES;
	}
	errno = saved;
	return HM_REAL(posix_spawn_file_actions_addopen)(fa, fd, buf, oflags,
							 mode);
}

/* ------------------------------------------------------------------ */

#define HM_TRAMPOLINE_ROWS "sym_exec_spawn.def"
#include "trampolines.h"
