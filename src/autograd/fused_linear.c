/* fused_linear.c: y = act(x @ W^T + b) as one node; backward writes dx and sums dW, db
 * straight into the parameters' .grad (one GEMM each, no temporaries). */
#include "autograd/fused.h"

/* saved: 0 x as (B,C), 1 W (OC,C), 2 y (B,OC) when ReLU is fused */
typedef struct {
  dlt_act act;
  int64_t B, C, OC;
} linear_ctx;

static int linear_backward(dlt_node *n, const dlt_tensor *gout, dlt_tensor **gin) {
  const linear_ctx *c = DLT_NODE_CTX(n, linear_ctx);
  dlt_act act = c->act;
  int64_t B = c->B, C = c->C, OC = c->OC;
  const dlt_tensor *x = dlt_node_saved(n, 0), *W = dlt_node_saved(n, 1);
  const dlt_tensor *y = act == DLT_ACT_RELU ? dlt_node_saved(n, 2) : NULL;
  if (!x || !W || (act == DLT_ACT_RELU && !y)) return -1;
  int e0, e1, e2;
  dlt_tensor *dx = dlt_fused_grad_new(n, 0, gin, &e0);
  dlt_tensor *dW = dlt_fused_grad_acc(n, 1, gin, &e1);
  dlt_tensor *db = n->ninputs > 2 ? dlt_fused_grad_acc(n, 2, gin, &e2) : (e2 = 0, NULL);
  if (e0 || e1 || e2) return -1;
  dlt_tensor *g = dlt_contiguous((dlt_tensor *)gout);
  void *scr = act == DLT_ACT_RELU ? dlt_fused_scratch((size_t)(B * OC) * dlt_dtype_size(x->dtype)) : NULL;
  if (!g || (act == DLT_ACT_RELU && !scr)) {
    dlt_release(g);
    return -1;
  }
  if (x->dtype == DLT_FLOAT32)
    dlt_k_linear_bwd_f32(DLT_F32(dx), DLT_F32(dW), DLT_F32(db), DLT_F32(g), DLT_F32(x), DLT_F32(W),
                         DLT_F32(y), scr, B, C, OC, act, 1, 1);
  else
    dlt_k_linear_bwd_f64(DLT_F64(dx), DLT_F64(dW), DLT_F64(db), DLT_F64(g), DLT_F64(x), DLT_F64(W),
                         DLT_F64(y), scr, B, C, OC, act, 1, 1);
  if (dW) dlt_bump_version(dW);
  if (db) dlt_bump_version(db);
  dlt_release(g);
  return 0;
}

static int check_linear(const char *fn, const dlt_tensor *x, const dlt_tensor *W, const dlt_tensor *b) {
  char s[128];
  if (W->ndim != 2) return dlt_failn("%s: weight must be 2-D, got shape %s", fn, dlt_shape_str(W, s, sizeof s));
  if (x->ndim < 1) return dlt_failn("%s: input must have at least 1 dimension, got a 0-D tensor", fn);
  if (x->shape[x->ndim - 1] != W->shape[1])
    return dlt_failn("%s: input has %lld features, expected %lld (input shape %s)", fn,
                     (long long)x->shape[x->ndim - 1], (long long)W->shape[1], dlt_shape_str(x, s, sizeof s));
  if (b && (b->ndim != 1 || b->shape[0] != W->shape[0]))
    return dlt_failn("%s: bias has shape %s, expected {%lld}", fn, dlt_shape_str(b, s, sizeof s), (long long)W->shape[0]);
  if (x->dtype != W->dtype || (b && b->dtype != W->dtype))
    return dlt_failn("%s: input is %s but the weight is %s (convert one with :to())", fn,
                     dlt_dtype_name(x->dtype), dlt_dtype_name(W->dtype));
  return 0;
}

dlt_tensor *dlt_fused_linear(const char *fn, dlt_tensor *x, dlt_tensor *W, dlt_tensor *b, dlt_act act) {
  return dlt_fused_linear_buf(fn, x, W, b, act, NULL);
}

dlt_tensor *dlt_fused_linear_buf(const char *fn, dlt_tensor *x, dlt_tensor *W, dlt_tensor *b, dlt_act act,
                                 dlt_bufset *bs) {
  if (check_linear(fn, x, W, b)) return NULL;
  int64_t C = W->shape[1], OC = W->shape[0], B = C ? dlt_numel(x) / C : 0;
  if (!C) {
    B = 1;
    for (int d = 0; d < x->ndim - 1; d++) B *= x->shape[d];
  }
  int64_t shape[DLT_MAXDIM];
  for (int d = 0; d < x->ndim - 1; d++) shape[d] = x->shape[d];
  shape[x->ndim - 1] = OC;
  dlt_tensor *xc = dlt_contiguous(x), *Wc = dlt_contiguous(W), *bc = b ? dlt_contiguous(b) : NULL;
  dlt_tensor *y = xc && Wc && (bc || !b) ? dlt_fused_out(bs ? &bs->t[0] : NULL, x->ndim, shape, x->dtype) : NULL;
  if (y) {
    if (x->dtype == DLT_FLOAT32)
      dlt_k_linear_fwd_f32(DLT_F32(y), DLT_F32(xc), DLT_F32(Wc), DLT_F32(bc), B, C, OC, act);
    else
      dlt_k_linear_fwd_f64(DLT_F64(y), DLT_F64(xc), DLT_F64(Wc), DLT_F64(bc), B, C, OC, act);
    const dlt_tensor *in[3] = {x, W, b};
    int err;
    dlt_node *n = dlt_node_new(act == DLT_ACT_RELU ? "LinearReluBackward" : "LinearBackward",
                               linear_backward, b ? 3 : 2, in, &err);
    if (err || (n && (dlt_node_save(n, xc) < 0 || dlt_node_save(n, Wc) < 0 ||
                      (act == DLT_ACT_RELU && dlt_node_save(n, y) < 0)))) {
      dlt_node_release(n);
      dlt_release(y);
      y = NULL;
    } else if (n) {
      *DLT_NODE_CTX(n, linear_ctx) = (linear_ctx){act, B, C, OC};
      dlt_fused_keep_buffers(n, bs);
      dlt_node_attach(n, y);
    }
    if (y && dlt_fused_anomaly(act == DLT_ACT_RELU ? "LinearRelu" : "Linear", y)) {
      dlt_release(y);
      y = NULL;
    }
  }
  dlt_release(xc);
  dlt_release(Wc);
  dlt_release(bc);
  return y;
}
