/* What this CPU can run, asked once. The scanners' AVX2 loops (jsonscan.c, the guards'
 * jsonstr-avx2.c, injection.c and redact-gate.c) and the AVX-512 ones of jsonscan.c,
 * injection.c and redact-gate.c are chosen at run time, so one build runs on any x86-64;
 * elsewhere the answer is no and their portable loops serve. */
#pragma once

#include <stdbool.h>

#define CPU_AVX2 1u
#define CPU_AVX512BW 2u
#define CPU_AVX512VBMI 4u
/* x86-64's baseline, so always there; a bit of its own so a test can take it away and run
 * the byte loops that the SSE2 ones are checked against. */
#define CPU_SSE2 8u

bool cpu_has_avx2(void);
/* AVX-512BW (with AVX-512F), the kernel saving the 512-bit registers, and AVX2. */
bool cpu_has_avx512bw(void);

/* The CPU_* bits this CPU has: the features a compiled Hyperscan database can depend on
 * (redact-hs-cache.c keys its files by them). */
unsigned cpu_simd_features(void);

/* For tests: from now on the answers above include at most the CPU_* bits of mask (0: the
 * portable loops only), so a test can run a narrower loop on a CPU that has more. Scanners
 * that pick their loop per call follow at once (jsonscan.c, injection.c); others choose
 * when they are set up (redact-gate.c, jsonstr-avx2.c). */
void cpu_simd_limit(unsigned mask);
