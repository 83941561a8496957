/* libFuzzer: the switch profile parser (poe/profile.c) on any text.  A
 * profile that parses must also expand its templates and fill in its
 * answers without overflow. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "poe/poe_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pr_poe_profile *p = NULL;
    char err[256];

    if (pr_poe_profile_parse((const char *)data, size, &p, err, sizeof(err)) == 0) {
        char out[PR_PROF_LINE_MAX + 64];
        unsigned long oid[PR_OID_MAX];

        if (p->snmp.present &&
            pr_poe_expand(p->snmp.admin_oid, 4294967295u, 4294967295u, out, sizeof(out)) == 0)
            pr_poe_parse_oid(out, oid, PR_OID_MAX);
        for (unsigned i = 0; i < p->cli.on_port.n; i++)
            pr_poe_expand(p->cli.on_port.line[i], 1, 99999, out, sizeof(out));
        /* Answers: filled in with a password of the config's longest. */
        char secret[256];
        memset(secret, 'p', sizeof(secret) - 1);
        secret[sizeof(secret) - 1] = '\0';
        for (unsigned i = 0; i < p->cli.n_confirms; i++) {
            pr_cli_answer(&p->cli.confirms[i], secret, out, sizeof(out));
            pr_cli_answer(&p->cli.confirms[i], "", out, sizeof(out));
        }
        pr_poe_profile_free(p);
    }
    return 0;
}
