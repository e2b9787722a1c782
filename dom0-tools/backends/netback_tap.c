// SPDX-License-Identifier: MIT
/* netback_tap.c: TAP devices and bridge membership through ioctls. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netback_tap.h"

bool be_ifname_valid(const char *name)
{
    size_t n = strlen(name);

    if (n == 0 || n >= IFNAMSIZ || !strcmp(name, ".") || !strcmp(name, ".."))
        return false;
    for (const char *p = name; *p; p++)
        if (*p == '/' || *p == ':' || *p <= ' ' || *p == 0x7f)
            return false;
    return true;
}

static int ctl_socket(void)
{
    int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    return s < 0 ? -errno : s;
}

/* The interface's index, or -errno (-ENODEV: no such interface). */
static int ifindex(int s, const char *name)
{
    struct ifreq ifr;

    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    return ioctl(s, SIOCGIFINDEX, &ifr) < 0 ? -errno : ifr.ifr_ifindex;
}

static int set_up(int s, const char *name)
{
    struct ifreq ifr;

    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
        return -errno;
    ifr.ifr_flags |= IFF_UP;
    return ioctl(s, SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0;
}

int be_tap_open(const char *name)
{
    struct ifreq ifr;
    int fd, s, e;

    if (!be_ifname_valid(name))
        return -EINVAL;
    fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        e = -errno;
        goto fail;
    }
    s = ctl_socket();
    if (s < 0) {
        e = s;
        goto fail;
    }
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
    memset(ifr.ifr_hwaddr.sa_data, 0xff, 6);
    ifr.ifr_hwaddr.sa_data[0] = (char)0xfe;
    e = ioctl(s, SIOCSIFHWADDR, &ifr) < 0 ? -errno : 0;
    if (!e) {
        ifr.ifr_mtu = 1500;
        e = ioctl(s, SIOCSIFMTU, &ifr) < 0 ? -errno : 0;
    }
    if (!e)
        e = set_up(s, name);
    close(s);
    if (e)
        goto fail;
    return fd;
fail:
    close(fd);
    return e;
}

int be_bridge_add(const char *bridge, const char *ifname, bool create)
{
    struct ifreq ifr;
    int s, e, idx;

    if (!be_ifname_valid(bridge))
        return -EINVAL;
    s = ctl_socket();
    if (s < 0)
        return s;
    idx = ifindex(s, ifname);
    if (idx < 0) {
        e = idx;
        goto out;
    }
    if (ifindex(s, bridge) < 0) {
        if (!create) {
            e = -ENODEV;
            goto out;
        }
        if (ioctl(s, SIOCBRADDBR, bridge) < 0 && errno != EEXIST) {
            e = -errno;
            goto out;
        }
        e = set_up(s, bridge);
        if (e)
            goto out;
    }
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", bridge);
    ifr.ifr_ifindex = idx;
    e = ioctl(s, SIOCBRADDIF, &ifr) < 0 ? -errno : 0;
out:
    close(s);
    return e;
}

void be_bridge_del(const char *bridge, const char *ifname)
{
    struct ifreq ifr;
    int s = ctl_socket(), idx;

    if (s < 0)
        return;
    idx = ifindex(s, ifname);
    if (idx > 0) {
        memset(&ifr, 0, sizeof(ifr));
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", bridge);
        ifr.ifr_ifindex = idx;
        ioctl(s, SIOCBRDELIF, &ifr);
    }
    close(s);
}
