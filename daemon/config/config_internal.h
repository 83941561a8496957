/* config_keys: the table of every pirackd.conf key.  Private to config. */
#ifndef PIRACK_CONFIG_KEYS_H
#define PIRACK_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "pirack/config.h"

#define PR_CONFIG_MAX_KEYS 96

enum pr_key_type {
    KEY_STRING,  /* char[size], optional check() */
    KEY_UINT,    /* unsigned in [min, max] */
    KEY_MS,      /* duration stored in ms, [min, max] ms */
    KEY_SECONDS, /* duration stored in s, [min, max] s */
    KEY_BOOL,
    KEY_PREFIX4,
    KEY_PREFIX6,
    KEY_CUSTOM, /* custom() parses and stores */
};

struct pr_key {
    const char *section; /* NULL for [switch NAME] keys */
    const char *name;
    enum pr_key_type type;
    size_t offset, size;
    unsigned long long min, max;
    int (*check)(const char *v, char *why, size_t whylen);
    int (*custom)(const char *v, void *base, char *why, size_t whylen);
    bool secret; /* may come from a credentials file */
};

extern const struct pr_key pr_config_keys[];

const struct pr_key *pr_config_find_key(const char *section, const char *name);
const struct pr_key *pr_config_find_switch_key(const char *name);
bool pr_config_section_known(const char *section);

/* Whole-file checks: pools against slots, overlaps, switches' ranges and
 * credentials.  Adds to *errors and writes FILE:LINE: lines to errs. */
void pr_config_validate(struct pr_config *cfg, const int *key_lines, int *errors, const char *file,
                        FILE *errs);

#endif
