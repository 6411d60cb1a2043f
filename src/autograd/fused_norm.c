/* fused_norm.c: batch, layer and group (and instance) normalization, one node each.
 * Forward keeps the per-group mean and 1/std for backward. */
#include <string.h>

#include "autograd/fused.h"
#include "core/ops.h"
#include "core/worker.h"

/* What the three norms' backward reads: the shape of x, the saved tensors present. */
typedef struct {
  int64_t N, C, L;  /* x as (N,C,L); layer norm: (N rows, C = D, L = 1) */
  int64_t G;        /* group norm's groups */
  bool batch_stats; /* batch norm normalized with the batch's statistics */
  bool has_mask;    /* batch norm's ReLU/dropout mask is saved (after w) */
  bool relu_ab;     /* ... as the forward's scale and bias (2,C) in float64 instead */
  bool has_w;       /* w is saved (slot 3) */
} norm_ctx;

static int check_vec(const char *fn, const char *what, const dlt_tensor *v, int64_t C, dlt_dtype dt) {
  char s[128];
  if (!v) return 0;
  if (v->ndim != 1 || v->shape[0] != C)
    return dlt_failn("%s: %s has shape %s, expected {%lld}", fn, what, dlt_shape_str(v, s, sizeof s), (long long)C);
  if (v->dtype != dt)
    return dlt_failn("%s: input is %s but %s is %s (convert one with :to())", fn, dlt_dtype_name(dt), what,
                     dlt_dtype_name(v->dtype));
  return 0;
}

/* Records node name over inputs {x, w, b} with the given tensors saved and context c;
 * on failure releases y and returns NULL. */
static dlt_tensor *record(const char *name, dlt_backward_fn bw, dlt_tensor *x, dlt_tensor *w, dlt_tensor *b,
                          dlt_tensor *y, dlt_tensor *const *save, int nsave, const norm_ctx *c, dlt_bufset *bs) {
  const dlt_tensor *in[3] = {x, w, b};
  int err;
  dlt_node *n = dlt_node_new(name, bw, 3, in, &err);
  bool bad = err != 0;
  for (int k = 0; n && !bad && k < nsave; k++) bad = dlt_node_save(n, save[k]) < 0;
  if (bad) {
    dlt_node_release(n);
    dlt_release(y);
    return NULL;
  }
  if (n) {
    *DLT_NODE_CTX(n, norm_ctx) = *c;
    dlt_fused_keep_buffers(n, bs);
    dlt_node_attach(n, y);
  }
  if (dlt_fused_anomaly(name, y)) {
    dlt_release(y);
    return NULL;
  }
  return y;
}

/* Fetches the saved x, w (may be absent: has_w says), mean, rstd and the gradient
 * targets of x, w, b; returns the contiguous gout or NULL. */
typedef struct {
  const dlt_tensor *x, *w, *mean, *rstd;
  dlt_tensor *dx, *dw, *db, *g;
} norm_bw;

static int norm_bw_begin(dlt_node *n, const dlt_tensor *gout, dlt_tensor **gin, norm_bw *s) {
  bool has_w = DLT_NODE_CTX(n, norm_ctx)->has_w;
  s->x = dlt_node_saved(n, 0);
  s->mean = dlt_node_saved(n, 1);
  s->rstd = dlt_node_saved(n, 2);
  s->w = has_w ? dlt_node_saved(n, 3) : NULL;
  if (!s->x || !s->mean || !s->rstd || (has_w && !s->w)) return -1;
  int e0, e1 = 0, e2 = 0;
  s->dx = dlt_fused_grad_new(n, 0, gin, &e0);
  s->dw = dlt_fused_grad_acc(n, 1, gin, &e1);
  s->db = dlt_fused_grad_acc(n, 2, gin, &e2);
  if (e0 || e1 || e2) return -1;
  s->g = dlt_contiguous((dlt_tensor *)gout);
  return s->g ? 0 : -1;
}

static void norm_bw_end(norm_bw *s) {
  if (s->dw) dlt_bump_version(s->dw);
  if (s->db) dlt_bump_version(s->db);
  dlt_release(s->g);
}

/* ---- batch norm: x (N,C,L) ---- */

