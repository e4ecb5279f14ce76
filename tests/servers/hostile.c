/* hostile: a stdio MCP server that tries to escape (threats.md §1) and reports, for each
 * attempt, whether the kernel let it and the errno it got. One tool, "attempt", takes
 * {"what": NAME, "args": [STRING...]} and answers with a JSON object in the text content
 * (and in structuredContent): {"what", "ok", "errno" (name or null), "detail"}.
 *
 *     hostile                         serve MCP on stdin/stdout
 *     hostile --attempt NAME ARG...   one attempt, the JSON object on stdout, exit 0
 *
 * Every attempt that changes something outside the process undoes it when it succeeded
 * (a created file is removed, a mount unmounted), because the tests also run each attempt
 * without mcpcage to prove it can succeed. Written in C for the raw syscalls. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>


struct result {
        bool ok;
        int err;
        json_t *detail;         /* owned; NULL for none */
};

static struct result ok_detail(json_t *detail) { return (struct result){ .ok = true, .detail = detail }; }
static struct result fail_errno(int e) { return (struct result){ .ok = false, .err = e }; }
static struct result from_rc(long rc) { return rc < 0 ? fail_errno(errno) : ok_detail(NULL); }

static const char *errno_name(int e)
{
        switch (e) {
        case 0: return NULL;
        case EPERM: return "EPERM";
        case ENOENT: return "ENOENT";
        case ESRCH: return "ESRCH";
        case EIO: return "EIO";
        case ENXIO: return "ENXIO";
        case E2BIG: return "E2BIG";
        case EBADF: return "EBADF";
        case ECHILD: return "ECHILD";
        case EAGAIN: return "EAGAIN";
        case ENOMEM: return "ENOMEM";
        case EACCES: return "EACCES";
        case EFAULT: return "EFAULT";
        case EBUSY: return "EBUSY";
        case EEXIST: return "EEXIST";
        case EXDEV: return "EXDEV";
        case ENOTDIR: return "ENOTDIR";
        case EISDIR: return "EISDIR";
        case EINVAL: return "EINVAL";
        case EMFILE: return "EMFILE";
        case ENOTTY: return "ENOTTY";
        case EFBIG: return "EFBIG";
        case ENOSPC: return "ENOSPC";
        case EROFS: return "EROFS";
        case ENOSYS: return "ENOSYS";
        case ELOOP: return "ELOOP";
        case EOPNOTSUPP: return "EOPNOTSUPP";
        case EAFNOSUPPORT: return "EAFNOSUPPORT";
        case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
        case ENETUNREACH: return "ENETUNREACH";
        case ECONNREFUSED: return "ECONNREFUSED";
        case EHOSTUNREACH: return "EHOSTUNREACH";
        case ETIMEDOUT: return "ETIMEDOUT";
        default: return strerror(e);
        }
}

static const char *arg(json_t *args, size_t i)
{
        const char *s = json_string_value(json_array_get(args, i));
        return s ? s : "";
}

/* ---- filesystem (threats.md §1 rows 1-3) ---- */

