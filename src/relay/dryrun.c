/* `mcpcage --dry-run`: what a run with these options would do, without starting anything. */
#include "relay/session-internal.h"

#include <string.h>

#include "exit_codes.h"
#include "sandbox/launch.h"
#include "util/log.h"

static void print_command(FILE *out, char *const *argv)
{
        fputs("command:        ", out);
        for (size_t i = 0; argv[i]; i++) {
                const char *a = argv[i];
                bool plain = *a && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                             "0123456789-_./=:,+@%") == strlen(a);
                fputs(i ? " " : "", out);
                if (plain) {
                        fputs(a, out);
                        continue;
                }
                /* Single quotes, so the line can be pasted into a shell. */
                fputc('\'', out);
                for (; *a; a++) {
                        if (*a == '\'')
                                fputs("'\\''", out);
                        else
                                fputc(*a, out);
                }
                fputc('\'', out);
        }
        fputc('\n', out);
}

static const char *str_at(const struct policy *p, const char *ptr, const char *dflt)
{
        const char *s = json_string_value(policy_get(p, ptr));
        return s ? s : dflt;
}

int dryrun_print(FILE *out, const struct policy *p, const struct options *o,
                 const struct session_settings *s, const json_t *not_enforced)
{
        const char *audit = str_at(p, "/audit/file", NULL);
        fputs("mcpcage dry run: nothing was started\n", out);
        fprintf(out, "policy:         %s (%s)\n", p->name, p->path);
        fprintf(out, "policy sha256:  %s\n", p->sha256);
        print_command(out, o->command);
        fprintf(out, "isolation:      %s asked\n", str_at(p, "/isolation", "auto"));
        struct mc_error serr = { 0 };
        if (sandbox_describe(&(struct launch_config){ .argv = o->command, .policy = p, .user = o->user }, out, &serr) < 0)
                return log_error("%s", serr.msg), EXIT_MCPCAGE_ERROR;
        fprintf(out, "audit:          %s\n",
                !audit ? "off" : !strcmp(audit, "-") ? "stderr" : audit);
        fprintf(out, "message_bytes:  %llu (longer lines are refused)\n",
                (unsigned long long)s->message_bytes);
        fprintf(out, "shutdown_grace: %llu ms, then SIGTERM, 2 s later SIGKILL\n",
                (unsigned long long)s->shutdown_grace_ms);
        fputs("enforced:       JSON-RPC framing and validation, mcp.limits.message_bytes, "
              "limits.shutdown_grace, audit\n", out);
        fputs("not enforced by this build:", out);
        size_t i;
        json_t *l;
        json_array_foreach(not_enforced, i, l)
                fprintf(out, "%s %s", i ? "," : "", json_string_value(l));
        fputs(json_array_size(not_enforced) ? "\n" : " (nothing)\n", out);
        if (fflush(out) != 0 || ferror(out))
                return EXIT_MCPCAGE_ERROR;
        return 0;
}
