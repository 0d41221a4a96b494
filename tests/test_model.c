/*
** The output side: the model file (round trip bit-exact, SPEC.md section 5
** key order, checked reading), atomic writing (no file left on failure), the
** generator (byte-identical for any rank count, and the model it claims), the
** test split (rank-count independent) and its metrics (against a hand
** computation on the gathered data).
*/
#include "core/core.h"
#include "core/memory.h"
#include "core/rng.h"
#include "data/matrix.h"
#include "data/split.h"
#include "io/atomic.h"
#include "io/gen.h"
#include "io/model.h"
#include "io/numfmt.h"
#include "harness.h"
#include "testdata.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------------- */
/* Helpers. */

/* Not collective. The whole file (NUL-terminated, malloc'ed) or NULL. */
static char *slurp(const char *path, long *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf != NULL) buf[n] = '\0';
    if (len != NULL) *len = n;
    return buf;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Not collective. Number of entries of dir whose name contains part. */
static int count_entries(const char *dir, const char *part)
{
    DIR *d = opendir(dir);
    if (d == NULL) return -1;
    int count = 0;
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) count += strstr(e->d_name, part) != NULL;
    closedir(d);
    return count;
}

/* Doubles whose shortest 15-digit form does not read back (cJSON 1.7.15
** would print them inexactly), and a few edge magnitudes. */
static double awkward(int k)
{
    static const double base[] = {0.1, 2.5, 1.0 / 3.0, -1e-300, 123456789.123, 4.9e-324, -7.0, 0.0};
    double b = base[(k / 2) % 8];
    return k % 2 ? nextafter(b, INFINITY) : b;
}

/* A hand-built fit: p features, nlambda solutions with awkward numbers. */
static lariat_fit *make_fit(int64_t p, int nlambda)
{
    lariat_fit *fit = calloc(1, sizeof(*fit));
    fit->p = p;
    fit->alpha = nextafter(0.5, 1.0);
    fit->nlambda = nlambda;
    fit->path = calloc((size_t)nlambda, sizeof(lariat_solution));
    fit->solver_name = "gram";
    for (int k = 0; k < nlambda; k++) {
        lariat_solution *s = &fit->path[k];
        s->lambda = nextafter(1.0 / (k + 3.0), 1.0);
        s->intercept = awkward(3 * k + 1) + 1.0;
        s->coef = calloc((size_t)p, sizeof(double));
        s->nonzero = 0;
        for (int64_t j = 0; j < p; j++) {
            s->coef[j] = awkward((int)j + k);
            s->nonzero += s->coef[j] != 0.0;
        }
        s->objective = nextafter(1449.1 + k, 0.0);
        s->duality_gap = 1.1e-9 / (k + 1);
        s->iterations = 57 + k;
        s->converged = k % 2 == 0;
        s->dev_ratio = awkward(k + 5);
    }
    return fit;
}

static void free_fit(lariat_fit *fit)
{
    for (int k = 0; k < fit->nlambda; k++) free(fit->path[k].coef);
    free(fit->path);
    free(fit);
}

/* ------------------------------------------------------------------------- */
/* Numbers. */

/* The claim that cJSON 1.7.15 prints doubles bit-exact is false (numfmt.h);
** lariat_format_double must round-trip every double, including the ones
** cJSON gets wrong, and stay short for short values. */
static void test_format_double_exact(void)
{
    char buf[LARIAT_DOUBLE_CHARS];
    int exact = 1;
    for (uint64_t i = 0; i < 20000; i++) {
        double u = lariat_uniform(7, 99, i, 0), e = floor(lariat_uniform(7, 99, i, 1) * 40.0) - 20.0;
        double x = (u - 0.5) * pow(10.0, e);
        lariat_format_double(buf, x);
        exact &= strtod(buf, NULL) == x;
        lariat_format_double(buf, nextafter(x, INFINITY));
        exact &= strtod(buf, NULL) == nextafter(x, INFINITY);
    }
    CU_ASSERT(exact);
    lariat_format_double(buf, 0.5);
    CU_ASSERT_STRING_EQUAL(buf, "0.5");
    lariat_format_double(buf, 1e-7);
    CU_ASSERT_STRING_EQUAL(buf, "1e-07");
    lariat_format_double(buf, nextafter(0.1, 1.0));
    CU_ASSERT_STRING_EQUAL(buf, "0.10000000000000002");
}

/* ------------------------------------------------------------------------- */
/* Model file. */

