/* Fuzzes the parse of JOURNAL_STREAM, which comes from the environment:
 * the input (up to its first NUL) is the variable's value.  Any bytes must
 * give a yes or no, never a crash; and a yes only for the exact "DEV:INO"
 * of the device and inode asked about. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/core/core_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* True when s is "0*2049:0*131074", the only spellings of that pair. */
static int is_pair(const char *s)
{
    while (*s == '0')
        s++;
    if (strncmp(s, "2049:", 5) != 0)
        return 0;
    s += 5;
    while (*s == '0')
        s++;
    return strcmp(s, "131074") == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char value[128];
    size_t n = size < sizeof(value) - 1 ? size : sizeof(value) - 1;

    memcpy(value, data, n);
    value[n] = '\0';
    if (pr_log_journal_stream_matches(value, 2049, 131074) != is_pair(value))
        abort();
    pr_log_journal_stream_matches(value, 0, 0);
    pr_log_journal_stream_matches(value, UINT64_MAX, UINT64_MAX);
    return 0;
}
