// SPDX-License-Identifier: MIT
/* runner.c: runs every integration suite and prints one summary line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/Basic.h>

#include "harness.h"

static const struct integ_suite *const suites[] = {
    &integ_suite_cli,       &integ_suite_boot,   &integ_suite_crash,
    &integ_suite_lifecycle, &integ_suite_errors, &integ_suite_store,
    &integ_suite_console,   &integ_suite_net,    &integ_suite_block,
    &integ_suite_skel,      &integ_suite_obs,    &integ_suite_sched,
    &integ_suite_mem,
};
#define NR_SUITES (sizeof(suites) / sizeof(suites[0]))

static const struct integ_hooks *const hooks[] = {
    &integ_hooks_net,
    &integ_hooks_block,
    &integ_hooks_sched,
};
#define NR_HOOKS (sizeof(hooks) / sizeof(hooks[0]))

/* The hooks of the running suite, NULL if it has none. */
static const struct integ_hooks *current_hooks(void)
{
    CU_pSuite cs = CU_get_current_suite();

    for (size_t i = 0; cs && i < NR_HOOKS; i++)
        if (!strcmp(hooks[i]->suite, cs->pName))
            return hooks[i];
    return NULL;
}

/* CUnit's fixtures take no arguments: one pair per kind of suite. */
static void setup_host(void)
{
    const struct integ_hooks *k = current_hooks();
    const char *why = k && k->setup ? k->setup() : NULL;

    hx_test_setup(true);
    if (why)
        snprintf(hx.setup_error, sizeof(hx.setup_error), "%s", why);
}

static void setup_plain(void)
{
    hx_test_setup(false);
}

static void teardown(void)
{
    const struct integ_hooks *k = current_hooks();

    hx_test_teardown();
    if (k && k->teardown)
        k->teardown();
}

/*
 * Every test goes through here: if the fixture failed, the test fails
 * with the reason instead of running against nothing.
 */
static void dispatch(void)
{
    CU_pTest cur = CU_get_current_test();
    CU_pSuite cs = CU_get_current_suite();

    HX_REQUIRE(!hx.setup_error[0], "fixture: %s", hx.setup_error);
    for (size_t i = 0; i < NR_SUITES; i++) {
        if (strcmp(suites[i]->name, cs->pName))
            continue;
        for (const struct integ_test *t = suites[i]->tests; t->name; t++)
            if (!strcmp(t->name, cur->pName)) {
                t->fn();
                return;
            }
    }
    HX_CHECK(false, "no such test %s/%s", cs->pName, cur->pName);
}

static bool selected(const char *suite, const char *test, int nf,
                     char **filters)
{
    char full[256];

    if (nf == 0)
        return true;
    snprintf(full, sizeof(full), "%s/%s", suite, test);
    for (int i = 0; i < nf; i++)
        if (strstr(full, filters[i]))
            return true;
    return false;
}

static void usage(void)
{
    printf("usage: integration-tests [BUILD_DIR [FILTER...]]\n"
           "       integration-tests --kvm-check\n"
           "       integration-tests --list\n"
           "Runs from the repository root. BUILD_DIR defaults to "
           "$PVISOR_BUILD, else \"build\".\nA FILTER selects the tests "
           "whose suite/name contains it.\n");
}

int main(int argc, char **argv)
{
    const char *build = getenv("PVISOR_BUILD");
    const char *no_kvm, *skip_why = NULL;
    unsigned skipped = 0, run, failed;
    int nf = 0;
    char **filters = NULL;

    if (argc > 1 && !strcmp(argv[1], "--kvm-check")) {
        no_kvm = hx_kvm_usable();
        printf("%s\n", no_kvm ? no_kvm : "/dev/kvm is usable");
        return no_kvm ? 1 : 0;
    }
    if (argc > 1 && !strcmp(argv[1], "--list")) {
        for (size_t i = 0; i < NR_SUITES; i++)
            for (const struct integ_test *t = suites[i]->tests; t->name; t++)
                printf("%s/%s%s\n", suites[i]->name, t->name,
                       suites[i]->host ? "" : " (no KVM needed)");
        return 0;
    }
    if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        usage();
        return 0;
    }
    if (argc > 1)
        build = argv[1];
    if (argc > 2) {
        filters = argv + 2;
        nf = argc - 2;
    }
    if (!build || !*build)
        build = "build";
    if (hx_init(build) != 0) {
        printf("integration: 0 passed, 1 failed, 0 skipped\n");
        return 2;
    }
    no_kvm = hx_kvm_usable();

    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    for (size_t i = 0; i < NR_SUITES; i++) {
        const struct integ_suite *s = suites[i];
        const char *why = s->host ? no_kvm : NULL;
        bool asked = false;
        CU_pSuite cs = NULL;

        for (const struct integ_test *t = s->tests; t->name; t++) {
            if (!selected(s->name, t->name, nf, filters))
                continue;
            for (size_t j = 0; !why && !asked && j < NR_HOOKS; j++)
                if (!strcmp(hooks[j]->suite, s->name) && hooks[j]->skip)
                    why = hooks[j]->skip();
            asked = true;
            if (why) {
                /* CUnit has no "skipped": keep them out of its registry. */
                printf("SKIPPED integration/%s/%s: %s\n", s->name, t->name,
                       why);
                skipped++;
                skip_why = !skip_why || !strcmp(skip_why, why)
                               ? why
                               : "see the SKIPPED lines above";
                continue;
            }
            if (!cs)
                cs = CU_add_suite_with_setup_and_teardown(
                    s->name, NULL, NULL, s->host ? setup_host : setup_plain,
                    teardown);
            if (!cs || !CU_add_test(cs, t->name, dispatch))
                return 2;
        }
    }
    if (skipped)
        printf("\n*** SKIPPED %u integration tests: %s ***\n", skipped,
               skip_why);

    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    failed = CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
    run = CU_get_number_of_tests_run();
    CU_cleanup_registry();
    if (skipped)
        printf("\n*** SKIPPED %u integration tests: %s ***\n", skipped,
               skip_why);
    printf("integration: %u passed, %u failed, %u skipped\n",
           run > failed ? run - failed : 0, failed, skipped);
    return failed ? 1 : 0;
}
