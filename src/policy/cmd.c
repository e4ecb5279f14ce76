/* `mcpcage policy check` and `mcpcage policy list`. These are not protocol sessions, so
 * they may print to stdout: the effective policy for check (so a user sees every default
 * and what the ceiling did), the policies on the search path for list. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exit_codes.h"
#include "policy/policy-internal.h"
#include "util/cleanup.h"
#include "util/log.h"

int policy_cmd_check(const char *name_or_path, const struct policy_env *env)
{
        struct mc_error err = { 0 };
        struct policy *p = NULL;
        if (policy_load(name_or_path, env, &p, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_MCPCAGE_ERROR;
        }
        _cleanup_free_ char *text = json_dumps(p->root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (!text) {
                policy_free(p);
                log_error("out of memory");
                return EXIT_MCPCAGE_ERROR;
        }
        printf("%s\n", text);
        fflush(stdout);
        fprintf(stderr, "mcpcage: policy %s (%s) is valid, sha256 %s\n", p->name, p->path, p->sha256);
        policy_free(p);
        return 0;
}

static int ends_with_json(const struct dirent *d)
{
        size_t n = strlen(d->d_name);
        return n > 5 && !strcmp(d->d_name + n - 5, ".json") && d->d_name[0] != '.';
}

static bool seen(char **names, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (!strcmp(names[i], name))
                        return true;
        return false;
}

static void print_entry(const char *name, const char *path, json_t *tree, const char *problem,
                        bool shadowed)
{
        const char *desc = json_string_value(json_object_get(tree, "description"));
        printf("%-20s %s%s\n", name, path, shadowed ? " (shadowed)" : "");
        if (problem)
                printf("%-20s   unreadable: %s\n", "", problem);
        else if (desc && desc[0])
                printf("%-20s   %s\n", "", desc);
}

/* One directory; names already listed (earlier on the search path) are shadowed. */
static void list_dir(const char *dir, char ***names, size_t *n)
{
        struct dirent **ents = NULL;
        int count = scandir(dir, &ents, ends_with_json, alphasort);
        for (int i = 0; i < count; i++) {
                _cleanup_free_ char *path = NULL;
                _cleanup_json_ json_t *tree = NULL;
                char *name = strndup(ents[i]->d_name, strlen(ents[i]->d_name) - 5);
                struct mc_error err = { 0 };
                if (name && asprintf(&path, "%s/%s", dir, ents[i]->d_name) >= 0) {
                        bool problem = policy_read_file(path, false, &tree, &err) < 0;
                        print_entry(name, path, tree, problem ? err.msg : NULL, seen(*names, *n, name));
                        char **grown = realloc(*names, (*n + 1) * sizeof(char *));
                        if (grown) {
                                *names = grown;
                                (*names)[(*n)++] = TAKE_PTR(name);
                        }
                }
                free(name);
                free(ents[i]);
        }
        free(ents);
}

int policy_cmd_list(const struct policy_env *env)
{
        char **names = NULL;
        size_t n = 0;
        for (size_t i = 0; env->search_path[i]; i++)
                list_dir(env->search_path[i], &names, &n);
        _cleanup_json_ json_t *builtin = NULL;
        struct mc_error err = { 0 };
        bool problem = policy_read_builtin(&builtin, &err) < 0;
        print_entry("default", POLICY_BUILTIN_PATH, builtin, problem ? err.msg : NULL,
                    seen(names, n, "default"));
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        return 0;
}
