/* SPDX-License-Identifier: MIT */
/* xs.h: the older name of xenstore.h, as Xen ships both. */
#ifndef PVISOR_DOM0_TOOLS_LIBXENSTORE_INCLUDE_XS_H
#define PVISOR_DOM0_TOOLS_LIBXENSTORE_INCLUDE_XS_H

#include "xenstore.h"

#endif /* PVISOR_DOM0_TOOLS_LIBXENSTORE_INCLUDE_XS_H */
