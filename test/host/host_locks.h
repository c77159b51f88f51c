/* The host's record of spinlock problems (test/host/host_locks.c). */
#ifndef COOP_TEST_HOST_LOCKS_H
#define COOP_TEST_HOST_LOCKS_H

#include "hal/hal.h"
#include "hal/smp/spinlock.h"

unsigned long host_lock_problems(enum lock_problem what);
/* The holder CPU the last report saw (-1: none), and the CPU reporting. */
int host_lock_last_holder(void);
int host_lock_last_reporter(void);
void host_lock_reset(void);

#endif
