/* SPDX-License-Identifier: MIT */
/* pvgnttab.h: dom0 grant mapping (the shape of Xen's libxengnttab). */
#ifndef PVISOR_DOM0_TOOLS_LIBPVCTRL_INCLUDE_PVGNTTAB_H
#define PVISOR_DOM0_TOOLS_LIBPVCTRL_INCLUDE_PVGNTTAB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

/*
 * pvisor validates each grant entry (granted to domain 0, permitted,
 * read-only grants never mapped writable, frame inside the granting
 * domain) and sets its GTF_reading/GTF_writing bits before answering; the
 * library then maps exactly the validated frames from the domain's memory
 * fd. Unmapping clears the in-use bits. A guest cannot end access to a
 * grant while it is mapped.
 */
typedef struct pvgnttab pvgnttab;

pvgnttab *pvgnttab_open(const char *run_dir);
void pvgnttab_close(pvgnttab *h);
/* Binds the handle's connection to domid (pvc_bind_domain): maps of any
 * other domain are refused from then on. 0 or -errno. */
int pvgnttab_bind_domain(pvgnttab *h, uint32_t domid);
/* prot: PROT_READ or PROT_READ|PROT_WRITE. NULL with errno on failure. */
void *pvgnttab_map_grant_ref(pvgnttab *h, uint32_t domid, uint32_t ref,
                             int prot);
/* Map count grants (one domain or per-ref domids) contiguously. */
void *pvgnttab_map_grant_refs(pvgnttab *h, uint32_t count,
                              const uint32_t *domids, const uint32_t *refs,
                              int prot);
void *pvgnttab_map_domain_grant_refs(pvgnttab *h, uint32_t count,
                                     uint32_t domid, const uint32_t *refs,
                                     int prot);
/* Unmap a region returned by a map call; 0 or -errno. */
int pvgnttab_unmap(pvgnttab *h, void *start, uint32_t count);

struct pvgnttab_copy_seg {
    struct {
        int is_ref; /* 1: ref+domid, 0: local virt */
        uint32_t domid;
        uint32_t ref;
        void *virt;
        uint16_t offset;
    } source, dest;
    uint16_t len;
    int16_t status; /* OUT: GNTST_* */
};
/* Copy segments between dom0 buffers and granted pages. 0 or -errno;
 * per-segment status in segs[i].status. */
int pvgnttab_grant_copy(pvgnttab *h, uint32_t count,
                        struct pvgnttab_copy_seg *segs);

#endif
