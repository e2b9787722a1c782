/* SPDX-License-Identifier: MIT */
/* pvctl.h: pvctl's command table and the helpers commands share. */
#ifndef PVISOR_DOM0_TOOLS_PVCTL_PVCTL_H
#define PVISOR_DOM0_TOOLS_PVCTL_PVCTL_H

#include <stdbool.h>
#include <stdint.h>

#include "pvctrl.h"
#include "xs_util.h" /* xs_read_key, xs_parse_u32, ... */

/* A subcommand: argv[0] is the command name, options follow. */
struct pvctl_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *usage; /* arguments after the name */
    const char *help;  /* one paragraph, lines end in '\n' */
};

/* Global options, set by pvctl_main before a command runs. */
struct pvctl_opts {
    const char *run_dir; /* -r; NULL = $PVISOR_RUN_DIR or /run/pvisor */
    int verbose;         /* -v, repeatable */
};
extern struct pvctl_opts pvctl_opts;

/* Exit statuses. */
#define PVCTL_OK  0
#define PVCTL_ERR 1

/* The whole CLI: parses global options, dispatches. Returns exit status. */
int pvctl_main(int argc, char **argv);

/* Prints "pvctl: CMD: message" on stderr. */
void pvctl_err(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints "pvctl: CMD: what: <pvisor's error or strerror(-err)>"; 1. */
int pvctl_call_failed(const char *cmd, struct pvc_handle *h, int err,
                      const char *what);

/* Prints CMD's usage on stderr; returns PVCTL_ERR. */
int pvctl_usage(const char *cmd);

/*
 * Handles `CMD --help`/`-h` (prints the usage and help on stdout and
 * returns true) so that each command needs one line for it.
 */
bool pvctl_help_requested(int argc, char **argv);

/*
 * Connects to pvisor and says hello. On failure prints one clear line
 * and returns a negative errno; *h is NULL then.
 */
int pvctl_connect(const char *cmd, struct pvc_handle **h);

/* Resolves DOM (id or name); prints the error itself. 0 or -errno. */
int pvctl_resolve(const char *cmd, struct pvc_handle *h, const char *dom,
                  uint32_t *domid);

/* The 6-character xl state string ("r-----", "--p---", ...). */
void pvctl_state_string(Pvmgmt__DomainState s, char out[7]);

/*
 * Attaches to domid's console: through pv-consoled when it runs (history,
 * live output, stdin forwarded as input), else pvisor's console_io
 * stream. Returns when the domain is gone or has stopped, or the user
 * types Ctrl-] on a terminal stdin. Returns 0 or a negative errno
 * (message printed).
 */
int pvctl_console_attach(const char *cmd, struct pvc_handle *h, uint32_t domid);

/* ---- xenstore (pvctl_store.c) ---- */

struct xs_handle;

/*
 * Opens pvstored's socket ($XENSTORED_PATH, else in the run directory).
 * NULL when it is not running; with warn, prints one warning line
 * "xenstore not available: ..." then.
 */
struct xs_handle *pvctl_xs_open(const char *cmd, bool warn);

/*
 * For device commands: connects to pvisor, resolves DOM to *domid and
 * opens the store. Prints the reason and returns -1 on failure (*h and
 * *xs, possibly opened, are the caller's to close).
 */
struct pvc_handle;
int pvctl_open_dom_store(const char *cmd, const char *dom,
                         struct pvc_handle **h, struct xs_handle **xs,
                         uint32_t *domid);

/*
 * Split-driver devices of TYPE ("vbd", "vif"): the backend directory
 * /local/domain/0/backend/TYPE/DOMID/DEVID and the frontend directory
 * /local/domain/DOMID/device/TYPE/DEVID.
 */
void pvctl_dev_dirs(const char *type, uint32_t domid, uint32_t devid, char *fe,
                    char *be, size_t len);

/*
 * Detaches a device as xl does: online = 0 and state = Closing in its
 * backend directory, waits up to 10 s for the backend's Closed (warning,
 * naming `what`, if it does not come), then removes both directories.
 * 0, or -1 after printing why (`what` names the device: "vif 2").
 */
int pvctl_dev_detach(const char *cmd, struct xs_handle *xs, uint32_t domid,
                     const char *type, uint32_t devid, const char *what);

/*
 * In transaction t: the two directories of a new device, each owned by
 * its side and readable by the other, with the keys every split device
 * has (backend, backend-id and state 1 in the frontend's; frontend,
 * frontend-id, online 1 and state 1 in the backend's). false with errno:
 * EEXIST when the backend directory exists already.
 */
bool pvctl_dev_create_dirs(struct xs_handle *xs, uint32_t t, uint32_t domid,
                           const char *fe, const char *be);

/*
 * The keys one device class writes next to the common ones, in the same
 * transaction t; false with errno on a failed write.
 */
typedef bool pvctl_dev_keys_fn(struct xs_handle *xs, uint32_t t, const char *fe,
                               const char *be, const void *arg);

/*
 * Creates device DEVID of TYPE for a domain in one xenstore transaction:
 * both directories (pvctl_dev_create_dirs) and the class's keys. 0, or
 * -errno after printing why, naming `what` ("vif 2", "disk xvda").
 */
int pvctl_dev_write(const char *cmd, struct xs_handle *xs, const char *type,
                    uint32_t domid, uint32_t devid, pvctl_dev_keys_fn *keys,
                    const void *arg, const char *what);

/*
 * One row of a TYPE-list command: dev is the device's directory name,
 * fe its frontend directory, be its backend directory (NULL when the
 * frontend names none).
 */
typedef void pvctl_dev_row_fn(struct xs_handle *xs, const char *dev,
                              const char *fe, const char *be);

/*
 * The body of block-list / network-list: `CMD DOM`, the header line, then
 * one row per TYPE device of DOM. A pvctl exit status.
 */
int pvctl_dev_list(const char *cmd, int argc, char **argv, const char *type,
                   const char *header, pvctl_dev_row_fn *row);

/* Removes every TYPE device directory of a domain (both sides). */
void pvctl_dev_forget_all(struct xs_handle *xs, uint32_t domid,
                          const char *type);

/* For spec parsers: formats err and returns -EINVAL. */
int pvctl_spec_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* s without leading and trailing white space (trailing cut in place). */
char *pvctl_trim(char *s);

/*
 * Writes a new domain's keys (/local/domain/<id>/{name,domid,vm,memory,
 * cpu,store,control...} and /vm/<uuid>) in a transaction, sets their
 * permissions and introduces the domain (XS_INTRODUCE). Prints errors.
 * Returns 0 or -errno; on failure nothing is left behind.
 */
int pvctl_store_introduce(const char *cmd, struct xs_handle *xs, uint32_t domid,
                          const char *name, uint64_t memory_kb, uint32_t vcpus,
                          uint64_t store_mfn, uint32_t port);

/* Releases domid (XS_RELEASE) and removes its keys. xs may be NULL. */
void pvctl_store_forget(struct xs_handle *xs, uint32_t domid);

/* ---- pv-consoled (consoled_client.c) ---- */

/*
 * Connects to pv-consoled's control socket in the run directory. Returns
 * a blocking fd, or -errno (-ENOENT / -ECONNREFUSED: not running).
 */
int pvctl_consoled_connect(void);

/*
 * Sends one request line (without '\n') on fd and reads the one-line
 * reply into reply (NUL-terminated, '\n' removed; byte by byte, so
 * nothing after the reply is consumed). Returns 0 for "OK...", -errno
 * from the "ERR <errno> ..." reply, or -errno of the transport.
 */
int pvctl_consoled_request(int fd, const char *req, char *reply, size_t len);

/*
 * After the build, before unpause: when pv-consoled runs, allocates the
 * console event channel, tells pv-consoled (ADD) and writes the port
 * into start_info; otherwise warns once and leaves the guest on
 * console_io. Problems are warnings: the domain works either way.
 */
struct pvg_image;
void pvctl_console_setup(const char *cmd, struct pvc_handle *h, uint32_t domid,
                         const char *name, const struct pvg_image *img,
                         uint64_t mem_size);

/* Command entry points (one group per file). */
int pvctl_cmd_create(int argc, char **argv);
int pvctl_cmd_list(int argc, char **argv);
int pvctl_cmd_uptime(int argc, char **argv);
int pvctl_cmd_destroy(int argc, char **argv);
int pvctl_cmd_shutdown(int argc, char **argv);
int pvctl_cmd_reboot(int argc, char **argv);
int pvctl_cmd_pause(int argc, char **argv);
int pvctl_cmd_unpause(int argc, char **argv);
int pvctl_cmd_wait(int argc, char **argv);
int pvctl_cmd_domid(int argc, char **argv);
int pvctl_cmd_domname(int argc, char **argv);
int pvctl_cmd_console(int argc, char **argv);
int pvctl_cmd_info(int argc, char **argv);
int pvctl_cmd_dmesg(int argc, char **argv);
int pvctl_cmd_store(int argc, char **argv);
int pvctl_cmd_save(int argc, char **argv);
int pvctl_cmd_restore(int argc, char **argv);
int pvctl_cmd_migrate(int argc, char **argv);
int pvctl_cmd_migrate_receive(int argc, char **argv);

#endif /* PVISOR_DOM0_TOOLS_PVCTL_PVCTL_H */
