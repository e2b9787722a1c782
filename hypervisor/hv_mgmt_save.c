// SPDX-License-Identifier: MIT
/* hv_mgmt_save.c: management requests for save, resume and restore. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv.h"
#include "hv_mgmt_int.h"
#include "hv_save.h"

void hv_mgmt_op_save_state(struct client *c, uint64_t id,
                           const Pvmgmt__SaveState *a)
{
    Pvmgmt__Response rsp = PVMGMT__RESPONSE__INIT;
    Pvmgmt__SaveStateReply r = PVMGMT__SAVE_STATE_REPLY__INIT;
    struct hv_domain *d;
    char err[256] = "";
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc;

    if (!a || !(d = hv_mgmt_lookup(c, id, a->domid)))
        return;
    rc = hv_save_state(d, &buf, &len, err, sizeof(err));
    if (rc) {
        hv_mgmt_send_error(c, id, -rc, "save_state: d%u: %s", d->domid, err);
        return;
    }
    r.state.data = buf;
    r.state.len = len;
    rsp.version = PVMGMT__VERSION__VERSION_CURRENT;
    rsp.id = id;
    rsp.result_case = PVMGMT__RESPONSE__RESULT_SAVE_STATE;
    rsp.save_state = &r;
    hv_mgmt_send_response(c, &rsp, NULL, 0);
    free(buf);
}

void hv_mgmt_op_resume(struct client *c, uint64_t id,
                       const Pvmgmt__DomainRef *a)
{
    struct hv_domain *d;
    char err[256] = "";
    int rc;

    if (!a || !(d = hv_mgmt_lookup(c, id, a->domid)))
        return;
    rc = hv_save_resume(d, err, sizeof(err));
    if (rc)
        hv_mgmt_send_error(c, id, -rc, "resume: d%u: %s", d->domid, err);
    else
        hv_mgmt_send_ok(c, id);
}

void hv_mgmt_op_restore_state(struct client *c, uint64_t id,
                              const Pvmgmt__RestoreState *a)
{
    struct hv_domain *d;
    char err[256] = "";
    uint8_t *copy;
    int rc;

    if (!a || !(d = hv_mgmt_lookup(c, id, a->domid)))
        return;
    /* protobuf-c's bytes are not aligned for the state's records. */
    copy = malloc(a->state.len ? a->state.len : 1);
    if (!copy) {
        hv_mgmt_send_error(c, id, ENOMEM, "restore_state: out of memory");
        return;
    }
    memcpy(copy, a->state.data, a->state.len);
    rc = hv_restore_state(d, copy, a->state.len, err, sizeof(err));
    free(copy);
    if (rc)
        hv_mgmt_send_error(c, id, -rc, "restore_state: d%u: %s", d->domid, err);
    else
        hv_mgmt_send_ok(c, id);
}
