/*
** The distributed Gram (see distgram.h).
*/
#include "linalg/distgram.h"

#include "core/core.h"
#include "data/matrix.h"
#include "linalg/blas.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Doubles in one column panel of the Gram (held twice: summed and packed),
** and in one chunk of centered rows, while the Gram is formed: 4 MiB each,
** or a sixteenth of the rank's share of the Gram when that is more, so that
** wide problems cut into few panels while the three stay a small fraction
** of the share. */
#define DGRAM_BUFFER_DOUBLES ((int64_t)1 << 19)

void lariat_dgram_destroy(lariat_dgram *g)
{
    free(g->a);
    free(g->f);
    free(g->grow);
    free(g->gcol);
    free(g->bin);
    free(g->bout);
    free(g->rhs);
    free(g->tau);
    g->a = g->f = g->bin = g->bout = g->rhs = g->tau = NULL;
    g->grow = g->gcol = NULL;
    lariat_grid_destroy(&g->grid);
}

int lariat_dgram_create(lariat_ctx *ctx, int n, int nprow, int npcol, int nb, lariat_dgram *g)
{
    memset(g, 0, sizeof(*g));
    g->grid.handle = g->grid.ctxt = -1;
    g->grid.comm = MPI_COMM_NULL;
    g->n = n;
    int rc = lariat_grid_create(ctx, nprow, npcol, nb, &g->grid);
    if (rc != LARIAT_OK) return rc;
    const lariat_grid *gr = &g->grid;
    rc = lariat_grid_desc(ctx, gr, n, g->desc);
    if (rc == LARIAT_OK) {
        g->mloc = lariat_grid_local(gr, n, 1);
        g->nloc = lariat_grid_local(gr, n, 0);
        g->lld = g->mloc > 1 ? g->mloc : 1;
        const size_t big = (size_t)(g->mloc > g->nloc ? g->mloc : g->nloc) + 1;
        g->a = lariat_calloc(ctx, (size_t)g->lld * (size_t)(g->nloc > 0 ? g->nloc : 1), sizeof(double),
                             "distributed Gram");
        g->grow = lariat_malloc(ctx, (size_t)g->mloc + 1, sizeof(int), "Gram row indices");
        g->gcol = lariat_malloc(ctx, (size_t)g->nloc + 1, sizeof(int), "Gram column indices");
        g->bin = lariat_malloc(ctx, 2 * big, sizeof(double), "Gram product scratch");
        g->bout = lariat_malloc(ctx, 2 * big, sizeof(double), "Gram product scratch");
        g->rhs = lariat_malloc(ctx, (size_t)g->lld, sizeof(double), "right-hand side");
        if (!g->a || !g->grow || !g->gcol || !g->bin || !g->bout || !g->rhs) rc = LARIAT_ENOMEM;
    }
    if (rc == LARIAT_OK) {
        for (int l = 0; l < g->mloc; l++) g->grow[l] = (int)lariat_bc_global(l, gr->nb, gr->myrow, gr->nprow);
        for (int l = 0; l < g->nloc; l++) g->gcol[l] = (int)lariat_bc_global(l, gr->nb, gr->mycol, gr->npcol);
    }
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) lariat_dgram_destroy(g);
    return rc;
}

/* Not collective. Rows i0 .. i0 + nr - 1 of X, centered, scaled and weighted:
** B[r p + j] = sqrt(w_i / W) (x_ij - shift_j) colscale_j, which read
** column-major is the p x nr matrix whose product B B' is the chunk's part
** of the Gram. */
static void build_chunk(const lariat_matrix *X, const double *w, const double *shift, const double *colscale,
                        double W, int64_t i0, int64_t nr, int p, double *B)
{
    for (int64_t r = 0; r < nr; r++) {
        double *row = B + r * p;
        const double sw = sqrt(w[i0 + r] / W);
        lariat_matrix_get_row(X, i0 + r, row);
        for (int j = 0; j < p; j++) row[j] = (row[j] - (shift ? shift[j] : 0.0)) * colscale[j] * sw;
    }
}

