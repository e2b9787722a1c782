/* SPDX-License-Identifier: MIT */
/* hv_log.h: leveled logging into a ring buffer (dmesg), a file or stderr. */
#ifndef PVISOR_HYPERVISOR_HV_LOG_H
#define PVISOR_HYPERVISOR_HV_LOG_H

#include <stddef.h>
#include <stdint.h>

enum hv_log_level { HV_LOG_ERR, HV_LOG_WARN, HV_LOG_INFO, HV_LOG_DEBUG };

extern int hv_log_level;

/* Log one line (a newline is added). Thread safe. */
void hv_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Send log lines to fd too (stderr or a log file); -1 = ring only. */
void hv_log_set_fd(int fd);
/* The descriptor of hv_log_set_fd (2 by default). */
int hv_log_get_fd(void);
/* Parse "err|warn|info|debug"; returns -1 if unknown. */
int hv_log_parse_level(const char *s);
/* Copy log bytes starting at *offset into buf; returns bytes copied and
 * advances *offset (clamped to the oldest byte held). */
size_t hv_log_read(uint64_t *offset, char *buf, size_t len);
void hv_log_clear(void);

#define log_err(...)  hv_log(HV_LOG_ERR, __VA_ARGS__)
#define log_warn(...) hv_log(HV_LOG_WARN, __VA_ARGS__)
#define log_info(...) hv_log(HV_LOG_INFO, __VA_ARGS__)
#define log_debug(...)                         \
    do {                                       \
        if (hv_log_level >= HV_LOG_DEBUG)      \
            hv_log(HV_LOG_DEBUG, __VA_ARGS__); \
    } while (0)

#endif
