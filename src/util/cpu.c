#include "util/cpu.h"

#include <pthread.h>

static unsigned features;
static unsigned limit = ~0u;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void probe(void)
{
#if defined(__x86_64__)
        __builtin_cpu_init();
        features = (__builtin_cpu_supports("avx2") ? CPU_AVX2 : 0) |
                   (__builtin_cpu_supports("avx512bw") ? CPU_AVX512BW : 0) |
                   (__builtin_cpu_supports("avx512vbmi") ? CPU_AVX512VBMI : 0);
#endif
#if defined(__SSE2__)
        features |= CPU_SSE2;
#endif
}

unsigned cpu_simd_features(void)
{
        pthread_once(&once, probe);
        return features & limit;
}

void cpu_simd_limit(unsigned mask)
{
        limit = mask;
}

bool cpu_has_avx2(void)
{
        return cpu_simd_features() & CPU_AVX2;
}

bool cpu_has_avx512bw(void)
{
        /* the AVX-512 loops leave their tails to the AVX2 ones */
        unsigned want = CPU_AVX2 | CPU_AVX512BW;
        return (cpu_simd_features() & want) == want;
}