/* Write then read: every number of the selected solution bit-exact, names
** with characters JSON must escape, on every rank. */
static void test_model_round_trip(void)
{
    lariat_ctx *ctx = lt_ctx();
    int64_t p = 9;
    lariat_fit *fit = make_fit(p, 4);
    char *names[9] = {"a\"quoted\"", "back\\slash", "tab\there", "caf\xc3\xa9", "x5", "new\nline", "7", "", "last"};
    lariat_model_info info;
    lariat_model_info_default(&info);
    info.selected = 2;
    info.feature_names = names;
    info.standardize = 0;
    info.n_samples = 442;
    const char *path = lt_path("round.json");
    int rc = lariat_model_write(ctx, path, fit, &info);
    LT_ASSERT_ALL(rc == LARIAT_OK);
    LT_ASSERT_ALL(info.peak_rss_mb > 0.0 && info.peak_rss_mb >= lariat_peak_rss_local_mb() - 1.0);

    lariat_model *m = NULL;
    rc = lariat_model_read(ctx, path, &m);
    LT_ASSERT_ALL(rc == LARIAT_OK && m != NULL);
    if (rc != LARIAT_OK) {
        free_fit(fit);
        return;
    }
    const lariat_solution *s = &fit->path[2];
    int same = m->p == p && memcmp(m->coef, s->coef, (size_t)p * sizeof(double)) == 0 &&
               memcmp(&m->intercept, &s->intercept, sizeof(double)) == 0 &&
               memcmp(&m->lambda, &s->lambda, sizeof(double)) == 0 &&
               memcmp(&m->alpha, &fit->alpha, sizeof(double)) == 0;
    LT_ASSERT_ALL(same);
    int names_ok = 1;
    for (int64_t j = 0; j < p; j++) names_ok &= strcmp(m->feature_names[j], names[j]) == 0;
    LT_ASSERT_ALL(names_ok);
    LT_ASSERT_ALL(m->standardize == 0 && m->fit_intercept == 1 && m->n_samples == 442);
    lariat_model_destroy(m);

    /* The default selection is the last solution; default names x1..xp. */
    lariat_model_info_default(&info);
    rc = lariat_model_write(ctx, path, fit, &info);
    rc = rc == LARIAT_OK ? lariat_model_read(ctx, path, &m) : rc;
    LT_ASSERT_ALL(rc == LARIAT_OK);
    if (rc == LARIAT_OK) {
        LT_ASSERT_ALL(memcmp(m->coef, fit->path[3].coef, (size_t)p * sizeof(double)) == 0 &&
                      m->intercept == fit->path[3].intercept && strcmp(m->feature_names[8], "x9") == 0);
        lariat_model_destroy(m);
    }
    free_fit(fit);
}

static int keys_are(const cJSON *obj, const char *const *want, int n)
{
    int k = 0;
    for (const cJSON *c = obj != NULL ? obj->child : NULL; c != NULL; c = c->next, k++) {
        if (k >= n || c->string == NULL || strcmp(c->string, want[k]) != 0) return 0;
    }
    return k == n;
}

/* The keys of SPEC.md section 5, in order, with path, cv and test metrics;
** and without them for a single lambda. The path entries are bit-exact too. */
static void test_model_keys(void)
{
    lariat_ctx *ctx = lt_ctx();
    int64_t p = 3;
    lariat_fit *fit = make_fit(p, 3);
    /* A CV result of two alphas with two lambdas each. */
    double lam[2] = {0.5, 0.25}, cvm[2] = {2.0, 1.5}, cvsd[2] = {0.1, 0.2};
    int64_t nz[2] = {1, 3};
    lariat_cv_curve curves[2] = {{0.5, 2, lam, cvm, cvsd, nz, 1, 0, NULL}, {1.0, 2, lam, cvm, cvsd, nz, 1, 1, NULL}};
    lariat_cv_result cv = {5, 42, LARIAT_SELECT_MIN, 1, 2, curves, 1, 1.0, 0.25, 0.5, 1, LARIAT_MEASURE_MSE};
    lariat_metrics test = {10, 10.0, 0.25, 0.5, 0.375, 0.875, LARIAT_FAMILY_GAUSSIAN, 0.0, 0.0, 0.0, 0.0};
    lariat_model_info info;
    lariat_model_info_default(&info);
    info.cv = &cv;
    info.test = &test;
    info.n_samples = 100;
    info.timings = (lariat_timings){1.0, 2.0, 3.0, 4.0, 0.0, 0.0};
    info.measure = 1;
    info.t_start = lariat_now() - 10.0;
    const char *path = lt_path("keys.json");
    int rc = lariat_model_write(ctx, path, fit, &info);
    LT_ASSERT_ALL(rc == LARIAT_OK);

    static const char *const top[] = {"format", "version", "family", "alpha", "lambda", "intercept", "coef",
                                      "feature_names", "standardize", "fit_intercept", "n_samples", "n_features",
                                      "ranks", "solver", "iterations", "converged", "duality_gap", "objective",
                                      "dev_ratio", "path", "cv", "test_metrics", "timings_s", "peak_rss_mb"};
    static const char *const entry[] = {"lambda", "intercept", "coef", "nonzero", "objective", "duality_gap",
                                        "iterations", "dev_ratio"};
    static const char *const cvkeys[] = {"nfolds", "seed", "select", "type_measure", "lambda_min", "lambda_1se",
                                         "alpha_min", "table"};
    static const char *const row[] = {"alpha", "lambda", "cvm", "cvsd", "nonzero"};
    static const char *const met[] = {"mse", "rmse", "mae", "r2"};
    static const char *const tim[] = {"load", "prepare", "solve", "cv", "write", "total"};
    char *text = slurp(path, NULL);
    cJSON *root = text != NULL ? cJSON_Parse(text) : NULL;
    int ok = root != NULL && keys_are(root, top, 24);
    ok = ok && strcmp(cJSON_GetObjectItemCaseSensitive(root, "family")->valuestring, "gaussian") == 0;
    const cJSON *pathv = cJSON_GetObjectItemCaseSensitive(root, "path");
    ok = ok && cJSON_GetArraySize(pathv) == 3;
    for (int k = 0; ok && k < 3; k++) {
        const cJSON *e = cJSON_GetArrayItem(pathv, k);
        ok = keys_are(e, entry, 8);
        ok = ok && cJSON_GetObjectItemCaseSensitive(e, "dev_ratio")->valuedouble == fit->path[k].dev_ratio;
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "coef");
        for (int64_t j = 0; ok && j < p; j++) ok = cJSON_GetArrayItem(c, (int)j)->valuedouble == fit->path[k].coef[j];
        ok = ok && cJSON_GetObjectItemCaseSensitive(e, "nonzero")->valueint == fit->path[k].nonzero;
    }
    const cJSON *cvj = cJSON_GetObjectItemCaseSensitive(root, "cv");
    const cJSON *table = cJSON_GetObjectItemCaseSensitive(cvj, "table");
    ok = ok && keys_are(cvj, cvkeys, 8) && cJSON_GetArraySize(table) == 4 && keys_are(cJSON_GetArrayItem(table, 3), row, 5);
    ok = ok && strcmp(cJSON_GetObjectItemCaseSensitive(cvj, "select")->valuestring, "min") == 0 &&
         cJSON_GetObjectItemCaseSensitive(cvj, "seed")->valuedouble == 42.0 &&
         cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(table, 2), "alpha")->valuedouble == 1.0;
    ok = ok && keys_are(cJSON_GetObjectItemCaseSensitive(root, "test_metrics"), met, 4);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "timings_s");
    ok = ok && keys_are(t, tim, 6) && cJSON_GetObjectItemCaseSensitive(t, "solve")->valuedouble == 3.0 &&
         cJSON_GetObjectItemCaseSensitive(t, "total")->valuedouble >= 10.0 &&
         cJSON_GetObjectItemCaseSensitive(root, "ranks")->valueint == lt_size() &&
         cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(root, "converged")) == (fit->path[2].converged == 0);
    LT_ASSERT_ALL(ok);
    cJSON_Delete(root);
    free(text);

    /* One lambda, no cv, no metrics: no "path", "cv" or "test_metrics". */
    lariat_fit *one = make_fit(p, 1);
    lariat_model_info_default(&info);
    rc = lariat_model_write(ctx, path, one, &info);
    text = slurp(path, NULL);
    root = text != NULL ? cJSON_Parse(text) : NULL;
    static const char *const plain[] = {"format", "version", "family", "alpha", "lambda", "intercept", "coef",
                                        "feature_names", "standardize", "fit_intercept", "n_samples", "n_features",
                                        "ranks", "solver", "iterations", "converged", "duality_gap", "objective",
                                        "dev_ratio", "timings_s", "peak_rss_mb"};
    LT_ASSERT_ALL(rc == LARIAT_OK && keys_are(root, plain, 21));
    cJSON_Delete(root);
    free(text);
    free_fit(one);
    free_fit(fit);
}

