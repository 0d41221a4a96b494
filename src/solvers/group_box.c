/*
** The grouped penalty on a box (group_box.h).
**
** Both problems are one: maximize u'c - A ||c||^2 / 2 - B ||c|| over the
** box (the prox is that with u = z / t, A = 1/t + q, B = tau, after
** dropping constants). Writing B ||c|| = min over r > 0 of
** B (||c||^2 / r + r) / 2 makes it separable in c for fixed r, and a
** concave quadratic of one variable is maximized over an interval at its
** clipped stationary point, so the solution is
**   c(r) = clip(u r / (A r + B), lo, hi)   with   r = ||c(r)||
** (the variational form of the norm; Bach, Jenatton, Mairal and Obozinski
** 2012, "Optimization with sparsity-inducing penalties", section 5.2).
** Each c_k(r) / r = clip(u_k / (A r + B), lo / r, hi / r) shrinks in
** magnitude as r grows, so ||c(r)|| / r falls and crosses 1 at most once:
**   - at r -> 0 it tends to ||T(u)|| / B, T keeping the u_k that point
**     into the box from 0 (all of them unless a bound is 0): at most 1
**     means c = 0, the block soft-threshold's test;
**   - at r -> inf it tends to ||P(u)|| / B, P keeping the u_k along the
**     box's unbounded directions; with A > 0 it is 0, with A = 0 (the
**     lasso's conjugate) a value of 1 or more means the supremum is
**     approached as ||c|| -> inf.
** Between, the root is found by Newton's method on ||c(r)||^2 / r^2 - 1
** (decreasing, smooth between the r at which a coordinate reaches its
** bound), kept inside a bracket by bisection. Without bounds it is the
** block soft-threshold (Yuan and Lin 2006).
*/
#include "solvers/group_box.h"

#include <float.h>
#include <math.h>

