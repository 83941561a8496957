/* api auth: the customer API's credentials, pure so that the fuzzer and
 * the unit tests drive them: HTTP Basic (RFC 7617) with an API key's id
 * and secret, Bearer (RFC 6750) with an access token, and the OAuth2
 * client-credentials form body (RFC 6749 section 4.4). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <sodium.h>

#include "pirack/api.h"

/* The scheme's word, case-insensitive, then one or more spaces; returns
 * what follows, or NULL. */
static const char *after_scheme(const char *header, const char *scheme)
{
    size_t n = strlen(scheme);

    if (!header || strncasecmp(header, scheme, n) != 0 || header[n] != ' ')
        return NULL;
    header += n;
    while (*header == ' ')
        header++;
    return header;
}

/* Printable ASCII, no spaces: what ids, secrets and tokens are made of. */
static bool is_token_text(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] <= ' ' || s[i] > '~')
            return false;
    return n > 0;
}

int pr_api_parse_basic(const char *header, char *id, size_t idlen, char *secret, size_t secretlen)
{
    const char *b64 = after_scheme(header, "Basic");
    unsigned char plain[256];
    size_t len = 0;
    const char *end = NULL;

    if (!b64 || strlen(b64) > 340)
        return -EINVAL;
    if (sodium_base642bin(plain, sizeof(plain) - 1, b64, strlen(b64), NULL, &len, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        (end && *end))
        return -EINVAL;
    plain[len] = '\0';
    const char *colon = memchr(plain, ':', len);
    if (!colon)
        return -EINVAL;
    size_t ilen = (size_t)(colon - (const char *)plain), slen = len - ilen - 1;
    if (ilen >= idlen || slen >= secretlen || !is_token_text((const char *)plain, ilen) ||
        !is_token_text(colon + 1, slen)) {
        sodium_memzero(plain, sizeof(plain));
        return -EINVAL;
    }
    memcpy(id, plain, ilen);
    id[ilen] = '\0';
    memcpy(secret, colon + 1, slen);
    secret[slen] = '\0';
    sodium_memzero(plain, sizeof(plain));
    return 0;
}

int pr_api_parse_bearer(const char *header, char *token, size_t len)
{
    const char *t = after_scheme(header, "Bearer");
    size_t n = t ? strlen(t) : 0;

    while (n && t[n - 1] == ' ')
        n--;
    if (!t || n >= len || !is_token_text(t, n))
        return -EINVAL;
    memcpy(token, t, n);
    token[n] = '\0';
    return 0;
}

int pr_api_parse_grant(const char *body, size_t len)
{
    static const char want[] = "client_credentials";
    bool grant = false;
    size_t i = 0;

    if (!body)
        return -EINVAL;
    while (i < len) {
        const char *pair = body + i;
        const char *amp = memchr(pair, '&', len - i);
        size_t plen = amp ? (size_t)(amp - pair) : len - i;
        if (plen > 11 && memcmp(pair, "grant_type=", 11) == 0) {
            if (grant || plen - 11 != sizeof(want) - 1 || memcmp(pair + 11, want, plen - 11))
                return -EINVAL; /* twice, or another grant */
            grant = true;
        }
        i += plen + 1;
    }
    return grant ? 0 : -EINVAL;
}
