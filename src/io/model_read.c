/*
** Reading the model file back (model.h): rank 0 reads the text and broadcasts
** it, every rank parses it with cJSON (whose parser converts numbers with
** strtod, so they come back bit-exact) and checks it, so every rank holds the
** same model.
*/
#include "io/model.h"

#include "core/core.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lariat_model_destroy(lariat_model *model)
{
    if (model == NULL) return;
    if (model->feature_names != NULL) {
        for (int64_t j = 0; j < model->p; j++) free(model->feature_names[j]);
        free(model->feature_names);
    }
    free(model->coef);
    free(model->classes);
    free(model->intercepts);
    free(model);
}

/* Not collective (rank 0). The whole file as a NUL-terminated string. */
static int read_text(lariat_ctx *ctx, const char *path, char **text, long long *len)
{
    *text = NULL;
    *len = 0;
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) return lariat_error(ctx, LARIAT_EDATA, "cannot open model '%s': %s", path, strerror(errno));
    int rc = LARIAT_OK;
    size_t cap = 1 << 16, n = 0;
    char *buf = lariat_malloc(ctx, cap, 1, "the model text");
    while (buf != NULL) {
        n += fread(buf + n, 1, cap - 1 - n, fp);
        if (n < cap - 1) break;
        char *bigger = realloc(buf, 2 * cap);
        if (bigger == NULL) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    if (buf == NULL) {
        rc = lariat_error(ctx, LARIAT_ENOMEM, "out of memory reading model '%s'", path);
    } else if (ferror(fp)) {
        rc = lariat_error(ctx, LARIAT_EDATA, "cannot read model '%s': %s", path, strerror(errno));
    }
    fclose(fp);
    if (rc != LARIAT_OK) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *text = buf;
    *len = (long long)n;
    return LARIAT_OK;
}

/* Collective. Rank 0's text on every rank (in pieces: MPI counts are int). */
static int bcast_text(lariat_ctx *ctx, char **text, long long *len)
{
    MPI_Comm comm = lariat_ctx_comm(ctx);
    if (MPI_Bcast(len, 1, MPI_LONG_LONG, 0, comm) != MPI_SUCCESS) {
        return lariat_error(ctx, LARIAT_EMPI, "MPI_Bcast of the model size failed");
    }
    int rc = LARIAT_OK;
    if (lariat_ctx_rank(ctx) != 0) {
        *text = lariat_malloc(ctx, (size_t)*len + 1, 1, "the model text");
        if (*text == NULL) rc = LARIAT_ENOMEM;
    }
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) return rc;
    const long long chunk = INT_MAX / 2;
    for (long long off = 0; off < *len; off += chunk) {
        int count = (int)(*len - off < chunk ? *len - off : chunk);
        if (MPI_Bcast(*text + off, count, MPI_CHAR, 0, comm) != MPI_SUCCESS) {
            return lariat_error(ctx, LARIAT_EMPI, "MPI_Bcast of the model text failed");
        }
    }
    (*text)[*len] = '\0';
    return LARIAT_OK;
}

/* Not collective. Every number in the document must be finite: a value such
** as 1e999 parses to infinity. Names the innermost key. */
static int check_finite(lariat_ctx *ctx, const char *path, const cJSON *item, const char *key)
{
    if (item->string != NULL) key = item->string;
    if (cJSON_IsNumber(item) && !isfinite(item->valuedouble)) {
        return lariat_error(ctx, LARIAT_EDATA, "model '%s': \"%s\" is not a finite number", path, key);
    }
    for (const cJSON *c = item->child; c != NULL; c = c->next) {
        int rc = check_finite(ctx, path, c, key);
        if (rc != LARIAT_OK) return rc;
    }
    return LARIAT_OK;
}

/* Not collective. A required finite number. */
static int get_number(lariat_ctx *ctx, const char *path, const cJSON *root, const char *key, double *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!cJSON_IsNumber(item)) {
        return lariat_error(ctx, LARIAT_EDATA, "model '%s': \"%s\" is %s", path, key,
                            item == NULL ? "missing" : "not a number");
    }
    *out = item->valuedouble;
    return LARIAT_OK;
}

