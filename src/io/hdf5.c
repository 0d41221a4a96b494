/*
** The HDF5 reader and writer (the layout and the row split are in hdf5.h).
**
** Every HDF5 call that touches the file is made by every rank in the same
** order: the file is opened with the MPI-IO driver and collective metadata
** operations (rank 0 reads the metadata and broadcasts it, instead of every
** rank hitting the file system; a reader alone on its communicator uses the
** POSIX driver), and rows move in rounds that every rank
** takes part in (but /X's rows read with pread, below). A rank whose rows
** are done, or that has none, still takes part in each round with an empty
** selection (a collective transfer needs every rank). Ranks agree on the
** status after each step that can fail on one rank only, so a failure never
** leaves the others waiting in a collective call.
**
** Rows are written collectively but read independently. A rank's rows are
** one contiguous range of the file, so two-phase collective I/O has nothing
** to merge, and its aggregators stage what they read in buffers of their
** own: Open MPI's OMPIO reads through io_ompio_bytes_per_agg (32 MiB) on
** each rank, ROMIO through cb_buffer_size (16 MiB). Measured with
** `lariat info` on 6000 x 4000 doubles on 4 ranks (46 MiB of rows each),
** the peak went from 106 MiB per rank to 74, and the read got faster (see
** docs/solvers.md, "Wide problems"). When /X is stored as one contiguous block
** of native doubles (what lariat gen and h5py write by default), each rank
** takes its rows of that block itself, with no HDF5 call and no
** synchronization per piece (every rank takes this path or none): where they
** are in the page cache it maps them and uses them in place
** (core/filemap.h: no copy, no fresh memory), else it reads them with
** pread, as cat would; either way it looks each 4 MiB piece over for NaN and
** infinity while it is in the cache. Other layouts (chunked, compressed,
** float32, big-endian) go through H5Dread in rounds. /y and /w are small.
**
** Decisions where SPEC.md is silent: /X, /y and /w may be float32 or float64
** (float32 widens to double exactly; integers and strings are refused, as a
** CSV field that is not a number is); /y and /w may also be n x 1 (a numpy
** column vector); an empty or missing name keeps the default x1..xp.
*/
#include "io/hdf5_io.h"

#include "core/core.h"
#include "core/filemap.h"
#include "core/memory.h"
#include "data/dataset.h"
#include "data/matrix.h"
#include "data/tiles.h"
#include "io/read.h"

#include <hdf5.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Bytes of one dataset moved per rank and round: large enough that each
** round is worth its synchronization, small enough that MPI-IO never meets
** a request beyond 2 GiB. Reads of /X take smaller rounds, which are
** checked for NaN and infinity while they are still in the cache (one pass
** over memory fewer): a round costs an H5Dread and an allreduce, some tens
** of microseconds, against about a millisecond to read 4 MiB. */
#define HDF5_ROUND_BYTES ((size_t)64 << 20)
#define HDF5_READ_ROUND_BYTES ((size_t)4 << 20)

/* HDF5's automatic error printing, saved while lariat silences it. */
typedef struct h5_quiet {
    H5E_auto2_t func;
    void *data;
} h5_quiet;

/* Not collective. Silences HDF5's error stack printing (each failure is
** reported once, by lariat), remembering what was set. */
static void quiet_begin(h5_quiet *q)
{
    if (H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data) < 0) {
        q->func = NULL;
        q->data = NULL;
    }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

/* Not collective. Restores the error printing that quiet_begin found, so that
** a program embedding lariat keeps its own HDF5 settings. */
static void quiet_end(const h5_quiet *q) { H5Eset_auto2(H5E_DEFAULT, q->func, q->data); }

/* Not collective. Rank r's even share [*row0, *row0 + *count) of n rows over
** size ranks: the first n mod size ranks hold one row more. */
static void even_split(int64_t n, int rank, int size, int64_t *row0, int64_t *count)
{
    int64_t q = n / size, m = n % size;
    *row0 = (int64_t)rank * q + (rank < m ? rank : m);
    *count = q + (rank < m);
}

/* Not collective. The number of rounds of at most block rows that the rank
** with the most rows needs: every rank takes part in each. The reader splits
** on tile boundaries (lariat_tile_split), the writer evenly. */
static int64_t round_count(int64_t n, int64_t p, int size, int64_t block, int tiled)
{
    int64_t most = n / size + (n % size != 0);
    for (int r = 0; tiled && r < size; r++) {
        int64_t row0, count;
        lariat_tile_split(n, p, size, r, &row0, &count);
        if (r == 0 || count > most) most = count;
    }
    return (most + block - 1) / block;
}

/* Not collective. Rows of `cols` doubles per round. */
static int64_t round_rows(size_t budget, int64_t cols)
{
    int64_t rows = (int64_t)(budget / sizeof(double)) / (cols > 0 ? cols : 1);
    return rows > 0 ? rows : 1;
}

