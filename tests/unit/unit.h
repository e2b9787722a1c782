/* SPDX-License-Identifier: MIT */
/* unit.h: how unit-test files register their CUnit suites. */
#ifndef PVISOR_TESTS_UNIT_UNIT_H
#define PVISOR_TESTS_UNIT_UNIT_H

#include <CUnit/CUnit.h>

struct unit_test {
    const char *name;
    CU_TestFunc fn;
};

struct unit_suite {
    const char *name;
    CU_InitializeFunc init;        /* may be NULL */
    CU_CleanupFunc cleanup;        /* may be NULL */
    const struct unit_test *tests; /* terminated by { NULL, NULL } */
};

/*
 * A test that cannot run here (a missing host package) calls this and
 * returns: it is counted and reported as skipped, never as passed.
 */
void unit_skip(const char *test, const char *why);

/* Each test file defines one suite; runner.c lists them all. */
extern const struct unit_suite unit_suite_abi;
extern const struct unit_suite unit_suite_blkback;
extern const struct unit_suite unit_suite_cfg;
extern const struct unit_suite unit_suite_daemon;
extern const struct unit_suite unit_suite_elf;
extern const struct unit_suite unit_suite_elf_xen;
extern const struct unit_suite unit_suite_guestmem;
extern const struct unit_suite unit_suite_hypercall;
extern const struct unit_suite unit_suite_evtchn;
extern const struct unit_suite unit_suite_gnttab;
extern const struct unit_suite unit_suite_insn;
extern const struct unit_suite unit_suite_mgmt;
extern const struct unit_suite unit_suite_mgmt_server;
extern const struct unit_suite unit_suite_domain;
extern const struct unit_suite unit_suite_netback;
extern const struct unit_suite unit_suite_console;
extern const struct unit_suite unit_suite_store;
extern const struct unit_suite unit_suite_store_client;
extern const struct unit_suite unit_suite_sandbox;
extern const struct unit_suite unit_suite_obs;
extern const struct unit_suite unit_suite_save;

#endif
