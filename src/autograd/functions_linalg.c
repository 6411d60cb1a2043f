/* functions_linalg.c: differentiable matmul (1-D, 2-D, batched with broadcast), mm and dot.
 * For C = A B: dA = dC B^T, dB = A^T dC, summed over broadcast batch dims. */
#include <string.h>

#include "autograd/functions_common.h"

/* x as at least 2-D the way matmul sees it: a 1-D left operand is a row (1,k), a 1-D
 * right operand a column (k,1); cast to dtype for the backward products. */
static dlt_tensor *as_matrix(const dlt_tensor *x, bool left, dlt_dtype dtype) {
  dlt_tensor *v = x->ndim != 1 ? dlt_alias((dlt_tensor *)x) : dlt_unsqueeze((dlt_tensor *)x, left ? 0 : 1);
  if (!v || v->dtype == dtype) return v;
  dlt_tensor *c = dlt_to_dtype(v, dtype);
  dlt_release(v);
  return c;
}

/* dC with the dims matmul dropped for 1-D operands put back: (..., m, n) */
static dlt_tensor *grad_as_matrix(const dlt_tensor *g, int andim, int bndim) {
  dlt_tensor *v = dlt_alias((dlt_tensor *)g);
  if (v && bndim == 1) {
    dlt_tensor *u = dlt_unsqueeze(v, v->ndim);
    dlt_release(v);
    v = u;
  }
  if (v && andim == 1) {
    dlt_tensor *u = dlt_unsqueeze(v, v->ndim - 1);
    dlt_release(v);
    v = u;
  }
  return v;
}

/* the product x^T y or x y^T of batched matrices (transposing the last two dims) */
static dlt_tensor *matmul_t(const dlt_tensor *x, bool tx, const dlt_tensor *y, bool ty) {
  dlt_tensor *xt = tx ? dlt_transpose((dlt_tensor *)x, -1, -2) : dlt_alias((dlt_tensor *)x);
  dlt_tensor *yt = ty ? dlt_transpose((dlt_tensor *)y, -1, -2) : dlt_alias((dlt_tensor *)y);
  dlt_tensor *p = NULL;
  if (xt && yt) {
    if (xt->ndim == 2 && yt->ndim == 2) { /* straight to BLAS with the transposes as flags */
      int64_t shape[2] = {xt->shape[0], yt->shape[1]};
      p = dlt_empty(2, shape, xt->dtype);
      if (p && dlt_gemm(tx, ty, 1.0, x, y, 0.0, p)) {
        dlt_release(p);
        p = NULL;
      }
    } else {
      p = dlt_matmul(xt, yt);
    }
  }
  dlt_release(xt);
  dlt_release(yt);
  return p;
}

/* input i's gradient from its (..., r, c) matrix form g2: summed over broadcast batch
 * dims, then viewed back to the input's own shape (a 1-D input had a dim inserted) */
static dlt_tensor *to_operand(dlt_node *n, int i, dlt_tensor *g2) {
  if (!g2) return NULL;
  int nd = n->in_ndim[i];
  int64_t shape[DLT_MAXDIM];
  memcpy(shape, n->in_shape[i], sizeof(int64_t) * (size_t)nd);
  if (nd == 1) {
    shape[1] = i == 0 ? shape[0] : 1;
    shape[0] = i == 0 ? 1 : shape[0];
    nd = 2;
  }
  dlt_tensor *s = dlt_sum_to(g2, nd, shape);
  dlt_release(g2);
  if (!s) return NULL;
  dlt_tensor *r = dlt_reshape(s, n->in_ndim[i], n->in_shape[i]);
  dlt_release(s);
  return dlt_agi_to_input(n, i, r);
}

typedef struct {
  int a, b; /* saved slots of the operands, each saved only when the other one needs a gradient */
} matmul_ctx;

static int matmul_backward(dlt_node *n, const dlt_tensor *g, dlt_tensor **gin) {
  const matmul_ctx *c = DLT_NODE_CTX(n, matmul_ctx);
  bool wa = dlt_agi_wants(n, 0), wb = dlt_agi_wants(n, 1);
  const dlt_tensor *a = wb ? dlt_agi_saved(n, c->a) : NULL, *b = wa ? dlt_agi_saved(n, c->b) : NULL;
  if ((wb && !a) || (wa && !b)) return -1;
  int rc = -1;
  dlt_tensor *g2 = grad_as_matrix(g, n->in_ndim[0], n->in_ndim[1]);
  dlt_tensor *a2 = wb ? as_matrix(a, true, g->dtype) : NULL, *b2 = wa ? as_matrix(b, false, g->dtype) : NULL;
  if (g2 && (!wb || a2) && (!wa || b2)) {
    rc = 0;
    if (wa && !(gin[0] = to_operand(n, 0, matmul_t(g2, false, b2, true)))) rc = -1;
    if (!rc && wb && !(gin[1] = to_operand(n, 1, matmul_t(a2, true, g2, false)))) rc = -1;
  }
  dlt_release(g2);
  dlt_release(a2);
  dlt_release(b2);
  return rc;
}

static dlt_tensor *record_product(dlt_tensor *a, dlt_tensor *b, dlt_tensor *(*fwd)(const dlt_tensor *, const dlt_tensor *),
                                  const char *bw, const char *fw) {
  int err = 0;
  const dlt_tensor *ins[2] = {a, b};
  dlt_node *n = dlt_node_new(bw, matmul_backward, 2, ins, &err);
  if (err) return NULL;
  dlt_tensor *out = fwd(a, b);
  if (out && n) {
    matmul_ctx *c = DLT_NODE_CTX(n, matmul_ctx);
    *c = (matmul_ctx){-1, -1};
    if ((dlt_agi_wants(n, 1) && dlt_agi_save(n, &c->a, a)) || (dlt_agi_wants(n, 0) && dlt_agi_save(n, &c->b, b))) {
      dlt_release(out);
      out = NULL;
    }
  }
  return dlt_agi_finish(out, n, fw);
}

dlt_tensor *dlt_ag_matmul(dlt_tensor *a, dlt_tensor *b) { return record_product(a, b, dlt_matmul, "MatmulBackward", "Matmul"); }
dlt_tensor *dlt_ag_mm(dlt_tensor *a, dlt_tensor *b) { return record_product(a, b, dlt_mm, "MmBackward", "Mm"); }
/* dot is matmul of two 1-D tensors: the same backward covers it */
dlt_tensor *dlt_ag_dot(dlt_tensor *a, dlt_tensor *b) { return record_product(a, b, dlt_dot, "DotBackward", "Dot"); }
