/*
** Counter-based randomness: every draw is a pure function of (seed, stream,
** global row index, slot), so results never depend on how rows landed on
** ranks (STYLE.md: no rand()). The mixer is SplitMix64's finalizer
** (Steele, Lea and Flood 2014), applied to a combined counter.
*/
#ifndef LARIAT_RNG_H
#define LARIAT_RNG_H

#include <math.h>
#include <stdint.h>

/* Streams keep the users of one seed apart. */
enum { LARIAT_STREAM_GEN_X = 1, LARIAT_STREAM_GEN_NOISE, LARIAT_STREAM_GEN_COEF, LARIAT_STREAM_GEN_SPARSE,
       LARIAT_STREAM_TEST_SPLIT, LARIAT_STREAM_FOLDS };

static inline uint64_t lariat_mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A 64-bit hash of (seed, stream, index, slot). */
static inline uint64_t lariat_hash(uint64_t seed, uint64_t stream, uint64_t index, uint64_t slot)
{
    uint64_t h = lariat_mix64(seed ^ lariat_mix64(stream));
    h = lariat_mix64(h ^ index);
    return lariat_mix64(h ^ slot);
}

/* Uniform in (0, 1): 53 random bits, never 0 or 1. */
static inline double lariat_uniform(uint64_t seed, uint64_t stream, uint64_t index, uint64_t slot)
{
    return ((double)(lariat_hash(seed, stream, index, slot) >> 11) + 0.5) * 0x1.0p-53;
}

/* Standard normal by Box-Muller from two uniforms of neighbouring slots
** (slots 2k and 2k+1 give the k-th normal). */
static inline double lariat_normal(uint64_t seed, uint64_t stream, uint64_t index, uint64_t k)
{
    double u1 = lariat_uniform(seed, stream, index, 2 * k);
    double u2 = lariat_uniform(seed, stream, index, 2 * k + 1);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

#endif /* LARIAT_RNG_H */
