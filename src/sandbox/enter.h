/* The child's side, from clone() to the server's execve(): the ordered list of steps. */
#pragma once

#include "sandbox/setup.h"

struct child_pipes {
        int in_r, out_w, err_w;         /* the server's stdin, stdout, stderr */
        int sync;                       /* the child's end of the setup channel */
};

/* Runs in the child right after clone(); never returns. */
_Noreturn void sandbox_enter(const struct sandbox_setup *s, const struct child_pipes *p);
