/*
** What `lariat --version` prints.
*/
#ifndef LARIAT_CLI_VERSION_H
#define LARIAT_CLI_VERSION_H

#include <stdio.h>

/* Not collective (MPI must be initialized). Writes "lariat VERSION", then
** one "  name: value" line for the compiler and each library lariat was
** built with: MPI, BLAS, LAPACK, ScaLAPACK, HDF5, cJSON. */
void lc_print_version(FILE *f);

#endif /* LARIAT_CLI_VERSION_H */
