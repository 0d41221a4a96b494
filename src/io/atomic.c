/*
** Atomic file output: write a temporary in the destination's folder, sync it,
** rename it over the destination (SPEC.md section 8: no partial output file
** is left behind on failure).
*/
#include "io/atomic.h"

#include "core/core.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static const char tmp_suffix[] = ".tmp.XXXXXX";

/* Not collective. Frees the names and empties w (the file is already closed). */
static void release(lariat_atomic_file *w)
{
    free(w->path);
    free(w->tmp);
    w->path = w->tmp = NULL;
    w->fp = NULL;
    w->fd = -1;
}

int lariat_atomic_open(lariat_ctx *ctx, const char *path, lariat_atomic_file *w)
{
    w->fp = NULL;
    w->fd = -1;
    w->path = strdup(path);
    w->tmp = lariat_malloc(ctx, strlen(path) + sizeof(tmp_suffix), 1, "a temporary file name");
    if (w->path == NULL || w->tmp == NULL) {
        release(w);
        return lariat_error(ctx, LARIAT_ENOMEM, "out of memory naming a temporary for '%s'", path);
    }
    strcpy(w->tmp, path);
    strcat(w->tmp, tmp_suffix);
    int fd = mkstemp(w->tmp);
    if (fd < 0) {
        int err = errno;
        release(w);
        return lariat_error(ctx, LARIAT_EIO, "cannot create '%s': %s", path, strerror(err));
    }
    /* mkstemp creates the file 0600; a plain fopen would give 0666 minus the
    ** umask, which is what users expect of an output file. umask can only be
    ** read by setting it, so it is set back at once. A file system that
    ** refuses fchmod (some network mounts) keeps 0600, which is harmless. */
    mode_t mask = umask(0);
    umask(mask);
    (void)fchmod(fd, (mode_t)(0666 & ~mask));
    w->fp = fdopen(fd, "wb");
    if (w->fp == NULL) {
        int err = errno;
        close(fd);
        unlink(w->tmp);
        release(w);
        return lariat_error(ctx, LARIAT_EIO, "cannot write '%s': %s", path, strerror(err));
    }
    w->fd = fd;
    return LARIAT_OK;
}

/* Not collective. Makes the rename durable: fsync of the folder holding path.
** Best effort: some file systems refuse to open or sync a folder, and the
** rename itself has already succeeded. */
static void sync_folder(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = NULL;
    if (slash == NULL) {
        dir = strdup(".");
    } else if (slash == path) {
        dir = strdup("/");
    } else {
        dir = strndup(path, (size_t)(slash - path));
    }
    if (dir == NULL) return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

int lariat_atomic_commit(lariat_ctx *ctx, lariat_atomic_file *w)
{
    if (w->tmp == NULL) return lariat_error(ctx, LARIAT_EIO, "commit of a file that is not open");
    int rc = LARIAT_OK;
    /* fflush reports the error of the last buffered bytes (errno set);
    ** ferror remembers one from any earlier write. */
    if (fflush(w->fp) != 0) {
        rc = lariat_error(ctx, LARIAT_EIO, "cannot write '%s': %s", w->path, strerror(errno));
    } else if (ferror(w->fp)) {
        rc = lariat_error(ctx, LARIAT_EIO, "cannot write '%s': write error", w->path);
    } else if (fsync(w->fd) != 0) {
        rc = lariat_error(ctx, LARIAT_EIO, "cannot write '%s': fsync: %s", w->path, strerror(errno));
    }
    /* fclose can report a deferred error (network file systems report at close). */
    if (fclose(w->fp) != 0 && rc == LARIAT_OK) {
        rc = lariat_error(ctx, LARIAT_EIO, "cannot write '%s': %s", w->path, strerror(errno));
    }
    w->fp = NULL;
    w->fd = -1;
    if (rc == LARIAT_OK && rename(w->tmp, w->path) != 0) {
        rc = lariat_error(ctx, LARIAT_EIO, "cannot write '%s': rename: %s", w->path, strerror(errno));
    }
    if (rc == LARIAT_OK) {
        sync_folder(w->path);
    } else {
        unlink(w->tmp);
    }
    release(w);
    return rc;
}

void lariat_atomic_abort(lariat_atomic_file *w)
{
    if (w->fp != NULL) fclose(w->fp);
    if (w->tmp != NULL) unlink(w->tmp);
    release(w);
}

int lariat_pwrite_all(lariat_ctx *ctx, int fd, const void *buf, size_t len, int64_t offset, const char *what)
{
    const char *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t n = pwrite(fd, p + done, len - done, (off_t)(offset + (int64_t)done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            /* A zero-byte write makes no progress: treat it as a full device. */
            const char *why = n < 0 ? strerror(errno) : strerror(ENOSPC);
            return lariat_error(ctx, LARIAT_EIO, "cannot write '%s': %s", what, why);
        }
        done += (size_t)n;
    }
    return LARIAT_OK;
}
