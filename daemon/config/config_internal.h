/* config internals: the key table, and what only config/ and its tests use. */
#ifndef PIRACK_CONFIG_KEYS_H
#define PIRACK_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "pirack/config.h"

#define PR_CONFIG_MAX_KEYS 96
/* No real pirackd.conf comes near this; a bigger file is a mistake. */
#define PR_CONFIG_MAX_BYTES (1024 * 1024)

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
    /* Parsed and documented but not acted on yet: a file that sets it
     * gets a warning (FILE:LINE), not an error, so it still loads. */
    bool not_implemented;
};

extern const struct pr_key pr_config_keys[];

const struct pr_key *pr_config_find_key(const char *section, const char *name);
const struct pr_key *pr_config_find_switch_key(const char *name);
bool pr_config_section_known(const char *section);
/* k's place in the [switch NAME] key table (below PR_CONFIG_MAX_KEYS). */
unsigned pr_config_switch_key_index(const struct pr_key *k);

/* Whole-file checks: pools against slots, overlaps, switches' ranges and
 * credentials.  Adds to *errors and writes FILE:LINE: lines to errs. */
void pr_config_validate(struct pr_config *cfg, const int *key_lines, int *errors, const char *file,
                        FILE *errs);

/* How many /30s and /64s the pools hold (capped at UINT32_MAX). */
uint64_t pr_plan_v4_capacity(const struct pr_prefix4 *pool);
uint64_t pr_plan_v6_capacity(const struct pr_prefix6 *pool);

/* Checks that the pools and ports fit the slot count.  Returns 0, or
 * -EINVAL with a reason in err. */
int pr_plan_check(const struct pr_plan *plan, char *err, size_t errlen);

/* pr_config_load on text already in memory (len bytes, any bytes; name
 * is the FILE of FILE:LINE messages): what pr_config_load does once it has
 * read the file, so the fuzzer parses without a file per input. */
int pr_config_load_text(const char *name, const char *text, size_t len, struct pr_config *cfg,
                        FILE *errs);

/* Fills cfg with the built-in defaults (what an empty file gives). */
void pr_config_defaults(struct pr_config *cfg);

/* The switch that serves slot, or NULL. */
const struct pr_switch_config *pr_config_switch_for_slot(const struct pr_config *cfg,
                                                         unsigned slot);

/* ---- from plan.h: what only config/ and its tests use ---- */
/* Parse "10.0.0.0/22" / "2001:db8::/48".  The address must have no bits
 * set past the length.  Return 0, or -EINVAL. */
int pr_prefix4_parse(const char *s, struct pr_prefix4 *out);
int pr_prefix6_parse(const char *s, struct pr_prefix6 *out);
bool pr_prefix4_is_rfc1918(const struct pr_prefix4 *p);
bool pr_prefix4_overlap(const struct pr_prefix4 *a, const struct pr_prefix4 *b);
/* The slot whose /64 holds addr, or 0. */
unsigned pr_plan_slot_by_v6(const struct pr_plan *plan, const struct in6_addr *addr);
/* The slot whose ssh port is port, or 0. */
unsigned pr_plan_slot_by_ssh_port(const struct pr_plan *plan, unsigned port);

#endif
