// SPDX-License-Identifier: MIT
/* run_util.c: helpers shared by the unit and integration runners. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "run_util.h"

void run_kill_children(void)
{
    char path[64], buf[4096];
    long pid = 0;
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
    fd = open(path, O_RDONLY);
    if (fd < 0)
        return;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] >= '0' && buf[i] <= '9') {
            pid = pid * 10 + (buf[i] - '0');
        } else {
            if (pid > 0)
                kill((pid_t)pid, SIGKILL);
            pid = 0;
        }
    }
}
