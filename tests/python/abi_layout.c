/*
** Prints the size of each struct of lariat.h that python/lariat/_capi.py
** mirrors with ctypes, and the offset of each field, as JSON. The Python
** tests compare them with the ctypes layouts (test_api.py), so that a field
** added to lariat.h without its mirror fails a test instead of corrupting
** memory at run time.
*/
#include <lariat.h>

#include <stddef.h>
#include <stdio.h>

#define FIELD(s, f) printf("%s\"%s\": %zu", first ? "" : ", ", #f, offsetof(s, f)), first = 0
#define BEGIN(s) printf("%s\"%s\": {\"size\": %zu, \"fields\": {", nstruct++ ? ",\n " : "{", #s, sizeof(s)), first = 1
#define END() printf("}}")

int main(void)
{
    int nstruct = 0, first = 1;
    BEGIN(lariat_problem);
    FIELD(lariat_problem, alpha);
    FIELD(lariat_problem, penalty_factor);
    FIELD(lariat_problem, lower);
    FIELD(lariat_problem, upper);
    FIELD(lariat_problem, standardize);
    FIELD(lariat_problem, intercept);
    FIELD(lariat_problem, family);
    FIELD(lariat_problem, grouped);
    END();
    BEGIN(lariat_settings);
    FIELD(lariat_settings, solver);
    FIELD(lariat_settings, tol);
    FIELD(lariat_settings, max_iter);
    FIELD(lariat_settings, rho);
    FIELD(lariat_settings, adapt_rho);
    FIELD(lariat_settings, nlambda);
    FIELD(lariat_settings, lambda_min_ratio);
    FIELD(lariat_settings, lambda);
    FIELD(lariat_settings, n_lambda_given);
    FIELD(lariat_settings, checkpoint);
    FIELD(lariat_settings, checkpoint_every);
    FIELD(lariat_settings, resume);
    FIELD(lariat_settings, distributed_gram);
    FIELD(lariat_settings, max_memory);
    FIELD(lariat_settings, curvature);
    END();
    BEGIN(lariat_solution);
    FIELD(lariat_solution, lambda);
    FIELD(lariat_solution, intercept);
    FIELD(lariat_solution, coef);
    FIELD(lariat_solution, nonzero);
    FIELD(lariat_solution, objective);
    FIELD(lariat_solution, duality_gap);
    FIELD(lariat_solution, iterations);
    FIELD(lariat_solution, converged);
    FIELD(lariat_solution, dev_ratio);
    FIELD(lariat_solution, intercepts);
    END();
    BEGIN(lariat_fit);
    FIELD(lariat_fit, p);
    FIELD(lariat_fit, alpha);
    FIELD(lariat_fit, nlambda);
    FIELD(lariat_fit, path);
    FIELD(lariat_fit, null_objective);
    FIELD(lariat_fit, lambda_max);
    FIELD(lariat_fit, solver_name);
    FIELD(lariat_fit, solver_reason);
    FIELD(lariat_fit, n_zero_variance);
    FIELD(lariat_fit, family);
    FIELD(lariat_fit, nlin);
    FIELD(lariat_fit, grouped);
    FIELD(lariat_fit, nclass);
    FIELD(lariat_fit, classes);
    FIELD(lariat_fit, path_stopped);
    END();
    BEGIN(lariat_cv_settings);
    FIELD(lariat_cv_settings, nfolds);
    FIELD(lariat_cv_settings, seed);
    FIELD(lariat_cv_settings, foldid);
    FIELD(lariat_cv_settings, groups);
    FIELD(lariat_cv_settings, select);
    FIELD(lariat_cv_settings, alphas);
    FIELD(lariat_cv_settings, nalpha);
    FIELD(lariat_cv_settings, measure);
    END();
    BEGIN(lariat_cv_curve);
    FIELD(lariat_cv_curve, alpha);
    FIELD(lariat_cv_curve, nlambda);
    FIELD(lariat_cv_curve, lambda);
    FIELD(lariat_cv_curve, cvm);
    FIELD(lariat_cv_curve, cvsd);
    FIELD(lariat_cv_curve, nonzero);
    FIELD(lariat_cv_curve, index_min);
    FIELD(lariat_cv_curve, index_1se);
    FIELD(lariat_cv_curve, fit);
    END();
    BEGIN(lariat_cv_result);
    FIELD(lariat_cv_result, nfolds);
    FIELD(lariat_cv_result, seed);
    FIELD(lariat_cv_result, select);
    FIELD(lariat_cv_result, groups);
    FIELD(lariat_cv_result, nalpha);
    FIELD(lariat_cv_result, curves);
    FIELD(lariat_cv_result, best);
    FIELD(lariat_cv_result, alpha_min);
    FIELD(lariat_cv_result, lambda_min);
    FIELD(lariat_cv_result, lambda_1se);
    FIELD(lariat_cv_result, selected);
    FIELD(lariat_cv_result, measure);
    END();
    printf("}\n");
    return 0;
}
