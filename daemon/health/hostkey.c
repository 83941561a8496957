/* The health probe's host key verdict: is the key a Pi's sshd showed one
 * of those pirackd wrote into its root?  Names and bytes in, a decision
 * and a reason out; libssh (probe.c) does the key exchange. */
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "health_internal.h"

const char *pr_hostkey_type_word(const char *ssh_name)
{
    if (!ssh_name)
        return NULL;
    if (!strcmp(ssh_name, "ssh-ed25519"))
        return "ed25519";
    if (!strncmp(ssh_name, "ecdsa-sha2-nistp", 16) || !strcmp(ssh_name, "ssh-ecdsa"))
        return "ecdsa";
    if (!strcmp(ssh_name, "ssh-rsa") || !strncmp(ssh_name, "rsa-sha2-", 9))
        return "rsa";
    if (!strcmp(ssh_name, "ssh-dss"))
        return "dsa";
    return NULL;
}

int pr_hostkey_format(const unsigned char *hash, size_t len, char *out, size_t outlen)
{
    /* as ssh-keygen -l -E sha256: unpadded standard base64 */
    char enc[sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];
    if (len != 32 || !hash)
        return -1;
    sodium_bin2base64(enc, sizeof(enc), hash, len, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
    int n = snprintf(out, outlen, "SHA256:%s", enc);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

enum pr_hostkey_verdict pr_hostkey_check(const char *type, const char *fp,
                                         const struct pr_hostkey *recorded, size_t n, char *why,
                                         size_t whylen)
{
    char wrote[PR_HOSTKEYS_MAX * 18] = "";
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        if (type && !strcmp(recorded[i].type, type)) {
            if (!strcmp(recorded[i].sha256, fp))
                return PR_HOSTKEY_MATCH;
            snprintf(why, whylen, "ssh host key %s is not the one pirack wrote (%s)", fp,
                     recorded[i].sha256);
            return PR_HOSTKEY_MISMATCH;
        }
        if (i < PR_HOSTKEYS_MAX) {
            int k = snprintf(wrote + used, sizeof(wrote) - used, "%s%s", i ? ", " : "",
                             recorded[i].type);
            if (k > 0 && (size_t)k < sizeof(wrote) - used)
                used += (size_t)k;
        }
    }
    snprintf(why, whylen, "ssh host key %s (%s) is not one pirack wrote (it wrote %s)", fp,
             type ? type : "of an unknown type", n ? wrote : "none");
    return PR_HOSTKEY_MISMATCH;
}
