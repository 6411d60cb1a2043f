/* clip.c: gradient clipping over a list of parameters, in place on their .grad. */
#include <math.h>

#include "nn/clip.h"

/* applies f to every element of g in place (g contiguous: the engine makes grads so) */
static double grad_at(const dlt_tensor *g, int64_t i) {
  return g->dtype == DLT_FLOAT32 ? ((float *)dlt_data(g))[i] : ((double *)dlt_data(g))[i];
}

static void grad_set(dlt_tensor *g, int64_t i, double v) {
  if (g->dtype == DLT_FLOAT32) ((float *)dlt_data(g))[i] = (float)v;
  else ((double *)dlt_data(g))[i] = v;
}

static int check_grads(const char *fn, dlt_tensor *const *params, int n) {
  for (int k = 0; k < n; k++)
    if (params[k]->grad && !dlt_is_contiguous(params[k]->grad))
      return dlt_failn("%s: the gradient of parameter %d is not contiguous", fn, k + 1);
  return 0;
}

int dlt_clip_grad_norm(dlt_tensor *const *params, int n, double max_norm, double p, bool error_if_nonfinite,
                       double *out) {
  if (check_grads("clip_grad_norm_", params, n)) return -1;
  if (!(p > 0)) return dlt_failn("clip_grad_norm_: norm_type must be positive, got %g", p);
  double total = 0;
  for (int k = 0; k < n; k++) {
    const dlt_tensor *g = params[k]->grad;
    if (!g) continue;
    int64_t m = dlt_numel(g);
    for (int64_t i = 0; i < m; i++) {
      double a = fabs(grad_at(g, i));
      if (isinf(p)) total = a > total || isnan(a) ? a : total;
      else total += p == 2 ? a * a : pow(a, p);
    }
  }
  if (!isinf(p)) total = p == 2 ? sqrt(total) : pow(total, 1 / p);
  if (error_if_nonfinite && !isfinite(total))
    return dlt_failn("clip_grad_norm_: the total norm of order %g of the gradients is not finite (%g)", p, total);
  double coef = max_norm / (total + 1e-6);
  if (coef < 1)
    for (int k = 0; k < n; k++) {
      dlt_tensor *g = params[k]->grad;
      if (!g) continue;
      int64_t m = dlt_numel(g);
      for (int64_t i = 0; i < m; i++) grad_set(g, i, grad_at(g, i) * coef);
      dlt_bump_version(g);
    }
  *out = total;
  return 0;
}

int dlt_clip_grad_value(dlt_tensor *const *params, int n, double clip) {
  if (check_grads("clip_grad_value_", params, n)) return -1;
  for (int k = 0; k < n; k++) {
    dlt_tensor *g = params[k]->grad;
    if (!g) continue;
    int64_t m = dlt_numel(g);
    for (int64_t i = 0; i < m; i++) {
      double v = grad_at(g, i);
      grad_set(g, i, v > clip ? clip : (v < -clip ? -clip : v));
    }
    dlt_bump_version(g);
  }
  return 0;
}
