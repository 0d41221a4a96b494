/*
** Read-only views of file bytes that are already in the page cache.
**
** The HDF5 reader's rows of /X, when they lie in the file as one block of
** native doubles, are used where the kernel keeps them instead of being
** copied into memory of the process. A copy is not free here: the pages it
** fills must first be found and zeroed by the kernel, one fault each, and
** on a virtual machine whose hypervisor sees every fault that is most of a
** load (docs/performance.md, "Loading"). A mapping of pages that are in the
** page cache takes no copy and, populated at once, no fault per page.
**
** Only resident bytes are mapped (at least 7 pages in 8; the populate reads
** in the rest): a file that must come from a disk or a parallel file system
** is read better by large preads (with read-ahead) than by faults a page at a
** time, so for those the caller reads as before.
** Residency is asked of mincore(2), which since Linux 5.0 reports a file's
** page cache only to a process that owns the file or may write it; for
** other files it reports only pages mapped already, the answer is "not
** resident", and the caller reads. Either way the bytes are the same.
**
** A mapping is private and read-only: a write through it faults, which is
** how code that forgets it is found. If the file is truncated while mapped,
** a read beyond its new end raises SIGBUS; lariat never changes its inputs,
** and a user who rewrites an input while a job reads it loses either way.
*/
#ifndef LARIAT_FILEMAP_H
#define LARIAT_FILEMAP_H

#include <stddef.h>
#include <sys/types.h>

/* What to unmap: the page-aligned mapping that holds the bytes asked for. */
typedef struct lariat_file_map {
    void *base;
    size_t len;
} lariat_file_map;

/* Not collective. Maps bytes [offset, offset + bytes) of the open file fd
** read-only, when bytes > 0 and (nearly) every page of them is in the page
** cache, and populates the mapping's page tables. Returns a pointer to the byte at
** offset and fills *map; returns NULL otherwise (nothing mapped, *map zeroed,
** errno left as the failing call set it): read the bytes instead. */
const void *lariat_file_map_cached(int fd, off_t offset, size_t bytes, lariat_file_map *map);

/* Not collective. Unmaps what lariat_file_map_cached mapped; a zeroed map
** is a no-op. */
void lariat_file_unmap(lariat_file_map *map);

#endif /* LARIAT_FILEMAP_H */