/* Not collective. A file access property list for the MPI-IO driver on the
** context's communicator, with collective metadata reads; negative on failure. */
static hid_t mpio_access(lariat_ctx *ctx)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0) return fapl;
    if (H5Pset_fapl_mpio(fapl, lariat_ctx_comm(ctx), MPI_INFO_NULL) < 0 ||
        H5Pset_all_coll_metadata_ops(fapl, 1) < 0 || H5Pset_coll_metadata_write(fapl, 1) < 0) {
        H5Pclose(fapl);
        return H5I_INVALID_HID;
    }
    return fapl;
}

/* Not collective. File access through HDF5's POSIX (sec2) driver, for one
** rank alone. Without HDF5's file locking where the library can turn it off
** (1.10.7 on): the file is only read, and the MPI-IO driver takes no lock
** either, so a file system without flock (some NFS mounts) reads at one
** rank as at several. */
static hid_t posix_access(void)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0) return fapl;
    herr_t e = H5Pset_fapl_sec2(fapl);
#if H5_VERSION_GE(1, 10, 7)
    if (e >= 0) e = H5Pset_file_locking(fapl, 0, 1);
#endif
    if (e < 0) {
        H5Pclose(fapl);
        return H5I_INVALID_HID;
    }
    return fapl;
}

/* Not collective. A transfer property list for collective or independent
** MPI-IO (H5FD_MPIO_COLLECTIVE, H5FD_MPIO_INDEPENDENT). */
static hid_t mpio_transfer(H5FD_mpio_xfer_t mode)
{
    hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
    if (dxpl >= 0 && H5Pset_dxpl_mpio(dxpl, mode) < 0) {
        H5Pclose(dxpl);
        return H5I_INVALID_HID;
    }
    return dxpl;
}

/* Not collective. Closes an HDF5 identifier of any kind unless it is invalid. */
static void close_id(hid_t id)
{
    if (id >= 0) H5Idec_ref(id);
}

/* Not collective (but every rank calls it on the same file, as collective
** metadata requires). Opens dataset `name` ("/X") as *dset; a missing one is
** an error when required and leaves *dset invalid otherwise. */
static int open_dataset(lariat_ctx *ctx, const char *path, hid_t file, const char *name, int required, hid_t *dset)
{
    *dset = H5I_INVALID_HID;
    htri_t exists = H5Lexists(file, name, H5P_DEFAULT);
    if (exists < 0) return lariat_error(ctx, LARIAT_EDATA, "%s: %s: cannot look it up", path, name);
    if (exists == 0) return required ? lariat_error(ctx, LARIAT_EDATA, "%s: no dataset %s", path, name) : LARIAT_OK;
    *dset = H5Dopen2(file, name, H5P_DEFAULT);
    if (*dset < 0) return lariat_error(ctx, LARIAT_EDATA, "%s: %s is not a dataset", path, name);
    return LARIAT_OK;
}

/* Not collective. The rank (number of dimensions) and the dimensions of
** dset; more than two dimensions, or none (a scalar), is an error. */
static int dataset_shape(lariat_ctx *ctx, const char *path, const char *name, hid_t dset, int *ndims,
                         hsize_t dims[2])
{
    hid_t space = H5Dget_space(dset);
    int nd = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    int rc = LARIAT_OK;
    if (nd < 0) {
        rc = lariat_error(ctx, LARIAT_EDATA, "%s: %s: cannot read its shape", path, name);
    } else if (nd < 1 || nd > 2) {
        rc = lariat_error(ctx, LARIAT_EDATA, "%s: %s has %d dimensions; expected %s", path, name, nd,
                          strcmp(name, "/X") == 0 ? "2 (rows x features)" : "1 (one value per row)");
    } else {
        dims[1] = 1;
        H5Sget_simple_extent_dims(space, dims, NULL);
        *ndims = nd;
    }
    close_id(space);
    return rc;
}

/* Not collective. What an HDF5 type class holds, for messages. */
static const char *class_name(H5T_class_t cls)
{
    switch (cls) {
    case H5T_INTEGER: return "integers";
    case H5T_FLOAT: return "floating-point numbers";
    case H5T_STRING: return "strings";
    case H5T_COMPOUND: return "compound records";
    case H5T_ENUM: return "enumerations";
    case H5T_ARRAY: return "arrays";
    default: return "values of another type";
    }
}

/* Not collective. Checks that dset holds floating-point numbers of at most
** 64 bits (read as double without loss). */
static int check_float(lariat_ctx *ctx, const char *path, const char *name, hid_t dset)
{
    hid_t type = H5Dget_type(dset);
    H5T_class_t cls = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
    size_t size = type >= 0 ? H5Tget_size(type) : 0;
    close_id(type);
    if (cls == H5T_FLOAT && size <= sizeof(double)) return LARIAT_OK;
    if (cls == H5T_FLOAT) {
        return lariat_error(ctx, LARIAT_EDATA, "%s: %s holds %zu-byte floating-point numbers; expected float64", path,
                            name, size);
    }
    return lariat_error(ctx, LARIAT_EDATA, "%s: %s holds %s; expected float64", path, name, class_name(cls));
}

