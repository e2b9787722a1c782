/* SPDX-License-Identifier: MIT */
/* pvd_log.h: the one log-line format every pvisor daemon writes. */
#ifndef PVISOR_DOM0_TOOLS_LIBPVDAEMON_PVD_LOG_H
#define PVISOR_DOM0_TOOLS_LIBPVDAEMON_PVD_LOG_H

#include <stdarg.h>
#include <stddef.h>

/* Levels, most severe first: a daemon logs a line when its level is at
 * most the one it was given (--log-level). */
enum pvd_log_level {
    PVD_LOG_ERR,
    PVD_LOG_WARN,
    PVD_LOG_INFO,
    PVD_LOG_DEBUG,
};

/* err, warn, info or debug (also error, warning): the level, or -1. */
int pvd_log_parse_level(const char *s);

/*
 * Formats one log line into line (len at least 64):
 *   2026-12-04T20:43:07.123Z COMPONENT[PID] LEVEL: MESSAGE\n
 * with the UTC wall-clock time, the component (the daemon's name) and
 * its pid, and the level's name (err, warn, info, debug). A message too
 * long is cut; the line always ends in one newline. Returns its length.
 */
size_t pvd_log_format(char *line, size_t len, const char *component, int level,
                      const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

/* Reads the pid for the log lines again (after a fork; pvd_daemonize()
 * does it in the daemon). */
void pvd_log_reset_pid(void);

#endif /* PVISOR_DOM0_TOOLS_LIBPVDAEMON_PVD_LOG_H */
