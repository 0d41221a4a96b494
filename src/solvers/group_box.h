/*
** The grouped penalty on a box: the proximal map and the conjugate of
**   h(c) = q ||c||^2 / 2 + tau ||c||_2,   lo <= c_k <= hi (k = 1..K),
** the penalty of one feature's K coefficients under
** `--multinomial grouped` with bounds (SPEC.md section 9: the bounds
** hold for every b_jk, in the standardized coordinates c = s_j b_j, so one
** interval for all K). Not collective; no allocation.
*/
#ifndef LARIAT_SOLVERS_GROUP_BOX_H
#define LARIAT_SOLVERS_GROUP_BOX_H

/* argmin ||c - z||^2 / (2 t) + h(c) over the box, into out (K values);
** lo <= 0 <= hi (prep.c checks the bounds), tau > 0, t > 0, q >= 0. */
void lariat_group_box_prox(int K, const double *z, double t, double q, double tau, double lo, double hi,
                           double *out);

/* h*(u) = sup over the box of u'c - h(c): finite whenever q > 0 or the
** box is bounded; with q = 0 it is finite exactly when the part of u
** along the box's unbounded directions (u_k > 0 with hi = inf, u_k < 0
** with lo = -inf) has norm at most tau (the dual scaling kappa keeps it
** there), else INFINITY. */
double lariat_group_box_conj(int K, const double *u, double q, double tau, double lo, double hi);

#endif
