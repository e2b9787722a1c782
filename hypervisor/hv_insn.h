/* SPDX-License-Identifier: MIT */
/* hv_insn.h: decoder for privileged instructions, for crash reports. */
#ifndef PVISOR_HYPERVISOR_HV_INSN_H
#define PVISOR_HYPERVISOR_HV_INSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hv_insn {
    char text[64];    /* e.g. "mov ..., %cr3" */
    const char *hint; /* what a PV kernel uses instead */
    unsigned len;     /* bytes decoded (prefixes included) */
    bool privileged;
};

/* Decode the instruction in b[0..n). Returns 0 if it is one pvisor knows
 * (privileged, or notable like ud2), -1 otherwise. */
int hv_insn_decode(const uint8_t *b, size_t n, struct hv_insn *out);

#endif
