/* One mcpcage run, in order: policy (nothing starts on any policy error), audit, the
 * inspector's rules, server, the inspector's content guards (built while the server
 * starts), relay, session_end. Returns the exit status of design.md. */
#include "relay/session.h"

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "exit_codes.h"
#include "audit/audit.h"
#include "inspect/guards/redact.h"
#include "inspect/inspector.h"
#include "policy/policy.h"
#include "relay/enforcement.h"
#include "relay/loop.h"
#include "relay/selfconfine.h"
#include "relay/session-internal.h"
#include "sandbox/launch.h"
#include "util/cleanup.h"
#include "util/log.h"

static void policy_env_clearp(struct policy_env *e) { policy_env_clear(e); }
static void policy_freep(struct policy **p) { if (*p) policy_free(*p); }
static void audit_closep(struct audit **a) { if (*a) audit_close(*a); }
static void inspector_freep(struct inspector **i) { if (*i) inspector_free(*i); }

static int read_size(const struct policy *p, const char *ptr, uint64_t dflt, uint64_t *out,
                     struct mc_error *err)
{
        json_t *v = policy_get(p, ptr);
        *out = dflt;
        if (!v || json_is_null(v))
                return 0;
        if (json_is_integer(v) && json_integer_value(v) > 0) {
                *out = (uint64_t)json_integer_value(v);
                return 0;
        }
        if (json_is_string(v) && policy_parse_size(json_string_value(v), out) == 0 && *out > 0)
                return 0;
        return mc_error_set(err, EINVAL, "%s: %s: expected a size of at least 1 byte", p->path, ptr);
}

static int read_time(const struct policy *p, const char *ptr, uint64_t dflt, uint64_t *out,
                     struct mc_error *err)
{
        json_t *v = policy_get(p, ptr);
        *out = dflt;
        if (!v || json_is_null(v))
                return 0;
        if (json_is_integer(v) && json_integer_value(v) >= 0) {
                *out = (uint64_t)json_integer_value(v);
                return 0;
        }
        if (json_is_string(v) && policy_parse_time(json_string_value(v), out) == 0)
                return 0;
        return mc_error_set(err, EINVAL, "%s: %s: expected a time (\"500ms\", \"2s\")", p->path, ptr);
}

int session_settings_read(const struct policy *p, struct session_settings *s, struct mc_error *err)
{
        int r = read_size(p, "/mcp/limits/message_bytes", SESSION_DEFAULT_MESSAGE_BYTES,
                          &s->message_bytes, err);
        if (r < 0)
                return r;
        /* The framer holds one line plus one read; keep that addressable. */
        if (s->message_bytes > SIZE_MAX / 4)
                return mc_error_set(err, EINVAL, "%s: /mcp/limits/message_bytes: too large", p->path);
        r = read_time(p, "/limits/shutdown_grace", SESSION_DEFAULT_GRACE_MS, &s->shutdown_grace_ms, err);
        if (r < 0)
                return r;
        return read_time(p, "/limits/wall_time", 0, &s->wall_time_ms, err);
}

static int load_policy(const struct options *o, const struct policy_env *env, struct policy **out,
                       struct mc_error *err)
{
        _cleanup_(policy_freep) struct policy *p = NULL;
        int r = policy_load(o->policy, env, &p, err);
        if (r < 0)
                return r;
        struct policy_cli cli = {
                .ro = o->ro, .n_ro = o->n_ro, .rw = o->rw, .n_rw = o->n_rw,
                .grant = o->grant, .n_grant = o->n_grant,
                .audit_log = o->audit_log, .isolation = o->isolation,
        };
        r = policy_apply_cli(p, &cli, env, err);
        if (r < 0)
                return r;
        r = enforcement_check_require(p, err);
        if (r < 0)
                return r;
        *out = TAKE_PTR(p);
        return 0;
}

static const char *server_name(const struct options *o, const struct policy *p)
{
        if (o->name)
                return o->name;
        if (strcmp(p->name, "default"))
                return p->name;
        const char *slash = strrchr(o->command[0], '/');
        return slash ? slash + 1 : o->command[0];
}

static int open_audit(const struct options *o, const struct policy *p, struct audit **out,
                      struct mc_error *err)
{
        json_t *alert = policy_get(p, "/audit/alert");
        _cleanup_free_ char **argv = NULL;
        if (json_array_size(alert) > 0) {
                argv = calloc(json_array_size(alert) + 1, sizeof(*argv));
                if (!argv)
                        return mc_error_errno(err, ENOMEM, "audit.alert");
                for (size_t i = 0; i < json_array_size(alert); i++)
                        argv[i] = (char *)json_string_value(json_array_get(alert, i));
        }
        const char *file = json_string_value(policy_get(p, "/audit/file"));
        struct audit_config cfg = {
                .file = file && *file ? file : NULL,
                .key_file = json_string_value(policy_get(p, "/audit/key")),
                .syslog = json_is_true(policy_get(p, "/audit/syslog")),
                .server = server_name(o, p),
                .alert = argv,
        };
        int r = audit_open(out, &cfg, err);
        if (r < 0)
                return mc_error_prefix(err, "opening the audit log");
        return 0;
}