/* Not collective. Copies the part of panel (rows j0 .. n-1, columns j0 .. j1-1,
** column-major with leading dimension m) that process (pr, pc) owns into
** out, in its local column-major order (the order unpack_panel reads);
** returns the count. */
static int64_t pack_panel(const lariat_dgram *g, const double *panel, int j0, int j1, int pr, int pc, double *out)
{
    const int nb = g->grid.nb, n = g->n, m = n - j0;
    int64_t k = 0;
    for (int jj = j0; jj < j1; jj++) {
        if (lariat_bc_owner(jj, nb, g->grid.npcol) != pc) continue;
        /* Blocks of rows below j0 owned by pr, each contiguous in the panel. */
        for (int ib = j0 / nb + ((pr - j0 / nb % g->grid.nprow) + g->grid.nprow) % g->grid.nprow; ib * nb < n;
             ib += g->grid.nprow) {
            const int r0 = ib * nb, r1 = r0 + nb < n ? r0 + nb : n;
            memcpy(out + k, panel + (r0 - j0) + (int64_t)(jj - j0) * m, (size_t)(r1 - r0) * sizeof(double));
            k += r1 - r0;
        }
    }
    return k;
}

/* Not collective. Stores this process's part of a summed panel (the order of
** pack_panel) into the local matrix. */
static void unpack_panel(lariat_dgram *g, const double *in, int j0, int j1)
{
    const lariat_grid *gr = &g->grid;
    const int nb = gr->nb, n = g->n;
    int64_t k = 0;
    for (int jj = j0; jj < j1; jj++) {
        if (lariat_bc_owner(jj, nb, gr->npcol) != gr->mycol) continue;
        double *col = g->a + lariat_bc_local(jj, nb, gr->npcol) * (int64_t)g->lld;
        for (int ib = j0 / nb + ((gr->myrow - j0 / nb % gr->nprow) + gr->nprow) % gr->nprow; ib * nb < n;
             ib += gr->nprow) {
            const int r0 = ib * nb, r1 = r0 + nb < n ? r0 + nb : n;
            memcpy(col + lariat_bc_local(r0, nb, gr->nprow), in + k, (size_t)(r1 - r0) * sizeof(double));
            k += r1 - r0;
        }
    }
}

/* Collective. Sums buf over the ranks block by block, leaving on each rank r
** the sum of its block r (counts[r] doubles at displs[r]), in place: a ring
** reduce-scatter (Thakur, Rabenseifner & Gropp, "Optimization of collective
** communication operations in MPICH", IJHPCA 19(1), 2005, section 4.2).
** At step k = 1 .. P-1 rank r sends its partial sum of block r - k to r + 1
** and adds the partial sum of block r - k - 1 from r - 1, received into tmp
** (at least the largest block), so after P - 1 steps block r holds all P
** contributions. It moves what MPI_Reduce_scatter's ring moves, but Open
** MPI's allocates a whole panel and two blocks more on every call (6 MiB per
** rank at p = 4000 on 4 ranks, measured), here the summed panel's buffer is
** reused. */
static int ring_reduce_scatter(lariat_ctx *ctx, double *buf, const int *counts, const int64_t *displs, double *tmp)
{
    MPI_Comm comm = lariat_ctx_comm(ctx);
    const int P = lariat_ctx_size(ctx), r = lariat_ctx_rank(ctx);
    const int next = (r + 1) % P, prev = (r + P - 1) % P;
    int rc = LARIAT_OK;
    for (int k = 1; k < P && rc == LARIAT_OK; k++) {
        const int bs = ((r - k) % P + P) % P, br = ((r - k - 1) % P + P) % P;
        if (MPI_Sendrecv(buf + displs[bs], counts[bs], MPI_DOUBLE, next, 0, tmp, counts[br], MPI_DOUBLE, prev, 0,
                         comm, MPI_STATUS_IGNORE) != MPI_SUCCESS) {
            rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Sendrecv of a Gram panel block failed");
            break;
        }
        double *acc = buf + displs[br];
        for (int i = 0; i < counts[br]; i++) acc[i] += tmp[i];
    }
    return lariat_agree(ctx, rc);
}

