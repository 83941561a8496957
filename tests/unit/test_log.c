/* log: the "<N>" priority prefix only when stderr is the journal's stream,
 * never doubled with a level word. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pirack/log.h"
#include "daemon/core/core_internal.h"

static void journal_stream_decision(void **state)
{
    (void)state;
    assert_true(pr_log_journal_stream_matches("8:12345", 8, 12345));
    assert_true(
        pr_log_journal_stream_matches("2049:18446744073709551615", 2049, 18446744073709551615ull));
    /* unset, empty or another file: stderr is not the journal */
    assert_false(pr_log_journal_stream_matches(NULL, 8, 12345));
    assert_false(pr_log_journal_stream_matches("", 8, 12345));
    assert_false(pr_log_journal_stream_matches("8:12346", 8, 12345));
    assert_false(pr_log_journal_stream_matches("9:12345", 8, 12345));
    /* what systemd would never write */
    assert_false(pr_log_journal_stream_matches("8", 8, 12345));
    assert_false(pr_log_journal_stream_matches("8:", 8, 12345));
    assert_false(pr_log_journal_stream_matches(":12345", 8, 12345));
    assert_false(pr_log_journal_stream_matches("8:12345x", 8, 12345));
    assert_false(pr_log_journal_stream_matches("8:12345 ", 8, 12345));
    assert_false(pr_log_journal_stream_matches("-8:12345", (uint64_t)-8, 12345));
    assert_false(pr_log_journal_stream_matches("8:-12345", 8, (uint64_t)-12345));
    assert_false(pr_log_journal_stream_matches("99999999999999999999:1", 0, 1));
}

/* Points stderr at a temp file and returns what one warning wrote there,
 * with JOURNAL_STREAM set to that file (journal true) or to another. */
static void line_written(bool journal, char *buf, size_t len)
{
    char path[] = "/tmp/pirack-log-XXXXXX", env[64];
    int fd = mkstemp(path), saved = dup(STDERR_FILENO);
    struct stat st;
    FILE *f;

    assert_true(fd >= 0 && saved >= 0);
    assert_int_equal(fstat(fd, &st), 0);
    snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino + (journal ? 0 : 1));
    setenv("JOURNAL_STREAM", env, 1);
    fflush(stderr);
    dup2(fd, STDERR_FILENO);
    pr_log_init();
    assert_int_equal(pr_log_to_journal(), journal);
    pr_warn("disk %d%% full", 91);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    unsetenv("JOURNAL_STREAM");
    pr_log_init();
    f = fdopen(fd, "r");
    rewind(f);
    memset(buf, 0, len);
    assert_non_null(fgets(buf, (int)len, f));
    fclose(f);
    unlink(path);
}

static void journal_gets_the_prefix_only(void **state)
{
    char line[128];

    (void)state;
    line_written(true, line, sizeof(line));
    assert_string_equal(line, "<4>disk 91% full\n");
    line_written(false, line, sizeof(line));
    assert_string_equal(line, "warn: disk 91% full\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(journal_stream_decision),
        cmocka_unit_test(journal_gets_the_prefix_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
