/* SPDX-License-Identifier: MIT */
/* printf.c: the formatter behind gk_printf and gk_snprintf. */
#include <stdint.h>

#include <guestkit/console.h>
#include <guestkit/string.h>

/* Output cursor: counts every character, stores those that fit. */
struct out {
    char *buf;
    size_t size;
    size_t len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void put_n(struct out *o, char c, int n)
{
    while (n-- > 0)
        put(o, c);
}

/* Conversion spec after parsing flags, width, precision and length. */
struct spec {
    int left;  /* '-' */
    int zero;  /* '0' */
    int plus;  /* '+' */
    int space; /* ' ' */
    int alt;   /* '#' */
    int width;
    int prec; /* -1: none */
};

static void put_str(struct out *o, const struct spec *sp, const char *s)
{
    size_t n;
    int pad;

    if (!s)
        s = "(null)";
    n = sp->prec >= 0 ? strnlen(s, (size_t)sp->prec) : strlen(s);
    pad = sp->width > (int)n ? sp->width - (int)n : 0;
    if (!sp->left)
        put_n(o, ' ', pad);
    for (size_t i = 0; i < n; i++)
        put(o, s[i]);
    if (sp->left)
        put_n(o, ' ', pad);
}

/* Print `v` (magnitude) with sign/prefix, honouring width and precision. */
static void put_num(struct out *o, const struct spec *sp, uint64_t v, int neg,
                    unsigned base, int upper, const char *prefix)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int nd = 0, nz, total, pad;
    char sign = 0;
    size_t plen = prefix ? strlen(prefix) : 0;

    do {
        tmp[nd++] = digits[v % base];
        v /= base;
    } while (v);
    if (sp->prec == 0 && nd == 1 && tmp[0] == '0')
        nd = 0; /* "%.0d" of 0 prints nothing */
    if (neg)
        sign = '-';
    else if (sp->plus)
        sign = '+';
    else if (sp->space)
        sign = ' ';
    nz = sp->prec > nd ? sp->prec - nd : 0;
    total = nd + nz + (sign ? 1 : 0) + (int)plen;
    pad = sp->width > total ? sp->width - total : 0;
    if (sp->zero && !sp->left && sp->prec < 0) {
        nz += pad; /* zero padding goes after the sign */
        pad = 0;
    }
    if (!sp->left)
        put_n(o, ' ', pad);
    if (sign)
        put(o, sign);
    for (size_t i = 0; i < plen; i++)
        put(o, prefix[i]);
    put_n(o, '0', nz);
    while (nd > 0)
        put(o, tmp[--nd]);
    if (sp->left)
        put_n(o, ' ', pad);
}

enum { LEN_INT, LEN_CHAR, LEN_SHORT, LEN_LONG, LEN_LLONG, LEN_SIZE };

int gk_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };

    while (*fmt) {
        struct spec sp = { 0, 0, 0, 0, 0, 0, -1 };
        int len = LEN_INT;
        uint64_t u;
        int64_t s;
        char c;

        if (*fmt != '%') {
            put(&o, *fmt++);
            continue;
        }
        fmt++;
        for (;; fmt++) {
            if (*fmt == '-')
                sp.left = 1;
            else if (*fmt == '0')
                sp.zero = 1;
            else if (*fmt == '+')
                sp.plus = 1;
            else if (*fmt == ' ')
                sp.space = 1;
            else if (*fmt == '#')
                sp.alt = 1;
            else
                break;
        }
        if (*fmt == '*') {
            sp.width = va_arg(ap, int);
            if (sp.width < 0) {
                sp.left = 1;
                sp.width = -sp.width;
            }
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9')
                sp.width = sp.width * 10 + (*fmt++ - '0');
        }
        if (*fmt == '.') {
            fmt++;
            sp.prec = 0;
            if (*fmt == '*') {
                sp.prec = va_arg(ap, int);
                if (sp.prec < 0)
                    sp.prec = -1;
                fmt++;
            } else {
                while (*fmt >= '0' && *fmt <= '9')
                    sp.prec = sp.prec * 10 + (*fmt++ - '0');
            }
        }
        if (*fmt == 'h') {
            len = LEN_SHORT;
            if (*++fmt == 'h') {
                len = LEN_CHAR;
                fmt++;
            }
        } else if (*fmt == 'l') {
            len = LEN_LONG;
            if (*++fmt == 'l') {
                len = LEN_LLONG;
                fmt++;
            }
        } else if (*fmt == 'z' || *fmt == 't' || *fmt == 'j') {
            len = LEN_SIZE;
            fmt++;
        }

        c = *fmt;
        if (!c)
            break;
        fmt++;
        switch (c) {
        case 'd':
        case 'i':
            if (len == LEN_LONG || len == LEN_LLONG || len == LEN_SIZE)
                s = va_arg(ap, int64_t);
            else
                s = va_arg(ap, int);
            if (len == LEN_CHAR)
                s = (signed char)s;
            else if (len == LEN_SHORT)
                s = (short)s;
            u = s < 0 ? (uint64_t)0 - (uint64_t)s : (uint64_t)s;
            put_num(&o, &sp, u, s < 0, 10, 0, NULL);
            break;
        case 'u':
        case 'x':
        case 'X':
        case 'o':
            if (len == LEN_LONG || len == LEN_LLONG || len == LEN_SIZE)
                u = va_arg(ap, uint64_t);
            else
                u = va_arg(ap, unsigned int);
            if (len == LEN_CHAR)
                u = (unsigned char)u;
            else if (len == LEN_SHORT)
                u = (unsigned short)u;
            sp.plus = sp.space = 0;
            if (c == 'u')
                put_num(&o, &sp, u, 0, 10, 0, NULL);
            else if (c == 'o')
                put_num(&o, &sp, u, 0, 8, 0, sp.alt && u ? "0" : NULL);
            else
                put_num(&o, &sp, u, 0, 16, c == 'X',
                        sp.alt && u ? (c == 'X' ? "0X" : "0x") : NULL);
            break;
        case 'p':
            u = (uint64_t)(uintptr_t)va_arg(ap, void *);
            sp.plus = sp.space = 0;
            put_num(&o, &sp, u, 0, 16, 0, "0x");
            break;
        case 's':
            put_str(&o, &sp, va_arg(ap, const char *));
            break;
        case 'c': {
            char ch[2] = { (char)va_arg(ap, int), 0 };

            sp.prec = 1;
            if (!ch[0]) {
                /* A NUL char still counts as one character of output. */
                put_n(&o, ' ', sp.left ? 0 : sp.width - 1);
                put(&o, '\0');
                put_n(&o, ' ', sp.left ? sp.width - 1 : 0);
            } else {
                put_str(&o, &sp, ch);
            }
            break;
        }
        case '%':
            put(&o, '%');
            break;
        default:
            /* Unknown conversion: print it literally. */
            put(&o, '%');
            put(&o, c);
            break;
        }
    }
    if (o.size)
        o.buf[o.len < o.size ? o.len : o.size - 1] = '\0';
    return (int)o.len;
}

int gk_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = gk_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
