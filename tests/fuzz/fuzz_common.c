/*
** The libFuzzer targets' shared set-up (see fuzz_common.h).
*/
#include "fuzz_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static lariat_ctx *ctx;
static char path[4096];
static int fd = -1;

/* At exit: the scratch file goes, and MPI ends cleanly (Open MPI complains
** about a process that exits without MPI_Finalize). */
static void finish(void)
{
    if (fd >= 0) {
        close(fd);
        unlink(path);
    }
    lariat_ctx_destroy(ctx);
    MPI_Finalize();
}

/* AddressSanitizer's built-in options: no leak check at exit, where Open
** MPI's allocations made once by MPI_Init would be reported (its unloaded
** components leave no names to suppress them by). libFuzzer still checks
** every input that allocates more than it frees. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "leak_check_at_exit=0"; }

int lf_init(int *argc, char ***argv)
{
    if (MPI_Init(argc, argv) != MPI_SUCCESS) {
        fprintf(stderr, "fuzz: MPI_Init failed\n");
        exit(1);
    }
    if (lariat_ctx_create(MPI_COMM_SELF, &ctx) != LARIAT_OK) {
        fprintf(stderr, "fuzz: cannot create a context\n");
        exit(1);
    }
    lariat_ctx_set_verbosity(ctx, LARIAT_LOG_QUIET);
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof(path), "%s/lariat-fuzz-XXXXXX", dir != NULL ? dir : "/tmp");
    fd = mkstemp(path);
    if (fd < 0) {
        perror("fuzz: mkstemp");
        exit(1);
    }
    atexit(finish);
    return 0;
}

lariat_ctx *lf_ctx(void) { return ctx; }
const char *lf_path(void) { return path; }

int lf_write(const uint8_t *data, size_t size)
{
    if (ftruncate(fd, 0) != 0) return -1;
    size_t done = 0;
    while (done < size) {
        ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);
        if (n <= 0) return -1;
        done += (size_t)n;
    }
    return 0;
}