/* Not collective. Checks a per-row dataset (/y, /w): n values, as a vector
** or an n x 1 matrix, of floating-point numbers. */
static int check_vector(lariat_ctx *ctx, const char *path, const char *name, hid_t dset, int64_t n, int *ndims)
{
    hsize_t dims[2];
    int rc = dataset_shape(ctx, path, name, dset, ndims, dims);
    if (rc != LARIAT_OK) return rc;
    if (*ndims == 2 && dims[1] != 1) {
        return lariat_error(ctx, LARIAT_EDATA, "%s: %s is %llu x %llu; expected %lld values (one per row of /X)", path,
                            name, (unsigned long long)dims[0], (unsigned long long)dims[1], (long long)n);
    }
    if (dims[0] != (hsize_t)n) {
        return lariat_error(ctx, LARIAT_EDATA, "%s: %s has %llu values; /X has %lld rows", path, name,
                            (unsigned long long)dims[0], (long long)n);
    }
    return check_float(ctx, path, name, dset);
}

/* The first NaN or infinity of the rows read so far: its row (local,
** 0-based) and column; row -1 when there is none. */
typedef struct h5_bad {
    int64_t row, col;
} h5_bad;

/* A transfer of one rank's rows [row0, row0 + count) of dset (ndims 1 or
** 2, cols values per row) in `rounds` rounds of at most block
** rows. Without fill, the buffer holds all count rows at their places; with
** fill (writing), it holds one round's rows, which fill produces (with their
** labels in ybuf, written to ydset) before each round. With bad (reading),
** each round's rows are looked over for the first value that is not finite. */
typedef struct h5_rows {
    hid_t dset, ydset; /* the dataset; /y when writing from fill */
    int ndims;
    int64_t cols, row0, count, block, rounds;
    hid_t dxpl;
    lariat_hdf5_fill_fn fill;
    void *arg;
    double *ybuf;
    h5_bad *bad;
} h5_rows;

/* Not collective. Records in bad the first value of the k rows of cols
** values at x (local rows first, first + k) that is not finite, unless an
** earlier one is recorded. x - x is 0 for a finite x and NaN otherwise, so
** a block of rows is looked over with no branch per value, and only a block
** that has one is searched. */
static void find_nonfinite(const double *x, int64_t first, int64_t k, int64_t cols, h5_bad *bad)
{
    if (bad == NULL || bad->row >= 0) return;
    const int64_t n = k * cols, block = 512;
    for (int64_t a = 0; a < n; a += block) {
        const int64_t b = n - a < block ? n - a : block;
        double s0 = 0.0, s1 = 0.0;
        int64_t i = 0;
        for (; i + 1 < b; i += 2) {
            s0 += x[a + i] - x[a + i];
            s1 += x[a + i + 1] - x[a + i + 1];
        }
        if (i < b) s0 += x[a + i] - x[a + i];
        if (s0 + s1 == 0.0) continue;
        for (i = 0; i < b; i++) {
            if (!isfinite(x[a + i])) {
                bad->row = first + (a + i) / cols;
                bad->col = (a + i) % cols;
                return;
            }
        }
    }
}

/* Not collective. Selects rows [first, first + k) of a dataset's file space
** (nothing when k = 0) and a memory space of as many values. */
static int select_rows(hid_t fspace, hid_t mspace, int ndims, int64_t cols, int64_t first, int64_t k)
{
    hsize_t start[2] = {(hsize_t)first, 0}, cnt[2] = {(hsize_t)k, (hsize_t)cols};
    hsize_t mdims[1] = {(hsize_t)(k > 0 ? k * cols : 1)};
    if (H5Sset_extent_simple(mspace, 1, mdims, NULL) < 0) return -1;
    if (k == 0) return H5Sselect_none(fspace) < 0 || H5Sselect_none(mspace) < 0 ? -1 : 0;
    if (ndims == 1) cnt[1] = 1;
    return H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, cnt, NULL) < 0 ? -1 : 0;
}

