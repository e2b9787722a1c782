// SPDX-License-Identifier: MIT
/* pvc_save.c: save, resume and restore requests (pvctl save/restore). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pvc_internal.h"

int pvc_save_state(struct pvc_handle *h, uint32_t domid, uint8_t **state,
                   size_t *len)
{
    Pvmgmt__Request req = PVMGMT__REQUEST__INIT;
    Pvmgmt__SaveState s = PVMGMT__SAVE_STATE__INIT;
    Pvmgmt__Response *resp;
    int err;

    s.domid = domid;
    req.op_case = PVMGMT__REQUEST__OP_SAVE_STATE;
    req.save_state = &s;
    err = pvc_call_expect(h, &req, PVMGMT__RESPONSE__RESULT_SAVE_STATE, &resp);
    if (err)
        return err;
    *len = resp->save_state->state.len;
    *state = malloc(*len ? *len : 1);
    if (!*state) {
        pvmgmt__response__free_unpacked(resp, NULL);
        return -ENOMEM;
    }
    memcpy(*state, resp->save_state->state.data, *len);
    pvmgmt__response__free_unpacked(resp, NULL);
    return 0;
}

int pvc_resume(struct pvc_handle *h, uint32_t domid)
{
    Pvmgmt__Request req = PVMGMT__REQUEST__INIT;
    Pvmgmt__DomainRef r = PVMGMT__DOMAIN_REF__INIT;
    Pvmgmt__Response *resp;
    int err;

    r.domid = domid;
    req.op_case = PVMGMT__REQUEST__OP_RESUME;
    req.resume = &r;
    err = pvc_call_expect(h, &req, PVMGMT__RESPONSE__RESULT__NOT_SET, &resp);
    if (!err)
        pvmgmt__response__free_unpacked(resp, NULL);
    return err;
}

int pvc_restore_state(struct pvc_handle *h, uint32_t domid,
                      const uint8_t *state, size_t len)
{
    Pvmgmt__Request req = PVMGMT__REQUEST__INIT;
    Pvmgmt__RestoreState r = PVMGMT__RESTORE_STATE__INIT;
    Pvmgmt__Response *resp;
    int err;

    r.domid = domid;
    r.state.data = (uint8_t *)state;
    r.state.len = len;
    req.op_case = PVMGMT__REQUEST__OP_RESTORE_STATE;
    req.restore_state = &r;
    err = pvc_call_expect(h, &req, PVMGMT__RESPONSE__RESULT__NOT_SET, &resp);
    if (!err)
        pvmgmt__response__free_unpacked(resp, NULL);
    return err;
}
