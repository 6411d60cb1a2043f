/* copy.c: writes into existing tensors (copy_ with broadcasting and dtype conversion,
 * fill_, zero_, axpy_) and the selecting ops where and masked_fill. */
#include <string.h>

#include "core/ops.h"
#include "core/strided.h"
#include "core/worker.h"

/* dst[i] = CV(src[i]) for each pair of dtypes: a cast, except into int64 from floats
 * (dlt_to_i64: NaN and out-of-range values defined) and into bool (nonzero) */
#define DEF_COPY_ROW(ND, NS, TD, TS, CV) \
  DLT_VEC_CLONES static void copy_row_##ND##_##NS(void *ctx, int64_t n, char **p, const int64_t *s) { \
    (void)ctx; \
    TD *o = (TD *)p[0]; \
    const TS *a = (const TS *)p[1]; \
    if (s[0] == 1 && s[1] == 1) \
      for (int64_t i = 0; i < n; i++) o[i] = CV(a[i]); \
    else \
      for (int64_t i = 0; i < n; i++) o[i * s[0]] = CV(a[i * s[1]]); \
  }
#define CV_F32(x) ((float)(x))
#define CV_F64(x) ((double)(x))
#define CV_I64(x) ((int64_t)(x))
#define CV_F2I(x) dlt_to_i64((double)(x))
#define CV_B(x) ((uint8_t)((x) != 0))
DEF_COPY_ROW(f32, f32, float, float, CV_F32)
DEF_COPY_ROW(f32, f64, float, double, CV_F32)
DEF_COPY_ROW(f32, i64, float, int64_t, CV_F32)
DEF_COPY_ROW(f32, b, float, uint8_t, CV_F32)
DEF_COPY_ROW(f64, f32, double, float, CV_F64)
DEF_COPY_ROW(f64, f64, double, double, CV_F64)
DEF_COPY_ROW(f64, i64, double, int64_t, CV_F64)
DEF_COPY_ROW(f64, b, double, uint8_t, CV_F64)
DEF_COPY_ROW(i64, f32, int64_t, float, CV_F2I)
DEF_COPY_ROW(i64, f64, int64_t, double, CV_F2I)
DEF_COPY_ROW(i64, i64, int64_t, int64_t, CV_I64)
DEF_COPY_ROW(i64, b, int64_t, uint8_t, CV_I64)
DEF_COPY_ROW(b, f32, uint8_t, float, CV_B)
DEF_COPY_ROW(b, f64, uint8_t, double, CV_B)
DEF_COPY_ROW(b, i64, uint8_t, int64_t, CV_B)
DEF_COPY_ROW(b, b, uint8_t, uint8_t, CV_B)

/* rows[dst dtype][src dtype], in dlt_dtype order */
static const dlt_row_fn copy_rows[DLT_NDTYPES][DLT_NDTYPES] = {
  {copy_row_f32_f32, copy_row_f32_f64, copy_row_f32_i64, copy_row_f32_b},
  {copy_row_f64_f32, copy_row_f64_f64, copy_row_f64_i64, copy_row_f64_b},
  {copy_row_i64_f32, copy_row_i64_f64, copy_row_i64_i64, copy_row_i64_b},
  {copy_row_b_f32, copy_row_b_f64, copy_row_b_i64, copy_row_b_b},
};

int dlt_copy_(dlt_tensor *dst, const dlt_tensor *src) {
  if (dlt_check_bcast_to("copy_", src, dst) || dlt_check_overlap("copy_", dst, src)) return -1;
  if (dst->dtype == src->dtype && dlt_same_shape(dst, src) && dlt_is_contiguous(dst) && dlt_is_contiguous(src)) {
    if (dst->storage != src->storage || dst->offset != src->offset)
      memmove(dlt_data(dst), dlt_data(src), (size_t)dlt_numel(dst) * dlt_dtype_size(dst->dtype));
  } else {
    dlt_loop L;
    dlt_loop_init(&L, dst->ndim, dst->shape);
    dlt_loop_add(&L, dst);
    dlt_loop_add(&L, src);
    dlt_loop_run(&L, copy_rows[dst->dtype][src->dtype], NULL);
  }
  dlt_bump_version(dst);
  return 0;
}

#define DEF_FILL_ROW(T) \
  DLT_VEC_CLONES static void fill_row_##T(void *ctx, int64_t n, char **p, const int64_t *s) { \
    T *o = (T *)p[0]; \
    const T v = (T) * (const double *)ctx; \
    if (s[0] == 1) \
      for (int64_t i = 0; i < n; i++) o[i] = v; \
    else \
      for (int64_t i = 0; i < n; i++) o[i * s[0]] = v; \
  }
DEF_FILL_ROW(float)
DEF_FILL_ROW(double)
DEF_FILL_ROW(int64_t)
DEF_FILL_ROW(uint8_t)

