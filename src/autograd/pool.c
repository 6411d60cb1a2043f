/* pool.c: max, average and adaptive average pooling as one autograd node each, over
 * the kernels of core/pool.h. The planes are x's leading dims (N*C or C) flattened. */
#include <stdlib.h>
#include <string.h>

#include "autograd/conv.h"
#include "autograd/fused.h"
#include "core/ops.h"
#include "core/pool.h"

typedef enum { POOL_MAX,
               POOL_AVG,
               POOL_ADAPTIVE } pool_kind;

/* what backward needs: the geometry and, for max pooling, each output's source */
typedef struct pool_ctx {
  pool_kind kind;
  dlt_pool_geom g;
  int32_t *idx;   /* owned; (B,OH,OW) */
  dlt_bufset *bs; /* a reference to the layer's buffers (backward's dx in slot 2), or NULL */
} pool_ctx;

static void pool_ctx_free(void *p) {
  pool_ctx *c = p;
  if (c) {
    free(c->idx);
    dlt_bufset_release(c->bs);
  }
  free(c);
}

static int pool_backward(dlt_node *n, const dlt_tensor *gout, dlt_tensor **gin) {
  const pool_ctx *c = n->data;
  if (!n->next[0].node && !n->next[0].leaf) return 0;
  dlt_tensor *dx = gin[0] = dlt_fused_out(c->bs ? &c->bs->t[2] : NULL, n->in_ndim[0], n->in_shape[0], n->in_dtype[0]);
  if (!dx) return -1;
  dlt_tensor *g = dlt_contiguous((dlt_tensor *)gout);
  if (!g) return -1;
  bool f32 = dx->dtype == DLT_FLOAT32;
  if (c->kind == POOL_MAX) dlt_maxpool_bwd(f32, dlt_data(dx), dlt_data(g), c->idx, &c->g);
  else if (c->kind == POOL_AVG) dlt_avgpool_bwd(f32, dlt_data(dx), dlt_data(g), &c->g);
  else dlt_adaptive_avgpool_bwd(f32, dlt_data(dx), dlt_data(g), &c->g);
  dlt_release(g);
  return 0;
}

/* x's planes and spatial sizes; -1 with the error set when x has the wrong rank */
static int planes(const char *fn, const dlt_tensor *x, int D, dlt_pool_geom *g) {
  char s[128];
  if (x->ndim != D + 1 && x->ndim != D + 2)
    return dlt_failn("%s: expected %d-D (unbatched) or %d-D (batched) input, got %d-D input of shape %s", fn, D + 1,
                     D + 2, x->ndim, dlt_shape_str(x, s, sizeof s));
  memset(g, 0, sizeof *g);
  g->B = 1;
  for (int d = 0; d < x->ndim - D; d++) g->B *= x->shape[d];
  g->H = D == 2 ? x->shape[x->ndim - 2] : 1;
  g->W = x->shape[x->ndim - 1];
  g->KH = g->KW = g->sh = g->sw = g->dh = g->dw = 1;
  return 0;
}

static int window(const char *fn, const dlt_tensor *x, const dlt_pool_opts *o, bool is_max, dlt_pool_geom *g) {
  char s[128];
  if (planes(fn, x, o->dims, g)) return -1;
  int D = o->dims;
  int64_t *K[2] = {&g->KH, &g->KW}, *St[2] = {&g->sh, &g->sw}, *P[2] = {&g->ph, &g->pw}, *Dl[2] = {&g->dh, &g->dw};
  int64_t *In[2] = {&g->H, &g->W}, *Out[2] = {&g->OH, &g->OW};
  g->OH = 1;
  for (int d = 0; d < D; d++) {
    int e = 2 - D + d;
    int64_t k = o->kernel[d], st = o->stride[d], p = o->padding[d], dl = is_max ? o->dilation[d] : 1;
    if (k < 1 || st < 1 || dl < 1 || p < 0)
      return dlt_failn("%s: kernel_size, stride and dilation must be positive and padding non-negative, got kernel_size %lld, stride %lld, padding %lld, dilation %lld",
                       fn, (long long)k, (long long)st, (long long)p, (long long)dl);
    if (p > ((k - 1) * dl + 1) / 2)
      return dlt_failn("%s: pad should be at most half of effective kernel size, but got pad=%lld, kernel_size=%lld and dilation=%lld",
                       fn, (long long)p, (long long)k, (long long)dl);
    *K[e] = k;
    *St[e] = st;
    *P[e] = p;
    *Dl[e] = dl;
    *Out[e] = dlt_pool_out_size(*In[e], k, st, p, dl, o->ceil_mode);
    if (*Out[e] < 1)
      return dlt_failn("%s: input of shape %s is too small: output size %lld along spatial dim %d", fn,
                       dlt_shape_str(x, s, sizeof s), (long long)*Out[e], d + 1);
  }
  g->count_include_pad = o->count_include_pad;
  g->divisor = o->divisor_override;
  return 0;
}