/* A hand-built multinomial fit (K classes, labels -1, 2.5, 7, ...) or,
** with K = 1, a binomial fit of classes -1 and 1; the default path stopped
** at devmax after its last lambda. */
static lariat_fit *make_class_fit(int64_t p, int nlambda, int K)
{
    lariat_fit *fit = make_fit(p, nlambda);
    const int nlin = K > 1 ? K : 1;
    fit->family = K > 1 ? LARIAT_FAMILY_MULTINOMIAL : LARIAT_FAMILY_BINOMIAL;
    fit->nlin = nlin;
    fit->grouped = K > 1;
    fit->nclass = K > 1 ? K : 2;
    fit->classes = calloc((size_t)fit->nclass, sizeof(double));
    for (int k = 0; k < fit->nclass; k++) fit->classes[k] = K > 1 ? -1.0 + 3.5 * k : -1.0 + 2.0 * k;
    fit->path_stopped = 1;
    for (int l = 0; l < nlambda && K > 1; l++) {
        lariat_solution *s = &fit->path[l];
        free(s->coef);
        s->coef = calloc((size_t)(nlin * p), sizeof(double));
        s->intercepts = calloc((size_t)nlin, sizeof(double));
        for (int k = 0; k < nlin; k++) {
            s->intercepts[k] = awkward(k + l) - 0.5;
            for (int64_t j = 0; j < p; j++) s->coef[k * p + j] = awkward((int)j + 3 * k + l);
        }
        s->intercept = 0.0;
    }
    return fit;
}

static void free_class_fit(lariat_fit *fit)
{
    for (int k = 0; k < fit->nlambda; k++) free(fit->path[k].intercepts);
    free(fit->classes);
    free_fit(fit);
}

