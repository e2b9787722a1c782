/* SPDX-License-Identifier: MIT */
/* hv_guestmem.h: the one checked way to reach guest memory. */
#ifndef PVISOR_HYPERVISOR_HV_GUESTMEM_H
#define PVISOR_HYPERVISOR_HV_GUESTMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hv_vcpu;

/* A guest address space: RAM [0, size) at host address mem, and a root. */
struct hv_aspace {
    uint8_t *mem;
    uint64_t size;
    uint64_t cr3;
};

#define HV_ACC_WRITE 1u
#define HV_ACC_USER  2u /* the guest runs at CPL3: always set for guests */

/* Largest single guest copy a hypercall may ask for. */
#define HV_COPY_MAX (1u << 20)

/* What hv_pt_walk read last: the entry that ended the walk. */
struct hv_walk {
    int level;          /* 4 (L4) .. 1 (L1) */
    uint64_t entry_gpa; /* where that entry is in guest RAM */
    uint64_t entry;     /* its value, read once */
};

/*
 * The one page walker: reads gva's entries from the L4 down, each once,
 * until it has read the entry of level `stop` (1..4) or a leaf (an L1
 * entry, or PS at L3/L2), checking on the way: gva canonical and outside
 * pvisor's L4 slot, every table inside guest RAM, every entry present,
 * U and RW where acc asks. 0 with *w the last entry read; -XEN_EFAULT
 * otherwise (*w then holds the entry that failed, if one was read).
 */
int hv_pt_walk(const struct hv_aspace *as, uint64_t gva, unsigned acc, int stop,
               struct hv_walk *w);

/* v's address space: its domain's RAM and its current cr3. */
struct hv_aspace hv_vcpu_aspace(struct hv_vcpu *v);

/*
 * Translate gva as the guest's CPU would for an access of kind 'acc':
 * canonical address outside pvisor's L4 slot, present at every level, U
 * (and RW for writes) at every level, every table and the final frame in
 * guest RAM. Each entry is read once. Returns 0 and *gpa, or -XEN_EFAULT.
 */
int hv_gva_to_gpa(const struct hv_aspace *as, uint64_t gva, unsigned acc,
                  uint64_t *gpa);

/* Copy len bytes between guest virtual gva and host buffer, page by page.
 * Returns 0 or -XEN_EFAULT (nothing is partially trusted: on a fault the
 * destination may hold a prefix). len above HV_COPY_MAX is -XEN_EFAULT. */
int hv_aspace_read(const struct hv_aspace *as, void *dst, uint64_t gva,
                   size_t len);
int hv_aspace_write(const struct hv_aspace *as, uint64_t gva, const void *src,
                    size_t len);

/* Same, for the vCPU's current address space. */
int hv_copy_from_guest(struct hv_vcpu *v, void *dst, uint64_t gva, size_t len);
int hv_copy_to_guest(struct hv_vcpu *v, uint64_t gva, const void *src,
                     size_t len);

/* True if [gpa, gpa+len) lies inside guest RAM (overflow safe). */
bool hv_gpa_range_ok(uint64_t mem_size, uint64_t gpa, uint64_t len);

#endif
