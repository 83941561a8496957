/* rootclone: one generation of a Pi's root, made the way pirackd makes it
 * (daemon/image/clone.c), timed.
 *
 *   rootclone METHOD SRC DST    METHOD: reflink, copy_file_range, copy, probe
 *
 * Prints "METHOD files bytes ms".  probe prints what pirackd would pick
 * from SRC's filesystem to DST's. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "daemon/image/image_internal.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    struct pr_clone c = { .method = PR_CLONE_COPY };
    if (argc != 4) {
        fprintf(stderr, "usage: rootclone reflink|copy_file_range|copy|probe SRC DST\n");
        return 2;
    }
    if (!strcmp(argv[1], "probe")) {
        bool snap;
        printf("%s\n", pr_clone_method_name(pr_clone_probe(argv[2], argv[3], &snap)));
        return 0;
    }
    if (!strcmp(argv[1], "reflink"))
        c.method = PR_CLONE_REFLINK;
    else if (!strcmp(argv[1], "copy_file_range"))
        c.method = PR_CLONE_COPY_RANGE;
    else if (strcmp(argv[1], "copy") != 0) {
        fprintf(stderr, "rootclone: unknown method %s\n", argv[1]);
        return 2;
    }
    double t0 = now_ms();
    int rc = pr_clone_tree(&c, argv[2], argv[3]);
    double t1 = now_ms();
    if (rc < 0) {
        fprintf(stderr, "rootclone: %s\n", strerror(-rc));
        return 1;
    }
    printf("%s %llu %llu %.0f\n", argv[1], (unsigned long long)c.files, (unsigned long long)c.bytes,
           t1 - t0);
    return 0;
}
