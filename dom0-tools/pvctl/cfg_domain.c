// SPDX-License-Identifier: MIT
/* cfg_domain.c: interpret parsed settings as a domain configuration. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

static int eerr(char *err, size_t errlen, const struct cfg_entry *e,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int eerr(char *err, size_t errlen, const struct cfg_entry *e,
                const char *fmt, ...)
{
    va_list ap;
    int n;

    if (!err || !errlen)
        return -EINVAL;
    n = snprintf(err, errlen, "%s:%d: %s: ", e->file, e->line, e->key);
    if (n < 0 || (size_t)n >= errlen)
        return -EINVAL;
    va_start(ap, fmt);
    vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* Describes a value for messages: "lots" in quotes, or "a list". */
static const char *describe(const struct cfg_value *v, char *buf, size_t len)
{
    if (v->type == CFG_LIST)
        return "a list";
    snprintf(buf, len, v->type == CFG_STRING ? "\"%.40s%s\"" : "%.40s%s",
             v->str, strlen(v->str) > 40 ? "..." : "");
    for (char *p = buf; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return buf;
}

/* An integer in [min, max]; quoted decimal strings are accepted (xl). */
static int get_int(const struct cfg_entry *e, long long min, long long max,
                   const char *unit, long long *out, char *err, size_t errlen)
{
    char buf[64];
    long long v;

    if (e->val.type == CFG_INT) {
        v = e->val.num;
    } else if (e->val.type == CFG_STRING && e->val.str[0] >= '0' &&
               e->val.str[0] <= '9') {
        char *end;
        errno = 0;
        v = strtoll(e->val.str, &end, 10);
        if (*end || errno)
            return eerr(err, errlen, e, "expected an integer, got %s",
                        describe(&e->val, buf, sizeof(buf)));
    } else {
        return eerr(err, errlen, e, "expected an integer, got %s",
                    describe(&e->val, buf, sizeof(buf)));
    }
    if (v < min || v > max)
        return eerr(err, errlen, e, "%lld%s is out of range (%lld..%lld)", v,
                    unit, min, max);
    *out = v;
    return 0;
}

static int get_string(const struct cfg_entry *e, const char **out, char *err,
                      size_t errlen)
{
    char buf[64];

    if (e->val.type != CFG_STRING)
        return eerr(err, errlen, e, "expected a \"string\", got %s",
                    describe(&e->val, buf, sizeof(buf)));
    *out = e->val.str;
    return 0;
}

static int get_action(const struct cfg_entry *e, enum cfg_action *out,
                      char *err, size_t errlen)
{
    static const char *const unsupported[] = {
        "rename-restart",
        "coredump-destroy",
        "coredump-restart",
        "soft-reset",
    };
    const char *s = NULL;
    int r = get_string(e, &s, err, errlen);

    if (r)
        return r;
    if (strcmp(s, "destroy") == 0)
        *out = CFG_DESTROY;
    else if (strcmp(s, "restart") == 0)
        *out = CFG_RESTART;
    else if (strcmp(s, "preserve") == 0)
        *out = CFG_PRESERVE;
    else {
        for (size_t i = 0; i < sizeof(unsupported) / sizeof(*unsupported); i++)
            if (strcmp(s, unsupported[i]) == 0)
                return eerr(err, errlen, e,
                            "'%s' is not supported by "
                            "pvisor (use destroy, restart or preserve)",
                            s);
        return eerr(err, errlen, e,
                    "expected destroy, restart or preserve, "
                    "got \"%.40s\"",
                    s);
    }
    return 0;
}

static int check_name(const struct cfg_entry *e, const char *s, char *err,
                      size_t errlen)
{
    size_t n = strlen(s), digits = 0;

    if (n == 0 || n > CFG_NAME_MAX)
        return eerr(err, errlen, e, "must be 1..%d characters long",
                    CFG_NAME_MAX);
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch >= '0' && ch <= '9')
            digits++;
        else if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                   ch == '_' || ch == '.' || ch == '-'))
            return eerr(err, errlen, e,
                        "character %zu is not one of "
                        "[A-Za-z0-9_.-]",
                        i + 1);
    }
    if (digits == n)
        return eerr(err, errlen, e,
                    "'%s' is all digits and would be "
                    "taken for a domain id",
                    s);
    return 0;
}

/* kernel: relative to the config file's directory when set in a file. */
static int resolve_kernel(const struct cfg *c, const struct cfg_entry *e,
                          const char *s, char **out, char *err, size_t errlen)
{
    if (!*s)
        return eerr(err, errlen, e, "empty path");
    if (s[0] == '/' || !e->from_file || !c->dir || !strcmp(c->dir, "."))
        *out = strdup(s);
    else if (asprintf(out, "%s/%s", c->dir, s) < 0)
        *out = NULL;
    return *out ? 0 : -ENOMEM;
}

static bool known_key(const char *k)
{
    static const char *const keys[] = {
        "name",  "memory", "vcpus",       "kernel",    "cmdline",
        "extra", "root",   "on_poweroff", "on_reboot", "on_crash",
        "type",  "disk",   "vif",         "platform",
    };
    for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
        if (strcmp(k, keys[i]) == 0)
            return true;
    return false;
}

