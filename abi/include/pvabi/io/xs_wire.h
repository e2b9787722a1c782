/* SPDX-License-Identifier: MIT */
/* xs_wire.h: xenstore wire protocol: message header, types, errors, ring. */
#ifndef PVISOR_ABI_PVABI_IO_XS_WIRE_H
#define PVISOR_ABI_PVABI_IO_XS_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* Message types (xsd_sockmsg.type). Replies carry the request's type, or
 * XS_ERROR with an error name as payload. */
enum xsd_sockmsg_type {
    XS_CONTROL,
#define XS_DEBUG XS_CONTROL
    XS_DIRECTORY,
    XS_READ,
    XS_GET_PERMS,
    XS_WATCH,
    XS_UNWATCH,
    XS_TRANSACTION_START,
    XS_TRANSACTION_END,
    XS_INTRODUCE,
    XS_RELEASE,
    XS_GET_DOMAIN_PATH,
    XS_WRITE,
    XS_MKDIR,
    XS_RM,
    XS_SET_PERMS,
    XS_WATCH_EVENT,
    XS_ERROR,
    XS_IS_DOMAIN_INTRODUCED,
    XS_RESUME,
    XS_SET_TARGET,
    /* 20 was XS_RESTRICT, withdrawn; the number stays unused. */
    XS_RESET_WATCHES = XS_SET_TARGET + 2,
    XS_DIRECTORY_PART,
    XS_TYPE_COUNT,      /* number of type slots */
    XS_INVALID = 0xffff /* never a valid type */
};

/* Legacy XS_WRITE flag strings. */
#define XS_WRITE_NONE        "NONE"
#define XS_WRITE_CREATE      "CREATE"
#define XS_WRITE_CREATE_EXCL "CREATE|EXCL"

/*
 * Errors travel as their symbolic names ("ENOENT"). The numbers here are
 * Linux's, defined locally so this header does not depend on <errno.h>.
 */
#define XS_ERRNO_EPERM     1
#define XS_ERRNO_ENOENT    2
#define XS_ERRNO_EIO       5
#define XS_ERRNO_E2BIG     7
#define XS_ERRNO_EAGAIN    11
#define XS_ERRNO_ENOMEM    12
#define XS_ERRNO_EACCES    13
#define XS_ERRNO_EBUSY     16
#define XS_ERRNO_EEXIST    17
#define XS_ERRNO_EISDIR    21
#define XS_ERRNO_EINVAL    22
#define XS_ERRNO_ENOSPC    28
#define XS_ERRNO_EROFS     30
#define XS_ERRNO_ENOSYS    38
#define XS_ERRNO_ENOTEMPTY 39
#define XS_ERRNO_EISCONN   106

struct xsd_errors {
    int errnum;
    const char *errstring;
};

#define XSD_ERROR(x)     \
    {                    \
        XS_ERRNO_##x, #x \
    }

/* The order is part of the protocol: new errors only ever go at the end. */
static const struct xsd_errors xsd_errors[] __attribute__((unused)) = {
    XSD_ERROR(EINVAL), XSD_ERROR(EACCES),  XSD_ERROR(EEXIST),
    XSD_ERROR(EISDIR), XSD_ERROR(ENOENT),  XSD_ERROR(ENOMEM),
    XSD_ERROR(ENOSPC), XSD_ERROR(EIO),     XSD_ERROR(ENOTEMPTY),
    XSD_ERROR(ENOSYS), XSD_ERROR(EROFS),   XSD_ERROR(EBUSY),
    XSD_ERROR(EAGAIN), XSD_ERROR(EISCONN), XSD_ERROR(E2BIG),
    XSD_ERROR(EPERM),
};

/* Every message: this header, then `len` payload bytes (usually
 * NUL-separated strings). */
struct xsd_sockmsg {
    uint32_t type;   /* enum xsd_sockmsg_type */
    uint32_t req_id; /* echoed in the reply */
    uint32_t tx_id;  /* transaction, 0 for none */
    uint32_t len;    /* payload bytes */
};
_Static_assert(sizeof(struct xsd_sockmsg) == 16, "xsd_sockmsg");

/* Payload fields of an XS_WATCH_EVENT. */
enum xs_watch_type { XS_WATCH_PATH = 0, XS_WATCH_TOKEN };

/* The guest's xenstore ring page (start_info.store_mfn). */
#define XENSTORE_RING_SIZE 1024
typedef uint32_t XENSTORE_RING_IDX;
#define MASK_XENSTORE_IDX(idx) ((idx) & (XENSTORE_RING_SIZE - 1))

struct xenstore_domain_interface {
    char req[XENSTORE_RING_SIZE]; /* guest -> store */
    char rsp[XENSTORE_RING_SIZE]; /* store -> guest (replies and events) */
    XENSTORE_RING_IDX req_cons, req_prod;
    XENSTORE_RING_IDX rsp_cons, rsp_prod;
    uint32_t server_features; /* XENSTORE_SERVER_FEATURE_* */
    uint32_t connection;      /* XENSTORE_CONNECTED / _RECONNECT */
    uint32_t error;           /* XENSTORE_ERROR_* */
};
_Static_assert(sizeof(struct xenstore_domain_interface) == 2076,
               "xenstore_domain_interface");
_Static_assert(offsetof(struct xenstore_domain_interface, req_cons) == 2048,
               "xenstore_domain_interface.req_cons");
_Static_assert(offsetof(struct xenstore_domain_interface, error) == 2072,
               "xenstore_domain_interface.error");

/* Limits on payloads and paths. */
#define XENSTORE_PAYLOAD_MAX  4096
#define XENSTORE_ABS_PATH_MAX 3072
#define XENSTORE_REL_PATH_MAX 2048

/* server_features bits. */
#define XENSTORE_SERVER_FEATURE_RECONNECTION 1 /* `connection` works */
#define XENSTORE_SERVER_FEATURE_ERROR        2 /* `error` works */

/* connection values. */
#define XENSTORE_CONNECTED 0 /* normal operation */
#define XENSTORE_RECONNECT 1 /* guest asked for a ring reset */

/* error values. */
#define XENSTORE_ERROR_NONE    0
#define XENSTORE_ERROR_COMM    1 /* communication problem */
#define XENSTORE_ERROR_RINGIDX 2 /* impossible ring index */
#define XENSTORE_ERROR_PROTO   3 /* protocol violation */

#endif /* PVISOR_ABI_PVABI_IO_XS_WIRE_H */
