/* fused_act.c: dropout, the elementwise activations and softmax, one node each. */
#include <string.h>

#include "autograd/fused.h"

/* Makes a node over x saving t, with the op's context ctx (size bytes, NULL: none);
 * releases y and returns NULL on failure. */
static dlt_tensor *record1(const char *name, dlt_backward_fn bw, dlt_tensor *x, dlt_tensor *y, dlt_tensor *t,
                           const void *ctx, size_t size) {
  const dlt_tensor *in[1] = {x};
  int err;
  dlt_node *n = dlt_node_new(name, bw, 1, in, &err);
  if (err || (n && dlt_node_save(n, t) < 0)) {
    dlt_node_release(n);
    dlt_release(y);
    return NULL;
  }
  if (n) {
    if (ctx) memcpy(n->ctx.bytes, ctx, size);
    dlt_node_attach(n, y);
  }
  if (dlt_fused_anomaly(name, y)) {
    dlt_release(y);
    return NULL;
  }
  return y;
}

/* ---- dropout: saved 0 the mask (0 or 1/(1-p)) ---- */

static int dropout_backward(dlt_node *n, const dlt_tensor *gout, dlt_tensor **gin) {
  const dlt_tensor *mask = dlt_node_saved(n, 0);
  if (!mask) return -1;
  int err;
  dlt_tensor *dx = dlt_fused_grad_new(n, 0, gin, &err), *g = dlt_contiguous((dlt_tensor *)gout);
  if (err || !g) {
    dlt_release(g);
    return -1;
  }
  if (dx) {
    if (dx->dtype == DLT_FLOAT32) dlt_k_mul_f32(DLT_F32(dx), DLT_F32(g), DLT_F32(mask), dlt_numel(dx));
    else dlt_k_mul_f64(DLT_F64(dx), DLT_F64(g), DLT_F64(mask), dlt_numel(dx));
  }
  dlt_release(g);
  return 0;
}

dlt_tensor *dlt_fused_dropout(const char *fn, dlt_tensor *x, double p, bool training) {
  if (!(p >= 0 && p <= 1)) return dlt_fail("%s: dropout probability has to be between 0 and 1, but got %g", fn, p);
  if (!training || p == 0) return dlt_retain(x);
  dlt_tensor *xc = dlt_contiguous(x), *y = dlt_empty_like(x), *mask = dlt_empty_like(x);
  if (xc && y && mask) {
    if (x->dtype == DLT_FLOAT32) dlt_k_dropout_fwd_f32(DLT_F32(y), DLT_F32(mask), DLT_F32(xc), dlt_numel(x), p);
    else dlt_k_dropout_fwd_f64(DLT_F64(y), DLT_F64(mask), DLT_F64(xc), dlt_numel(x), p);
    y = record1("DropoutBackward", dropout_backward, x, y, mask, NULL, 0);
  } else {
    dlt_release(y);
    y = NULL;
  }
  dlt_release(xc);
  dlt_release(mask);
  return y;
}

/* ---- activations: saved 0 the input, or the output for ReLU, Tanh, Sigmoid ---- */

typedef struct {
  dlt_act act;
  double p[DLT_ACT_NPARAM]; /* the activation's parameters (LeakyReLU's slope, ELU's alpha, ...) */
} act_ctx;

static bool saves_output(dlt_act act) { return act == DLT_ACT_RELU || act == DLT_ACT_TANH || act == DLT_ACT_SIGMOID; }

static int act_backward(dlt_node *n, const dlt_tensor *gout, dlt_tensor **gin) {
  const dlt_tensor *t = dlt_node_saved(n, 0);
  if (!t) return -1;
  const act_ctx *c = DLT_NODE_CTX(n, act_ctx);
  dlt_act act = c->act;
  int err;
  dlt_tensor *dx = dlt_fused_grad_new(n, 0, gin, &err), *g = dlt_contiguous((dlt_tensor *)gout);
  if (err || !g) {
    dlt_release(g);
    return -1;
  }
  if (dx) {
    bool out = saves_output(act);
    if (dx->dtype == DLT_FLOAT32)
      dlt_k_act_bwd_f32(DLT_F32(dx), DLT_F32(g), out ? NULL : DLT_F32(t), out ? DLT_F32(t) : NULL, dlt_numel(dx), act, c->p);
    else
      dlt_k_act_bwd_f64(DLT_F64(dx), DLT_F64(g), out ? NULL : DLT_F64(t), out ? DLT_F64(t) : NULL, dlt_numel(dx), act, c->p);
  }
  dlt_release(g);
  return 0;
}

