/* SPDX-License-Identifier: MIT */
/* xenbus.h: the device connection states front and back ends publish. */
#ifndef PVISOR_ABI_PVABI_IO_XENBUS_H
#define PVISOR_ABI_PVABI_IO_XENBUS_H

/*
 * Each end writes its state as a decimal number to the "state" node of its
 * xenstore directory and watches the peer's. Normal life:
 * Initialising -> InitWait (back end waits for ring details) ->
 * Initialised (front end published them) -> Connected -> Closing -> Closed.
 */
enum xenbus_state {
    XenbusStateUnknown = 0,
    XenbusStateInitialising = 1,
    XenbusStateInitWait = 2,    /* early setup done, waiting for peer */
    XenbusStateInitialised = 3, /* waiting for the peer to connect */
    XenbusStateConnected = 4,
    XenbusStateClosing = 5, /* shutting down (error or unplug) */
    XenbusStateClosed = 6,
    XenbusStateReconfiguring = 7,
    XenbusStateReconfigured = 8
};
typedef enum xenbus_state XenbusState;

#endif /* PVISOR_ABI_PVABI_IO_XENBUS_H */
