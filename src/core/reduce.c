/* reduce.c: sums, means, products, max/min (with indices), all/any, variance, norms,
 * sum_to (the gradient of broadcasting) and softmax. A contiguous input is seen as
 * (outer, K, inner) with the K dims reduced; float32 accumulates in double. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/ops.h"
#include "core/strided.h"

/* internal reductions beyond dlt_redop: norms and the variance */
enum { R_NORM2 = 100,
       R_NORM1,
       R_NORMINF,
       R_NORMNINF,
       R_NORM0,
       R_NORMP,
       R_VAR };

typedef struct {
  int op;
  double p; /* norm order or variance correction */
  int64_t outer, K, inner;
  double *acc;  /* inner accumulators */
  int64_t *idx; /* inner argmax/argmin positions */
} red_ctx;

/* rowsum_float/double (a row's sum in eight lanes), reduce_float/double (x as
 * (outer, K, inner) into out (outer, inner)) and softmax_float/double */
#define T float
#define S(name) name##_float
#define EXP expf
#include "core/reduce.inc"
#undef T
#undef S
#undef EXP
#define T double
#define S(name) name##_double
#define EXP exp
#include "core/reduce.inc"
#undef T
#undef S
#undef EXP

/* int64 x (outer, K, inner) reduced exactly: sums and products wrap around as in
 * PyTorch (through uint64_t), max/min/argmax/argmin compare integers, all/any test
 * nonzero; out and oidx as in reduce_T */
static void reduce_int64(red_ctx *c, const int64_t *x, int64_t *out, int64_t *oidx) {
  const int64_t K = c->K, inner = c->inner;
  int op = c->op;
  for (int64_t o = 0; o < c->outer; o++) {
    const int64_t *xo = x + o * K * inner;
    for (int64_t i = 0; i < inner; i++) {
      uint64_t acc = op == DLT_RPROD || op == DLT_RALL ? 1 : 0;
      int64_t best = K ? xo[i] : 0, at = 0;
      for (int64_t k = 0; k < K; k++) {
        int64_t v = xo[k * inner + i];
        switch (op) {
        case DLT_RSUM: acc += (uint64_t)v; break;
        case DLT_RPROD: acc *= (uint64_t)v; break;
        case DLT_RALL: acc &= v != 0; break;
        case DLT_RANY: acc |= v != 0; break;
        case DLT_RMAX:
        case DLT_RARGMAX:
          if (v > best) {
            best = v;
            at = k;
          }
          break;
        default:
          if (v < best) {
            best = v;
            at = k;
          }
          break; /* min, argmin */
        }
      }
      bool ext = op == DLT_RMAX || op == DLT_RMIN || op == DLT_RARGMAX || op == DLT_RARGMIN;
      if (oidx) oidx[o * inner + i] = at;
      if (out) out[o * inner + i] = ext ? best : (int64_t)acc;
    }
  }
}

static bool int_reducible(int op) {
  return op == DLT_RSUM || op == DLT_RPROD || op == DLT_RMAX || op == DLT_RMIN || op == DLT_RARGMAX ||
         op == DLT_RARGMIN || op == DLT_RALL || op == DLT_RANY;
}

static const char *red_name(int op) {
  switch (op) {
  case DLT_RSUM: return "sum";
  case DLT_RMEAN: return "mean";
  case DLT_RPROD: return "prod";
  case DLT_RMAX: return "max";
  case DLT_RMIN: return "min";
  case DLT_RALL: return "all";
  case DLT_RANY: return "any";
  case DLT_RARGMAX: return "argmax";
  case DLT_RARGMIN: return "argmin";
  case R_VAR: return "var";
  default: return "norm";
  }
}

/* Reduces dims [d0, d1) of t as one block. keepdim leaves size-1 dims in their place.
 * indices (when not NULL) receives argmax/argmin positions within the block. */