/* Batch norm over planes (L > 1) in training, forward or backward, for channels c0..c1-1
 * (core's plane kernels): with two threads set and enough values, the helper thread
 * takes the upper half of the channels (each channel's results are its own: the same
 * bits as one thread) */
typedef struct {
  bool fwd, f32;
  int relu;                          /* forward: ReLU applied as y is stored */
  void *y, *mean, *rstd, *rm, *rv;   /* forward's outputs; backward: y = dx, rm = dw, rv = db */
  const void *x, *w, *b, *dy, *mask; /* b: forward's bias; backward: dy, a saved mask */
  const double *ab;                  /* backward: a fused ReLU's forward scale and bias */
  int64_t N, C, L, c0, c1;
  double eps, momentum, *ws;
  int train;
} bn2d_job;

static void bn2d_run(void *p) {
  bn2d_job *j = p;
  if (j->fwd && j->f32)
    dlt_k_batchnorm2d_fwd_train_f32(j->y, j->relu, j->mean, j->rstd, j->rm, j->rv, j->x, j->w, j->b, j->N, j->C, j->L,
                                    j->c0, j->c1, j->eps, j->momentum, j->ws);
  else if (j->fwd)
    dlt_k_batchnorm2d_fwd_train_f64(j->y, j->relu, j->mean, j->rstd, j->rm, j->rv, j->x, j->w, j->b, j->N, j->C, j->L,
                                    j->c0, j->c1, j->eps, j->momentum, j->ws);
  else if (j->f32)
    dlt_k_batchnorm2d_bwd_f32(j->y, j->rm, j->rv, j->dy, j->mask, j->ab, j->x, j->w, j->mean, j->rstd, j->N, j->C,
                              j->L, j->c0, j->c1, j->train, j->ws);
  else
    dlt_k_batchnorm2d_bwd_f64(j->y, j->rm, j->rv, j->dy, j->mask, j->ab, j->x, j->w, j->mean, j->rstd, j->N, j->C,
                              j->L, j->c0, j->c1, j->train, j->ws);
}

static void bn2d_split(bn2d_job *j) {
  j->c0 = 0;
  j->c1 = j->C;
  if (dlt_blas_num_threads() < 2 || j->C < 2 || j->N * j->C * j->L < (1 << 16)) {
    bn2d_run(j);
    return;
  }
  bn2d_job hi = *j;
  hi.c0 = j->c1 = j->C / 2;
  dlt_worker_run2(bn2d_run, &hi, j);
}

static int batch_norm_backward(dlt_node *n, const dlt_tensor *gout, dlt_tensor **gin) {
  norm_bw s;
  if (norm_bw_begin(n, gout, gin, &s)) return -1;
  const norm_ctx *c = DLT_NODE_CTX(n, norm_ctx);
  int64_t N = c->N, C = c->C, L = c->L;
  const dlt_tensor *mask = c->has_mask ? dlt_node_saved(n, c->has_w ? 4 : 3) : NULL;
  double *ws = dlt_fused_scratch(sizeof(double) * 5 * (size_t)C);
  if (!ws || (c->has_mask && !mask)) {
    norm_bw_end(&s);
    return -1;
  }
  bool f32 = s.x->dtype == DLT_FLOAT32;
  const double *ab = c->relu_ab ? DLT_F64(mask) : NULL;
  if (c->relu_ab) mask = NULL;
  if (L > 1) {
    bn2d_job j = {.fwd = false, .f32 = f32, .y = s.dx ? dlt_data(s.dx) : NULL, .mask = mask ? dlt_data(mask) : NULL, .ab = ab, .mean = dlt_data(s.mean), .rstd = dlt_data(s.rstd), .rm = s.dw ? dlt_data(s.dw) : NULL, .rv = s.db ? dlt_data(s.db) : NULL, .x = dlt_data(s.x), .w = s.w ? dlt_data(s.w) : NULL, .dy = dlt_data(s.g), .N = N, .C = C, .L = L, .ws = ws, .train = c->batch_stats};
    bn2d_split(&j);
  } else if (f32)
    dlt_k_batchnorm_bwd_f32(DLT_F32(s.dx), DLT_F32(s.dw), DLT_F32(s.db), DLT_F32(s.g), DLT_F32(mask), DLT_F32(s.x),
                            DLT_F32(s.w), DLT_F32(s.mean), DLT_F32(s.rstd), N, C, L, c->batch_stats, ws);
  else
    dlt_k_batchnorm_bwd_f64(DLT_F64(s.dx), DLT_F64(s.dw), DLT_F64(s.db), DLT_F64(s.g), DLT_F64(mask), DLT_F64(s.x),
                            DLT_F64(s.w), DLT_F64(s.mean), DLT_F64(s.rstd), N, C, L, c->batch_stats, ws);
  norm_bw_end(&s);
  return 0;
}