/* Collective. Reads (write = 0) or writes (write = 1) the rows that r
** describes, to or from buf; every rank takes part in all r->rounds rounds,
** with an empty selection once its own rows are done. */
static int move_rows(lariat_ctx *ctx, const char *path, const char *name, const h5_rows *r, int write, double *buf)
{
    hid_t fspace = H5Dget_space(r->dset), yspace = r->fill != NULL ? H5Dget_space(r->ydset) : H5I_INVALID_HID;
    hsize_t one = 1;
    hid_t mspace = H5Screate_simple(1, &one, NULL), ymspace = H5Screate_simple(1, &one, NULL);
    int rc = LARIAT_OK;
    if (fspace < 0 || mspace < 0 || ymspace < 0 || (r->fill != NULL && yspace < 0)) {
        rc = lariat_error(ctx, LARIAT_EIO, "%s: %s: cannot make its data spaces", path, name);
    }
    rc = lariat_agree(ctx, rc);
    for (int64_t t = 0; t < r->rounds && rc == LARIAT_OK; t++) {
        int64_t lo = t * r->block, k = r->count - lo;
        if (k < 0) k = 0;
        if (k > r->block) k = r->block;
        /* With fill, the round's rows sit at the start of buf; else at their place. */
        double *at = k == 0 ? buf : r->fill != NULL ? buf : buf + lo * r->cols;
        if (r->fill != NULL) {
            rc = lariat_agree(ctx, k > 0 ? r->fill(ctx, r->arg, r->row0 + lo, k, buf, r->ybuf) : LARIAT_OK);
            if (rc != LARIAT_OK) break;
        }
        herr_t e = select_rows(fspace, mspace, r->ndims, r->cols, r->row0 + lo, k);
        if (e >= 0) {
            e = write ? H5Dwrite(r->dset, H5T_NATIVE_DOUBLE, mspace, fspace, r->dxpl, at)
                      : H5Dread(r->dset, H5T_NATIVE_DOUBLE, mspace, fspace, r->dxpl, at);
        }
        if (e >= 0 && r->fill != NULL) {
            e = select_rows(yspace, ymspace, 1, 1, r->row0 + lo, k);
            if (e >= 0) e = H5Dwrite(r->ydset, H5T_NATIVE_DOUBLE, ymspace, yspace, r->dxpl, r->ybuf);
        }
        if (e >= 0 && !write && r->bad != NULL && k > 0) find_nonfinite(at, lo, k, r->cols, r->bad);
        if (e < 0) {
            rc = lariat_error(ctx, LARIAT_EIO, "%s: %s: cannot %s rows %lld to %lld", path, name,
                              write ? "write" : "read", (long long)(r->row0 + lo), (long long)(r->row0 + lo + k - 1));
        }
        rc = lariat_agree(ctx, rc);
    }
    close_id(ymspace);
    close_id(mspace);
    close_id(yspace);
    close_id(fspace);
    return rc;
}

/* Not collective. *addr is where the n x p values of dset lie in the file,
** when they are one contiguous block of native doubles (no chunks, no
** filters, no external storage, every value written: H5Dget_offset counts
** from the file's first byte, user block included); returns 1 then, 0
** otherwise (read them with H5Dread). */
static int contiguous_doubles(hid_t dset, int64_t n, int64_t p, haddr_t *addr)
{
    hid_t dcpl = H5Dget_create_plist(dset), type = H5Dget_type(dset);
    int ok = dcpl >= 0 && type >= 0 && H5Pget_layout(dcpl) == H5D_CONTIGUOUS && H5Pget_external_count(dcpl) == 0 &&
             H5Tequal(type, H5T_NATIVE_DOUBLE) > 0 &&
             H5Dget_storage_size(dset) == (hsize_t)n * (hsize_t)p * sizeof(double);
    close_id(type);
    close_id(dcpl);
    *addr = ok ? H5Dget_offset(dset) : HADDR_UNDEF;
    return *addr != HADDR_UNDEF;
}

/* Not collective. Reads rows [row0, row0 + count) of an n x p block of
** doubles (dataset name) at byte addr of path into X with pread, in pieces of
** HDF5_READ_ROUND_BYTES, each looked over for NaN and infinity (bad, unless
** NULL) while it is in the cache. */
static int read_rows_direct(lariat_ctx *ctx, const char *path, const char *name, haddr_t addr, int64_t row0,
                            int64_t count, int64_t p, double *X, h5_bad *bad)
{
    if (count == 0) return LARIAT_OK;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return lariat_error(ctx, LARIAT_EIO, "%s: %s: cannot open: %s", path, name, strerror(errno));
    const int64_t block = round_rows(HDF5_READ_ROUND_BYTES, p);
    int rc = LARIAT_OK;
    for (int64_t lo = 0; lo < count && rc == LARIAT_OK; lo += block) {
        const int64_t k = count - lo < block ? count - lo : block;
        char *dst = (char *)(X + lo * p);
        size_t left = (size_t)k * (size_t)p * sizeof(double);
        off_t off = (off_t)addr + (off_t)((row0 + lo) * p) * (off_t)sizeof(double);
        while (left > 0) {
            ssize_t got = pread(fd, dst, left, off);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) {
                rc = lariat_error(ctx, LARIAT_EIO, "%s: %s: cannot read rows %lld to %lld: %s", path, name,
                                  (long long)(row0 + lo), (long long)(row0 + lo + k - 1),
                                  got < 0 ? strerror(errno) : "the file is shorter than its datasets");
                break;
            }
            dst += got;
            left -= (size_t)got;
            off += got;
        }
        if (rc == LARIAT_OK) find_nonfinite(X + lo * p, lo, k, p, bad);
    }
    close(fd);
    return rc;
}

