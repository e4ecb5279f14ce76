#include "util/cpu.h"

#include <pthread.h>

static bool avx2;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void probe(void)
{
#if defined(__x86_64__)
        __builtin_cpu_init();
        avx2 = __builtin_cpu_supports("avx2");
#endif
}

bool cpu_has_avx2(void)
{
        pthread_once(&once, probe);
        return avx2;
}