int lariat_dgram_form(lariat_ctx *ctx, lariat_dgram *g, const lariat_matrix *X, const double *w,
                      const double *shift, const double *colscale, double W)
{
    const int n = g->n, nb = g->grid.nb, P = g->grid.nprow * g->grid.npcol;
    const int64_t nl = lariat_matrix_rows(X);
    /* Panel width: a multiple of the block size, so panels start on block
    ** boundaries; chunk height: whole rows. */
    int64_t target = (int64_t)n * n / P / 16;
    if (target < DGRAM_BUFFER_DOUBLES) target = DGRAM_BUFFER_DOUBLES;
    int64_t pw = target / n / nb * nb;
    if (pw < nb) pw = nb;
    if (pw > n) pw = n;
    int64_t cr = target / n;
    if (cr < 1) cr = 1;
    if (cr > nl) cr = nl;
    double *B = lariat_malloc(ctx, (size_t)(cr > 0 ? cr : 1) * (size_t)n, sizeof(double), "Gram row chunk");
    double *panel = lariat_malloc(ctx, (size_t)pw * (size_t)n, sizeof(double), "Gram panel");
    double *send = lariat_malloc(ctx, (size_t)pw * (size_t)n, sizeof(double), "Gram panel");
    int *counts = lariat_malloc(ctx, (size_t)P, sizeof(int), "reduce-scatter counts");
    int64_t *displs = lariat_malloc(ctx, (size_t)P, sizeof(int64_t), "reduce-scatter offsets");
    int rc = (B && panel && send && counts && displs) ? LARIAT_OK : LARIAT_ENOMEM;
    if (rc == LARIAT_OK && (int64_t)pw * n > INT_MAX) {
        rc = lariat_error(ctx, LARIAT_ENOMEM, "a %lld x %d Gram panel is too large for MPI", (long long)pw, n);
    }
    rc = lariat_agree(ctx, rc);
    /* When every local row fits one chunk it is built once, not per panel. */
    const int one_chunk = cr == nl;
    if (rc == LARIAT_OK && one_chunk && nl > 0) build_chunk(X, w, shift, colscale, W, 0, nl, n, B);
    for (int j0 = 0; rc == LARIAT_OK && j0 < n; j0 += (int)pw) {
        const int j1 = j0 + (int)pw < n ? j0 + (int)pw : n, m = n - j0;
        memset(panel, 0, (size_t)m * (size_t)(j1 - j0) * sizeof(double));
        for (int64_t i0 = 0; i0 < nl; i0 += cr) {
            const int64_t nr = i0 + cr < nl ? cr : nl - i0;
            if (!one_chunk) build_chunk(X, w, shift, colscale, W, i0, nr, n, B);
            /* panel += B[j0:n, :] B[j0:j1, :]': the rows' contribution to
            ** columns j0 .. j1-1, on and below the diagonal block. */
            cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, m, j1 - j0, (int)nr, 1.0, B + j0, n, B + j0, n,
                        1.0, panel, m);
        }
        /* Pack in rank order (rank r is process (r / npcol, r mod npcol)),
        ** then one reduce-scatter sums the panel over the ranks and leaves
        ** each rank its own blocks, with the panel's buffer (packed, so
        ** free) as its scratch. */
        int64_t off = 0;
        for (int r = 0; r < P; r++) {
            displs[r] = off;
            counts[r] = (int)pack_panel(g, panel, j0, j1, r / g->grid.npcol, r % g->grid.npcol, send + off);
            off += counts[r];
        }
        rc = ring_reduce_scatter(ctx, send, counts, displs, panel);
        if (rc == LARIAT_OK) unpack_panel(g, send + displs[lariat_ctx_rank(ctx)], j0, j1);
    }
    free(B);
    free(panel);
    free(send);
    free(counts);
    free(displs);
    return rc;
}

