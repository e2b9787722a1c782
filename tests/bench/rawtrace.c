// SPDX-License-Identifier: MIT
/* rawtrace.c: the proc platform's raw mechanism: a `syscall` under
 * PTRACE_SYSEMU, registers read and written, resumed; ns per round trip. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 20000;
    long reps = argc > 2 ? atol(argv[2]) : 1;
    struct user_regs_struct u;
    int st;
    pid_t pid;

    if (n <= 0 || reps <= 0) {
        fprintf(stderr, "usage: rawtrace [N [REPS]]\n");
        return 2;
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
    for (long r = 0; r < reps; r++) {
        uint64_t t0 = now_ns();
        for (long i = 0; i < n; i++) {
            if (ptrace(PTRACE_SYSEMU, pid, NULL, NULL) < 0 ||
                waitpid(pid, &st, 0) != pid ||
                ptrace(PTRACE_GETREGS, pid, NULL, &u) < 0) {
                perror("rawtrace: ptrace");
                kill(pid, SIGKILL);
                return 1;
            }
            u.rax = 0;
            if (ptrace(PTRACE_SETREGS, pid, NULL, &u) < 0) {
                perror("rawtrace: PTRACE_SETREGS");
                kill(pid, SIGKILL);
                return 1;
            }
        }
        printf("rawtrace: n=%ld total_ns=%" PRIu64 "\n", n, now_ns() - t0);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return 0;
}
