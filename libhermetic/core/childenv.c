/*
 * childenv.c - the one builder of a child's environment, used by the
 * launcher (cli/launch.c) and by the shim's exec wrappers (shim/exec.c):
 * HERMETIC_POLICY, HERMETIC_PYSITE and PYTHONPATH first, the caller's
 * other entries, LD_PRELOAD last. Pure: the caller gives the buffer
 * (sized by hm_childenv_size), so the exec path never allocates.
 */
#include <string.h>

#include "hermetic/hermetic.h"

/* Is @entry "NAME=..." for the @len-byte @name? */
static int name_is(const char *entry, const char *name, size_t len)
{
	return strncmp(entry, name, len) == 0 && entry[len] == '=';
}

#define IS(e, lit) name_is((e), (lit), sizeof(lit) - 1)

/* The value of the first @name in @env, or NULL. */
static const char *value_of(char *const *env, const char *name)
{
	size_t len = strlen(name);

	for (; env && *env; env++)
		if (name_is(*env, name, len))
			return *env + len + 1;
	return NULL;
}

static int has(const char *s)
{
	return s && *s;
}

int hm_childenv_dropped(const char *e, const struct hm_childenv *c)
{
	return IS(e, "LD_PRELOAD") || IS(e, "LD_AUDIT") ||
	       IS(e, HM_ENV_POLICY) || IS(e, HM_ENV_PYSITE) ||
	       (has(c->audit_dir) && IS(e, HM_ENV_AUDIT_DIR)) ||
	       (has(c->pysite) && IS(e, "PYTHONPATH")) ||
	       (c->native && IS(e, "GCONV_PATH")) ||
	       (c->network &&
		(IS(e, "LOCALDOMAIN") || IS(e, "RES_OPTIONS") ||
		 IS(e, "HOSTALIASES") || IS(e, "RESOLV_HOST_CONF")));
}

static char *put(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

/*
 * Append to @p each element of @list (split at any of @seps) except
 * @skip, each preceded by ':'. Empty elements are dropped when
 * @drop_empty. The output is at most strlen(@list) + 1 bytes.
 */
static char *put_others(char *p, const char *list, const char *seps,
			const char *skip, int drop_empty)
{
	size_t skiplen = strlen(skip), n;
	const char *e;

	for (;;) {
		e = list + strcspn(list, seps);
		n = (size_t)(e - list);
		if (!(n == skiplen && memcmp(list, skip, n) == 0) &&
		    !(n == 0 && drop_empty)) {
			*p++ = ':';
			memcpy(p, list, n);
			p += n;
		}
		if (!*e)
			return p;
		list = e + 1;
	}
}

size_t hm_childenv_size(char *const *src, const struct hm_childenv *c)
{
	const char *old_pre = value_of(src, "LD_PRELOAD");
	const char *old_pp = value_of(src, "PYTHONPATH");
	size_t n = 0, text;

	while (src && src[n])
		n++;
	text = sizeof("LD_PRELOAD=") + strlen(c->preload) +
	       (old_pre ? strlen(old_pre) : 0) + 2;
	if (has(c->policy))
		text += sizeof(HM_ENV_POLICY "=") + strlen(c->policy);
	if (has(c->audit_dir))
		text += sizeof(HM_ENV_AUDIT_DIR "=") + strlen(c->audit_dir);
	if (has(c->pysite))
		text +=
		    sizeof(HM_ENV_PYSITE "=") + strlen(c->pysite) +
		    sizeof("PYTHONPATH=") + strlen(c->pysite) +
		    (has(c->pythonpath_extra) ? strlen(c->pythonpath_extra) + 1
					      : 0) +
		    (old_pp ? strlen(old_pp) : 0) + 2;
	return (n + 6) * sizeof(char *) + text;
}

char **hm_childenv_build(char *const *src, const struct hm_childenv *c,
			 void *buf, size_t cap)
{
	const char *old_pre = value_of(src, "LD_PRELOAD");
	const char *old_pp = value_of(src, "PYTHONPATH");
	size_t n = 0, k = 0, i, vec;
	char **envp = buf, *t;

	if (!buf || !c || !c->preload || cap < hm_childenv_size(src, c))
		return NULL;
	while (src && src[n])
		n++;
	vec = (n + 6) * sizeof(char *);
	t = (char *)buf + vec;
	/*
	 * Ours first and LD_PRELOAD last: getenv() (the child's shim,
	 * Python) takes the first match and ld.so the last LD_PRELOAD, so a
	 * caller's string rewritten after we looked at it cannot win.
	 */
	if (has(c->policy)) {
		envp[k++] = t;
		t = put(put(t, HM_ENV_POLICY "="), c->policy);
		*t++ = '\0';
	}
	if (has(c->audit_dir)) {
		envp[k++] = t;
		t = put(put(t, HM_ENV_AUDIT_DIR "="), c->audit_dir);
		*t++ = '\0';
	}
	if (has(c->pysite)) {
		envp[k++] = t;
		t = put(put(t, HM_ENV_PYSITE "="), c->pysite);
		*t++ = '\0';
		envp[k++] = t;
		t = put(put(t, "PYTHONPATH="), c->pysite);
		if (has(c->pythonpath_extra))
			t = put(put(t, ":"), c->pythonpath_extra);
		/* Every other entry as it was, empty ones (= cwd) included. */
		if (has(old_pp))
			t = put_others(t, old_pp, ":", c->pysite, 0);
		*t++ = '\0';
	}
	for (i = 0; i < n; i++)
		if (!hm_childenv_dropped(src[i], c))
			envp[k++] = src[i];
	envp[k++] = t;
	t = put(put(t, "LD_PRELOAD="), c->preload);
	/* Under block_native no other preloaded library loads native code. */
	if (old_pre && !c->native)
		t = put_others(t, old_pre, ": ", c->preload, 1);
	*t = '\0';
	envp[k] = NULL;
	return envp;
}
