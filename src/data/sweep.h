/*
** The fused residual-gradient sweep's kernel for dense row-major rows
** (used by lariat_matrix_resid_grad).
*/
#ifndef LARIAT_DATA_SWEEP_H
#define LARIAT_DATA_SWEEP_H

#include <stdint.h>

/* Not collective. For the m rows x_i of the row-major m x p block X:
** r_i = y_i - base - x_i'd (stored when r is not NULL), q_i = w_i r_i,
** g += sum_i q_i x_i, and sums += {sum q_i r_i, sum q_i, sum q_i y_i}.
** X is read from memory once. */
void lariat_sweep_dense(const double *X, int64_t m, int64_t p, const double *d, double base, const double *y,
                        const double *w, double *r, double *g, double sums[3]);

#endif