static const char *act_node_name(dlt_act act) {
  static const char *names[] = {"IdentityBackward", "ReluBackward", "LeakyReluBackward", "TanhBackward",
                                "SigmoidBackward", "GeluBackward", "GeluBackward", "SiluBackward",
                                "EluBackward", "SoftplusBackward", "MishBackward", "HardtanhBackward",
                                "HardswishBackward"};
  return names[act];
}

dlt_tensor *dlt_fused_act_p(const char *fn, dlt_tensor *x, dlt_act act, const double p[DLT_ACT_NPARAM]) {
  (void)fn;
  act_ctx c = {act, {p[0], p[1], p[2], p[3]}};
  dlt_tensor *xc = dlt_contiguous(x), *y = xc ? dlt_empty_like(x) : NULL;
  if (y) {
    if (x->dtype == DLT_FLOAT32) dlt_k_act_fwd_f32(DLT_F32(y), DLT_F32(xc), dlt_numel(x), act, c.p);
    else dlt_k_act_fwd_f64(DLT_F64(y), DLT_F64(xc), dlt_numel(x), act, c.p);
    y = record1(act_node_name(act), act_backward, x, y, saves_output(act) ? y : xc, DLT_NODE_CTX_ARG(c));
  }
  dlt_release(xc);
  return y;
}

dlt_tensor *dlt_fused_act(const char *fn, dlt_tensor *x, dlt_act act, double slope) {
  const double p[DLT_ACT_NPARAM] = {slope, 0, 0, 0};
  return dlt_fused_act_p(fn, x, act, p);
}

/* ---- softmax: x as (outer,D,inner); saved 0 y ---- */

typedef struct {
  int64_t outer, D, inner;
  bool log;
} softmax_ctx;

static int softmax_backward(dlt_node *n, const dlt_tensor *gout, dlt_tensor **gin) {
  const dlt_tensor *y = dlt_node_saved(n, 0);
  if (!y) return -1;
  int err;
  dlt_tensor *dx = dlt_fused_grad_new(n, 0, gin, &err), *g = dlt_contiguous((dlt_tensor *)gout);
  if (err || !g) {
    dlt_release(g);
    return -1;
  }
  const softmax_ctx *c = DLT_NODE_CTX(n, softmax_ctx);
  if (dx) {
    if (dx->dtype == DLT_FLOAT32)
      dlt_k_softmax_bwd_f32(DLT_F32(dx), DLT_F32(g), DLT_F32(y), c->outer, c->D, c->inner, c->log);
    else
      dlt_k_softmax_bwd_f64(DLT_F64(dx), DLT_F64(g), DLT_F64(y), c->outer, c->D, c->inner, c->log);
  }
  dlt_release(g);
  return 0;
}

dlt_tensor *dlt_fused_softmax(const char *fn, dlt_tensor *x, int dim, bool log) {
  int nd = x->ndim ? x->ndim : 1;
  int d = dlt_wrap_dim(fn, dim, nd);
  if (d < 0) return NULL;
  int64_t outer = 1, D = x->ndim ? x->shape[d] : 1, inner = 1;
  for (int k = 0; k < d; k++) outer *= x->shape[k];
  for (int k = d + 1; k < x->ndim; k++) inner *= x->shape[k];
  dlt_tensor *xc = dlt_contiguous(x), *y = xc ? dlt_empty_like(x) : NULL;
  if (y) {
    if (x->dtype == DLT_FLOAT32) dlt_k_softmax_fwd_f32(DLT_F32(y), DLT_F32(xc), outer, D, inner, log);
    else dlt_k_softmax_fwd_f64(DLT_F64(y), DLT_F64(xc), outer, D, inner, log);
    softmax_ctx c = {outer, D, inner, log};
    y = record1(log ? "LogSoftmaxBackward" : "SoftmaxBackward", softmax_backward, x, y, y, DLT_NODE_CTX_ARG(c));
  }
  dlt_release(xc);
  return y;
}
