/* Lexical path rules. Every path in a policy is absolute and normalised (no ".", "..",
 * "//" or trailing "/") so that "is A under B" is a plain prefix test: a policy that could
 * write "/home/me/projects/../.ssh" would pass a prefix test while naming ~/.ssh. */
#include <string.h>

#include "policy/policy-internal.h"

const char *policy_path_strip_optional(const char *s)
{
        return s[0] == '?' ? s + 1 : s;
}

bool policy_path_is_under(const char *path, const char *root)
{
        size_t n = strlen(root);
        if (!strcmp(root, "/"))
                return path[0] == '/';
        return !strncmp(path, root, n) && (path[n] == '\0' || path[n] == '/');
}

const char *policy_path_check_absolute(const char *s)
{
        if (s[0] != '/')
                return "expected an absolute path";
        if (!strcmp(s, "/"))
                return NULL;
        if (s[strlen(s) - 1] == '/')
                return "path must not end in '/'";
        for (const char *c = s; *c; ) {
                const char *comp = c + 1;
                size_t n = strcspn(comp, "/");
                if (n == 0)
                        return "path must not contain '//'";
                if ((n == 1 && comp[0] == '.') || (n == 2 && comp[0] == '.' && comp[1] == '.'))
                        return "path must not contain '.' or '..' components";
                c = comp + n;
        }
        return NULL;
}