/* SPEC.md section 9's keys: family, classes, multinomial, K intercepts and
** K lists of coefficients at the top and in the path, path_stop; read back
** bit-exact into a one-solution fit that predicts as the original. */
static void test_model_classes(void)
{
    lariat_ctx *ctx = lt_ctx();
    const int64_t p = 4;
    const char *path = lt_path("classes.json");
    for (int K = 1; K <= 3; K += 2) {
        lariat_fit *fit = make_class_fit(p, 3, K);
        lariat_model_info info;
        lariat_model_info_default(&info);
        info.selected = 1;
        int rc = lariat_model_write(ctx, path, fit, &info);
        LT_ASSERT_ALL(rc == LARIAT_OK);
        char *text = slurp(path, NULL);
        cJSON *root = text != NULL ? cJSON_Parse(text) : NULL;
        static const char *const top[] = {"format", "version", "family", "classes", "multinomial", "alpha",
                                          "lambda", "intercept", "coef", "feature_names", "standardize",
                                          "fit_intercept", "n_samples", "n_features", "ranks", "solver",
                                          "iterations", "converged", "duality_gap", "objective", "dev_ratio",
                                          "path_stop", "path", "timings_s", "peak_rss_mb"};
        static const char *const top2[] = {"format", "version", "family", "classes", "alpha", "lambda",
                                           "intercept", "coef", "feature_names", "standardize", "fit_intercept",
                                           "n_samples", "n_features", "ranks", "solver", "iterations", "converged",
                                           "duality_gap", "objective", "dev_ratio", "path_stop", "path",
                                           "timings_s", "peak_rss_mb"};
        static const char *const stop[] = {"after_lambda", "lambda", "dev_ratio", "reason"};
        int ok = root != NULL && (K > 1 ? keys_are(root, top, 25) : keys_are(root, top2, 24));
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(root, "path_stop");
        ok = ok && keys_are(st, stop, 4) && cJSON_GetObjectItemCaseSensitive(st, "after_lambda")->valueint == 2 &&
             cJSON_GetObjectItemCaseSensitive(st, "dev_ratio")->valuedouble == fit->path[2].dev_ratio;
        const cJSON *entry = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "path"), 2);
        const cJSON *coef = cJSON_GetObjectItemCaseSensitive(entry, "coef");
        if (K > 1) {
            ok = ok && cJSON_GetArraySize(coef) == K && cJSON_GetArraySize(cJSON_GetArrayItem(coef, 2)) == p &&
                 cJSON_GetArrayItem(cJSON_GetArrayItem(coef, 2), 3)->valuedouble == fit->path[2].coef[2 * p + 3] &&
                 cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(entry, "intercept")) == K &&
                 strcmp(cJSON_GetObjectItemCaseSensitive(root, "multinomial")->valuestring, "grouped") == 0;
        } else {
            ok = ok && cJSON_GetArraySize(coef) == p && cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(entry, "intercept"));
        }
        LT_ASSERT_ALL(ok);
        cJSON_Delete(root);
        free(text);

        lariat_model *m = NULL;
        rc = lariat_model_read(ctx, path, &m);
        LT_ASSERT_ALL(rc == LARIAT_OK && m != NULL);
        if (rc == LARIAT_OK) {
            const lariat_solution *s = &fit->path[1];
            const int nlin = K > 1 ? K : 1;
            int same = m->family == fit->family && m->nlin == nlin && m->nclass == fit->nclass &&
                       memcmp(m->classes, fit->classes, (size_t)fit->nclass * sizeof(double)) == 0 &&
                       memcmp(m->coef, s->coef, (size_t)(nlin * p) * sizeof(double)) == 0 &&
                       m->grouped == fit->grouped && m->fit.nlambda == 1 && m->fit.path == &m->sol &&
                       m->sol.coef == m->coef && m->fit.classes == m->classes;
            if (K > 1) same = same && memcmp(m->intercepts, s->intercepts, (size_t)K * sizeof(double)) == 0;
            else same = same && memcmp(&m->intercept, &s->intercept, sizeof(double)) == 0;
            LT_ASSERT_ALL(same);
            lariat_model_destroy(m);
        }
        free_class_fit(fit);
    }
    /* Class errors name the key. */
    static const struct {
        const char *text, *key;
    } cases[] = {
        {"{\"format\": \"lariat-model\", \"version\": 1, \"n_features\": 1, \"family\": \"poisson\"}", "\"family\""},
        {"{\"format\": \"lariat-model\", \"version\": 1, \"n_features\": 1, \"family\": \"binomial\", "
         "\"classes\": [0, 1, 2]}",
         "\"classes\""},
        {"{\"format\": \"lariat-model\", \"version\": 1, \"n_features\": 1, \"family\": \"multinomial\", "
         "\"classes\": [0, 2, 1]}",
         "\"classes\""},
        {"{\"format\": \"lariat-model\", \"version\": 1, \"n_features\": 1, \"family\": \"multinomial\", "
         "\"classes\": [0, 1, 2], \"alpha\": 1, \"lambda\": 0.1, \"intercept\": 0, \"coef\": [1]}",
         "\"intercept\""},
        {"{\"format\": \"lariat-model\", \"version\": 1, \"n_features\": 1, \"family\": \"multinomial\", "
         "\"classes\": [0, 1, 2], \"alpha\": 1, \"lambda\": 0.1, \"intercept\": [0, 0, 0], \"coef\": [[1], [2]]}",
         "\"coef\""},
        {"{\"format\": \"lariat-model\", \"version\": 1, \"n_features\": 1, \"family\": \"multinomial\", "
         "\"classes\": [0, 1, 2], \"alpha\": 1, \"lambda\": 0.1, \"intercept\": [0, 0, 0], "
         "\"coef\": [[1], [2], [3, 4]]}",
         "\"coef\" list 3"},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        lt_write_file(path, cases[k].text);
        lariat_model *m = NULL;
        int rc = lariat_model_read(ctx, path, &m);
        LT_ASSERT_ALL(rc == LARIAT_EDATA && m == NULL && strstr(lariat_errmsg(ctx), cases[k].key) != NULL);
    }
}

