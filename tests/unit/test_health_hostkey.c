/* The health probe's host key verdict: fingerprints formatted as
 * ssh-keygen -l shows them, key algorithm names mapped to the types
 * pirackd records, and a key the Pi shows compared with those it wrote. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>
#include <libssh/libssh.h>
#include <sodium.h>

#include "daemon/health/health_internal.h"

static const struct pr_hostkey recorded[] = {
    { "ecdsa", "SHA256:2cqy8o+ANd0wbl2O+mCZh7Ml2Q9kGsQm1cWmQD4HPzI" },
    { "ed25519", "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU" },
};

static void format_as_ssh_keygen(void **state)
{
    (void)state;
    unsigned char hash[32];
    char out[96];
    crypto_hash_sha256(hash, (const unsigned char *)"", 0);
    assert_int_equal(pr_hostkey_format(hash, sizeof hash, out, sizeof out), 0);
    /* SHA-256 of nothing, unpadded base64 */
    assert_string_equal(out, "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU");
    assert_int_equal(pr_hostkey_format(hash, 20, out, sizeof out), -1);
    assert_int_equal(pr_hostkey_format(NULL, 32, out, sizeof out), -1);
    assert_int_equal(pr_hostkey_format(hash, sizeof hash, out, 20), -1);
}

/* The same string libssh makes of a real key's hash. */
static void format_agrees_with_libssh(void **state)
{
    (void)state;
    ssh_key key = NULL;
    unsigned char *hash = NULL;
    size_t len = 0;
    char out[96];
    assert_int_equal(ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key), SSH_OK);
    assert_int_equal(ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &len), 0);
    char *theirs = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, len);
    assert_non_null(theirs);
    assert_int_equal(pr_hostkey_format(hash, len, out, sizeof out), 0);
    assert_string_equal(out, theirs);
    assert_string_equal(pr_hostkey_type_word(ssh_key_type_to_char(ssh_key_type(key))), "ed25519");
    ssh_string_free_char(theirs);
    ssh_clean_pubkey_hash(&hash);
    ssh_key_free(key);
}

static void type_words(void **state)
{
    (void)state;
    assert_string_equal(pr_hostkey_type_word("ssh-ed25519"), "ed25519");
    assert_string_equal(pr_hostkey_type_word("ecdsa-sha2-nistp256"), "ecdsa");
    assert_string_equal(pr_hostkey_type_word("ecdsa-sha2-nistp521"), "ecdsa");
    assert_string_equal(pr_hostkey_type_word("ssh-rsa"), "rsa");
    assert_string_equal(pr_hostkey_type_word("rsa-sha2-512"), "rsa");
    assert_null(pr_hostkey_type_word("sk-ssh-ed25519@openssh.com"));
    assert_null(pr_hostkey_type_word(NULL));
}

static void the_key_pirack_wrote_matches(void **state)
{
    (void)state;
    char why[256] = "";
    assert_int_equal(pr_hostkey_check("ed25519", recorded[1].sha256, recorded, 2, why, sizeof why),
                     PR_HOSTKEY_MATCH);
    assert_int_equal(pr_hostkey_check("ecdsa", recorded[0].sha256, recorded, 2, why, sizeof why),
                     PR_HOSTKEY_MATCH);
    assert_string_equal(why, "");
}

static void another_key_of_the_type_does_not(void **state)
{
    (void)state;
    char why[256] = "";
    const char *other = "SHA256:AAAAQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU";
    assert_int_equal(pr_hostkey_check("ed25519", other, recorded, 2, why, sizeof why),
                     PR_HOSTKEY_MISMATCH);
    assert_string_equal(why, "ssh host key SHA256:AAAAQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU is "
                             "not the one pirack wrote "
                             "(SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU)");
    /* the right fingerprint under the wrong type is no match either */
    assert_int_equal(pr_hostkey_check("ecdsa", recorded[1].sha256, recorded, 2, why, sizeof why),
                     PR_HOSTKEY_MISMATCH);
}

static void a_type_pirack_did_not_write_does_not(void **state)
{
    (void)state;
    char why[256] = "";
    assert_int_equal(pr_hostkey_check("rsa", "SHA256:x", recorded, 2, why, sizeof why),
                     PR_HOSTKEY_MISMATCH);
    assert_string_equal(
        why, "ssh host key SHA256:x (rsa) is not one pirack wrote (it wrote ecdsa, ed25519)");
    assert_int_equal(pr_hostkey_check(NULL, "SHA256:x", recorded, 2, why, sizeof why),
                     PR_HOSTKEY_MISMATCH);
    assert_non_null(strstr(why, "(of an unknown type)"));
    /* a short buffer truncates the reason, nothing more */
    char small[16];
    assert_int_equal(pr_hostkey_check("rsa", "SHA256:x", recorded, 2, small, sizeof small),
                     PR_HOSTKEY_MISMATCH);
    assert_int_equal(strlen(small), sizeof small - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(format_as_ssh_keygen),
        cmocka_unit_test(format_agrees_with_libssh),
        cmocka_unit_test(type_words),
        cmocka_unit_test(the_key_pirack_wrote_matches),
        cmocka_unit_test(another_key_of_the_type_does_not),
        cmocka_unit_test(a_type_pirack_did_not_write_does_not),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
