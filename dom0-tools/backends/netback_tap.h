/* SPDX-License-Identifier: MIT */
/* netback_tap.h: TAP devices and Linux bridges for pv-netback. */
#ifndef PVISOR_DOM0_TOOLS_BACKENDS_NETBACK_TAP_H
#define PVISOR_DOM0_TOOLS_BACKENDS_NETBACK_TAP_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Creates TAP device `name` (IFF_TAP | IFF_NO_PI, non-blocking,
 * close-on-exec) in the calling process's network namespace, gives it
 * the MAC fe:ff:ff:ff:ff:ff (as Xen's vifs: the guest's own MAC lives in
 * the guest), sets the MTU to 1500 and brings it up. Returns the fd or
 * -errno.
 */
int be_tap_open(const char *name);

/*
 * Adds interface `ifname` to bridge `bridge`. A missing bridge is created
 * (and brought up) only when `create` is set, else -ENODEV. Returns 0 or
 * -errno.
 */
int be_bridge_add(const char *bridge, const char *ifname, bool create);

/* Removes ifname from bridge (errors ignored: the TAP is going away). */
void be_bridge_del(const char *bridge, const char *ifname);

/* True when name is a valid interface name (1..15 bytes, no '/', ':' or
 * white space). */
bool be_ifname_valid(const char *name);

#endif /* PVISOR_DOM0_TOOLS_BACKENDS_NETBACK_TAP_H */
