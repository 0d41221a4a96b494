/*
** The cross-entropy families against glmnet (tests/fixtures/glmnet_class_*,
** made by make_glmnet_class.R at thresh 1e-24): for every case and every
** solver, each solution's objective within 1e-8 of glmnet's optimum, the
** probabilities of the first rows within 1e-6, lambda_max as SPEC.md
** section 9 defines it, and a certified duality gap at every solution.
*/
#include "core/core.h"
#include "harness.h"
#include "solvers/glm.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OBJ_TOL 1e-8
#define PROB_TOL 1e-6
/* fista is held to the same answer on the first lambdas of each path only:
** far down the path it needs many thousands of passes on these data. */
#define FISTA_LAMBDAS 6
/* admm likewise, but further: its slowest lambdas (about 1000 iterations at 4
** ranks, where three nearly collinear breast-cancer columns are active) are
** the 10th and 11th; the 12 first take about half the iterations of the
** whole paths, whose later lambdas need 100 to 300 each. */
#define ADMM_LAMBDAS 12

/* Not collective: every rank reads the fixture itself. */
static cJSON *load_json(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s.json", lt_fixtures_dir(), name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)size + 1);
    cJSON *root = NULL;
    if (text != NULL && fread(text, 1, (size_t)size, f) == (size_t)size) {
        text[size] = '\0';
        root = cJSON_Parse(text);
    }
    free(text);
    fclose(f);
    return root;
}

static double *number_array(const cJSON *a, int *n)
{
    *n = cJSON_GetArraySize(a);
    double *v = malloc((size_t)(*n > 0 ? *n : 1) * sizeof(double));
    for (int i = 0; i < *n; i++) v[i] = cJSON_GetArrayItem(a, i)->valuedouble;
    return v;
}

/* Not collective. A per-feature array, or a scalar repeated (the fixtures
** write bounds as arrays). NULL when absent. */
static double *feature_array(const cJSON *root, const char *key, int64_t p)
{
    const cJSON *a = cJSON_GetObjectItem(root, key);
    if (a == NULL || cJSON_IsNull(a)) return NULL;
    double *v = malloc((size_t)p * sizeof(double));
    for (int64_t j = 0; j < p; j++) v[j] = cJSON_IsArray(a) ? cJSON_GetArrayItem(a, (int)j)->valuedouble : a->valuedouble;
    return v;
}

/* Collective. The probabilities of global rows 0..4 (5 x K, row-major) on every rank. */
static void head_probabilities(const lariat_data *d, const lariat_fit *fit, const lariat_solution *sol, double *out)
{
    const int K = fit->nlin;
    const int width = lariat_predict_width(fit, LARIAT_PREDICT_RESPONSE);
    double *all = malloc((size_t)(d->n_local * width + 1) * sizeof(double));
    memset(out, 0, 5 * (size_t)width * sizeof(double));
    lariat_predict_solution(lt_ctx(), d, fit, sol, LARIAT_PREDICT_RESPONSE, all);
    for (int64_t i = 0; i < d->n_local; i++) {
        const int64_t r = d->row0 + i;
        if (r < 5) {
            for (int k = 0; k < width; k++) out[r * width + k] = all[i * width + k];
        }
    }
    MPI_Allreduce(MPI_IN_PLACE, out, 5 * width, MPI_DOUBLE, MPI_SUM, lt_comm());
    (void)K;
    free(all);
}

typedef struct solver_case {
    const char *name;
    lariat_solver_kind kind;
    lariat_curvature curvature;
    int max_lambdas;
    int binomial_only; /* admm serves binomial only (SPEC.md section 9) */
} solver_case;

/* The fixed curvature bound converges linearly, at a rate set by how far
** the bound exceeds the true curvature: on the nearly separated breast
** cancer and wine data (probabilities down to 1e-11) it needs far more than
** max_iter steps, which is why auto takes the IRLS curvature there. It is
** held to glmnet on the cases where it is the method of choice. */
static const char *const bound_cases[] = {"binom_binex_bounds", "binom_prop", "multi_iris_enet", "multi_multex",
                                          "binom_breast_enet", "binom_breast_w", "multi_wine_w_grouped"};

static int bound_applies(const char *name)
{
    for (size_t i = 0; i < sizeof(bound_cases) / sizeof(bound_cases[0]); i++) {
        if (strcmp(name + strlen("glmnet_class_"), bound_cases[i]) == 0) return 1;
    }
    return 0;
}

