/* adam.c: Adam, AdamW and NAdam, as torch.optim (single-tensor form):
 *   Adam:  g += wd*p (AdamW instead p *= 1 - lr*wd); m = b1*m + (1-b1)*g;
 *          v = b2*v + (1-b2)*g*g; vmax = max(vmax, v) with amsgrad;
 *          p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
 *   NAdam: mu_t = b1*(1 - 0.5*0.96^(t*psi)); m, v as Adam; d = sqrt(v/(1-b2^t)) + eps;
 *          p -= lr*(1-mu_t)/(1-prod mu) * g/d + lr*mu_{t+1}/(1-prod mu*mu_{t+1}) * m/d */
#include <math.h>

#include "core/ops.h"     /* dlt_blas_num_threads */
#include "core/strided.h" /* DLT_VEC_CLONES */
#include "core/worker.h"
#include "optim/optim.h"

/* pow(b, t) for the bias corrections, remembered per slot: every parameter tensor of a
 * step asks for the same two powers */
static double pow_cached(int slot, double b, int64_t t) {
  static double base[2], value[2];
  static int64_t power[2] = {-1, -1};
  if (power[slot] != t || base[slot] != b) {
    base[slot] = b;
    power[slot] = t;
    value[slot] = pow(b, (double)t);
  }
  return value[slot];
}

/* adam_f32/f64 and nadam_f32/f64 */
#define OPTIM_BODY "optim/adam.inc"
#include "optim/per_dtype.inc"

/* one part of a parameter's update, for run_adam on either thread */
typedef struct {
  bool f64;
  char *p, *m, *v, *vmax;
  const char *g;
  int64_t n, step;
  const dlt_adam_opts *o;
} adam_job;

static void run_adam(void *arg) {
  adam_job *j = arg;
  if (j->n <= 0) return;
  if (j->f64) adam_f64((double *)j->p, (const double *)j->g, (double *)j->m, (double *)j->v, (double *)j->vmax, j->n, j->step, j->o);
  else adam_f32((float *)j->p, (const float *)j->g, (float *)j->m, (float *)j->v, (float *)j->vmax, j->n, j->step, j->o);
}

/* Each element's update is independent, so with two threads set a large parameter's
 * upper half goes to the helper thread of core/worker.c (the same bits as one thread):
 * an MLP step's AdamW over half a million weights would otherwise be a serial
 * millisecond beside GEMMs that run on both cores. */
#define ADAM_SPLIT_N ((int64_t)1 << 16)

static void adam_update(adam_job *j) {
  if (j->n < ADAM_SPLIT_N || dlt_blas_num_threads() < 2) {
    run_adam(j);
    return;
  }
  /* the bias corrections are cached (pow_cached): computed here first, so the two
   * threads only read the cache */
  pow_cached(0, j->o->beta1, j->step);
  pow_cached(1, j->o->beta2, j->step);
  size_t es = j->f64 ? sizeof(double) : sizeof(float);
  int64_t half = j->n / 2 / 16 * 16; /* whole vectors on both sides */
  adam_job hi = *j;
  hi.n = j->n - half;
  hi.p += es * (size_t)half;
  hi.g += es * (size_t)half;
  hi.m += es * (size_t)half;
  hi.v += es * (size_t)half;
  if (hi.vmax) hi.vmax += es * (size_t)half;
  j->n = half;
  dlt_worker_run2(run_adam, &hi, j);
}

int dlt_adam_step(dlt_tensor *p, const dlt_tensor *g, dlt_tensor *m, dlt_tensor *v,
                  dlt_tensor *vmax, int64_t step, const dlt_adam_opts *o) {
  dlt_optim_io io;
  dlt_tensor *st[3] = {m, v, vmax};
  const char *fn = o->decoupled ? "AdamW.step" : "Adam.step";
  if (!m || !v) return dlt_failn("%s: missing state", fn);
  if (dlt_optim_check_step(fn, step) < 0) return -1;
  if (dlt_optim_begin(fn, p, g, st, 3, &io) < 0) return -1;
  adam_job j = {p->dtype == DLT_FLOAT64, io.pd, dlt_data(m), dlt_data(v), vmax ? dlt_data(vmax) : NULL, io.gd,
                io.n, step, o};
  adam_update(&j);
  dlt_optim_end(&io);
  return 0;
}

/* x rounded to the dtype of PyTorch's 0-dim state tensors (the default dtype) */
static double state_round(double x) {
  return dlt_default_dtype() == DLT_FLOAT64 ? x : (double)(float)x;
}

int dlt_nadam_step(dlt_tensor *p, const dlt_tensor *g, dlt_tensor *m, dlt_tensor *v,
                   int64_t step, double *mu_product, const dlt_nadam_opts *o) {
  dlt_optim_io io;
  dlt_tensor *st[2] = {m, v};
  if (!m || !v) return dlt_failn("NAdam.step: missing state");
  if (dlt_optim_check_step("NAdam.step", step) < 0) return -1;
  if (dlt_optim_begin("NAdam.step", p, g, st, 2, &io) < 0) return -1;
  double t = (double)step;
  double bc2 = 1 - pow(o->beta2, t);
  double mu = o->beta1 * (1. - 0.5 * pow(0.96, t * o->momentum_decay));
  double mu_next = o->beta1 * (1. - 0.5 * pow(0.96, (t + 1) * o->momentum_decay));
  /* mu_product is a 0-dim tensor: each product rounds to its dtype, the scalar too */
  double prod = state_round(*mu_product * state_round(mu));
  double prod_next = state_round(state_round(prod * state_round(mu)) * state_round(mu_next));
  double a = -o->lr * (1. - mu) / (1. - prod);
  double b = -o->lr * mu_next / (1. - prod_next);
  if (p->dtype == DLT_FLOAT64) nadam_f64(io.pd, io.gd, dlt_data(m), dlt_data(v), io.n, bc2, a, b, o);
  else nadam_f32(io.pd, io.gd, dlt_data(m), dlt_data(v), io.n, bc2, a, b, o);
  *mu_product = prod;
  dlt_optim_end(&io);
  return 0;
}
