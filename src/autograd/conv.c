/* conv.c: conv1d/conv2d and their transposes as one autograd node each. A transposed
 * convolution is the adjoint of the convolution with the same weight, so both run the
 * same three kernels (core/conv.h) with the image and patch sides swapped. */
#include <stdlib.h>
#include <string.h>

#include "autograd/conv.h"
#include "autograd/fused.h"
#include "core/conv.h"
#include "core/ops.h"

/* what backward needs besides the saved x (slot 0) and w (slot 1) */
typedef struct conv_ctx {
  dlt_conv_geom g;
  bool transposed;
} conv_ctx;

/* conv: gout is the patch side (N,OC,OH,OW). dx = adjoint(gout); dw += gout (x) x; db += sum.
 * transposed: gout is the image side. dx = conv(gout); dw += x (x) gout; db += sum. */
static int conv_backward(dlt_node *n, const dlt_tensor *gout, dlt_tensor **gin) {
  const conv_ctx *c = DLT_NODE_CTX(n, conv_ctx);
  const dlt_tensor *x = dlt_node_saved(n, 0), *w = dlt_node_saved(n, 1);
  if (!x || !w) return -1;
  int e0, e1, e2 = 0;
  dlt_tensor *dx = dlt_fused_grad_new(n, 0, gin, &e0);
  dlt_tensor *dw = dlt_fused_grad_acc(n, 1, gin, &e1);
  dlt_tensor *db = n->ninputs > 2 ? dlt_fused_grad_acc(n, 2, gin, &e2) : NULL;
  if (e0 || e1 || e2) return -1;
  dlt_tensor *g = dlt_contiguous((dlt_tensor *)gout);
  if (!g) return -1;
  bool f32 = x->dtype == DLT_FLOAT32;
  int rc = 0;
  if (!c->transposed) {
    if (dx) rc = dlt_conv_bwd_data(f32, dlt_data(dx), dlt_data(g), dlt_data(w), NULL, &c->g);
    if (!rc && (dw || db)) rc = dlt_conv_bwd_weight(f32, dw ? dlt_data(dw) : NULL, db ? dlt_data(db) : NULL,
                                                    dlt_data(g), dlt_data(x), &c->g);
  } else {
    if (dx) rc = dlt_conv_fwd(f32, dlt_data(dx), dlt_data(g), dlt_data(w), NULL, &c->g);
    if (!rc && dw) rc = dlt_conv_bwd_weight(f32, dlt_data(dw), NULL, dlt_data(x), dlt_data(g), &c->g);
    if (db) dlt_conv_bias_bwd(f32, dlt_data(db), dlt_data(g), c->g.N, c->g.C, c->g.H * c->g.W);
  }
  if (dw) dlt_bump_version(dw);
  if (db) dlt_bump_version(db);
  dlt_release(g);
  return rc;
}

static const char *plural(int64_t k) { return k == 1 ? "" : "s"; }

/* checks shapes and fills the geometry (image side = x for conv, the output for a
 * transpose); *batched tells whether x has its batch dim */
