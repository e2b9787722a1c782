/* SPDX-License-Identifier: MIT */
/* string.h: the C library subset guest-kit provides (and gcc may call). */
#ifndef PVISOR_GUEST_KIT_STRING_H
#define PVISOR_GUEST_KIT_STRING_H

#include <stddef.h>

/* Standard semantics; memcpy regions must not overlap, memmove's may. */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strncpy(char *dst, const char *src, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);

/*
 * Copy at most size-1 bytes of `src` and always NUL-terminate (if size > 0).
 * Returns strlen(src), so truncation is `ret >= size`.
 */
size_t gk_strlcpy(char *dst, const char *src, size_t size);

/*
 * Parse an integer in base 10, or 16 with a 0x prefix (base 0), with an
 * optional sign. *end (may be NULL) points after the last digit used.
 */
long gk_strtol(const char *s, const char **end, int base);

#endif /* PVISOR_GUEST_KIT_STRING_H */