/* Not collective. Maps rows [row0, row0 + count) of an n x p block of
** doubles at byte addr of path when they are in the page cache
** (core/filemap.h: 7 pages in 8 at least), and looks them over for NaN and infinity (bad) in pieces
** of HDF5_READ_ROUND_BYTES. Returns the rows, read-only, with *map what to
** unmap; or NULL, with nothing mapped: read them with read_rows_direct.
** Rows that would start off malloc's 16-byte alignment are read too, so
** that the kernels see the addresses they always have. */
static const double *map_rows(const char *path, haddr_t addr, int64_t row0, int64_t count, int64_t p,
                              lariat_file_map *map, h5_bad *bad)
{
    memset(map, 0, sizeof(*map));
    const off_t off = (off_t)addr + (off_t)(row0 * p) * (off_t)sizeof(double);
    if (count == 0 || off % 16 != 0) return NULL;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return NULL; /* read_rows_direct says why */
    const double *X = lariat_file_map_cached(fd, off, (size_t)count * (size_t)p * sizeof(double), map);
    close(fd); /* the mapping keeps the file */
    if (X == NULL) return NULL;
    const int64_t block = round_rows(HDF5_READ_ROUND_BYTES, p);
    for (int64_t lo = 0; lo < count; lo += block) {
        find_nonfinite(X + lo * p, lo, count - lo < block ? count - lo : block, p, bad);
    }
    return X;
}

/* Not collective. Puts the name of column j (len bytes at s) in names[j];
** an empty or missing name keeps the default already there. */
static int take_names(lariat_ctx *ctx, char **names, int64_t j, const char *s, size_t len)
{
    if (s == NULL || len == 0) return LARIAT_OK;
    char *copy = lariat_malloc(ctx, len + 1, 1, "a feature name");
    if (copy == NULL) return LARIAT_ENOMEM;
    memcpy(copy, s, len);
    copy[len] = '\0';
    free(names[j]);
    names[j] = copy;
    return LARIAT_OK;
}

/* Not collective (every rank calls it, as collective metadata requires).
** Reads /feature_names, when the file has it, into names (p entries). Both
** string kinds are read with a memory type of the file's character set (HDF5
** converts between fixed-length paddings but not between ASCII and UTF-8). */
static int read_names(lariat_ctx *ctx, const char *path, hid_t file, int64_t p, char **names)
{
    const char *name = "/feature_names";
    hid_t dset, ftype = H5I_INVALID_HID, mtype = H5I_INVALID_HID;
    int ndims = 0;
    hsize_t dims[2];
    char **vl = NULL;
    char *fixed = NULL;
    int rc = open_dataset(ctx, path, file, name, 0, &dset);
    if (rc != LARIAT_OK || dset < 0) return rc;
    rc = dataset_shape(ctx, path, name, dset, &ndims, dims);
    if (rc == LARIAT_OK && (ndims != 1 || dims[0] != (hsize_t)p)) {
        rc = lariat_error(ctx, LARIAT_EDATA, "%s: %s must hold one name per column of /X (%lld)", path, name,
                          (long long)p);
    }
    if (rc == LARIAT_OK) {
        ftype = H5Dget_type(dset);
        if (ftype < 0 || H5Tget_class(ftype) != H5T_STRING) {
            rc = lariat_error(ctx, LARIAT_EDATA, "%s: %s holds %s; expected strings", path, name,
                              class_name(ftype < 0 ? H5T_NO_CLASS : H5Tget_class(ftype)));
        }
    }
    if (rc != LARIAT_OK) goto cleanup;
    htri_t variable = H5Tis_variable_str(ftype);
    size_t size = H5Tget_size(ftype);
    mtype = H5Tcopy(H5T_C_S1);
    if (variable < 0 || size == 0 || mtype < 0 || H5Tset_cset(mtype, H5Tget_cset(ftype)) < 0 ||
        H5Tset_size(mtype, variable ? H5T_VARIABLE : size) < 0 ||
        (!variable && H5Tset_strpad(mtype, H5T_STR_NULLPAD) < 0)) {
        rc = lariat_error(ctx, LARIAT_EDATA, "%s: %s: cannot read its string type", path, name);
        goto cleanup;
    }
    if (variable) {
        vl = lariat_calloc(ctx, (size_t)p, sizeof(char *), "feature names");
        if (vl == NULL) {
            rc = LARIAT_ENOMEM;
            goto cleanup;
        }
        if (H5Dread(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, vl) < 0) {
            rc = lariat_error(ctx, LARIAT_EDATA, "%s: %s: cannot read the names", path, name);
            goto cleanup;
        }
        for (int64_t j = 0; j < p && rc == LARIAT_OK; j++) {
            rc = take_names(ctx, names, j, vl[j], vl[j] != NULL ? strlen(vl[j]) : 0);
        }
        /* The strings were allocated by HDF5: give them back through it. */
        hid_t space = H5Dget_space(dset);
#if H5_VERSION_GE(1, 12, 0)
        if (space >= 0) H5Treclaim(mtype, space, H5P_DEFAULT, vl);
#else
        if (space >= 0) H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, vl);
#endif
        close_id(space);
    } else {
        fixed = lariat_malloc(ctx, (size_t)p, size, "feature names");
        if (fixed == NULL) {
            rc = LARIAT_ENOMEM;
            goto cleanup;
        }
        if (H5Dread(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, fixed) < 0) {
            rc = lariat_error(ctx, LARIAT_EDATA, "%s: %s: cannot read the names", path, name);
            goto cleanup;
        }
        /* Null-padded (converted from the file's padding): the name ends at the first '\0'. */
        for (int64_t j = 0; j < p && rc == LARIAT_OK; j++) {
            const char *s = fixed + (size_t)j * size;
            size_t len = 0;
            while (len < size && s[len] != '\0') len++;
            rc = take_names(ctx, names, j, s, len);
        }
    }

