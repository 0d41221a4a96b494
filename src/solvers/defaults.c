/* The defaults of SPEC.md section 4 for the problem and the settings. */
#include "lariat.h"

#include <string.h>

void lariat_problem_default(lariat_problem *pb)
{
    memset(pb, 0, sizeof(*pb));
    pb->alpha = 1.0;
    pb->standardize = 1;
    pb->intercept = 1;
}

void lariat_settings_default(lariat_settings *st)
{
    memset(st, 0, sizeof(*st));
    st->solver = LARIAT_SOLVER_AUTO;
    st->tol = 1e-7;
    st->max_iter = 10000;
    st->rho = 0.0;
    st->adapt_rho = 1;
    st->nlambda = 100;
    st->lambda_min_ratio = 0.0;
    st->checkpoint_every = 60.0;
}
