/* SPDX-License-Identifier: MIT */
/* hv_mgmt.h: the management protocol server, driven by the main loop. */
#ifndef PVISOR_HYPERVISOR_HV_MGMT_H
#define PVISOR_HYPERVISOR_HV_MGMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Listen on <dir>/pvisor.sock (mode 0600); registers with hv_epoll_fd. */
int hv_mgmt_init(const char *dir, char *err, size_t errlen);
void hv_mgmt_fini(void);
void hv_mgmt_accept(void);
void hv_mgmt_client_event(unsigned slot, uint32_t events);
void hv_mgmt_client_close(unsigned slot);
/* Re-check parked long-polls (domain/console changes, timeouts). */
void hv_mgmt_wake(bool from_fd);
/* epoll timeout in ms for the earliest long-poll deadline, or -1. */
int hv_mgmt_poll_timeout(void);

#endif
