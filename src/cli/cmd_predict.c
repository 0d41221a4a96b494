/*
** `lariat predict` (SPEC.md sections 4, 5 and 9): a model's predictions for
** the rows of a data file, as CSV with one row per input row, in input
** order, and the header of the family and --type:
**   gaussian     prediction (response and link are the same number)
**   binomial     probability (of class 1), link, or class
**   multinomial  probability_<label> or link_<label>, one column per class in
**                class order, or class
** Class labels are written as the model file writes numbers (the shortest
** text that reads back as the same double: 0, 1, -1, 2.5). --type class of a
** gaussian model is bad usage: it has no classes.
**
** Each rank formats the predictions of its own rows. To a file, the ranks
** write in parallel: rank 0 creates the temporary of an atomic write
** (io/atomic.h), an exclusive scan of the text lengths gives each rank its
** offset, every rank writes its bytes there with pwrite, and rank 0 renames
** the temporary once every rank succeeded, so a failure leaves no file. To
** standard output, rank 0 prints the ranks' texts in rank order, received in
** chunks of bounded size, so no rank ever holds all predictions.
*/
#include "cli/commands.h"
#include "cli/setup.h"
#include "core/core.h"
#include "io/atomic.h"
#include "io/model.h"
#include "family/family.h"
#include "io/numfmt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Bytes per message when the texts travel to rank 0 for standard output. */
#define LC_STDOUT_CHUNK (1 << 20)

/* Not collective. The CSV header line (malloc'ed) of a model's predictions
** of this type (see the top of the file). */
static char *make_header(lariat_ctx *ctx, const lariat_fit *fit, lariat_predict_type type)
{
    const int width = lariat_predict_width(fit, type);
    char *h = lariat_malloc(ctx, (size_t)width, 16 + LARIAT_DOUBLE_CHARS, "prediction header");
    if (h == NULL) return NULL;
    if (fit->family == LARIAT_FAMILY_GAUSSIAN) {
        strcpy(h, "prediction\n");
    } else if (type == LARIAT_PREDICT_CLASS) {
        strcpy(h, "class\n");
    } else if (width == 1) {
        strcpy(h, type == LARIAT_PREDICT_LINK ? "link\n" : "probability\n");
    } else {
        size_t at = 0;
        for (int k = 0; k < width; k++) {
            char v[LARIAT_DOUBLE_CHARS];
            lariat_format_double(v, fit->classes[k]);
            at += (size_t)sprintf(h + at, "%s%s_%s", k == 0 ? "" : ",",
                                  type == LARIAT_PREDICT_LINK ? "link" : "probability", v);
        }
        strcpy(h + at, "\n");
    }
    return h;
}

/* Not collective. This rank's text: the header on rank 0, then one line of
** width comma-separated numbers per row. */
static int format_predictions(lariat_ctx *ctx, const char *header, const double *pred, int64_t n_local, int width,
                              char **text, size_t *len)
{
    const size_t head = strlen(header);
    size_t cap = head + 1 + (size_t)n_local * (size_t)width * (LARIAT_DOUBLE_CHARS + 1);
    char *buf = lariat_malloc(ctx, cap, 1, "prediction text");
    if (buf == NULL) return LARIAT_ENOMEM;
    size_t at = 0;
    if (lariat_ctx_rank(ctx) == 0) {
        memcpy(buf, header, head);
        at = head;
    }
    for (int64_t i = 0; i < n_local; i++) {
        for (int k = 0; k < width; k++) {
            if (k > 0) buf[at++] = ',';
            at += (size_t)lariat_format_double(buf + at, pred[i * width + k]);
        }
        buf[at++] = '\n';
    }
    *text = buf;
    *len = at;
    return LARIAT_OK;
}