/* batch norm's L: the elements of a channel in one sample ((N,C), (N,C,L), (N,C,H,W), ...) */
static int64_t spatial(const dlt_tensor *x) {
  int64_t L = 1;
  for (int d = 2; d < x->ndim; d++) L *= x->shape[d];
  return L;
}

static int check_batch_norm(const char *fn, const dlt_tensor *x, const dlt_tensor *rm, const dlt_tensor *rv,
                            const dlt_tensor *w, const dlt_tensor *b, bool batch_stats) {
  char s[128];
  if (x->ndim < 2)
    return dlt_failn("%s: expected 2-D or more input, got %d-D input of shape %s", fn, x->ndim, dlt_shape_str(x, s, sizeof s));
  int64_t C = x->shape[1];
  const dlt_tensor *ref = w ? w : rm;
  if (ref && ref->ndim == 1 && ref->shape[0] != C)
    return dlt_failn("%s: input has %lld features, expected %lld (input shape %s)", fn, (long long)C,
                     (long long)ref->shape[0], dlt_shape_str(x, s, sizeof s));
  if (check_vec(fn, "weight", w, C, x->dtype) || check_vec(fn, "bias", b, C, x->dtype) ||
      check_vec(fn, "running_mean", rm, C, x->dtype) || check_vec(fn, "running_var", rv, C, x->dtype))
    return -1;
  if (!batch_stats && (!rm || !rv)) return dlt_failn("%s: running_mean and running_var are needed in eval mode", fn);
  if (batch_stats && x->shape[0] * spatial(x) <= 1)
    return dlt_failn("%s: expected more than 1 value per channel when training, got input of shape %s", fn,
                     dlt_shape_str(x, s, sizeof s));
  return 0;
}

