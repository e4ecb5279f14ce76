/* Which shipped policy fits a server: the one table of known servers, matched by package
 * name in the arguments (npx/uvx/node .../node_modules/PKG/...) or by the command's
 * basename (a globally installed bin). A policy is chosen only when it exists on the
 * search path, so a wrapped config never names a policy mcpcage cannot load; anything
 * unknown runs under "default". */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "wrap/wrap-internal.h"

static const struct known_server {
        const char *package;    /* npm or PyPI name */
        const char *bin;        /* the executable a global install puts on PATH */
        const char *policy;
        bool dirs_in_args;      /* its arguments are the directories it serves */
} known_servers[] = {
        { "@modelcontextprotocol/server-filesystem", "mcp-server-filesystem", "filesystem", true },
        { "@modelcontextprotocol/server-everything", "mcp-server-everything", "everything", false },
        { "@modelcontextprotocol/server-memory", "mcp-server-memory", "memory", false },
        { "@modelcontextprotocol/server-sequential-thinking", "mcp-server-sequential-thinking",
          "sequential-thinking", false },
        { "@modelcontextprotocol/server-github", "mcp-server-github", "github", false },
        { "@modelcontextprotocol/server-postgres", "mcp-server-postgres", "postgres", false },
        { "mcp-server-fetch", "mcp-server-fetch", "fetch", false },
        { "mcp-server-git", "mcp-server-git", "git", false },
        { "mcp-server-time", "mcp-server-time", "time", false },
};

static const char *basename_of(const char *path)
{
        const char *slash = strrchr(path, '/');
        return slash ? slash + 1 : path;
}

/* "PKG", "PKG@1.2.3", "PKG==1.2" (uvx), or a path through .../PKG/... */
static bool arg_names_package(const char *arg, const char *pkg)
{
        size_t n = strlen(pkg);
        if (!strncmp(arg, pkg, n) && (!arg[n] || arg[n] == '@' || !strncmp(arg + n, "==", 2)))
                return true;
        for (const char *p = strstr(arg, pkg); p; p = strstr(p + 1, pkg))
                if (p > arg && p[-1] == '/' && (!p[n] || p[n] == '/'))
                        return true;
        return false;
}

static const struct known_server *find_known(const char *command, json_t *args, size_t *arg_index)
{
        const char *base = basename_of(command);
        for (size_t k = 0; k < ARRAY_SIZE(known_servers); k++) {
                if (!strcmp(base, known_servers[k].bin)) {
                        *arg_index = (size_t)-1;
                        return &known_servers[k];
                }
                for (size_t i = 0; i < json_array_size(args); i++) {
                        const char *a = json_string_value(json_array_get(args, i));
                        if (a && arg_names_package(a, known_servers[k].package)) {
                                *arg_index = i;
                                return &known_servers[k];
                        }
                }
        }
        return NULL;
}

/* In order of preference, the first that exists on the search path is taken: the known
 * package's own hardened policy (its tool, path and network rules are what keep the server
 * in check), then a policy named after the command (e.g. "npx": every tool allowed, the
 * registry reachable, for packages without a policy of their own), else "default". */
static const char *choose(const char *base, const struct known_server *k, char *const *dirs)
{
        const char *candidates[2] = { 0 };
        size_t n = 0;
        if (k)
                candidates[n++] = k->policy;
        candidates[n++] = base;
        for (size_t i = 0; i < n; i++)
                if (candidates[i][0] && wrap_policy_exists(candidates[i], dirs))
                        return candidates[i];
        return "default";
}

int wrap_match(const char *command, json_t *args, char *const *dirs, struct wrap_match *m,
               struct mc_error *err)
{
        size_t at = 0;
        const struct known_server *k = find_known(command, args, &at);
        m->policy = strdup(choose(basename_of(command), k, dirs));
        if (!m->policy)
                return mc_error_set(err, ENOMEM, "out of memory");
        m->dirs_from = k && k->dirs_in_args ? (ssize_t)(at + 1) : -1;
        return 0;
}
