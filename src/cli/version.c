/*
** `lariat --version`: the version, then what this binary was built with and
** runs on, one "name: value" line each, as ompi_info does. Each library is
** asked at run time where it can say (MPI_Get_library_version,
** openblas_get_config, LAPACK's ilaver, H5get_libversion, cJSON_Version),
** since a shared library may have been updated since the build. ScaLAPACK's
** own PILAVER still says 2.0.2 in ScaLAPACK 2.2, so its version is the one
** pkg-config gave when lariat was configured (LARIAT_SCALAPACK_VERSION).
*/
#include "cli/version.h"
#include "lariat.h"

#include <cjson/cJSON.h>
#include <hdf5.h>
#include <mpi.h>
#include <stdio.h>
#include <string.h>

#ifndef LARIAT_BUILD_TYPE
#define LARIAT_BUILD_TYPE "unknown"
#endif
#ifndef LARIAT_SCALAPACK_VERSION
#define LARIAT_SCALAPACK_VERSION "unknown"
#endif

/* OpenBLAS's description of itself (version, kernels, threads). Weak, so
** that a BLAS which is not OpenBLAS (Debian's alternatives can swap
** libblas.so.3 under the binary) leaves it NULL instead of failing to load. */
extern char *openblas_get_config(void) __attribute__((weak));

/* LAPACK's version (LAPACK 3.1 and later; OpenBLAS carries one). */
extern void ilaver_(int *major, int *minor, int *patch);

/* s up to its first line break, without leading blanks. */
static void print_line(FILE *f, const char *key, const char *s)
{
    while (*s == ' ') s++;
    size_t n = strcspn(s, "\r\n");
    while (n > 0 && s[n - 1] == ' ') n--;
    fprintf(f, "  %-10s %.*s\n", key, (int)n, s);
}

void lc_print_version(FILE *f)
{
    fprintf(f, "lariat %s\n", LARIAT_VERSION);
#if defined(__clang__)
    fprintf(f, "  %-10s clang %s (%s)\n", "compiler:", __clang_version__, LARIAT_BUILD_TYPE);
#elif defined(__GNUC__)
    fprintf(f, "  %-10s gcc %s (%s)\n", "compiler:", __VERSION__, LARIAT_BUILD_TYPE);
#else
    fprintf(f, "  %-10s unknown (%s)\n", "compiler:", LARIAT_BUILD_TYPE);
#endif

    char mpi[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0, major = 0, minor = 0;
    if (MPI_Get_library_version(mpi, &len) != MPI_SUCCESS) snprintf(mpi, sizeof(mpi), "unknown");
    MPI_Get_version(&major, &minor);
    char line[MPI_MAX_LIBRARY_VERSION_STRING + 32];
    snprintf(line, sizeof(line), "%.*s (MPI %d.%d)", (int)strcspn(mpi, "\r\n"), mpi, major, minor);
    print_line(f, "MPI:", line);

    print_line(f, "BLAS:", openblas_get_config != NULL ? openblas_get_config() : "not OpenBLAS (no openblas_get_config)");

    int lmaj = 0, lmin = 0, lpatch = 0;
    ilaver_(&lmaj, &lmin, &lpatch);
    fprintf(f, "  %-10s %d.%d.%d\n", "LAPACK:", lmaj, lmin, lpatch);
    fprintf(f, "  %-10s %s\n", "ScaLAPACK:", LARIAT_SCALAPACK_VERSION);

    unsigned hmaj = 0, hmin = 0, hrel = 0;
    H5get_libversion(&hmaj, &hmin, &hrel);
#ifdef H5_HAVE_PARALLEL
    const char *parallel = "parallel";
#else
    const char *parallel = "serial";
#endif
    fprintf(f, "  %-10s %u.%u.%u (%s)\n", "HDF5:", hmaj, hmin, hrel, parallel);
    fprintf(f, "  %-10s %s\n", "cJSON:", cJSON_Version());
}