/* Collective. The largest of an int over the ranks (ScaLAPACK's info is not
** promised to be the same everywhere). */
static int max_int(lariat_ctx *ctx, int *v)
{
    if (MPI_Allreduce(MPI_IN_PLACE, v, 1, MPI_INT, MPI_MAX, lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
        return lariat_error(ctx, LARIAT_EMPI, "MPI_Allreduce of a ScaLAPACK status failed");
    }
    return LARIAT_OK;
}

/* Collective. A ScaLAPACK status: negative = a refused argument, which is a
** bug here, reported as a numerical failure. */
static int check_info(lariat_ctx *ctx, int info, const char *routine)
{
    int neg = info < 0 ? -info : 0;
    int rc = max_int(ctx, &neg);
    if (rc == LARIAT_OK && neg > 0) {
        rc = lariat_error(ctx, LARIAT_ENUMERIC, "%s refused its argument %d", routine, neg);
    }
    return rc;
}

int lariat_dgram_factor(lariat_ctx *ctx, lariat_dgram *g, const double *d, int keep, int *pd)
{
    const int one = 1;
    const size_t count = (size_t)g->lld * (size_t)(g->nloc > 0 ? g->nloc : 1);
    int info = 0, rc = LARIAT_OK;
    *pd = 0;
    if (keep && g->f == NULL) {
        g->f = lariat_malloc(ctx, count, sizeof(double), "Cholesky factor");
        if (g->f == NULL) rc = LARIAT_ENOMEM;
    }
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) return rc;
    double *m = keep ? g->f : g->a;
    if (keep) memcpy(m, g->a, count * sizeof(double));
    g->factor_in_a = !keep;
    const lariat_grid *gr = &g->grid;
    for (int j = 0; j < g->n; j++) {
        if (lariat_bc_owner(j, gr->nb, gr->nprow) == gr->myrow && lariat_bc_owner(j, gr->nb, gr->npcol) == gr->mycol) {
            m[lariat_bc_local(j, gr->nb, gr->nprow) + lariat_bc_local(j, gr->nb, gr->npcol) * g->lld] += d[j];
        }
    }
    pdpotrf_("L", &g->n, m, &one, &one, g->desc, &info, 1);
    rc = check_info(ctx, info, "PDPOTRF");
    int notpd = info > 0;
    if (rc == LARIAT_OK) rc = max_int(ctx, &notpd);
    if (rc == LARIAT_OK) *pd = !notpd;
    return rc;
}

int lariat_dgram_solve(lariat_ctx *ctx, lariat_dgram *g, const double *b, double *x)
{
    const int one = 1, zero = 0, nrhs = 1;
    const lariat_grid *gr = &g->grid;
    int info = 0, descb[LARIAT_DLEN];
    /* b as an n x 1 matrix with A's row blocking: its one column lives on
    ** grid column 0. */
    descinit_(descb, &g->n, &one, &gr->nb, &gr->nb, &zero, &zero, &gr->ctxt, &g->lld, &info);
    if (info != 0) return check_info(ctx, info, "DESCINIT");
    for (int l = 0; l < g->mloc; l++) g->rhs[l] = b[g->grow[l]];
    pdpotrs_("L", &g->n, &nrhs, g->factor_in_a ? g->a : g->f, &one, &one, g->desc, g->rhs, &one, &one, descb, &info,
             1);
    int rc = check_info(ctx, info, "PDPOTRS");
    if (rc != LARIAT_OK) return rc;
    memset(x, 0, (size_t)g->n * sizeof(double));
    if (gr->mycol == 0) {
        for (int l = 0; l < g->mloc; l++) x[g->grow[l]] = g->rhs[l];
    }
    return lariat_allreduce_sum(ctx, x, g->n);
}

