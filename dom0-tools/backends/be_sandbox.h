/* SPDX-License-Identifier: MIT */
/* be_sandbox.h: no_new_privs and a seccomp allow-list for a dom0 daemon. */
#ifndef PVISOR_DOM0_TOOLS_BACKENDS_BE_SANDBOX_H
#define PVISOR_DOM0_TOOLS_BACKENDS_BE_SANDBOX_H

#include <stddef.h>

/*
 * Sets no_new_privs and installs a seccomp filter that allows the system
 * calls in allowed[0..n) plus those every daemon needs to log, allocate
 * memory and exit. Any other system call raises SIGSYS: a handler writes
 * "forbidden system call N" to log_fd and the process dies of SIGSYS.
 * Call it once start-up is done (files and sockets opened). In builds
 * with AddressSanitizer, whose runtime makes system calls of its own, the
 * filter is not installed (no_new_privs still is) and *skipped is set.
 * Returns 0, or -errno (nothing installed when the filter failed).
 */
int be_sandbox_enter(const int *allowed, size_t n, int log_fd, int *skipped);

#endif /* PVISOR_DOM0_TOOLS_BACKENDS_BE_SANDBOX_H */
