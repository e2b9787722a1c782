// SPDX-License-Identifier: MIT
/* runner.c: runs every integration suite and prints one summary line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/Basic.h>

#include "harness.h"

static const struct integ_suite *const suites[] = {
    &integ_suite_cli,       &integ_suite_boot,     &integ_suite_crash,
    &integ_suite_lifecycle, &integ_suite_errors,   &integ_suite_store,
    &integ_suite_console,   &integ_suite_net,      &integ_suite_block,
    &integ_suite_skel,      &integ_suite_platform,
};
#define NR_SUITES (sizeof(suites) / sizeof(suites[0]))

static const struct integ_hooks *const hooks[] = {
    &integ_hooks_net,
    &integ_hooks_block,
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
/* "name[proc]" -> the platform in brackets; "" when there is none. */
static void test_platform(const char *name, char *out, size_t len)
{
    const char *b = strrchr(name, '[');
    size_t n;

    out[0] = '\0';
    if (!b || !strchr(b, ']'))
        return;
    n = (size_t)(strchr(b, ']') - b - 1);
    if (n < len) {
        memcpy(out, b + 1, n);
        out[n] = '\0';
    }
}

static void setup_host(void)
{
    const struct integ_hooks *k;
    const char *why;
    CU_pTest cur = CU_get_current_test();

    test_platform(cur ? cur->pName : "", hx.platform, sizeof(hx.platform));
    k = current_hooks();
    why = k && k->setup ? k->setup() : NULL;

    hx_test_setup(true);
    if (why)
        snprintf(hx.setup_error, sizeof(hx.setup_error), "%s", why);
}

static void setup_plain(void)
{
    hx.platform[0] = '\0';
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
            if (!strncmp(t->name, cur->pName, strlen(t->name)) &&
                (cur->pName[strlen(t->name)] == '\0' ||
                 cur->pName[strlen(t->name)] == '[')) {
                t->fn();
                return;
            }
    }
    HX_CHECK(false, "no such test %s/%s", cs->pName, cur->pName);
}

/*
 * Each test that starts pvisor runs on every platform, its name carrying
 * the platform ("boot/hello[proc]"). KVM needs a usable /dev/kvm; proc
 * needs nothing, but runs only what it supports so far (proc_gaps).
 */
static const char *const platforms[] = { "kvm", "proc" };
#define NR_PLATFORMS (sizeof(platforms) / sizeof(platforms[0]))

/* Tests not run on proc yet, and why (docs/architecture.md lists them). */
static const struct {
    const char *suite, *test, *why;
} proc_gaps[] = {
    { NULL, NULL, NULL },
};

static const char *platform_why(size_t p, const char *no_kvm, const char *suite,
                                const char *test)
{
    if (p == 0)
        return no_kvm;
    for (size_t i = 0; proc_gaps[i].suite; i++)
        if (!strcmp(proc_gaps[i].suite, suite) &&
            (!proc_gaps[i].test || !strcmp(proc_gaps[i].test, test)))
            return proc_gaps[i].why;
    return NULL;
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
            for (const struct integ_test *t = suites[i]->tests; t->name; t++) {
                if (!suites[i]->host) {
                    printf("%s/%s (no KVM needed)\n", suites[i]->name, t->name);
                    continue;
                }
                for (size_t p = 0; p < NR_PLATFORMS; p++)
                    printf("%s/%s[%s]\n", suites[i]->name, t->name,
                           platforms[p]);
            }
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
        const char *hook_why = NULL;
        bool asked = false;
        CU_pSuite cs = NULL;

        for (const struct integ_test *t = s->tests; t->name; t++) {
            for (size_t p = 0; p < (s->host ? NR_PLATFORMS : 1); p++) {
                char name[128];
                const char *why = NULL;

                if (s->host)
                    snprintf(name, sizeof(name), "%s[%s]", t->name,
                             platforms[p]);
                else
                    snprintf(name, sizeof(name), "%s", t->name);
                if (!selected(s->name, name, nf, filters))
                    continue;
                for (size_t j = 0; !asked && j < NR_HOOKS; j++)
                    if (!strcmp(hooks[j]->suite, s->name) && hooks[j]->skip)
                        hook_why = hooks[j]->skip();
                asked = true;
                if (s->host)
                    why = platform_why(p, no_kvm, s->name, t->name);
                if (!why)
                    why = hook_why;
                if (why) {
                    /* CUnit has no "skipped": keep them out of its
                     * registry. */
                    printf("SKIPPED integration/%s/%s: %s\n", s->name, name,
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
                if (!cs ||
                    !CU_add_test(cs, name, dispatch)) /* CUnit copies it */
                    return 2;
            }
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
