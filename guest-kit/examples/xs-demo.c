/* SPDX-License-Identifier: MIT */
/* xs-demo.c: reads its xenstore entries and prints what dom0 pokes. */
#include <guestkit/guestkit.h>

/*
 * Prints its name, id and home path, writes data/xs-demo/status = "ready",
 * then watches data/poke and prints every value dom0 writes there
 * ("xs-demo: poke = 'VALUE'"). The value "quit" ends it with code 0:
 *     pvctl store write /local/domain/<id>/data/poke hello
 *     pvctl store write /local/domain/<id>/data/poke quit
 */
int main(void)
{
    struct gk_xenbus_watch *w;
    char home[64], name[64], val[256], last[256] = "";
    int domid, rc;

    if (!gk_xenbus_available()) {
        gk_printf("xs-demo: xenstore not available\n");
        return 1;
    }
    domid = gk_xenbus_domid();
    rc = gk_xenbus_get_self_path(home, sizeof(home));
    if (domid < 0 || rc < 0) {
        gk_printf("xs-demo: cannot find myself in xenstore (%d)\n",
                  domid < 0 ? domid : rc);
        return 1;
    }
    if (gk_xenbus_read_str(GK_XBT_NIL, "name", name, sizeof(name)) < 0)
        gk_strlcpy(name, "?", sizeof(name));
    gk_printf("xs-demo: name '%s', domid %d, path %s\n", name, domid, home);
    rc = gk_xenbus_write(GK_XBT_NIL, "data/xs-demo/status", "ready");
    if (rc < 0) {
        gk_printf("xs-demo: cannot write data/xs-demo/status (%d)\n", rc);
        return 1;
    }
    rc = gk_xenbus_watch("data/poke", NULL, NULL, &w);
    if (rc < 0) {
        gk_printf("xs-demo: cannot watch data/poke (%d)\n", rc);
        return 1;
    }
    gk_printf("xs-demo: wrote %s/data/xs-demo/status, watching %s/data/poke\n",
              home, home);
    for (;;) {
        gk_xenbus_wait_watch(w, NULL, 0, 0);
        rc = gk_xenbus_read_str(GK_XBT_NIL, "data/poke", val, sizeof(val));
        /* The first event comes at registration; the key may not exist.
         * Several writes may fold into one read, and one write may be
         * seen by two events: print changes only. */
        if (rc < 0 || strcmp(val, last) == 0)
            continue;
        gk_strlcpy(last, val, sizeof(last));
        gk_printf("xs-demo: poke = '%s'\n", val);
        if (strcmp(val, "quit") == 0)
            break;
    }
    gk_xenbus_unwatch(w);
    gk_printf("xs-demo: done\n");
    return 0;
}
