/* SPDX-License-Identifier: MIT */
/* harness.h: integration-test harness: host fixture, pvctl runs, checks. */
#ifndef PVISOR_TESTS_INTEGRATION_HARNESS_H
#define PVISOR_TESTS_INTEGRATION_HARNESS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <CUnit/CUnit.h>

/* Default time limits (milliseconds) for one child program. */
#define HX_CMD_MS   15000 /* any pvctl command */
#define HX_GUEST_MS 30000 /* a guest that runs to its end */

struct integ_test {
    const char *name;
    void (*fn)(void);
};

struct integ_suite {
    const char *name;
    bool host; /* starts pvisor for each test: runs once per platform */
    const struct integ_test *tests; /* terminated by { NULL, NULL } */
};

/*
 * Optional hooks of a suite, matched by name (runner.c lists them). skip:
 * asked once before the suite's tests are registered: why they cannot run
 * on this machine, or NULL; they are then reported SKIPPED like tests
 * without KVM. A skip is only for a missing host facility, which skip
 * names in *facility (e.g. "/dev/net/tun"); a reason without one fails the
 * suite's tests instead (a binary the build should have made or a daemon
 * that did not start is a failure, never a skip). setup: before each test's fixture (before pvhost starts); a
 * reason it returns fails the test. teardown: after the fixture stopped
 * the host side, also when the test failed.
 */
struct integ_hooks {
    const char *suite;
    const char *(*skip)(const char **facility);
    const char *(*setup)(void);
    void (*teardown)(void);
};

/* Each test file defines its suites; runner.c lists them all. */
extern const struct integ_suite integ_suite_cli;
extern const struct integ_suite integ_suite_boot;
extern const struct integ_suite integ_suite_crash;
extern const struct integ_suite integ_suite_lifecycle;
extern const struct integ_suite integ_suite_errors;
extern const struct integ_suite integ_suite_store;
extern const struct integ_suite integ_suite_console;
extern const struct integ_suite integ_suite_block;
extern const struct integ_suite integ_suite_net;
extern const struct integ_suite integ_suite_skel;
extern const struct integ_suite integ_suite_sandbox;
extern const struct integ_suite integ_suite_pvctl;
extern const struct integ_suite integ_suite_platform;
extern const struct integ_hooks integ_hooks_net;
extern const struct integ_hooks integ_hooks_block;
extern const struct integ_suite integ_suite_xen;
extern const struct integ_hooks integ_hooks_xen;
extern const struct integ_suite integ_suite_obs;
extern const struct integ_suite integ_suite_sched;
extern const struct integ_suite integ_suite_mem;
extern const struct integ_suite integ_suite_save;
extern const struct integ_suite integ_suite_migrate;
extern const struct integ_hooks integ_hooks_migrate;
extern const struct integ_hooks integ_hooks_sched;

/* Paths and per-test state. All paths are absolute. */
struct hx_state {
    char root[PATH_MAX];  /* repository root (the cwd) */
    char build[PATH_MAX]; /* build directory */
    char pvctl[PATH_MAX];
    char pvhost[PATH_MAX];
    char pvisor[PATH_MAX];
    char dir[PATH_MAX];     /* this test's temporary dir = run dir */
    bool host_up;           /* pvisor started for this test */
    char platform[16];      /* "kvm" or "proc": pvisor --platform */
    char setup_error[8192]; /* why the fixture failed, "" if it did not */
};

extern struct hx_state hx;

/* Output and status of one finished child program. */
struct hx_run {
    int exit_code;  /* exit status, -1 if killed by a signal */
    int signal;     /* terminating signal, 0 if none */
    bool timed_out; /* killed by the harness after its limit */
    bool stopped;   /* killed because the stop predicate held */
    char *out;      /* stdout, NUL-terminated, owned by harness */
    char *err;      /* stderr, likewise */
};

/* Returns true to stop a running child early (it is then killed). */
typedef bool (*hx_stop_fn)(const char *out, void *arg);

/*
 * Resolves the repository root (cwd) and build directory (relative to the
 * root unless absolute). Returns 0, or -1 with a message on stderr.
 */
int hx_init(const char *build);

/*
 * Opens /dev/kvm, checks KVM_GET_API_VERSION and KVM_CREATE_VM. Returns
 * NULL when KVM is usable, else a static one-line reason.
 */
const char *hx_kvm_usable(void);

/*
 * Per-test fixture. hx_test_setup() creates a fresh directory under /tmp
 * and, when host is true, starts the host side there through pvhost (on
 * failure hx.setup_error says why). hx_test_teardown() asserts (through
 * CUnit, so it counts against the current test) that pvisor is still alive
 * and that no sanitizer report appeared, prints the log tail if the test
 * failed, stops the host side, removes the directory and frees everything
 * the harness handed out during the test.
 */
void hx_test_setup(bool host);
void hx_test_teardown(void);

/* Stops this test's host side and starts it again with pvisor_args (NULL-
 * terminated) passed to pvisor. 0, or -1 with hx.setup_error set. */
int hx_host_restart(const char *const *pvisor_args);

