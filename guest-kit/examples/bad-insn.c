/* SPDX-License-Identifier: MIT */
/* bad-insn.c: executes a privileged instruction chosen by `insn=`. */
#include <guestkit/guestkit.h>

static const char *const insns[] = {
    "hlt", "cr3", "wrmsr", "lgdt", "invlpg", "out", "cli",
};

static void execute(const char *insn)
{
    static struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) gdtr;
    uint64_t v;

    if (!strcmp(insn, "hlt")) {
        __asm__ volatile("hlt");
    } else if (!strcmp(insn, "cr3")) {
        __asm__ volatile("mov %%cr3, %0" : "=r"(v));
        gk_printf("bad-insn: read cr3 = 0x%lx\n", v);
    } else if (!strcmp(insn, "wrmsr")) {
        /* IA32_FS_BASE; the kernel would use set_segment_base instead. */
        __asm__ volatile("wrmsr" : : "c"(0xc0000100), "a"(0), "d"(0));
    } else if (!strcmp(insn, "lgdt")) {
        __asm__ volatile("lgdt %0" : : "m"(gdtr));
    } else if (!strcmp(insn, "invlpg")) {
        __asm__ volatile("invlpg (%0)" : : "r"(&gdtr) : "memory");
    } else if (!strcmp(insn, "out")) {
        __asm__ volatile("outb %%al, $0x80" : : "a"(0));
    } else if (!strcmp(insn, "cli")) {
        __asm__ volatile("cli; sti" ::: "memory");
    }
}

int main(void)
{
    char insn[16] = "hlt";
    char trap[16] = "pvisor";
    int known = 0;

    gk_cmdline_get("insn", insn, sizeof(insn));
    gk_cmdline_get("trap", trap, sizeof(trap));
    for (unsigned int i = 0; i < GK_ARRAY_SIZE(insns); i++)
        known |= !strcmp(insn, insns[i]);
    if (!known) {
        gk_printf("bad-insn: unknown insn=%s (try hlt|cr3|wrmsr|lgdt|invlpg|"
                  "out|cli)\n",
                  insn);
        return 2;
    }
    /* By default leave #GP/#UD to pvisor so its crash report decodes the
     * instruction; trap=guest shows guest-kit's own register dump. */
    if (strcmp(trap, "guest") != 0) {
        gk_trap_release(GK_TRAP_GP);
        gk_trap_release(GK_TRAP_UD);
    }
    gk_printf("bad-insn: executing '%s' at CPL3; expecting the domain to "
              "crash (%s reports it)\n",
              insn, strcmp(trap, "guest") ? "pvisor" : "guest-kit");
    execute(insn);
    gk_printf("bad-insn: '%s' executed without a fault\n", insn);
    return 3;
}
