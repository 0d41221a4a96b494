/*
** Read-only views of file bytes that are already in the page cache (the
** why is in filemap.h).
*/
#define _GNU_SOURCE /* mincore and MADV_POPULATE_READ */
#include "core/filemap.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Pages asked of mincore per call: its answer vector stays on the stack. */
#define MINCORE_PAGES 4096

/* 1 when at least 7 in 8 pages of [addr, addr + len) (page-aligned) are in
** the page cache, by mincore's low bit. Not all: on the development machine
** the kernel drops a page here and there of a file that was read whole a
** moment before (one run in three missed one page of 19,532), and the few
** missing are read in by the populate that follows, as faults would. */
static int mostly_resident(void *addr, size_t len, size_t page)
{
    unsigned char vec[MINCORE_PAGES];
    size_t missing = 0;
    const size_t allowed = len / page / 8;
    for (size_t done = 0; done < len;) {
        size_t step = len - done < MINCORE_PAGES * page ? len - done : MINCORE_PAGES * page;
        if (mincore((char *)addr + done, step, vec) != 0) return 0;
        size_t pages = (step + page - 1) / page;
        for (size_t i = 0; i < pages; i++) missing += (vec[i] & 1) == 0;
        if (missing > allowed) return 0;
        done += step;
    }
    return 1;
}

const void *lariat_file_map_cached(int fd, off_t offset, size_t bytes, lariat_file_map *map)
{
    memset(map, 0, sizeof(*map));
    long pg = sysconf(_SC_PAGESIZE);
    if (bytes == 0 || offset < 0 || pg <= 0) return NULL;
    const size_t page = (size_t)pg;
    const off_t start = offset - offset % (off_t)page;
    const size_t lead = (size_t)(offset - start);
    if (bytes > SIZE_MAX - lead - page) return NULL;
    const size_t len = (lead + bytes + page - 1) / page * page;
    void *base = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, start);
    if (base == MAP_FAILED) return NULL;
    if (!mostly_resident(base, len, page)) {
        munmap(base, len);
        return NULL;
    }
#if defined(MADV_POPULATE_READ)
    /* Every page table entry in one call, instead of a fault per 64 KiB on
    ** first touch (fault-around): the NaN check that follows reads them all.
    ** Older kernels refuse the advice; the faults then do the same work. */
    (void)madvise(base, len, MADV_POPULATE_READ);
#endif
    map->base = base;
    map->len = len;
    return (const char *)base + lead;
}

void lariat_file_unmap(lariat_file_map *map)
{
    if (map->base != NULL) munmap(map->base, map->len);
    memset(map, 0, sizeof(*map));
}
