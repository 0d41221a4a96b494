/*
** The MPI-aware CUnit main. Usage: lariat_tests [SUITE...] (none: all).
**
** CUnit's basic runner prints its summary on every rank even when silent, and
** CU_basic_run_tests() returns success when tests fail (PLATFORM.md): rank 0
** runs the basic runner, the others run silently and print only their own
** failures, and the exit status is the max over ranks of "any failure".
*/
#include "harness.h"

#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static lariat_ctx *shared_ctx;
static char tmpdir[256];

MPI_Comm lt_comm(void) { return MPI_COMM_WORLD; }

int lt_rank(void)
{
    int r;
    MPI_Comm_rank(lt_comm(), &r);
    return r;
}

int lt_size(void)
{
    int s;
    MPI_Comm_size(lt_comm(), &s);
    return s;
}

lariat_ctx *lt_ctx(void) { return shared_ctx; }

int lt_all(int cond)
{
    int local = cond ? 1 : 0, all = 0;
    MPI_Allreduce(&local, &all, 1, MPI_INT, MPI_LAND, lt_comm());
    return all;
}

const char *lt_tmpdir(void)
{
    if (tmpdir[0] == '\0') {
        if (lt_rank() == 0) {
            const char *base = getenv("TMPDIR");
            snprintf(tmpdir, sizeof(tmpdir), "%s/lariat-test-XXXXXX", base ? base : "/tmp");
            if (mkdtemp(tmpdir) == NULL) tmpdir[0] = '\0';
        }
        MPI_Bcast(tmpdir, sizeof(tmpdir), MPI_CHAR, 0, lt_comm());
    }
    return tmpdir;
}

const char *lt_path(const char *name)
{
    static char buf[8][512];
    static int next;
    char *out = buf[next++ % 8];
    snprintf(out, 512, "%s/%s", lt_tmpdir(), name);
    return out;
}

void lt_write_file(const char *path, const char *text)
{
    if (lt_rank() == 0) {
        FILE *f = fopen(path, "wb");
        if (f != NULL) {
            fputs(text, f);
            fclose(f);
        }
    }
    MPI_Barrier(lt_comm());
}

const char *lt_fixtures_dir(void) { return LARIAT_FIXTURES_DIR; }

double lt_rel_diff(const double *a, const double *b, int64_t n)
{
    double diff = 0.0, scale = 1.0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs(a[i] - b[i]);
        if (!(d <= diff)) diff = d; /* NaN propagates as a failure */
        if (fabs(b[i]) > scale) scale = fabs(b[i]);
    }
    return diff / scale;
}

static void remove_tmpdir(void)
{
    if (tmpdir[0] == '\0' || lt_rank() != 0) return;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
}

static const struct {
    const char *name;
    void (*add)(void);
} suites[] = {
#define LT_ROW(name) {#name, lt_register_##name},
    LT_SUITES(LT_ROW)
#undef LT_ROW
};

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank = lt_rank();
    if (lariat_ctx_create(lt_comm(), &shared_ctx) != LARIAT_OK) {
        fprintf(stderr, "cannot create a context\n");
        MPI_Abort(lt_comm(), 2);
    }
    lariat_ctx_set_verbosity(shared_ctx, LARIAT_LOG_QUIET);
    if (CU_initialize_registry() != CUE_SUCCESS) MPI_Abort(lt_comm(), 2);

    int unknown = 0;
    for (size_t k = 0; k < sizeof(suites) / sizeof(suites[0]); k++) {
        int wanted = (argc < 2);
        for (int a = 1; a < argc; a++) wanted |= (strcmp(argv[a], suites[k].name) == 0);
        if (wanted) suites[k].add();
    }
    for (int a = 1; a < argc; a++) {
        int found = 0;
        for (size_t k = 0; k < sizeof(suites) / sizeof(suites[0]); k++) found |= !strcmp(argv[a], suites[k].name);
        if (!found) {
            if (rank == 0) fprintf(stderr, "unknown suite '%s'\n", argv[a]);
            unknown = 1;
        }
    }

    if (rank == 0) {
        CU_basic_set_mode(CU_BRM_VERBOSE);
        CU_basic_run_tests();
    } else {
        CU_run_all_tests();
        for (CU_pFailureRecord f = CU_get_failure_list(); f != NULL; f = f->pNext) {
            fprintf(stderr, "rank %d: FAILED %s: %s:%u: %s\n", rank, f->pTest ? f->pTest->pName : "?",
                    f->strFileName ? f->strFileName : "?", f->uiLineNumber,
                    f->strCondition ? f->strCondition : "?");
        }
    }
    int failed = (CU_get_number_of_failures() > 0 || unknown || CU_get_error() != CUE_SUCCESS);
    int any_failed = 0;
    MPI_Allreduce(&failed, &any_failed, 1, MPI_INT, MPI_MAX, lt_comm());
    if (rank == 0 && any_failed && !failed) fprintf(stderr, "failures on other ranks (see above)\n");
    CU_cleanup_registry();
    MPI_Barrier(lt_comm());
    remove_tmpdir();
    lariat_ctx_destroy(shared_ctx);
    MPI_Finalize();
    return any_failed ? 1 : 0;
}
