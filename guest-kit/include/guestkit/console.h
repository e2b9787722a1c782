/* SPDX-License-Identifier: MIT */
/* console.h: the domain console: formatted output, input (ring only). */
#ifndef PVISOR_GUEST_KIT_CONSOLE_H
#define PVISOR_GUEST_KIT_CONSOLE_H

#include <stdarg.h>
#include <stddef.h>

#define GK_PRINTF(fmt_idx, arg_idx) \
    __attribute__((format(printf, fmt_idx, arg_idx)))

/*
 * Format into `buf` (at most `size` bytes including the NUL; `size` may be
 * 0). Returns the length the full output would have had. Conversions:
 * %d %i %u %x %X %o %p %s %c %%, length modifiers hh h l ll z t j, flags
 * '-' '0' '+' ' ' '#', width and precision (numbers or '*').
 */
int gk_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* Like gk_vsnprintf with variable arguments. */
int gk_snprintf(char *buf, size_t size, const char *fmt, ...) GK_PRINTF(3, 4);

/*
 * Print to the console. Output up to 512 bytes goes out in one hypercall
 * or one locked ring write, so lines printed by different vCPUs do not
 * interleave. Returns the
 * number of characters formatted.
 */
int gk_printf(const char *fmt, ...) GK_PRINTF(1, 2);

/* gk_printf with a va_list. */
int gk_vprintf(const char *fmt, va_list ap);

/* Print `s` followed by a newline. Returns 0 or a negative Xen errno. */
int gk_puts(const char *s);

/* Write `len` raw bytes. Returns 0 or a negative Xen errno. */
int gk_console_write(const char *buf, size_t len);

/*
 * The console ring (drivers/consfront.c). When start_info names a console
 * ring page and an event channel that dom0's console backend serves,
 * guest-kit switches its console to the ring before main() runs; output
 * written before that, and all output when there is no ring, goes
 * through console_io. On the ring a full buffer makes writers wait for
 * the backend: output is never dropped.
 */

/* 1 when the console ring is in use, 0 when output goes to console_io. */
int gk_console_ring_active(void);

/*
 * Block the calling thread until a byte of console input arrives; return
 * it (0..255), or -XEN_ENODEV without a console ring (console_io has no
 * input). One reading thread at a time.
 */
int gk_console_getc(void);

/*
 * Read one line into buf (at most size-1 bytes kept, NUL-terminated, the
 * line end removed). "\r", "\n" and "\r\n" end a line; DEL/backspace erase
 * the last character. With echo, typed characters are written back (a
 * terminal attached with `pvctl console` does not echo locally). Returns
 * the line length or a negative Xen errno (as gk_console_getc).
 */
int gk_console_readline(char *buf, size_t size, int echo);

#endif /* PVISOR_GUEST_KIT_CONSOLE_H */
