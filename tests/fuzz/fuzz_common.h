/*
** What the libFuzzer targets share: MPI started once (on a single process:
** the targets use MPI_COMM_SELF), a quiet context, and a scratch file that
** each input is written to, since the readers read files (each rank its own
** byte range), exactly as lariat does.
*/
#ifndef LARIAT_FUZZ_COMMON_H
#define LARIAT_FUZZ_COMMON_H

#include "lariat.h"

#include <stddef.h>
#include <stdint.h>

/* Not collective. Starts MPI and makes the context and the scratch file
** (in $TMPDIR or /tmp, removed at exit). Returns 0, or exits the process
** when something that every input needs cannot be made. */
int lf_init(int *argc, char ***argv);

/* Not collective. The context (quiet) and the scratch file's name. */
lariat_ctx *lf_ctx(void);
const char *lf_path(void);

/* Not collective. Replaces the scratch file's contents with data[0, size);
** returns 0 on success. */
int lf_write(const uint8_t *data, size_t size);

#endif /* LARIAT_FUZZ_COMMON_H */