/* What was applied around the server: the launcher's own report (isolation, namespaces,
 * root, user, Landlock, rlimits, degraded) over the defaults of what this build does not
 * apply at all (seccomp, cgroups), plus what the policy asks for that is not enforced. */
static json_t *sandbox_json(const struct child *ch, const json_t *not_enforced, const struct policy *p)
{
        json_t *sb = json_pack("{s:s, s:[], s:s, s:{s:s, s:n}, s:s, s:i, s:[]}",
                               "isolation", "none", "namespaces", "root", "host",
                               "seccomp", "profile", "none", "action",
                               "cgroup", "none", "landlock_abi", 0, "degraded");
        if (!sb || (ch && launch_report_json(ch, sb) < 0)) {
                json_decref(sb);
                return NULL;
        }
        /* network.mode as applied: unconfined, the server has the host's network whatever
         * the policy says; in the Landlock fallback, degraded says what is kept of it. */
        const char *iso = json_string_value(json_object_get(sb, "isolation"));
        const char *mode = json_string_value(policy_get(p, "/network/mode"));
        if (!mode || (iso && !strcmp(iso, "none")))
                mode = iso && !strcmp(iso, "none") ? "host" : "none";
        if (json_object_set_new(sb, "network", json_string(mode)) < 0 ||
            json_object_set(sb, "not_enforced", (json_t *)not_enforced) < 0) {
                json_decref(sb);
                return NULL;
        }
        return sb;
}

