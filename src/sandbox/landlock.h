/* Landlock: the filesystem confinement when there is no mount namespace (user namespaces
 * refused, or isolation "landlock"), and an extra layer inside the namespaces when a policy
 * requires it. Read on the read-only paths, read/write on the read-write ones, nothing else
 * (design.md "Fallback"). The ABI decides what more it can do: TCP bind/connect (4) for
 * network "none", and scoping (6): no signal to, no abstract socket of, a process outside. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util/error.h"

#define LANDLOCK_MAX_PORTS 64

/* LANDLOCK_RIGHTS: exactly the rule's rights (the kernel's LANDLOCK_ACCESS_FS_* bits), for
 * a process that needs less than read or read-write somewhere: the relay's own confinement
 * (relay/selfconfine.h) appends to its log without reading it and executes nothing. */
enum landlock_grant { LANDLOCK_READ, LANDLOCK_READ_WRITE, LANDLOCK_DEVICE_RW, LANDLOCK_RIGHTS };

struct landlock_rule {
        char *path;
        enum landlock_grant grant;
        uint64_t rights;        /* LANDLOCK_RIGHTS only */
};

struct landlock_plan {
        int abi;                /* 0: not available */
        struct landlock_rule *rules;
        size_t n;
        bool deny_tcp;          /* network "none": handle TCP bind/connect, allow none */
        /* Fallback with network "filtered" or "host" + allow (ABI 4): TCP connect only to
         * these ports (the proxy's, or those network.allow names); bind refused when
         * deny_bind. */
        bool filter_connect, deny_bind;
        uint16_t connect_ports[LANDLOCK_MAX_PORTS];
        size_t n_ports;
        bool scope;             /* signals and abstract Unix sockets stay inside */
        /* Abstract Unix sockets only: for a process that must still signal one it did not
         * create (the relay signals its server, which is outside the relay's domain). */
        bool scope_unix;
};

/* The highest ABI this kernel offers; 0 when Landlock is off or absent. */
int landlock_abi(void);

int landlock_plan_add(struct landlock_plan *plan, const char *path, enum landlock_grant grant);
/* A LANDLOCK_RIGHTS rule; rights the running ABI does not handle are dropped, and a rule on
 * a file keeps only the rights a file can have. */
int landlock_plan_add_rights(struct landlock_plan *plan, const char *path, uint64_t rights);
void landlock_plan_clear(struct landlock_plan *plan);
void landlock_plan_print(const struct landlock_plan *plan, FILE *out);

/* A ruleset fd (close-on-exec) for the plan. Does not allocate, so the child may call it
 * too (then err->msg is what it dies with). A path that cannot be opened is an error. */
int landlock_ruleset_build(const struct landlock_plan *plan, int *fd, struct mc_error *err);

/* In the child, after PR_SET_NO_NEW_PRIVS: 0 or -errno. */
int landlock_restrict(int ruleset_fd);