static dlt_tensor *reduce_block(int op, double p, const dlt_tensor *t, int d0, int d1, bool keepdim, dlt_tensor **indices) {
  red_ctx c = {.op = op, .p = p, .outer = 1, .K = 1, .inner = 1};
  int64_t shape[DLT_MAXDIM];
  int nd = 0;
  for (int i = 0; i < t->ndim; i++) {
    if (i < d0) c.outer *= t->shape[i];
    else if (i < d1) c.K *= t->shape[i];
    else c.inner *= t->shape[i];
    if (i < d0 || i >= d1) shape[nd++] = t->shape[i];
    else if (keepdim) shape[nd++] = 1;
  }
  bool needs_one = op == DLT_RMAX || op == DLT_RMIN || op == DLT_RARGMAX || op == DLT_RARGMIN || op == R_NORMNINF;
  if (needs_one && c.K == 0 && c.outer * c.inner > 0)
    return dlt_fail("%s: cannot reduce an empty dimension (tensor of %lld elements)", red_name(op), (long long)dlt_numel(t));
  /* integers reduce as int64 (bool converted); argmax/argmin give int64 indices, all/any
   * bool, max/min of bool bool again, as in PyTorch */
  bool isint = !dlt_is_floating(t->dtype), arg = op == DLT_RARGMAX || op == DLT_RARGMIN;
  if (isint && !int_reducible(op))
    return dlt_fail("%s: expected a floating-point tensor, got %s (convert with :float() or :double())", red_name(op),
                    dlt_dtype_name(t->dtype));
  dlt_dtype wd = isint ? DLT_INT64 : t->dtype; /* the dtype the kernel works in */
  dlt_tensor *w = dlt_to_dtype((dlt_tensor *)t, wd);
  dlt_tensor *x = w ? dlt_contiguous(w) : NULL;
  dlt_release(w);
  dlt_tensor *r = x ? dlt_empty(nd, shape, arg ? DLT_INT64 : wd) : NULL;
  dlt_tensor *ix = r && indices ? dlt_empty(nd, shape, DLT_INT64) : NULL;
  int64_t *ixp = arg && r ? dlt_data(r) : ix ? dlt_data(ix)
                                             : NULL;
  /* the accumulators of a small block (a full reduction has one) live on the stack */
  double acc_local[16];
  int64_t idx_local[16];
  bool local = c.inner <= 16;
  c.acc = !r ? NULL : local ? acc_local
                            : dlt_malloc(sizeof(double) * (size_t)c.inner);
  c.idx = !c.acc ? NULL : local ? idx_local
                                : dlt_malloc(sizeof(int64_t) * (size_t)c.inner);
  if (!c.idx || (indices && !ix)) {
    dlt_release(r);
    r = NULL;
  } else if (isint) {
    reduce_int64(&c, dlt_data(x), arg ? NULL : dlt_data(r), ixp);
  } else if (t->dtype == DLT_FLOAT32) {
    reduce_float(&c, dlt_data(x), arg ? NULL : dlt_data(r), ixp);
  } else {
    reduce_double(&c, dlt_data(x), arg ? NULL : dlt_data(r), ixp);
  }
  if (!local) {
    free(c.acc);
    free(c.idx);
  }
  dlt_release(x);
  bool to_bool = op == DLT_RALL || op == DLT_RANY || (t->dtype == DLT_BOOL && (op == DLT_RMAX || op == DLT_RMIN));
  if (r && to_bool) {
    dlt_tensor *rb = dlt_to_dtype(r, DLT_BOOL);
    dlt_release(r);
    r = rb;
  }
  if (indices) {
    if (r) *indices = ix;
    else dlt_release(ix);
  }
  return r;
}

/* dim (or DLT_ALLDIMS) as the block [d0, d1); -1 with an error */
static int dim_block(int op, const dlt_tensor *t, int dim, int *d0, int *d1) {
  if (dim == DLT_ALLDIMS || t->ndim == 0) {
    if (dim != DLT_ALLDIMS && dlt_wrap_dim(red_name(op), dim, 0) < 0) return -1;
    *d0 = 0;
    *d1 = t->ndim;
    return 0;
  }
  int d = dlt_wrap_dim(red_name(op), dim, t->ndim);
  if (d < 0) return -1;
  *d0 = d;
  *d1 = d + 1;
  return 0;
}

