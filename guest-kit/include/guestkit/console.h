/* SPDX-License-Identifier: MIT */
/* console.h: formatted output to the domain console (console_io). */
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
 * Print to the console. Output up to 512 bytes goes out in one hypercall,
 * so lines printed by different vCPUs do not interleave. Returns the
 * number of characters formatted.
 */
int gk_printf(const char *fmt, ...) GK_PRINTF(1, 2);

/* gk_printf with a va_list. */
int gk_vprintf(const char *fmt, va_list ap);

/* Print `s` followed by a newline. Returns 0 or a negative Xen errno. */
int gk_puts(const char *s);

/* Write `len` raw bytes. Returns 0 or a negative Xen errno. */
int gk_console_write(const char *buf, size_t len);

#endif /* PVISOR_GUEST_KIT_CONSOLE_H */
