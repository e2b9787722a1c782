// SPDX-License-Identifier: MIT
/* hv_log.c: leveled logging into a ring buffer (dmesg), a file or stderr. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hv_log.h"
#include "pvd_log.h"

#define LOG_RING (256 * 1024)

int hv_log_level = HV_LOG_INFO;
static int log_fd = 2;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char ring[LOG_RING];
static uint64_t ring_end;   /* absolute offset of the next byte */
static uint64_t ring_start; /* oldest byte not cleared */

void hv_log_set_fd(int fd)
{
    log_fd = fd;
}

int hv_log_get_fd(void)
{
    return log_fd;
}

int hv_log_parse_level(const char *s)
{
    return pvd_log_parse_level(s);
}

void hv_log(int level, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    size_t n;

    if (level > hv_log_level)
        return;
    va_start(ap, fmt);
    n = pvd_log_format(line, sizeof(line), "pvisor", level, fmt, ap);
    va_end(ap);

    pthread_mutex_lock(&log_lock);
    for (size_t i = 0; i < n; i++)
        ring[(ring_end + (uint64_t)i) % LOG_RING] = line[i];
    ring_end += (uint64_t)n;
    if (ring_end - ring_start > LOG_RING)
        ring_start = ring_end - LOG_RING;
    if (log_fd >= 0) {
        ssize_t w = write(log_fd, line, (size_t)n);
        (void)w;
    }
    pthread_mutex_unlock(&log_lock);
}

size_t hv_log_read(uint64_t *offset, char *buf, size_t len)
{
    size_t n = 0;

    pthread_mutex_lock(&log_lock);
    if (*offset < ring_start)
        *offset = ring_start;
    while (*offset < ring_end && n < len)
        buf[n++] = ring[(*offset)++ % LOG_RING];
    pthread_mutex_unlock(&log_lock);
    return n;
}

void hv_log_clear(void)
{
    pthread_mutex_lock(&log_lock);
    ring_start = ring_end;
    pthread_mutex_unlock(&log_lock);
}
