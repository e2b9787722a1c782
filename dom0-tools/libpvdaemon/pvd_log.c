// SPDX-License-Identifier: MIT
/* pvd_log.c: the one log-line format every pvisor daemon writes. */
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "pvd_log.h"

static const char *const level_names[] = { "err", "warn", "info", "debug" };

/* The pid on each line, read once per process (pvd_daemonize() and a
 * fork change it): getpid() is not a call every sandboxed thread may
 * make. */
static pid_t log_pid;

void pvd_log_reset_pid(void)
{
    log_pid = getpid();
}

/*
 * UTC calendar date of a day count since 1970-01-01, without gmtime_r():
 * its first call may read the time-zone files, which a sandboxed thread
 * may not open.
 */
static void civil_from_days(long long z, int *y, unsigned *m, unsigned *d)
{
    long long era, yy;
    unsigned doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    yy = (long long)yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (*m <= 2));
}

int pvd_log_parse_level(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, level_names[i]))
            return i;
    if (!strcmp(s, "error"))
        return PVD_LOG_ERR;
    if (!strcmp(s, "warning"))
        return PVD_LOG_WARN;
    return -1;
}

size_t pvd_log_format(char *line, size_t len, const char *component, int level,
                      const char *fmt, va_list ap)
{
    struct timespec ts;
    long long days, secs;
    unsigned mon, mday;
    int n, m, year;

    if (!log_pid)
        log_pid = getpid();
    clock_gettime(CLOCK_REALTIME, &ts);
    days = (long long)ts.tv_sec / 86400;
    secs = (long long)ts.tv_sec % 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    civil_from_days(days, &year, &mon, &mday);
    n = snprintf(line, len,
                 "%04d-%02u-%02uT%02d:%02d:%02d.%03ldZ %s[%d] %s: ", year, mon,
                 mday, (int)(secs / 3600), (int)(secs / 60 % 60),
                 (int)(secs % 60), ts.tv_nsec / 1000000, component,
                 (int)log_pid, level_names[level < 0 ? 0 : level & 3]);
    if (n < 0)
        n = 0;
    if ((size_t)n > len - 2)
        n = (int)len - 2;
    m = vsnprintf(line + n, len - (size_t)n - 1, fmt, ap);
    n += m < 0 ? 0 : m;
    if (n > (int)len - 2)
        n = (int)len - 2;
    line[n++] = '\n';
    line[n] = 0;
    return (size_t)n;
}