static double clip(double v, double lo, double hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* ||c(r)||^2 / r^2 - 1 and its derivative in r. A coordinate at a bound b
** adds b^2 / r^2; a free one u_k^2 / (A r + B)^2. */
static double excess(int K, const double *u, double A, double B, double lo, double hi, double r, double *deriv)
{
    const double D = A * r + B, blo = lo / r, bhi = hi / r;
    double s = 0.0, ds = 0.0;
    for (int k = 0; k < K; k++) {
        const double v = u[k] / D;
        if (v > bhi) {
            s += bhi * bhi;
            ds -= 2.0 * bhi * bhi / r;
        } else if (v < blo) {
            s += blo * blo;
            ds -= 2.0 * blo * blo / r;
        } else {
            s += v * v;
            ds -= 2.0 * A * v * v / D;
        }
    }
    *deriv = ds;
    return s - 1.0;
}

/* The root of excess in (rl, ru), excess(rl) > 0 >= excess(ru); ru may be
** INFINITY (A = 0), then found by doubling from 1. */
static double root(int K, const double *u, double A, double B, double lo, double hi, double rl, double ru)
{
    double d, r = isinf(ru) ? 1.0 : ru;
    while (isinf(ru)) {
        if (excess(K, u, A, B, lo, hi, r, &d) <= 0.0) {
            ru = r;
        } else {
            rl = r;
            r *= 2.0;
            if (isinf(r)) return r;
        }
    }
    /* Newton's method: excess is convex and decreasing on each smooth
    ** piece, so after the first step the iterates approach the root from
    ** the left; a step leaving the bracket bisects it instead (200 steps of
    ** bisection alone would resolve any double). */
    for (int it = 0; it < 200; it++) {
        const double f = excess(K, u, A, B, lo, hi, r, &d);
        if (f == 0.0) return r;
        if (f > 0.0) rl = r; else ru = r;
        double rn = d < 0.0 ? r - f / d : NAN;
        if (!(rn > rl && rn < ru)) rn = 0.5 * (rl + ru);
        if (fabs(rn - r) <= 2.0 * DBL_EPSILON * r || !(ru - rl > 2.0 * DBL_EPSILON * ru)) return rn;
        r = rn;
    }
    return r;
}

/* ||T(u)||: the components that point into the box from c = 0. */
static double inward_norm(int K, const double *u, double lo, double hi)
{
    double s = 0.0;
    for (int k = 0; k < K; k++) {
        if ((u[k] > 0.0 && hi > 0.0) || (u[k] < 0.0 && lo < 0.0)) s += u[k] * u[k];
    }
    return sqrt(s);
}

void lariat_group_box_prox(int K, const double *z, double t, double q, double tau, double lo, double hi,
                           double *out)
{
    /* With u = z / t: c(r) = clip(z r / ((1 + t q) r + t tau)), the ratio's
    ** numerator and denominator multiplied by t. */
    const double A = 1.0 + t * q, B = t * tau;
    double nz = 0.0;
    for (int k = 0; k < K; k++) nz += z[k] * z[k];
    nz = sqrt(nz);
    if (inward_norm(K, z, lo, hi) <= B) {
        for (int k = 0; k < K; k++) out[k] = 0.0;
        return;
    }
    /* The root is at most the unbounded one, (||z|| - B) / A, where the
    ** clipping can only have lowered ||c(r)||. */
    const double r = root(K, z, A, B, lo, hi, 0.0, (nz - B) / A);
    for (int k = 0; k < K; k++) out[k] = clip(z[k] * r / (A * r + B), lo, hi);
}

double lariat_group_box_conj(int K, const double *u, double q, double tau, double lo, double hi)
{
    if (inward_norm(K, u, lo, hi) <= tau) return 0.0;
    if (q > 0.0) {
        double nu = 0.0;
        for (int k = 0; k < K; k++) nu += u[k] * u[k];
        const double r = root(K, u, q, tau, lo, hi, 0.0, (sqrt(nu) - tau) / q);
        double uc = 0.0, cc = 0.0;
        for (int k = 0; k < K; k++) {
            const double c = clip(u[k] * r / (q * r + tau), lo, hi);
            uc += u[k] * c;
            cc += c * c;
        }
        return uc - 0.5 * q * cc - tau * sqrt(cc);
    }
    /* q = 0. The bounded directions' best, sum_k max(u_k lo, u_k hi) over
    ** the coordinates that stay finite as ||c|| -> inf. */
    double rec = 0.0, lim = 0.0;
    for (int k = 0; k < K; k++) {
        if ((u[k] > 0.0 && isinf(hi)) || (u[k] < 0.0 && isinf(lo))) {
            rec += u[k] * u[k];
        } else if (u[k] != 0.0) {
            lim += u[k] * (u[k] > 0.0 ? hi : lo);
        }
    }
    rec = sqrt(rec);
    /* ||P(u)|| = tau up to the rounding of kappa: the supremum is the
    ** limit, approached along the unbounded directions (u_P'c_P and
    ** tau ||c|| cancel to first order). */
    if (rec > tau * (1.0 + 1e-12)) return INFINITY;
    if (rec >= tau * (1.0 - 1e-13)) return lim;
    const double r = root(K, u, 0.0, tau, lo, hi, 0.0, INFINITY);
    if (isinf(r)) return lim;
    /* At the root, the free coordinates c_k = u_k r / tau and
    ** r^2 = sum_free c_k^2 + sum_clipped b_k^2 give
    ** u'c - tau r = sum_clipped u_k b_k - tau sum_clipped b_k^2 / r,
    ** free of the cancellation of two terms of size tau r. */
    double ub = 0.0, bb = 0.0;
    for (int k = 0; k < K; k++) {
        const double v = u[k] * r / tau;
        if (v > hi || v < lo) {
            const double b = v > hi ? hi : lo;
            ub += u[k] * b;
            bb += b * b;
        }
    }
    return ub - tau * bb / r;
}
