#include "sandbox/env.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

const char *env_lookup(char *const *envp, const char *name)
{
        size_t n = strlen(name);
        for (; envp && *envp; envp++)
                if (!strncmp(*envp, name, n) && (*envp)[n] == '=')
                        return *envp + n + 1;
        return NULL;
}

static bool passes(json_t *pass, const char *entry)
{
        const char *eq = strchr(entry, '=');
        if (!eq || eq == entry)
                return false;
        char name[256];
        size_t n = (size_t)(eq - entry);
        if (n >= sizeof(name))
                return false;
        memcpy(name, entry, n);
        name[n] = '\0';
        size_t i;
        json_t *g;
        json_array_foreach(pass, i, g)
                if (json_is_string(g) && fnmatch(json_string_value(g), name, 0) == 0)
                        return true;
        return false;
}

/* The first of duplicate host entries wins, as getenv() would see it. */
static bool already(const struct strlist *l, const char *entry)
{
        size_t n = strcspn(entry, "=");
        for (size_t i = 0; i < l->n; i++)
                if (!strncmp(l->v[i], entry, n) && l->v[i][n] == '=')
                        return true;
        return false;
}

/* Replace NAME's entry, or append one. */
static int env_put(struct strlist *l, const char *name, const char *value)
{
        char *entry = NULL;
        if (asprintf(&entry, "%s=%s", name, value) < 0)
                return -ENOMEM;
        size_t n = strlen(name);
        for (size_t i = 0; i < l->n; i++)
                if (!strncmp(l->v[i], name, n) && l->v[i][n] == '=') {
                        free(l->v[i]);
                        l->v[i] = entry;
                        return 0;
                }
        return strlist_push(l, entry);
}

int env_read_secret(const char *path, char **value, struct mc_error *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return mc_error_errno(err, errno, "%s", path);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return mc_error_errno(err, errno, "%s", path);
        if (!S_ISREG(st.st_mode))
                return mc_error_set(err, EINVAL, "%s: not a regular file", path);
        /* A secret others can read is already leaked; refusing it makes the user fix it. */
        if (st.st_mode & (S_IRGRP | S_IROTH))
                return mc_error_set(err, EPERM, "%s: readable by group or others (mode %04o); "
                                    "run chmod 600 on it", path, (unsigned)(st.st_mode & 07777));
        if (st.st_size > ENV_SECRET_MAX)
                return mc_error_set(err, EFBIG, "%s: larger than %d bytes", path, ENV_SECRET_MAX);
        _cleanup_free_ char *buf = malloc(ENV_SECRET_MAX + 1);
        if (!buf)
                return mc_error_set(err, ENOMEM, "out of memory");
        size_t len = 0;
        for (;;) {
                ssize_t r = read(fd, buf + len, ENV_SECRET_MAX + 1 - len);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return mc_error_errno(err, errno, "%s", path);
                if (r == 0)
                        break;
                len += (size_t)r;
                if (len > ENV_SECRET_MAX)
                        return mc_error_set(err, EFBIG, "%s: larger than %d bytes", path, ENV_SECRET_MAX);
        }
        if (memchr(buf, '\0', len))
                return mc_error_set(err, EINVAL, "%s: contains a NUL byte", path);
        if (len && buf[len - 1] == '\n')
                len--;
        if (len && buf[len - 1] == '\r')
                len--;
        buf[len] = '\0';
        *value = TAKE_PTR(buf);
        return 0;
}

static int add_secrets(json_t *from_file, struct strlist *out, struct strlist *secrets,
                       struct mc_error *err)
{
        const char *name;
        json_t *path;
        json_object_foreach(from_file, name, path) {
                _cleanup_free_ char *value = NULL;
                int r = env_read_secret(json_string_value(path), &value, err);
                if (r < 0)
                        return mc_error_prefix(err, "env.from_file %s", name);
                if (env_put(out, name, value) < 0)
                        return mc_error_set(err, ENOMEM, "out of memory");
                if (secrets && *value && strlist_push(secrets, TAKE_PTR(value)) < 0)
                        return mc_error_set(err, ENOMEM, "out of memory");
        }
        return 0;
}

int env_build(const struct policy *p, char *const *host, struct strlist *out,
              struct strlist *secrets, struct mc_error *err)
{
        json_t *env = json_object_get(p->root, "env");
        json_t *pass = json_object_get(env, "pass");
        for (char *const *e = host; e && *e; e++)
                if (passes(pass, *e) && !already(out, *e) && strlist_add(out, *e) < 0)
                        return mc_error_set(err, ENOMEM, "out of memory");
        const char *name;
        json_t *v;
        json_object_foreach(json_object_get(env, "set"), name, v)
                if (env_put(out, name, json_string_value(v)) < 0)
                        return mc_error_set(err, ENOMEM, "out of memory");
        int r = add_secrets(json_object_get(env, "from_file"), out, secrets, err);
        if (r < 0)
                return r;
        if (!env_lookup(out->v, "PATH") && env_put(out, "PATH", ENV_DEFAULT_PATH) < 0)
                return mc_error_set(err, ENOMEM, "out of memory");
        return 0;
}
