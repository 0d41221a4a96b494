/*
** Fold assignment for cross-validation (SPEC.md section 3): fold(i) in 1..K
** for global row i is a function of (seed, n, K, i) only, balanced (fold
** sizes differ by at most one), and computed row by row without a global
** permutation on any rank.
*/
#ifndef LARIAT_FOLDS_H
#define LARIAT_FOLDS_H

#include "lariat.h"

#include <stdint.h>

/* Not collective. A keyed pseudo-random permutation of [0, n) evaluated at i
** (a 4-round Feistel network on the smallest even-bit domain >= n, with
** cycle walking: Black & Rogaway 2002, "Ciphers with arbitrary finite domains"). */
int64_t lariat_permute(uint64_t seed, int64_t n, int64_t i);

/* lariat_fold_of (lariat.h) is permute(i) mod K + 1: since the permutation is
** a bijection, every fold gets floor(n/K) or ceil(n/K) rows. */

#endif /* LARIAT_FOLDS_H */