static int setup(const char *fn, const dlt_tensor *x, const dlt_tensor *w, const dlt_tensor *b, const dlt_conv_opts *o,
                 bool transposed, dlt_conv_geom *g, bool *batched) {
  char s[128], s2[128];
  int D = o->dims;
  if (x->ndim != D + 1 && x->ndim != D + 2)
    return dlt_failn("%s: expected %d-D (unbatched) or %d-D (batched) input, got %d-D input of shape %s", fn, D + 1,
                     D + 2, x->ndim, dlt_shape_str(x, s, sizeof s));
  if (w->ndim != D + 2)
    return dlt_failn("%s: expected a %d-D weight, got shape %s", fn, D + 2, dlt_shape_str(w, s, sizeof s));
  if (x->dtype != w->dtype || (b && b->dtype != w->dtype))
    return dlt_failn("%s: input is %s but the weight is %s (convert one with :to())", fn, dlt_dtype_name(x->dtype),
                     dlt_dtype_name(w->dtype));
  int64_t G = o->groups;
  if (G < 1) return dlt_failn("%s: groups must be positive, got %lld", fn, (long long)G);
  for (int d = 0; d < D; d++) {
    if (o->stride[d] < 1 || o->dilation[d] < 1 || o->padding[d] < 0)
      return dlt_failn("%s: stride and dilation must be positive and padding non-negative, got stride %lld, padding %lld, dilation %lld",
                       fn, (long long)o->stride[d], (long long)o->padding[d], (long long)o->dilation[d]);
    if (o->same && o->stride[d] != 1)
      return dlt_failn("%s: padding='same' is not supported for strided convolutions", fn);
  }
  *batched = x->ndim == D + 2;
  int off = *batched ? 1 : 0;
  int64_t Cx = x->shape[off], W0 = w->shape[0], W1 = w->shape[1];
  /* conv: w (OC, C/G, k); transpose: w (Cin, Cout/G, k) */
  int64_t expect = transposed ? W0 : W1 * G;
  if (W0 % G)
    return dlt_failn("%s: weight's first size %lld must be divisible by groups %lld", fn, (long long)W0, (long long)G);
  if (Cx != expect)
    return dlt_failn("%s: expected input with %lld channel%s, got %lld (input shape %s, weight shape %s)", fn,
                     (long long)expect, plural(expect), (long long)Cx, dlt_shape_str(x, s, sizeof s),
                     dlt_shape_str(w, s2, sizeof s2));
  int64_t OCconv = transposed ? W1 * G : W0; /* the output's channels */
  if (b && (b->ndim != 1 || b->shape[0] != OCconv))
    return dlt_failn("%s: bias has shape %s, expected {%lld}", fn, dlt_shape_str(b, s, sizeof s), (long long)OCconv);
  int64_t k[2] = {1, 1}, in[2] = {1, 1}, out[2] = {1, 1}, st[2] = {1, 1}, pd[2] = {0, 0}, dl[2] = {1, 1};
  for (int d = 0; d < D; d++) {
    int e = 2 - D + d; /* 1-D fills the W slot */
    k[e] = w->shape[2 + d];
    in[e] = x->shape[off + 1 + d];
    st[e] = o->stride[d];
    dl[e] = o->dilation[d];
    pd[e] = o->same ? dl[e] * (k[e] - 1) / 2 : o->padding[d];
    if (transposed) {
      if (o->output_padding[d] < 0 || (o->output_padding[d] >= st[e] && o->output_padding[d] >= dl[e]))
        return dlt_failn("%s: output_padding must be smaller than either stride or dilation, got output_padding %lld, stride %lld, dilation %lld",
                         fn, (long long)o->output_padding[d], (long long)st[e], (long long)dl[e]);
      out[e] = (in[e] - 1) * st[e] - 2 * pd[e] + dl[e] * (k[e] - 1) + o->output_padding[d] + 1;
      if (out[e] < 1)
        return dlt_failn("%s: the output would be empty (size %lld) for input shape %s", fn, (long long)out[e],
                         dlt_shape_str(x, s, sizeof s));
    } else {
      int64_t span = in[e] + 2 * pd[e] - dl[e] * (k[e] - 1);
      out[e] = o->same ? in[e] : span < 1 ? 0
                                          : (span - 1) / st[e] + 1;
      if (out[e] < 1)
        return dlt_failn("%s: input of size %lld (padded: %lld) is smaller than the kernel's reach %lld (input shape %s)",
                         fn, (long long)in[e], (long long)(in[e] + 2 * pd[e]), (long long)(dl[e] * (k[e] - 1) + 1),
                         dlt_shape_str(x, s, sizeof s));
    }
  }
  g->N = *batched ? x->shape[0] : 1;
  g->G = G;
  g->KH = k[0];
  g->KW = k[1];
  g->sh = st[0];
  g->sw = st[1];
  g->ph = pd[0];
  g->pw = pd[1];
  g->dh = dl[0];
  g->dw = dl[1];
  if (!transposed) {
    g->C = Cx;
    g->H = in[0];
    g->W = in[1];
    g->OC = W0;
    g->OH = out[0];
    g->OW = out[1];
  } else {
    g->OC = Cx;
    g->OH = in[0];
    g->OW = in[1];
    g->C = W1 * G;
    g->H = out[0];
    g->W = out[1];
  }
  return 0;
}

static dlt_tensor *conv_any(const char *fn, dlt_tensor *x, dlt_tensor *w, dlt_tensor *b, const dlt_conv_opts *o,
                            bool transposed) {
  dlt_conv_geom g;
  bool batched = false;
  if (setup(fn, x, w, b, o, transposed, &g, &batched)) return NULL;
  int D = o->dims, nd = 0;
  int64_t shape[4];
  if (batched) shape[nd++] = g.N;
  shape[nd++] = transposed ? g.C : g.OC;
  if (D == 2) shape[nd++] = transposed ? g.H : g.OH;
  shape[nd++] = transposed ? g.W : g.OW;
  dlt_tensor *xc = dlt_contiguous(x), *wc = dlt_contiguous(w), *bc = b ? dlt_contiguous(b) : NULL;
  dlt_tensor *y = xc && wc && (bc || !b) ? dlt_fused_out(NULL, nd, shape, x->dtype) : NULL;
  bool f32 = x->dtype == DLT_FLOAT32;
  if (y) {
    int rc = transposed ? dlt_conv_bwd_data(f32, dlt_data(y), dlt_data(xc), dlt_data(wc), bc ? dlt_data(bc) : NULL, &g)
                        : dlt_conv_fwd(f32, dlt_data(y), dlt_data(xc), dlt_data(wc), bc ? dlt_data(bc) : NULL, &g);
    if (rc) {
      dlt_release(y);
      y = NULL;
    }
  }
  if (y) {
    const dlt_tensor *in[3] = {x, w, b};
    int err;
    const char *name = transposed ? (D == 1 ? "ConvTranspose1dBackward" : "ConvTranspose2dBackward")
                                  : (D == 1 ? "Conv1dBackward" : "Conv2dBackward");
    dlt_node *n = dlt_node_new(name, conv_backward, b ? 3 : 2, in, &err);
    if (err || (n && (dlt_node_save(n, xc) < 0 || dlt_node_save(n, wc) < 0))) {
      dlt_node_release(n);
      dlt_release(y);
      y = NULL;
    } else if (n) {
      *DLT_NODE_CTX(n, conv_ctx) = (conv_ctx){g, transposed};
      dlt_fused_keep_buffers(n, o->bufs); /* backward's dx goes to slot 2 */
      dlt_node_attach(n, y);
    }
    if (y && dlt_fused_anomaly(name, y)) {
      dlt_release(y);
      y = NULL;
    }
  }
  dlt_release(xc);
  dlt_release(wc);
  dlt_release(bc);
  return y;
}

dlt_tensor *dlt_conv(const char *fn, dlt_tensor *x, dlt_tensor *w, dlt_tensor *b, const dlt_conv_opts *o) {
  return conv_any(fn, x, w, b, o, false);
}

dlt_tensor *dlt_conv_transpose(const char *fn, dlt_tensor *x, dlt_tensor *w, dlt_tensor *b, const dlt_conv_opts *o) {
  return conv_any(fn, x, w, b, o, true);
}
