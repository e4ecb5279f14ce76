#include "sandbox/sharedstack.h"

#include <stdbool.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>

/* Written by the child, read by mcpcage after it has left. */
static const void *parent_bottom;
static size_t parent_size;
static bool switched;

void *shared_stack_prepare(char *base, size_t size)
{
        /* The last child's frames poisoned the array's shadow, which is mcpcage's own. */
        __asan_unpoison_memory_region(base, size);
        return base + size;
}

void shared_stack_enter(char *base, size_t size)
{
        /* Without this the sanitizer sees a stack pointer outside the thread's stack at each
         * call of a noreturn function, and warns on the server's stderr. */
        void *fake = NULL;
        __sanitizer_start_switch_fiber(&fake, base, size);
        __sanitizer_finish_switch_fiber(fake, &parent_bottom, &parent_size);
        switched = true;
}

void shared_stack_left(void)
{
        if (!switched)
                return;
        switched = false;
        void *fake = NULL;
        __sanitizer_start_switch_fiber(&fake, parent_bottom, parent_size);
        __sanitizer_finish_switch_fiber(fake, NULL, NULL);
}
#else
void *shared_stack_prepare(char *base, size_t size) { return base + size; }
void shared_stack_enter(char *base, size_t size) { (void)base; (void)size; }
void shared_stack_left(void) { }
#endif
