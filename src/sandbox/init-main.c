/* mcpcage-init: the program the sandbox's init becomes once the server is ready (enter.c
 * become_init). Until then init shared mcpcage's memory, as posix_spawn's child does; this
 * execve() gives it memory of its own, a few pages, so mcpcage and init never write the same
 * page and neither takes a copy-on-write fault for the other. argv is
 * "mcpcage-init PID MODE FD": the server's pid, "namespaces" or "landlock", and the
 * descriptor the server waits on before its execve(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "sandbox/init.h"

static long number(const char *s)
{
        char *end;
        long n = strtol(s, &end, 10);
        return *s && !*end && n >= 0 ? n : -1;
}

int main(int argc, char **argv)
{
        /* First, before the server runs: nothing in the sandbox may ptrace init or open its
         * /proc/1/mem, and an execve() leaves a process dumpable. */
        if (prctl(PR_SET_DUMPABLE, 0) < 0)
                return 125;
        long pid = argc == 4 ? number(argv[1]) : -1, go = argc == 4 ? number(argv[3]) : -1;
        if (pid <= 0 || go < 3 || (strcmp(argv[2], "namespaces") && strcmp(argv[2], "landlock"))) {
                fprintf(stderr, "mcpcage-init: started by mcpcage only (mcpcage-init PID MODE FD)\n");
                return 125;
        }
        bool fallback = !strcmp(argv[2], "landlock");
        /* init blocked these before its execve(), which keeps the mask: none was lost. */
        init_block_signals(fallback);
        /* The server's release. If it is gone already, its SIGCHLD is pending. */
        char c = 'g';
        (void)!write((int)go, &c, 1);
        close((int)go);
        init_run((pid_t)pid, fallback);
}