int lariat_dgram_symv(lariat_ctx *ctx, lariat_dgram *g, const double *in, double *out)
{
    const int m = g->mloc;
    /* Local rows in global order: the entries below the diagonal of local
    ** column j start at the first local row after j. Each held entry
    ** a_ij, i > j, adds a_ij in_j to out_i and a_ij in_i to out_j (the
    ** upper triangle is not read); a diagonal entry adds a_jj in_j once. */
    double *inr = g->bin, *outr = g->bout;
    for (int l = 0; l < m; l++) {
        inr[l] = in[g->grow[l]];
        outr[l] = 0.0;
    }
    memset(out, 0, (size_t)g->n * sizeof(double));
    int start = 0;
    for (int lc = 0; lc < g->nloc; lc++) {
        const int j = g->gcol[lc];
        const double *col = g->a + (int64_t)lc * g->lld;
        while (start < m && g->grow[start] < j) start++;
        int below = start;
        if (below < m && g->grow[below] == j) {
            outr[below] += col[below] * in[j];
            below++;
        }
        if (below < m) {
            cblas_daxpy(m - below, in[j], col + below, 1, outr + below, 1);
            out[j] += cblas_ddot(m - below, col + below, 1, inr + below, 1);
        }
    }
    for (int l = 0; l < m; l++) out[g->grow[l]] += outr[l];
    return lariat_allreduce_sum(ctx, out, g->n);
}

int lariat_dgram_tridiag(lariat_ctx *ctx, lariat_dgram *g, const double *shift, double *d, double *e)
{
    const int one = 1, n = g->n;
    const lariat_grid *gr = &g->grid;
    int info = 0, lwork = -1;
    double wq = 0.0;
    if (shift != NULL) {
        for (int j = 0; j < n; j++) {
            if (lariat_bc_owner(j, gr->nb, gr->nprow) == gr->myrow &&
                lariat_bc_owner(j, gr->nb, gr->npcol) == gr->mycol) {
                g->a[lariat_bc_local(j, gr->nb, gr->nprow) + lariat_bc_local(j, gr->nb, gr->npcol) * g->lld] +=
                    shift[j];
            }
        }
    }
    /* PDSYTRD's own d and e are spread over the process columns; T's
    ** diagonals are read back from the matrix instead (below). */
    const size_t nloc1 = (size_t)g->nloc + 1;
    double *dl = lariat_malloc(ctx, 2 * nloc1, sizeof(double), "tridiagonal scratch");
    if (g->tau == NULL) g->tau = lariat_malloc(ctx, nloc1, sizeof(double), "Householder scalars");
    int rc = lariat_agree(ctx, dl && g->tau ? LARIAT_OK : LARIAT_ENOMEM);
    if (rc == LARIAT_OK) {
        pdsytrd_("L", &g->n, g->a, &one, &one, g->desc, dl, dl + nloc1, g->tau, &wq, &lwork, &info, 1);
        rc = check_info(ctx, info, "PDSYTRD (workspace query)");
    }
    double *work = NULL;
    if (rc == LARIAT_OK) {
        /* The documented minimum, max(nb (local rows + 1), 3 nb), if the
        ** query says less. */
        const int nb = gr->nb, least = nb * (g->mloc + 1) > 3 * nb ? nb * (g->mloc + 1) : 3 * nb;
        lwork = (int)wq > least ? (int)wq : least;
        work = lariat_malloc(ctx, (size_t)lwork, sizeof(double), "PDSYTRD workspace");
        rc = lariat_agree(ctx, work ? LARIAT_OK : LARIAT_ENOMEM);
    }
    if (rc == LARIAT_OK) {
        pdsytrd_("L", &g->n, g->a, &one, &one, g->desc, dl, dl + nloc1, g->tau, work, &lwork, &info, 1);
        rc = check_info(ctx, info, "PDSYTRD");
    }
    free(work);
    free(dl);
    if (rc != LARIAT_OK) return rc;
    /* With uplo = 'L' the diagonal and first subdiagonal of the matrix now
    ** hold T (the ScaLAPACK documentation of PDSYTRD): each entry has one
    ** owner, so a sum over the ranks of zeros and owned entries gathers
    ** them exactly. */
    double *de = lariat_calloc(ctx, 2 * (size_t)n, sizeof(double), "tridiagonal");
    rc = lariat_agree(ctx, de ? LARIAT_OK : LARIAT_ENOMEM);
    if (rc != LARIAT_OK) return rc;
    for (int lc = 0; lc < g->nloc; lc++) {
        const int j = g->gcol[lc];
        for (int i = j; i <= j + 1 && i < n; i++) {
            if (lariat_bc_owner(i, gr->nb, gr->nprow) != gr->myrow) continue;
            de[i == j ? j : n + j] = g->a[lariat_bc_local(i, gr->nb, gr->nprow) + (int64_t)lc * g->lld];
        }
    }
    rc = lariat_allreduce_sum(ctx, de, 2 * (int64_t)n);
    if (rc == LARIAT_OK) {
        memcpy(d, de, (size_t)n * sizeof(double));
        if (n > 1) memcpy(e, de + n, (size_t)(n - 1) * sizeof(double));
    }
    free(de);
    return rc;
}