/*
 * Runs argv (argv[0] a path) with stdin from /dev/null, capturing stdout
 * and stderr, killing its process group after timeout_ms or as soon as
 * stop(out, arg) returns true. Fills *r (strings owned by the harness).
 * Returns 0, or -1 if the program could not be started.
 */
int hx_exec(struct hx_run *r, unsigned timeout_ms, hx_stop_fn stop, void *arg,
            const char *const argv[]);

/* pvctl -r <run dir> ARGS... (NULL-terminated); as hx_exec. */
int hx_pvctl(struct hx_run *r, unsigned timeout_ms, ...);
/* The same with an argument vector and a stop predicate. */
int hx_pvctlv(struct hx_run *r, unsigned timeout_ms, hx_stop_fn stop, void *arg,
              const char *const args[]);

/* Whether process pid runs: exists and is not a zombie (a daemon's
 * parent, init, may reap it late). */
bool hx_pid_running(pid_t pid);

/* Whether pvisor's pid is alive and `pvctl list` answers; why if not. */
bool hx_host_alive(char *why, size_t len);

/* Prints the last `lines` lines of pvisor.log to stdout. */
void hx_log_tail(int lines);

/* printf into a string the harness frees after the test. */
char *hx_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Path of build/guests/NAME.elf and guest-kit/examples/NAME.cfg. */
const char *hx_guest_elf(const char *example);
const char *hx_example_cfg(const char *example);

/* Writes text to hx.dir/name; returns the path or NULL. */
const char *hx_write_file(const char *name, const char *text);

/*
 * pvctl create EXAMPLE.cfg name="NAME" kernel="<build>/guests/EXAMPLE.elf"
 * plus overrides (NULL-terminated list, each "key=value" as on the command
 * line). Returns the new domid or -1; *r (may be NULL) gets the run.
 */
int hx_create(struct hx_run *r, const char *example, const char *name,
              const char *const overrides[]);

/*
 * pvctl console DOM: everything the domain wrote, streamed until the
 * domain stops (pvctl exits), until stop() holds, or for timeout_ms.
 * Never NULL.
 */
const char *hx_console(const char *dom, unsigned timeout_ms, hx_stop_fn stop,
                       void *arg);

/* What `pvctl list -l DOM` or `pvctl wait` says about a domain. */
struct hx_dominfo {
    bool found;
    int domid;
    char state[16];  /* running, blocked, paused, shutdown, ...; "timeout"
                        from hx_wait() when the domain did not stop */
    char reason[16]; /* shutdown reason, "" unless shut down */
    int code;        /* shutdown code, -1 unless shut down */
    unsigned restarts;
    const char *text; /* the full output */
};

/* pvctl list -l DOM. found=false if pvctl says there is no such domain. */
struct hx_dominfo hx_dominfo(const char *dom);

/*
 * pvctl wait -t SECS DOM, then parses "Domain N (NAME): STATE (REASON,
 * code C)". text holds stdout+stderr. When the domain is still live after
 * SECS, state is "timeout" (never a live or final state).
 */
struct hx_dominfo hx_wait(const char *dom, unsigned secs);

/* Whether d says exactly "shutdown (poweroff, code CODE)". */
bool hx_poweroff(const struct hx_dominfo *d, int code);

/* Polls hx_dominfo() until its state is `state` (or "gone"). */
bool hx_wait_state(const char *dom, const char *state, unsigned timeout_ms);

/* Number of (possibly overlapping-free) occurrences of needle in hay. */
unsigned hx_count(const char *hay, const char *needle);
/* Case-insensitive strstr. */
bool hx_contains_ci(const char *hay, const char *needle);
/* Stop predicate: stop once *(unsigned *)... see struct hx_count_arg. */
struct hx_count_arg {
    const char *needle;
    unsigned min;
};
bool hx_stop_count(const char *out, void *arg);

void hx_sleep_ms(unsigned ms);

/*
 * Records that part of the current test cannot run here for want of a host
 * facility (e.g. "hugetlbfs mount"): unless the test fails, it counts as
 * skipped, not passed, and is listed with its reason.
 */
void hx_skip_part(const char *facility, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Tests that passed but for a skipped part, so far. */
unsigned hx_partial_skips(void);

/* Prints a "SKIPPED integration/SUITE/TEST: ..." line for each of them. */
void hx_print_partial_skips(void);

/*
 * Records a check through CUnit with a formatted message that shows up in
 * the failure list. HX_REQUIRE ends the test when the check fails.
 */
void hx_check(bool ok, unsigned line, const char *file, const char *func,
              bool fatal, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
#define HX_CHECK(cond, ...) \
    hx_check(!!(cond), __LINE__, __FILE__, __func__, false, __VA_ARGS__)
#define HX_REQUIRE(cond, ...) \
    hx_check(!!(cond), __LINE__, __FILE__, __func__, true, __VA_ARGS__)

/* Fails the test unless a command exited 0; shows its stderr. */
#define HX_REQUIRE_OK(r, what)                                               \
    HX_REQUIRE((r)->exit_code == 0 && !(r)->timed_out, "%s: exit %d%s: %s",  \
               (what), (r)->exit_code, (r)->timed_out ? " (timed out)" : "", \
               (r)->err)

#endif
