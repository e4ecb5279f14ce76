/* Exit statuses of DEVELOPERS.md / design.md: the child's own code on a normal exit, else: */
#pragma once
#define EXIT_MCPCAGE_ERROR 125 /* bad usage, bad policy, setup failure */
#define EXIT_CANNOT_EXEC 126   /* command found but not runnable */
#define EXIT_NOT_FOUND 127     /* command not found */
#define EXIT_SIGNAL_BASE 128   /* 128+N: child died of signal N */