int lariat_dgram_qmult(lariat_ctx *ctx, lariat_dgram *g, int trans, int k, double *inout)
{
    const int one = 1, zero = 0, n = g->n;
    const lariat_grid *gr = &g->grid;
    int info = 0, descc[LARIAT_DLEN];
    if (n < 2) return LARIAT_OK; /* Q = I */
    /* The k vectors as an n x k matrix with the Gram's blocking. */
    const int kloc = numroc_(&k, &gr->nb, &gr->mycol, &zero, &gr->npcol);
    descinit_(descc, &g->n, &k, &gr->nb, &gr->nb, &zero, &zero, &gr->ctxt, &g->lld, &info);
    int rc = check_info(ctx, info, "DESCINIT");
    if (rc != LARIAT_OK) return rc;
    double *c = lariat_malloc(ctx, (size_t)g->lld * (size_t)(kloc > 0 ? kloc : 1), sizeof(double),
                              "vectors for PDORMTR");
    rc = lariat_agree(ctx, c ? LARIAT_OK : LARIAT_ENOMEM);
    if (rc != LARIAT_OK) return rc;
    for (int lc = 0; lc < kloc; lc++) {
        const int64_t jc = lariat_bc_global(lc, gr->nb, gr->mycol, gr->npcol);
        for (int l = 0; l < g->mloc; l++) c[l + (int64_t)lc * g->lld] = inout[g->grow[l] + jc * n];
    }
    const char *tr = trans ? "T" : "N";
    int lwork = -1;
    double wq = 0.0;
    pdormtr_("L", "L", tr, &g->n, &k, g->a, &one, &one, g->desc, g->tau, c, &one, &one, descc, &wq, &lwork, &info, 1,
             1, 1);
    rc = check_info(ctx, info, "PDORMTR (workspace query)");
    double *work = NULL;
    if (rc == LARIAT_OK) {
        /* The query with the documented bound added, as for PDSYEVD (which
        ** calls PDORMTR): max(nb (nb-1)/2, (local rows + local columns) nb)
        ** + nb^2, with a block of slack for the offsets. */
        const int nb = gr->nb;
        lwork = (int)wq + (g->mloc + kloc + 2 * nb) * nb + nb * (nb - 1) / 2 + 1;
        work = lariat_malloc(ctx, (size_t)lwork, sizeof(double), "PDORMTR workspace");
        rc = lariat_agree(ctx, work ? LARIAT_OK : LARIAT_ENOMEM);
    }
    if (rc == LARIAT_OK) {
        pdormtr_("L", "L", tr, &g->n, &k, g->a, &one, &one, g->desc, g->tau, c, &one, &one, descc, work, &lwork,
                 &info, 1, 1, 1);
        rc = check_info(ctx, info, "PDORMTR");
    }
    free(work);
    if (rc == LARIAT_OK) {
        /* Each entry has one owner: the sum over the ranks is exact. */
        memset(inout, 0, (size_t)n * (size_t)k * sizeof(double));
        for (int lc = 0; lc < kloc; lc++) {
            const int64_t jc = lariat_bc_global(lc, gr->nb, gr->mycol, gr->npcol);
            for (int l = 0; l < g->mloc; l++) inout[g->grow[l] + jc * n] = c[l + (int64_t)lc * g->lld];
        }
        rc = lariat_allreduce_sum(ctx, inout, (int64_t)n * k);
    }
    free(c);
    return rc;
}