/* Not collective. An optional boolean (default 1). */
static int get_bool(lariat_ctx *ctx, const char *path, const cJSON *root, const char *key, int *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, key);
    *out = 1;
    if (item == NULL) return LARIAT_OK;
    if (!cJSON_IsBool(item)) return lariat_error(ctx, LARIAT_EDATA, "model '%s': \"%s\" is not true or false", path, key);
    *out = cJSON_IsTrue(item) ? 1 : 0;
    return LARIAT_OK;
}

/* Not collective. The n numbers of array item (named key in messages; an
** entry of it when sub > 0: "coef" list sub, 1-based) into out. */
static int get_numbers(lariat_ctx *ctx, const char *path, const cJSON *item, const char *key, int sub, int64_t n,
                       double *out)
{
    char name[64];
    if (sub > 0) snprintf(name, sizeof(name), "\"%s\" list %d", key, sub);
    else snprintf(name, sizeof(name), "\"%s\"", key);
    if (!cJSON_IsArray(item) || cJSON_GetArraySize(item) != (int)n) {
        return lariat_error(ctx, LARIAT_EDATA, "model '%s': %s is not an array of %lld numbers", path, name,
                            (long long)n);
    }
    int64_t j = 0;
    /* Walk the array's list (cJSON_GetArrayItem would be quadratic in n). */
    for (const cJSON *c = item->child; c != NULL; c = c->next, j++) {
        if (!cJSON_IsNumber(c)) {
            return lariat_error(ctx, LARIAT_EDATA, "model '%s': %s entry %lld is not a number", path, name,
                                (long long)(j + 1));
        }
        out[j] = c->valuedouble;
    }
    return LARIAT_OK;
}

/* The most classes a model may name (solvers/glm.h's LARIAT_GLM_MAX_GROUP). */
#define MODEL_MAX_CLASSES 1000

/* Not collective. "family", "classes" and "multinomial" into m (nlin, nclass,
** classes). A model without "family" is gaussian (files before SPEC.md 9). */
static int parse_family(lariat_ctx *ctx, const char *path, const cJSON *root, lariat_model *m)
{
    m->family = LARIAT_FAMILY_GAUSSIAN;
    m->nlin = 1;
    const cJSON *fam = cJSON_GetObjectItemCaseSensitive(root, "family");
    if (fam != NULL) {
        const char *name = cJSON_IsString(fam) ? fam->valuestring : "";
        if (strcmp(name, "gaussian") == 0) m->family = LARIAT_FAMILY_GAUSSIAN;
        else if (strcmp(name, "binomial") == 0) m->family = LARIAT_FAMILY_BINOMIAL;
        else if (strcmp(name, "multinomial") == 0) m->family = LARIAT_FAMILY_MULTINOMIAL;
        else return lariat_error(ctx, LARIAT_EDATA, "model '%s': \"family\" is not gaussian, binomial or multinomial", path);
    }
    if (m->family == LARIAT_FAMILY_GAUSSIAN) return LARIAT_OK;
    const cJSON *classes = cJSON_GetObjectItemCaseSensitive(root, "classes");
    int K = cJSON_IsArray(classes) ? cJSON_GetArraySize(classes) : 0;
    const int binomial = m->family == LARIAT_FAMILY_BINOMIAL;
    if ((binomial && K != 2) || K < 2 || K > MODEL_MAX_CLASSES) {
        return lariat_error(ctx, LARIAT_EDATA, "model '%s': \"classes\" is not an array of %s label values", path,
                            binomial ? "2" : "2 to 1000");
    }
    m->classes = lariat_malloc(ctx, (size_t)K, sizeof(double), "model classes");
    if (m->classes == NULL) return LARIAT_ENOMEM;
    int rc = get_numbers(ctx, path, classes, "classes", 0, K, m->classes);
    for (int k = 1; rc == LARIAT_OK && k < K; k++) {
        if (!(m->classes[k] > m->classes[k - 1])) {
            rc = lariat_error(ctx, LARIAT_EDATA, "model '%s': \"classes\" are not in ascending order", path);
        }
    }
    if (rc != LARIAT_OK) return rc;
    m->nclass = K;
    if (binomial) return LARIAT_OK;
    m->nlin = K;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "multinomial");
    if (type != NULL) {
        const char *name = cJSON_IsString(type) ? type->valuestring : "";
        if (strcmp(name, "grouped") == 0) m->grouped = 1;
        else if (strcmp(name, "ungrouped") != 0) {
            return lariat_error(ctx, LARIAT_EDATA, "model '%s': \"multinomial\" is not ungrouped or grouped", path);
        }
    }
    return LARIAT_OK;
}

