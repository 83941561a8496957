/* libFuzzer target: pisim's reading of a cmdline.txt that a server under
 * test sent over TFTP (root=/dev/nfs, nfsroot=[HOST:]/PATH[,opts], ip=). */
#include "tests/sim/pisim/nfsroot.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[PISIM_TEXT_MAX + 1], why[200];
    struct nfsroot r;
    if (size > PISIM_TEXT_MAX)
        size = PISIM_TEXT_MAX;
    memcpy(text, data, size);
    text[size] = '\0';
    (void)nfsroot_parse(text, &r, why, sizeof why);
    return 0;
}