static const solver_case solvers[] = {
    {"gram-irls", LARIAT_SOLVER_GRAM, LARIAT_CURVATURE_EXACT, 1000, 0},
    {"gram-bound", LARIAT_SOLVER_GRAM, LARIAT_CURVATURE_BOUND, 1000, 0},
    {"fista", LARIAT_SOLVER_FISTA, LARIAT_CURVATURE_AUTO, FISTA_LAMBDAS, 0},
    /* admm on the first ADMM_LAMBDAS of each path. */
    {"admm", LARIAT_SOLVER_ADMM, LARIAT_CURVATURE_AUTO, ADMM_LAMBDAS, 1},
};

/* Collective. One fixture, every solver. */
static void check_case(const char *name)
{
    if (getenv("LT_GLM_CASE") && strstr(name, getenv("LT_GLM_CASE")) == NULL) return;
    cJSON *root = load_json(name);
    LT_ASSERT_ALL(root != NULL);
    if (root == NULL) return;
    const int64_t p = (int64_t)cJSON_GetObjectItem(root, "p")->valuedouble;
    char data_path[512];
    snprintf(data_path, sizeof(data_path), "%s/%s", lt_fixtures_dir(), cJSON_GetObjectItem(root, "data")->valuestring);
    lariat_read_options ropt;
    lariat_read_options_default(&ropt);
    ropt.label = cJSON_GetObjectItem(root, "label")->valuestring;
    const cJSON *wk = cJSON_GetObjectItem(root, "weights");
    if (cJSON_IsString(wk)) ropt.weights = wk->valuestring;
    lariat_data *d = NULL;
    int rc = lariat_data_read(lt_ctx(), data_path, &ropt, &d);
    LT_ASSERT_ALL(rc == LARIAT_OK && d->p == p);
    if (rc != LARIAT_OK) {
        cJSON_Delete(root);
        return;
    }
    lariat_problem pb;
    lariat_problem_default(&pb);
    const char *family = cJSON_GetObjectItem(root, "family")->valuestring;
    pb.family = strcmp(family, "binomial") == 0 ? LARIAT_FAMILY_BINOMIAL : LARIAT_FAMILY_MULTINOMIAL;
    const cJSON *mt = cJSON_GetObjectItem(root, "multinomial");
    pb.grouped = cJSON_IsString(mt) && strcmp(mt->valuestring, "grouped") == 0;
    pb.alpha = cJSON_GetObjectItem(root, "alpha")->valuedouble;
    pb.standardize = cJSON_IsTrue(cJSON_GetObjectItem(root, "standardize"));
    pb.intercept = cJSON_IsTrue(cJSON_GetObjectItem(root, "intercept"));
    double *pf = feature_array(root, "penalty_factor", p), *lo = feature_array(root, "lower", p),
           *hi = feature_array(root, "upper", p);
    pb.penalty_factor = pf;
    pb.lower = lo;
    pb.upper = hi;
    int nlam = 0;
    double *lam = number_array(cJSON_GetObjectItem(root, "lambda"), &nlam);
    const cJSON *sols = cJSON_GetObjectItem(root, "solutions");
    const double lmax_spec = cJSON_GetObjectItem(root, "lambda_max_spec")->valuedouble;

    for (size_t s = 0; s < sizeof(solvers) / sizeof(solvers[0]); s++) {
        if (getenv("LT_GLM_SOLVER") && strcmp(getenv("LT_GLM_SOLVER"), solvers[s].name) != 0) continue;
        if (solvers[s].curvature == LARIAT_CURVATURE_BOUND && !bound_applies(name)) continue;
        if (solvers[s].binomial_only && pb.family != LARIAT_FAMILY_BINOMIAL) continue;
        lariat_settings st;
        lariat_settings_default(&st);
        st.solver = solvers[s].kind;
        st.curvature = solvers[s].curvature;
        st.max_iter = 100000;
        st.lambda = lam;
        st.n_lambda_given = nlam < solvers[s].max_lambdas ? nlam : solvers[s].max_lambdas;
        lariat_fit *fit = NULL;
        const double t0 = lariat_now();
        rc = lariat_fit_path(lt_ctx(), d, NULL, &pb, &st, &fit);
        LT_ASSERT_ALL(rc == LARIAT_OK);
        if (rc != LARIAT_OK) {
            if (lt_rank() == 0) fprintf(stderr, "glm %s %s: %s\n", name, solvers[s].name, lariat_errmsg(lt_ctx()));
            continue;
        }
        double worst_obj = 0.0, worst_prob = 0.0;
        int all_converged = 1, iters = 0;
        for (int k = 0; k < fit->nlambda; k++) {
            const lariat_solution *sol = &fit->path[k];
            const cJSON *ref = cJSON_GetArrayItem(sols, k);
            const double obj = cJSON_GetObjectItem(ref, "objective")->valuedouble;
            worst_obj = fmax(worst_obj, fabs(sol->objective - obj) / fmax(1.0, fabs(obj)));
            all_converged &= sol->converged;
            iters += sol->iterations;
            int nh = 0;
            const cJSON *ph = cJSON_GetObjectItem(ref, "prob_head");
            double mine[5 * LARIAT_GLM_MAX_GROUP];
            head_probabilities(d, fit, sol, mine);
            /* binomial: 5 values; multinomial: 5 rows of K. */
            for (int r = 0; r < cJSON_GetArraySize(ph); r++) {
                const cJSON *row = cJSON_GetArrayItem(ph, r);
                if (cJSON_IsArray(row)) {
                    for (int q = 0; q < cJSON_GetArraySize(row); q++) {
                        worst_prob = fmax(worst_prob, fabs(mine[nh++] - cJSON_GetArrayItem(row, q)->valuedouble));
                    }
                } else {
                    worst_prob = fmax(worst_prob, fabs(mine[nh++] - row->valuedouble));
                }
            }
        }
        const double lmax_diff = fabs(fit->lambda_max - lmax_spec) / lmax_spec;
        if (lt_rank() == 0 && (lariat_ctx_verbosity(lt_ctx()) > 0 || getenv("LT_GLM_VERBOSE"))) {
            fprintf(stderr, "glm %-28s %-10s %2d lambdas %6d iterations %.2fs: objective %.2e, probabilities %.2e, "
                            "lambda_max %.1e, converged %d\n",
                    name, solvers[s].name, fit->nlambda, iters, lariat_now() - t0, worst_obj, worst_prob, lmax_diff,
                    all_converged);
        }
        LT_ASSERT_ALL(fit->nlambda == st.n_lambda_given);
        LT_ASSERT_ALL(all_converged);
        LT_ASSERT_ALL(worst_obj <= OBJ_TOL);
        LT_ASSERT_ALL(worst_prob <= PROB_TOL);
        LT_ASSERT_ALL(lmax_diff <= 1e-12);
        lariat_fit_destroy(fit);
    }
    free(lam);
    free(pf);
    free(lo);
    free(hi);
    lariat_data_destroy(d);
    cJSON_Delete(root);
}

