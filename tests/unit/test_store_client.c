// SPDX-License-Identifier: MIT
/* test_store_client.c: the xs.h client library against a real pvstored. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "be_xs.h"
#include "unit.h"
#include "xs.h"

static char tmpdir[] = "/tmp/pvstored-test-XXXXXX";
static char sock[PATH_MAX];
static pid_t daemon_pid = -1;

/* Starts ../bin/pvstored (next to this test binary) on a temp socket. */
static int start_daemon(void)
{
    char exe[PATH_MAX], bin[PATH_MAX + 32];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    struct stat sb;

    if (n <= 0 || !mkdtemp(tmpdir))
        return 1;
    exe[n] = '\0';
    snprintf(bin, sizeof(bin), "%s/../bin/pvstored", dirname(exe));
    snprintf(sock, sizeof(sock), "%s/pvstored.sock", tmpdir);
    setenv("XENSTORED_PATH", sock, 1);
    daemon_pid = fork();
    if (daemon_pid < 0)
        return 1;
    if (daemon_pid == 0) {
        execl(bin, "pvstored", "--run-dir", tmpdir, "--socket", sock,
              "--log-level", "err", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 500; i++) {
        if (stat(sock, &sb) == 0)
            return 0;
        usleep(10000);
    }
    fprintf(stderr, "pvstored (%s) did not start\n", bin);
    return 1;
}

static int stop_daemon(void)
{
    int status = 0;

    if (daemon_pid > 0) {
        int i = 0;

        kill(daemon_pid, SIGTERM);
        /* 5 s to exit cleanly, else it is killed and the clean-up fails */
        while (waitpid(daemon_pid, &status, WNOHANG) == 0 && ++i < 500)
            usleep(10000);
        if (i == 500) {
            fprintf(stderr, "pvstored did not exit 5 s after SIGTERM\n");
            kill(daemon_pid, SIGKILL);
            waitpid(daemon_pid, &status, 0);
            status = 1 << 8;
        }
        daemon_pid = -1;
    }
    rmdir(tmpdir);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

static void test_rw(void)
{
    struct xs_handle *h = xs_open(0);
    struct xs_permissions p[2] = { { 0, XS_PERM_NONE }, { 3, XS_PERM_READ } };
    struct xs_permissions *got;
    unsigned n, len;
    char **dir, *v;

    CU_ASSERT_FATAL(h != NULL);
    CU_ASSERT_TRUE(xs_write(h, XBT_NULL, "/c/a", "hello", 5));
    CU_ASSERT_TRUE(xs_mkdir(h, XBT_NULL, "/c/b"));
    v = xs_read(h, XBT_NULL, "/c/a", &len);
    CU_ASSERT_FATAL(v != NULL);
    CU_ASSERT_EQUAL(len, 5);
    CU_ASSERT_STRING_EQUAL(v, "hello");
    free(v);
    dir = xs_directory(h, XBT_NULL, "/c", &n);
    CU_ASSERT_FATAL(dir != NULL);
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_STRING_EQUAL(dir[0], "a");
    CU_ASSERT_STRING_EQUAL(dir[1], "b");
    free(dir);
    CU_ASSERT_PTR_NULL(xs_read(h, XBT_NULL, "/c/none", NULL));
    CU_ASSERT_EQUAL(errno, ENOENT);
    CU_ASSERT_FALSE(xs_write(h, XBT_NULL, "bad//path", "", 0));
    CU_ASSERT_EQUAL(errno, EINVAL);
    CU_ASSERT_TRUE(xs_set_permissions(h, XBT_NULL, "/c/a", p, 2));
    got = xs_get_permissions(h, XBT_NULL, "/c/a", &n);
    CU_ASSERT_FATAL(got != NULL);
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_EQUAL(got[1].id, 3);
    CU_ASSERT_EQUAL(got[1].perms, XS_PERM_READ);
    free(got);
    v = xs_get_domain_path(h, 4);
    CU_ASSERT_STRING_EQUAL(v, "/local/domain/4");
    free(v);
    CU_ASSERT_FALSE(xs_is_domain_introduced(h, 4));
    CU_ASSERT_TRUE(xs_rm(h, XBT_NULL, "/c"));
    CU_ASSERT_PTR_NULL(xs_read(h, XBT_NULL, "/c/a", NULL));
    xs_close(h);
}

/* A listing larger than one reply: xs_directory falls back to
 * XS_DIRECTORY_PART and still returns every child, in order. */
static void test_big_directory(void)
{
    struct xs_handle *h = xs_open(0);
    enum { N = 300 }; /* ~9 KiB of names, > XENSTORE_PAYLOAD_MAX */
    char path[64];
    unsigned n = 0;
    char **dir;
    int ok = 1;

    CU_ASSERT_FATAL(h != NULL);
    for (int i = 0; i < N; i++) {
        snprintf(path, sizeof(path), "/big/a-rather-long-child-name-%04d", i);
        if (!xs_write(h, XBT_NULL, path, "x", 1))
            ok = 0;
    }
    CU_ASSERT_TRUE_FATAL(ok);
    dir = xs_directory(h, XBT_NULL, "/big", &n);
    CU_ASSERT_FATAL(dir != NULL);
    CU_ASSERT_EQUAL(n, N);
    for (unsigned i = 0; i < n && i < N; i++) {
        snprintf(path, sizeof(path), "a-rather-long-child-name-%04u", i);
        if (strcmp(dir[i], path) != 0) {
            CU_FAIL("child out of order or missing");
            break;
        }
    }
    free(dir);
    CU_ASSERT_TRUE(xs_rm(h, XBT_NULL, "/big"));
    xs_close(h);
}

static void test_watch(void)
{
    struct xs_handle *h = xs_open(0), *w = xs_open(0);
    unsigned n;
    char **ev;

    CU_ASSERT_FATAL(h && w);
    CU_ASSERT_TRUE(xs_watch(w, "/wt", "tok"));
    ev = xs_read_watch(w, &n); /* the initial event */
    CU_ASSERT_FATAL(ev != NULL);
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_STRING_EQUAL(ev[XS_WATCH_PATH], "/wt");
    CU_ASSERT_STRING_EQUAL(ev[XS_WATCH_TOKEN], "tok");
    free(ev);
    CU_ASSERT_PTR_NULL(xs_check_watch(w));
    CU_ASSERT_EQUAL(errno, EAGAIN);
    CU_ASSERT_TRUE(xs_write(h, XBT_NULL, "/wt/child", "1", 1));
    /* A request on the watching handle while the event is in flight. */
    CU_ASSERT_TRUE(xs_write(w, XBT_NULL, "/other", "1", 1));
    ev = xs_read_watch(w, &n);
    CU_ASSERT_FATAL(ev != NULL);
    CU_ASSERT_STRING_EQUAL(ev[XS_WATCH_PATH], "/wt/child");
    free(ev);
    /* xs_fileno: a reader thread feeds the pipe. */
    CU_ASSERT(xs_fileno(w) >= 0);
    CU_ASSERT_TRUE(xs_write(h, XBT_NULL, "/wt", "2", 1));
    ev = xs_read_watch(w, &n);
    CU_ASSERT_FATAL(ev != NULL);
    CU_ASSERT_STRING_EQUAL(ev[XS_WATCH_PATH], "/wt");
    free(ev);
    CU_ASSERT_TRUE(xs_unwatch(w, "/wt", "tok"));
    CU_ASSERT_FALSE(xs_unwatch(w, "/wt", "tok"));
    CU_ASSERT_EQUAL(errno, ENOENT);
    CU_ASSERT_TRUE(xs_rm(h, XBT_NULL, "/wt"));
    CU_ASSERT_TRUE(xs_rm(h, XBT_NULL, "/other"));
    xs_close(w);
    xs_close(h);
}

static void test_txn(void)
{
    struct xs_handle *a = xs_open(0), *b = xs_open(0);
    xs_transaction_t ta, tb;
    char *v;

    CU_ASSERT_FATAL(a && b);
    CU_ASSERT_TRUE(xs_write(a, XBT_NULL, "/tx/k", "0", 1));
    ta = xs_transaction_start(a);
    tb = xs_transaction_start(b);
    CU_ASSERT(ta != XBT_NULL && tb != XBT_NULL);
    free(xs_read(a, ta, "/tx/k", NULL));
    free(xs_read(b, tb, "/tx/k", NULL));
    CU_ASSERT_TRUE(xs_write(a, ta, "/tx/k", "a", 1));
    CU_ASSERT_TRUE(xs_write(b, tb, "/tx/k", "b", 1));
    CU_ASSERT_TRUE(xs_transaction_end(a, ta, false));
    CU_ASSERT_FALSE(xs_transaction_end(b, tb, false));
    CU_ASSERT_EQUAL(errno, EAGAIN);
    v = xs_read(b, XBT_NULL, "/tx/k", NULL);
    CU_ASSERT_STRING_EQUAL(v, "a");
    free(v);
    tb = xs_transaction_start(b);
    CU_ASSERT_TRUE(xs_write(b, tb, "/tx/k", "c", 1));
    CU_ASSERT_TRUE(xs_transaction_end(b, tb, true)); /* abort */
    v = xs_read(a, XBT_NULL, "/tx/k", NULL);
    CU_ASSERT_STRING_EQUAL(v, "a");
    free(v);
    CU_ASSERT_TRUE(xs_rm(a, XBT_NULL, "/tx"));
    xs_close(a);
    xs_close(b);
}

static void test_helpers(void)
{
    struct xs_permissions p[2];
    char buf[XS_PERM_STRLEN];

    CU_ASSERT_TRUE(xs_strings_to_perms(p, 2, "n0\0b12\0"));
    CU_ASSERT_EQUAL(p[1].id, 12);
    CU_ASSERT_EQUAL(p[1].perms, XS_PERM_READ | XS_PERM_WRITE);
    CU_ASSERT_TRUE(xs_perm_to_string(&p[1], buf, sizeof(buf)));
    CU_ASSERT_STRING_EQUAL(buf, "b12");
    CU_ASSERT_FALSE(xs_strings_to_perms(p, 1, "q1\0"));
    CU_ASSERT_EQUAL(xs_count_strings("a\0b\0", 4), 2);
    CU_ASSERT_TRUE(xs_path_is_subpath("/a", "/a/b"));
    CU_ASSERT_FALSE(xs_path_is_subpath("/a", "/ab"));
}

/* The backends' reading of DIR/online, and of DIR itself being removed. */
static void test_backend_online(void)
{
    struct xs_handle *h = xs_open(0);
    const char *dir = "/local/domain/0/backend/vbd/7/51712";

    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    CU_ASSERT_EQUAL(be_xs_online(h, dir), -1); /* never made */
    CU_ASSERT_TRUE(xs_printf_key(h, XBT_NULL, dir, "online", "1"));
    CU_ASSERT_EQUAL(be_xs_online(h, dir), 1);
    CU_ASSERT_TRUE(xs_printf_key(h, XBT_NULL, dir, "online", "0"));
    CU_ASSERT_EQUAL(be_xs_online(h, dir), 0);
    /* no key (an older toolstack): online */
    CU_ASSERT_TRUE(
        xs_rm(h, XBT_NULL, "/local/domain/0/backend/vbd/7/51712/online"));
    CU_ASSERT_TRUE(xs_printf_key(h, XBT_NULL, dir, "state", "1"));
    CU_ASSERT_EQUAL(be_xs_online(h, dir), 1);
    /* the toolstack removed the device: gone, not online */
    CU_ASSERT_TRUE(xs_rm(h, XBT_NULL, "/local/domain/0/backend/vbd/7"));
    CU_ASSERT_EQUAL(be_xs_online(h, dir), -1);
    xs_close(h);
}

static const struct unit_test tests[] = {
    { "read write directory perms", test_rw },
    { "directory larger than one reply", test_big_directory },
    { "watches", test_watch },
    { "transaction conflict", test_txn },
    { "helpers", test_helpers },
    { "backend online and removed directories", test_backend_online },
    { NULL, NULL },
};

const struct unit_suite unit_suite_store_client = {
    "store-client",
    start_daemon,
    stop_daemon,
    tests,
};