/* Not collective. The one-lambda fit of the model's solution (model.h). */
static void make_view(lariat_model *m)
{
    lariat_solution *s = &m->sol;
    memset(s, 0, sizeof(*s));
    s->lambda = m->lambda;
    s->intercept = m->intercept;
    s->coef = m->coef;
    s->intercepts = m->intercepts;
    s->converged = 1;
    lariat_fit *f = &m->fit;
    memset(f, 0, sizeof(*f));
    f->p = m->p;
    f->alpha = m->alpha;
    f->nlambda = 1;
    f->path = s;
    f->family = m->family;
    f->nlin = m->nlin;
    f->grouped = m->grouped;
    f->nclass = m->nclass;
    f->classes = m->classes;
}

/* Not collective. The line of a parse error, for the message. */
static int error_line(const char *text, const char *at)
{
    int line = 1;
    for (const char *c = text; at != NULL && c < at && *c != '\0'; c++) line += (*c == '\n');
    return line;
}

/* Not collective. Checks the parsed document and fills m. */
static int parse_model(lariat_ctx *ctx, const char *path, const char *text, long long len, lariat_model *m)
{
    const char *end = NULL;
    /* The length includes the terminating NUL: cJSON then requires that
    ** nothing but white space follows the document. */
    cJSON *root = cJSON_ParseWithLengthOpts(text, (size_t)len + 1, &end, 1);
    if (root == NULL) {
        return lariat_error(ctx, LARIAT_EDATA, "model '%s': not valid JSON (line %d)", path, error_line(text, end));
    }
    int rc = cJSON_IsObject(root) ? LARIAT_OK
                                  : lariat_error(ctx, LARIAT_EDATA, "model '%s': not a JSON object", path);
    if (rc == LARIAT_OK) rc = check_finite(ctx, path, root, "(top level)");
    if (rc == LARIAT_OK) {
        const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
        if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, "lariat-model") != 0) {
            rc = lariat_error(ctx, LARIAT_EDATA, "model '%s': \"format\" is not \"lariat-model\"", path);
        }
    }
    double version = 0, p = 0, n_samples = 0;
    if (rc == LARIAT_OK) rc = get_number(ctx, path, root, "version", &version);
    if (rc == LARIAT_OK && version != 1.0) {
        rc = lariat_error(ctx, LARIAT_EDATA, "model '%s': \"version\" %g is not supported (only 1)", path, version);
    }
    if (rc == LARIAT_OK) rc = get_number(ctx, path, root, "n_features", &p);
    if (rc == LARIAT_OK && !(p >= 1 && p <= INT_MAX && p == floor(p))) {
        rc = lariat_error(ctx, LARIAT_EDATA, "model '%s': \"n_features\" is not a positive integer", path);
    }
    if (rc == LARIAT_OK) rc = parse_family(ctx, path, root, m);
    if (rc == LARIAT_OK) rc = get_number(ctx, path, root, "alpha", &m->alpha);
    if (rc == LARIAT_OK) rc = get_number(ctx, path, root, "lambda", &m->lambda);
    if (rc == LARIAT_OK && m->nlin == 1) rc = get_number(ctx, path, root, "intercept", &m->intercept);
    if (rc == LARIAT_OK && m->nlin > 1) {
        m->intercepts = lariat_malloc(ctx, (size_t)m->nlin, sizeof(double), "model intercepts");
        rc = m->intercepts == NULL ? LARIAT_ENOMEM
                                   : get_numbers(ctx, path, cJSON_GetObjectItemCaseSensitive(root, "intercept"),
                                                 "intercept", 0, m->nlin, m->intercepts);
    }
    if (rc == LARIAT_OK) rc = get_bool(ctx, path, root, "standardize", &m->standardize);
    if (rc == LARIAT_OK) rc = get_bool(ctx, path, root, "fit_intercept", &m->fit_intercept);
    if (rc == LARIAT_OK && cJSON_GetObjectItemCaseSensitive(root, "n_samples") != NULL) {
        rc = get_number(ctx, path, root, "n_samples", &n_samples);
        if (rc == LARIAT_OK && !(n_samples >= 0 && n_samples <= 9.007199254740992e15)) {
            rc = lariat_error(ctx, LARIAT_EDATA, "model '%s': \"n_samples\" is not a row count", path);
        }
        m->n_samples = (int64_t)n_samples;
    }
    const cJSON *coef = cJSON_GetObjectItemCaseSensitive(root, "coef");
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(root, "feature_names");
    const int K = m->nlin;
    if (rc == LARIAT_OK && K == 1 && (!cJSON_IsArray(coef) || cJSON_GetArraySize(coef) != (int)p)) {
        rc = lariat_error(ctx, LARIAT_EDATA, "model '%s': \"coef\" is not an array of n_features = %.0f numbers", path,
                          p);
    }
    if (rc == LARIAT_OK && K > 1 && (!cJSON_IsArray(coef) || cJSON_GetArraySize(coef) != K)) {
        rc = lariat_error(ctx, LARIAT_EDATA,
                          "model '%s': \"coef\" is not an array of %d arrays (one per class) of n_features = %.0f "
                          "numbers", path, K, p);
    }
    if (rc == LARIAT_OK && names != NULL && (!cJSON_IsArray(names) || cJSON_GetArraySize(names) != (int)p)) {
        rc = lariat_error(ctx, LARIAT_EDATA,
                          "model '%s': \"feature_names\" is not an array of n_features = %.0f strings", path, p);
    }
    if (rc == LARIAT_OK) {
        m->p = (int64_t)p;
        m->coef = lariat_malloc(ctx, (size_t)K * (size_t)m->p, sizeof(double), "model coefficients");
        m->feature_names = lariat_calloc(ctx, (size_t)m->p, sizeof(char *), "model feature names");
        if (m->coef == NULL || m->feature_names == NULL) rc = LARIAT_ENOMEM;
    }
    if (rc == LARIAT_OK && K == 1) rc = get_numbers(ctx, path, coef, "coef", 0, m->p, m->coef);
    if (rc == LARIAT_OK && K > 1) {
        int k = 0;
        for (const cJSON *c = coef->child; c != NULL && rc == LARIAT_OK; c = c->next, k++) {
            rc = get_numbers(ctx, path, c, "coef", k + 1, m->p, m->coef + (int64_t)k * m->p);
        }
    }
    /* Walk the array's list (cJSON_GetArrayItem would be quadratic in p). */
    const cJSON *c = names != NULL ? names->child : NULL;
    for (int64_t j = 0; rc == LARIAT_OK && j < m->p; j++, c = c != NULL ? c->next : NULL) {
        char fallback[32];
        snprintf(fallback, sizeof(fallback), "x%lld", (long long)(j + 1));
        if (c != NULL && !cJSON_IsString(c)) {
            rc = lariat_error(ctx, LARIAT_EDATA, "model '%s': \"feature_names\" entry %lld is not a string", path,
                              (long long)(j + 1));
            break;
        }
        m->feature_names[j] = strdup(c != NULL ? c->valuestring : fallback);
        if (m->feature_names[j] == NULL) rc = lariat_error(ctx, LARIAT_ENOMEM, "out of memory reading '%s'", path);
    }
    if (rc == LARIAT_OK) make_view(m);
    cJSON_Delete(root);
    return rc;
}

int lariat_model_read(lariat_ctx *ctx, const char *path, lariat_model **out)
{
    *out = NULL;
    char *text = NULL;
    long long len = 0;
    lariat_model *m = NULL;
    int rc = lariat_ctx_rank(ctx) == 0 ? read_text(ctx, path, &text, &len) : LARIAT_OK;
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK) rc = bcast_text(ctx, &text, &len);
    if (rc == LARIAT_OK) {
        m = lariat_calloc(ctx, 1, sizeof(*m), "a model");
        rc = m == NULL ? LARIAT_ENOMEM : parse_model(ctx, path, text, len, m);
    }
    free(text);
    rc = lariat_agree(ctx, rc);
    if (rc != LARIAT_OK) {
        lariat_model_destroy(m);
        return rc;
    }
    *out = m;
    return LARIAT_OK;
}
