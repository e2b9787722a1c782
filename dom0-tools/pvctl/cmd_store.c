// SPDX-License-Identifier: MIT
/* cmd_store.c: pvctl store ls|read|write|rm|watch|perms (xenstore-* tools). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvctl.h"
#include "xenstore.h"

static const char *const CMD = "store";

static int fail(const char *what, const char *path)
{
    pvctl_err(CMD, "%s %s: %s", what, path, strerror(errno));
    return PVCTL_ERR;
}

/* Prints v like xenstore-ls: printable ASCII, the rest escaped. */
static void print_value(const char *v, unsigned len)
{
    for (unsigned i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c >= 0x20 && c < 0x7f)
            putchar(c);
        else
            printf("\\x%02x", c);
    }
}

static int ls_node(struct xs_handle *xs, const char *path, int depth)
{
    unsigned n, len;
    char **dir = xs_directory(xs, XBT_NULL, path, &n);
    int rc = PVCTL_OK;

    if (!dir)
        return fail("listing", path);
    for (unsigned i = 0; i < n; i++) {
        char child[XENSTORE_ABS_PATH_MAX + 1];
        char *v;

        snprintf(child, sizeof(child), "%s/%s", strcmp(path, "/") ? path : "",
                 dir[i]);
        v = xs_read(xs, XBT_NULL, child, &len);
        printf("%*s%s = \"", depth, "", dir[i]);
        if (v)
            print_value(v, len);
        printf("\"\n");
        free(v);
        if (ls_node(xs, child, depth + 1))
            rc = PVCTL_ERR;
    }
    free(dir);
    return rc;
}

static int do_perms(struct xs_handle *xs, int argc, char **argv)
{
    struct xs_permissions *p;
    unsigned n;
    char buf[XS_PERM_STRLEN];

    if (argc < 1)
        return pvctl_usage(CMD);
    if (argc == 1) {
        p = xs_get_permissions(xs, XBT_NULL, argv[0], &n);
        if (!p)
            return fail("reading permissions of", argv[0]);
        for (unsigned i = 0; i < n; i++) {
            xs_perm_to_string(&p[i], buf, sizeof(buf));
            printf("%s%s", i ? " " : "", buf);
        }
        putchar('\n');
        free(p);
        return PVCTL_OK;
    }
    p = calloc((size_t)argc - 1, sizeof(*p));
    if (!p)
        return fail("allocating for", argv[0]);
    for (int i = 1; i < argc; i++) {
        if (!xs_strings_to_perms(&p[i - 1], 1, argv[i])) {
            pvctl_err(CMD,
                      "bad permission '%s' (want n|r|w|b and a "
                      "domid, e.g. r5)",
                      argv[i]);
            free(p);
            return PVCTL_ERR;
        }
    }
    if (!xs_set_permissions(xs, XBT_NULL, argv[0], p, (unsigned)argc - 1)) {
        free(p);
        return fail("setting permissions of", argv[0]);
    }
    free(p);
    return PVCTL_OK;
}

static int do_watch(struct xs_handle *xs, int argc, char **argv)
{
    long count = -1;
    int opt;

    optind = 0;
    while ((opt = getopt(argc, argv, "+n:")) != -1) {
        if (opt != 'n' || (count = strtol(optarg, NULL, 10)) <= 0)
            return pvctl_usage(CMD);
    }
    if (optind != argc - 1)
        return pvctl_usage(CMD);
    if (!xs_watch(xs, argv[optind], "pvctl"))
        return fail("watching", argv[optind]);
    setvbuf(stdout, NULL, _IOLBF, 0);
    while (count != 0) {
        unsigned n;
        char **ev = xs_read_watch(xs, &n);
        if (!ev)
            return fail("waiting for events on", argv[optind]);
        printf("%s\n", ev[XS_WATCH_PATH]);
        free(ev);
        if (count > 0)
            count--;
    }
    return PVCTL_OK;
}

int pvctl_cmd_store(int argc, char **argv)
{
    struct xs_handle *xs;
    const char *sub;
    int rc = PVCTL_OK;

    if (argc < 2)
        return pvctl_usage(CMD);
    sub = argv[1];
    argc -= 2;
    argv += 2;
    xs = pvctl_xs_open(CMD, false);
    if (!xs) {
        pvctl_err(CMD,
                  "cannot reach pvstored: %s (is the host side "
                  "started? run 'pvhost start')",
                  strerror(errno));
        return PVCTL_ERR;
    }
    if (strcmp(sub, "ls") == 0) {
        if (argc > 1)
            rc = pvctl_usage(CMD);
        else
            rc = ls_node(xs, argc ? argv[0] : "/", 0);
    } else if (strcmp(sub, "read") == 0) {
        if (argc < 1)
            rc = pvctl_usage(CMD);
        for (int i = 0; i < argc && rc == PVCTL_OK; i++) {
            unsigned len;
            char *v = xs_read(xs, XBT_NULL, argv[i], &len);
            if (!v) {
                rc = fail("reading", argv[i]);
                break;
            }
            fwrite(v, 1, len, stdout);
            putchar('\n');
            free(v);
        }
    } else if (strcmp(sub, "write") == 0) {
        if (argc < 2 || argc % 2)
            rc = pvctl_usage(CMD);
        for (int i = 0; i + 1 < argc && rc == PVCTL_OK; i += 2)
            if (!xs_write(xs, XBT_NULL, argv[i], argv[i + 1],
                          (unsigned)strlen(argv[i + 1])))
                rc = fail("writing", argv[i]);
    } else if (strcmp(sub, "rm") == 0) {
        if (argc < 1)
            rc = pvctl_usage(CMD);
        for (int i = 0; i < argc && rc == PVCTL_OK; i++)
            if (!xs_rm(xs, XBT_NULL, argv[i]))
                rc = fail("removing", argv[i]);
    } else if (strcmp(sub, "watch") == 0) {
        rc = do_watch(xs, argc + 1, argv - 1);
    } else if (strcmp(sub, "perms") == 0) {
        rc = do_perms(xs, argc, argv);
    } else {
        pvctl_err(CMD, "unknown subcommand '%s'", sub);
        rc = pvctl_usage(CMD);
    }
    xs_close(xs);
    return rc;
}