static json_t *command_json(char *const *argv)
{
        json_t *a = json_array();
        for (size_t i = 0; a && argv[i]; i++)
                if (json_array_append_new(a, json_string(argv[i])) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

static void emit(struct audit *a, const char *event, json_t *fields)
{
        if (!fields) {
                log_warn("audit: cannot build the %s record (out of memory)", event);
                return;
        }
        int r = audit_emit(a, event, fields);
        if (r < 0)
                log_warn("audit: writing %s: %s", event, strerror(-r));
}

static void emit_session_start(struct audit *a, const struct options *o, const struct policy *p,
                               const struct child *ch, const struct selfconfine *sc,
                               const json_t *not_enforced)
{
        const struct passwd *pw = getpwuid(getuid());
        const char *user = pw ? pw->pw_name : getenv("USER");
        json_t *cmd = command_json(o->command), *sb = sandbox_json(ch, not_enforced, p);
        json_t *f = cmd && sb ? json_pack("{s:I, s:I, s:s?, s:o, s:{s:s, s:s, s:s}, s:o, s:s}",
                                          "pid", (json_int_t)getpid(), "uid", (json_int_t)getuid(),
                                          "user", user, "command", cmd,
                                          "policy", "name", p->name, "sha256", p->sha256, "path", p->path,
                                          "sandbox", sb, "mcpcage", MCPCAGE_VERSION)
                              : NULL;
        if (!f) {
                json_decref(cmd);
                json_decref(sb);
        }
        /* what the relay itself gives up before it reads from the server (selfconfine.h) */
        if (f && sc && json_object_set_new(f, "relay", selfconfine_json(sc)) < 0) {
                json_decref(f);
                f = NULL;
        }
        emit(a, "session_start", f);
}

static uint64_t ms_since(const struct timespec *t0)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        int64_t ns = (int64_t)(t.tv_sec - t0->tv_sec) * 1000000000 + (t.tv_nsec - t0->tv_nsec);
        return ns > 0 ? (uint64_t)ns / 1000000u : 0;
}

static void emit_session_end(struct audit *a, const struct relay_result *res,
                             const struct inspector_stats *st, uint64_t duration_ms)
{
        int ws = res->wait_status;
        json_t *exit = WIFSIGNALED(ws) ? json_pack("{s:i}", "signal", WTERMSIG(ws))
                                       : json_pack("{s:i}", "code", WEXITSTATUS(ws));
        uint64_t cpu_us = (uint64_t)(res->ru.ru_utime.tv_sec + res->ru.ru_stime.tv_sec) * 1000000u +
                          (uint64_t)(res->ru.ru_utime.tv_usec + res->ru.ru_stime.tv_usec);
        json_t *f = exit ? json_pack("{s:o, s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "exit", exit,
                                     "reason", relay_reason_name(res->reason),
                                     "calls", (json_int_t)st->calls, "denied", (json_int_t)st->denied,
                                     "redactions", (json_int_t)st->redactions,
                                     "cpu_ms", (json_int_t)(cpu_us / 1000u),
                                     "max_rss_kb", (json_int_t)res->ru.ru_maxrss,
                                     "duration_ms", (json_int_t)duration_ms)
                         : NULL;
        if (f && res->violations)
                json_object_set(f, "seccomp_violations", res->violations);
        if (f && res->memory_peak)
                json_object_set_new(f, "memory_peak", json_integer((json_int_t)res->memory_peak));
        emit(a, "session_end", f);
}

static int exit_status(int ws)
{
        if (WIFSIGNALED(ws))
                return EXIT_SIGNAL_BASE + WTERMSIG(ws);
        return WEXITSTATUS(ws);
}

/* As a shell does: not found is 127, found but not runnable 126; anything else is ours. */
static int launch_failure(const struct options *o, const struct mc_error *err)
{
        switch (err->code) {
        case ENOENT:
                log_error("%s: command not found", o->command[0]);
                return EXIT_NOT_FOUND;
        case EACCES: case ENOEXEC: case EISDIR: case ENOTDIR: case ELOOP: case ETXTBSY:
        case EPERM: case E2BIG: case ENAMETOOLONG: case ELIBBAD:
                log_error("%s: %s", o->command[0], strerror(err->code));
                return EXIT_CANNOT_EXEC;
        default:
                log_error("%s", err->msg);
                return EXIT_MCPCAGE_ERROR;
        }
}

static int fail(const struct mc_error *err)
{
        log_error("%s", err->msg[0] ? err->msg : strerror(err->code ? err->code : EINVAL));
        return EXIT_MCPCAGE_ERROR;
}

/* Never a silent no-op: what the policy asks for and this build does not do is said once. */
static void say_not_enforced(const struct policy *p, const json_t *not_enforced)
{
        const char *iso = json_string_value(policy_get(p, "/isolation"));
        if (iso && !strcmp(iso, "none"))
                log_warn("isolation none: the server runs unconfined; only the protocol is inspected");
        if (json_array_size(not_enforced) == 0)
                return;
        _cleanup_free_ char *list = enforcement_join(not_enforced);
        log_warn("not enforced by this build: %s; see mcpcage(1)", list ? list : "(out of memory)");
}

static bool seccomp_kills(const struct policy *p)
{
        const char *iso = json_string_value(policy_get(p, "/isolation"));
        const char *profile = json_string_value(policy_get(p, "/seccomp/profile"));
        const char *action = json_string_value(policy_get(p, "/seccomp/action"));
        return (!iso || strcmp(iso, "none")) && profile && strcmp(profile, "none") && action &&
               !strcmp(action, "kill");
}

/* A session that cannot go on: the server must not outlive it. */
static void stop_server(struct child *ch, int *wait_status)
{
        int ws = 0;
        kill(ch->pid, SIGKILL);
        while (waitpid(ch->pid, &ws, 0) < 0 && errno == EINTR)
                ;
        if (wait_status)
                *wait_status = ws;
        child_close_fds(ch);
}

/* The inspector learns the env.from_file values (redacted from everything the server
 * sends back) and the resolved command (the pin key), and builds its content guards. That
 * is most of its start, and here it runs while the server starts on the other CPU instead
 * of before the launch; it reads only policy values the loader has checked. A failure
 * stops the server before it has seen a line: a session whose guards cannot be built or
 * whose pin cannot be read is not inspected as the policy says. */
static int tell_inspector(const struct options *o, const struct policy *p, const struct policy_env *env,
                          struct inspector *ins, const char *exe, char **secrets, struct child *ch,
                          struct mc_error *err)
{
        struct inspector_server srv = {
                .name = server_name(o, p), .exe = exe, .argv = o->command,
                .env_secrets = (const char *const *)secrets, .state_home = env->xdg_state_home,
        };
        int r = inspector_set_server(ins, &srv, err);
        for (size_t i = 0; secrets && secrets[i]; i++) {
                explicit_bzero(secrets[i], strlen(secrets[i]));
                free(secrets[i]);
        }
        free(secrets);
        if (r < 0)
                stop_server(ch, NULL);
        return r;
}

/* The relay's confinement, prepared before session_start records it. */
static int prepare_confinement(const struct policy *p, const struct policy_env *env, struct child *ch,
                               struct selfconfine *sc, struct mc_error *err)
{
        const char *file = json_string_value(policy_get(p, "/audit/file"));
        struct selfconfine_config cfg = {
                .audit_file = file && *file ? file : NULL, .state_home = env->xdg_state_home,
                .child = ch, .host_err = STDERR_FILENO,
        };
        int r = selfconfine_prepare(&cfg, sc, err);
        if (r < 0) {
                mc_error_prefix(err, "the relay cannot confine itself");
                stop_server(ch, NULL);
        }
        return r;
}

static void selfconfine_clearp(struct selfconfine *sc) { selfconfine_clear(sc); }

static int run_server(const struct options *o, const struct policy *p, const struct policy_env *env,
                      struct audit *a, struct inspector *ins, const struct session_settings *s,
                      const json_t *not_enforced, const struct timespec *t0)
{
        struct mc_error err = { 0 };
        _cleanup_(selfconfine_clearp) struct selfconfine sc = SELFCONFINE_INIT;
        _cleanup_free_ char *exe = NULL;
        char **secrets = NULL;
        struct launch_config lc = { .argv = o->command, .policy = p, .envp = NULL, .user = o->user,
                                    .env_secrets = &secrets, .exe = &exe };
        struct child ch = { .pid = -1, .pidfd = -1, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1 };
        int r = launch_child(&lc, &ch, &err);
        if (r >= 0 && tell_inspector(o, p, env, ins, exe, secrets, &ch, &err) < 0)
                return fail(&err);
        if (r >= 0 && prepare_confinement(p, env, &ch, &sc, &err) < 0)
                return fail(&err);
        emit_session_start(a, o, p, r < 0 ? NULL : &ch, r < 0 ? NULL : &sc, not_enforced);
        struct inspector_stats st = { 0 };
        if (r < 0) {
                int code = launch_failure(o, &err);
                struct relay_result res = { .wait_status = (code & 0xff) << 8, .reaped = true,
                                            .reason = RELAY_CHILD_EXITED };
                emit_session_end(a, &res, &st, ms_since(t0));
                return code;
        }
        log_info("started %s (pid %d)", o->command[0], (int)ch.pid);
        /* From here on everything the server sends is read: nothing after this line may
         * need more than the relay's confinement allows (selfconfine.h). */
        if (selfconfine_apply(&sc, &err) < 0) {
                struct relay_result res = { .reaped = true, .reason = RELAY_CHILD_EXITED };
                stop_server(&ch, &res.wait_status);
                emit_session_end(a, &res, &st, ms_since(t0));
                return fail(&err);
        }
#if MCPCAGE_TEST_HOOKS
        selfconfine_test_escape();
#endif
        struct relay_config rc = {
                .host_in = STDIN_FILENO, .host_out = STDOUT_FILENO, .host_err = STDERR_FILENO,
                .child = &ch, .ins = ins, .audit = a,
                .message_bytes = (size_t)s->message_bytes,
                .shutdown_grace_ms = s->shutdown_grace_ms,
                .wall_time_ms = s->wall_time_ms,
                .seccomp_kills = seccomp_kills(p),
        };
        struct relay_result res;
        r = relay_run(&rc, &res, &err);
        inspector_get_stats(ins, &st);
        emit_session_end(a, &res, &st, ms_since(t0));
        json_decref(res.violations);
        if (r < 0)
                return fail(&err);
        if (res.killed)
                log_warn("the server did not exit after SIGTERM; it was killed");
        return exit_status(res.wait_status);
}

int session_run(const struct options *opts)
{
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        log_set_level(opts->verbosity);
        struct mc_error err = { 0 };
        _cleanup_(policy_env_clearp) struct policy_env env = { 0 };
        if (policy_env_from_process(&env, &err) < 0)
                return fail(&err);
        _cleanup_(policy_freep) struct policy *p = NULL;
        if (load_policy(opts, &env, &p, &err) < 0)
                return fail(&err);
        struct session_settings s;
        if (session_settings_read(p, &s, &err) < 0)
                return fail(&err);
        _cleanup_json_ json_t *not_enforced = enforcement_not_enforced(p);
        if (!not_enforced)
                return fail(&(struct mc_error){ .code = ENOMEM });
        if (opts->dry_run)
                return dryrun_print(stdout, p, opts, &s, not_enforced);
        say_not_enforced(p, not_enforced);
        _cleanup_(audit_closep) struct audit *a = NULL;
        if (open_audit(opts, p, &a, &err) < 0)
                return fail(&err);
        _cleanup_free_ char *hs_cache = NULL;
        if (asprintf(&hs_cache, "%s/mcpcage/hyperscan", env.xdg_cache_home) > 0)
                redactor_cache_dir(hs_cache);   /* compiled redaction anchors, kept between runs */
        _cleanup_(inspector_freep) struct inspector *ins = NULL;
        if (inspector_new(&ins, p, a, &err) < 0)
                return fail(&err);
        if (relay_signals_block(&err) < 0)
                return fail(&err);
        return run_server(opts, p, &env, a, ins, &s, not_enforced, &t0);
}
