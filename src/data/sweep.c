/*
** The fused residual-gradient sweep over dense rows, hand-blocked so that X
** streams from memory once at close to the machine's bandwidth.
**
** For each group of SWEEP_ROWS rows: the dot products z_i = x_i'd (eight
** independent vector chains, d loaded once per group), then r_i = y_i - base -
** z_i and q_i = w_i r_i, then g += sum_i q_i x_i (g loaded and stored once per
** group, the rows read again from L1/L2). Each entry of X costs two
** multiply-adds and one load from memory; OpenBLAS's DGEMV pair on the same
** blocks ran at about half of one core's read bandwidth (README
** "Performance"), the two calls per block each paying their set-up.
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

SWEEP_CLONES
void lariat_sweep_dense(const double *X, int64_t m, int64_t p, const double *d, double base, const double *y,
                        const double *w, double *r, double *g, double sums[3])
{
    const int64_t pv = p - p % LANES;
    double rr = 0.0, qs = 0.0, qy = 0.0;
    int64_t i = 0;
    for (; i + SWEEP_ROWS <= m; i += SWEEP_ROWS) {
        const double *x0 = X + i * p, *x1 = x0 + p, *x2 = x1 + p, *x3 = x2 + p;
        /* Two chains per row: the adds of one chain wait on each other. */
        vec a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, b0 = {0}, b1 = {0}, b2 = {0}, b3 = {0};
        int64_t j = 0;
        for (; j + 2 * LANES <= pv; j += 2 * LANES) {
            const vec dj = load(d + j), dk = load(d + j + LANES);
            a0 += load(x0 + j) * dj;
            a1 += load(x1 + j) * dj;
            a2 += load(x2 + j) * dj;
            a3 += load(x3 + j) * dj;
            b0 += load(x0 + j + LANES) * dk;
            b1 += load(x1 + j + LANES) * dk;
            b2 += load(x2 + j + LANES) * dk;
            b3 += load(x3 + j + LANES) * dk;
        }
        for (; j < pv; j += LANES) {
            const vec dj = load(d + j);
            a0 += load(x0 + j) * dj;
            a1 += load(x1 + j) * dj;
            a2 += load(x2 + j) * dj;
            a3 += load(x3 + j) * dj;
        }
        double z[SWEEP_ROWS] = {hsum(a0 + b0), hsum(a1 + b1), hsum(a2 + b2), hsum(a3 + b3)};
        for (; j < p; j++) {
            z[0] += x0[j] * d[j];
            z[1] += x1[j] * d[j];
            z[2] += x2[j] * d[j];
            z[3] += x3[j] * d[j];
        }
        double q[SWEEP_ROWS];
        for (int k = 0; k < SWEEP_ROWS; k++) {
            const double ri = y[i + k] - base - z[k];
            q[k] = w[i + k] * ri;
            rr += q[k] * ri;
            qs += q[k];
            qy += q[k] * y[i + k];
            if (r != NULL) r[i + k] = ri;
        }
        const vec q0 = {q[0], q[0], q[0], q[0], q[0], q[0], q[0], q[0]};
        const vec q1 = {q[1], q[1], q[1], q[1], q[1], q[1], q[1], q[1]};
        const vec q2 = {q[2], q[2], q[2], q[2], q[2], q[2], q[2], q[2]};
        const vec q3 = {q[3], q[3], q[3], q[3], q[3], q[3], q[3], q[3]};
        for (j = 0; j < pv; j += LANES) {
            store(g + j, load(g + j) + ((q0 * load(x0 + j) + q1 * load(x1 + j)) +
                                        (q2 * load(x2 + j) + q3 * load(x3 + j))));
        }
        for (; j < p; j++) g[j] += (q[0] * x0[j] + q[1] * x1[j]) + (q[2] * x2[j] + q[3] * x3[j]);
    }
    for (; i < m; i++) {
        const double *x = X + i * p;
        vec a = {0};
        int64_t j = 0;
        for (; j < pv; j += LANES) a += load(x + j) * load(d + j);
        double z = hsum(a);
        for (; j < p; j++) z += x[j] * d[j];
        const double ri = y[i] - base - z, qi = w[i] * ri;
        rr += qi * ri;
        qs += qi;
        qy += qi * y[i];
        if (r != NULL) r[i] = ri;
        const vec qv = {qi, qi, qi, qi, qi, qi, qi, qi};
        for (j = 0; j < pv; j += LANES) store(g + j, load(g + j) + qv * load(x + j));
        for (; j < p; j++) g[j] += qi * x[j];
    }
    sums[0] += rr;
    sums[1] += qs;
    sums[2] += qy;
}