/* Reading rejects what is not a lariat model, naming the file and key. */
static void test_model_read_errors(void)
{
    lariat_ctx *ctx = lt_ctx();
    static const struct {
        const char *text, *key;
    } cases[] = {
        {"{\"format\": \"other\", \"version\": 1}", "\"format\""},
        {"{\"format\": \"lariat-model\", \"version\": 2}", "\"version\""},
        {"{\"format\": \"lariat-model\", \"version\": 1, \"n_features\": 2, \"alpha\": 1, \"lambda\": 0.1, "
         "\"intercept\": 1, \"coef\": [1, 2, 3]}",
         "\"coef\""},
        {"{\"format\": \"lariat-model\", \"version\": 1, \"n_features\": 2, \"alpha\": 1, \"lambda\": 1e999, "
         "\"intercept\": 1, \"coef\": [1, 2]}",
         "\"lambda\""},
        {"{\"format\": \"lariat-model\", \"version\": 1, \"n_features\": 2, \"alpha\": 1, \"lambda\": 0.1, "
         "\"coef\": [1, 2]}",
         "\"intercept\""},
        {"{\"format\": \"lariat-model\", \"version\": 1, \"n_features\": 2, \"alpha\": 1, \"lambda\": 0.1, "
         "\"intercept\": 1, \"coef\": [1, \"2\"]}",
         "\"coef\""},
        {"{\"format\": \"lariat-model\", \"version\": 1, \"n_features\": 2, \"alpha\": 1, \"lambda\": 0.1, "
         "\"intercept\": 1, \"coef\": [1, 2], \"feature_names\": [\"a\"]}",
         "\"feature_names\""},
        {"{\"format\": \"lariat-model\",\n \"version\": 1,,}", "line 2"},
        {"{\"format\": \"lariat-model\", \"version\": 1} trailing", "JSON"},
    };
    const char *path = lt_path("bad.json");
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        lt_write_file(path, cases[k].text);
        lariat_model *m = NULL;
        int rc = lariat_model_read(ctx, path, &m);
        LT_ASSERT_ALL(rc == LARIAT_EDATA && m == NULL && strstr(lariat_errmsg(ctx), cases[k].key) != NULL &&
                      strstr(lariat_errmsg(ctx), "bad.json") != NULL);
    }
    /* A valid minimal model: optional keys default. */
    lt_write_file(path, "{\"format\": \"lariat-model\", \"version\": 1, \"n_features\": 2, \"alpha\": 1, "
                        "\"lambda\": 0.1, \"intercept\": -3, \"coef\": [1.5, 0]}\n\n");
    lariat_model *m = NULL;
    int rc = lariat_model_read(ctx, path, &m);
    LT_ASSERT_ALL(rc == LARIAT_OK && m->p == 2 && m->coef[0] == 1.5 && m->intercept == -3.0 &&
                  strcmp(m->feature_names[1], "x2") == 0 && m->standardize == 1);
    lariat_model_destroy(m);
    /* A missing file is bad input data (exit status 2). */
    rc = lariat_model_read(ctx, lt_path("no-such-model.json"), &m);
    LT_ASSERT_ALL(rc == LARIAT_EDATA && strstr(lariat_errmsg(ctx), "no-such-model.json") != NULL);
}

/* ------------------------------------------------------------------------- */
/* Atomic writing. */

/* A folder that does not exist, a destination that is a folder (the rename
** fails after the bytes were written), and a model with a non-finite number:
** each fails with its status and leaves no file and no temporary behind; an
** existing destination keeps its old content. */
static void test_atomic_failures(void)
{
    lariat_ctx *ctx = lt_ctx();
    char dir[600], path[700];
    snprintf(dir, sizeof(dir), "%s/atomic-%d", lt_tmpdir(), lt_rank());
    mkdir(dir, 0755);

    /* Not collective: every rank tries its own files. */
    lariat_atomic_file w;
    snprintf(path, sizeof(path), "%s/missing/out.json", dir);
    int rc = lariat_atomic_open(ctx, path, &w);
    int ok = rc == LARIAT_EIO && strstr(lariat_errmsg(ctx), path) != NULL && !file_exists(path);

    snprintf(path, sizeof(path), "%s/a-folder", dir);
    mkdir(path, 0755);
    rc = lariat_atomic_open(ctx, path, &w);
    if (rc == LARIAT_OK) {
        fputs("text", w.fp);
        rc = lariat_atomic_commit(ctx, &w);
    }
    ok = ok && rc == LARIAT_EIO && strstr(lariat_errmsg(ctx), "rename") != NULL;

    snprintf(path, sizeof(path), "%s/good.txt", dir);
    rc = lariat_atomic_open(ctx, path, &w);
    if (rc == LARIAT_OK) {
        fputs("old", w.fp);
        rc = lariat_atomic_commit(ctx, &w);
    }
    ok = ok && rc == LARIAT_OK;
    rc = lariat_atomic_open(ctx, path, &w);
    if (rc == LARIAT_OK) {
        fputs("new, then a failure", w.fp);
        lariat_atomic_abort(&w);
    }
    char *text = slurp(path, NULL);
    ok = ok && text != NULL && strcmp(text, "old") == 0;
    free(text);
    ok = ok && count_entries(dir, ".tmp.") == 0;
    LT_ASSERT_ALL(ok);

    /* Collective: the model writer agrees on the failure everywhere. */
    lariat_fit *fit = make_fit(3, 2);
    lariat_model_info info;
    lariat_model_info_default(&info);
    rc = lariat_model_write(ctx, lt_path("missing/model.json"), fit, &info);
    LT_ASSERT_ALL(rc == LARIAT_EIO && strstr(lariat_errmsg(ctx), "missing/model.json") != NULL);

    const char *model = lt_path("kept.json");
    rc = lariat_model_write(ctx, model, fit, &info);
    char *before = lt_rank() == 0 ? slurp(model, NULL) : NULL;
    fit->path[1].coef[2] = NAN;
    rc = rc == LARIAT_OK ? lariat_model_write(ctx, model, fit, &info) : rc;
    LT_ASSERT_ALL(rc == LARIAT_ENUMERIC && strstr(lariat_errmsg(ctx), "\"coef\"") != NULL);
    char *after = lt_rank() == 0 ? slurp(model, NULL) : NULL;
    LT_ASSERT_ALL(lt_rank() != 0 || (before != NULL && after != NULL && strcmp(before, after) == 0));
    LT_ASSERT_ALL(count_entries(lt_tmpdir(), ".tmp.") == 0);
    info.selected = 5;
    rc = lariat_model_write(ctx, model, fit, &info);
    LT_ASSERT_ALL(rc == LARIAT_EUSAGE);
    free(before);
    free(after);
    free_fit(fit);
}

/* ------------------------------------------------------------------------- */
/* Generator. */

