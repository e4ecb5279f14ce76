/* mcpcage: options, subcommands, orchestration. Everything with a job of its own lives in a
 * layer below (see the README's Architecture section). */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "exit_codes.h"
#include "options.h"
#include "audit/audit.h"
#include "killswitch.h"
#include "pincmd.h"
#include "policy/policy.h"
#include "relay/session.h"
#include "sandbox/doctor.h"
#include "util/log.h"
#include "wrap/wrap.h"

static const char usage_text[] =
        "Usage: mcpcage [OPTIONS] -- COMMAND [ARG...]\n"
        "       mcpcage policy check [FILE|NAME]\n"
        "       mcpcage policy list\n"
        "       mcpcage audit verify [--strict] [--key FILE] FILE\n"
        "       mcpcage [-p POLICY] kill on|off\n"
        "       mcpcage pin list|show KEY|approve KEY|reset KEY\n"
        "       mcpcage doctor\n"
        "       mcpcage wrap [--config FILE] [--dry-run] [--policy NAME=POLICY]...\n"
        "       mcpcage unwrap [--config FILE] [--dry-run]\n"
        "       mcpcage --help | --version\n"
        "\n"
        "Run an MCP stdio server confined, and inspect the JSON-RPC stream between the host\n"
        "and the server against a policy.\n"
        "\n"
        "Options:\n"
        "  -p, --policy FILE|NAME  policy file, or a name looked up in\n"
        "                          $XDG_CONFIG_HOME/mcpcage/policies, /etc/mcpcage/policies\n"
        "                          and the installed policies (default: built-in \"default\")\n"
        "      --name NAME         the server's name in the audit log\n"
        "      --audit-log FILE    where audit records go (\"-\" = stderr)\n"
        "      --ro PATH           add a read-only path (sandbox and MCP path roots)\n"
        "      --rw PATH           add a read-write path (sandbox and MCP path roots)\n"
        "      --grant SCOPE       grant an MCP scope on top of the policy's\n"
        "      --isolation MODE    auto, namespaces, landlock or none\n"
        "      --no-sandbox        same as --isolation none (inspection only)\n"
        "      --user NAME|UID     run the server as this user (root only; default nobody)\n"
        "      --dry-run           print what would be done and exit\n"
        "  -v, --verbose           say more on stderr (twice: debug)\n"
        "  -q, --quiet             only errors on stderr\n"
        "  -h, --help              this text\n"
        "  -V, --version           the version\n"
        "\n"
        "Exit status: the server's own; 125 mcpcage's error (usage, policy, setup);\n"
        "126 command not runnable; 127 command not found; 128+N server killed by signal N.\n"
        "See mcpcage(1), mcpcage-policy(5) and mcpcage-audit(5).\n";

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
        char line[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        log_error("%s (see mcpcage --help)", line);
        return EXIT_MCPCAGE_ERROR;
}

static int push(const char ***list, size_t *n, const char *value)
{
        const char **p = realloc(*list, (*n + 1) * sizeof(**list));
        if (!p)
                return -ENOMEM;
        p[(*n)++] = value;
        *list = p;
        return 0;
}

enum {
        OPT_NAME = 0x100, OPT_AUDIT_LOG, OPT_RO, OPT_RW, OPT_GRANT, OPT_ISOLATION,
        OPT_NO_SANDBOX, OPT_DRY_RUN, OPT_USER, OPT_ORIGINAL_COMMAND, OPT_ORIGINAL_WITHOUT_ARGS,
};