static struct result do_read(json_t *a)
{
        int fd = open(arg(a, 0), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return fail_errno(errno);
        char c;
        ssize_t n = read(fd, &c, 1);
        int e = errno;
        close(fd);
        return n < 0 ? fail_errno(e) : ok_detail(json_pack("{s:i}", "bytes", (int)n));
}

/* A new file (O_EXCL: never clobber), removed again when it worked. */
static struct result do_create(json_t *a)
{
        int fd = open(arg(a, 0), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
                return fail_errno(errno);
        close(fd);
        unlink(arg(a, 0));
        return ok_detail(NULL);
}

/* Opening an existing file for writing proves write access; nothing is written. */
static struct result do_open_write(json_t *a)
{
        int fd = open(arg(a, 0), O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return fail_errno(errno);
        close(fd);
        return ok_detail(NULL);
}

static struct result do_link(json_t *a)
{
        if (link(arg(a, 0), arg(a, 1)) < 0)
                return fail_errno(errno);
        unlink(arg(a, 1));
        return ok_detail(NULL);
}

/* Plant a symlink in a writable dir pointing out, then write through it. */
static struct result do_symlink_write(json_t *a)
{
        char link_path[4096];
        snprintf(link_path, sizeof(link_path), "%s/hostile-link-%d", arg(a, 0), (int)getpid());
        if (symlink(arg(a, 1), link_path) < 0)
                return fail_errno(errno);
        int fd = open(link_path, O_WRONLY | O_CLOEXEC);
        int e = errno;
        unlink(link_path);
        if (fd < 0)
                return fail_errno(e);
        close(fd);
        return ok_detail(NULL);
}

static struct result do_list(json_t *a)
{
        DIR *d = opendir(arg(a, 0));
        if (!d)
                return fail_errno(errno);
        json_t *names = json_array();
        struct dirent *e;
        while ((e = readdir(d)))
                if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                        json_array_append_new(names, json_string(e->d_name));
        closedir(d);
        return ok_detail(json_pack("{s:o}", "names", names));
}

static struct result do_stat(json_t *a)
{
        struct stat st;
        if (lstat(arg(a, 0), &st) < 0)
                return fail_errno(errno);
        return ok_detail(json_pack("{s:i, s:I, s:I}", "mode", (int)st.st_mode, "uid", (json_int_t)st.st_uid,
                                   "size", (json_int_t)st.st_size));
}

/* Write up to N bytes into a new file in DIR (a tmpfs must stop it), then remove it. */
static struct result do_fill(json_t *a)
{
        char path[4096];
        snprintf(path, sizeof(path), "%s/hostile-fill-%d", arg(a, 0), (int)getpid());
        long long want = strtoll(arg(a, 1), NULL, 10), done = 0;
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
                return fail_errno(errno);
        static char block[1 << 16];
        memset(block, 'x', sizeof(block));
        int e = 0;
        while (done < want) {
                size_t n = want - done < (long long)sizeof(block) ? (size_t)(want - done) : sizeof(block);
                ssize_t w = write(fd, block, n);
                if (w <= 0) {
                        e = w < 0 ? errno : ENOSPC;
                        break;
                }
                done += w;
        }
        close(fd);
        unlink(path);
        struct result r = e ? fail_errno(e) : ok_detail(NULL);
        r.detail = json_pack("{s:I}", "written", (json_int_t)done);
        return r;
}

static struct result do_mount(json_t *a)
{
        if (mount("none", arg(a, 0), "tmpfs", 0, "size=4k") < 0)
                return fail_errno(errno);
        umount2(arg(a, 0), MNT_DETACH);
        return ok_detail(NULL);
}

/* ---- processes (rows 4, 6-8, 10, 14, 16, 17) ---- */

static struct result do_ptrace(json_t *a)
{
        pid_t pid = (pid_t)atoi(arg(a, 0));
        if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) < 0)
                return fail_errno(errno);
        waitpid(pid, NULL, __WALL);
        ptrace(PTRACE_DETACH, pid, NULL, NULL);
        return ok_detail(NULL);
}

static struct result do_vm_readv(json_t *a)
{
        char buf[8];
        static const char probe[8] = "hostile";
        struct iovec local = { buf, sizeof(buf) }, remote = { (void *)probe, sizeof(probe) };
        return from_rc(process_vm_readv((pid_t)atoi(arg(a, 0)), &local, 1, &remote, 1, 0));
}

static struct result do_kill(json_t *a)
{
        return from_rc(kill((pid_t)atoi(arg(a, 0)), atoi(arg(a, 1))));
}

static struct result do_processes(json_t *a)
{
        (void)a;
        DIR *d = opendir("/proc");
        if (!d)
                return fail_errno(errno);
        json_t *pids = json_array();
        struct dirent *e;
        while ((e = readdir(d)))
                if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
                        json_array_append_new(pids, json_integer(atoi(e->d_name)));
        closedir(d);
        return ok_detail(json_pack("{s:o}", "pids", pids));
}

static struct result do_fds(json_t *a)
{
        (void)a;
        DIR *d = opendir("/proc/self/fd");
        if (!d)
                return fail_errno(errno);
        json_t *fds = json_array();
        struct dirent *e;
        while ((e = readdir(d)))
                if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && atoi(e->d_name) != dirfd(d))
                        json_array_append_new(fds, json_integer(atoi(e->d_name)));
        closedir(d);
        return ok_detail(json_pack("{s:o}", "fds", fds));
}

static struct result do_env(json_t *a)
{
        json_t *names = json_array();
        for (char **e = environ; *e; e++)
                json_array_append_new(names, json_stringn(*e, strcspn(*e, "=")));
        const char *want = arg(a, 0);
        bool present = *want && getenv(want) != NULL;
        return (struct result){ .ok = present, .err = present ? 0 : ENOENT,
                                .detail = json_pack("{s:o}", "names", names) };
}

