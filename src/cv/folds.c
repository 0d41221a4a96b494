#include "cv/folds.h"

#include "core/rng.h"

int64_t lariat_permute(uint64_t seed, int64_t n, int64_t i)
{
    if (n <= 1) return 0;
    /* Half-width h: the domain [0, 4^h) is the smallest power of four >= n,
    ** so cycle walking takes fewer than four steps on average. */
    int h = 1;
    while (((uint64_t)1 << (2 * h)) < (uint64_t)n) h++;
    const uint64_t mask = ((uint64_t)1 << h) - 1;
    uint64_t x = (uint64_t)i;
    do {
        uint64_t left = x >> h, right = x & mask;
        for (uint64_t round = 0; round < 4; round++) {
            uint64_t f = lariat_hash(seed, LARIAT_STREAM_FOLDS, right, round) & mask;
            uint64_t next = left ^ f;
            left = right;
            right = next;
        }
        x = (left << h) | right;
    } while (x >= (uint64_t)n);
    return (int64_t)x;
}

int lariat_fold_of(uint64_t seed, int64_t n, int K, int64_t i)
{
    return (int)(lariat_permute(seed, n, i) % K) + 1;
}