dlt_tensor *dlt_fused_batch_norm_buf(const char *fn, dlt_tensor *x, dlt_tensor *rm, dlt_tensor *rv, dlt_tensor *w,
                                     dlt_tensor *b, bool batch_stats, double momentum, double eps, bool relu,
                                     double drop_p, dlt_bufset *bs) {
  if (check_batch_norm(fn, x, rm, rv, w, b, batch_stats)) return NULL;
  if (!(drop_p >= 0 && drop_p <= 1)) return dlt_fail("%s: dropout probability has to be between 0 and 1, but got %g", fn, drop_p);
  int64_t N = x->shape[0], C = x->shape[1], L = spatial(x);
  if (batch_stats && ((rm && !dlt_is_contiguous(rm)) || (rv && !dlt_is_contiguous(rv))))
    return dlt_fail("%s: running stats must be contiguous", fn);
  dlt_tensor *xc = dlt_contiguous(x), *wc = w ? dlt_contiguous(w) : NULL, *bc = b ? dlt_contiguous(b) : NULL;
  dlt_tensor *rmc = rm ? dlt_contiguous(rm) : NULL, *rvc = rv ? dlt_contiguous(rv) : NULL;
  dlt_tensor *y = dlt_fused_out(bs ? &bs->t[0] : NULL, x->ndim, x->shape, x->dtype);
  dlt_tensor *mean = dlt_fused_out(bs ? &bs->t[3] : NULL, 1, &C, x->dtype);
  dlt_tensor *rstd = dlt_fused_out(bs ? &bs->t[4] : NULL, 1, &C, x->dtype);
  /* planes in training with ReLU and no dropout: the kernel applies ReLU as it stores
   * y, and backward finds the mask from x and the forward's scale and bias (relu_ab:
   * 2*C doubles saved instead of a mask as large as x, one pass less each way) */
  bool kernel_relu = batch_stats && L > 1 && relu && drop_p == 0;
  bool relu_ab = kernel_relu && dlt_grad_enabled();
  /* the mask is for backward (and dropout); without grad mode and dropout, ReLU in place */
  bool need_mask = relu && (drop_p > 0 || dlt_grad_enabled()) && !relu_ab;
  int64_t ab_shape[2] = {2, C};
  dlt_tensor *mask = need_mask ? dlt_fused_out(bs ? &bs->t[1] : NULL, x->ndim, x->shape, x->dtype)
                     : relu_ab ? dlt_fused_out(bs ? &bs->t[1] : NULL, 2, ab_shape, DLT_FLOAT64)
                               : NULL;
  double *ws = dlt_fused_scratch(sizeof(double) * 2 * (size_t)C);
  bool ok = xc && y && mean && rstd && ws && (mask || !(need_mask || relu_ab)) && (wc || !w) && (bc || !b) && (rmc || !rm) && (rvc || !rv);
  if (ok && batch_stats && L > 1) {
    bn2d_job j = {.fwd = true, .f32 = x->dtype == DLT_FLOAT32, .y = dlt_data(y), .relu = kernel_relu, .mean = dlt_data(mean), .rstd = dlt_data(rstd), .rm = rm ? dlt_data(rmc) : NULL, .rv = rv ? dlt_data(rvc) : NULL, .x = dlt_data(xc), .w = wc ? dlt_data(wc) : NULL, .b = bc ? dlt_data(bc) : NULL, .N = N, .C = C, .L = L, .eps = eps, .momentum = momentum, .ws = ws};
    bn2d_split(&j);
    if (relu_ab) memcpy(dlt_data(mask), ws, sizeof(double) * 2 * (size_t)C);
    if (rm) dlt_bump_version(rm);
    if (rv) dlt_bump_version(rv);
  } else if (ok && batch_stats) {
    dlt_tensor *um = rm ? rmc : NULL, *uv = rv ? rvc : NULL; /* contiguous: the same tensors */
    if (x->dtype == DLT_FLOAT32)
      dlt_k_batchnorm_fwd_train_f32(DLT_F32(y), DLT_F32(mean), DLT_F32(rstd), DLT_F32(um), DLT_F32(uv),
                                    DLT_F32(xc), DLT_F32(wc), DLT_F32(bc), N, C, L, eps, momentum, ws);
    else
      dlt_k_batchnorm_fwd_train_f64(DLT_F64(y), DLT_F64(mean), DLT_F64(rstd), DLT_F64(um), DLT_F64(uv),
                                    DLT_F64(xc), DLT_F64(wc), DLT_F64(bc), N, C, L, eps, momentum, ws);
    if (rm) dlt_bump_version(rm);
    if (rv) dlt_bump_version(rv);
  } else if (ok) {
    int plain_relu = relu && !need_mask; /* applied by the kernel as it stores each value */
    if (x->dtype == DLT_FLOAT32)
      dlt_k_batchnorm_fwd_eval_f32(DLT_F32(y), DLT_F32(mean), DLT_F32(rstd), DLT_F32(xc), DLT_F32(wc), DLT_F32(bc),
                                   DLT_F32(rmc), DLT_F32(rvc), N, C, L, eps, plain_relu, ws);
    else
      dlt_k_batchnorm_fwd_eval_f64(DLT_F64(y), DLT_F64(mean), DLT_F64(rstd), DLT_F64(xc), DLT_F64(wc), DLT_F64(bc),
                                   DLT_F64(rmc), DLT_F64(rvc), N, C, L, eps, plain_relu, ws);
  }
  if (ok && relu && !kernel_relu && !need_mask) {
    if (batch_stats && x->dtype == DLT_FLOAT32) dlt_k_act_fwd_f32(DLT_F32(y), DLT_F32(y), N * C * L, DLT_ACT_RELU, 0);
    else if (batch_stats) dlt_k_act_fwd_f64(DLT_F64(y), DLT_F64(y), N * C * L, DLT_ACT_RELU, 0);
  } else if (ok && relu && !kernel_relu) {
    if (x->dtype == DLT_FLOAT32) dlt_k_relu_dropout_fwd_f32(DLT_F32(y), DLT_F32(mask), N * C * L, drop_p);
    else dlt_k_relu_dropout_fwd_f64(DLT_F64(y), DLT_F64(mask), N * C * L, drop_p);
  }
  if (ok) {
    dlt_tensor *save[5] = {xc, mean, rstd, w ? wc : mask, mask};
    norm_ctx c = {.N = N, .C = C, .L = L, .batch_stats = batch_stats, .has_mask = relu, .relu_ab = relu_ab, .has_w = w != NULL};
    y = record(relu ? "BatchNormReluBackward" : "BatchNormBackward", batch_norm_backward, x, w, b, y, save,
               3 + (w != NULL) + relu, &c, bs);
  } else {
    dlt_release(y);
    y = NULL;
  }
  dlt_release(xc);
  dlt_release(wc);
  dlt_release(bc);
  dlt_release(rmc);
  dlt_release(rvc);
  dlt_release(mean);
  dlt_release(rstd);
  dlt_release(mask);
  return y;
}