cleanup:
    free(vl);
    free(fixed);
    close_id(mtype);
    close_id(ftype);
    close_id(dset);
    return rc;
}

/* Not collective. The first NaN, infinity or negative weight of this rank's
** rows in row order (X's columns, then y, then w), named by its global index;
** bad is X's first, found as the rows were read. */
static int check_values(lariat_ctx *ctx, const char *path, const lariat_data *d, const double *X, int has_w,
                        const h5_bad *bad)
{
    for (int64_t i = 0; i < d->n_local; i++) {
        long long g = (long long)(d->row0 + i);
        if (i == bad->row) {
            const int64_t j = bad->col;
            const double v = X[i * d->p + j];
            return lariat_error(ctx, LARIAT_EDATA, "%s: /X[%lld,%lld] (row %lld, column %lld, 0-based): %s", path, g,
                                (long long)j, g, (long long)j, isnan(v) ? "NaN" : "infinite value");
        }
        if (!isfinite(d->y[i])) {
            return lariat_error(ctx, LARIAT_EDATA, "%s: /y[%lld] (row %lld, 0-based): %s", path, g, g,
                                isnan(d->y[i]) ? "NaN" : "infinite value");
        }
        if (has_w && !(isfinite(d->w[i]) && d->w[i] >= 0.0)) {
            return lariat_error(ctx, LARIAT_EDATA, "%s: /w[%lld] (row %lld, 0-based): %s %.17g", path, g, g,
                                isnan(d->w[i]) ? "NaN" : isinf(d->w[i]) ? "infinite weight" : "negative weight",
                                d->w[i]);
        }
    }
    return LARIAT_OK;
}

