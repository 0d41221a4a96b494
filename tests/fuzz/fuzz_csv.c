/*
** libFuzzer target: the CSV reader (src/io/csv.c, numparse.c, byterange.c).
** The first byte of an input picks the reading options (header mode,
** delimiter, label and weights columns, by index or by name); the rest is
** the file. A read must either give a dataset whose numbers are all finite
** (weights >= 0, some positive) or fail with LARIAT_EDATA or LARIAT_EUSAGE,
** no dataset, and a message that names the file; anything else aborts, and
** the sanitizers catch what the checks cannot see.
**
** The same file is also cut into 2 to 5 byte ranges, as that many ranks
** would read it, with a chunk of a few bytes (so that lines outgrow the
** buffer): the parts' lines, one after the other, must be the lines of the
** whole file.
*/
#include "data/matrix.h"
#include "fuzz_common.h"
#include "io/byterange.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) { return lf_init(argc, argv); }

/* Not collective. 1 when every number of d is what the reader promises. */
static int dataset_ok(const lariat_data *d)
{
    if (d->n < 1 || d->n_local != d->n || d->p < 1 || d->X == NULL) return 0;
    double *row = malloc((size_t)d->p * sizeof(double)), wsum = 0.0;
    int ok = row != NULL;
    for (int64_t i = 0; ok && i < d->n_local; i++) {
        ok = isfinite(d->y[i]) && isfinite(d->w[i]) && d->w[i] >= 0.0;
        wsum += d->w[i];
        lariat_matrix_get_row(d->X, i, row);
        for (int64_t j = 0; ok && j < d->p; j++) ok = isfinite(row[j]);
    }
    free(row);
    return ok && wsum > 0.0;
}

/* Not collective. Appends the lines of part `part` of nparts to *buf (each
** as its length, then its bytes); returns 0 on a read failure. */
static int append_lines(const char *path, int part, int nparts, size_t chunk, char **buf, size_t *len)
{
    lariat_byterange *br = NULL;
    if (lariat_byterange_open(lf_ctx(), path, part, nparts, chunk, &br) != LARIAT_OK) return 0;
    int ok = 1;
    for (;;) {
        const char *line;
        size_t n;
        if (lariat_byterange_next(lf_ctx(), br, &line, &n, NULL) != LARIAT_OK) {
            ok = 0;
            break;
        }
        if (line == NULL) break;
        char *bigger = realloc(*buf, *len + sizeof(n) + n + 1);
        if (bigger == NULL) abort();
        *buf = bigger;
        memcpy(*buf + *len, &n, sizeof(n));
        memcpy(*buf + *len + sizeof(n), line, n);
        *len += sizeof(n) + n;
    }
    lariat_byterange_close(br);
    return ok;
}

/* Not collective. The parts of nparts tile the file's lines (see above). */
static void check_parts(const char *path, int nparts, size_t chunk)
{
    char *whole = NULL, *parts = NULL;
    size_t whole_len = 0, parts_len = 0;
    int ok = append_lines(path, 0, 1, 0, &whole, &whole_len);
    for (int part = 0; ok && part < nparts; part++) ok = append_lines(path, part, nparts, chunk, &parts, &parts_len);
    if (!ok || whole_len != parts_len || (whole_len > 0 && memcmp(whole, parts, whole_len) != 0)) abort();
    free(whole);
    free(parts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    static const char delimiters[] = {',', ';', '\t', ' '};
    static const char *labels[] = {NULL, "1", "y", "a"};
    static const char *weights[] = {NULL, "2", "w", "0"};
    lariat_read_options opt;
    lariat_read_options_default(&opt);
    opt.format = LARIAT_FORMAT_CSV;
    opt.header = (lariat_header)(data[0] % 3);
    opt.delimiter = delimiters[(data[0] >> 2) & 3];
    opt.label = labels[(data[0] >> 4) & 3];
    opt.weights = weights[(data[0] >> 6) & 3];
    if (lf_write(data + 1, size - 1) != 0) abort();

    lariat_data *d = NULL;
    int rc = lariat_data_read(lf_ctx(), lf_path(), &opt, &d);
    const char *msg = lariat_errmsg(lf_ctx());
    if (rc == LARIAT_OK && !dataset_ok(d)) abort();
    if (rc != LARIAT_OK && (d != NULL || (rc != LARIAT_EDATA && rc != LARIAT_EUSAGE) ||
                            strncmp(msg, lf_path(), strlen(lf_path())) != 0)) {
        abort();
    }
    lariat_data_destroy(d);
    check_parts(lf_path(), 2 + data[0] % 4, 1 + (size_t)(data[0] >> 5));
    return 0;
}
