/*
** The binomial family's row loops on SIMD exponentials and logarithms
** (glibc's libmvec: _ZGVdN4v_exp, _ZGVdN4v_log1p and _ZGVdN4v_log, four rows
** at a time with AVX2 and FMA), for the lockstep cross-validation
** (solvers/glm_batch.c), where these loops were a third of the time.
**
** libmvec's functions are within 4 ulp, not correctly rounded, and the sums
** run in four lanes: the results equal the scalar loops' (family.c) to
** round-off, not bit for bit. The Newton solvers use them (the table
** lariat_family_binomial_simd, family.h: the lockstep engine's CV models
** and binomial fit on dense rows, and glm_newton.c's binomial fits);
** fista and admm keep the scalar loops. A row is
** evaluated in the same lane wherever its tile lives, so the solvers'
** results are still the same at any rank count and across checkpoints.
**
** Each function does the vector work when the build found libmvec
** (LARIAT_HAVE_LIBMVEC; its AVX-512 variants: LARIAT_HAVE_LIBMVEC_AVX512)
** and the CPU running it has AVX2 and FMA, or AVX-512 (lariat_simd_width),
** and otherwise returns 0 without touching its outputs: the caller then
** runs its scalar loop.
*/
#ifndef LARIAT_FAMILY_SIMD_H
#define LARIAT_FAMILY_SIMD_H

#include <stdint.h>

/* Not collective. 1 when the vector loops below run on this CPU, else 0. */
int lariat_simd_available(void);

/* Not collective. The lanes the loops below use on this CPU: 8 (AVX-512), 4
** (AVX2 and FMA) or 0 (none: the callers run their scalar loops). */
int lariat_simd_width(void);

/* Not collective, for tests: the loops use at most width lanes from now on
** (8, 4 or 0; the CPU's widest for a width beyond it or negative); returns
** the width in use. Not thread-safe, as nothing here needs to be. */
int lariat_simd_set_width(int width);

/* Not collective. As family.h's eval for the binomial family (K = 1; mu, R
** and V each optional, floor the IRLS weights' floor): the loss
** sum_i w_i (log(1 + exp(eta_i)) - y_i eta_i) into *loss. Returns 1, or 0
** (nothing written) when the vector loop is not available. */
int lariat_binomial_eval_simd(int64_t n, const double *eta, const double *Y, const double *w, double *mu, double *R,
                              double *V, double floor, double *loss);

/* Not collective. As family.h's conj for the binomial family: into *out,
** sum_i w_i (t_i log t_i + (1 - t_i) log(1 - t_i)) with
** t_i = y_i + kappa (mu_i - delta - y_i), over the rows with w_i != 0, and
** +INFINITY when such a t_i is outside [0, 1]. Returns 1, or 0 (nothing
** written) when the vector loop is not available. */
int lariat_binomial_conj_simd(int64_t n, const double *mu, const double *Y, const double *w, double delta,
                              double kappa, double *out);

#endif /* LARIAT_FAMILY_SIMD_H */
