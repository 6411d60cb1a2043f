/* copy.c: writes into existing tensors (copy_ with broadcasting and dtype conversion,
 * fill_, axpy_) and the selecting ops where and masked_fill. */
#include <string.h>

#include "core/ops.h"
#include "core/strided.h"

/* dst[i] = (TD)src[i] for the four dtype pairs */
#define DEF_COPY_ROW(TD, TS)                                                            \
  DLT_VEC_CLONES static void copy_row_##TD##_##TS(void *ctx, int64_t n, char **p, const int64_t *s) { \
    TD *o = (TD *)p[0];                                                                 \
    const TS *a = (const TS *)p[1];                                                     \
    if (s[0] == 1 && s[1] == 1) for (int64_t i = 0; i < n; i++) o[i] = (TD)a[i];        \
    else for (int64_t i = 0; i < n; i++) o[i * s[0]] = (TD)a[i * s[1]];                 \
  }
DEF_COPY_ROW(float, float)
DEF_COPY_ROW(float, double)
DEF_COPY_ROW(double, float)
DEF_COPY_ROW(double, double)

int dlt_copy_(dlt_tensor *dst, const dlt_tensor *src) {
  if (dlt_check_bcast_to("copy_", src, dst) || dlt_check_overlap("copy_", dst, src)) return -1;
  if (dst->dtype == src->dtype && dlt_same_shape(dst, src) && dlt_is_contiguous(dst) && dlt_is_contiguous(src)) {
    if (dst->storage != src->storage || dst->offset != src->offset)
      memmove(dlt_data(dst), dlt_data(src), (size_t)dlt_numel(dst) * dlt_dtype_size(dst->dtype));
  } else {
    static const dlt_row_fn rows[2][2] = {{copy_row_float_float, copy_row_float_double},
                                          {copy_row_double_float, copy_row_double_double}};
    dlt_loop L;
    dlt_loop_init(&L, dst->ndim, dst->shape);
    dlt_loop_add(&L, dst);
    dlt_loop_add(&L, src);
    dlt_loop_run(&L, rows[dst->dtype][src->dtype], NULL);
  }
  dlt_bump_version(dst);
  return 0;
}

#define DEF_FILL_ROW(T)                                                          \
  DLT_VEC_CLONES static void fill_row_##T(void *ctx, int64_t n, char **p, const int64_t *s) {  \
    T *o = (T *)p[0];                                                            \
    const T v = (T)*(const double *)ctx;                                         \
    if (s[0] == 1) for (int64_t i = 0; i < n; i++) o[i] = v;                     \
    else for (int64_t i = 0; i < n; i++) o[i * s[0]] = v;                        \
  }
DEF_FILL_ROW(float)
DEF_FILL_ROW(double)

int dlt_fill_(dlt_tensor *dst, double v) {
  if (dlt_check_overlap("fill_", dst, NULL)) return -1;
  dlt_loop L;
  dlt_loop_init(&L, dst->ndim, dst->shape);
  dlt_loop_add(&L, dst);
  dlt_loop_run(&L, dst->dtype == DLT_FLOAT32 ? fill_row_float : fill_row_double, &v);
  dlt_bump_version(dst);
  return 0;
}

#define DEF_AXPY_ROW(T)                                                          \
  DLT_VEC_CLONES static void axpy_row_##T(void *ctx, int64_t n, char **p, const int64_t *s) {  \
    T *o = (T *)p[0];                                                            \
    const T *a = (const T *)p[1];                                                \
    const T alpha = (T)*(const double *)ctx;                                     \
    if (s[0] == 1 && s[1] == 1) for (int64_t i = 0; i < n; i++) o[i] += alpha * a[i]; \
    else for (int64_t i = 0; i < n; i++) o[i * s[0]] += alpha * a[i * s[1]];     \
  }
DEF_AXPY_ROW(float)
DEF_AXPY_ROW(double)

int dlt_axpy_(dlt_tensor *dst, double alpha, const dlt_tensor *src) {
  if (dlt_check_bcast_to("axpy_", src, dst) || dlt_check_overlap("axpy_", dst, src)) return -1;
  dlt_tensor *s2 = src->dtype == dst->dtype ? dlt_retain((dlt_tensor *)src) : dlt_to_dtype((dlt_tensor *)src, dst->dtype);
  if (!s2) return -1;
  dlt_loop L;
  dlt_loop_init(&L, dst->ndim, dst->shape);
  dlt_loop_add(&L, dst);
  dlt_loop_add(&L, s2);
  dlt_loop_run(&L, dst->dtype == DLT_FLOAT32 ? axpy_row_float : axpy_row_double, &alpha);
  dlt_release(s2);
  dlt_bump_version(dst);
  return 0;
}

/* o = c != 0 ? a : b, every operand already in the output dtype */
#define DEF_WHERE_ROW(T)                                                                     \
  static void where_row_##T(void *ctx, int64_t n, char **p, const int64_t *s) {             \
    T *o = (T *)p[0];                                                                        \
    const T *c = (const T *)p[1], *a = (const T *)p[2], *b = (const T *)p[3];               \
    for (int64_t i = 0; i < n; i++) o[i * s[0]] = c[i * s[1]] != 0 ? a[i * s[2]] : b[i * s[3]]; \
  }
DEF_WHERE_ROW(float)
DEF_WHERE_ROW(double)

static dlt_tensor *as_dtype(const dlt_tensor *t, dlt_dtype dt) {
  return t->dtype == dt ? dlt_retain((dlt_tensor *)t) : dlt_to_dtype((dlt_tensor *)t, dt);
}

/* where over three broadcast operands; b_val used when b is NULL (masked_fill) */
static dlt_tensor *select3(const char *fn, const dlt_tensor *cond, const dlt_tensor *a, const dlt_tensor *b, dlt_dtype dt) {
  int64_t s1[DLT_MAXDIM], shape[DLT_MAXDIM];
  int nd = dlt_broadcast_shape(fn, cond->ndim, cond->shape, a->ndim, a->shape, s1);
  if (nd < 0 || (nd = dlt_broadcast_shape(fn, nd, s1, b->ndim, b->shape, shape)) < 0) return NULL;
  dlt_tensor *c2 = as_dtype(cond, dt), *a2 = as_dtype(a, dt), *b2 = as_dtype(b, dt);
  dlt_tensor *r = c2 && a2 && b2 ? dlt_empty(nd, shape, dt) : NULL;
  if (r) {
    dlt_loop L;
    dlt_loop_init(&L, nd, shape);
    dlt_loop_add(&L, r);
    dlt_loop_add(&L, c2);
    dlt_loop_add(&L, a2);
    dlt_loop_add(&L, b2);
    dlt_loop_run(&L, dt == DLT_FLOAT32 ? where_row_float : where_row_double, NULL);
  }
  dlt_release(c2);
  dlt_release(a2);
  dlt_release(b2);
  return r;
}

dlt_tensor *dlt_where(const dlt_tensor *cond, const dlt_tensor *a, const dlt_tensor *b) {
  return select3("where", cond, a, b, dlt_promote(a->dtype, b->dtype));
}

dlt_tensor *dlt_masked_fill(const dlt_tensor *t, const dlt_tensor *mask, double v) {
  dlt_tensor *vt = dlt_scalar(v, t->dtype);
  if (!vt) return NULL;
  dlt_tensor *r = select3("masked_fill", mask, vt, t, t->dtype);
  dlt_release(vt);
  return r;
}