int lariat_dgram_eigen(lariat_ctx *ctx, lariat_dgram *g, double *e)
{
    const int one = 1;
    int info = 0, lwork = -1, liwork = -1, iwq = 0;
    double wq = 0.0;
    /* Workspace query, then the run. */
    pdsyevd_("V", "L", &g->n, g->a, &one, &one, g->desc, e, NULL, &one, &one, g->desc, &wq, &lwork, &iwq, &liwork,
             &info, 1, 1);
    int rc = check_info(ctx, info, "PDSYEVD (workspace query)");
    if (rc != LARIAT_OK) return rc;
    /* The query undercounts what PDSYEVD's back-transformation (PDORMTR)
    ** needs when the block size is large next to the local sizes (p = 23
    ** with blocks of 12 or more fails with "PDORMTR parameter 16"): add
    ** PDORMTR's own minimum, max(nb (nb-1)/2, (local rows + local columns) nb)
    ** + nb^2 (its documentation), bounded by the sum. */
    const int nb = g->grid.nb;
    lwork = (int)wq + (g->mloc + g->nloc + nb) * nb + nb * (nb - 1) / 2 + 1;
    liwork = iwq > 1 ? iwq : 1;
    double *z = lariat_malloc(ctx, (size_t)g->lld * (size_t)(g->nloc > 0 ? g->nloc : 1), sizeof(double),
                              "eigenvectors");
    double *work = lariat_malloc(ctx, (size_t)lwork, sizeof(double), "PDSYEVD workspace");
    int *iwork = lariat_malloc(ctx, (size_t)liwork, sizeof(int), "PDSYEVD workspace");
    rc = lariat_agree(ctx, (z && work && iwork) ? LARIAT_OK : LARIAT_ENOMEM);
    if (rc == LARIAT_OK) {
        pdsyevd_("V", "L", &g->n, g->a, &one, &one, g->desc, e, z, &one, &one, g->desc, work, &lwork, iwork, &liwork,
                 &info, 1, 1);
        rc = check_info(ctx, info, "PDSYEVD");
        int failed = info > 0;
        if (rc == LARIAT_OK) rc = max_int(ctx, &failed);
        if (rc == LARIAT_OK && failed) {
            rc = lariat_error(ctx, LARIAT_ENUMERIC, "PDSYEVD did not converge on the %d x %d Gram", g->n, g->n);
        }
    }
    /* Every process computes the eigenvalues, not necessarily to the same
    ** last bit; callers take the same steps on every rank from them, so
    ** rank 0's are everyone's. */
    if (rc == LARIAT_OK && MPI_Bcast(e, g->n, MPI_DOUBLE, 0, lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
        rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Bcast of the eigenvalues failed");
    }
    free(work);
    free(iwork);
    if (rc != LARIAT_OK) {
        free(z);
        return rc;
    }
    free(g->a);
    g->a = z;
    return LARIAT_OK;
}

int lariat_dgram_mult(lariat_ctx *ctx, lariat_dgram *g, int trans, int k, const double *in, double *out)
{
    const int n = g->n, m = g->mloc, q = g->nloc;
    /* The local block maps local columns (rows when transposed) of in to
    ** local rows (columns) of out; every rank adds its part into a zero
    ** vector and one allreduce completes the sum. */
    const int lin = trans ? m : q, lout = trans ? q : m;
    const int *gin = trans ? g->grow : g->gcol, *gout = trans ? g->gcol : g->grow;
    memset(out, 0, (size_t)n * (size_t)k * sizeof(double));
    if (lin > 0 && lout > 0) {
        for (int t = 0; t < k; t++) {
            for (int l = 0; l < lin; l++) g->bin[l + t * lin] = in[gin[l] + (int64_t)t * n];
        }
        cblas_dgemm(CblasColMajor, trans ? CblasTrans : CblasNoTrans, CblasNoTrans, lout, k, lin, 1.0, g->a, g->lld,
                    g->bin, lin, 0.0, g->bout, lout);
        for (int t = 0; t < k; t++) {
            for (int l = 0; l < lout; l++) out[gout[l] + (int64_t)t * n] = g->bout[l + t * lout];
        }
    }
    return lariat_allreduce_sum(ctx, out, (int64_t)n * k);
}