int dlt_fill_(dlt_tensor *dst, double v) {
  static const dlt_row_fn rows[DLT_NDTYPES] = {fill_row_float, fill_row_double, fill_row_int64_t, fill_row_uint8_t};
  /* the value as the dtype stores it (v itself for floats: the row casts) */
  if (dst->dtype == DLT_INT64) v = (double)dlt_to_i64(v);
  else if (dst->dtype == DLT_BOOL) v = v != 0;
  if (dlt_check_overlap("fill_", dst, NULL)) return -1;
  dlt_loop L;
  dlt_loop_init(&L, dst->ndim, dst->shape);
  dlt_loop_add(&L, dst);
  dlt_loop_run(&L, rows[dst->dtype], &v);
  dlt_bump_version(dst);
  return 0;
}

static void zero_range(void *p, int64_t lo, int64_t hi) { memset((char *)p + lo, 0, (size_t)(hi - lo)); }

int dlt_zero_(dlt_tensor *dst) {
  if (!dlt_is_contiguous(dst)) return dlt_fill_(dst, 0);
  /* all-zero bytes are 0 in every dtype; 256 KB and more are split over the two threads
   * (an optimizer's zero_grad of a large layer: a pass the other thread would wait out) */
  int64_t n = dlt_numel(dst) * (int64_t)dlt_dtype_size(dst->dtype);
  dlt_worker_split(zero_range, dlt_data(dst), n, 64, 256 * 1024, dlt_blas_num_threads() > 1);
  dlt_bump_version(dst);
  return 0;
}

#define DEF_AXPY_ROW(T) \
  DLT_VEC_CLONES static void axpy_row_##T(void *ctx, int64_t n, char **p, const int64_t *s) { \
    T *o = (T *)p[0]; \
    const T *a = (const T *)p[1]; \
    const T alpha = (T) * (const double *)ctx; \
    if (s[0] == 1 && s[1] == 1) \
      for (int64_t i = 0; i < n; i++) o[i] += alpha * a[i]; \
    else \
      for (int64_t i = 0; i < n; i++) o[i * s[0]] += alpha * a[i * s[1]]; \
  }
DEF_AXPY_ROW(float)
DEF_AXPY_ROW(double)

int dlt_axpy_(dlt_tensor *dst, double alpha, const dlt_tensor *src) {
  if (dlt_check_floating("axpy_", dst) || dlt_check_bcast_to("axpy_", src, dst) || dlt_check_overlap("axpy_", dst, src)) return -1;
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

/* o = c ? a : b; c is bool, a and b already in the output dtype */
#define DEF_WHERE_ROW(T) \
  static void where_row_##T(void *ctx, int64_t n, char **p, const int64_t *s) { \
    (void)ctx; \
    T *o = (T *)p[0]; \
    const uint8_t *c = (const uint8_t *)p[1]; \
    const T *a = (const T *)p[2], *b = (const T *)p[3]; \
    for (int64_t i = 0; i < n; i++) o[i * s[0]] = c[i * s[1]] ? a[i * s[2]] : b[i * s[3]]; \
  }
DEF_WHERE_ROW(float)
DEF_WHERE_ROW(double)
DEF_WHERE_ROW(int64_t)
DEF_WHERE_ROW(uint8_t)

static dlt_tensor *as_dtype(const dlt_tensor *t, dlt_dtype dt) {
  return t->dtype == dt ? dlt_retain((dlt_tensor *)t) : dlt_to_dtype((dlt_tensor *)t, dt);
}

/* where over three broadcast operands (a nonzero cond of any dtype selects a) */
static dlt_tensor *select3(const char *fn, const dlt_tensor *cond, const dlt_tensor *a, const dlt_tensor *b, dlt_dtype dt) {
  static const dlt_row_fn rows[DLT_NDTYPES] = {where_row_float, where_row_double, where_row_int64_t, where_row_uint8_t};
  int64_t s1[DLT_MAXDIM], shape[DLT_MAXDIM];
  int nd = dlt_broadcast_shape(fn, cond->ndim, cond->shape, a->ndim, a->shape, s1);
  if (nd < 0 || (nd = dlt_broadcast_shape(fn, nd, s1, b->ndim, b->shape, shape)) < 0) return NULL;
  dlt_tensor *c2 = as_dtype(cond, DLT_BOOL), *a2 = as_dtype(a, dt), *b2 = as_dtype(b, dt);
  dlt_tensor *r = c2 && a2 && b2 ? dlt_empty(nd, shape, dt) : NULL;
  if (r) {
    dlt_loop L;
    dlt_loop_init(&L, nd, shape);
    dlt_loop_add(&L, r);
    dlt_loop_add(&L, c2);
    dlt_loop_add(&L, a2);
    dlt_loop_add(&L, b2);
    dlt_loop_run(&L, rows[dt], NULL);
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