dlt_tensor *dlt_fused_batch_norm(const char *fn, dlt_tensor *x, dlt_tensor *rm, dlt_tensor *rv, dlt_tensor *w,
                                 dlt_tensor *b, bool batch_stats, double momentum, double eps) {
  return dlt_fused_batch_norm_buf(fn, x, rm, rv, w, b, batch_stats, momentum, eps, false, 0, NULL);
}

/* A no_grad forward of a large batch (a plot's grid) then needs no second activation
 * buffer: y = x*a + b per channel is elementwise, so the kernel may write over x. */
dlt_tensor *dlt_fused_batch_norm_eval_(const char *fn, dlt_tensor *x, dlt_tensor *rm, dlt_tensor *rv, dlt_tensor *w,
                                       dlt_tensor *b, double eps, bool relu) {
  if (check_batch_norm(fn, x, rm, rv, w, b, false)) return NULL;
  if (dlt_grad_enabled() || !dlt_is_contiguous(x) || x->refcount != 1 || x->storage->refcount != 1)
    return dlt_fail("%s: in-place batch norm needs grad mode off and a contiguous input held by no one else", fn);
  int64_t N = x->shape[0], C = x->shape[1], L = spatial(x);
  dlt_tensor *wc = w ? dlt_contiguous(w) : NULL, *bc = b ? dlt_contiguous(b) : NULL;
  dlt_tensor *rmc = dlt_contiguous(rm), *rvc = dlt_contiguous(rv);
  /* the kernel's workspace (2*C doubles), then its mean and rstd outputs (C each,
   * unused here) in the same scratch */
  double *ws = dlt_fused_scratch((sizeof(double) * 2 + sizeof(double) * 2) * (size_t)C);
  bool ok = ws && rmc && rvc && (wc || !w) && (bc || !b);
  if (ok && x->dtype == DLT_FLOAT32) {
    float *mean = (float *)(ws + 2 * C), *rstd = mean + C;
    dlt_k_batchnorm_fwd_eval_f32(DLT_F32(x), mean, rstd, DLT_F32(x), DLT_F32(wc), DLT_F32(bc),
                                 DLT_F32(rmc), DLT_F32(rvc), N, C, L, eps, relu, ws);
  } else if (ok) {
    double *mean = ws + 2 * C, *rstd = mean + C;
    dlt_k_batchnorm_fwd_eval_f64(DLT_F64(x), mean, rstd, DLT_F64(x), DLT_F64(wc), DLT_F64(bc),
                                 DLT_F64(rmc), DLT_F64(rvc), N, C, L, eps, relu, ws);
  }
  if (ok) dlt_bump_version(x);
  dlt_release(wc);
  dlt_release(bc);
  dlt_release(rmc);
  dlt_release(rvc);
  return ok ? dlt_retain(x) : NULL;
}

dlt_tensor *dlt_fused_batch_norm_relu(const char *fn, dlt_tensor *x, dlt_tensor *rm, dlt_tensor *rv, dlt_tensor *w,
                                      dlt_tensor *b, bool batch_stats, double momentum, double eps, double drop_p) {
  return dlt_fused_batch_norm_buf(fn, x, rm, rv, w, b, batch_stats, momentum, eps, true, drop_p, NULL);
}

