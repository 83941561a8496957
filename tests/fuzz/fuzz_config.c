/* Fuzzes pirackd.conf parsing: any bytes must give a count of errors,
 * never a crash, a hang or a read past a buffer. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pirack/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct pr_config cfg;
    char path[64];
    int fd = memfd_create("pirackd.conf", MFD_CLOEXEC);

    if (fd < 0)
        return 0;
    if (write(fd, data, size) == (ssize_t)size) {
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        pr_config_load(path, &cfg, NULL);
    }
    close(fd);
    return 0;
}
