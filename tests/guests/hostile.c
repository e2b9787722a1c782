/* SPDX-License-Identifier: MIT */
/* hostile.c: a guest that tries to reach the host with raw system calls. */
#include <guestkit/guestkit.h>

/*
 * Where a domain is a host process (the proc platform), the guest could
 * try the host kernel's system calls directly. Each `syscall` below is a
 * Linux call by its number: write to fd 1, open/creat a file, kill
 * pvisor (pid from the command line), mmap/mprotect over the stub, ptrace,
 * fork, execve; then every number 0..450 with zero arguments (but 23,
 * HYPERVISOR_iret, which would return through a garbage frame). pvisor
 * must treat each as a hypercall of that number: an error or a crash,
 * never a host effect. On KVM the first `syscall` enters guest CPL0 with
 * no handler and the domain crashes.
 */

#define HOSTILE_FILE "/tmp/pvisor-hostile-file"

static long raw(long nr, long a1, long a2, long a3, long a4, long a5)
{
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    long r;

    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "0"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8)
                     : "rcx", "r11", "memory");
    return r;
}

int main(void)
{
    static const char msg[] = "HOSTILE-WRITE\n";
    static const char path[] = HOSTILE_FILE;
    static char *const argv[] = { (char *)"/bin/sh", 0 };
    long pid = gk_cmdline_int("pid", 0);
    long stub = 0x7fe000000000L;

    gk_printf("hostile: write %ld\n",
              raw(1, 1, (long)msg, sizeof(msg) - 1, 0, 0));
    gk_printf("hostile: open %ld\n", raw(2, (long)path, 0101, 0644, 0, 0));
    gk_printf("hostile: creat %ld\n", raw(85, (long)path, 0644, 0, 0, 0));
    if (pid > 0)
        gk_printf("hostile: kill %ld\n", raw(62, pid, 12, 0, 0, 0));
    gk_printf("hostile: mmap %ld\n", raw(9, stub, 4096, 7, 0x32, -1));
    gk_printf("hostile: mprotect %ld\n", raw(10, stub, 4096, 7, 0, 0));
    gk_printf("hostile: ptrace %ld\n", raw(101, 0, 0, 0, 0, 0));
    gk_printf("hostile: fork %ld\n", raw(57, 0, 0, 0, 0, 0));
    gk_printf("hostile: execve %ld\n",
              raw(59, (long)argv[0], (long)argv, 0, 0, 0));
    for (long nr = 0; nr <= 450; nr++)
        if (nr != 23)
            (void)raw(nr, 0, 0, 0, 0, 0);
    gk_printf("hostile: all %d numbers tried\n", 451);
    gk_printf("HOSTILE-DONE\n");
    return 0;
}