/* ---- layer norm: x (rows,D), as N = rows, C = D ---- */

static int layer_norm_backward(dlt_node *n, const dlt_tensor *gout, dlt_tensor **gin) {
  norm_bw s;
  if (norm_bw_begin(n, gout, gin, &s)) return -1;
  const norm_ctx *c = DLT_NODE_CTX(n, norm_ctx);
  int64_t rows = c->N, D = c->C;
  if (s.x->dtype == DLT_FLOAT32)
    dlt_k_layernorm_bwd_f32(DLT_F32(s.dx), DLT_F32(s.dw), DLT_F32(s.db), DLT_F32(s.g), DLT_F32(s.x), DLT_F32(s.w),
                            DLT_F32(s.mean), DLT_F32(s.rstd), rows, D);
  else
    dlt_k_layernorm_bwd_f64(DLT_F64(s.dx), DLT_F64(s.dw), DLT_F64(s.db), DLT_F64(s.g), DLT_F64(s.x), DLT_F64(s.w),
                            DLT_F64(s.mean), DLT_F64(s.rstd), rows, D);
  norm_bw_end(&s);
  return 0;
}

static int check_affine(const char *fn, const char *what, const dlt_tensor *v, int nd, const int64_t *shape, dlt_dtype dt) {
  char a[128], b[128];
  if (!v) return 0;
  bool same = v->ndim == nd;
  for (int d = 0; same && d < nd; d++) same = v->shape[d] == shape[d];
  if (!same) return dlt_failn("%s: %s has shape %s, expected %s", fn, what, dlt_shape_str(v, a, sizeof a), dlt_dims_str(nd, shape, b, sizeof b));
  if (v->dtype != dt)
    return dlt_failn("%s: input is %s but %s is %s (convert one with :to())", fn, dlt_dtype_name(dt), what, dlt_dtype_name(v->dtype));
  return 0;
}

dlt_tensor *dlt_fused_layer_norm(const char *fn, dlt_tensor *x, int nd, const int64_t *shape, dlt_tensor *w,
                                 dlt_tensor *b, double eps) {
  char a[128], c[128];
  bool fits = nd >= 1 && x->ndim >= nd;
  for (int d = 0; fits && d < nd; d++) fits = x->shape[x->ndim - nd + d] == shape[d];
  if (!fits)
    return dlt_fail("%s: input shape %s does not end in the normalized shape %s", fn, dlt_shape_str(x, a, sizeof a),
                    dlt_dims_str(nd, shape, c, sizeof c));
  if (check_affine(fn, "weight", w, nd, shape, x->dtype) || check_affine(fn, "bias", b, nd, shape, x->dtype)) return NULL;
  if ((w == NULL) != (b == NULL)) return dlt_fail("%s: weight and bias must be given together", fn);
  int64_t D = 1;
  for (int d = 0; d < nd; d++) D *= shape[d];
  int64_t rows = D ? dlt_numel(x) / D : 0;
  dlt_tensor *xc = dlt_contiguous(x), *wc = w ? dlt_contiguous(w) : NULL, *bc = b ? dlt_contiguous(b) : NULL;
  dlt_tensor *y = dlt_empty_like(x), *mean = dlt_empty(1, &rows, x->dtype), *rstd = dlt_empty(1, &rows, x->dtype);
  bool ok = xc && y && mean && rstd && (wc || !w) && (bc || !b);
  if (ok) {
    if (x->dtype == DLT_FLOAT32)
      dlt_k_layernorm_fwd_f32(DLT_F32(y), DLT_F32(mean), DLT_F32(rstd), DLT_F32(xc), DLT_F32(wc), DLT_F32(bc), rows, D, eps);
    else
      dlt_k_layernorm_fwd_f64(DLT_F64(y), DLT_F64(mean), DLT_F64(rstd), DLT_F64(xc), DLT_F64(wc), DLT_F64(bc), rows, D, eps);
    dlt_tensor *save[4] = {xc, mean, rstd, wc};
    norm_ctx c = {.N = rows, .C = D, .L = 1, .has_w = w != NULL};
    y = record("LayerNormBackward", layer_norm_backward, x, w, b, y, save, w ? 4 : 3, &c, NULL);
  } else {
    dlt_release(y);
    y = NULL;
  }
  dlt_release(xc);
  dlt_release(wc);
  dlt_release(bc);
  dlt_release(mean);
  dlt_release(rstd);
  return y;
}