/* Collective. Writes with opt at the running rank count and, on rank 0, on
** MPI_COMM_SELF; 1 on every rank when data and coefficient files are
** byte-identical. */
static int gen_matches_self(const lariat_gen_options *opt, const char *name, const char *ext)
{
    char path[600], ref[600], coef[600], refcoef[600];
    snprintf(path, sizeof(path), "%s/%s%s", lt_tmpdir(), name, ext);
    snprintf(ref, sizeof(ref), "%s/%s-ref%s", lt_tmpdir(), name, ext);
    snprintf(coef, sizeof(coef), "%s/%s.coef.csv", lt_tmpdir(), name);
    snprintf(refcoef, sizeof(refcoef), "%s/%s-ref.coef.csv", lt_tmpdir(), name);
    int rc = lariat_gen_write(lt_ctx(), opt, path, NULL);
    int ok = lt_all(rc == LARIAT_OK);
    if (lt_rank() == 0 && ok) {
        lariat_ctx *self = NULL;
        lariat_ctx_create(MPI_COMM_SELF, &self);
        rc = lariat_gen_write(self, opt, ref, NULL);
        lariat_ctx_destroy(self);
        long n1 = 0, n2 = 0, c1 = 0, c2 = 0;
        char *a = slurp(path, &n1), *b = slurp(ref, &n2), *ca = slurp(coef, &c1), *cb = slurp(refcoef, &c2);
        ok = rc == LARIAT_OK && a != NULL && b != NULL && n1 == n2 && n1 > 0 && memcmp(a, b, (size_t)n1) == 0 &&
             ca != NULL && cb != NULL && c1 == c2 && memcmp(ca, cb, (size_t)c1) == 0;
        free(a);
        free(b);
        free(ca);
        free(cb);
    }
    return lt_all(ok);
}

/* Byte-identical files at any rank count: CSV, LIBSVM with a density, and
** with a tiny text buffer (many rounds of one or two rows per rank). */
static void test_gen_rank_independent(void)
{
    lariat_gen_options opt;
    lariat_gen_options_default(&opt);
    opt.rows = 37;
    opt.features = 6;
    opt.nonzero = 3;
    opt.corr = 0.3;
    opt.seed = 5;
    CU_ASSERT(gen_matches_self(&opt, "g-dense", ".csv"));
    opt.density = 0.3;
    CU_ASSERT(gen_matches_self(&opt, "g-sparse", ".svm"));
    opt.buffer_bytes = 64;
    opt.format = LARIAT_FORMAT_CSV;
    CU_ASSERT(gen_matches_self(&opt, "g-small", ".txt"));
    /* Fewer rows than ranks: some ranks write nothing. */
    opt.rows = 2;
    CU_ASSERT(gen_matches_self(&opt, "g-tiny", ".csv"));
}

/* The file is what gen.h says: header, n rows of p + 1 fields, k nonzero
** true coefficients, and with no noise y = intercept + x'b exactly (the
** numbers read back bit-exact and the sum is formed in the same order). */
static void test_gen_content(void)
{
    lariat_gen_options opt;
    lariat_gen_options_default(&opt);
    opt.rows = 400;
    opt.features = 5;
    opt.nonzero = 2;
    opt.noise = 0.0;
    opt.corr = 0.5;
    opt.seed = 11;
    const char *path = lt_path("content.csv");
    int rc = lariat_gen_write(lt_ctx(), &opt, path, lt_path("content.truth"));
    LT_ASSERT_ALL(rc == LARIAT_OK && !file_exists(lt_path("content.coef.csv")));
    int ok = 1;
    if (lt_rank() == 0) {
        double b[5] = {0}, x[5], y;
        FILE *f = fopen(lt_path("content.truth"), "r");
        int nz = 0;
        for (int j = 0; f != NULL && j < 5; j++) {
            ok &= fscanf(f, "%lf", &b[j]) == 1;
            nz += b[j] != 0.0;
            ok &= b[j] == 0.0 || (fabs(b[j]) >= 1.0 && fabs(b[j]) < 2.0);
        }
        if (f != NULL) fclose(f);
        ok &= nz == 2;
        f = fopen(path, "r");
        char header[64] = "";
        ok &= f != NULL && fscanf(f, "%63s", header) == 1 && strcmp(header, "y,x1,x2,x3,x4,x5") == 0;
        int rows = 0;
        double s01 = 0, s00 = 0, s11 = 0;
        while (f != NULL && fscanf(f, "%lf,%lf,%lf,%lf,%lf,%lf", &y, &x[0], &x[1], &x[2], &x[3], &x[4]) == 6) {
            double eta = LARIAT_GEN_INTERCEPT;
            for (int j = 0; j < 5; j++) eta += x[j] * b[j];
            ok &= y == eta;
            s00 += x[0] * x[0];
            s11 += x[1] * x[1];
            s01 += x[0] * x[1];
            rows++;
        }
        if (f != NULL) fclose(f);
        ok &= rows == 400;
        /* Equicorrelated columns: corr 0.5, standard error about 0.04 at n = 400. */
        double r = s01 / sqrt(s00 * s11);
        ok &= fabs(r - 0.5) < 0.15;
    }
    LT_ASSERT_ALL(ok);

    /* LIBSVM: 1-based increasing indices, only nonzeros, about density of them. */
    opt.density = 0.25;
    opt.features = 40;
    opt.nonzero = -1;
    path = lt_path("content.libsvm");
    rc = lariat_gen_write(lt_ctx(), &opt, path, NULL);
    LT_ASSERT_ALL(rc == LARIAT_OK && lt_all(file_exists(lt_path("content.coef.csv"))));
    ok = 1;
    if (lt_rank() == 0) {
        char *text = slurp(path, NULL);
        long entries = 0, lines = 0;
        ok &= text != NULL;
        for (char *line = text != NULL ? strtok(text, "\n") : NULL; line != NULL; line = strtok(NULL, "\n"), lines++) {
            char *s = line;
            strtod(s, &s);
            long last = 0;
            while (*s == ' ') {
                char *end = NULL;
                long idx = strtol(s + 1, &end, 10);
                ok &= *end == ':' && idx > last && idx <= 40;
                double v = strtod(end + 1, &s);
                ok &= v != 0.0;
                last = idx;
                entries++;
            }
            ok &= *s == '\0';
        }
        free(text);
        ok &= lines == 400;
        double density = (double)entries / (400.0 * 40.0); /* standard error 0.0034 */
        ok &= fabs(density - 0.25) < 0.02;
    }
    LT_ASSERT_ALL(ok);

    /* Bad options are usage errors naming the option, and write nothing. */
    opt.corr = 1.0;
    rc = lariat_gen_write(lt_ctx(), &opt, lt_path("never.csv"), NULL);
    LT_ASSERT_ALL(rc == LARIAT_EUSAGE && strstr(lariat_errmsg(lt_ctx()), "--corr") != NULL &&
                  !file_exists(lt_path("never.csv")));
    opt.corr = 0.0;
    rc = lariat_gen_write(lt_ctx(), &opt, lt_path("missing/never.csv"), NULL);
    LT_ASSERT_ALL(rc == LARIAT_EIO && !file_exists(lt_path("never.coef.csv")));
    opt.format = (lariat_format)99;
    rc = lariat_gen_write(lt_ctx(), &opt, lt_path("never.csv"), NULL);
    LT_ASSERT_ALL(rc == LARIAT_EUSAGE && strstr(lariat_errmsg(lt_ctx()), "--format") != NULL &&
                  !file_exists(lt_path("never.csv")));
    opt.format = LARIAT_FORMAT_AUTO;
    char buf[64];
    lariat_gen_coef_path(lt_ctx(), "dir.v2/data", buf, sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "dir.v2/data.coef.csv");
    lariat_gen_coef_path(lt_ctx(), "dir/data.svm", buf, sizeof(buf));
    CU_ASSERT_STRING_EQUAL(buf, "dir/data.coef.csv");
}

