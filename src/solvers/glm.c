/*
** The prepared problem of the cross-entropy families (glm.h): classes and
** labels, the null model and lambda_max (SPEC.md section 9), one pass at a
** point, the duality gap and the grouped proximal map.
*/
#include "solvers/glm.h"

#include "core/core.h"
#include "data/matrix.h"
#include "data/tiles.h"
#include "linalg/blas.h"
#include "solvers/group_box.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The most distinct label values a multinomial problem may have. */
#define MAX_CLASSES LARIAT_GLM_MAX_GROUP

void lariat_glm_destroy(lariat_glm *g)
{
    if (g == NULL) return;
    lariat_prep_destroy(g->std);
    free(g->classes);
    free(g->Y);
    free(g->ybar);
    free(g->a_null);
    free(g->v_null);
    lariat_tilesum_destroy(g->ts);
    free(g->XU);
    free(g);
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Not collective. Index of value v in the ascending classes, or -1. */
static int class_index(const double *classes, int nclass, double v)
{
    int lo = 0, hi = nclass - 1;
    while (lo <= hi) {
        const int mid = (lo + hi) / 2;
        if (classes[mid] == v) return mid;
        if (classes[mid] < v) lo = mid + 1;
        else hi = mid - 1;
    }
    return -1;
}

/* Collective. Binomial: every label in [0, 1] gives the classes 0 and 1
** (proportions allowed); otherwise exactly two distinct values. Each rank
** sends its first three distinct values in row order with their global
** rows; merged in rank order they give the global values in row order, and
** the row where each of the first three first appears (at most two of a
** rank's first three can be values seen before it). With a third value,
** the one of the three with the fewest rows is the odd one out (a stray 7
** on the file's first line among 0s and 1s, not the 1s after it), and the
** error names its first row (one more pass and allreduce, on bad data
** only; ties go to the later value). */
static int binomial_classes(lariat_ctx *ctx, const lariat_data *data, const double *w, double *classes,
                            int64_t *bad_row)
{
    const int P = lariat_ctx_size(ctx);
    double mine[7] = {0.0};
    int m = 0, outside = 0;
    for (int64_t i = 0; i < data->n_local; i++) {
        if (!(w[i] > 0.0)) continue;
        const double y = data->y[i];
        outside |= !(y >= 0.0 && y <= 1.0);
        int seen = 0;
        for (int t = 0; t < m; t++) seen |= mine[2 * t] == y;
        if (!seen && m < 3) {
            mine[2 * m] = y;
            mine[2 * m + 1] = (double)(data->row0 + i);
            m++;
        }
    }
    mine[6] = m + 8.0 * outside;
    double *all = malloc((size_t)P * 7 * sizeof(double));
    int rc = all ? LARIAT_OK : lariat_error(ctx, LARIAT_ENOMEM, "out of memory gathering the labels");
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) return rc;
    if (MPI_Allgather(mine, 7, MPI_DOUBLE, all, 7, MPI_DOUBLE, lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
        free(all);
        return lariat_agree(ctx, lariat_error(ctx, LARIAT_EMPI, "MPI_Allgather of the labels failed"));
    }
    int any_outside = 0, nv = 0;
    double vals[3];
    int64_t first[3] = {-1, -1, -1};
    *bad_row = -1;
    for (int r = 0; r < P; r++) {
        const int mr = (int)all[7 * r + 6] % 8;
        any_outside |= all[7 * r + 6] >= 8.0;
        for (int t = 0; t < mr; t++) {
            const double y = all[7 * r + 2 * t];
            int seen = 0;
            for (int u = 0; u < nv; u++) seen |= vals[u] == y;
            if (seen) continue;
            if (nv == 2 && *bad_row < 0) {
                *bad_row = first[2] = (int64_t)all[7 * r + 2 * t + 1];
                vals[2] = y;
            }
            if (nv < 2) {
                first[nv] = (int64_t)all[7 * r + 2 * t + 1];
                vals[nv++] = y;
            }
        }
    }
    free(all);
    if (!any_outside) {
        classes[0] = 0.0;
        classes[1] = 1.0;
        *bad_row = -1;
        return LARIAT_OK;
    }
    if (*bad_row >= 0) {
        int64_t count[3] = {0, 0, 0}; /* rows, summed as integers (exact in any order) */
        for (int64_t i = 0; i < data->n_local; i++) {
            if (!(w[i] > 0.0)) continue;
            for (int u = 0; u < 3; u++) count[u] += data->y[i] == vals[u];
        }
        if (MPI_Allreduce(MPI_IN_PLACE, count, 3, MPI_INT64_T, MPI_SUM, lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
            return lariat_agree(ctx, lariat_error(ctx, LARIAT_EMPI, "MPI_Allreduce of the label counts failed"));
        }
        int odd = 2;
        for (int u = 1; u >= 0; u--) {
            if (count[u] < count[odd]) odd = u;
        }
        const double a = vals[odd == 0 ? 1 : 0], b = vals[odd == 2 ? 1 : 2];
        *bad_row = first[odd];
        return lariat_error(ctx, LARIAT_EDATA,
                            "row %lld: label %.17g is a third value (binomial labels take two values, here %.17g "
                            "and %.17g, or lie in [0, 1])",
                            (long long)*bad_row, vals[odd], fmin(a, b), fmax(a, b));
    }
    if (nv < 2) {
        return lariat_error(ctx, LARIAT_EDATA, "binomial labels need two classes, but every label is %.17g",
                            vals[0]);
    }
    classes[0] = fmin(vals[0], vals[1]);
    classes[1] = fmax(vals[0], vals[1]);
    return LARIAT_OK;
}

/* Collective. Multinomial: the distinct integer labels, from every rank's
** sorted distinct values (one allgather of counts, one of values). */
static int multinomial_classes(lariat_ctx *ctx, const lariat_data *data, const double *w, double **classes,
                               int *nclass, int64_t *bad_row)
{
    const int P = lariat_ctx_size(ctx);
    const int64_t n = data->n_local;
    double *v = malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    int *counts = malloc((size_t)P * sizeof(int)), *displs = malloc((size_t)P * sizeof(int));
    double *all = NULL;
    int rc = (v && counts && displs) ? LARIAT_OK : lariat_error(ctx, LARIAT_ENOMEM, "out of memory gathering labels");
    /* The first row with a non-integer label: a MIN-reduction of its index. */
    long long first_bad = -1, m = 0;
    for (int64_t i = 0; rc == LARIAT_OK && i < n; i++) {
        if (!(w[i] > 0.0)) continue;
        if (data->y[i] != floor(data->y[i]) && first_bad < 0) first_bad = (long long)(data->row0 + i);
        v[m++] = data->y[i];
    }
    if (rc == LARIAT_OK) {
        qsort(v, (size_t)m, sizeof(double), cmp_double);
        int64_t u = 0;
        for (int64_t i = 0; i < m; i++) {
            if (u == 0 || v[i] != v[u - 1]) v[u++] = v[i];
        }
        m = u > MAX_CLASSES ? MAX_CLASSES + 1 : u;
    }
    rc = lariat_agree(ctx, rc);
    long long red[2] = {first_bad < 0 ? -LLONG_MAX : -first_bad, m};
    if (rc == LARIAT_OK &&
        MPI_Allreduce(MPI_IN_PLACE, red, 2, MPI_LONG_LONG, MPI_MAX, lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
        rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Allreduce of the labels failed");
    }
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK && red[0] != -LLONG_MAX) {
        *bad_row = -red[0];
        double val = 0.0;
        if (*bad_row >= data->row0 && *bad_row < data->row0 + n) val = data->y[*bad_row - data->row0];
        MPI_Allreduce(MPI_IN_PLACE, &val, 1, MPI_DOUBLE, MPI_SUM, lariat_ctx_comm(ctx));
        rc = lariat_error(ctx, LARIAT_EDATA, "row %lld: label %.17g is not an integer (multinomial labels are classes)",
                          (long long)*bad_row, val);
    }
    if (rc == LARIAT_OK && red[1] > MAX_CLASSES) {
        rc = lariat_error(ctx, LARIAT_EDATA, "more than %d distinct labels: not classes for multinomial", MAX_CLASSES);
    }
    int mine = (int)m, total = 0;
    if (rc == LARIAT_OK &&
        MPI_Allgather(&mine, 1, MPI_INT, counts, 1, MPI_INT, lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
        rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Allgather of the labels failed");
    }
    if (rc == LARIAT_OK) {
        for (int r = 0; r < P; r++) {
            displs[r] = total;
            total += counts[r];
        }
        all = malloc((size_t)(total > 0 ? total : 1) * sizeof(double));
        if (all == NULL) rc = lariat_error(ctx, LARIAT_ENOMEM, "out of memory gathering labels");
    }
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK && MPI_Allgatherv(v, mine, MPI_DOUBLE, all, counts, displs, MPI_DOUBLE,
                                          lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
        rc = lariat_agree(ctx, lariat_error(ctx, LARIAT_EMPI, "MPI_Allgatherv of the labels failed"));
    }
    if (rc == LARIAT_OK) {
        qsort(all, (size_t)total, sizeof(double), cmp_double);
        int u = 0;
        for (int i = 0; i < total; i++) {
            if (u == 0 || all[i] != all[u - 1]) all[u++] = all[i];
        }
        if (u > MAX_CLASSES) {
            rc = lariat_error(ctx, LARIAT_EDATA, "more than %d distinct labels: not classes for multinomial",
                              MAX_CLASSES);
        } else if (u < 2) {
            rc = lariat_error(ctx, LARIAT_EDATA, "multinomial labels need at least two classes, but every label is %.17g",
                              total > 0 ? all[0] : 0.0);
        } else {
            *classes = all;
            *nclass = u;
            all = NULL;
        }
    }
    free(v);
    free(counts);
    free(displs);
    free(all);
    return rc;
}

int lariat_glm_classes(lariat_ctx *ctx, const lariat_data *data, const double *w, lariat_family_kind kind,
                       double **classes, int *nclass)
{
    int64_t bad = -1;
    return lariat_classes(ctx, data, w, kind, classes, nclass, &bad);
}

int lariat_classes(lariat_ctx *ctx, const lariat_data *data, const double *w, lariat_family_kind kind,
                   double **classes, int *nclass, int64_t *bad_row)
{
    *classes = NULL;
    *nclass = 0;
    *bad_row = -1;
    if (w == NULL) w = data->w;
    if (kind == LARIAT_FAMILY_MULTINOMIAL) return multinomial_classes(ctx, data, w, classes, nclass, bad_row);
    if (kind != LARIAT_FAMILY_BINOMIAL) return LARIAT_OK;
    double *c = lariat_malloc(ctx, 2, sizeof(double), "classes");
    int rc = lariat_agree(ctx, c ? LARIAT_OK : LARIAT_ENOMEM);
    if (rc == LARIAT_OK) rc = lariat_agree(ctx, binomial_classes(ctx, data, w, c, bad_row));
    if (rc != LARIAT_OK) {
        free(c);
        return rc;
    }
    *classes = c;
    *nclass = 2;
    return LARIAT_OK;
}

/* Not collective. Y (K x n) from the labels: binomial with classes {0, 1}
** the label itself (a proportion), else the indicator of class 1;
** multinomial the one-hot indicator. A label that is no class (a row of a
** held-out set, weight 0) gets all zeros. */
static void fill_labels(lariat_glm *g)
{
    const int64_t n = g->n;
    const double *y = g->data->y;
    memset(g->Y, 0, (size_t)(g->K * n) * sizeof(double));
    const int proportions = g->fam->kind == LARIAT_FAMILY_BINOMIAL && g->classes[0] == 0.0 && g->classes[1] == 1.0;
    for (int64_t i = 0; i < n; i++) {
        if (proportions) {
            g->Y[i] = (y[i] >= 0.0 && y[i] <= 1.0) ? y[i] : 0.0;
        } else if (g->fam->kind == LARIAT_FAMILY_BINOMIAL) {
            g->Y[i] = y[i] == g->classes[1] ? 1.0 : 0.0;
        } else {
            const int k = class_index(g->classes, g->nclass, y[i]);
            if (k >= 0) g->Y[(int64_t)k * n + i] = 1.0;
        }
    }
}

int lariat_glm_work_alloc(const lariat_glm *g, int with_V, lariat_glm_work *wk)
{
    memset(wk, 0, sizeof(*wk));
    const size_t Kn = (size_t)(g->K * (g->n > 0 ? g->n : 1)), Kp = (size_t)(g->K * g->p);
    wk->eta = lariat_malloc(g->ctx, Kn, sizeof(double), "linear predictors");
    wk->mu = lariat_malloc(g->ctx, Kn, sizeof(double), "means");
    wk->R = lariat_malloc(g->ctx, Kn, sizeof(double), "gradient rows");
    wk->V = with_V ? lariat_malloc(g->ctx, Kn, sizeof(double), "IRLS weights") : NULL;
    wk->col = lariat_malloc(g->ctx, (size_t)(g->n > 0 ? g->n : 1), sizeof(double), "column");
    wk->d = lariat_malloc(g->ctx, (size_t)g->p, sizeof(double), "scaled coefficients");
    wk->buf = lariat_malloc(g->ctx, Kp + (size_t)g->K + 1, sizeof(double), "reduction buffer");
    wk->pen_v = lariat_malloc(g->ctx, Kp, sizeof(double), "gap scratch");
    wk->mu_adj = lariat_malloc(g->ctx, Kn, sizeof(double), "gap scratch");
    wk->mu_sh = lariat_malloc(g->ctx, Kn, sizeof(double), "gap scratch");
    wk->v_sh = lariat_malloc(g->ctx, Kp, sizeof(double), "gap scratch");
    wk->kk = lariat_malloc(g->ctx, (size_t)(g->K * g->K), sizeof(double), "gap scratch");
    if (!wk->mu_adj || !wk->mu_sh || !wk->v_sh || !wk->kk) return LARIAT_ENOMEM;
    if (g->XU != NULL) {
        const size_t q = (size_t)(g->std->intercept + g->std->nU), m = (size_t)g->K * q;
        wk->rf_eta = lariat_malloc(g->ctx, Kn, sizeof(double), "certificate refit");
        wk->rf_mu = lariat_malloc(g->ctx, Kn, sizeof(double), "certificate refit");
        wk->rf_t = lariat_malloc(g->ctx, Kn, sizeof(double), "certificate refit");
        wk->rf_buf = lariat_malloc(g->ctx, m + m * m + 1, sizeof(double), "certificate refit");
        wk->rf_M = lariat_malloc(g->ctx, m * m, sizeof(double), "certificate refit");
        wk->rf_d = lariat_malloc(g->ctx, m, sizeof(double), "certificate refit");
        wk->rf_z = lariat_malloc(g->ctx, q, sizeof(double), "certificate refit");
        wk->rf_idx = lariat_malloc(g->ctx, m, sizeof(int64_t), "certificate refit");
        wk->rf_act = lariat_malloc(g->ctx, q, sizeof(int), "certificate refit");
        if (!wk->rf_eta || !wk->rf_mu || !wk->rf_t || !wk->rf_buf || !wk->rf_M || !wk->rf_d || !wk->rf_z ||
            !wk->rf_idx || !wk->rf_act) {
            return LARIAT_ENOMEM;
        }
    }
    if (!wk->eta || !wk->mu || !wk->R || (with_V && !wk->V) || !wk->col || !wk->d || !wk->buf || !wk->pen_v) {
        return LARIAT_ENOMEM;
    }
    return LARIAT_OK;
}

void lariat_glm_work_free(lariat_glm_work *wk)
{
    free(wk->eta);
    free(wk->mu);
    free(wk->R);
    free(wk->V);
    free(wk->col);
    free(wk->d);
    free(wk->buf);
    free(wk->pen_v);
    free(wk->mu_adj);
    free(wk->mu_sh);
    free(wk->v_sh);
    free(wk->kk);
    free(wk->rf_eta);
    free(wk->rf_mu);
    free(wk->rf_t);
    free(wk->rf_buf);
    free(wk->rf_M);
    free(wk->rf_d);
    free(wk->rf_z);
    free(wk->rf_idx);
    free(wk->rf_act);
    memset(wk, 0, sizeof(*wk));
}

void lariat_glm_eta(const lariat_glm *g, const double *a, const double *c, lariat_glm_work *wk, double *eta)
{
    const lariat_prep *s = g->std;
    const double *shift = s->intercept ? s->mean : NULL;
    for (int k = 0; k < g->K; k++) {
        for (int64_t j = 0; j < g->p; j++) wk->d[j] = c[k * g->p + j] * s->inv_scale[j];
        double *e = eta + (int64_t)k * g->n;
        lariat_matrix_mult(g->data->X, shift, wk->d, e);
        for (int64_t i = 0; i < g->n; i++) e[i] += a[k];
    }
}

/* The problem and the work whose rows a tile function reads. */
typedef struct glm_tile {
    const lariat_glm *g;
    lariat_glm_work *wk;
} glm_tile;

/* One tile of a pass: the family at the tile's rows, then per predictor
** X'R and sum R, and the loss: part = [X'R (K p) | sum R (K) | loss]. */
static void pass_tile_fn(void *arg, int64_t i0, int64_t m, double *part)
{
    const glm_tile *a = arg;
    const lariat_glm *g = a->g;
    lariat_glm_work *wk = a->wk;
    const int K = g->K;
    const int64_t n = g->n, p = g->p;
    const double *shift = g->std->intercept ? g->std->mean : NULL;
    const double loss = g->fam->eval(m, n, K, wk->eta + i0, g->Y + i0, g->w + i0, wk->mu + i0, wk->R + i0,
                                     wk->V != NULL ? wk->V + i0 : NULL);
    const lariat_matrix tile = lariat_matrix_row_view(g->data->X, i0, m);
    for (int k = 0; k < K; k++) {
        const double *r = wk->R + (int64_t)k * n + i0;
        double sr = 0.0;
        for (int64_t i = 0; i < m; i++) sr += r[i];
        lariat_matrix_mult_t(&tile, shift, r, part + k * p);
        part[K * p + k] = sr;
    }
    part[K * p + K] = loss;
}

int lariat_glm_pass(const lariat_glm *g, lariat_glm_work *wk, lariat_glm_point *pt)
{
    const lariat_prep *s = g->std;
    const int K = g->K;
    const int64_t p = g->p;
    double *buf = wk->buf;
    glm_tile arg = {g, wk};
    int rc = lariat_tilesum_run(g->ts, K * p + K + 1, pass_tile_fn, &arg, buf);
    if (rc != LARIAT_OK) return rc;
    const double invW = 1.0 / g->W;
    for (int k = 0; k < K; k++) {
        for (int64_t j = 0; j < p; j++) pt->v[k * p + j] = -buf[k * p + j] * s->inv_scale[j] * invW;
        pt->g0[k] = s->intercept ? buf[K * p + k] * invW : 0.0;
    }
    pt->loss = buf[K * p + K] * invW;
    return LARIAT_OK;
}

double lariat_glm_penalty(const lariat_glm *g, double lambda, const double *c)
{
    const lariat_prep *s = g->std;
    double sq = 0.0, ab = 0.0;
    for (int64_t j = 0; j < g->p; j++) {
        double cj2 = 0.0, cj1 = 0.0;
        for (int k = 0; k < g->K; k++) {
            const double x = c[k * g->p + j];
            cj2 += x * x;
            cj1 += fabs(x);
        }
        sq += s->pf[j] * cj2;
        ab += s->pf[j] * (g->grouped ? sqrt(cj2) : cj1);
    }
    return lambda * (0.5 * (1.0 - g->alpha) * sq + g->alpha * ab);
}

void lariat_glm_prox_group(const lariat_glm *g, int64_t j, const double *z, double t, double lambda, double *out)
{
    /* argmin ||c - z||^2/(2t) + q ||c||^2/2 + tau ||c||: the block
    ** soft-threshold (1 - t tau / ||z||)_+ z / (1 + t q) (Yuan and Lin 2006;
    ** Parikh and Boyd 2014, section 6.5.1). With bounds, group_box.c's
    ** root; with no l1 part the penalty is separable and each coefficient
    ** is its clipped ridge step. */
    const lariat_prep *s = g->std;
    const double f = s->pf[j], q = lambda * f * (1.0 - g->alpha), tau = lambda * f * g->alpha;
    const double lo = s->lo[j], hi = s->hi[j];
    if (lo == hi) {
        for (int k = 0; k < g->K; k++) out[k] = 0.0;
        return;
    }
    if (!isinf(lo) || !isinf(hi)) {
        if (tau > 0.0) {
            lariat_group_box_prox(g->K, z, t, q, tau, lo, hi, out);
        } else {
            for (int k = 0; k < g->K; k++) out[k] = lariat_prep_prox(s, j, z[k], t, lambda);
        }
        return;
    }
    double nz = 0.0;
    for (int k = 0; k < g->K; k++) nz += z[k] * z[k];
    nz = sqrt(nz);
    const double fac = nz <= t * tau ? 0.0 : (1.0 - t * tau / nz) / (1.0 + t * q);
    for (int k = 0; k < g->K; k++) out[k] = fac * z[k];
}

/* The dual point of family.h at kappa in (0, 1]: theta_ik = kappa (w_i/W)
** (mu_ik - delta_k - y_ik), where delta_k = dL/da_k makes sum_i theta_ik = 0
** (the intercepts' dual constraint; 0 without an intercept) and leaves
** -Xs'theta = kappa v, since the columns are centred in w. kappa is the
** largest value that keeps -Xs'theta in the penalty conjugate's domain (as
** lariat_prep_gap), and
**   G = L + pen + F*(theta) + sum_j g_j*(kappa v_j),
**   F*(theta) = (1/W) sum_i w_i l_i*(kappa (mu_i - delta - y_i))
** (Ndiaye et al. 2017, section 2.2; Fenchel-Young: G = 0 exactly at the
** optimum). Unpenalized columns left with a gradient towards an unbounded
** side (their conjugate is infinite) enter through the decrease one exact
** coordinate step would make under the curvature bound, v^2 / (2 B xx_j):
** zero at the optimum, an estimate rather than a bound (as prep.c). */
/* Not collective. The dual point's projection for the unpenalized columns
** (as lariat_prep_gap's): for predictor k, the columns S of U whose v_jk
** points to an unbounded side must have Xs_S'theta_k = 0, else their
** conjugate is infinite. With HU_SS a = v_S (prep's Gram columns HU =
** (1/W) Xs'W Xs_U), theta_k + (w/W) Xs_S a has v_S = 0: v becomes
** v - HU_:S a and the means mu_k + Xs_S a (one product with X). On return
** *v and *mu point at the projected copies (unchanged when nothing is
** projected or the system is singular). */
static void project_unpenalized(const lariat_glm *g, lariat_glm_work *wk, const double **v, const double **mu)
{
    const lariat_prep *s = g->std;
    const int64_t p = g->p, n = g->n, nU = s->nU;
    const double *shift = s->intercept ? s->mean : NULL;
    double *vp = wk->pen_v, *a = s->gap_work + p;
    memmove(vp, *v, (size_t)(g->K * p) * sizeof(double));
    memmove(wk->mu_adj, *mu, (size_t)(g->K * n) * sizeof(double));
    for (int k = 0; k < g->K; k++) {
        double *vk = vp + k * p;
        int64_t m = 0;
        for (int64_t t = 0; t < nU; t++) {
            const int64_t j = s->U[t];
            if ((vk[j] > 0.0 && isinf(s->hi[j])) || (vk[j] < 0.0 && isinf(s->lo[j])) ||
                (isinf(s->lo[j]) && isinf(s->hi[j]))) {
                s->Usel[m++] = t;
            }
        }
        if (m == 0) continue;
        for (int64_t r = 0; r < m; r++) {
            a[r] = vk[s->U[s->Usel[r]]];
            for (int64_t t = 0; t < m; t++) s->LU[r * m + t] = s->HU[s->U[s->Usel[r]] * nU + s->Usel[t]];
        }
        if (LAPACKE_dposv_work(LAPACK_COL_MAJOR, 'L', (lapack_int)m, 1, s->LU, (lapack_int)m, a, (lapack_int)m) != 0) {
            continue;
        }
        memset(wk->d, 0, (size_t)p * sizeof(double));
        for (int64_t r = 0; r < m; r++) {
            const int64_t kr = s->Usel[r];
            cblas_daxpy((int)p, -a[r], s->HU + kr, (int)nU, vk, 1);
            wk->d[s->U[kr]] = a[r] * s->inv_scale[s->U[kr]];
        }
        for (int64_t r = 0; r < m; r++) vk[s->U[s->Usel[r]]] = 0.0;
        lariat_matrix_mult(g->data->X, shift, wk->d, wk->col);
        for (int64_t i = 0; i < n; i++) wk->mu_adj[(int64_t)k * n + i] += wk->col[i];
    }
    *v = vp;
    *mu = wk->mu_adj;
}

/* One tile's sum of the loss conjugate (gap_at). */
typedef struct conj_tile {
    const lariat_glm *g;
    const double *mu, *delta;
    double kappa;
} conj_tile;

static void conj_tile_fn(void *arg, int64_t i0, int64_t m, double *part)
{
    const conj_tile *a = arg;
    const lariat_glm *g = a->g;
    part[0] = g->fam->conj(m, g->n, g->K, a->mu + i0, g->Y + i0, g->w + i0, a->delta, a->kappa);
}

/* Collective (one scalar allreduce). The gap at the dual point made of the
** means mu shifted by delta, whose gradient is V (see lariat_glm_gap). */
static int gap_at(const lariat_glm *g, double lambda, const double *c, double loss, const double *V,
                  const double *mu, const double *delta, int limit_kappa, double *primal, double *gap)
{
    const lariat_prep *s = g->std;
    const int K = g->K;
    const int64_t p = g->p;
    const double alpha = g->alpha;
    double kappa = 1.0;
    int rc = LARIAT_OK;
    for (int64_t j = 0; j < p; j++) {
        const double f = s->pf[j], q = lambda * f * (1.0 - alpha), tau = lambda * f * alpha;
        if (s->scale[j] == 0.0 || q > 0.0 || tau <= 0.0) continue;
        if (g->grouped) {
            /* The norm along the box's unbounded directions (group_box.h):
            ** every component without bounds. */
            double nv = 0.0;
            for (int k = 0; k < K; k++) {
                const double v = V[k * p + j];
                if ((v > 0.0 && isinf(s->hi[j])) || (v < 0.0 && isinf(s->lo[j]))) nv += v * v;
            }
            nv = sqrt(nv);
            if (nv > tau) kappa = fmin(kappa, tau / nv);
            continue;
        }
        for (int k = 0; k < K; k++) {
            const double v = V[k * p + j];
            if (v > tau && isinf(s->hi[j])) kappa = fmin(kappa, tau / v);
            if (v < -tau && isinf(s->lo[j])) kappa = fmin(kappa, tau / -v);
        }
    }
    if (limit_kappa) {
        /* Also within the loss conjugate's domain: one MIN-reduction. */
        kappa = g->fam->kappa_max(g->n, g->n, K, mu, g->Y, g->w, delta, kappa);
        if (MPI_Allreduce(MPI_IN_PLACE, &kappa, 1, MPI_DOUBLE, MPI_MIN, lariat_ctx_comm(g->ctx)) != MPI_SUCCESS) {
            return lariat_error(g->ctx, LARIAT_EMPI, "MPI_Allreduce of the dual scaling failed");
        }
    }
    conj_tile ct = {g, mu, delta, kappa};
    double total = 0.0;
    rc = lariat_tilesum_run(g->ts, 1, conj_tile_fn, &ct, &total);
    if (rc != LARIAT_OK) return rc;
    const double fstar = total / g->W;
    double conj = 0.0, free_terms = 0.0;
    for (int64_t j = 0; j < p; j++) {
        if (s->scale[j] == 0.0) continue;
        const double f = s->pf[j], q = lambda * f * (1.0 - alpha), tau = lambda * f * alpha;
        const int boxed = !isinf(s->lo[j]) || !isinf(s->hi[j]);
        if (g->grouped && boxed && tau > 0.0) {
            double u[LARIAT_GLM_MAX_GROUP];
            for (int k = 0; k < K; k++) u[k] = kappa * V[k * p + j];
            conj += lariat_group_box_conj(K, u, q, tau, s->lo[j], s->hi[j]);
            continue;
        }
        if (g->grouped && !boxed) {
            double nu = 0.0;
            for (int k = 0; k < K; k++) nu += V[k * p + j] * V[k * p + j];
            nu = kappa * sqrt(nu);
            if (q > 0.0) {
                const double e = fmax(nu - tau, 0.0);
                conj += e * e / (2.0 * q);
            } else if (tau == 0.0 && nu > 0.0) {
                free_terms += nu * nu / (2.0 * g->fam->curvature_bound * s->xx[j]);
            }
            continue;
        }
        for (int k = 0; k < K; k++) {
            const double v = V[k * p + j];
            double u = kappa * v;
            if (q == 0.0 && tau > 0.0 && u > tau && isinf(s->hi[j])) u = tau;
            if (q == 0.0 && tau > 0.0 && u < -tau && isinf(s->lo[j])) u = -tau;
            if (q == 0.0 && tau == 0.0 && ((u > 0 && isinf(s->hi[j])) || (u < 0 && isinf(s->lo[j])))) {
                free_terms += v * v / (2.0 * g->fam->curvature_bound * s->xx[j]);
                continue;
            }
            conj += lariat_prep_conj(u, q, tau, s->lo[j], s->hi[j]);
        }
    }
    *primal = loss + lariat_glm_penalty(g, lambda, c);
    *gap = isfinite(fstar) ? *primal + fstar + conj : INFINITY;
    /* A free column's nonzero gradient leaves the dual point infeasible:
    ** the rest of the gap is then no bound and may not lower the estimate
    ** (lariat_prep_gap; at lambda = 0 the multinomial path's warm start
    ** gave -0.035 with N0 = 1.1 and was taken, in no iteration). */
    if (free_terms > 0.0) *gap = fmax(*gap, 0.0) + free_terms;
    return LARIAT_OK;
}

/* The tiles of curvature_shift: M = sum_i w_i H_i (K x K), then with its
** solution d the gradient's products Xs'(w (H d)_k). */
typedef struct shift_tile {
    const lariat_glm *g;
    lariat_glm_work *wk;
    const double *d;
} shift_tile;

static void curvature_tile_fn(void *arg, int64_t i0, int64_t m, double *M)
{
    const shift_tile *a = arg;
    const lariat_glm *g = a->g;
    const int K = g->K;
    const int64_t n = g->n;
    const double *mu = a->wk->mu;
    memset(M, 0, (size_t)(K * K) * sizeof(double));
    for (int64_t i = i0; i < i0 + m; i++) {
        for (int k = 0; k < K; k++) {
            const double mk = mu[(int64_t)k * n + i];
            M[k * K + k] += g->w[i] * mk * (K == 1 ? 1.0 - mk : 1.0);
            if (K == 1) continue;
            for (int l = 0; l < K; l++) M[k * K + l] -= g->w[i] * mk * mu[(int64_t)l * n + i];
        }
    }
}

static void shifted_grad_tile_fn(void *arg, int64_t i0, int64_t m, double *part)
{
    const shift_tile *a = arg;
    const lariat_glm *g = a->g;
    const int K = g->K;
    const int64_t n = g->n, p = g->p;
    const double *mu = a->wk->mu, *d = a->d, *shift = g->std->intercept ? g->std->mean : NULL;
    double *col = a->wk->col;
    const lariat_matrix tile = lariat_matrix_row_view(g->data->X, i0, m);
    for (int k = 0; k < K; k++) {
        for (int64_t i = 0; i < m; i++) {
            double md = 0.0;
            for (int l = 0; l < K; l++) md += mu[(int64_t)l * n + i0 + i] * d[l];
            const double mk = mu[(int64_t)k * n + i0 + i];
            col[i] = g->w[i0 + i] * (K == 1 ? mk * (1.0 - mk) * d[0] : mk * (d[k] - md));
        }
        lariat_matrix_mult_t(&tile, shift, col, part + k * p);
    }
}

/* One tile's label sums: [sum w y_k (K) | rows of positive weight in each
** class (nclass; binomial: class 1 has the rows with y > 0, class 0 those
** with y < 1)]. */
static void label_sums_fn(void *arg, int64_t i0, int64_t m, double *sums)
{
    const lariat_glm *g = arg;
    const int K = g->K;
    memset(sums, 0, (size_t)(K + g->nclass) * sizeof(double));
    for (int k = 0; k < K; k++) {
        for (int64_t i = i0; i < i0 + m; i++) sums[k] += g->w[i] * g->Y[(int64_t)k * g->n + i];
    }
    for (int64_t i = i0; i < i0 + m; i++) {
        if (!(g->w[i] > 0.0)) continue;
        if (K == 1) {
            sums[K + 1] += g->Y[i] > 0.0;
            sums[K + 0] += g->Y[i] < 1.0;
        } else {
            for (int k = 0; k < K; k++) sums[K + k] += g->Y[(int64_t)k * g->n + i] > 0.0;
        }
    }
}

/* Collective. The intercepts' dual constraint met by a shift along each
** row's curvature instead of a constant one: rows whose means sit at 0 or 1
** (nearly separated data, small lambda) leave no room for a constant shift
** in the conjugate's domain, but the curvature H_i = diag(mu_i) - mu_i mu_i'
** vanishes there. With M = sum_i w_i H_i and M d = W g0 (binomial: a
** scalar; multinomial: M + (tr M / K) 11'/K, since M 1 = 0 and 1'g0 = 0),
** the means become mu_i - H_i d, whose weighted sum meets the constraint
** and which stay in [0, 1] (on the simplex) while d is small; the gradient
** follows with one transposed product per predictor and one allreduce:
** v_k + (1/W) Xs' (w (H d)_k). Results in wk->mu_sh and wk->v_sh. */
static int curvature_shift(const lariat_glm *g, const lariat_glm_point *pt, lariat_glm_work *wk)
{
    const lariat_prep *s = g->std;
    const int K = g->K;
    const int64_t n = g->n, p = g->p;
    const double *mu = wk->mu;
    double *M = wk->kk, d[LARIAT_GLM_MAX_GROUP];
    shift_tile st = {g, wk, d};
    int rc = lariat_tilesum_run(g->ts, K * K, curvature_tile_fn, &st, M);
    if (rc != LARIAT_OK) return rc;
    for (int k = 0; k < K; k++) d[k] = pt->g0[k] * g->W;
    if (K == 1) {
        d[0] = M[0] > 0.0 ? d[0] / M[0] : 0.0;
    } else {
        double tr = 0.0;
        for (int k = 0; k < K; k++) tr += M[k * K + k];
        for (int t = 0; t < K * K; t++) M[t] += tr / ((double)K * K);
        if (LAPACKE_dposv_work(LAPACK_COL_MAJOR, 'L', K, 1, M, K, d, K) != 0) memset(d, 0, (size_t)K * sizeof(double));
    }
    for (int64_t i = 0; i < n; i++) {
        double md = 0.0;
        for (int l = 0; l < K; l++) md += mu[(int64_t)l * n + i] * d[l];
        for (int k = 0; k < K; k++) {
            const double mk = mu[(int64_t)k * n + i];
            const double h = K == 1 ? mk * (1.0 - mk) * d[0] : mk * (d[k] - md);
            wk->mu_sh[(int64_t)k * n + i] = mk - h;
        }
    }
    /* The products: one per predictor, packed into one reduction. */
    rc = lariat_tilesum_run(g->ts, K * p, shifted_grad_tile_fn, &st, wk->v_sh);
    if (rc != LARIAT_OK) return rc;
    for (int k = 0; k < K; k++) {
        for (int64_t j = 0; j < p; j++) {
            wk->v_sh[k * p + j] = pt->v[k * p + j] + wk->v_sh[k * p + j] * s->inv_scale[j] / g->W;
        }
    }
    return LARIAT_OK;
}

/* The tiles of clipped_shift: row i's shift is s_i = d clamped to
** [mu_i - 1, mu_i] (rows of positive weight). */
typedef struct clip_tile {
    const lariat_glm *g;
    const double *mu;
    double d;
    double *row; /* p: one row's product (clip_grad_fn; wk->buf, free during a gap) */
} clip_tile;

static double clip_of(double d, double mu) { return d < mu - 1.0 ? mu - 1.0 : d > mu ? mu : d; }

/* [sum w s | sum w over the rows whose s is d]. */
static void clip_sums_fn(void *arg, int64_t i0, int64_t m, double *part)
{
    const clip_tile *a = arg;
    const double *w = a->g->w;
    part[0] = part[1] = 0.0;
    for (int64_t i = i0; i < i0 + m; i++) {
        if (!(w[i] > 0.0)) continue;
        const double si = clip_of(a->d, a->mu[i]);
        part[0] += w[i] * si;
        if (si == a->d) part[1] += w[i];
    }
}

/* sum over the clamped rows of w (s - d) (x - mean): the gradient's change
** (the other rows' shift d adds d Xs'w, zero for centred columns, as the
** constant shift takes it). */
static void clip_grad_fn(void *arg, int64_t i0, int64_t m, double *part)
{
    const clip_tile *a = arg;
    const lariat_glm *g = a->g;
    const int64_t p = g->p;
    const double *shift = g->std->intercept ? g->std->mean : NULL;
    memset(part, 0, (size_t)p * sizeof(double));
    for (int64_t i = i0; i < i0 + m; i++) {
        if (!(g->w[i] > 0.0)) continue;
        const double e = g->w[i] * (clip_of(a->d, a->mu[i]) - a->d);
        if (e == 0.0) continue;
        const lariat_matrix row = lariat_matrix_row_view(g->data->X, i, 1);
        lariat_matrix_mult_t(&row, shift, &e, a->row);
        for (int64_t j = 0; j < p; j++) part[j] += a->row[j];
    }
}

/* Collective. The binomial intercept's dual constraint met by the constant
** shift d where it fits and a clamped one where it does not: s_i = d
** clamped to [mu_i - 1, mu_i], so that every shifted mean mu_i - s_i stays
** in [0, 1], with d chosen so that sum w s = W g0 (Newton's method on that
** sum, piecewise linear and increasing in d: a few sums over the rows,
** none over X; a solution exists as sum w (mu - 1) <= W g0 <= sum w mu for
** labels in [0, 1]). Only the clamped rows, the few whose means sit within
** g0 of 0 or 1, change the gradient, one row product each; the curvature
** shift's transposed product costs a pass over X. On 100,000 x 100
** binomial rows, 10 folds, 70 certificates late on the path took it, 5% of
** the CV. Results in wk->mu_sh and wk->v_sh; *ok is 0 when Newton's method
** did not settle (the caller then shifts along the curvature). */
#define CLIP_MAX_STEPS 8
static int clipped_shift(const lariat_glm *g, const lariat_glm_point *pt, lariat_glm_work *wk, int *ok)
{
    const lariat_prep *s = g->std;
    const int64_t n = g->n, p = g->p;
    const double target = pt->g0[0] * g->W;
    clip_tile ct = {g, wk->mu, pt->g0[0], wk->buf};
    *ok = 0;
    int rc = LARIAT_OK;
    double free_last = -1.0;
    for (int step = 0; step < CLIP_MAX_STEPS && rc == LARIAT_OK; step++) {
        double sums[2];
        rc = lariat_tilesum_run(g->ts, 2, clip_sums_fn, &ct, sums);
        if (rc != LARIAT_OK || !(sums[1] > 0.0)) break;
        if (sums[1] == free_last) {
            /* The same rows clamped as at the d before, whose step was then
            ** exact: the sum meets W g0 to its round-off (as the constant
            ** shift's g0 does). */
            *ok = 1;
            break;
        }
        free_last = sums[1];
        ct.d += (target - sums[0]) / sums[1];
    }
    if (rc != LARIAT_OK || !*ok) return rc;
    rc = lariat_tilesum_run(g->ts, p, clip_grad_fn, &ct, wk->v_sh);
    if (rc != LARIAT_OK) return rc;
    for (int64_t j = 0; j < p; j++) wk->v_sh[j] = pt->v[j] + wk->v_sh[j] * s->inv_scale[j] / g->W;
    for (int64_t i = 0; i < n; i++) wk->mu_sh[i] = wk->mu[i] - clip_of(ct.d, wk->mu[i]);
    return LARIAT_OK;
}

/* The most refit steps (reductions) one certificate spends before it falls
** back to the linear projection; near the solvers' iterates the first
** linearization already passes (no step at all). */
#define REFIT_MAX_PASSES 30

/* Not collective. Whether the gradient component gk = dL/dc_j of an
** unpenalized column points the coefficient at a side without a bound
** (v = -gk > 0 and no upper bound, or v < 0 and no lower bound), or the
** column has no bound at all: its dual constraint is then Xs_j'theta = 0
** exactly (as select_projected in prep.c). */
static int unbounded_side(const lariat_prep *s, int64_t j, double gk)
{
    return (gk < 0.0 && isinf(s->hi[j])) || (gk > 0.0 && isinf(s->lo[j])) || (isinf(s->lo[j]) && isinf(s->hi[j]));
}

/* The tiles of refit_dual. refit_sums_fn: the family at the tile's rows of
** wk->rf_eta (the means into wk->rf_mu), then [gradient (m) | curvature
** (m x m) | loss] in the intercepts and unpenalized coordinates, m = K q.
** refit_grad_fn: Xs'(w (mut - y)) per predictor at the refitted means. */
static void refit_sums_fn(void *arg, int64_t i0, int64_t mrows, double *buf)
{
    const glm_tile *a = arg;
    const lariat_glm *g = a->g;
    lariat_glm_work *wk = a->wk;
    const lariat_prep *s = g->std;
    const int K = g->K, icpt = s->intercept;
    const int64_t n = g->n, nU = s->nU, q = icpt + nU, m = K * q;
    const double *Y = g->Y, *w = g->w, *XU = g->XU, *mt = wk->rf_mu;
    double *z = wk->rf_z;
    memset(buf, 0, (size_t)(m + m * m + 1) * sizeof(double));
    buf[m + m * m] = g->fam->eval(mrows, n, K, wk->rf_eta + i0, Y + i0, w + i0, wk->rf_mu + i0, NULL, NULL);
    double *gr = buf, *Mf = buf + m;
    for (int64_t i = i0; i < i0 + mrows; i++) {
        const double wi = w[i];
        if (wi == 0.0) continue;
        if (icpt) z[0] = 1.0;
        for (int64_t u = 0; u < nU; u++) z[icpt + u] = XU[u * n + i];
        for (int k = 0; k < K; k++) {
            const double mk = mt[(int64_t)k * n + i], rk = wi * (mk - Y[(int64_t)k * n + i]);
            for (int64_t r = 0; r < q; r++) gr[k * q + r] += rk * z[r];
            for (int l = 0; l < K; l++) {
                const double ml = mt[(int64_t)l * n + i];
                const double h = wi * (K == 1 ? mk * (1.0 - mk) : (k == l ? mk : 0.0) - mk * ml);
                if (h == 0.0) continue;
                for (int64_t r = 0; r < q; r++) {
                    const double hz = h * z[r];
                    double *row = Mf + (k * q + r) * m + l * q;
                    for (int64_t c2 = 0; c2 < q; c2++) row[c2] += hz * z[c2];
                }
            }
        }
    }
}

static void refit_grad_fn(void *arg, int64_t i0, int64_t mrows, double *part)
{
    const glm_tile *a = arg;
    const lariat_glm *g = a->g;
    lariat_glm_work *wk = a->wk;
    const int64_t n = g->n, p = g->p;
    const double *shift = g->std->intercept ? g->std->mean : NULL, *mt = wk->rf_mu;
    const lariat_matrix tile = lariat_matrix_row_view(g->data->X, i0, mrows);
    for (int k = 0; k < g->K; k++) {
        for (int64_t i = 0; i < mrows; i++) {
            const int64_t r = (int64_t)k * n + i0 + i;
            wk->col[i] = g->w[i0 + i] * (mt[r] - g->Y[r]);
        }
        lariat_matrix_mult_t(&tile, shift, wk->col, part + k * p);
    }
}

/* Collective. The certificate's dual point with unpenalized columns, from a
** refit of the intercepts and the unpenalized coordinates with the
** penalized ones fixed.
**
** Derivation. With z_i = (1, xs_iU) (the intercept and the unpenalized
** standardized columns; no 1 without an intercept) and the penalized part
** fixed, the Fenchel dual of SPEC.md section 9's objective (Ndiaye et al.
** 2017, section 2.2, with the intercept and the unpenalized columns as
** unpenalized coordinates) is
**   D(theta) = -(1/W) sum_i w_i l_i*(W theta_i / w_i) - sum_j g_j*(-Xs_j'theta),
** and every theta with D(theta) > -inf is a lower bound on the optimum:
** G = P(a, c) - D(theta) >= P(a, c) - P* >= 0, whatever point theta was
** made from. D is finite when (i) W theta_i / w_i + y_i is in the domain
** of l_i* ([0, 1] for binomial, the simplex for multinomial), (ii)
** sum_i theta_ik = 0 (the intercepts; g* of a free coordinate is the
** indicator of 0), (iii) Xs_j'theta_k = 0 for every unpenalized column j
** pushed towards a side without a bound, and (iv) the penalized columns'
** g_j* is finite, which the scaling kappa of gap_at gives. The linear
** projection (project_unpenalized) meets (ii) and (iii) by moving the means
** along Xs_U a, which leaves (i) as soon as a mean near 0 or 1 (nearly
** separated rows, small lambda) moves by more than its distance to the
** boundary: the bound then degenerates to kappa = 0 (G = P).
**
** Here theta_ik = (w_i/W) (mut_ik - y_ik) with the means mut of a point
** whose intercepts and unpenalized coordinates are optimal for the
** penalized coordinates as they are, so that (ii) and (iii) hold and mut
** are true probabilities, which meets (i). Damped Newton steps in those
** coordinates only (one tiled sum of the gradient, curvature and loss per
** step, as glm.c's other passes)
** get close; the last step is not taken on eta but on the means, to first
** order: with M d = grad (M = (1/W) sum_i w_i H_i (x) z_i z_i', H_i the
** row's curvature: mu (1 - mu) for binomial, diag(mu) - mu mu' for
** multinomial), mut_i = mu_i - H_i t_i with t_ik = z_i'd_k makes
** (1/W) sum_i w_i (mut_i - y_i) z_i' = grad - M d = 0 exactly in exact
** arithmetic (the constraints are linear in the means), and since
** H_i t_i = mu_i .* (t_i - mu_i't_i), mut_ik = mu_ik (1 - (t_ik - mu_i't_i))
** stays in [0, 1] and on the simplex while every |t_ik - mu_i't_i| <= 1/2
** (binomial |t_i| <= 1/2): that is the test that ends the steps. The
** residual of (ii) and (iii) is round-off and the zeros are written
** exactly, as project_unpenalized does. At the optimum d = 0, mut = mu,
** kappa = 1 and G = 0 (Fenchel-Young), so the certificate is tight where it
** must be and a bound everywhere. kappa < 1 keeps (i)-(iii): y + kappa
** (mut - y) is a convex combination of points of the domain.
**
** Which columns: those pushed towards a side without a bound at the refit
** point, for any predictor (grouped: every one); a column resting on the
** bound it is pushed against keeps its coefficient (its g_j* is finite) and
** is added when the step would turn its gradient around. Multinomial:
** adding the same value to a coordinate of every class changes nothing, so
** M is singular along those directions; adding (tr/K^2) 11' there (as
** curvature_shift does) makes it definite without changing the solution, as
** the gradient sums to 0 over the classes.
**
** *done = 0 (and V, mu untouched) when the curvature is singular
** (collinear unpenalized columns), a step fails, or REFIT_MAX_PASSES pass
** without the test holding: the caller falls back to the linear
** projection. Otherwise *V (K p, wk->v_sh: the unpenalized entries exactly
** 0) and *mu (K n, wk->rf_mu) are the dual point's gradient -Xs'theta W
** and means, and the intercepts' constraint holds (delta = 0). */
static int refit_dual(const lariat_glm *g, const lariat_glm_point *pt, lariat_glm_work *wk, const double **V,
                      const double **mu, int *done)
{
    const lariat_prep *s = g->std;
    const int K = g->K, icpt = s->intercept;
    const int64_t n = g->n, p = g->p, nU = s->nU, q = icpt + nU, m = K * q, Kn = (int64_t)K * n;
    const double *w = g->w, *XU = g->XU;
    double *eta = wk->rf_eta, *mt = wk->rf_mu, *t = wk->rf_t, *buf = wk->rf_buf, *M = wk->rf_M, *d = wk->rf_d;
    double *z = wk->rf_z;
    int64_t *idx = wk->rf_idx;
    int *act = wk->rf_act;
    double loss_acc = pt->loss, step = 1.0;
    int rc = LARIAT_OK;
    *done = 0;
    memcpy(eta, wk->eta, (size_t)Kn * sizeof(double));
    glm_tile rt = {g, wk};
    for (int pass = 0; pass < REFIT_MAX_PASSES; pass++) {
        /* The means, gradient, curvature and loss at eta: one tiled sum. */
        rc = lariat_tilesum_run(g->ts, m + m * m + 1, refit_sums_fn, &rt, buf);
        if (rc != LARIAT_OK) return rc;
        double *gr = buf, *Mf = buf + m;
        const double invW = 1.0 / g->W;
        for (int64_t r = 0; r < m + m * m + 1; r++) buf[r] *= invW;
        if (pass > 0) {
            const double loss = buf[m + m * m];
            if (!(loss <= loss_acc + 1e-12 * fmax(fabs(loss_acc), g->N0))) {
                /* The step went too far: halve it (from the accepted point). */
                if (step < 1e-6) return LARIAT_OK;
                for (int64_t r = 0; r < Kn; r++) eta[r] += 0.5 * step * t[r];
                step *= 0.5;
                continue;
            }
            loss_acc = loss;
        }
        /* The coordinates refitted: the intercepts, and the unpenalized
        ** columns pushed towards a side without a bound, or turned there by
        ** the step (then solve again). */
        for (int64_t r = 0; r < q; r++) {
            act[r] = r < icpt;
            for (int k = 0; k < K && r >= icpt; k++) act[r] |= unbounded_side(s, s->U[r - icpt], gr[k * q + r]);
        }
        int64_t na = 0;
        for (int round = 0; round <= nU; round++) {
            na = 0;
            for (int k = 0; k < K; k++) {
                for (int64_t r = 0; r < q; r++) {
                    if (act[r]) idx[na++] = k * q + r;
                }
            }
            const int64_t nf = na / K; /* active coordinates per class */
            for (int64_t a1 = 0; a1 < na; a1++) {
                d[a1] = gr[idx[a1]];
                for (int64_t a2 = 0; a2 < na; a2++) M[a1 * na + a2] = Mf[idx[a1] * m + idx[a2]];
            }
            if (K > 1) {
                for (int64_t f = 0; f < nf; f++) {
                    double tr = 0.0;
                    for (int k = 0; k < K; k++) tr += M[(k * nf + f) * na + k * nf + f];
                    for (int k = 0; k < K; k++) {
                        for (int l = 0; l < K; l++) M[(k * nf + f) * na + l * nf + f] += tr / ((double)K * K);
                    }
                }
            }
            if (na > 0 && LAPACKE_dposv_work(LAPACK_COL_MAJOR, 'L', (lapack_int)na, 1, M, (lapack_int)na, d,
                                             (lapack_int)na) != 0) {
                return LARIAT_OK;
            }
            /* The inactive columns' gradient after the step: grad - M d. */
            int turned = 0;
            for (int64_t r = icpt; r < q; r++) {
                if (act[r]) continue;
                for (int k = 0; k < K; k++) {
                    double gk = gr[k * q + r];
                    for (int64_t a1 = 0; a1 < na; a1++) gk -= Mf[(k * q + r) * m + idx[a1]] * d[a1];
                    if (unbounded_side(s, s->U[r - icpt], gk)) act[r] = turned = 1;
                }
            }
            if (!turned) break;
        }
        /* The step per row, t_ik = z_i'd_k, and how far it moves the means
        ** relative to themselves (see above): one MAX-reduction. */
        const int64_t nf = na / K;
        double worst = 0.0;
        for (int64_t i = 0; i < n; i++) {
            if (icpt) z[0] = 1.0;
            for (int64_t u = 0; u < nU; u++) z[icpt + u] = XU[u * n + i];
            double mt_t = 0.0;
            for (int k = 0; k < K; k++) {
                double tk = 0.0;
                for (int64_t f = 0; f < nf; f++) tk += z[idx[f]] * d[k * nf + f];
                t[(int64_t)k * n + i] = tk;
                mt_t += mt[(int64_t)k * n + i] * tk;
            }
            if (w[i] == 0.0) continue;
            for (int k = 0; k < K; k++) {
                const double tk = t[(int64_t)k * n + i];
                worst = fmax(worst, fabs(K == 1 ? tk : tk - mt_t));
            }
        }
        if (MPI_Allreduce(MPI_IN_PLACE, &worst, 1, MPI_DOUBLE, MPI_MAX, lariat_ctx_comm(g->ctx)) != MPI_SUCCESS) {
            return lariat_error(g->ctx, LARIAT_EMPI, "MPI_Allreduce of the certificate's refit step failed");
        }
        if (!(worst <= 0.5)) {
            /* A damped Newton step on eta (step 1, halved while the loss rises). */
            step = 1.0;
            for (int64_t r = 0; r < Kn; r++) eta[r] -= t[r];
            continue;
        }
        /* The means moved to first order, mut = mu - H t (rows of weight 0
        ** keep theirs: their theta is 0), then -Xs'theta W per predictor. */
        for (int64_t i = 0; i < n; i++) {
            if (w[i] == 0.0) continue;
            double mt_t = 0.0;
            for (int k = 0; k < K; k++) mt_t += mt[(int64_t)k * n + i] * t[(int64_t)k * n + i];
            for (int k = 0; k < K; k++) {
                const double mk = mt[(int64_t)k * n + i], tk = t[(int64_t)k * n + i];
                mt[(int64_t)k * n + i] = fmin(K == 1 ? mk * (1.0 - (1.0 - mk) * tk) : mk * (1.0 - (tk - mt_t)), 1.0);
            }
        }
        rc = lariat_tilesum_run(g->ts, K * p, refit_grad_fn, &rt, wk->v_sh);
        if (rc != LARIAT_OK) return rc;
        for (int k = 0; k < K; k++) {
            for (int64_t j = 0; j < p; j++) wk->v_sh[k * p + j] *= -s->inv_scale[j] * invW;
            for (int64_t r = icpt; r < q; r++) {
                if (act[r]) wk->v_sh[k * p + s->U[r - icpt]] = 0.0;
            }
        }
        *V = wk->v_sh;
        *mu = mt;
        *done = 1;
        return LARIAT_OK;
    }
    return LARIAT_OK;
}

int lariat_glm_gap(const lariat_glm *g, double lambda, const double *c, const lariat_glm_point *pt,
                   lariat_glm_work *wk, double *primal, double *gap)
{
    const lariat_prep *s = g->std;
    const double *V = pt->v, *mu = wk->mu;
    const double zero[LARIAT_GLM_MAX_GROUP] = {0.0};
    if (g->XU != NULL) {
        /* Unpenalized columns: the dual point of a refit (refit_dual). */
        int done = 0;
        int rc = refit_dual(g, pt, wk, &V, &mu, &done);
        if (rc != LARIAT_OK) return rc;
        if (done) {
            rc = gap_at(g, lambda, c, pt->loss, V, mu, zero, 0, primal, gap);
            if (rc == LARIAT_OK && !isfinite(*gap)) rc = gap_at(g, lambda, c, pt->loss, V, mu, zero, 1, primal, gap);
            return rc;
        }
        V = pt->v;
        mu = wk->mu;
    }
    if (s->nU > 0) project_unpenalized(g, wk, &V, &mu);
    int rc = gap_at(g, lambda, c, pt->loss, V, mu, pt->g0, 0, primal, gap);
    if (rc != LARIAT_OK || isfinite(*gap)) return rc;
    if (!s->intercept) return gap_at(g, lambda, c, pt->loss, V, mu, pt->g0, 1, primal, gap);
    /* The constant shift left the conjugate's domain: clamp it at the rows
    ** it left (binomial), else shift along the curvature (then project
    ** again: the shift moved v). */
    if (g->K == 1) {
        int clipped = 0;
        rc = clipped_shift(g, pt, wk, &clipped);
        if (rc != LARIAT_OK) return rc;
        if (clipped) {
            V = wk->v_sh;
            mu = wk->mu_sh;
            if (s->nU > 0) project_unpenalized(g, wk, &V, &mu);
            rc = gap_at(g, lambda, c, pt->loss, V, mu, zero, 0, primal, gap);
            if (rc != LARIAT_OK || isfinite(*gap)) return rc;
        }
    }
    rc = curvature_shift(g, pt, wk);
    if (rc != LARIAT_OK) return rc;
    V = wk->v_sh;
    mu = wk->mu_sh;
    if (s->nU > 0) project_unpenalized(g, wk, &V, &mu);
    rc = gap_at(g, lambda, c, pt->loss, V, mu, zero, 0, primal, gap);
    /* Still outside: the largest kappa that the loss's conjugate allows
    ** too, which always gives a finite (if loose) bound. */
    if (rc == LARIAT_OK && !isfinite(*gap)) rc = gap_at(g, lambda, c, pt->loss, V, mu, zero, 1, primal, gap);
    return rc;
}

/* Not collective. g->XU: this rank's rows of the unpenalized standardized
** columns xs_ij = (x_ij - m_j) / s_j (uncentred without an intercept), one
** product with a unit vector each, for the certificate's refit; left NULL
** when there are none or the refit would have more than
** LARIAT_GLM_REFIT_MAX coordinates. */
static int unpenalized_columns(lariat_glm *g)
{
    const lariat_prep *s = g->std;
    const int64_t nU = s->nU, n = g->n, p = g->p;
    if (nU == 0 || (int64_t)g->K * (s->intercept + nU) > LARIAT_GLM_REFIT_MAX) return LARIAT_OK;
    const double *shift = s->intercept ? s->mean : NULL;
    g->XU = lariat_malloc(g->ctx, (size_t)((n > 0 ? n : 1) * nU), sizeof(double), "unpenalized columns");
    double *e = lariat_calloc(g->ctx, (size_t)p, sizeof(double), "unit vector");
    if (g->XU == NULL || e == NULL) {
        free(e);
        return LARIAT_ENOMEM;
    }
    for (int64_t u = 0; u < nU; u++) {
        e[s->U[u]] = s->inv_scale[s->U[u]];
        lariat_matrix_mult(g->data->X, shift, e, g->XU + u * n);
        e[s->U[u]] = 0.0;
    }
    free(e);
    return LARIAT_OK;
}

/* Not collective. lambda_max from v_null: the smallest lambda at which c = 0
** is optimal (the alpha floor 1e-3 as glmnet's). */
static void set_lambda_max(lariat_glm *g)
{
    const double a = g->alpha > 1e-3 ? g->alpha : 1e-3;
    double lmax = 0.0;
    for (int64_t j = 0; j < g->p; j++) {
        if (!(g->std->pf[j] > 0.0) || g->std->scale[j] == 0.0) continue;
        double m = 0.0, s2 = 0.0;
        for (int k = 0; k < g->K; k++) {
            const double v = g->v_null[k * g->p + j];
            m = fmax(m, fabs(v));
            s2 += v * v;
        }
        lmax = fmax(lmax, (g->grouped ? sqrt(s2) : m) / (a * g->std->pf[j]));
    }
    g->lambda_max = lmax;
}

void lariat_glm_set_null_gradient(lariat_glm *g, const double *v)
{
    memcpy(g->v_null, v, (size_t)(g->K * g->p) * sizeof(double));
    set_lambda_max(g);
}

int lariat_glm_create(lariat_ctx *ctx, const lariat_data *data, const double *w, const lariat_problem *pb,
                      const double *classes, int nclass, lariat_glm **out)
{
    return lariat_glm_create_ex(ctx, data, w, pb, classes, nclass, NULL, 1, out);
}

int lariat_glm_create_ex(lariat_ctx *ctx, const lariat_data *data, const double *w, const lariat_problem *pb,
                         const double *classes, int nclass, lariat_prep *std, int null_pass, lariat_glm **out)
{
    *out = NULL;
    if (w == NULL) w = data->w;
    const lariat_family *fam = lariat_family_of(pb->family);
    lariat_glm *g = lariat_calloc(ctx, 1, sizeof(*g), "problem");
    int rc = g ? LARIAT_OK : LARIAT_ENOMEM;
    if (rc == LARIAT_OK && (fam == NULL || pb->family == LARIAT_FAMILY_GAUSSIAN)) {
        rc = lariat_error(ctx, LARIAT_EUSAGE, "the cross-entropy solvers serve binomial and multinomial only");
    }
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK) {
        g->ctx = ctx;
        g->data = data;
        g->fam = fam;
        g->p = data->p;
        g->n = data->n_local;
        g->alpha = pb->alpha;
        g->grouped = pb->family == LARIAT_FAMILY_MULTINOMIAL && pb->grouped;
        if (classes != NULL) {
            g->classes = lariat_malloc(ctx, (size_t)nclass, sizeof(double), "classes");
            if (g->classes != NULL) memcpy(g->classes, classes, (size_t)nclass * sizeof(double));
            g->nclass = nclass;
            rc = lariat_agree(ctx, g->classes ? LARIAT_OK : LARIAT_ENOMEM);
        } else {
            rc = lariat_glm_classes(ctx, data, w, pb->family, &g->classes, &g->nclass);
        }
    }
    if (g != NULL && std != NULL) {
        g->std = std;
        std = NULL;
    }
    lariat_prep_destroy(std); /* not taken over (no problem struct) */
    if (rc == LARIAT_OK && g->std == NULL) rc = lariat_prep_create(ctx, data, w, pb, &g->std);
    if (rc == LARIAT_OK) {
        g->w = g->std->w;
        g->W = g->std->W;
        g->K = pb->family == LARIAT_FAMILY_MULTINOMIAL ? g->nclass : 1;
        rc = unpenalized_columns(g);
        const size_t Kn = (size_t)(g->K * (g->n > 0 ? g->n : 1));
        g->Y = lariat_malloc(ctx, Kn, sizeof(double), "labels");
        g->ybar = lariat_calloc(ctx, (size_t)(2 * g->nclass + g->K), sizeof(double), "label means");
        g->a_null = lariat_calloc(ctx, (size_t)g->K, sizeof(double), "null intercepts");
        g->v_null = lariat_calloc(ctx, (size_t)(g->K * g->p), sizeof(double), "null gradient");
        if (!g->Y || !g->ybar || !g->a_null || !g->v_null) rc = LARIAT_ENOMEM;
        rc = lariat_agree(ctx, rc);
    }
    if (rc == LARIAT_OK) {
        /* The label means and, per class, the rows of positive weight in it
        ** (binomial: class 1 has the rows with y > 0, class 0 those with y < 1). */
        fill_labels(g);
        /* [K means | nclass counts], summed together over tiles of rows. */
        /* Also room for the certificate's refit: m + m^2 + 1, m <= LARIAT_GLM_REFIT_MAX. */
        const int64_t mr = (int64_t)g->K * (g->std->intercept + g->std->nU);
        int64_t len = g->K * g->p + g->K * g->K + g->K + g->nclass + 1;
        if (mr <= LARIAT_GLM_REFIT_MAX && mr + mr * mr + 1 > len) len = mr + mr * mr + 1;
        rc = lariat_tilesum_create(ctx, data, len, &g->ts);
        if (rc == LARIAT_OK) rc = lariat_tilesum_run(g->ts, g->K + g->nclass, label_sums_fn, g, g->ybar);
    }
    for (int k = 0; rc == LARIAT_OK && k < g->nclass; k++) {
        if (g->ybar[g->K + k] < 2.0) {
            rc = lariat_error(ctx, LARIAT_EDATA, "class %.17g has %.0f row%s of positive weight; a class needs two",
                              g->classes[k], g->ybar[g->K + k], g->ybar[g->K + k] == 1.0 ? "" : "s");
        }
    }
    if (rc == LARIAT_OK) {
        for (int k = 0; k < g->K; k++) g->ybar[k] /= g->W;
        g->N0 = lariat_family_null(fam, g->K, g->ybar, g->std->intercept, g->a_null);
    }
    if (rc == LARIAT_OK && null_pass) {
        /* v at the null model: lambda_max (SPEC.md section 9). */
        lariat_glm_work wk;
        double *g0 = lariat_malloc(ctx, (size_t)g->K, sizeof(double), "null gradient");
        rc = lariat_glm_work_alloc(g, 0, &wk);
        if (g0 == NULL) rc = LARIAT_ENOMEM;
        rc = lariat_agree(ctx, rc);
        if (rc == LARIAT_OK) {
            memset(wk.pen_v, 0, (size_t)(g->K * g->p) * sizeof(double));
            lariat_glm_eta(g, g->a_null, wk.pen_v, &wk, wk.eta);
            lariat_glm_point pt = {0.0, g0, g->v_null};
            rc = lariat_glm_pass(g, &wk, &pt);
        }
        lariat_glm_work_free(&wk);
        free(g0);
    }
    if (rc == LARIAT_OK && null_pass) set_lambda_max(g);
    if (rc != LARIAT_OK) {
        lariat_glm_destroy(g);
        return rc;
    }
    *out = g;
    return LARIAT_OK;
}