/* ---- group norm: x (N,C,L) in G groups ---- */

static int group_norm_backward(dlt_node *n, const dlt_tensor *gout, dlt_tensor **gin) {
  norm_bw s;
  if (norm_bw_begin(n, gout, gin, &s)) return -1;
  const norm_ctx *c = DLT_NODE_CTX(n, norm_ctx);
  int64_t N = c->N, C = c->C, L = c->L, G = c->G;
  if (s.x->dtype == DLT_FLOAT32)
    dlt_k_groupnorm_bwd_f32(DLT_F32(s.dx), DLT_F32(s.dw), DLT_F32(s.db), DLT_F32(s.g), DLT_F32(s.x), DLT_F32(s.w),
                            DLT_F32(s.mean), DLT_F32(s.rstd), N, C, L, G);
  else
    dlt_k_groupnorm_bwd_f64(DLT_F64(s.dx), DLT_F64(s.dw), DLT_F64(s.db), DLT_F64(s.g), DLT_F64(s.x), DLT_F64(s.w),
                            DLT_F64(s.mean), DLT_F64(s.rstd), N, C, L, G);
  norm_bw_end(&s);
  return 0;
}

dlt_tensor *dlt_fused_group_norm(const char *fn, dlt_tensor *x, int64_t G, dlt_tensor *w, dlt_tensor *b, double eps,
                                 bool unbatched) {
  char a[128];
  int first = unbatched ? 0 : 1;
  if (x->ndim < first + 1 || (unbatched && x->ndim < 1))
    return dlt_fail("%s: expected input with at least %d dimensions, got shape %s", fn, first + 2, dlt_shape_str(x, a, sizeof a));
  int64_t N = unbatched ? 1 : x->shape[0], C = x->shape[first], L = 1;
  for (int d = first + 1; d < x->ndim; d++) L *= x->shape[d];
  int64_t wc_n = w ? w->shape[0] : C;
  if (w && w->ndim == 1 && wc_n != C)
    return dlt_fail("%s: input has %lld channels, expected %lld (input shape %s)", fn, (long long)C, (long long)wc_n,
                    dlt_shape_str(x, a, sizeof a));
  if (G == 0) G = C;
  if (G <= 0 || (C > 0 && C % G))
    return dlt_fail("%s: %lld channels cannot be split into %lld groups", fn, (long long)C, (long long)G);
  if (check_vec(fn, "weight", w, C, x->dtype) || check_vec(fn, "bias", b, C, x->dtype)) return NULL;
  int64_t NG = N * G;
  dlt_tensor *xc = dlt_contiguous(x), *wcn = w ? dlt_contiguous(w) : NULL, *bc = b ? dlt_contiguous(b) : NULL;
  dlt_tensor *y = dlt_empty_like(x), *mean = dlt_empty(1, &NG, x->dtype), *rstd = dlt_empty(1, &NG, x->dtype);
  bool ok = xc && y && mean && rstd && (wcn || !w) && (bc || !b);
  if (ok) {
    if (x->dtype == DLT_FLOAT32)
      dlt_k_groupnorm_fwd_f32(DLT_F32(y), DLT_F32(mean), DLT_F32(rstd), DLT_F32(xc), DLT_F32(wcn), DLT_F32(bc), N, C, L, G, eps);
    else
      dlt_k_groupnorm_fwd_f64(DLT_F64(y), DLT_F64(mean), DLT_F64(rstd), DLT_F64(xc), DLT_F64(wcn), DLT_F64(bc), N, C, L, G, eps);
    dlt_tensor *save[4] = {xc, mean, rstd, wcn};
    norm_ctx c = {.N = N, .C = C, .L = L, .G = G, .has_w = w != NULL};
    y = record("GroupNormBackward", group_norm_backward, x, w, b, y, save, w ? 4 : 3, &c, NULL);
  } else {
    dlt_release(y);
    y = NULL;
  }
  dlt_release(xc);
  dlt_release(wcn);
  dlt_release(bc);
  dlt_release(mean);
  dlt_release(rstd);
  return y;
}
