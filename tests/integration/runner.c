// SPDX-License-Identifier: MIT
/* runner.c: runs every integration suite and prints one summary line. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <CUnit/Basic.h>

#include "harness.h"
#include "run_util.h"

static const struct integ_suite *const suites[] = {
    /* One a line, so that adding a suite touches one line. */
    /* clang-format off */
    &integ_suite_cli,
    &integ_suite_boot,
    &integ_suite_crash,
    &integ_suite_lifecycle,
    &integ_suite_errors,
    &integ_suite_store,
    &integ_suite_console,
    &integ_suite_net,
    &integ_suite_block,
    &integ_suite_skel,
    &integ_suite_xen,
    &integ_suite_pvctl,
    &integ_suite_sandbox,
    &integ_suite_obs,
    &integ_suite_sched,
    &integ_suite_mem,
    &integ_suite_save,
    &integ_suite_migrate,
    &integ_suite_platform,
    /* clang-format on */
};
#define NR_SUITES (sizeof(suites) / sizeof(suites[0]))

static const struct integ_hooks *const hooks[] = {
    &integ_hooks_net,   &integ_hooks_block,   &integ_hooks_xen,
    &integ_hooks_sched, &integ_hooks_migrate,
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

/* Seconds one test (fixture included) may take ($PVISOR_TEST_TIMEOUT). */
#define TEST_TIMEOUT_S 300

static unsigned test_timeout_s = TEST_TIMEOUT_S;
static unsigned skipped;

static void say(const char *msg, int n)
{
    if (n > 0 && write(1, msg, (size_t)n) < 0)
        _exit(3);
}

/* Runs PROG with up to two arguments and waits up to 20 s for it. */
static void run_briefly(const char *prog, const char *a1, const char *a2,
                        const char *a3)
{
    struct timespec tick = { 0, 100 * 1000000L };
    pid_t pid = fork();

    if (pid == 0) {
        execl(prog, prog, a1, a2, a3, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; pid > 0 && i < 200; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return;
        nanosleep(&tick, NULL);
    }
    if (pid > 0)
        kill(pid, SIGKILL);
}

/* Writes the last 2 KiB of the test's pvisor.log. Async-signal-safe. */
static void log_tail(void)
{
    char path[PATH_MAX + 16], buf[2048];
    ssize_t n;
    off_t end;
    int fd;

    snprintf(path, sizeof(path), "%s/pvisor.log", hx.dir);
    fd = open(path, O_RDONLY);
    if (fd < 0)
        return;
    end = lseek(fd, 0, SEEK_END);
    if (end > (off_t)sizeof(buf))
        lseek(fd, end - (off_t)sizeof(buf), SEEK_SET);
    else
        lseek(fd, 0, SEEK_SET);
    n = read(fd, buf, sizeof(buf));
    close(fd);
    say("    --- end of pvisor.log ---\n",
        (int)strlen("    --- end of pvisor.log ---\n"));
    say(buf, (int)n);
}

/*
 * SIGALRM: the current test (or its fixture) hung. It fails by name, with
 * every test not run yet; the host side is stopped and the runner exits
 * with the summary line, so CI reports a failure instead of stalling.
 */
static void on_timeout(int sig)
{
    CU_pTest t = CU_get_current_test();
    CU_pSuite cs = CU_get_current_suite();
    CU_pTestRegistry reg = CU_get_registry();
    unsigned run = CU_get_number_of_tests_run();
    unsigned failed =
        CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
    unsigned total = reg ? reg->uiNumberOfTests : run + 1;
    unsigned partial = hx_partial_skips();
    unsigned not_run = total > run + 1 ? total - run - 1 : 0;
    char msg[PATH_MAX + 512];
    int n;

    (void)sig;
    n = snprintf(msg, sizeof(msg),
                 "\nFAILED integration/%s/%s: TIMEOUT, no end after %u s "
                 "(PVISOR_TEST_TIMEOUT); stopping the host side in %s\n",
                 cs ? cs->pName : "?", t ? t->pName : "?", test_timeout_s,
                 hx.dir);
    say(msg, n);
    if (hx.host_up && hx.dir[0])
        log_tail();
    if (hx.host_up && hx.dir[0])
        run_briefly(hx.pvhost, "stop", "-r", hx.dir);
    run_kill_children();
    if (hx.dir[0])
        run_briefly("/bin/rm", "-rf", "--", hx.dir);
    n = snprintf(msg, sizeof(msg),
                 "integration: stopped after the timeout; %u tests not run "
                 "count as failed\n"
                 "integration: %u passed, %u failed, %u skipped\n",
                 not_run, run > failed + partial ? run - failed - partial : 0,
                 failed + 1 + not_run, skipped + partial);
    say(msg, n);
    _exit(1);
}

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

/* CUnit's fixtures take no arguments: one pair per kind of suite. */
static void setup_host(void)
{
    const struct integ_hooks *k = current_hooks();
    CU_pTest cur = CU_get_current_test();
    const char *why;

    alarm(test_timeout_s); /* disarmed at the end of teardown() */
    test_platform(cur ? cur->pName : "", hx.platform, sizeof(hx.platform));
    why = k && k->setup ? k->setup() : NULL;
    hx_test_setup(true);
    if (why)
        snprintf(hx.setup_error, sizeof(hx.setup_error), "%s", why);
}

static void setup_plain(void)
{
    alarm(test_timeout_s);
    hx.platform[0] = '\0';
    hx_test_setup(false);
}

static void teardown(void)
{
    const struct integ_hooks *k = current_hooks();

    hx_test_teardown();
    if (k && k->teardown)
        k->teardown();
    alarm(0);
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

/* Why test cannot run on platform p here (with the missing facility), or
 * NULL. A gap of the proc platform is no missing facility: it fails. */
static const char *platform_why(size_t p, const char *no_kvm, const char *suite,
                                const char *test, const char **facility)
{
    if (p == 0) {
        *facility = no_kvm ? "/dev/kvm" : NULL;
        return no_kvm;
    }
    *facility = NULL;
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
    const char *limit = getenv("PVISOR_TEST_TIMEOUT");
    const char *no_kvm, *skip_why = NULL;
    unsigned run, failed, partial, refused = 0;
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
                    printf("%s/%s (no guest)\n", suites[i]->name, t->name);
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
    if (limit && atoi(limit) > 0)
        test_timeout_s = (unsigned)atoi(limit);
    no_kvm = hx_kvm_usable();

    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    for (size_t i = 0; i < NR_SUITES; i++) {
        const struct integ_suite *s = suites[i];
        const char *hook_why = NULL, *hook_facility = NULL;
        bool asked = false;
        CU_pSuite cs = NULL;

        for (const struct integ_test *t = s->tests; t->name; t++) {
            for (size_t p = 0; p < (s->host ? NR_PLATFORMS : 1); p++) {
                const char *why = NULL, *facility = NULL;
                char name[128];

                if (s->host)
                    snprintf(name, sizeof(name), "%s[%s]", t->name,
                             platforms[p]);
                else
                    snprintf(name, sizeof(name), "%s", t->name);
                if (!selected(s->name, name, nf, filters))
                    continue;
                for (size_t j = 0; !asked && j < NR_HOOKS; j++)
                    if (!strcmp(hooks[j]->suite, s->name) && hooks[j]->skip)
                        hook_why = hooks[j]->skip(&hook_facility);
                asked = true;
                if (s->host)
                    why = platform_why(p, no_kvm, s->name, t->name, &facility);
                if (!why) {
                    why = hook_why;
                    facility = hook_facility;
                }
                if (why && !facility) {
                    /* Not a missing host facility: the test fails. */
                    printf("FAILED integration/%s/%s: cannot run, and that "
                           "is no missing host facility: %s\n",
                           s->name, name, why);
                    refused++;
                    continue;
                }
                if (why) {
                    /* CUnit has no "skipped": keep them out of its
                     * registry. */
                    printf("SKIPPED integration/%s/%s: %s (missing host "
                           "facility: %s)\n",
                           s->name, name, why, facility);
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
    if (nf && !skipped && !refused && !CU_get_registry()->uiNumberOfTests) {
        printf("integration: no test matches the filters\n"
               "integration: 0 passed, 1 failed, 0 skipped\n");
        CU_cleanup_registry();
        return 2;
    }

    signal(SIGALRM, on_timeout);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    failed = CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
    run = CU_get_number_of_tests_run();
    CU_cleanup_registry();
    /* Passed but for a part that needs what this host lacks: skipped. */
    partial = hx_partial_skips();
    if (partial) {
        printf("\n");
        hx_print_partial_skips();
    }
    if (skipped)
        printf("\n*** SKIPPED %u integration tests: %s ***\n", skipped,
               skip_why);
    if (partial)
        printf("*** SKIPPED %u more integration tests in part (see the "
               "SKIPPED lines above) ***\n",
               partial);
    failed += refused;
    printf("integration: %u passed, %u failed, %u skipped\n",
           run > failed - refused + partial ? run - (failed - refused) - partial
                                            : 0,
           failed, skipped + partial);
    return failed ? 1 : 0;
}