#define GLM_CASES(X)                                                                                                   \
    X(binom_breast) X(binom_breast_enet) X(binom_breast_w) X(binom_breast_pf) X(binom_breast_bounds)                  \
    X(binom_breast_noint) X(binom_breast_nostd) X(binom_prop) X(binom_pm) X(binom_binex) X(binom_binex_bounds)        \
    X(multi_wine) X(multi_wine_grouped) X(multi_iris_enet) X(multi_wine_w_grouped) X(multi_multex)

/* Collective. admm serves binomial only: multinomial with admm is bad usage
** (SPEC.md section 9), agreed on every rank, naming the solvers that serve it. */
static void test_multinomial_admm(void)
{
    char data_path[512];
    snprintf(data_path, sizeof(data_path), "%s/class_wine.csv", lt_fixtures_dir());
    lariat_read_options ropt;
    lariat_read_options_default(&ropt);
    ropt.label = "y";
    lariat_data *d = NULL;
    int rc = lariat_data_read(lt_ctx(), data_path, &ropt, &d);
    LT_ASSERT_ALL(rc == LARIAT_OK);
    if (rc != LARIAT_OK) return;
    lariat_problem pb;
    lariat_problem_default(&pb);
    pb.family = LARIAT_FAMILY_MULTINOMIAL;
    lariat_settings st;
    lariat_settings_default(&st);
    st.solver = LARIAT_SOLVER_ADMM;
    st.nlambda = 3;
    lariat_fit *fit = NULL;
    rc = lariat_fit_path(lt_ctx(), d, NULL, &pb, &st, &fit);
    const char *msg = lariat_errmsg(lt_ctx());
    LT_ASSERT_ALL(rc == LARIAT_EUSAGE && fit == NULL);
    LT_ASSERT_ALL(strstr(msg, "admm") != NULL && strstr(msg, "gram") != NULL && strstr(msg, "fista") != NULL);
    lariat_fit_destroy(fit);
    lariat_data_destroy(d);
}

#define GLM_TEST_FN(c)                                                                                                 \
    static void test_##c(void) { check_case("glmnet_class_" #c); }
GLM_CASES(GLM_TEST_FN)

void lt_register_glm(void)
{
    CU_pSuite s = CU_add_suite("glm", NULL, NULL);
#define GLM_ADD(c) CU_add_test(s, #c, test_##c);
    GLM_CASES(GLM_ADD)
    CU_add_test(s, "multinomial_admm", test_multinomial_admm);
}
