/* optim.h: the optimizers' fused update kernels. Each step is one flat loop over a
 * parameter tensor that reads the parameter, its gradient and its state and writes
 * them in place, with PyTorch's update rule (torch.optim, single-tensor form). */
#ifndef DLT_OPTIM_H
#define DLT_OPTIM_H

#include <stdbool.h>
#include <stdint.h>

#include "core/tensor.h"

/* Every kernel takes the parameter p, its gradient g (same shape and dtype) and state
 * tensors created by dlt_optim_state (same shape and dtype, contiguous). p and g may
 * be strided views: they are then gathered into scratch copies and p is written back.
 * Each returns 0, or -1 with an error naming fn ("SGD.step", ...). p's version is bumped. */

typedef struct {
  double lr, momentum, dampening, weight_decay;
  bool nesterov, maximize;
} dlt_sgd_opts;
/* buf is NULL when momentum is 0; first=true initializes buf with the update (clone) */
int dlt_sgd_step(dlt_tensor *p, const dlt_tensor *g, dlt_tensor *buf, bool first,
                 const dlt_sgd_opts *o);

typedef struct {
  double lr, beta1, beta2, eps, weight_decay;
  bool amsgrad, maximize, decoupled; /* decoupled: AdamW's p *= 1 - lr*wd */
} dlt_adam_opts;
/* step is the 1-based count after this update; vmax is NULL unless amsgrad */
int dlt_adam_step(dlt_tensor *p, const dlt_tensor *g, dlt_tensor *m, dlt_tensor *v,
                  dlt_tensor *vmax, int64_t step, const dlt_adam_opts *o);

typedef struct {
  double lr, beta1, beta2, eps, weight_decay, momentum_decay;
} dlt_nadam_opts;
/* *mu_product carries PyTorch's state['mu_product'], a 0-dim tensor of the default
 * dtype (float32 unless changed): it is rounded to that dtype as PyTorch does. */
int dlt_nadam_step(dlt_tensor *p, const dlt_tensor *g, dlt_tensor *m, dlt_tensor *v,
                   int64_t step, double *mu_product, const dlt_nadam_opts *o);

typedef struct {
  double lr, alpha, eps, weight_decay, momentum;
  bool centered, maximize;
} dlt_rmsprop_opts;
/* buf is used when momentum > 0, grad_avg when centered (NULL otherwise) */
int dlt_rmsprop_step(dlt_tensor *p, const dlt_tensor *g, dlt_tensor *square_avg,
                     dlt_tensor *buf, dlt_tensor *grad_avg, const dlt_rmsprop_opts *o);

typedef struct {
  double lr, lr_decay, weight_decay, eps;
  bool maximize;
} dlt_adagrad_opts;
int dlt_adagrad_step(dlt_tensor *p, const dlt_tensor *g, dlt_tensor *sum, int64_t step,
                     const dlt_adagrad_opts *o);

typedef struct {
  double lr, rho, eps, weight_decay;
  bool maximize;
} dlt_adadelta_opts;
int dlt_adadelta_step(dlt_tensor *p, const dlt_tensor *g, dlt_tensor *square_avg,
                      dlt_tensor *acc_delta, const dlt_adadelta_opts *o);

typedef struct {
  double lr, beta1, beta2, eps, weight_decay;
  bool maximize;
} dlt_adamax_opts;
/* exp_inf is the exponentially weighted infinity norm; step is 1-based after this update */
int dlt_adamax_step(dlt_tensor *p, const dlt_tensor *g, dlt_tensor *exp_avg, dlt_tensor *exp_inf,
                    int64_t step, const dlt_adamax_opts *o);

typedef struct {
  double lr, beta1, beta2, eps, weight_decay;
} dlt_radam_opts;
int dlt_radam_step(dlt_tensor *p, const dlt_tensor *g, dlt_tensor *exp_avg, dlt_tensor *exp_avg_sq,
                   int64_t step, const dlt_radam_opts *o);

typedef struct {
  double lr, lambd, alpha, t0, weight_decay;
  bool maximize;
} dlt_asgd_opts;
/* *eta and *mu carry PyTorch's 0-dim state tensors of the default dtype (rounded to
 * it as PyTorch stores them); step is 1-based after this update; ax is the average */
int dlt_asgd_step(dlt_tensor *p, const dlt_tensor *g, dlt_tensor *ax, int64_t step, double *eta,
                  double *mu, const dlt_asgd_opts *o);
/* the initial eta: lr in the default dtype */
double dlt_asgd_initial_eta(double lr);

typedef struct {
  double etaminus, etaplus, step_size_min, step_size_max;
  bool maximize;
} dlt_rprop_opts;
/* prev is the previous (masked) gradient, step_size the per-element step */
int dlt_rprop_step(dlt_tensor *p, const dlt_tensor *g, dlt_tensor *prev, dlt_tensor *step_size,
                   const dlt_rprop_opts *o);

/* A contiguous state tensor of p's shape and dtype filled with v. */
dlt_tensor *dlt_optim_state(const dlt_tensor *p, double v);

/* --- shared by the kernel files --- */

/* p and g as contiguous arrays for the length of one step. */
typedef struct {
  dlt_tensor *p;  /* the parameter (borrowed) */
  void *pd;       /* p's elements, or a scratch copy when p is strided */
  const void *gd; /* g's elements, or a scratch copy */
  void *pscratch, *gscratch;
  int64_t n;
} dlt_optim_io;

/* Checks g and the nstate state tensors (NULL entries skipped) against p and prepares
 * io; -1 with an error naming fn. */
int dlt_optim_begin(const char *fn, dlt_tensor *p, const dlt_tensor *g,
                    dlt_tensor *const *state, int nstate, dlt_optim_io *io);
/* Steps counted by optimizers run 1 .. 2^53 (beyond, a double cannot count them and the
 * bias corrections are 1): -1 naming fn for a step outside (a state set by hand). */
#define DLT_OPTIM_MAX_STEP ((int64_t)1 << 53)
int dlt_optim_check_step(const char *fn, int64_t step);
/* Writes a scratch p back, frees the scratch and bumps p's version. */
void dlt_optim_end(dlt_optim_io *io);

#endif
