// SPDX-License-Identifier: MIT
/* pvctl.c: the pvctl program (everything else lives in the library part). */
#include "pvctl.h"

int main(int argc, char **argv)
{
    return pvctl_main(argc, argv);
}