/* Collective. The texts to path, in parallel, atomically. */
static int write_parallel(lariat_ctx *ctx, const char *path, const char *text, size_t len)
{
    MPI_Comm comm = lariat_ctx_comm(ctx);
    int rank = lariat_ctx_rank(ctx);
    lariat_atomic_file w = {NULL, -1, NULL, NULL};
    int rc = LARIAT_OK, opened = 0;
    if (rank == 0) {
        rc = lariat_atomic_open(ctx, path, &w);
        opened = (rc == LARIAT_OK);
    }
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) return rc;

    /* Every rank learns the temporary's name and its own offset. */
    char tmp[4096] = "";
    if (rank == 0) {
        if (strlen(w.tmp) >= sizeof(tmp)) rc = lariat_error(ctx, LARIAT_EIO, "output path too long: %s", path);
        else strcpy(tmp, w.tmp);
    }
    long long mine = (long long)len, offset = 0;
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK && (MPI_Bcast(tmp, sizeof(tmp), MPI_CHAR, 0, comm) != MPI_SUCCESS ||
                            MPI_Exscan(&mine, &offset, 1, MPI_LONG_LONG, MPI_SUM, comm) != MPI_SUCCESS)) {
        rc = lariat_error(ctx, LARIAT_EMPI, "MPI failed while placing the predictions in %s", path);
    }
    if (rank == 0) offset = 0; /* MPI_Exscan leaves rank 0's result undefined */

    if (rc == LARIAT_OK) {
        int fd = rank == 0 ? w.fd : open(tmp, O_WRONLY);
        if (fd < 0) {
            rc = lariat_error(ctx, LARIAT_EIO, "rank %d cannot open %s: %s", rank, tmp, strerror(errno));
        } else {
            rc = lariat_pwrite_all(ctx, fd, text, len, (int64_t)offset, path);
            if (rank != 0) {
                /* Synced before rank 0 renames: on a network file system the
                ** bytes of other ranks must have reached the server. */
                if (rc == LARIAT_OK && fsync(fd) != 0) {
                    rc = lariat_error(ctx, LARIAT_EIO, "cannot write %s: %s", path, strerror(errno));
                }
                if (close(fd) != 0 && rc == LARIAT_OK) {
                    rc = lariat_error(ctx, LARIAT_EIO, "cannot write %s: %s", path, strerror(errno));
                }
            }
        }
    }
    rc = lariat_agree(ctx, rc);
    if (rank == 0 && opened) {
        if (rc == LARIAT_OK) rc = lariat_atomic_commit(ctx, &w);
        else lariat_atomic_abort(&w);
    }
    return lariat_agree(ctx, rc);
}

/* Collective. The texts to rank 0's standard output, in rank order. A write
** error on rank 0 does not stop it from receiving the rest (the senders
** would wait forever); it is reported at the end. */
static int write_stdout(lariat_ctx *ctx, const char *text, size_t len)
{
    MPI_Comm comm = lariat_ctx_comm(ctx);
    int rank = lariat_ctx_rank(ctx), size = lariat_ctx_size(ctx);
    int rc = LARIAT_OK;
    /* Rank 0's buffer first, agreed: without it rank 0 would not receive,
    ** and the other ranks would wait in MPI_Send forever. */
    char *buf = rank == 0 ? lariat_malloc(ctx, LC_STDOUT_CHUNK, 1, "prediction buffer") : NULL;
    rc = lariat_agree(ctx, rank == 0 && buf == NULL ? LARIAT_ENOMEM : LARIAT_OK);
    if (rc != LARIAT_OK) return rc;
    if (rank != 0) {
        long long total = (long long)len;
        int ok = MPI_Send(&total, 1, MPI_LONG_LONG, 0, 0, comm) == MPI_SUCCESS;
        for (size_t at = 0; ok && at < len; at += LC_STDOUT_CHUNK) {
            int n = (int)(len - at < LC_STDOUT_CHUNK ? len - at : LC_STDOUT_CHUNK);
            ok = MPI_Send(text + at, n, MPI_CHAR, 0, 1, comm) == MPI_SUCCESS;
        }
        if (!ok) rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Send of predictions from rank %d failed", rank);
        return lariat_agree(ctx, rc);
    }
    int ok = 1, io_ok = fwrite(text, 1, len, stdout) == len;
    for (int r = 1; ok && r < size; r++) {
        long long total = 0;
        ok = MPI_Recv(&total, 1, MPI_LONG_LONG, r, 0, comm, MPI_STATUS_IGNORE) == MPI_SUCCESS;
        for (long long at = 0; ok && at < total; at += LC_STDOUT_CHUNK) {
            int n = (int)(total - at < LC_STDOUT_CHUNK ? total - at : LC_STDOUT_CHUNK);
            ok = MPI_Recv(buf, n, MPI_CHAR, r, 1, comm, MPI_STATUS_IGNORE) == MPI_SUCCESS;
            if (ok && io_ok) io_ok = fwrite(buf, 1, (size_t)n, stdout) == (size_t)n;
        }
    }
    if (fflush(stdout) != 0) io_ok = 0;
    free(buf);
    if (!ok) rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Recv of predictions failed");
    else if (!io_ok) rc = lariat_error(ctx, LARIAT_EIO, "cannot write predictions to stdout: %s", strerror(errno));
    return lariat_agree(ctx, rc);
}

