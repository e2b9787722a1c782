// SPDX-License-Identifier: MIT
/* run_util.h: what both test runners need when a run must end early. */
#ifndef PVISOR_TESTS_RUN_UTIL_H
#define PVISOR_TESTS_RUN_UTIL_H

/*
 * SIGKILLs every child of this process (a daemon a test started would
 * otherwise outlive the runner and hold its output pipe open).
 * Async-signal-safe: for timeout handlers.
 */
void run_kill_children(void);

#endif
