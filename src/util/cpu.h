/* What this CPU can run, asked once. The scanners' AVX2 loops (jsonscan.c, the guards'
 * jsonstr-avx2.c, injection.c and redact-gate.c) are chosen at run time, so one build
 * runs on any x86-64; elsewhere the answer is no and their portable loops serve. */
#pragma once

#include <stdbool.h>

bool cpu_has_avx2(void);
