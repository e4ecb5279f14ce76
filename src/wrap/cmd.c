/* `mcpcage wrap` and `mcpcage unwrap`: the desktop configuration read, transformed,
 * shown and written back with a backup. These are not protocol sessions: the report goes
 * to stdout, errors to stderr. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exit_codes.h"
#include "policy/policy.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "wrap/wrap.h"
#include "wrap/wrap-internal.h"

struct cmd {
        bool wrap, dry_run;
        const char *config;
        const char **overrides;
        size_t n_overrides;
};

static void usage(FILE *out, bool wrap)
{
        if (wrap)
                fputs("Usage: mcpcage wrap [--config FILE] [--dry-run] [--policy NAME=POLICY]...\n"
                      "Put every stdio server of a Claude Desktop configuration under mcpcage with\n"
                      "the shipped policy that fits it (\"default\" otherwise). See mcpcage(1).\n", out);
        else
                fputs("Usage: mcpcage unwrap [--config FILE] [--dry-run]\n"
                      "Give every server that mcpcage wrap put under mcpcage its own command back.\n", out);
}

/* -1 to go on, or an exit status. */
static int parse(int argc, char **argv, struct cmd *c)
{
        static const struct option opts[] = {
                { "config", required_argument, NULL, 'c' },
                { "dry-run", no_argument, NULL, 'n' },
                { "policy", required_argument, NULL, 'p' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        int ch;
        optind = 0;     /* glibc: start over (main.c's getopt already ran) */
        opterr = 0;
        while ((ch = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
                if (ch == 'c') {
                        c->config = optarg;
                } else if (ch == 'n') {
                        c->dry_run = true;
                } else if (ch == 'p' && c->wrap) {
                        const char **grown = realloc(c->overrides, (c->n_overrides + 1) * sizeof(*grown));
                        if (!grown)
                                return EXIT_MCPCAGE_ERROR;
                        c->overrides = grown;
                        c->overrides[c->n_overrides++] = optarg;
                } else if (ch == 'h') {
                        usage(stdout, c->wrap);
                        return EXIT_SUCCESS;
                } else {
                        log_error("%s: unknown option or missing value '%s' (see mcpcage %s --help)",
                                  argv[0], argv[optind - 1], argv[0]);
                        return EXIT_MCPCAGE_ERROR;
                }
        }
        if (optind < argc) {
                log_error("%s: unexpected argument '%s' (see mcpcage %s --help)", argv[0], argv[optind], argv[0]);
                return EXIT_MCPCAGE_ERROR;
        }
        return -1;
}

static const char *label(enum wrap_outcome o)
{
        switch (o) {
        case WRAP_WRAPPED: return "wrapped";
        case WRAP_ALREADY: return "already wrapped";
        case WRAP_REMOTE: return "remote, left alone";
        case WRAP_NOT_WRAPPED: return "NOT changed";
        case WRAP_UNWRAPPED: return "unwrapped";
        case WRAP_NOT_MCPCAGE: return "not under mcpcage";
        default: return "?";
        }
}

static void print_report(const struct wrap_report *r)
{
        for (size_t i = 0; i < r->n; i++) {
                const struct wrap_note *n = &r->notes[i];
                printf("  %-19s %s: %s\n", label(n->outcome), n->entry, n->detail ? n->detail : "");
                if (n->warning)
                        printf("  %-19s   warning: %s\n", "", n->warning);
        }
        if (r->n == 0)
                printf("  no servers in mcpServers\n");
}

static int write_back(const struct cmd *c, const struct wrap_file *f, const char *before, const char *after)
{
        struct mc_error err = { 0 };
        if (c->dry_run) {
                _cleanup_free_ char *label = NULL;
                if (asprintf(&label, "%s (%s)", f->path, c->wrap ? "wrapped" : "unwrapped") < 0)
                        return -1;
                if (strcmp(before, after) && wrap_diff(before, after, f->path, label, stdout) < 0) {
                        log_error("out of memory");
                        return -1;
                }
                printf("dry run: nothing written\n");
                return 0;
        }
        if (!strcmp(before, after)) {
                printf("nothing to change: %s is untouched\n", f->path);
                return 0;
        }
        _cleanup_free_ char *backup = NULL;
        if (wrap_file_backup(f, &backup, &err) < 0 || wrap_file_replace(f, after, &err) < 0) {
                log_error("%s", err.msg);
                return -1;
        }
        printf("backup: %s\nwrote:  %s (restart the desktop app to use it)\n", backup, f->path);
        return 0;
}

static int run(const struct cmd *c, const struct policy_env *env)
{
        struct mc_error err = { 0 };
        _cleanup_free_ char *dflt = NULL, *self = realpath("/proc/self/exe", NULL);
        if (!c->config && wrap_default_config_path(env->xdg_config_home, env->home, &dflt) < 0)
                return EXIT_MCPCAGE_ERROR;
        if (!self) {
                log_error("cannot find mcpcage's own path (/proc/self/exe): %s", strerror(errno));
                return EXIT_MCPCAGE_ERROR;
        }
        struct wrap_file f;
        if (wrap_file_read(c->config ? c->config : dflt, &f, &err) < 0) {
                log_error("%s%s", err.msg, c->config ? "" : " (the desktop app's default location; give --config FILE)");
                wrap_file_clear(&f);
                return EXIT_MCPCAGE_ERROR;
        }
        const char *path = getenv("PATH");
        struct wrap_options o = { self, path ? path : "", env, c->overrides, c->n_overrides };
        struct wrap_report r = { 0 };
        _cleanup_free_ char *before = wrap_dump(f.tree), *after = NULL;
        int rc = c->wrap ? wrap_config(f.tree, &o, &r, &err) : unwrap_config(f.tree, &o, &r, &err);
        if (rc == 0 && (!before || !(after = wrap_dump(f.tree))))
                rc = mc_error_set(&err, ENOMEM, "out of memory");
        if (rc == 0) {
                printf("mcpcage %s: %s\n", c->wrap ? "wrap" : "unwrap", f.path);
                if (c->wrap)
                        printf("commands resolved on the PATH of this shell, since the desktop app "
                               "replaces PATH: %s\n", o.path);
                print_report(&r);
                fflush(stdout);
                rc = write_back(c, &f, before, after);
        } else {
                log_error("%s: %s", f.path, err.msg);
        }
        int status = rc < 0 ? EXIT_MCPCAGE_ERROR : wrap_report_count(&r, WRAP_NOT_WRAPPED) ? 1 : 0;
        wrap_report_free(&r);
        wrap_file_clear(&f);
        return status;
}

static int wrap_or_unwrap(int argc, char **argv, bool wrap, bool dry_run)
{
        struct cmd c = { .wrap = wrap, .dry_run = dry_run };
        int rc = parse(argc, argv, &c);
        if (rc < 0) {
                struct mc_error err = { 0 };
                struct policy_env env = { 0 };
                if (policy_env_from_process(&env, &err) < 0) {
                        log_error("%s", err.msg);
                        rc = EXIT_MCPCAGE_ERROR;
                } else {
                        rc = run(&c, &env);
                        policy_env_clear(&env);
                }
        }
        free(c.overrides);
        return rc;
}

int wrap_cmd(int argc, char **argv, bool dry_run)
{
        return wrap_or_unwrap(argc, argv, true, dry_run);
}

int unwrap_cmd(int argc, char **argv, bool dry_run)
{
        return wrap_or_unwrap(argc, argv, false, dry_run);
}
