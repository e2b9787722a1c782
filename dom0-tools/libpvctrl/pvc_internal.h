/* SPDX-License-Identifier: MIT */
/* pvc_internal.h: libpvctrl internals shared by its source files. */
#ifndef PVISOR_DOM0_TOOLS_LIBPVCTRL_PVC_INTERNAL_H
#define PVISOR_DOM0_TOOLS_LIBPVCTRL_PVC_INTERNAL_H

#include "pvctrl.h"

struct pvc_handle {
    int fd;
    uint64_t next_id;
    char err[512];
};

/* Formats the handle's last error text. */
void pvc_set_error(struct pvc_handle *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Copies src (untrusted) into dst, truncating and masking control bytes. */
void pvc_sanitize_copy(char *dst, size_t dstlen, const char *src);

/*
 * Sends req; a successful response must carry result_case want (NOT_SET:
 * none). On success the caller frees *resp; on failure it is freed.
 */
int pvc_call_expect(struct pvc_handle *h, Pvmgmt__Request *req,
                    Pvmgmt__Response__ResultCase want, Pvmgmt__Response **resp);

#endif /* PVISOR_DOM0_TOOLS_LIBPVCTRL_PVC_INTERNAL_H */
