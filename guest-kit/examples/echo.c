/* SPDX-License-Identifier: MIT */
/* echo.c: reads console lines and echoes them uppercased until "quit". */
#include <guestkit/guestkit.h>

int main(void)
{
    char line[256];
    int n;

    if (!gk_console_ring_active()) {
        gk_printf("echo: no console ring (is pv-consoled running?)\n");
        return 1;
    }
    gk_printf("echo: ready, type lines ('quit' ends)\n");
    for (;;) {
        n = gk_console_readline(line, sizeof(line), 1);
        if (n < 0) {
            gk_printf("echo: console read failed (%d)\n", n);
            return 2;
        }
        if (!strcmp(line, "quit"))
            break;
        for (int i = 0; i < n; i++)
            if (line[i] >= 'a' && line[i] <= 'z')
                line[i] = (char)(line[i] - 'a' + 'A');
        gk_printf("%s\n", line);
    }
    gk_printf("echo: bye\n");
    return 0;
}