/* Status lines that matter: Uid, Gid, Cap*, NoNewPrivs, Seccomp. */
static struct result do_whoami(json_t *a)
{
        (void)a;
        json_t *d = json_object();
        FILE *f = fopen("/proc/self/status", "re");
        char line[512];
        while (f && fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                char *colon = strchr(line, ':');
                if (!colon)
                        continue;
                *colon = '\0';
                const char *v = colon + 1 + strspn(colon + 1, " \t");
                if (!strncmp(line, "Cap", 3) || !strcmp(line, "Uid") || !strcmp(line, "Gid") ||
                    !strcmp(line, "Groups") || !strcmp(line, "NoNewPrivs") || !strcmp(line, "Seccomp"))
                        json_object_set_new(d, line, json_string(v));
        }
        if (f)
                fclose(f);
        struct utsname u;
        uname(&u);
        char cwd[4096];
        json_object_set_new(d, "hostname", json_string(u.nodename));
        json_object_set_new(d, "pid", json_integer(getpid()));
        json_object_set_new(d, "ppid", json_integer(getppid()));
        json_object_set_new(d, "sid", json_integer(getsid(0)));
        json_object_set_new(d, "pgid", json_integer(getpgrp()));
        json_object_set_new(d, "cwd", json_string(getcwd(cwd, sizeof(cwd)) ? cwd : ""));
        return ok_detail(d);
}

/* Run a setuid-root binary that needs its privilege to read /etc/shadow: with it,
 * `passwd -S USER` shows the date of the last change; without it, "never". */
static struct result do_setuid(json_t *a)
{
        int p[2];
        if (pipe(p) < 0)
                return fail_errno(errno);
        pid_t pid = fork();
        if (pid == 0) {
                dup2(p[1], 1);
                dup2(p[1], 2);
                execl("/usr/bin/passwd", "passwd", "-S", arg(a, 0), (char *)NULL);
                _exit(127);
        }
        close(p[1]);
        char out[512] = "";
        ssize_t n = read(p[0], out, sizeof(out) - 1);
        close(p[0]);
        int st = 0;
        waitpid(pid, &st, 0);
        out[n > 0 ? n : 0] = '\0';
        out[strcspn(out, "\n")] = '\0';
        /* "user L 2025-05-20 0 99999 7 -1": the third field is a date only when the shadow
         * entry was read. */
        char f1[128], f2[16], f3[32];
        bool elevated = sscanf(out, "%127s %15s %31s", f1, f2, f3) == 3 && strlen(f3) == 10 && f3[4] == '-';
        return (struct result){ .ok = elevated, .err = elevated ? 0 : EPERM,
                                .detail = json_pack("{s:s, s:i}", "output", out, "status", WEXITSTATUS(st)) };
}

/* Double fork and setsid, then a heartbeat into FILE every 50 ms for at most 60 s. */
static struct result do_outlive(json_t *a)
{
        const char *file = arg(a, 0);
        int p[2];
        if (pipe(p) < 0)
                return fail_errno(errno);
        pid_t pid = fork();
        if (pid == 0) {
                setsid();
                pid_t g = fork();
                if (g != 0) {
                        (void)!write(p[1], &g, sizeof(g));
                        _exit(0);
                }
                for (int fd = 0; fd < 1024; fd++)
                        if (fd != 2)
                                close(fd);
                for (int i = 0; i < 1200; i++) {
                        FILE *f = fopen(file, "we");
                        if (f) {
                                fprintf(f, "%d %d\n", (int)getpid(), i);
                                fclose(f);
                        }
                        struct timespec ts = { 0, 50 * 1000 * 1000 };
                        nanosleep(&ts, NULL);
                }
                _exit(0);
        }
        close(p[1]);
        pid_t g = 0;
        (void)!read(p[0], &g, sizeof(g));
        close(p[0]);
        waitpid(pid, NULL, 0);
        return ok_detail(json_pack("{s:i}", "pid", (int)g));
}

/* ---- syscalls the seccomp profile refuses (rows 5 and 6); also what no capability
 * inside the namespace allows ---- */

