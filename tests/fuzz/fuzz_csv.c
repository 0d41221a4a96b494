/*
** libFuzzer target: the CSV reader (src/io/csv.c, numparse.c, byterange.c).
** The first byte of an input picks the reading options (header mode,
** delimiter, label and weights columns, by index or by name); the rest is
** the file. A read must either give a dataset whose numbers are all finite
** (weights >= 0, some positive) or fail with LARIAT_EDATA or LARIAT_EUSAGE,
** no dataset, and a message that names the file; anything else aborts, and
** the sanitizers catch what the checks cannot see.
*/
#include "data/matrix.h"
#include "fuzz_common.h"

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
    return 0;
}