int lariat_hdf5_read(lariat_ctx *ctx, const char *path, const lariat_read_options *opt, lariat_data **out)
{
    (void)opt; /* CSV's options do not apply; lariat_data_read refused the ones that matter */
    *out = NULL;
    h5_quiet quiet;
    quiet_begin(&quiet);
    hid_t fapl = H5I_INVALID_HID, file = H5I_INVALID_HID, dxpl = H5I_INVALID_HID;
    hid_t xset = H5I_INVALID_HID, yset = H5I_INVALID_HID, wset = H5I_INVALID_HID;
    lariat_data *d = NULL;
    double *X = NULL;
    lariat_file_map xmap = {NULL, 0};
    int xnd = 0, ynd = 0, wnd = 0;
    hsize_t dims[2] = {0, 0};
    int64_t n = 0, p = 0, row0 = 0, count = 0;
    int size = lariat_ctx_size(ctx);

    /* A missing file gets the system's reason, as the text readers give it. */
    int rc = LARIAT_OK;
    if (access(path, R_OK) != 0) rc = lariat_error(ctx, LARIAT_EDATA, "%s: cannot open: %s", path, strerror(errno));
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) goto done;
    /* Independent reads, each straight into the rank's own rows (above). One
    ** rank alone opens the file with HDF5's POSIX driver: MPI-IO's open (OMPIO
    ** sets up shared files and tests locking next to the data) was about 9 ms
    ** of the 33 ms a fresh process took to load an 81 MB file. */
    fapl = size > 1 ? mpio_access(ctx) : posix_access();
    dxpl = size > 1 ? mpio_transfer(H5FD_MPIO_INDEPENDENT) : H5Pcreate(H5P_DATASET_XFER);
    rc = lariat_agree(ctx, fapl < 0 || dxpl < 0 ? lariat_error(ctx, LARIAT_EIO, "%s: cannot set up %s", path,
                                                                size > 1 ? "MPI-IO" : "HDF5's file access")
                                                : LARIAT_OK);
    if (rc != LARIAT_OK) goto done;
    file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (file < 0) rc = lariat_error(ctx, LARIAT_EDATA, "%s: cannot open: not an HDF5 file", path);
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) goto done;

    /* The shapes and types of every dataset, before anything is allocated. */
    rc = open_dataset(ctx, path, file, "/X", 1, &xset);
    if (rc == LARIAT_OK) rc = dataset_shape(ctx, path, "/X", xset, &xnd, dims);
    if (rc == LARIAT_OK && xnd != 2) {
        rc = lariat_error(ctx, LARIAT_EDATA, "%s: /X has 1 dimension; expected 2 (rows x features)", path);
    }
    if (rc == LARIAT_OK && (dims[0] > (hsize_t)INT64_MAX || dims[1] > (hsize_t)INT32_MAX)) {
        rc = lariat_error(ctx, LARIAT_EDATA, "%s: /X is %llu x %llu: too large", path, (unsigned long long)dims[0],
                          (unsigned long long)dims[1]);
    }
    if (rc == LARIAT_OK && dims[1] == 0) rc = lariat_error(ctx, LARIAT_EDATA, "%s: /X has no columns", path);
    if (rc == LARIAT_OK) rc = check_float(ctx, path, "/X", xset);
    n = (int64_t)dims[0];
    p = (int64_t)dims[1];
    if (rc == LARIAT_OK) rc = open_dataset(ctx, path, file, "/y", 1, &yset);
    if (rc == LARIAT_OK) rc = check_vector(ctx, path, "/y", yset, n, &ynd);
    if (rc == LARIAT_OK) rc = open_dataset(ctx, path, file, "/w", 0, &wset);
    if (rc == LARIAT_OK && wset >= 0) rc = check_vector(ctx, path, "/w", wset, n, &wnd);
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) goto done;

    /* On tile boundaries (data/tiles.h): the rows need not move after. */
    lariat_tile_split(n, p, size, lariat_ctx_rank(ctx), &row0, &count);

    /* /X: in place when every rank can (the same file: they all can, or
    ** none), each rank mapping its rows if they are in the page cache and
    ** reading them with pread if not; else by rounds of H5Dread, which every
    ** rank takes part in. /y and /w the same way, without the mapping (they
    ** are small, and fill memory lariat_data_alloc has). */
    h5_bad bad = {-1, -1};
    haddr_t addr[3] = {HADDR_UNDEF, HADDR_UNDEF, HADDR_UNDEF};
    int direct[3] = {contiguous_doubles(xset, n, p, &addr[0]), contiguous_doubles(yset, n, 1, &addr[1]),
                     wset < 0 || contiguous_doubles(wset, n, 1, &addr[2])};
    if (MPI_Allreduce(MPI_IN_PLACE, direct, 3, MPI_INT, MPI_MIN, lariat_ctx_comm(ctx)) != MPI_SUCCESS) {
        rc = lariat_agree(ctx, lariat_error(ctx, LARIAT_EMPI, "%s: MPI_Allreduce failed", path));
        goto done;
    }
    const double *mapped = direct[0] ? map_rows(path, addr[0], row0, count, p, &xmap, &bad) : NULL;
    rc = lariat_data_alloc(ctx, count, p, &d);
    if (rc == LARIAT_OK && mapped == NULL) {
        X = lariat_malloc(ctx, (size_t)count, (size_t)p * sizeof(double), "the rows of /X");
        if (X == NULL) rc = LARIAT_ENOMEM;
        /* Before the rows are read into it: fresh pages cost a fault each (core/memory.h). */
        lariat_advise_huge(X, (size_t)count * (size_t)p * sizeof(double));
    }
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) goto done;
    d->row0 = row0;

    if (direct[0]) {
        /* Ranks that mapped their rows (read and checked in map_rows) agree
        ** with those that read them. */
        rc = mapped != NULL ? LARIAT_OK : read_rows_direct(ctx, path, "/X", addr[0], row0, count, p, X, &bad);
        rc = lariat_agree(ctx, rc);
    } else {
        h5_rows rx = {xset, H5I_INVALID_HID, 2, p, row0, count, 0, 0, dxpl, NULL, NULL, NULL, &bad};
        rx.block = round_rows(HDF5_READ_ROUND_BYTES, p);
        rx.rounds = round_count(n, p, size, rx.block, 1);
        rc = move_rows(ctx, path, "/X", &rx, 0, X);
    }
    h5_rows ry = {yset, H5I_INVALID_HID, ynd, 1, row0, count, 0, 0, dxpl, NULL, NULL, NULL, NULL};
    ry.block = round_rows(HDF5_ROUND_BYTES, 1);
    ry.rounds = round_count(n, p, size, ry.block, 1);
    if (rc == LARIAT_OK && direct[1]) {
        rc = lariat_agree(ctx, read_rows_direct(ctx, path, "/y", addr[1], row0, count, 1, d->y, NULL));
    } else if (rc == LARIAT_OK) {
        rc = move_rows(ctx, path, "/y", &ry, 0, d->y);
    }
    ry.dset = wset;
    ry.ndims = wnd;
    if (rc == LARIAT_OK && wset >= 0 && direct[2]) {
        rc = lariat_agree(ctx, read_rows_direct(ctx, path, "/w", addr[2], row0, count, 1, d->w, NULL));
    } else if (rc == LARIAT_OK && wset >= 0) {
        rc = move_rows(ctx, path, "/w", &ry, 0, d->w);
    }
    if (rc == LARIAT_OK) rc = lariat_agree(ctx, read_names(ctx, path, file, p, d->feature_names));
    const double *rows = mapped != NULL ? mapped : X;
    if (rc == LARIAT_OK) rc = lariat_agree(ctx, check_values(ctx, path, d, rows, wset >= 0, &bad));
    if (rc != LARIAT_OK) goto done;

    d->has_weights = (wset >= 0);
    if (mapped != NULL) rc = lariat_matrix_wrap_mapped(ctx, count, p, mapped, &xmap, &d->X);
    else rc = lariat_matrix_wrap_dense(ctx, count, p, X, &d->X);
    X = NULL; /* owned by the matrix (as is xmap), or freed on its failure */
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK) rc = lariat_read_finish(ctx, path, d);

