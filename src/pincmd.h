/* `mcpcage pin list|show|approve|reset`: review what mcp.pin recorded (policy.md). */
#pragma once

/* argv after "pin". Returns an exit code (0, 1 when a KEY names no pin, 125 on errors). */
int pincmd_run(int argc, char **argv);
