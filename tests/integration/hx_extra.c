// SPDX-License-Identifier: MIT
/* hx_extra.c: helpers for the store and console integration suites. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "hx_extra.h"

unsigned long long hxe_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000 +
           (unsigned long long)ts.tv_nsec / 1000000;
}

const char *hxe_test_cfg(const char *guest)
{
    return hx_fmt("%s/tests/guests/%s.cfg", hx.root, guest);
}

int hxe_create(struct hx_run *r, const char *cfg, const char *guest,
               const char *name, const char *const overrides[])
{
    const char *args[48];
    struct hx_run local;
    size_t n = 0;
    unsigned id;
    const char *p;

    if (!r)
        r = &local;
    args[n++] = "create";
    args[n++] = cfg;
    args[n++] = hx_fmt("name=\"%s\"", name);
    args[n++] = hx_fmt("kernel=\"%s\"", hx_guest_elf(guest));
    for (size_t i = 0; overrides && overrides[i] && n < 47; i++)
        args[n++] = overrides[i];
    args[n] = NULL;
    if (hx_pvctlv(r, HX_CMD_MS, NULL, NULL, args) < 0 || r->exit_code != 0)
        return -1;
    p = strstr(r->err, "(id=");
    if (p && sscanf(p, "(id=%u)", &id) == 1)
        return (int)id;
    return hx_dominfo(name).domid;
}

int hxe_sh(struct hx_run *r, unsigned timeout_ms, hx_stop_fn stop, void *arg,
           const char *cmd)
{
    const char *argv[] = { "/bin/sh", "-c", cmd, NULL };

    return hx_exec(r, timeout_ms, stop, arg, argv);
}

const char *hxe_store_read(const char *path)
{
    struct hx_run r;
    char *v;
    size_t n;

    if (hx_pvctl(&r, HX_CMD_MS, "store", "read", path, NULL) < 0 ||
        r.exit_code != 0)
        return NULL;
    v = hx_fmt("%s", r.out);
    n = strlen(v);
    if (n && v[n - 1] == '\n')
        v[n - 1] = '\0';
    return v;
}

const char *hxe_console_log(const char *name)
{
    const char *path = hx_fmt("%s/console/%s.log", hx.dir, name);
    FILE *f = fopen(path, "r");
    char *buf;
    long len;
    size_t n;

    if (!f)
        return "";
    if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return "";
    }
    buf = hx_fmt("%*s", (int)len, "");
    n = fread(buf, 1, (size_t)len, f);
    buf[n] = '\0';
    for (size_t i = 0; i < n; i++) /* a NUL must not hide what follows */
        if (!buf[i])
            buf[i] = '?';
    fclose(f);
    return buf;
}

const char *hxe_wait_log(const char *name, const char *needle,
                         unsigned timeout_ms)
{
    unsigned long long deadline = hxe_now_ms() + timeout_ms;

    for (;;) {
        const char *t = hxe_console_log(name);

        if (strstr(t, needle))
            return t;
        if (hxe_now_ms() >= deadline)
            return NULL;
        hx_sleep_ms(50);
    }
}

const char *hxe_unix_chat(const char *path, const char *req, unsigned lines,
                          unsigned timeout_ms)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    unsigned long long deadline = hxe_now_ms() + timeout_ms;
    char buf[8192];
    size_t len = 0;
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path))
        return "connect: path too long";
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return hx_fmt("connect: socket: %s", strerror(errno));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        const char *e = hx_fmt("connect: %s: %s", path, strerror(errno));

        close(fd);
        return e;
    }
    if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
        close(fd);
        return hx_fmt("connect: send: %s", strerror(errno));
    }
    buf[0] = '\0';
    while (len + 1 < sizeof(buf)) {
        unsigned nl = 0;
        unsigned long long now = hxe_now_ms();
        struct pollfd p = { fd, POLLIN, 0 };
        ssize_t n;

        for (size_t i = 0; i < len; i++)
            nl += buf[i] == '\n';
        if (nl >= lines || now >= deadline)
            break;
        if (poll(&p, 1, (int)(deadline - now)) <= 0)
            continue;
        n = read(fd, buf + len, sizeof(buf) - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = '\0';
    }
    close(fd);
    return hx_fmt("%s", buf);
}

bool hxe_stop_str(const char *out, void *arg)
{
    return strstr(out, (const char *)arg) != NULL;
}

void hxe_destroy(const char *dom)
{
    struct hx_run r;

    hx_pvctl(&r, HX_CMD_MS, "destroy", dom, NULL);
}

pid_t hxe_guest_process(int domid)
{
    const char *want = hx_fmt("pvisor-d%d\n", domid);
    DIR *dir = opendir("/proc");
    struct dirent *de;
    pid_t found = 0;
    int pv = -1;
    FILE *pf = fopen(hx_fmt("%s/pvisor.pid", hx.dir), "r");

    /* The child of this test's pvisor: another pvisor on the host may
     * have a domain of the same id. */
    if (!pf || fscanf(pf, "%d", &pv) != 1)
        pv = -1;
    if (pf)
        fclose(pf);
    while (dir && (de = readdir(dir)) != NULL && !found) {
        char path[300], comm[32] = "", line[256];
        FILE *f;
        int ppid = 0;

        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
        f = fopen(path, "r");
        if (!f)
            continue;
        bool named = fgets(comm, sizeof(comm), f) && !strcmp(comm, want);
        fclose(f);
        if (!named)
            continue;
        snprintf(path, sizeof(path), "/proc/%s/status", de->d_name);
        f = fopen(path, "r");
        while (f && fgets(line, sizeof(line), f))
            if (sscanf(line, "PPid: %d", &ppid) == 1)
                break;
        if (f)
            fclose(f);
        if (ppid == pv)
            found = (pid_t)atoi(de->d_name);
    }
    if (dir)
        closedir(dir);
    return found;
}

unsigned long hxe_last_count(const char *text, const char *prefix,
                             const char *tail)
{
    size_t plen = strlen(prefix), tlen = strlen(tail);
    unsigned long best = 0;

    for (const char *p = text; (p = strstr(p, prefix)) != NULL;) {
        char *end;
        unsigned long n = strtoul(p + plen, &end, 10);

        if (end > p + plen && !strncmp(end, tail, tlen) && n > best)
            best = n;
        p = end > p + plen ? end : p + plen;
    }
    return best;
}
