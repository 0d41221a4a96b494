/*
** Internal construction of the distributed dataset, for readers and
** generators (the public part is in lariat.h).
*/
#ifndef LARIAT_DATASET_H
#define LARIAT_DATASET_H

#include "lariat.h"

/* Not collective. A dataset with n_local rows of p features: y and w
** allocated (w all 1), names x1..xp, X not yet set, n and row0 not yet set. */
int lariat_data_alloc(lariat_ctx *ctx, int64_t n_local, int64_t p, lariat_data **out);

/* Collective. Sets d->row0 (exclusive prefix sum of n_local in rank order)
** and d->n (the sum). */
int lariat_data_set_global_rows(lariat_ctx *ctx, lariat_data *d);

#endif /* LARIAT_DATASET_H */
