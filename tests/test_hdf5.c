/*
** The HDF5 reader and writer (src/io/hdf5_io.h): gen's HDF5 and CSV copies
** of a data set hold the same values bit for bit at the running rank count;
** the rows are split evenly; CSV and HDF5 copies give the same model; names
** of both string kinds and float32 data are read; rows in the page cache are
** used in place and others read, alike on any mix; each kind of bad file gives
** one agreed EDATA message naming the file and the dataset, with HDF5's own
** error printing silenced.
**
** Files with weights, names or faults are made here with the serial HDF5
** API by rank 0 (as h5py would write them), then read by every rank.
*/
#define _DEFAULT_SOURCE /* mincore, posix_fadvise */
#include "data/matrix.h"
#include "data/tiles.h"
#include "harness.h"
#include "io/gen.h"
#include "testdata.h"

#include <hdf5.h>

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- helpers ---- */

/* One dataset of a file made by make_file: name, shape, file type, and the
** values in memory type mtype (NULL data: skip the write). */
typedef struct h5_part {
    const char *name;
    int ndims;
    hsize_t dims[3];
    hid_t ftype, mtype;
    const void *data;
} h5_part;

/* Collective. Rank 0 writes the parts to a fresh file at path (serial HDF5);
** every rank returns once it exists. Returns 1 on every rank on success. */
static int make_file(const char *path, const h5_part *parts, int nparts)
{
    int ok = 1;
    if (lt_rank() == 0) {
        hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        ok = file >= 0;
        for (int k = 0; k < nparts && ok; k++) {
            hid_t space = H5Screate_simple(parts[k].ndims, parts[k].dims, NULL);
            hid_t dset = H5Dcreate2(file, parts[k].name, parts[k].ftype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            ok = space >= 0 && dset >= 0;
            if (ok && parts[k].data != NULL) {
                ok = H5Dwrite(dset, parts[k].mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, parts[k].data) >= 0;
            }
            if (dset >= 0) H5Dclose(dset);
            if (space >= 0) H5Sclose(space);
        }
        if (file >= 0 && H5Fclose(file) < 0) ok = 0;
    }
    return lt_all(ok);
}

/* Collective. 1 on every rank when the read failed with status `want`, *out
** stayed NULL, and the message holds each of the given substrings. */
static int failed_with(int rc, const lariat_data *d, int want, const char *s1, const char *s2)
{
    const char *msg = lariat_errmsg(lt_ctx());
    int ok = rc == want && d == NULL && (s1 == NULL || strstr(msg, s1) != NULL) &&
             (s2 == NULL || strstr(msg, s2) != NULL);
    if (!ok) fprintf(stderr, "rank %d: status %d, message \"%s\"; wanted %d with \"%s\", \"%s\"\n", lt_rank(), rc, msg,
                     want, s1 ? s1 : "", s2 ? s2 : "");
    return lt_all(ok);
}

/* Collective. Writes the parts as file `name`, reads it, and checks that
** the read fails with EDATA and a message holding "PATH: " and what. */
static int file_fails(const char *name, const h5_part *parts, int nparts, const char *what)
{
    char path[512], where[600];
    snprintf(path, sizeof(path), "%s", lt_path(name));
    snprintf(where, sizeof(where), "%s: ", path);
    if (!make_file(path, parts, nparts)) return 0;
    lariat_data *d = NULL;
    int rc = lariat_data_read(lt_ctx(), path, NULL, &d);
    int ok = failed_with(rc, d, LARIAT_EDATA, where, what);
    lariat_data_destroy(d);
    return ok;
}

/* Collective. 1 on every rank when d's rows are this rank's even share of
** the whole tiles of n rows (data/tiles.h: the reader leaves no row to move). */
static int evenly_split(const lariat_data *d, int64_t n)
{
    int64_t row0 = -1, count = -1;
    if (d != NULL) lariat_tile_split(n, d->p, lt_size(), lt_rank(), &row0, &count);
    return lt_all(d != NULL && d->n == n && d->row0 == row0 && d->n_local == count &&
                  lariat_matrix_rows(d->X) == count);
}

/* Collective. 1 on every rank when a and b hold the same global rows,
** compared bit for bit after gathering, and the same feature names. */
static int same_content(const lariat_data *a, const lariat_data *b)
{
    if (!lt_all(a != NULL && b != NULL && a->n == b->n && a->p == b->p && a->has_weights == b->has_weights)) return 0;
    double *Xa, *ya, *wa, *Xb, *yb, *wb;
    lt_gather_all(a, &Xa, &ya, &wa);
    lt_gather_all(b, &Xb, &yb, &wb);
    size_t n = (size_t)a->n, p = (size_t)a->p;
    int ok = memcmp(Xa, Xb, n * p * sizeof(double)) == 0 && memcmp(ya, yb, n * sizeof(double)) == 0 &&
             memcmp(wa, wb, n * sizeof(double)) == 0;
    for (size_t j = 0; j < p && ok; j++) ok = strcmp(a->feature_names[j], b->feature_names[j]) == 0;
    free(Xa);
    free(ya);
    free(wa);
    free(Xb);
    free(yb);
    free(wb);
    return lt_all(ok);
}

/* ---- content ---- */

/* gen writes the same values as HDF5 and as CSV, whatever the rank count and
** the round size: 2 rows (ranks without rows at 3 and 4 ranks) and 203 rows
** in rounds of 3 rows (many collective rounds, the last ones partly empty). */
static void test_gen_hdf5_equals_csv(void)
{
    const int64_t rows[] = {2, 203};
    for (int k = 0; k < 2; k++) {
        lariat_gen_options g;
        lariat_gen_options_default(&g);
        g.rows = rows[k];
        g.features = 5;
        g.nonzero = 2;
        g.corr = 0.3;
        g.seed = 17;
        g.buffer_bytes = 3 * (size_t)(g.features + 1) * sizeof(double);
        char h5[512], csv[512];
        snprintf(h5, sizeof(h5), "%s", lt_path(k == 0 ? "gen2.h5" : "gen203.h5"));
        snprintf(csv, sizeof(csv), "%s", lt_path(k == 0 ? "gen2.csv" : "gen203.csv"));
        int rc = lariat_gen_write(lt_ctx(), &g, h5, NULL);
        LT_ASSERT_ALL(rc == LARIAT_OK);
        rc = lariat_gen_write(lt_ctx(), &g, csv, NULL);
        LT_ASSERT_ALL(rc == LARIAT_OK);

        lariat_data *dh = NULL, *dc = NULL;
        int rh = lariat_data_read(lt_ctx(), h5, NULL, &dh);
        int rcsv = lariat_data_read(lt_ctx(), csv, NULL, &dc);
        LT_ASSERT_ALL(rh == LARIAT_OK && rcsv == LARIAT_OK);
        if (rh == LARIAT_OK && rcsv == LARIAT_OK) {
            LT_ASSERT_ALL(evenly_split(dh, rows[k]));
            LT_ASSERT_ALL(same_content(dh, dc));
            LT_ASSERT_ALL(dh->p == 5 && !dh->has_weights && strcmp(dh->feature_names[4], "x5") == 0);
        }
        lariat_data_destroy(dh);
        lariat_data_destroy(dc);
    }
    /* No temporary is left next to the data. */
    int ok = 1;
    if (lt_rank() == 0) {
        char cmd[700];
        snprintf(cmd, sizeof(cmd), "ls '%s' | grep -q '\\.tmp\\.'", lt_tmpdir());
        ok = system(cmd) != 0;
    }
    LT_ASSERT_ALL(ok);
}

/* The global data set of spec (every rank gets all rows), for writing files. */
typedef struct whole {
    int64_t n, p;
    double *X, *y, *w;
} whole;

static whole make_whole(const lt_spec *spec)
{
    whole a = {spec->n, spec->p, NULL, NULL, NULL};
    lariat_data *d = lt_make_data(spec);
    lt_gather_all(d, &a.X, &a.y, &a.w);
    lariat_data_destroy(d);
    return a;
}

static void free_whole(whole *a)
{
    free(a->X);
    free(a->y);
    free(a->w);
}

/* Collective. Rank 0 writes a as CSV "y,w,NAMES..." (%.17g reads back exactly). */
static void write_csv(const char *path, const whole *a, const char *const *names)
{
    if (lt_rank() == 0) {
        FILE *f = fopen(path, "w");
        if (f != NULL) {
            fprintf(f, "y,w");
            for (int64_t j = 0; j < a->p; j++) fprintf(f, ",%s", names[j]);
            fprintf(f, "\n");
            for (int64_t i = 0; i < a->n; i++) {
                fprintf(f, "%.17g,%.17g", a->y[i], a->w[i]);
                for (int64_t j = 0; j < a->p; j++) fprintf(f, ",%.17g", a->X[i * a->p + j]);
                fprintf(f, "\n");
            }
            fclose(f);
        }
    }
    MPI_Barrier(lt_comm());
}

/* A weighted data set with scaled, offset columns, as CSV and as HDF5 (with
** variable-length names): the same rows bit for bit, and the same fitted path
** to round-off (the two readers split the rows differently, so the sums are
** added in a different order). */
static void test_csv_and_hdf5_same_model(void)
{
    lt_spec spec = {.n = 157, .p = 6, .seed = 29, .corr = 0.4, .weighted = 1, .scale_range = 2, .offset = 3};
    whole a = make_whole(&spec);
    const char *names[] = {"age", "bmi", "bp", "s1", "s2", "s3"};
    h5_part parts[4] = {{"/X", 2, {157, 6, 0}, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, a.X},
                        {"/y", 1, {157, 0, 0}, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, a.y},
                        {"/w", 1, {157, 0, 0}, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, a.w},
                        {"/feature_names", 1, {6, 0, 0}, H5I_INVALID_HID, H5I_INVALID_HID, names}};
    hid_t vstr = H5Tcopy(H5T_C_S1);
    H5Tset_size(vstr, H5T_VARIABLE);
    parts[3].ftype = parts[3].mtype = vstr;
    char h5[512], csv[512];
    snprintf(h5, sizeof(h5), "%s", lt_path("weighted.h5"));
    snprintf(csv, sizeof(csv), "%s", lt_path("weighted.csv"));
    LT_ASSERT_ALL(make_file(h5, parts, 4));
    H5Tclose(vstr);
    write_csv(csv, &a, names);

    lariat_read_options copt;
    lariat_read_options_default(&copt);
    copt.weights = "w";
    lariat_data *dh = NULL, *dc = NULL;
    int rh = lariat_data_read(lt_ctx(), h5, NULL, &dh);
    int rcsv = lariat_data_read(lt_ctx(), csv, &copt, &dc);
    LT_ASSERT_ALL(rh == LARIAT_OK && rcsv == LARIAT_OK);
    if (rh == LARIAT_OK && rcsv == LARIAT_OK) {
        LT_ASSERT_ALL(evenly_split(dh, spec.n) && dh->has_weights);
        LT_ASSERT_ALL(same_content(dh, dc));
        lariat_problem pb;
        lariat_problem_default(&pb);
        pb.alpha = 0.5;
        lariat_settings st;
        lariat_settings_default(&st);
        st.nlambda = 20;
        st.tol = 1e-12;
        lariat_fit *fh = NULL, *fc = NULL;
        int r1 = lariat_fit_path(lt_ctx(), dh, NULL, &pb, &st, &fh);
        int r2 = lariat_fit_path(lt_ctx(), dc, NULL, &pb, &st, &fc);
        LT_ASSERT_ALL(r1 == LARIAT_OK && r2 == LARIAT_OK);
        if (r1 == LARIAT_OK && r2 == LARIAT_OK) {
            double worst = fabs(fh->lambda_max - fc->lambda_max) / fc->lambda_max;
            for (int k = 0; k < fh->nlambda && k < fc->nlambda; k++) {
                double dcoef = lt_rel_diff(fh->path[k].coef, fc->path[k].coef, spec.p);
                double dint = fabs(fh->path[k].intercept - fc->path[k].intercept) /
                              fmax(1.0, fabs(fc->path[k].intercept));
                worst = fmax(worst, fmax(dcoef, dint));
            }
            if (lt_rank() == 0 && worst > 1e-9) fprintf(stderr, "csv vs hdf5 model: %.3e\n", worst);
            LT_ASSERT_ALL(fh->nlambda == fc->nlambda && worst <= 1e-9);
        }
        lariat_fit_destroy(fh);
        lariat_fit_destroy(fc);
    }
    lariat_data_destroy(dh);
    lariat_data_destroy(dc);
    free_whole(&a);
}

/* A chunked /X, compressed when HDF5 has deflate (as h5py writes with
** compression="gzip"), with chunks of 10 x 4 that straddle the ranks' row
** ranges and the columns: read independently, each rank's rows are the
** same bit for bit as those of a contiguous copy, at 157 rows (uneven at 2,
** 3 and 4 ranks). */
static void test_chunked_rows(void)
{
    lt_spec spec = {.n = 157, .p = 6, .seed = 31, .corr = 0.2};
    whole a = make_whole(&spec);
    h5_part parts[2] = {{"/X", 2, {157, 6, 0}, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, a.X},
                        {"/y", 1, {157, 0, 0}, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, a.y}};
    char plain[512], chunked[512];
    snprintf(plain, sizeof(plain), "%s", lt_path("plain.h5"));
    snprintf(chunked, sizeof(chunked), "%s", lt_path("chunked.h5"));
    LT_ASSERT_ALL(make_file(plain, parts, 2));
    int ok = 1;
    if (lt_rank() == 0) {
        hsize_t dims[2] = {157, 6}, chunk[2] = {10, 4}, ychunk[1] = {10};
        hid_t file = H5Fcreate(chunked, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        hid_t xs = H5Screate_simple(2, dims, NULL), ys = H5Screate_simple(1, dims, NULL);
        hid_t xp = H5Pcreate(H5P_DATASET_CREATE), yp = H5Pcreate(H5P_DATASET_CREATE);
        ok = file >= 0 && xs >= 0 && ys >= 0 && xp >= 0 && yp >= 0 && H5Pset_chunk(xp, 2, chunk) >= 0 &&
             H5Pset_chunk(yp, 1, ychunk) >= 0;
        if (ok && H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0) ok = H5Pset_deflate(xp, 4) >= 0;
        hid_t xd = ok ? H5Dcreate2(file, "/X", H5T_IEEE_F64LE, xs, H5P_DEFAULT, xp, H5P_DEFAULT) : H5I_INVALID_HID;
        hid_t yd = ok ? H5Dcreate2(file, "/y", H5T_IEEE_F64LE, ys, H5P_DEFAULT, yp, H5P_DEFAULT) : H5I_INVALID_HID;
        ok = ok && xd >= 0 && yd >= 0 && H5Dwrite(xd, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.X) >= 0 &&
             H5Dwrite(yd, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.y) >= 0;
        if (yd >= 0) H5Dclose(yd);
        if (xd >= 0) H5Dclose(xd);
        if (yp >= 0) H5Pclose(yp);
        if (xp >= 0) H5Pclose(xp);
        if (ys >= 0) H5Sclose(ys);
        if (xs >= 0) H5Sclose(xs);
        if (file >= 0 && H5Fclose(file) < 0) ok = 0;
    }
    LT_ASSERT_ALL(ok);
    lariat_data *dp = NULL, *dc = NULL;
    int rp = lariat_data_read(lt_ctx(), plain, NULL, &dp);
    int rc = lariat_data_read(lt_ctx(), chunked, NULL, &dc);
    LT_ASSERT_ALL(rp == LARIAT_OK && rc == LARIAT_OK);
    if (rp == LARIAT_OK && rc == LARIAT_OK) {
        LT_ASSERT_ALL(evenly_split(dc, spec.n));
        LT_ASSERT_ALL(same_content(dp, dc));
        /* Each rank's own rows, not only the gathered whole. */
        int mine = 1;
        for (int64_t i = 0; i < dc->n_local && mine; i++) {
            double row[6];
            lariat_matrix_get_row(dc->X, i, row);
            mine = memcmp(row, a.X + (dc->row0 + i) * 6, sizeof(row)) == 0 && dc->y[i] == a.y[dc->row0 + i];
        }
        LT_ASSERT_ALL(mine);
    }
    lariat_data_destroy(dp);
    lariat_data_destroy(dc);
    free_whole(&a);
}

/* Fixed-length names (null- and space-padded, one empty: it keeps its
** default), float32 /X widened exactly, /y as an n x 1 column. */
static void test_names_and_types(void)
{
    float X32[4 * 3];
    double X64[4 * 3], y[4] = {1.5, -2, 0.25, 8};
    for (int k = 0; k < 12; k++) {
        X32[k] = (float)(k + 1) / 3.0f;
        X64[k] = (double)X32[k];
    }
    char fixed[3][6] = {"alpha", "b", ""};
    hid_t f6 = H5Tcopy(H5T_C_S1);
    H5Tset_size(f6, 6);
    H5Tset_strpad(f6, H5T_STR_NULLPAD);
    hid_t s6 = H5Tcopy(f6);
    H5Tset_strpad(s6, H5T_STR_SPACEPAD);
    h5_part parts[3] = {{"/X", 2, {4, 3, 0}, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, X32},
                        {"/y", 2, {4, 1, 0}, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, y},
                        {"/feature_names", 1, {3, 0, 0}, f6, f6, fixed}};
    for (int pad = 0; pad < 2; pad++) {
        /* Space padding in the file: HDF5 converts it to the reader's null padding. */
        parts[2].ftype = pad == 0 ? f6 : s6;
        char path[512];
        snprintf(path, sizeof(path), "%s", lt_path(pad == 0 ? "names-null.h5" : "names-space.h5"));
        LT_ASSERT_ALL(make_file(path, parts, 3));
        lariat_data *d = NULL;
        int rc = lariat_data_read(lt_ctx(), path, NULL, &d);
        LT_ASSERT_ALL(rc == LARIAT_OK);
        if (rc != LARIAT_OK) continue;
        int ok = strcmp(d->feature_names[0], "alpha") == 0 && strcmp(d->feature_names[1], "b") == 0 &&
                 strcmp(d->feature_names[2], "x3") == 0;
        if (!ok) fprintf(stderr, "rank %d: names '%s' '%s' '%s'\n", lt_rank(), d->feature_names[0],
                         d->feature_names[1], d->feature_names[2]);
        double *Xa, *ya, *wa;
        lt_gather_all(d, &Xa, &ya, &wa);
        ok = ok && memcmp(Xa, X64, sizeof(X64)) == 0 && memcmp(ya, y, sizeof(y)) == 0;
        free(Xa);
        free(ya);
        free(wa);
        LT_ASSERT_ALL(ok);
        lariat_data_destroy(d);
    }
    H5Tclose(s6);
    H5Tclose(f6);
}

/* ---- rows in place ---- */

/* Collective. Rank 0 drops the pages of bytes [from, end) of path from the
** page cache (written back first); returns 1 on every rank when none of
** them is cached after, by mincore: not so on a file system that keeps
** files in memory (tmpfs), where the caller skips what needs it. */
static int drop_cached(const char *path, double from)
{
    int ok = 1;
    if (lt_rank() == 0) {
        int fd = open(path, O_RDONLY);
        ok = fd >= 0;
        if (ok) {
            off_t size = lseek(fd, 0, SEEK_END);
            off_t start = (off_t)(from * (double)size) & ~(off_t)4095;
            fdatasync(fd);
            ok = posix_fadvise(fd, start, 0, POSIX_FADV_DONTNEED) == 0;
            void *m = ok ? mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
            ok = m != MAP_FAILED;
            if (ok) {
                size_t pages = (size_t)(size - start + 4095) / 4096;
                unsigned char *vec = malloc(pages);
                ok = vec != NULL && mincore((char *)m + start, (size_t)(size - start), vec) == 0;
                for (size_t k = 0; ok && k < pages; k++) ok = (vec[k] & 1) == 0;
                free(vec);
                munmap(m, (size_t)size);
            }
            close(fd);
        }
    }
    return lt_all(ok);
}

/* Rows of a contiguous /X that are in the page cache are used where they
** lie (core/filemap.h), rows that are not are read with pread, and on any
** mix of the two over the ranks the data and the first bad value come out
** the same: read as written (cached: every rank with rows maps them), with
** the file's last 40% dropped from the cache (the first ranks map, the last
** read; at one rank it reads), and with all of it dropped (every rank
** reads). A mapped block becomes the rank's own memory on request. */
static void test_rows_in_place(void)
{
    const int64_t n = 1100, p = 1024;
    const hid_t F = H5T_IEEE_F64LE, D = H5T_NATIVE_DOUBLE;
    double *X = malloc((size_t)(n * p) * sizeof(double)), *y = malloc((size_t)n * sizeof(double));
    for (int64_t k = 0; k < n * p; k++) X[k] = (double)((k * 7919) % 1009) / 64.0 - 7.0;
    for (int64_t i = 0; i < n; i++) y[i] = (double)(i % 13);
    h5_part parts[] = {{"/X", 2, {(hsize_t)n, (hsize_t)p, 0}, F, D, X}, {"/y", 1, {(hsize_t)n, 0, 0}, F, D, y}};
    char path[512], bad[512];
    snprintf(path, sizeof(path), "%s", lt_path("inplace.h5"));
    snprintf(bad, sizeof(bad), "%s", lt_path("inplace-nan.h5"));
    LT_ASSERT_ALL(make_file(path, parts, 2));

    const double drop_from[3] = {2.0, 0.6, 0.0}; /* 2.0: nothing dropped */
    lariat_data *first = NULL;
    for (int c = 0; c < 3; c++) {
        int dropped = c == 0 ? 1 : drop_cached(path, drop_from[c]);
        lariat_data *d = NULL;
        int rc = lariat_data_read(lt_ctx(), path, NULL, &d);
        LT_ASSERT_ALL(rc == LARIAT_OK);
        if (rc != LARIAT_OK) break;
        /* Which ranks map their rows: /X is nearly all of the file, so the
        ** share of a rank's rows past the dropped point is about the share
        ** of its pages not cached; a rank maps when at most 1 in 8 is
        ** missing (none is near that line at 1-4 ranks; -1: not checked). */
        const double lo = (double)d->row0 / (double)n, hi = (double)(d->row0 + d->n_local) / (double)n;
        const double gone = hi > lo ? fmax(0.0, hi - fmax(lo, drop_from[c])) / (hi - lo) : 0.0;
        int want = d->n_local == 0 ? 0 : gone < 0.08 ? 1 : gone > 0.17 ? 0 : -1;
        int mapped = d->X->map.base != NULL;
        if (dropped && want >= 0 && mapped != want) {
            fprintf(stderr, "rank %d, case %d: rows %lld+%lld mapped %d, wanted %d\n", lt_rank(), c,
                    (long long)d->row0, (long long)d->n_local, mapped, want);
        }
        LT_ASSERT_ALL(!dropped || want < 0 || mapped == want);
        if (first == NULL) {
            LT_ASSERT_ALL(evenly_split(d, n));
            first = d;
        } else {
            LT_ASSERT_ALL(same_content(first, d));
            lariat_data_destroy(d);
        }
    }
    if (first != NULL) {
        LT_ASSERT_ALL(lariat_matrix_own_values(lt_ctx(), first->X) == LARIAT_OK && first->X->map.base == NULL);
        /* Still the file's rows, now in memory of this rank's own. */
        int ok = 1;
        for (int64_t i = 0; i < first->n_local && ok; i++) {
            ok = memcmp(first->X->val + i * p, X + (first->row0 + i) * p, (size_t)p * sizeof(double)) == 0;
        }
        LT_ASSERT_ALL(ok);
    }
    lariat_data_destroy(first);

    /* The first bad value in row order, cached or not. */
    X[700 * p + 5] = NAN;
    X[300 * p + 1000] = INFINITY;
    for (int c = 0; c < 3; c++) {
        if (c == 0) {
            LT_ASSERT_ALL(make_file(bad, parts, 2));
        } else {
            (void)drop_cached(bad, drop_from[c]);
        }
        lariat_data *d = NULL;
        int rc = lariat_data_read(lt_ctx(), bad, NULL, &d);
        const char *want = "/X[300,1000] (row 300, column 1000, 0-based): infinite value";
        LT_ASSERT_ALL(failed_with(rc, d, LARIAT_EDATA, bad, want));
        lariat_data_destroy(d);
    }
    free(X);
    free(y);
}

/* ---- errors ---- */

static void test_errors(void)
{
    double X[5 * 3], y[5] = {1, 2, 3, 4, 5}, w2[10] = {0};
    int ix[5 * 3];
    for (int k = 0; k < 15; k++) {
        X[k] = k;
        ix[k] = k;
    }
    const hid_t F = H5T_IEEE_F64LE, D = H5T_NATIVE_DOUBLE;
    h5_part y5 = {"/y", 1, {5, 0, 0}, F, D, y};

    h5_part no_x[] = {y5};
    LT_ASSERT_ALL(file_fails("no-x.h5", no_x, 1, "no dataset /X"));
    h5_part x1d[] = {{"/X", 1, {15, 0, 0}, F, D, X}, y5};
    LT_ASSERT_ALL(file_fails("x1d.h5", x1d, 2, "/X has 1 dimension"));
    h5_part x3d[] = {{"/X", 3, {5, 3, 1}, F, D, X}, y5};
    LT_ASSERT_ALL(file_fails("x3d.h5", x3d, 2, "/X has 3 dimensions"));
    h5_part xint[] = {{"/X", 2, {5, 3, 0}, H5T_STD_I32LE, H5T_NATIVE_INT, ix}, y5};
    LT_ASSERT_ALL(file_fails("xint.h5", xint, 2, "/X holds integers; expected float64"));
    h5_part no_y[] = {{"/X", 2, {5, 3, 0}, F, D, X}};
    LT_ASSERT_ALL(file_fails("no-y.h5", no_y, 1, "no dataset /y"));
    h5_part yshort[] = {{"/X", 2, {5, 3, 0}, F, D, X}, {"/y", 1, {4, 0, 0}, F, D, y}};
    LT_ASSERT_ALL(file_fails("yshort.h5", yshort, 2, "/y has 4 values; /X has 5 rows"));
    h5_part wwide[] = {{"/X", 2, {5, 3, 0}, F, D, X}, y5, {"/w", 2, {5, 2, 0}, F, D, w2}};
    LT_ASSERT_ALL(file_fails("wwide.h5", wwide, 3, "/w is 5 x 2"));
    h5_part xempty[] = {{"/X", 2, {0, 3, 0}, F, D, NULL}, {"/y", 1, {0, 0, 0}, F, D, NULL}};
    LT_ASSERT_ALL(file_fails("empty.h5", xempty, 2, "no data rows"));

    /* The first bad value in row order wins, wherever the ranks' rows end:
    ** row 3 (on the last rank at 2-4 ranks) holds a NaN, row 4 an infinity. */
    double Xbad[15];
    memcpy(Xbad, X, sizeof(X));
    Xbad[3 * 3 + 1] = NAN;
    Xbad[4 * 3 + 0] = INFINITY;
    h5_part xnan[] = {{"/X", 2, {5, 3, 0}, F, D, Xbad}, y5};
    LT_ASSERT_ALL(file_fails("xnan.h5", xnan, 2, "/X[3,1] (row 3, column 1, 0-based): NaN"));
    double ybad[5] = {1, 2, INFINITY, 4, 5};
    h5_part yinf[] = {{"/X", 2, {5, 3, 0}, F, D, X}, {"/y", 1, {5, 0, 0}, F, D, ybad}};
    LT_ASSERT_ALL(file_fails("yinf.h5", yinf, 2, "/y[2] (row 2, 0-based): infinite value"));
    double wneg[5] = {1, 1, 1, 1, -0.5};
    h5_part wbad[] = {{"/X", 2, {5, 3, 0}, F, D, X}, y5, {"/w", 1, {5, 0, 0}, F, D, wneg}};
    LT_ASSERT_ALL(file_fails("wneg.h5", wbad, 3, "/w[4] (row 4, 0-based): negative weight -0.5"));
    /* A bad label before a bad feature value wins: /X is checked as its
    ** rows come in, /y after. */
    double ynan[5] = {1, NAN, 3, 4, 5};
    h5_part ybefore[] = {{"/X", 2, {5, 3, 0}, F, D, Xbad}, {"/y", 1, {5, 0, 0}, F, D, ynan}};
    LT_ASSERT_ALL(file_fails("ybefore.h5", ybefore, 2, "/y[1] (row 1, 0-based): NaN"));
    /* /X in many read rounds (4 MiB each: 512 rows of 1024): the first bad
    ** value in row order, wherever the rounds and the ranks' rows end. */
    const int64_t nb = 1100, pb = 1024;
    double *Xbig = malloc((size_t)(nb * pb) * sizeof(double)), *ybig = malloc((size_t)nb * sizeof(double));
    for (int64_t k = 0; k < nb * pb; k++) Xbig[k] = (double)(k % 97) - 48.0;
    for (int64_t i = 0; i < nb; i++) ybig[i] = (double)i;
    Xbig[1000 * pb + 1000] = -INFINITY;
    Xbig[1050 * pb + 3] = NAN;
    Xbig[600 * pb + 777] = NAN;
    h5_part big[] = {{"/X", 2, {(hsize_t)nb, (hsize_t)pb, 0}, F, D, Xbig}, {"/y", 1, {(hsize_t)nb, 0, 0}, F, D, ybig}};
    LT_ASSERT_ALL(file_fails("xbig.h5", big, 2, "/X[600,777] (row 600, column 777, 0-based): NaN"));
    Xbig[600 * pb + 777] = 1.0;
    LT_ASSERT_ALL(file_fails("xbig2.h5", big, 2, "/X[1000,1000] (row 1000, column 1000, 0-based): infinite value"));
    free(Xbig);
    free(ybig);
    double wzero[5] = {0};
    h5_part wz[] = {{"/X", 2, {5, 3, 0}, F, D, X}, y5, {"/w", 1, {5, 0, 0}, F, D, wzero}};
    LT_ASSERT_ALL(file_fails("wzero.h5", wz, 3, "the weights are all zero"));

    const char *two[] = {"a", "b"};
    hid_t vstr = H5Tcopy(H5T_C_S1);
    H5Tset_size(vstr, H5T_VARIABLE);
    h5_part names2[] = {{"/X", 2, {5, 3, 0}, F, D, X}, y5, {"/feature_names", 1, {2, 0, 0}, vstr, vstr, two}};
    LT_ASSERT_ALL(file_fails("names2.h5", names2, 3, "/feature_names must hold one name per column of /X (3)"));
    H5Tclose(vstr);
    h5_part namesnum[] = {{"/X", 2, {5, 3, 0}, F, D, X}, y5, {"/feature_names", 1, {3, 0, 0}, F, D, y}};
    LT_ASSERT_ALL(file_fails("namesnum.h5", namesnum, 3, "/feature_names holds floating"));
}

/* Not an HDF5 file, a missing file, and CSV options: one message each; and
** HDF5 prints nothing of its own on stderr, and its printing is restored. */
static void test_open_errors_are_quiet(void)
{
    char path[512], missing[512], log[512];
    snprintf(path, sizeof(path), "%s", lt_path("text.h5"));
    snprintf(missing, sizeof(missing), "%s", lt_path("missing.h5"));
    snprintf(log, sizeof(log), "%s/stderr-%d.txt", lt_tmpdir(), lt_rank());
    lt_write_file(path, "y,x\n1,2\n");

    H5E_auto2_t before_func = NULL;
    void *before_data = NULL;
    H5Eget_auto2(H5E_DEFAULT, &before_func, &before_data);

    /* Send this rank's stderr to a file while the reads fail. */
    fflush(stderr);
    int saved = dup(2), fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int redirected = saved >= 0 && fd >= 0 && dup2(fd, 2) >= 0;
    lariat_data *d = NULL;
    int r1 = lariat_data_read(lt_ctx(), path, NULL, &d);
    int ok1 = r1 == LARIAT_EDATA && d == NULL && strstr(lariat_errmsg(lt_ctx()), "not an HDF5 file") != NULL;
    int r2 = lariat_data_read(lt_ctx(), missing, NULL, &d);
    int ok2 = r2 == LARIAT_EDATA && d == NULL && strstr(lariat_errmsg(lt_ctx()), "cannot open") != NULL;
    fflush(stderr);
    if (saved >= 0) dup2(saved, 2);
    if (saved >= 0) close(saved);
    if (fd >= 0) close(fd);
    LT_ASSERT_ALL(redirected && ok1 && ok2);

    char text[256] = "";
    FILE *f = fopen(log, "r");
    size_t got = f != NULL ? fread(text, 1, sizeof(text) - 1, f) : 0;
    text[got] = '\0';
    if (f != NULL) fclose(f);
    if (got > 0) fprintf(stderr, "rank %d: HDF5 printed: %s\n", lt_rank(), text);
    LT_ASSERT_ALL(f != NULL && got == 0);

    H5E_auto2_t after_func = NULL;
    void *after_data = NULL;
    H5Eget_auto2(H5E_DEFAULT, &after_func, &after_data);
    LT_ASSERT_ALL(after_func == before_func && after_data == before_data);

    lariat_read_options opt;
    lariat_read_options_default(&opt);
    opt.label = "y";
    int r3 = lariat_data_read(lt_ctx(), path, &opt, &d);
    LT_ASSERT_ALL(failed_with(r3, d, LARIAT_EUSAGE, "/y", "CSV only"));
    lariat_read_options_default(&opt);
    opt.weights = "w";
    r3 = lariat_data_read(lt_ctx(), path, &opt, &d);
    LT_ASSERT_ALL(failed_with(r3, d, LARIAT_EUSAGE, "/w", "CSV only"));
}

/* /X read with pread (a contiguous block of native doubles, here behind a
** 1 KiB user block, which H5Dget_offset counts) and through H5Dread (big-
** endian doubles, converted), the same values either way, at 1-4 ranks with
** rows split unevenly; and a NaN found in either. */
static void test_user_block_and_byte_order(void)
{
    const int64_t n = 37, p = 5;
    double X[37 * 5], y[37];
    for (int64_t k = 0; k < n * p; k++) X[k] = (double)(k * 7 % 41) / 3.0 - 2.0;
    for (int64_t i = 0; i < n; i++) y[i] = (double)i - 0.5;
    for (int pass = 0; pass < 4; pass++) {
        const int big_endian = pass % 2, with_nan = pass / 2;
        char path[512];
        snprintf(path, sizeof(path), "%s", lt_path(big_endian ? "be.h5" : "userblock.h5"));
        double Xw[37 * 5];
        memcpy(Xw, X, sizeof(X));
        if (with_nan) Xw[29 * p + 4] = NAN;
        int ok = 1;
        if (lt_rank() == 0) {
            hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
            if (!big_endian) H5Pset_userblock(fcpl, 1024);
            hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
            hsize_t xd[2] = {(hsize_t)n, (hsize_t)p}, yd[1] = {(hsize_t)n};
            hid_t xs = H5Screate_simple(2, xd, NULL), ys = H5Screate_simple(1, yd, NULL);
            hid_t xset = H5Dcreate2(file, "/X", big_endian ? H5T_IEEE_F64BE : H5T_IEEE_F64LE, xs, H5P_DEFAULT,
                                    H5P_DEFAULT, H5P_DEFAULT);
            hid_t yset = H5Dcreate2(file, "/y", H5T_IEEE_F64LE, ys, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            ok = xset >= 0 && yset >= 0 && H5Dwrite(xset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, Xw) >= 0 &&
                 H5Dwrite(yset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, y) >= 0;
            H5Dclose(yset);
            H5Dclose(xset);
            H5Sclose(ys);
            H5Sclose(xs);
            if (H5Fclose(file) < 0) ok = 0;
            H5Pclose(fcpl);
        }
        LT_ASSERT_ALL(ok);
        lariat_data *d = NULL;
        int rc = lariat_data_read(lt_ctx(), path, NULL, &d);
        if (with_nan) {
            LT_ASSERT_ALL(failed_with(rc, d, LARIAT_EDATA, path, "/X[29,4] (row 29, column 4, 0-based): NaN"));
            continue;
        }
        LT_ASSERT_ALL(rc == LARIAT_OK);
        if (rc != LARIAT_OK) continue;
        double *Xa, *ya, *wa;
        lt_gather_all(d, &Xa, &ya, &wa);
        LT_ASSERT_ALL(d->n == n && d->p == p && memcmp(Xa, X, sizeof(X)) == 0 && memcmp(ya, y, sizeof(y)) == 0);
        free(Xa);
        free(ya);
        free(wa);
        lariat_data_destroy(d);
    }
}

void lt_register_hdf5(void)
{
    CU_pSuite s = CU_add_suite("hdf5", NULL, NULL);
    CU_add_test(s, "gen: HDF5 and CSV copies hold the same values", test_gen_hdf5_equals_csv);
    CU_add_test(s, "read: CSV and HDF5 copies give the same model", test_csv_and_hdf5_same_model);
    CU_add_test(s, "read: a chunked, compressed /X split unevenly", test_chunked_rows);
    CU_add_test(s, "read: /X in the page cache used in place, the rest read", test_rows_in_place);
    CU_add_test(s, "read: fixed-length names, float32, n x 1 labels", test_names_and_types);
    CU_add_test(s, "read: bad files name the file and the dataset", test_errors);
    CU_add_test(s, "read: /X behind a user block, /X big-endian", test_user_block_and_byte_order);
    CU_add_test(s, "read: open errors, quiet HDF5, CSV options refused", test_open_errors_are_quiet);
}