/* Not collective (names are the same on every rank). Columns are matched by
** position; when the data's header names them differently from the model,
** the columns may be in another order, which is worth a warning. Data
** without a header has the names x1..xp and is not compared. */
static void warn_names(const lariat_ctx *ctx, const lariat_data *data, const lariat_model *model)
{
    int64_t differ = 0, first = -1, defaults = 0;
    for (int64_t j = 0; j < data->p; j++) {
        char def[32];
        snprintf(def, sizeof(def), "x%lld", (long long)(j + 1));
        defaults += strcmp(data->feature_names[j], def) == 0;
        if (strcmp(data->feature_names[j], model->feature_names[j]) != 0) {
            if (first < 0) first = j;
            differ++;
        }
    }
    if (differ > 0 && defaults < data->p) {
        lariat_log(ctx, LARIAT_LOG_NORMAL,
                   "warning: %lld column names differ from the model's (column %lld is '%s' in the data, '%s' in "
                   "the model); columns are matched by position",
                   (long long)differ, (long long)(first + 1), data->feature_names[first], model->feature_names[first]);
    }
}

int lc_cmd_predict(lariat_ctx *ctx, const lc_options *o, double t_start)
{
    lariat_model *model = NULL;
    lariat_data *data = NULL;
    double *pred = NULL;
    char *text = NULL, *header = NULL;
    size_t len = 0;
    double load_s = 0.0;
    const char *model_path = lc_text(o, LC_OPT_MODEL), *out = lc_text(o, LC_OPT_OUT);

    const char *type_text = lc_text(o, LC_OPT_TYPE);
    const lariat_predict_type type = strcmp(type_text, "link") == 0    ? LARIAT_PREDICT_LINK
                                     : strcmp(type_text, "class") == 0 ? LARIAT_PREDICT_CLASS
                                                                       : LARIAT_PREDICT_RESPONSE;
    int rc = lc_require(ctx, o, LC_OPT_MODEL);
    if (rc == LARIAT_OK) rc = lc_require(ctx, o, LC_OPT_DATA);
    if (rc == LARIAT_OK) rc = lariat_model_read(ctx, model_path, &model);
    /* The model is the same on every rank: so is this verdict. */
    if (rc == LARIAT_OK && type == LARIAT_PREDICT_CLASS && model->family == LARIAT_FAMILY_GAUSSIAN) {
        rc = lariat_error(ctx, LARIAT_EUSAGE, "%s class: the model %s is gaussian and has no classes (use response)",
                          lc_origin(o, LC_OPT_TYPE), model_path);
    }
    if (rc == LARIAT_OK) {
        lariat_read_options ropt;
        lc_read_options(o, &ropt);
        ropt.n_features = model->p; /* LIBSVM rows may not reach the last feature */
        rc = lc_load_data(ctx, o, &ropt, &data, &load_s);
    }
    if (rc == LARIAT_OK && data->p != model->p) {
        rc = lariat_error(ctx, LARIAT_EDATA,
                          "%s has %lld features but the model %s was fit on %lld (predict reads the label "
                          "and weights columns as fit did)",
                          lc_text(o, LC_OPT_DATA), (long long)data->p, model_path, (long long)model->p);
    }
    if (rc == LARIAT_OK) warn_names(ctx, data, model);
    if (rc == LARIAT_OK) {
        const int width = lariat_predict_width(&model->fit, type);
        const int64_t cells = data->n_local * width;
        pred = lariat_malloc(ctx, (size_t)(cells > 0 ? cells : 1), sizeof(double), "predictions");
        header = make_header(ctx, &model->fit, type);
        if (pred == NULL || header == NULL) rc = LARIAT_ENOMEM;
        if (rc == LARIAT_OK) rc = lariat_predict_solution(ctx, data, &model->fit, &model->sol, type, pred);
        if (rc == LARIAT_OK) rc = format_predictions(ctx, header, pred, data->n_local, width, &text, &len);
        rc = lariat_agree(ctx, rc);
    }
    if (rc == LARIAT_OK) rc = out != NULL ? write_parallel(ctx, out, text, len) : write_stdout(ctx, text, len);
    if (rc == LARIAT_OK && out != NULL) {
        lariat_log(ctx, LARIAT_LOG_VERBOSE, "wrote %lld predictions to %s (%.3f s in all, %.3f s reading)",
                   (long long)data->n, out, lariat_now() - t_start, load_s);
    }
    free(text);
    free(header);
    free(pred);
    lariat_data_destroy(data);
    lariat_model_destroy(model);
    return rc;
}
