/* SPDX-License-Identifier: MIT */
/* cfg.h: xl.cfg-syntax domain configuration files and key=value overrides. */
#ifndef PVISOR_DOM0_TOOLS_PVCTL_CFG_H
#define PVISOR_DOM0_TOOLS_PVCTL_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Syntax (as xl.cfg): `key = value` settings separated by newlines or ';',
 * `#` comments, values "string" or 'string' (with \\ \" \' \n \t \r \xHH
 * escapes), decimal or 0x integers, or [ lists, of, "values" ] that may
 * span lines and end with a comma. A later setting of a key replaces an
 * earlier one (with a warning inside one file). Errors read
 * "FILE:LINE: KEY: what is wrong".
 */

#define CFG_ERR_MAX     512
#define CFG_FILE_MAX    (1024 * 1024)
#define CFG_MEMORY_MAX  (1024 * 1024) /* MiB */
#define CFG_VCPUS_MAX   32
#define CFG_NAME_MAX    63
#define CFG_CMDLINE_SRC "<command line>"

enum cfg_type { CFG_STRING, CFG_INT, CFG_LIST };

struct cfg_value {
    enum cfg_type type;
    char *str;     /* STRING: text; INT: the literal as written */
    long long num; /* INT */
    char **items;  /* LIST: items as text (numbers as written) */
    size_t nr_items;
};

struct cfg_entry {
    char *key;
    struct cfg_value val;
    const char *file; /* owned by struct cfg */
    int line;
    bool from_file; /* false for command-line overrides */
};

struct cfg {
    struct cfg_entry *entries;
    size_t nr_entries, cap_entries;
    char **files; /* names used in messages, owned */
    size_t nr_files;
    char *dir;       /* directory of the first file parsed */
    char **warnings; /* "FILE:LINE: warning: ..." in order */
    size_t nr_warnings;
};

/* Action values match pvmgmt.Action (destroy 0, restart 1, preserve 2). */
enum cfg_action { CFG_DESTROY = 0, CFG_RESTART = 1, CFG_PRESERVE = 2 };

struct cfg_domain {
    char name[CFG_NAME_MAX + 1];
    uint64_t memory_mb; /* default 128 */
    uint32_t vcpus;     /* default 1 */
    char *kernel;       /* malloc'd; relative paths resolved */
    char *cmdline;      /* malloc'd, "" when none */
    enum cfg_action on_poweroff, on_reboot, on_crash;
    char platform[8]; /* "kvm", "proc"; "" = pvisor's default */
};

/* Initializes an empty configuration. */
void cfg_init(struct cfg *c);

/* Frees everything c holds; c can be reused after cfg_init. */
void cfg_free(struct cfg *c);

/*
 * Parses text (NUL-terminated) as settings from file `file` starting at
 * line `line`, appending them to c. from_file marks settings whose
 * relative paths are relative to c->dir. Returns 0, -EINVAL (syntax error;
 * err holds "FILE:LINE: ...") or -ENOMEM. On error c keeps the settings
 * parsed before the bad one.
 */
int cfg_parse_text(struct cfg *c, const char *file, int line, const char *text,
                   bool from_file, char *err, size_t errlen);

/*
 * Reads and parses the file at path (at most CFG_FILE_MAX bytes); the
 * first file parsed sets c->dir. Returns 0 or -errno with err set.
 */
int cfg_parse_file(struct cfg *c, const char *path, char *err, size_t errlen);

/*
 * Applies one "key=value" override (same syntax as a file line), the
 * index-th on the command line (used as its line number). Overrides
 * replace file settings silently.
 */
int cfg_apply_override(struct cfg *c, const char *kv, int index, char *err,
                       size_t errlen);

/* The setting in force for key (the last one), or NULL. */
const struct cfg_entry *cfg_lookup(const struct cfg *c, const char *key);

/*
 * The list KEY (disk = [...], vif = [...]) with at most max items: NULL
 * and *rc = 0 when c has none; NULL and *rc = -EINVAL with err set
 * ("FILE:LINE: KEY: must be a list, e.g. EXAMPLE", "... more than MAX
 * KEYs") when it is not such a list.
 */
const struct cfg_entry *cfg_get_list(const struct cfg *c, const char *key,
                                     size_t max, const char *example, char *err,
                                     size_t errlen, int *rc);

/*
 * Interprets c as a domain configuration into *d (free with
 * cfg_domain_free, also after failure). Checks every known key, applies
 * defaults, warns about unknown keys (appended to c->warnings). Returns 0
 * or -EINVAL with "FILE:LINE: KEY: ..." in err.
 */
int cfg_domain_from(struct cfg *c, struct cfg_domain *d, char *err,
                    size_t errlen);

/* Appends a formatted warning to c->warnings. Returns 0 or -ENOMEM. */
int cfg_warn(struct cfg *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Frees what cfg_domain_from allocated in d. */
void cfg_domain_free(struct cfg_domain *d);

#endif /* PVISOR_DOM0_TOOLS_PVCTL_CFG_H */