dlt_tensor *dlt_reduce(dlt_redop op, const dlt_tensor *t, int dim, bool keepdim) {
  if (op < DLT_RSUM || op > DLT_RARGMIN) return dlt_fail("reduce: unknown reduction %d", (int)op);
  int d0, d1;
  if (dim_block(op, t, dim, &d0, &d1)) return NULL;
  return reduce_block(op, 0, t, d0, d1, keepdim, NULL);
}

dlt_tensor *dlt_max_dim(const dlt_tensor *t, int dim, bool keepdim, bool is_min, dlt_tensor **indices) {
  int op = is_min ? DLT_RMIN : DLT_RMAX, d0, d1;
  if (dim_block(op, t, dim, &d0, &d1)) return NULL;
  return reduce_block(op, 0, t, d0, d1, keepdim, indices);
}

dlt_tensor *dlt_var(const dlt_tensor *t, int dim, bool keepdim, bool unbiased) {
  int d0, d1;
  if (dim_block(R_VAR, t, dim, &d0, &d1)) return NULL;
  return reduce_block(R_VAR, unbiased ? 1 : 0, t, d0, d1, keepdim, NULL);
}

dlt_tensor *dlt_norm(const dlt_tensor *t, double p, int dim, bool keepdim) {
  int op = p == 2 ? R_NORM2 : p == 1         ? R_NORM1
                            : p == INFINITY  ? R_NORMINF
                            : p == -INFINITY ? R_NORMNINF
                            : p == 0         ? R_NORM0
                                             : R_NORMP;
  if (p != p) return dlt_fail("norm: p must be a number, got nan");
  int d0, d1;
  if (dim_block(op, t, dim, &d0, &d1)) return NULL;
  return reduce_block(op, p, t, d0, d1, keepdim, NULL);
}

dlt_tensor *dlt_sum_to(const dlt_tensor *t, int ndim, const int64_t *shape) {
  int lead = t->ndim - ndim;
  bool ok = lead >= 0, any = lead > 0;
  for (int j = 0; ok && j < ndim; j++) {
    if (shape[j] == t->shape[lead + j]) continue;
    if (shape[j] == 1) any = true;
    else ok = false;
  }
  if (!ok) {
    char a[128], b[128];
    return dlt_fail("sum_to: cannot reduce shape %s to %s", dlt_shape_str(t, a, sizeof a), dlt_dims_str(ndim, shape, b, sizeof b));
  }
  if (!any) return dlt_retain((dlt_tensor *)t);
  /* the leading dims go in one block; then each run of size-1 target dims, kept as 1 */
  dlt_tensor *cur = lead > 0 ? reduce_block(DLT_RSUM, 0, t, 0, lead, false, NULL) : dlt_retain((dlt_tensor *)t);
  for (int j = 0; cur && j < ndim;) {
    if (shape[j] != 1 || cur->shape[j] == 1) {
      j++;
      continue;
    }
    int e = j;
    while (e < ndim && shape[e] == 1) e++;
    dlt_tensor *next = reduce_block(DLT_RSUM, 0, cur, j, e, true, NULL);
    dlt_release(cur);
    cur = next;
    j = e;
  }
  return cur;
}

dlt_tensor *dlt_softmax(const dlt_tensor *t, int dim, bool log) {
  const char *fn = log ? "log_softmax" : "softmax";
  if (dlt_check_floating(fn, t)) return NULL;
  int d = dlt_wrap_dim(fn, dim, t->ndim);
  if (d < 0) return NULL;
  int64_t outer = 1, K = t->ndim ? t->shape[d] : 1, inner = 1; /* a 0-D t is one row of one */
  for (int i = 0; i < t->ndim; i++) {
    if (i < d) outer *= t->shape[i];
    else if (i > d) inner *= t->shape[i];
  }
  dlt_tensor *x = dlt_contiguous((dlt_tensor *)t);
  dlt_tensor *r = x ? dlt_empty(t->ndim, t->shape, t->dtype) : NULL;
  if (r && t->dtype == DLT_FLOAT32) softmax_float(dlt_data(x), dlt_data(r), outer, K, inner, log);
  else if (r) softmax_double(dlt_data(x), dlt_data(r), outer, K, inner, log);
  dlt_release(x);
  return r;
}
