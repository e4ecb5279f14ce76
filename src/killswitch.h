/* `mcpcage kill on|off`: the kill switch file of policy.md mcp.kill_switch. */
#pragma once

/* policy: -p/--policy or NULL for the built-in default (whose switch is
 * ${XDG_RUNTIME_DIR}/mcpcage/kill). Returns an exit code. */
int killswitch_cmd(int argc, char **argv, const char *policy);
