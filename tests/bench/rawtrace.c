// SPDX-License-Identifier: MIT
/* rawtrace.c: the proc platform's raw mechanism: a `syscall` under
 * PTRACE_SYSEMU, registers read and written, resumed; ns per round trip.
 *
 * usage: rawtrace [N [REPS [echo]]]: REPS timed batches of N stops each
 * after 1000 untimed ones. With `echo`, every stop is also a round trip
 * to a second process through two eventfds (a dom0 backend's stand-in)
 * before the traced child is resumed: the least a guest -> dom0 process
 * -> guest round trip can cost under this mechanism. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The traced child: `syscall` forever, as a guest's hypercall page does. */
static void child(void)
{
    ptrace(PTRACE_TRACEME, 0, NULL, NULL);
    raise(SIGSTOP);
    for (;;)
        __asm__ volatile("mov $17, %%eax; syscall" ::
                             : "rax", "rcx", "r11", "memory");
}

/* Echo mode: the second process blocks on `to_echo` and answers on
 * `to_tracer`; -1 when not in echo mode. */
static int to_echo = -1, to_tracer = -1;

static int efd_write(int fd, uint64_t v)
{
    return write(fd, &v, sizeof(v)) == sizeof(v) ? 0 : -1;
}

static int efd_read(int fd, uint64_t *v)
{
    while (read(fd, v, sizeof(*v)) != sizeof(*v))
        if (errno != EINTR)
            return -1;
    return 0;
}

static pid_t start_echo(void)
{
    pid_t pid;

    to_echo = eventfd(0, EFD_CLOEXEC);
    to_tracer = eventfd(0, EFD_CLOEXEC);
    if (to_echo < 0 || to_tracer < 0)
        return -1;
    pid = fork();
    if (pid == 0) {
        uint64_t v;

        /* Ends when the tracer writes the stop value (2^62). */
        for (;;) {
            if (efd_read(to_echo, &v) || v >= (1ULL << 62) ||
                efd_write(to_tracer, 1))
                _exit(0);
        }
    }
    return pid;
}

/* n stops of the traced child; -1 on an error (errno set). */
static int stops(pid_t pid, long n)
{
    struct user_regs_struct u;
    uint64_t v;
    int st;

    for (long i = 0; i < n; i++) {
        if (ptrace(PTRACE_SYSEMU, pid, NULL, NULL) < 0 ||
            waitpid(pid, &st, 0) != pid ||
            ptrace(PTRACE_GETREGS, pid, NULL, &u) < 0)
            return -1;
        if (to_echo >= 0 && (efd_write(to_echo, 1) || efd_read(to_tracer, &v)))
            return -1;
        u.rax = 0;
        if (ptrace(PTRACE_SETREGS, pid, NULL, &u) < 0)
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 20000;
    long reps = argc > 2 ? atol(argv[2]) : 1;
    bool echo = argc > 3 && !strcmp(argv[3], "echo");
    pid_t pid, echo_pid = -1;
    int st, rc = 0;

    if (n <= 0 || reps <= 0 || (argc > 3 && !echo) || argc > 4) {
        fprintf(stderr, "usage: rawtrace [N [REPS [echo]]]\n");
        return 2;
    }
    if (echo && (echo_pid = start_echo()) < 0) {
        perror("rawtrace: echo process");
        return 1;
    }
    pid = fork();
    if (pid < 0) {
        perror("rawtrace: fork");
        return 1;
    }
    if (pid == 0)
        child();
    if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st)) {
        fprintf(stderr, "rawtrace: child did not stop\n");
        return 1;
    }
    if (stops(pid, 1000) < 0) { /* warm-up */
        perror("rawtrace: ptrace");
        rc = 1;
    }
    for (long r = 0; r < reps && !rc; r++) {
        uint64_t t0 = now_ns();

        if (stops(pid, n) < 0) {
            perror("rawtrace: ptrace");
            rc = 1;
            break;
        }
        printf("rawtrace: mode=%s n=%ld total_ns=%" PRIu64 "\n",
               echo ? "echo" : "stop", n, now_ns() - t0);
        fflush(stdout);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    if (echo_pid > 0) {
        if (efd_write(to_echo, 1ULL << 62))
            kill(echo_pid, SIGKILL);
        waitpid(echo_pid, NULL, 0);
    }
    return rc;
}