/* Collective. 1 on every rank when data holds n rows of p features and
** every local row satisfies y = intercept + x'b exactly (noise 0). */
static int rows_follow_model(const lariat_data *d, const double *b, int64_t n, int64_t p)
{
    int ok = d != NULL && d->n == n && d->p == p;
    double *x = ok ? malloc((size_t)p * sizeof(double)) : NULL;
    for (int64_t i = 0; ok && i < d->n_local; i++) {
        lariat_matrix_get_row(d->X, i, x);
        double eta = LARIAT_GEN_INTERCEPT;
        for (int64_t j = 0; j < p; j++) eta += x[j] * b[j];
        ok = d->y[i] == eta;
    }
    free(x);
    return lt_all(ok);
}

/* What gen writes, lariat_data_read reads back exactly, at the running rank
** count: with no noise every row satisfies y = intercept + x'b to the bit
** (the sum is formed in the same order; ISO C mode keeps the compiler from
** contracting it into fused multiply-adds). */
static void test_gen_read_back(void)
{
    lariat_gen_options opt;
    lariat_gen_options_default(&opt);
    opt.rows = 53;
    opt.features = 7;
    opt.noise = 0.0;
    opt.corr = 0.4;
    opt.seed = 17;
    double b[7];
    int rc = lariat_gen_coef(lt_ctx(), &opt, b);
    CU_ASSERT(rc == LARIAT_OK);
    rc = lariat_gen_write(lt_ctx(), &opt, lt_path("back.csv"), NULL);
    lariat_read_options ro;
    lariat_read_options_default(&ro);
    lariat_data *d = NULL;
    rc = rc == LARIAT_OK ? lariat_data_read(lt_ctx(), lt_path("back.csv"), &ro, &d) : rc;
    LT_ASSERT_ALL(rc == LARIAT_OK);
    CU_ASSERT(rows_follow_model(d, b, 53, 7));
    lariat_data_destroy(d);

    opt.density = 0.4;
    d = NULL;
    rc = lariat_gen_write(lt_ctx(), &opt, lt_path("back.svm"), NULL);
    ro.n_features = 7;
    rc = rc == LARIAT_OK ? lariat_data_read(lt_ctx(), lt_path("back.svm"), &ro, &d) : rc;
    LT_ASSERT_ALL(rc == LARIAT_OK);
    CU_ASSERT(rows_follow_model(d, b, 53, 7));
    lariat_data_destroy(d);
}

/* ------------------------------------------------------------------------- */
/* Test split and metrics. */

/* The split is the pure function of (seed, row, fraction): the gathered
** masks equal the function evaluated on every row, whatever the rank count;
** train and test weights partition w; the count is near F n. */
static void test_split(void)
{
    lt_spec spec = {.n = 301, .p = 3, .seed = 3, .weighted = 1};
    lariat_data *d = lt_make_data(&spec);
    double *train = malloc((size_t)(d->n_local + 1) * sizeof(double));
    double *test = malloc((size_t)(d->n_local + 1) * sizeof(double));
    double *all = calloc((size_t)d->n, sizeof(double));
    int64_t n_test = 0, n_train = 0;
    int rc = lariat_split_weights(lt_ctx(), d, 9, 0.2, train, test, &n_test, &n_train);
    LT_ASSERT_ALL(rc == LARIAT_OK && n_test + n_train == 301);
    int ok = 1;
    for (int64_t i = 0; i < d->n_local; i++) {
        ok &= train[i] + test[i] == d->w[i] && (train[i] == 0.0 || test[i] == 0.0);
        all[d->row0 + i] = test[i] > 0 ? 1.0 : 0.0;
    }
    MPI_Allreduce(MPI_IN_PLACE, all, (int)d->n, MPI_DOUBLE, MPI_SUM, lt_comm());
    int64_t count = 0;
    for (int64_t i = 0; i < d->n; i++) {
        ok &= all[i] == (lariat_split_is_test(9, i, 0.2) ? 1.0 : 0.0);
        count += all[i] > 0;
    }
    /* Binomial(301, 0.2): mean 60.2, standard deviation 6.9. */
    ok &= count == n_test && llabs(n_test - 60) < 28;
    LT_ASSERT_ALL(ok);

    /* 0 holds out nothing; [0, 1) is enforced; a fraction that holds out no
    ** row of 301 is too few rows. */
    rc = lariat_split_weights(lt_ctx(), d, 9, 0.0, train, NULL, &n_test, &n_train);
    LT_ASSERT_ALL(rc == LARIAT_OK && n_test == 0 && n_train == 301);
    rc = lariat_split_weights(lt_ctx(), d, 9, 1.0, train, test, NULL, NULL);
    LT_ASSERT_ALL(rc == LARIAT_EUSAGE);
    rc = lariat_split_weights(lt_ctx(), d, 9, 1e-9, train, test, NULL, NULL);
    LT_ASSERT_ALL(rc == LARIAT_EDATA && strstr(lariat_errmsg(lt_ctx()), "--test-fraction") != NULL);
    free(all);
    free(train);
    free(test);
    lariat_data_destroy(d);
}

