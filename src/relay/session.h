/* One mcpcage run: load the policy, open the audit log, start the server, relay until the
 * shutdown sequence ends, write session_end, return the exit status of design.md. */
#pragma once

#include "options.h"

int session_run(const struct options *opts);
