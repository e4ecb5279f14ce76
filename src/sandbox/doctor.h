/* `mcpcage doctor`: which isolation features this kernel and this user have, one line
 * each with what it means for mcpcage; the exit status says whether the built-in default
 * policy can be enforced: 0 fully, 1 only degraded (the Landlock fallback, no cgroup
 * limits, no seccomp), 2 not at all (neither user namespaces nor Landlock). */
#pragma once

int doctor_run(int argc, char **argv);