/* runs the forward kernel into a new tensor of x's leading dims and (OH, OW), and records
 * the node; c (owned from here) carries the geometry */
static dlt_tensor *pool_run(const char *name, dlt_tensor *x, int D, pool_ctx *c, dlt_tensor **indices) {
  int64_t shape[DLT_MAXDIM];
  int nd = x->ndim;
  for (int d = 0; d < nd - D; d++) shape[d] = x->shape[d];
  if (D == 2) shape[nd - 2] = c->g.OH;
  shape[nd - 1] = c->g.OW;
  dlt_tensor *xc = dlt_contiguous(x);
  dlt_tensor *y = xc ? dlt_fused_out(NULL, nd, shape, x->dtype) : NULL;
  /* once y exists its element count fits: B*OH*OW cannot overflow */
  size_t nout = y ? (size_t)dlt_numel(y) : 0;
  if (y && c->kind == POOL_MAX && !(c->idx = dlt_malloc(sizeof(int32_t) * (nout ? nout : 1)))) {
    dlt_release(y);
    y = NULL;
  }
  if (!y) {
    dlt_release(xc);
    pool_ctx_free(c);
    return NULL;
  }
  bool f32 = x->dtype == DLT_FLOAT32;
  if (c->kind == POOL_MAX) dlt_maxpool_fwd(f32, dlt_data(y), c->idx, dlt_data(xc), &c->g);
  else if (c->kind == POOL_AVG) dlt_avgpool_fwd(f32, dlt_data(y), dlt_data(xc), &c->g);
  else dlt_adaptive_avgpool_fwd(f32, dlt_data(y), dlt_data(xc), &c->g);
  dlt_release(xc);
  if (indices) {
    *indices = dlt_empty(nd, shape, DLT_FLOAT64);
    if (!*indices) {
      pool_ctx_free(c);
      dlt_release(y);
      return NULL;
    }
    double *ip = dlt_data(*indices);
    for (size_t i = 0; i < nout; i++) ip[i] = c->idx[i] + 1; /* 1-based, as every index in dlt */
  }
  const dlt_tensor *in[1] = {x};
  int err;
  dlt_node *n = dlt_node_new(name, pool_backward, 1, in, &err);
  if (err) {
    pool_ctx_free(c);
    dlt_release(y);
    if (indices) {
      dlt_release(*indices);
      *indices = NULL;
    }
    return NULL;
  }
  if (n) {
    n->data = c;
    n->free_data = pool_ctx_free;
    dlt_node_attach(n, y);
  } else {
    pool_ctx_free(c);
  }
  return y;
}

dlt_tensor *dlt_max_pool(const char *fn, dlt_tensor *x, const dlt_pool_opts *o, dlt_tensor **indices) {
  pool_ctx *c = dlt_malloc(sizeof *c);
  if (!c) return NULL;
  memset(c, 0, sizeof *c);
  c->kind = POOL_MAX;
  if (window(fn, x, o, true, &c->g)) {
    free(c);
    return NULL;
  }
  if ((c->bs = o->bufs)) c->bs->refcount++;
  return pool_run(o->dims == 1 ? "MaxPool1dBackward" : "MaxPool2dBackward", x, o->dims, c, indices);
}

dlt_tensor *dlt_avg_pool(const char *fn, dlt_tensor *x, const dlt_pool_opts *o) {
  if (o->divisor_override < 0)
    return dlt_fail("%s: divisor_override must be positive, got %lld", fn, (long long)o->divisor_override);
  pool_ctx *c = dlt_malloc(sizeof *c);
  if (!c) return NULL;
  memset(c, 0, sizeof *c);
  c->kind = POOL_AVG;
  if (window(fn, x, o, false, &c->g)) {
    free(c);
    return NULL;
  }
  if ((c->bs = o->bufs)) c->bs->refcount++;
  return pool_run(o->dims == 1 ? "AvgPool1dBackward" : "AvgPool2dBackward", x, o->dims, c, NULL);
}

dlt_tensor *dlt_adaptive_avg_pool(const char *fn, dlt_tensor *x, int D, const int64_t *out) {
  pool_ctx *c = dlt_malloc(sizeof *c);
  if (!c) return NULL;
  memset(c, 0, sizeof *c);
  c->kind = POOL_ADAPTIVE;
  if (planes(fn, x, D, &c->g)) {
    free(c);
    return NULL;
  }
  c->g.OH = D == 2 ? (out[0] ? out[0] : c->g.H) : 1;
  c->g.OW = out[D - 1] ? out[D - 1] : c->g.W;
  if (c->g.OH < 0 || c->g.OW < 0 || (D == 2 && out[0] < 0) || out[D - 1] < 0) {
    free(c);
    return dlt_fail("%s: output_size must be non-negative, got %lld", fn, (long long)(out[0] < 0 ? out[0] : out[D - 1]));
  }
  return pool_run(D == 1 ? "AdaptiveAvgPool1dBackward" : "AdaptiveAvgPool2dBackward", x, D, c, NULL);
}
