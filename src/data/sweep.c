/*
** The fused residual-gradient sweep over dense rows, hand-blocked so that X
** streams from memory once at close to the machine's bandwidth.
**
** For each group of SWEEP_ROWS consecutive rows: row by row, in memory
** order, the dot product z_i = x_i'd, r_i = y_i - base - z_i and q_i = w_i
** r_i; then g += sum_i q_i x_i over the group, the rows read again from
** L1/L2 and g loaded and stored once per group. Each entry of X costs two
** multiply-adds and one load from memory. Reading X strictly in order
** matters most: OpenBLAS's DGEMV pair on blocks of rows, and a first version
** of this kernel that read four rows side by side (four interleaved streams,
** each one row long), both ran at 5-9 GB/s on 100-column rows where one
** in-order stream runs at 19-25 GB/s: the hardware prefetcher never locks on
** to streams that short. Rows of SWEEP_LONG_ROW columns or more are long
** enough, and are read four side by side (docs/performance.md, "The fused
** sweep").
**
** The arithmetic is written on 8-lane vectors (GCC/Clang vector extensions),
** so the order of every sum is the same whatever instructions carry it: GCC
** builds AVX-512, AVX2 and baseline copies (target_clones, chosen once at
** load time) that give bit-identical results. ISO C mode keeps multiply and
** add separate (no contraction), for the same reason.
*/
#include "data/sweep.h"

#include <string.h>

#define LANES 8
#define SWEEP_ROWS 4
/* Rows at least this long (64 KiB) are read four side by side (dot4), which
** loads d once for the four; shorter rows one after the other. Measured on
** one core: at 4096 columns side by side was 7% slower (14.0 against 14.9
** GB/s), at 10000 about 3% faster (15.2 against 14.7). */
#define SWEEP_LONG_ROW 8192

typedef double vec __attribute__((vector_size(LANES * sizeof(double))));

/* The helpers below take and return vec by value; they are static and
** inlined, so no call with that ABI ever crosses this file. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define SWEEP_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SWEEP_CLONES
#endif

/* Unaligned loads and stores (memcpy compiles to one vector move). */
static inline vec load(const double *p)
{
    vec v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static inline void store(double *p, vec v)
{
    memcpy(p, &v, sizeof(v));
}

static inline double hsum(vec v)
{
    double s = 0.0;
    for (int l = 0; l < LANES; l++) s += v[l];
    return s;
}

/* Not collective. x'd with two vector chains (the adds of one chain wait on
** each other). */
static inline double dot(const double *x, const double *d, int64_t p)
{
    const int64_t pv = p - p % LANES, pv2 = p - p % (2 * LANES);
    vec a = {0}, b = {0};
    int64_t j = 0;
    for (; j < pv2; j += 2 * LANES) {
        a += load(x + j) * load(d + j);
        b += load(x + j + LANES) * load(d + j + LANES);
    }
    for (; j < pv; j += LANES) a += load(x + j) * load(d + j);
    double z = hsum(a + b);
    for (; j < p; j++) z += x[j] * d[j];
    return z;
}

/* Not collective. z_k = x_k'd for the SWEEP_ROWS rows x_k = X0 + k p, side
** by side: d is loaded once for the four, eight chains in flight. */
static inline void dot4(const double *x0, const double *d, int64_t p, double z[SWEEP_ROWS])
{
    const int64_t pv = p - p % LANES;
    const double *x1 = x0 + p, *x2 = x1 + p, *x3 = x2 + p;
    vec a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    int64_t j = 0;
    for (; j < pv; j += LANES) {
        const vec dj = load(d + j);
        a0 += load(x0 + j) * dj;
        a1 += load(x1 + j) * dj;
        a2 += load(x2 + j) * dj;
        a3 += load(x3 + j) * dj;
    }
    z[0] = hsum(a0);
    z[1] = hsum(a1);
    z[2] = hsum(a2);
    z[3] = hsum(a3);
    for (; j < p; j++) {
        z[0] += x0[j] * d[j];
        z[1] += x1[j] * d[j];
        z[2] += x2[j] * d[j];
        z[3] += x3[j] * d[j];
    }
}

/* The clones are static behind the plain function below: GCC 12 makes the
** dispatcher of a non-static target_clones function a global dynamic symbol
** whatever its visibility, and liblariat exports only the lariat.h API. */
SWEEP_CLONES
static void sweep_dense(const double *X, int64_t m, int64_t p, const double *d, double base, const double *y,
                        const double *w, double *r, double *g, double sums[3])
{
    const int64_t pv = p - p % LANES;
    double rr = 0.0, qs = 0.0, qy = 0.0;
    for (int64_t i0 = 0; i0 < m; i0 += SWEEP_ROWS) {
        const int64_t k_end = m - i0 < SWEEP_ROWS ? m - i0 : SWEEP_ROWS;
        const double *x0 = X + i0 * p;
        double q[SWEEP_ROWS] = {0.0, 0.0, 0.0, 0.0}, z[SWEEP_ROWS];
        if (k_end == SWEEP_ROWS && p >= SWEEP_LONG_ROW) {
            dot4(x0, d, p, z);
        } else {
            for (int64_t k = 0; k < k_end; k++) z[k] = dot(x0 + k * p, d, p);
        }
        for (int64_t k = 0; k < k_end; k++) {
            const int64_t i = i0 + k;
            const double ri = y[i] - base - z[k];
            q[k] = w[i] * ri;
            rr += q[k] * ri;
            qs += q[k];
            qy += q[k] * y[i];
            if (r != NULL) r[i] = ri;
        }
        if (k_end < SWEEP_ROWS) {
            for (int64_t k = 0; k < k_end; k++) {
                const double *x = x0 + k * p, qk = q[k];
                const vec qv = {qk, qk, qk, qk, qk, qk, qk, qk};
                int64_t j = 0;
                for (; j < pv; j += LANES) store(g + j, load(g + j) + qv * load(x + j));
                for (; j < p; j++) g[j] += qk * x[j];
            }
            break;
        }
        const double *x1 = x0 + p, *x2 = x1 + p, *x3 = x2 + p;
        const vec q0 = {q[0], q[0], q[0], q[0], q[0], q[0], q[0], q[0]};
        const vec q1 = {q[1], q[1], q[1], q[1], q[1], q[1], q[1], q[1]};
        const vec q2 = {q[2], q[2], q[2], q[2], q[2], q[2], q[2], q[2]};
        const vec q3 = {q[3], q[3], q[3], q[3], q[3], q[3], q[3], q[3]};
        int64_t j = 0;
        for (; j < pv; j += LANES) {
            store(g + j, load(g + j) + ((q0 * load(x0 + j) + q1 * load(x1 + j)) +
                                        (q2 * load(x2 + j) + q3 * load(x3 + j))));
        }
        for (; j < p; j++) g[j] += (q[0] * x0[j] + q[1] * x1[j]) + (q[2] * x2[j] + q[3] * x3[j]);
    }
    sums[0] += rr;
    sums[1] += qs;
    sums[2] += qy;
}

void lariat_sweep_dense(const double *X, int64_t m, int64_t p, const double *d, double base, const double *y,
                        const double *w, double *r, double *g, double sums[3])
{
    sweep_dense(X, m, p, d, base, y, w, r, g, sums);
}
