/* SPDX-License-Identifier: MIT */
/* control.c: the control/shutdown watch (pvctl shutdown, reboot, save). */
#include <guestkit/guestkit.h>
#include <guestkit/xenbus.h>

#include "internal.h"

#define SHUTDOWN_KEY "control/shutdown"

static void suspend_req(void)
{
    (void)gk_suspend();
}

/* Requests we act on; anything else is left alone. */
static const struct {
    const char *name;
    void (*act)(void);
} actions[] = {
    { "poweroff", gk_poweroff }, { "halt", gk_poweroff },
    { "reboot", gk_reboot },     { "crash", gk_crash },
    { "suspend", suspend_req },
};

/* `gk.suspend=off` on the command line: ignore "suspend" (tests). */
static int ignored(const char *req)
{
    char opt[8];

    return strcmp(req, "suspend") == 0 &&
           gk_cmdline_get("gk.suspend", opt, sizeof(opt)) >= 0 &&
           strcmp(opt, "off") == 0;
}

/*
 * Read the request and, if we handle it, acknowledge it by writing "" in
 * the same transaction (as Linux does), so the toolstack knows the guest
 * took it and a second watch event does not act twice.
 */
static int take_request(gk_xbt_t t, void *arg)
{
    char *req = arg;
    int rc = gk_xenbus_read_str(t, SHUTDOWN_KEY, req, 32);

    if (rc < 0 || !req[0]) {
        req[0] = '\0';
        return 0;
    }
    for (size_t i = 0; i < GK_ARRAY_SIZE(actions); i++)
        if (strcmp(req, actions[i].name) == 0 && !ignored(req))
            return gk_xenbus_write(t, SHUTDOWN_KEY, "");
    return 0;
}

static void shutdown_changed(struct gk_xenbus_watch *w, const char *path,
                             void *data)
{
    char req[32] = "";
    int rc;

    (void)w;
    (void)path;
    (void)data;
    rc = gk_xenbus_transaction(take_request, req);
    if (rc < 0 || !req[0])
        return;
    for (size_t i = 0; i < GK_ARRAY_SIZE(actions); i++) {
        if (strcmp(req, actions[i].name) == 0 && !ignored(req)) {
            gk_printf("guest-kit: shutdown requested (%s)\n", req);
            actions[i].act();
            if (strcmp(req, "suspend") == 0)
                return; /* back from a suspend */
        }
    }
    gk_printf("guest-kit: ignoring shutdown request '%s' (not supported)\n",
              req);
}

/* Registering waits for the store; do it off the boot path. */
static void control_thread(void *arg)
{
    struct gk_xenbus_watch *w;
    int rc;

    (void)arg;
    rc = gk_xenbus_watch(SHUTDOWN_KEY, shutdown_changed, NULL, &w);
    if (rc < 0)
        gk_printf("guest-kit: cannot watch %s (%d)\n", SHUTDOWN_KEY, rc);
}

void gk_control_init(void)
{
    if (!gk_thread_create("xs-control", control_thread, NULL))
        gk_printf("guest-kit: cannot start the control/shutdown watch\n");
}
