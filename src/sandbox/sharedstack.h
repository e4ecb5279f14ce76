/* The stack of a child that runs on mcpcage's memory (CLONE_VM: the sandbox child until init
 * execs mcpcage-init, or the server of isolation none until its execve()). Only
 * AddressSanitizer needs telling; elsewhere these do nothing. The child and mcpcage share
 * the sanitizer's per-thread record as they share all memory, so the child names its stack
 * when it starts and mcpcage names its own again once the child has left. */
#pragma once

#include <stddef.h>

/* mcpcage, before clone(): clears what an earlier child left in the array's shadow; returns
 * the top, which clone() takes. */
void *shared_stack_prepare(char *base, size_t size);

/* The child, first thing it may write (after its release): its stack is [base, base+size). */
void shared_stack_enter(char *base, size_t size);

/* mcpcage, once the child has exec'd or died: its own stack again, if the child said
 * otherwise. */
void shared_stack_left(void);