static struct result do_syscall(json_t *a)
{
        const char *name = arg(a, 0);
        long rc;
        if (!strcmp(name, "unshare_user"))
                rc = unshare(CLONE_NEWUSER);
        else if (!strcmp(name, "unshare_mount"))
                rc = unshare(CLONE_NEWNS);
        else if (!strcmp(name, "setns")) {
                int fd = open("/proc/1/ns/mnt", O_RDONLY | O_CLOEXEC);
                rc = fd < 0 ? -1 : setns(fd, 0);
                if (fd >= 0)
                        close(fd);
        } else if (!strcmp(name, "pivot_root"))
                rc = syscall(SYS_pivot_root, "/nonexistent-hostile", "/nonexistent-hostile");
        else if (!strcmp(name, "umount"))
                /* A real mount point, and flags that make the kernel refuse the unmount itself
                 * (EINVAL) once the permission check (EPERM) has passed: never unmounts. */
                rc = umount2("/proc", MNT_EXPIRE | MNT_FORCE);
        else if (!strcmp(name, "chroot"))
                rc = chroot("/nonexistent-hostile");
        else if (!strcmp(name, "bpf")) {
                union bpf_attr attr = { .map_type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 4, .max_entries = 1 };
                rc = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
        } else if (!strcmp(name, "perf_event_open")) {
                struct perf_event_attr pe = { .type = PERF_TYPE_SOFTWARE, .size = sizeof(pe), .config = PERF_COUNT_SW_CPU_CLOCK };
                rc = syscall(SYS_perf_event_open, &pe, 0, -1, -1, 0);
        } else if (!strcmp(name, "add_key"))
                rc = syscall(SYS_add_key, "user", "hostile", "x", 1, -2 /* KEY_SPEC_PROCESS_KEYRING */);
        else if (!strcmp(name, "userfaultfd"))
                rc = syscall(SYS_userfaultfd, 0);
        else if (!strcmp(name, "io_uring_setup")) {
                char params[120] = { 0 };
                rc = syscall(SYS_io_uring_setup, 1, params);
        } else if (!strcmp(name, "kexec_load"))
                rc = syscall(SYS_kexec_load, 0, 0, NULL, 0);
        else if (!strcmp(name, "init_module"))
                rc = syscall(SYS_init_module, NULL, 0, "");
        else if (!strcmp(name, "open_by_handle_at")) {
                char h[sizeof(struct file_handle) + 8] = { 0 };
                ((struct file_handle *)h)->handle_bytes = 8;
                rc = syscall(SYS_open_by_handle_at, AT_FDCWD, h, O_RDONLY);
        } else if (!strcmp(name, "tiocsti")) {
                char c = 'x';
                int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
                rc = ioctl(fd >= 0 ? fd : 0, TIOCSTI, &c);
                if (fd >= 0)
                        close(fd);
        } else if (!strcmp(name, "clone3_ns")) {
                uint64_t args[8] = { CLONE_NEWUSER | CLONE_NEWNS, 0, 0, 0, SIGCHLD, 0, 0, 0 };
                rc = syscall(SYS_clone3, args, sizeof(args));
                if (rc == 0)
                        _exit(0);
                if (rc > 0)
                        waitpid((pid_t)rc, NULL, 0);
        } else {
                errno = EINVAL;
                rc = -1;
        }
        if (rc >= 0 && strcmp(name, "clone3_ns") && rc > 2)
                close((int)rc);
        return from_rc(rc < 0 ? -1 : 0);
}

/* ---- network (mode "none") ---- */

static struct result do_connect(json_t *a)
{
        const char *kind = arg(a, 0);
        int fd;
        long rc;
        if (!strcmp(kind, "unix")) {
                struct sockaddr_un un = { .sun_family = AF_UNIX };
                snprintf(un.sun_path, sizeof(un.sun_path), "%s", arg(a, 1));
                fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                rc = fd < 0 ? -1 : connect(fd, (struct sockaddr *)&un, sizeof(un));
        } else {
                bool udp = !strcmp(kind, "udp");
                struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(arg(a, 2))) };
                inet_pton(AF_INET, arg(a, 1), &in.sin_addr);
                fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
                rc = fd < 0 ? -1 : udp ? sendto(fd, "x", 1, 0, (struct sockaddr *)&in, sizeof(in))
                                       : connect(fd, (struct sockaddr *)&in, sizeof(in));
        }
        int e = errno;
        if (fd >= 0)
                close(fd);
        return rc < 0 ? fail_errno(e) : ok_detail(NULL);
}

