/*
** libFuzzer target: the LIBSVM reader (src/io/libsvm.c, numparse.c,
** byterange.c). The first byte of an input picks the number of features
** (0 = the largest index, or a fixed count); the rest is the file. A read
** must either give a CSR dataset of finite numbers, or fail with
** LARIAT_EDATA, no dataset, and a message that names the file; anything
** else aborts.
**
** An index up to 2^31 is legal and makes p that large, which costs memory
** in proportion (every rank holds p feature names and p-vectors) but is no
** bug; libFuzzer would report the allocation as one. So when an input holds
** an index above MAX_AUTO_P, the number of features is given as MAX_AUTO_P,
** and the reader's check of indices against it is what gets exercised.
*/
#include "data/matrix.h"
#include "fuzz_common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The largest p an input may make by its indices alone (see above). */
#define MAX_AUTO_P 1000000

int LLVMFuzzerInitialize(int *argc, char ***argv) { return lf_init(argc, argv); }

/* Not collective. 1 when some run of digits followed by ':' in [s, s + n)
** is a number above MAX_AUTO_P. */
static int has_large_index(const uint8_t *s, size_t n)
{
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            if (v <= MAX_AUTO_P) v = v * 10 + (s[i] - '0');
            continue;
        }
        if (s[i] == ':' && v > MAX_AUTO_P) return 1;
        v = 0;
    }
    return 0;
}

/* Not collective. 1 when every number of d is what the reader promises
** (a row read back densely: finite values; the labels finite). */
static int dataset_ok(const lariat_data *d, int64_t n_features)
{
    if (d->n < 1 || d->n_local != d->n || d->p < 1 || d->X == NULL) return 0;
    if (n_features > 0 && d->p != n_features) return 0;
    if (!lariat_matrix_is_sparse(d->X)) return 0;
    double *row = malloc((size_t)d->p * sizeof(double));
    int ok = row != NULL;
    for (int64_t i = 0; ok && i < d->n_local; i++) {
        ok = isfinite(d->y[i]) && d->w[i] == 1.0;
        lariat_matrix_get_row(d->X, i, row);
        for (int64_t j = 0; ok && j < d->p; j++) ok = isfinite(row[j]);
    }
    free(row);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    static const int64_t features[] = {0, 0, 3, 1000};
    lariat_read_options opt;
    lariat_read_options_default(&opt);
    opt.format = LARIAT_FORMAT_LIBSVM;
    opt.n_features = features[data[0] & 3];
    if (opt.n_features == 0 && has_large_index(data + 1, size - 1)) opt.n_features = MAX_AUTO_P;
    if (lf_write(data + 1, size - 1) != 0) abort();

    lariat_data *d = NULL;
    int rc = lariat_data_read(lf_ctx(), lf_path(), &opt, &d);
    const char *msg = lariat_errmsg(lf_ctx());
    if (rc == LARIAT_OK && !dataset_ok(d, opt.n_features)) abort();
    if (rc != LARIAT_OK &&
        (d != NULL || rc != LARIAT_EDATA || strncmp(msg, lf_path(), strlen(lf_path())) != 0)) {
        abort();
    }
    lariat_data_destroy(d);
    return 0;
}