done:
    /* Closing the file is collective: every rank holds the same handles here. */
    close_id(wset);
    close_id(yset);
    close_id(xset);
    if (file >= 0 && H5Fclose(file) < 0 && rc == LARIAT_OK) {
        rc = lariat_error(ctx, LARIAT_EIO, "%s: cannot close", path);
    }
    close_id(dxpl);
    close_id(fapl);
    quiet_end(&quiet);
    free(X);
    lariat_file_unmap(&xmap);
    if (rc != LARIAT_OK) {
        lariat_data_destroy(d);
        d = NULL;
    }
    *out = d;
    return rc;
}

/* Not collective. Creates a float64 dataset of the given shape, with no fill
** value written at allocation (every element is about to be written). */
static hid_t create_dataset(hid_t file, const char *name, int ndims, const hsize_t *dims)
{
    hid_t space = H5Screate_simple(ndims, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t dset = H5I_INVALID_HID;
    if (space >= 0 && dcpl >= 0 && H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER) >= 0) {
        dset = H5Dcreate2(file, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    }
    close_id(dcpl);
    close_id(space);
    return dset;
}

int lariat_hdf5_write(lariat_ctx *ctx, const char *path, int64_t n, int64_t p, size_t buffer_bytes,
                      lariat_hdf5_fill_fn fill, void *arg)
{
    h5_quiet quiet;
    quiet_begin(&quiet);
    hid_t fapl = H5I_INVALID_HID, file = H5I_INVALID_HID, dxpl = H5I_INVALID_HID;
    hid_t xset = H5I_INVALID_HID, yset = H5I_INVALID_HID;
    double *xbuf = NULL, *ybuf = NULL;
    int size = lariat_ctx_size(ctx);
    int64_t row0, count;
    even_split(n, lariat_ctx_rank(ctx), size, &row0, &count);

    int rc = LARIAT_OK;
    if (n < 1 || p < 1) rc = lariat_error(ctx, LARIAT_EUSAGE, "%s: cannot write %lld x %lld data", path, (long long)n,
                                          (long long)p);
    fapl = mpio_access(ctx);
    dxpl = mpio_transfer(H5FD_MPIO_COLLECTIVE);
    if (rc == LARIAT_OK && (fapl < 0 || dxpl < 0)) rc = lariat_error(ctx, LARIAT_EIO, "%s: cannot set up MPI-IO", path);
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) goto done;
    file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (file < 0) rc = lariat_error(ctx, LARIAT_EIO, "%s: cannot create an HDF5 file", path);
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) goto done;
    hsize_t xdims[2] = {(hsize_t)n, (hsize_t)p}, ydims[1] = {(hsize_t)n};
    xset = create_dataset(file, "/X", 2, xdims);
    yset = create_dataset(file, "/y", 1, ydims);
    if (xset < 0 || yset < 0) rc = lariat_error(ctx, LARIAT_EIO, "%s: cannot create /X and /y", path);

    /* One round's rows: the budget covers a row of X and its y. */
    h5_rows r = {xset, yset, 2, p, row0, count, round_rows(buffer_bytes > 0 ? buffer_bytes : HDF5_ROUND_BYTES, p + 1),
                 0, dxpl, fill, arg, NULL, NULL};
    r.rounds = round_count(n, p, size, r.block, 0);
    int64_t held = count < r.block ? count : r.block;
    xbuf = lariat_malloc(ctx, (size_t)held, (size_t)p * sizeof(double), "rows to write");
    ybuf = lariat_malloc(ctx, (size_t)held, sizeof(double), "labels to write");
    if (rc == LARIAT_OK && (xbuf == NULL || ybuf == NULL)) rc = LARIAT_ENOMEM;
    rc = lariat_agree(ctx, rc);
    r.ybuf = ybuf;
    if (rc == LARIAT_OK) rc = move_rows(ctx, path, "/X", &r, 1, xbuf);

done:
    close_id(yset);
    close_id(xset);
    /* Closing flushes the metadata; a failure there means an incomplete file. */
    if (file >= 0 && H5Fclose(file) < 0 && rc == LARIAT_OK) {
        rc = lariat_error(ctx, LARIAT_EIO, "%s: cannot write (closing the file failed)", path);
    }
    rc = lariat_agree(ctx, rc);
    close_id(dxpl);
    close_id(fapl);
    quiet_end(&quiet);
    free(xbuf);
    free(ybuf);
    return rc;
}
