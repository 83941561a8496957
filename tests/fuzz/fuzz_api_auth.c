/* libFuzzer: the customer API's credentials on any text: the HTTP Basic
 * and Bearer headers and the client-credentials form (daemon/api/auth.c),
 * the API key formats and scope lists (daemon/store/keys.c).  What they
 * accept must be what they promise: terminated, within the buffers,
 * printable, and a secret that passes its checksum re-checks the same. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pirack/api.h"
#include "pirack/store.h"
#include "daemon/store/store_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void printable(const char *s)
{
    if (!*s)
        abort();
    for (; *s; s++)
        if (*s <= ' ' || *s > '~')
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[1024], id[64], secret[128], token[PR_ACCESS_TOKEN_LEN + 2], scopes[48];
    unsigned bits;

    if (size >= sizeof(text))
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (pr_api_parse_basic(text, id, sizeof(id), secret, sizeof(secret)) == 0) {
        printable(id);
        printable(secret);
        if (strlen(id) >= sizeof(id) || strlen(secret) >= sizeof(secret))
            abort();
    }
    if (pr_api_parse_bearer(text, token, sizeof(token)) == 0)
        printable(token);
    (void)pr_api_parse_grant(text, size); /* the form is bytes, not a string */
    if (pr_key_secret_check(text) == 0 && strlen(text) != PR_KEY_SECRET_LEN)
        abort();
    if (pr_key_id_check(text) == 0 && strlen(text) != PR_KEY_ID_LEN)
        abort();
    if (pr_scopes_parse(text, &bits) == 0) {
        unsigned again;
        if (bits == 0 || bits > PR_SCOPE_ALL)
            abort();
        pr_scopes_format(bits, scopes, sizeof(scopes));
        if (pr_scopes_parse(scopes, &again) != 0 || again != bits)
            abort();
    }
    return 0;
}