static const struct option long_options[] = {
        { "policy", required_argument, NULL, 'p' },
        { "name", required_argument, NULL, OPT_NAME },
        { "audit-log", required_argument, NULL, OPT_AUDIT_LOG },
        { "ro", required_argument, NULL, OPT_RO },
        { "rw", required_argument, NULL, OPT_RW },
        { "grant", required_argument, NULL, OPT_GRANT },
        { "isolation", required_argument, NULL, OPT_ISOLATION },
        { "no-sandbox", no_argument, NULL, OPT_NO_SANDBOX },
        { "dry-run", no_argument, NULL, OPT_DRY_RUN },
        { "user", required_argument, NULL, OPT_USER },
        { "original-command", required_argument, NULL, OPT_ORIGINAL_COMMAND },
        { "original-without-args", no_argument, NULL, OPT_ORIGINAL_WITHOUT_ARGS },
        { "verbose", no_argument, NULL, 'v' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
};

static int valid_isolation(const char *m)
{
        return !strcmp(m, "auto") || !strcmp(m, "namespaces") || !strcmp(m, "landlock") ||
               !strcmp(m, "none");
}

/* Returns -1 to go on, or an exit code. */
static int parse_options(int argc, char **argv, struct options *o)
{
        int c;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:p:vqhV", long_options, NULL)) != -1) {
                switch (c) {
                case 'p': o->policy = optarg; break;
                case OPT_NAME: o->name = optarg; break;
                case OPT_AUDIT_LOG: o->audit_log = optarg; break;
                case OPT_RO:
                        if (push(&o->ro, &o->n_ro, optarg) < 0) return EXIT_MCPCAGE_ERROR;
                        break;
                case OPT_RW:
                        if (push(&o->rw, &o->n_rw, optarg) < 0) return EXIT_MCPCAGE_ERROR;
                        break;
                case OPT_GRANT:
                        if (push(&o->grant, &o->n_grant, optarg) < 0) return EXIT_MCPCAGE_ERROR;
                        break;
                case OPT_ISOLATION:
                        if (!valid_isolation(optarg))
                                return usage_error("--isolation: unknown mode '%s' (auto, namespaces, landlock, none)", optarg);
                        o->isolation = optarg;
                        break;
                case OPT_NO_SANDBOX: o->isolation = "none"; break;
                case OPT_DRY_RUN: o->dry_run = true; break;
                case OPT_USER: o->user = optarg; break;
                /* Written by `mcpcage wrap` so that `unwrap` restores the entry exactly
                 * (src/wrap/wrap.h); what runs is the command after "--". */
                case OPT_ORIGINAL_COMMAND: case OPT_ORIGINAL_WITHOUT_ARGS: break;
                case 'v': o->verbosity = o->verbosity < 0 ? 1 : o->verbosity + 1; break;
                case 'q': o->verbosity = -1; break;
                case 'h': fputs(usage_text, stdout); return EXIT_SUCCESS;
                case 'V': printf("mcpcage %s\n", MCPCAGE_VERSION); return EXIT_SUCCESS;
                case ':': return usage_error("option %s needs a value", argv[optind - 1]);
                case '?':
                        return usage_error("unknown option '%s'", argv[optind - 1]);
                default:
                        return usage_error("unexpected option '%s'", argv[optind - 1]);
                }
        }
        return -1;
}

static int run_policy(int argc, char **argv)
{
        struct mc_error err = { 0 };
        struct policy_env env = { 0 };
        if (argc < 1)
                return usage_error("%s", "policy: expected 'check FILE|NAME' or 'list'");
        if (policy_env_from_process(&env, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_MCPCAGE_ERROR;
        }
        int rc;
        if (!strcmp(argv[0], "check") && argc == 2)
                rc = policy_cmd_check(argv[1], &env);
        else if (!strcmp(argv[0], "check") && argc == 1)
                rc = policy_cmd_check(NULL, &env);
        else if (!strcmp(argv[0], "list") && argc == 1)
                rc = policy_cmd_list(&env);
        else
                rc = usage_error("policy: unknown or malformed command '%s' (check FILE|NAME, list)", argv[0]);
        policy_env_clear(&env);
        return rc;
}

static int run_audit(int argc, char **argv)
{
        if (argc >= 1 && !strcmp(argv[0], "verify"))
                return audit_cmd_verify(argc - 1, argv + 1);
        return usage_error("%s", "audit: expected 'verify [--strict] [--key FILE] FILE'");
}

static int run_subcommand(int argc, char **argv, const struct options *o)
{
        const char *cmd = argv[0];
        if (!strcmp(cmd, "kill"))
                return killswitch_cmd(argc - 1, argv + 1, o->policy);
        if (!strcmp(cmd, "policy"))
                return run_policy(argc - 1, argv + 1);
        if (!strcmp(cmd, "audit"))
                return run_audit(argc - 1, argv + 1);
        if (!strcmp(cmd, "pin"))
                return pincmd_run(argc - 1, argv + 1);
        if (!strcmp(cmd, "doctor"))
                return doctor_run(argc, argv);
        if (!strcmp(cmd, "wrap"))
                return wrap_cmd(argc, argv, o->dry_run);
        if (!strcmp(cmd, "unwrap"))
                return unwrap_cmd(argc, argv, o->dry_run);
        return usage_error("unknown subcommand '%s'; to run a server, put its command after --", cmd);
}

int main(int argc, char **argv)
{
        struct options o = { 0 };
        int rc = parse_options(argc, argv, &o);
        if (rc < 0) {
                log_set_level(o.verbosity);
                bool dashdash = optind > 1 && !strcmp(argv[optind - 1], "--");
                if (optind >= argc)
                        rc = usage_error("%s", "no command given: mcpcage [OPTIONS] -- COMMAND [ARG...]");
                else if (!dashdash)
                        rc = run_subcommand(argc - optind, argv + optind, &o);
                else {
                        o.command = argv + optind;
                        o.n_command = argc - optind;
                        rc = session_run(&o);
                }
        }
        free(o.ro);
        free(o.rw);
        free(o.grant);
        return rc;
}