/* Weighted mse, rmse, mae and r2 on the test rows against the formulas of
** split.h evaluated on the gathered data on one process. */
static void test_metrics(void)
{
    lt_spec spec = {.n = 157, .p = 4, .seed = 21, .weighted = 1, .corr = 0.2};
    lariat_data *d = lt_make_data(&spec);
    double *test = malloc((size_t)(d->n_local + 1) * sizeof(double));
    int rc = lariat_split_weights(lt_ctx(), d, 4, 0.3, NULL, test, NULL, NULL);
    double coef[4] = {0.9, -1.1, 0.4, 0.0}, b0 = 1.7;
    lariat_metrics m;
    rc = rc == LARIAT_OK ? lariat_metrics_compute(lt_ctx(), d, test, b0, coef, &m) : rc;
    LT_ASSERT_ALL(rc == LARIAT_OK);

    double *X, *y, *w;
    lt_gather_all(d, &X, &y, &w);
    double W = 0, swy = 0, sse = 0, sae = 0, tss = 0;
    int64_t n = 0;
    for (int64_t i = 0; i < d->n; i++) {
        if (!lariat_split_is_test(4, i, 0.3)) continue;
        double e = y[i] - b0;
        for (int j = 0; j < 4; j++) e -= X[i * 4 + j] * coef[j];
        n++;
        W += w[i];
        swy += w[i] * y[i];
        sse += w[i] * e * e;
        sae += w[i] * fabs(e);
    }
    for (int64_t i = 0; i < d->n; i++) {
        if (lariat_split_is_test(4, i, 0.3)) tss += w[i] * (y[i] - swy / W) * (y[i] - swy / W);
    }
    double got[5] = {m.mse, m.rmse, m.mae, m.r2, m.W}, want[5] = {sse / W, sqrt(sse / W), sae / W, 1 - sse / tss, W};
    LT_ASSERT_ALL(m.n == n && lt_rel_diff(got, want, 5) < 1e-12);
    free(X);
    free(y);
    free(w);

    /* Constant test labels: r2 is 1 for a perfect prediction, else 0. */
    int64_t nl = lt_rank() + 1;
    double *Xc = calloc((size_t)nl, sizeof(double)), *yc = malloc((size_t)nl * sizeof(double));
    for (int64_t i = 0; i < nl; i++) yc[i] = 3.0;
    lariat_data *c = NULL;
    rc = lariat_data_from_dense(lt_ctx(), nl, 1, Xc, yc, NULL, &c);
    double zero = 0.0;
    lariat_metrics mc;
    rc = rc == LARIAT_OK ? lariat_metrics_compute(lt_ctx(), c, NULL, 3.0, &zero, &mc) : rc;
    LT_ASSERT_ALL(rc == LARIAT_OK && mc.r2 == 1.0 && mc.mse == 0.0);
    rc = rc == LARIAT_OK ? lariat_metrics_compute(lt_ctx(), c, NULL, 4.0, &zero, &mc) : rc;
    LT_ASSERT_ALL(rc == LARIAT_OK && mc.r2 == 0.0 && mc.mse == 1.0 && mc.mae == 1.0);
    /* No row to score is an error on every rank. */
    for (int64_t i = 0; i < nl; i++) Xc[i] = 0.0;
    rc = lariat_metrics_compute(lt_ctx(), c, Xc, 3.0, &zero, &mc);
    LT_ASSERT_ALL(rc == LARIAT_EDATA);
    lariat_data_destroy(c);
    free(Xc);
    free(yc);
    free(test);
    lariat_data_destroy(d);
}

void lt_register_model(void)
{
    CU_pSuite s = CU_add_suite("model", NULL, NULL);
    CU_add_test(s, "doubles formatted bit-exact", test_format_double_exact);
    CU_add_test(s, "model write/read round trip bit-exact", test_model_round_trip);
    CU_add_test(s, "model keys of SPEC section 5 in order", test_model_keys);
    CU_add_test(s, "model reader rejects bad files", test_model_read_errors);
    CU_add_test(s, "model of the classification families", test_model_classes);
    CU_add_test(s, "atomic writes leave nothing on failure", test_atomic_failures);
    CU_add_test(s, "gen byte-identical at any rank count", test_gen_rank_independent);
    CU_add_test(s, "gen writes the model it documents", test_gen_content);
    CU_add_test(s, "gen read back by lariat_data_read", test_gen_read_back);
    CU_add_test(s, "test split independent of rank count", test_split);
    CU_add_test(s, "test metrics by hand", test_metrics);
}
