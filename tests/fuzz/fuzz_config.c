/* Fuzzes pirackd.conf parsing: any bytes must give a count of errors,
 * never a crash, a hang or a read past a buffer.  The input is parsed
 * from memory by pr_config_load_text, the function pr_config_load hands
 * a file's text to, so no file is made per input (docs/testing.md). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pirack/config.h"
#include "daemon/config/config_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct pr_config cfg;
    /* a copy of exactly size bytes, so that ASan sees any read past it */
    char *text = malloc(size ? size : 1);

    if (!text)
        return 0;
    memcpy(text, data, size);
    pr_config_load_text("pirackd.conf", text, size, &cfg, NULL);
    free(text);
    return 0;
}