static const struct { const char *name; struct result (*fn)(json_t *); } ATTEMPTS[] = {
        { "read", do_read }, { "create", do_create }, { "open_write", do_open_write },
        { "link", do_link }, { "symlink_write", do_symlink_write }, { "list", do_list },
        { "stat", do_stat }, { "fill", do_fill }, { "mount", do_mount },
        { "ptrace", do_ptrace }, { "process_vm_readv", do_vm_readv }, { "kill", do_kill },
        { "processes", do_processes }, { "fds", do_fds }, { "env", do_env },
        { "whoami", do_whoami }, { "setuid", do_setuid }, { "outlive", do_outlive },
        { "syscall", do_syscall }, { "connect", do_connect },
};

static json_t *attempt(const char *what, json_t *args)
{
        for (size_t i = 0; i < sizeof(ATTEMPTS) / sizeof(ATTEMPTS[0]); i++) {
                if (strcmp(ATTEMPTS[i].name, what))
                        continue;
                errno = 0;
                struct result r = ATTEMPTS[i].fn(args);
                return json_pack("{s:s, s:b, s:s?, s:o?}", "what", what, "ok", r.ok, "errno",
                                 r.ok ? NULL : errno_name(r.err), "detail", r.detail);
        }
        return json_pack("{s:s, s:b, s:s}", "what", what, "ok", 0, "errno", "unknown attempt");
}

/* ---- MCP ---- */

static void reply(json_t *id, json_t *result, json_t *error)
{
        json_t *msg = json_pack("{s:s, s:O}", "jsonrpc", "2.0", "id", id);
        json_object_set_new(msg, error ? "error" : "result", error ? error : result);
        char *s = json_dumps(msg, JSON_COMPACT);
        printf("%s\n", s);
        fflush(stdout);
        free(s);
        json_decref(msg);
}

static json_t *tools_list(void)
{
        return json_pack("{s:[{s:s, s:s, s:{s:s, s:{s:{s:s}, s:{s:s, s:{s:s}}}, s:[s]}}]}", "tools",
                         "name", "attempt", "description", "Try one escape and report the errno.",
                         "inputSchema", "type", "object", "properties", "what", "type", "string",
                         "args", "type", "array", "items", "type", "string", "required", "what");
}

static void handle(json_t *msg)
{
        const char *method = json_string_value(json_object_get(msg, "method"));
        json_t *id = json_object_get(msg, "id");
        if (!method || !id)
                return;
        json_t *params = json_object_get(msg, "params");
        if (!strcmp(method, "initialize")) {
                const char *v = json_string_value(json_object_get(params, "protocolVersion"));
                reply(id, json_pack("{s:s, s:{s:{}}, s:{s:s, s:s}}", "protocolVersion", v ? v : "2025-11-25",
                                    "capabilities", "tools", "serverInfo", "name", "hostile", "version", "1"), NULL);
        } else if (!strcmp(method, "tools/list")) {
                reply(id, tools_list(), NULL);
        } else if (!strcmp(method, "ping")) {
                reply(id, json_object(), NULL);
        } else if (!strcmp(method, "tools/call")) {
                json_t *args = json_object_get(params, "arguments");
                const char *what = json_string_value(json_object_get(args, "what"));
                json_t *r = attempt(what ? what : "", json_object_get(args, "args"));
                char *text = json_dumps(r, JSON_COMPACT);
                reply(id, json_pack("{s:[{s:s, s:s}], s:o}", "content", "type", "text", "text", text,
                                    "structuredContent", r), NULL);
                free(text);
        } else {
                reply(id, NULL, json_pack("{s:i, s:s}", "code", -32601, "message", "Method not found"));
        }
}

int main(int argc, char **argv)
{
        signal(SIGPIPE, SIG_IGN);
        if (argc >= 3 && !strcmp(argv[1], "--attempt")) {
                json_t *args = json_array();
                for (int i = 3; i < argc; i++)
                        json_array_append_new(args, json_string(argv[i]));
                json_t *r = attempt(argv[2], args);
                char *s = json_dumps(r, JSON_COMPACT);
                printf("%s\n", s);
                free(s);
                json_decref(r);
                json_decref(args);
                return 0;
        }
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        while ((n = getline(&line, &cap, stdin)) > 0) {
                json_t *msg = json_loadb(line, (size_t)n, 0, NULL);
                if (msg)
                        handle(msg);
                json_decref(msg);
        }
        free(line);
        return 0;
}
