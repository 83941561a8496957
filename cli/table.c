/* table: aligned columns for people. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define COLUMN_GAP 2

struct cli_table {
    size_t ncols, nrows, cap;
    char **cells; /* (nrows + 1) * ncols; row 0 is the header */
};

char *cli_sanitize(const char *s, char *out, size_t outlen)
{
    size_t o = 0;

    if (outlen == 0)
        return out;
    for (const unsigned char *p = (const unsigned char *)s; p && *p && o + 1 < outlen; p++)
        out[o++] = (*p < 0x20 || *p == 0x7f) ? '?' : (char)*p;
    out[o] = '\0';
    return out;
}

static char *sanitized_copy(const char *s)
{
    size_t len = strlen(s ? s : "-");
    char *copy = malloc(len + 1);

    if (copy)
        cli_sanitize(s ? s : "-", copy, len + 1);
    return copy;
}

/* Columns count characters, not bytes: UTF-8 continuation bytes take no
 * room of their own. */
static size_t display_width(const char *s)
{
    size_t w = 0;

    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xc0) != 0x80)
            w++;
    return w;
}

struct cli_table *cli_table_new(size_t ncols, const char *const *headers)
{
    struct cli_table *t = calloc(1, sizeof(*t));

    if (!t || ncols == 0)
        goto fail;
    t->ncols = ncols;
    if (cli_table_add(t, headers) < 0)
        goto fail;
    t->nrows = 0; /* the header is not a row */
    return t;
fail:
    cli_table_free(t);
    return NULL;
}

void cli_table_free(struct cli_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; t->cells && i < (t->nrows + 1) * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t);
}

int cli_table_add(struct cli_table *t, const char *const *cells)
{
    /* Row 0 is the header: cells past it are (nrows + 1) rows in. */
    size_t used = t->cells ? (t->nrows + 1) * t->ncols : 0;

    if (used + t->ncols > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : t->ncols * 16;
        char **grown;

        while (cap < used + t->ncols)
            cap *= 2;
        grown = realloc(t->cells, cap * sizeof(*grown));
        if (!grown)
            return -ENOMEM;
        memset(grown + t->cap, 0, (cap - t->cap) * sizeof(*grown));
        t->cells = grown;
        t->cap = cap;
    }
    for (size_t i = 0; i < t->ncols; i++) {
        t->cells[used + i] = sanitized_copy(cells[i]);
        if (!t->cells[used + i]) {
            while (i-- > 0) {
                free(t->cells[used + i]);
                t->cells[used + i] = NULL;
            }
            return -ENOMEM;
        }
    }
    if (used)
        t->nrows++;
    return 0;
}

void cli_table_print(const struct cli_table *t, FILE *out)
{
    size_t *width = calloc(t->ncols, sizeof(*width));

    if (!width)
        return;
    for (size_t r = 0; r <= t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            size_t w = display_width(t->cells[r * t->ncols + c]);
            if (w > width[c])
                width[c] = w;
        }
    for (size_t r = 0; r <= t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const char *cell = t->cells[r * t->ncols + c];
            fputs(cell, out);
            /* The last column is not padded: no trailing blanks. */
            if (c + 1 < t->ncols)
                fprintf(out, "%*s", (int)(width[c] - display_width(cell) + COLUMN_GAP), "");
        }
        fputc('\n', out);
    }
    free(width);
}

void cli_print_fields(FILE *out, const char *const *labels, const char *const *values, size_t n)
{
    size_t width = 0;
    char buf[1024];

    for (size_t i = 0; i < n; i++)
        if (display_width(labels[i]) > width)
            width = display_width(labels[i]);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s:%*s%s\n", labels[i], (int)(width - display_width(labels[i]) + COLUMN_GAP),
                "", cli_sanitize(values[i] ? values[i] : "-", buf, sizeof(buf)));
}
