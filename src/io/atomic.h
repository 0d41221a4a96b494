/*
** Atomic file output for one rank: the bytes go to a temporary file in the
** destination's folder, which is renamed over the destination only once
** everything was written and synced, so a failure never leaves a partial
** file behind (SPEC.md section 8). rename(2) within one folder is atomic on
** POSIX file systems: a reader sees the old file or the whole new one.
**
** Usage:
**     lariat_atomic_file w;
**     rc = lariat_atomic_open(ctx, path, &w);
**     ... write to w.fp (or pwrite to w.fd from any rank, see gen.c) ...
**     rc = ok ? lariat_atomic_commit(ctx, &w) : (lariat_atomic_abort(&w), rc);
** After open succeeds, exactly one of commit or abort must be called; both
** release everything, whatever the outcome.
*/
#ifndef LARIAT_ATOMIC_H
#define LARIAT_ATOMIC_H

#include "lariat.h"

#include <stdio.h>

typedef struct lariat_atomic_file {
    FILE *fp;   /* the open temporary (NULL once closed) */
    int fd;     /* fileno(fp), for positioned writes; -1 once closed */
    char *path; /* the destination (a copy) */
    char *tmp;  /* the temporary's name: "PATH.tmp.XXXXXX" */
} lariat_atomic_file;

/* Not collective. Creates the temporary "PATH.tmp.XXXXXX" (mkstemp, so no
** other writer can collide with it) with the permissions a plain fopen would
** give (0666 minus the umask). On failure returns LARIAT_EIO (LARIAT_ENOMEM)
** with a message naming the path and strerror, and leaves nothing behind;
** w is then empty and needs no abort. */
int lariat_atomic_open(lariat_ctx *ctx, const char *path, lariat_atomic_file *w);

/* Not collective. Flushes, fsyncs and closes the temporary, renames it over
** the destination and fsyncs the folder. On any failure (including an earlier
** write error remembered by the stream) removes the temporary and returns
** LARIAT_EIO naming the path and strerror. Releases w in every case. */
int lariat_atomic_commit(lariat_ctx *ctx, lariat_atomic_file *w);

/* Not collective. Closes and removes the temporary; the destination is left
** as it was. Releases w. An empty (zeroed or failed-open) w is a no-op. */
void lariat_atomic_abort(lariat_atomic_file *w);

/* Not collective. Writes the whole of buf at offset of fd (retrying short
** writes and EINTR). Returns LARIAT_EIO naming what (a path) on failure. */
int lariat_pwrite_all(lariat_ctx *ctx, int fd, const void *buf, size_t len, int64_t offset, const char *what);

#endif /* LARIAT_ATOMIC_H */
