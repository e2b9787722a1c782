/* SPDX-License-Identifier: MIT */
/* hx_extra.h: helpers for the store and console integration suites. */
#ifndef PVISOR_TESTS_INTEGRATION_HX_EXTRA_H
#define PVISOR_TESTS_INTEGRATION_HX_EXTRA_H

#include <stdbool.h>
#include <sys/types.h>

#include "harness.h"

/* Path of tests/guests/NAME.cfg. */
const char *hxe_test_cfg(const char *guest);

/*
 * pvctl create CFG name="NAME" kernel="<build>/guests/GUEST.elf" plus
 * overrides (NULL-terminated). Returns the new domid or -1.
 */
int hxe_create(struct hx_run *r, const char *cfg, const char *guest,
               const char *name, const char *const overrides[]);

/*
 * Runs `/bin/sh -c CMD` in the run dir's environment (PVISOR_RUN_DIR set,
 * build/bin first in PATH), as hx_exec.
 */
int hxe_sh(struct hx_run *r, unsigned timeout_ms, hx_stop_fn stop, void *arg,
           const char *cmd);

/*
 * The host process of proc domain DOMID (named pvisor-dDOMID, a child of
 * this test's pvisor; its first thread runs vCPU 0), 0 if none.
 */
pid_t hxe_guest_process(int domid);

/* pvctl store read PATH: the value without its newline, NULL on error. */
const char *hxe_store_read(const char *path);

/* $RUN/console/NAME.log, "" if it does not exist. Never NULL. */
const char *hxe_console_log(const char *name);

/* Polls $RUN/console/NAME.log until it holds needle; its text or NULL. */
const char *hxe_wait_log(const char *name, const char *needle,
                         unsigned timeout_ms);

/*
 * Sends `req` to the unix stream socket PATH and reads until `lines`
 * newline-terminated lines arrived, the peer closed, or timeout_ms passed.
 * Returns what was read (never NULL); "connect: ..." when it could not
 * connect.
 */
const char *hxe_unix_chat(const char *path, const char *req, unsigned lines,
                          unsigned timeout_ms);

/* Stop predicate: out contains the string arg. */
bool hxe_stop_str(const char *out, void *arg);

/* pvctl destroy DOM, ignoring the result (cleanup). */
void hxe_destroy(const char *dom);

/* Milliseconds on the monotonic clock. */
unsigned long long hxe_now_ms(void);

/* The highest N of the lines "PREFIXN TAIL..." in text (guests count
 * their rounds this way: "saver: count 12 ok"); 0 if there is none. */
unsigned long hxe_last_count(const char *text, const char *prefix,
                             const char *tail);

#endif