static int warn_unknown(struct cfg *c)
{
    for (size_t i = 0; i < c->nr_entries; i++) {
        const struct cfg_entry *e = &c->entries[i];

        if (known_key(e->key) || cfg_lookup(c, e->key) != e)
            continue;
        if (cfg_warn(c, "%s:%d: warning: unknown key '%s' ignored", e->file,
                     e->line, e->key))
            return -ENOMEM;
    }
    return 0;
}

static int build_cmdline(struct cfg *c, struct cfg_domain *d, char *err,
                         size_t errlen)
{
    const struct cfg_entry *cl = cfg_lookup(c, "cmdline");
    const struct cfg_entry *ex = cfg_lookup(c, "extra");
    const struct cfg_entry *rt = cfg_lookup(c, "root");
    const char *scl = NULL, *sex = NULL, *srt = NULL;
    int r;

    if ((cl && (r = get_string(cl, &scl, err, errlen))) ||
        (ex && (r = get_string(ex, &sex, err, errlen))) ||
        (rt && (r = get_string(rt, &srt, err, errlen))))
        return r;
    if (scl) {
        if ((sex || srt) &&
            cfg_warn(c,
                     "%s:%d: warning: cmdline given: root and extra are "
                     "ignored",
                     cl->file, cl->line))
            return -ENOMEM;
        d->cmdline = strdup(scl);
    } else if (srt) {
        r = asprintf(&d->cmdline, "root=%s%s%s", srt, sex ? " " : "",
                     sex ? sex : "");
        if (r < 0)
            d->cmdline = NULL;
    } else {
        d->cmdline = strdup(sex ? sex : "");
    }
    return d->cmdline ? 0 : -ENOMEM;
}

int cfg_domain_from(struct cfg *c, struct cfg_domain *d, char *err,
                    size_t errlen)
{
    const char *main_file = c->nr_files ? c->files[0] : "config";
    const struct cfg_entry *e;
    const char *s = NULL;
    long long v;
    int r;

    memset(d, 0, sizeof(*d));
    d->memory_mb = 128;
    d->vcpus = 1;
    d->on_poweroff = CFG_DESTROY;
    d->on_reboot = CFG_RESTART;
    d->on_crash = CFG_DESTROY;

    if (!(e = cfg_lookup(c, "name"))) {
        snprintf(err, errlen, "%s: name: required key missing", main_file);
        return -EINVAL;
    }
    if ((r = get_string(e, &s, err, errlen)) ||
        (r = check_name(e, s, err, errlen)))
        return r;
    snprintf(d->name, sizeof(d->name), "%s", s);

    if ((e = cfg_lookup(c, "type"))) {
        if ((r = get_string(e, &s, err, errlen)))
            return r;
        if (strcmp(s, "pv") != 0)
            return eerr(err, errlen, e,
                        "only type = \"pv\" is supported, "
                        "got \"%.20s\"",
                        s);
    }
    if ((e = cfg_lookup(c, "memory"))) {
        if ((r = get_int(e, 1, CFG_MEMORY_MAX, " MiB", &v, err, errlen)))
            return r;
        d->memory_mb = (uint64_t)v;
    }
    if ((e = cfg_lookup(c, "vcpus"))) {
        if ((r = get_int(e, 1, CFG_VCPUS_MAX, "", &v, err, errlen)))
            return r;
        d->vcpus = (uint32_t)v;
    }
    if (!(e = cfg_lookup(c, "kernel"))) {
        snprintf(err, errlen, "%s: kernel: required key missing", main_file);
        return -EINVAL;
    }
    if ((r = get_string(e, &s, err, errlen)) ||
        (r = resolve_kernel(c, e, s, &d->kernel, err, errlen)))
        return r;
    if ((e = cfg_lookup(c, "on_poweroff")) &&
        (r = get_action(e, &d->on_poweroff, err, errlen)))
        return r;
    if ((e = cfg_lookup(c, "on_reboot")) &&
        (r = get_action(e, &d->on_reboot, err, errlen)))
        return r;
    if ((e = cfg_lookup(c, "on_crash")) &&
        (r = get_action(e, &d->on_crash, err, errlen)))
        return r;
    if ((e = cfg_lookup(c, "platform"))) {
        if ((r = get_string(e, &s, err, errlen)))
            return r;
        if (strcmp(s, "kvm") != 0 && strcmp(s, "proc") != 0 &&
            strcmp(s, "auto") != 0)
            return eerr(err, errlen, e,
                        "want \"kvm\", \"proc\" or \"auto\", got \"%.20s\"", s);
        if (strcmp(s, "auto") != 0)
            snprintf(d->platform, sizeof(d->platform), "%s", s);
    }
    if ((r = build_cmdline(c, d, err, errlen)))
        return r;
    return warn_unknown(c);
}

void cfg_domain_free(struct cfg_domain *d)
{
    free(d->kernel);
    free(d->cmdline);
    d->kernel = NULL;
    d->cmdline = NULL;
}
