// SPDX-License-Identifier: MIT
/* cfg.c: xl.cfg-syntax parser and the domain keys pvctl understands. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"

struct parser {
    struct cfg *c;
    const char *file;
    const char *p;
    int line;
    bool from_file;
    const char *key; /* current key, for messages */
    char *err;
    size_t errlen;
};

static int perr(struct parser *P, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int perr(struct parser *P, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (!P->err || !P->errlen)
        return -EINVAL;
    n = snprintf(P->err, P->errlen, P->key ? "%s:%d: %s: " : "%s:%d: ", P->file,
                 P->line, P->key);
    if (n < 0 || (size_t)n >= P->errlen)
        return -EINVAL;
    va_start(ap, fmt);
    vsnprintf(P->err + n, P->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

int cfg_warn(struct cfg *c, const char *fmt, ...)
{
    char **w;
    va_list ap;
    char *s;
    int n;

    va_start(ap, fmt);
    n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -ENOMEM;
    w = realloc(c->warnings, (c->nr_warnings + 1) * sizeof(*w));
    if (!w) {
        free(s);
        return -ENOMEM;
    }
    c->warnings = w;
    c->warnings[c->nr_warnings++] = s;
    return 0;
}

void cfg_init(struct cfg *c)
{
    memset(c, 0, sizeof(*c));
}

static void value_free(struct cfg_value *v)
{
    free(v->str);
    for (size_t i = 0; i < v->nr_items; i++)
        free(v->items[i]);
    free(v->items);
    memset(v, 0, sizeof(*v));
}

void cfg_free(struct cfg *c)
{
    size_t i;

    for (i = 0; i < c->nr_entries; i++) {
        free(c->entries[i].key);
        value_free(&c->entries[i].val);
    }
    free(c->entries);
    for (i = 0; i < c->nr_files; i++)
        free(c->files[i]);
    free(c->files);
    for (i = 0; i < c->nr_warnings; i++)
        free(c->warnings[i]);
    free(c->warnings);
    free(c->dir);
    memset(c, 0, sizeof(*c));
}

/* Returns a copy of name owned by c, shared by all entries of one file. */
static const char *intern_file(struct cfg *c, const char *name)
{
    char **f;

    for (size_t i = 0; i < c->nr_files; i++)
        if (strcmp(c->files[i], name) == 0)
            return c->files[i];
    f = realloc(c->files, (c->nr_files + 1) * sizeof(*f));
    if (!f)
        return NULL;
    c->files = f;
    f[c->nr_files] = strdup(name);
    if (!f[c->nr_files])
        return NULL;
    return f[c->nr_files++];
}

/* Skips blanks and comments; newlines too (counting them) if nl. */
static void skip_blank(struct parser *P, bool nl)
{
    for (;;) {
        char ch = *P->p;

        if (ch == ' ' || ch == '\t' || ch == '\r') {
            P->p++;
        } else if (ch == '#') {
            while (*P->p && *P->p != '\n')
                P->p++;
        } else if (ch == '\n' && nl) {
            P->line++;
            P->p++;
        } else {
            return;
        }
    }
}

static bool is_word(char ch)
{
    return isalnum((unsigned char)ch) || ch == '_' || ch == '-' || ch == '.' ||
           ch == '/' || ch == '+';
}

/* The bare word at P->p, for messages (bounded). */
static const char *word_at(struct parser *P, char *buf, size_t len)
{
    size_t i = 0;

    while (i + 1 < len && P->p[i] && is_word(P->p[i]))
        i++;
    if (i == 0 && P->p[0] && P->p[0] != '\n' && len > 1)
        i = 1;
    if (i == 0)
        return "end of line";
    memcpy(buf, P->p, i);
    buf[i] = '\0';
    for (size_t j = 0; j < i; j++)
        if (!isprint((unsigned char)buf[j]))
            buf[j] = '?';
    return buf;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch = (char)tolower((unsigned char)ch);
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

static int parse_string(struct parser *P, char **out)
{
    char quote = *P->p++;
    size_t cap = 16, len = 0;
    char *s = malloc(cap);

    if (!s)
        return -ENOMEM;
    for (;;) {
        char ch = *P->p;

        if (ch == '\0' || ch == '\n') {
            free(s);
            return perr(P, "unterminated string (missing %c)", quote);
        }
        P->p++;
        if (ch == quote)
            break;
        if (ch == '\\') {
            char e = *P->p++;
            int hi, lo;

            switch (e) {
            case 'n':
                ch = '\n';
                break;
            case 't':
                ch = '\t';
                break;
            case 'r':
                ch = '\r';
                break;
            case '\\':
            case '"':
            case '\'':
                ch = e;
                break;
            case 'x':
                hi = hexval(P->p[0]);
                lo = hi < 0 ? -1 : hexval(P->p[1]);
                if (lo < 0 || (hi | lo) == 0) {
                    free(s);
                    return perr(P, "bad \\x escape in string (two hex "
                                   "digits, not 00)");
                }
                ch = (char)(hi << 4 | lo);
                P->p += 2;
                break;
            default:
                free(s);
                P->p--;
                return perr(P, "unknown escape '\\%c' in string",
                            isprint((unsigned char)e) ? e : '?');
            }
        }
        if (len + 2 > cap) {
            char *n = realloc(s, cap *= 2);
            if (!n) {
                free(s);
                return -ENOMEM;
            }
            s = n;
        }
        s[len++] = ch;
    }
    s[len] = '\0';
    *out = s;
    return 0;
}

/* A number: decimal or 0x hex, non-negative, fits a long long. */
static int parse_number(struct parser *P, char **text, long long *num)
{
    char buf[64];
    const char *w = word_at(P, buf, sizeof(buf));
    size_t n = strlen(w);
    unsigned long long v;
    char *end;

    if (n >= sizeof(buf) - 1)
        return perr(P, "number too long");
    errno = 0;
    v = strtoull(w, &end,
                 (w[0] == '0' && (w[1] == 'x' || w[1] == 'X')) ? 16 : 10);
    if (*end || end == w || (w[0] == '0' && (w[1] | 0x20) == 'x' && n < 3))
        return perr(P, "bad number '%s'", w);
    if (errno == ERANGE || v > LLONG_MAX)
        return perr(P, "number '%s' out of range", w);
    *num = (long long)v;
    *text = strdup(w);
    if (!*text)
        return -ENOMEM;
    P->p += n;
    return 0;
}

/* A string or number (list items and values). */
static int parse_scalar(struct parser *P, struct cfg_value *v)
{
    char buf[48];

    if (*P->p == '"' || *P->p == '\'') {
        v->type = CFG_STRING;
        return parse_string(P, &v->str);
    }
    if (isdigit((unsigned char)*P->p)) {
        v->type = CFG_INT;
        return parse_number(P, &v->str, &v->num);
    }
    return perr(P,
                "expected a value (\"string\", 'string', number or "
                "[ list ]), got '%s'",
                word_at(P, buf, sizeof(buf)));
}

static int parse_list(struct parser *P, struct cfg_value *v)
{
    char buf[48];
    int e;

    v->type = CFG_LIST;
    P->p++; /* '[' */
    for (;;) {
        struct cfg_value item = { 0 };
        char **items;

        skip_blank(P, true);
        if (*P->p == ']') {
            P->p++;
            return 0;
        }
        if (*P->p == '\0')
            return perr(P, "unterminated list (missing ])");
        if (*P->p == '[')
            return perr(P, "lists cannot be nested");
        e = parse_scalar(P, &item);
        if (e)
            return e;
        items = realloc(v->items, (v->nr_items + 1) * sizeof(*items));
        if (!items) {
            value_free(&item);
            return -ENOMEM;
        }
        v->items = items;
        v->items[v->nr_items++] = item.str;
        skip_blank(P, true);
        if (*P->p == ',') {
            P->p++;
        } else if (*P->p != ']') {
            return *P->p ? perr(P, "expected ',' or ']' in list, got '%s'",
                                word_at(P, buf, sizeof(buf)))
                         : perr(P, "unterminated list (missing ])");
        }
    }
}

static int add_entry(struct parser *P, char *key, struct cfg_value *v, int line)
{
    struct cfg *c = P->c;
    const struct cfg_entry *old = cfg_lookup(c, key);
    struct cfg_entry *e;

    if (old && old->from_file && P->from_file && old->file == P->file &&
        cfg_warn(c,
                 "%s:%d: warning: %s set again (the value from line "
                 "%d is replaced)",
                 P->file, line, key, old->line))
        return -ENOMEM;
    if (c->nr_entries == c->cap_entries) {
        size_t cap = c->cap_entries ? c->cap_entries * 2 : 16;
        e = realloc(c->entries, cap * sizeof(*e));
        if (!e)
            return -ENOMEM;
        c->entries = e;
        c->cap_entries = cap;
    }
    c->entries[c->nr_entries++] = (struct cfg_entry){
        .key = key,
        .val = *v,
        .file = P->file,
        .line = line,
        .from_file = P->from_file,
    };
    return 0;
}

static int parse_setting(struct parser *P)
{
    struct cfg_value v = { 0 };
    const char *k = P->p;
    char buf[48], *key;
    int line, e;

    if (!isalpha((unsigned char)*k) && *k != '_')
        return perr(P, "expected a setting 'key = value', got '%s'",
                    word_at(P, buf, sizeof(buf)));
    while (isalnum((unsigned char)*P->p) || *P->p == '_')
        P->p++;
    key = strndup(k, (size_t)(P->p - k));
    if (!key)
        return -ENOMEM;
    P->key = key;
    skip_blank(P, false);
    if (*P->p != '=') {
        e = perr(P, "expected '=' after the key, got '%s'",
                 word_at(P, buf, sizeof(buf)));
        goto fail;
    }
    P->p++;
    skip_blank(P, false);
    line = P->line;
    e = *P->p == '[' ? parse_list(P, &v) : parse_scalar(P, &v);
    if (e)
        goto fail;
    skip_blank(P, false);
    if (*P->p && *P->p != '\n' && *P->p != ';') {
        e = perr(P, "unexpected '%s' after the value",
                 word_at(P, buf, sizeof(buf)));
        goto fail;
    }
    e = add_entry(P, key, &v, line);
    if (e)
        goto fail;
    P->key = NULL;
    return 0;
fail:
    value_free(&v);
    P->key = NULL;
    free(key);
    return e;
}

int cfg_parse_text(struct cfg *c, const char *file, int line, const char *text,
                   bool from_file, char *err, size_t errlen)
{
    struct parser P = {
        .c = c,
        .p = text,
        .line = line,
        .from_file = from_file,
        .err = err,
        .errlen = errlen,
    };
    int e;

    P.file = intern_file(c, file);
    if (!P.file)
        return -ENOMEM;
    for (;;) {
        skip_blank(&P, true);
        while (*P.p == ';') {
            P.p++;
            skip_blank(&P, true);
        }
        if (!*P.p)
            return 0;
        e = parse_setting(&P);
        if (e) {
            if (e == -ENOMEM && err && errlen)
                snprintf(err, errlen, "%s: out of memory", file);
            return e;
        }
    }
}

int cfg_parse_file(struct cfg *c, const char *path, char *err, size_t errlen)
{
    struct stat st;
    char *buf = NULL;
    size_t got = 0;
    int fd, e;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        e = -errno;
        snprintf(err, errlen, "%s: %s", path, strerror(-e));
        return e;
    }
    if (fstat(fd, &st) < 0) {
        e = -errno;
        snprintf(err, errlen, "%s: %s", path, strerror(-e));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        e = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
        snprintf(err, errlen, "%s: not a regular file", path);
        goto out;
    }
    if (st.st_size > CFG_FILE_MAX) {
        e = -EFBIG;
        snprintf(err, errlen, "%s: larger than %d bytes", path, CFG_FILE_MAX);
        goto out;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        e = -ENOMEM;
        snprintf(err, errlen, "%s: out of memory", path);
        goto out;
    }
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            e = -errno;
            snprintf(err, errlen, "%s: %s", path, strerror(-e));
            goto out;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    if (strlen(buf) != got) {
        e = -EINVAL;
        snprintf(err, errlen, "%s: contains a NUL byte (not a text file)",
                 path);
        goto out;
    }
    if (!c->dir) {
        const char *slash = strrchr(path, '/');
        c->dir = slash
                     ? strndup(path, slash == path ? 1 : (size_t)(slash - path))
                     : strdup(".");
        if (!c->dir) {
            e = -ENOMEM;
            goto out;
        }
    }
    e = cfg_parse_text(c, path, 1, buf, true, err, errlen);
out:
    free(buf);
    close(fd);
    return e;
}

int cfg_apply_override(struct cfg *c, const char *kv, int index, char *err,
                       size_t errlen)
{
    if (strchr(kv, '\n')) {
        snprintf(err, errlen, "%s:%d: an override cannot contain a newline",
                 CFG_CMDLINE_SRC, index);
        return -EINVAL;
    }
    if (!strchr(kv, '=')) {
        snprintf(err, errlen, "%s:%d: '%.64s' is not a key=value setting",
                 CFG_CMDLINE_SRC, index, kv);
        return -EINVAL;
    }
    /* Like xl, accept a bare word for a string on the command line:
     * name=web1 means name="web1". */
    const char *eq = strchr(kv, '=');
    const char *v = eq + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    if (*v && *v != '"' && *v != '\'' && *v != '[' && *v != '-' && *v != '+' &&
        !(*v >= '0' && *v <= '9') && !strchr(v, '"')) {
        size_t klen = (size_t)(eq - kv), vlen = strlen(v);
        char *q = malloc(klen + vlen + 4);
        if (!q) {
            snprintf(err, errlen, "out of memory");
            return -ENOMEM;
        }
        memcpy(q, kv, klen);
        q[klen] = '=';
        q[klen + 1] = '"';
        memcpy(q + klen + 2, v, vlen);
        q[klen + 2 + vlen] = '"';
        q[klen + 3 + vlen] = '\0';
        int e =
            cfg_parse_text(c, CFG_CMDLINE_SRC, index, q, false, err, errlen);
        free(q);
        return e;
    }
    return cfg_parse_text(c, CFG_CMDLINE_SRC, index, kv, false, err, errlen);
}

const struct cfg_entry *cfg_lookup(const struct cfg *c, const char *key)
{
    for (size_t i = c->nr_entries; i-- > 0;)
        if (strcmp(c->entries[i].key, key) == 0)
            return &c->entries[i];
    return NULL;
}

const struct cfg_entry *cfg_get_list(const struct cfg *c, const char *key,
                                     size_t max, const char *example, char *err,
                                     size_t errlen, int *rc)
{
    const struct cfg_entry *e = cfg_lookup(c, key);

    *rc = 0;
    if (!e)
        return NULL;
    *rc = -EINVAL;
    if (e->val.type != CFG_LIST)
        snprintf(err, errlen, "%s:%d: %s: must be a list, e.g. %s", e->file,
                 e->line, key, example);
    else if (e->val.nr_items > max)
        snprintf(err, errlen, "%s:%d: %s: more than %zu %ss", e->file, e->line,
                 key, max, key);
    else
        *rc = 0;
    return *rc ? NULL : e;
}
