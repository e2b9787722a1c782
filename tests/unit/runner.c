// SPDX-License-Identifier: MIT
/* runner.c: runs every unit suite and prints one summary line. */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/Basic.h>

#include "unit.h"
#include "run_util.h"

static const struct unit_suite *const suites[] = {
    /* One a line, so that adding a suite touches one line. */
    /* clang-format off */
    &unit_suite_abi,
    &unit_suite_blkback,
    &unit_suite_cfg,
    &unit_suite_elf,
    &unit_suite_elf_xen,
    &unit_suite_guestmem,
    &unit_suite_hypercall,
    &unit_suite_evtchn,
    &unit_suite_gnttab,
    &unit_suite_insn,
    &unit_suite_mgmt,
    &unit_suite_netback,
    &unit_suite_console,
    &unit_suite_store,
    &unit_suite_store_client,
    &unit_suite_sandbox,
    &unit_suite_daemon,
    &unit_suite_obs,
    &unit_suite_save,
    &unit_suite_mgmt_server,
    &unit_suite_domain,
    /* clang-format on */
};

unsigned unit_skipped;

void unit_skip(const char *test, const char *why)
{
    unit_skipped++;
    printf("\n  SKIPPED %s: %s\n", test, why);
}

/* Seconds all unit tests together may take ($PVISOR_UNIT_TIMEOUT). */
#define UNIT_TIMEOUT_S 300

static unsigned timeout_s = UNIT_TIMEOUT_S;

/*
 * SIGALRM: the run hung (a daemon that never exits, a read that never
 * returns). Name the test, count it and every test not run as failed, and
 * end the process: CI gets a failure instead of a stall.
 */
static void on_timeout(int sig)
{
    CU_pTest t = CU_get_current_test();
    CU_pSuite s = CU_get_current_suite();
    CU_pTestRegistry reg = CU_get_registry();
    unsigned run = CU_get_number_of_tests_run();
    unsigned failed = CU_get_number_of_tests_failed();
    unsigned total = reg ? reg->uiNumberOfTests : run + 1;
    char msg[512];
    int n;

    (void)sig;
    run_kill_children();
    n = snprintf(msg, sizeof(msg),
                 "\nFAILED unit/%s/%s: TIMEOUT, still running after %u s "
                 "(all unit tests together may take %u s); %u tests not "
                 "run\nunit: %u passed, %u failed, 0 skipped\n",
                 s ? s->pName : "?", t ? t->pName : "(set-up or clean-up)",
                 timeout_s, timeout_s, total > run + 1 ? total - run - 1 : 0,
                 run > failed ? run - failed : 0,
                 failed + (total > run ? total - run : 1));
    if (n > 0 && write(1, msg, (size_t)n) < 0)
        _exit(3);
    _exit(1);
}

int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    const char *limit = getenv("PVISOR_UNIT_TIMEOUT");
    bool found = false;

    if (limit && atoi(limit) > 0)
        timeout_s = (unsigned)atoi(limit);

    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
        const struct unit_suite *s = suites[i];
        if (only && strcmp(only, s->name) != 0)
            continue;
        found = true;
        CU_pSuite cs = CU_add_suite(s->name, s->init, s->cleanup);
        if (!cs)
            return 2;
        for (const struct unit_test *t = s->tests; t->name; t++)
            if (!CU_add_test(cs, t->name, t->fn))
                return 2;
    }
    if (!found) {
        printf("unit: no suite named '%s'\n"
               "unit: 0 passed, 1 failed, 0 skipped\n",
               only);
        CU_cleanup_registry();
        return 2;
    }
    signal(SIGALRM, on_timeout);
    alarm(timeout_s);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    alarm(0);
    unsigned run = CU_get_number_of_tests_run();
    unsigned failed = CU_get_number_of_tests_failed();
    unsigned lost = 0;

    /*
     * A suite whose init failed ran none of its tests: each of them counts
     * as failed. A suite whose cleanup failed counts as one failure more.
     */
    for (CU_pFailureRecord f = CU_get_failure_list(); f; f = f->pNext) {
        if (f->type == CUF_SuiteInitFailed && f->pSuite) {
            printf("FAILED unit/%s: its set-up failed, %u tests not run\n",
                   f->pSuite->pName, f->pSuite->uiNumberOfTests);
            lost += f->pSuite->uiNumberOfTests;
        } else if (f->type == CUF_SuiteCleanupFailed && f->pSuite) {
            printf("FAILED unit/%s: its clean-up failed\n", f->pSuite->pName);
            lost++;
        }
    }
    failed += lost;
    /* A test that skipped itself (unit_skip) ran but did not pass. */
    unsigned not_passed = CU_get_number_of_tests_failed() + unit_skipped;
    printf("unit: %u passed, %u failed, %u skipped\n",
           run > not_passed ? run - not_passed : 0, failed, unit_skipped);
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
