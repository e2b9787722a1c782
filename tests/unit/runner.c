// SPDX-License-Identifier: MIT
/* runner.c: runs every unit suite and prints one summary line. */
#include <stdio.h>
#include <string.h>
#include <CUnit/Basic.h>

#include "unit.h"

static const struct unit_suite *const suites[] = {
    &unit_suite_abi,    &unit_suite_blkback,      &unit_suite_cfg,
    &unit_suite_elf,    &unit_suite_guestmem,     &unit_suite_hypercall,
    &unit_suite_evtchn, &unit_suite_gnttab,       &unit_suite_insn,
    &unit_suite_mgmt,   &unit_suite_netback,      &unit_suite_console,
    &unit_suite_store,  &unit_suite_store_client, &unit_suite_mgmt_server,
    &unit_suite_domain,
};

int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;

    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
        const struct unit_suite *s = suites[i];
        if (only && strcmp(only, s->name) != 0)
            continue;
        CU_pSuite cs = CU_add_suite(s->name, s->init, s->cleanup);
        if (!cs)
            return 2;
        for (const struct unit_test *t = s->tests; t->name; t++)
            if (!CU_add_test(cs, t->name, t->fn))
                return 2;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed =
        CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
    unsigned run = CU_get_number_of_tests_run();
    printf("unit: %u passed, %u failed, 0 skipped\n", run - failed, failed);
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
