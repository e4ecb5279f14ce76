/* Finding mcpcage-init, the program the sandbox's init becomes once the server runs
 * (init-main.c; enter.c become_init says why it is a program of its own). */
#pragma once

#include "util/error.h"

#define INIT_EXE_NAME "mcpcage-init"

/* An O_PATH, close-on-exec descriptor of mcpcage-init: path when given (NULL: next to
 * mcpcage's own executable, as in the build tree, else the installed one under libexecdir).
 * The descriptor, or -errno with err naming every place looked at. */
int init_exe_open(const char *path, struct mc_error *err);
