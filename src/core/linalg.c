/* linalg.c: least squares through LAPACK's SVD solver (dgelsd), and NumPy's polyfit
 * (scaled Vandermonde columns) and polyval (Horner). Computed in double. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include "core/lapack.h"
#include "core/ops.h"

/* t (2-D or 1-D as one column) into a column-major double array with ld rows */
static void to_colmajor(const dlt_tensor *t, double *out, int64_t ld) {
  int64_t rows = t->shape[0], cols = t->ndim == 2 ? t->shape[1] : 1;
  int64_t idx[2];
  for (int64_t j = 0; j < cols; j++)
    for (int64_t i = 0; i < rows; i++) {
      idx[0] = i;
      idx[1] = j;
      out[j * ld + i] = dlt_get(t, idx);
    }
}

/* Solves min ||A x - B|| (minimum norm) in place: A is m x n (ld m), B is ldb x k with
 * ldb = max(m, n); x lands in B's first n rows. */
static int gelsd(const char *fn, double *A, int64_t m, int64_t n, double *B, int64_t k, double rcond) {
  int64_t ldb = m > n ? m : n;
  if (ldb < 1) ldb = 1;
  double *s = dlt_malloc(sizeof(double) * (size_t)(m < n ? (m > 0 ? m : 1) : (n > 0 ? n : 1)));
  if (!s) return -1;
  int rank;
  int info = dlt_lapack_dgelsd((int)m, (int)n, (int)k, A, (int)(m > 0 ? m : 1), B, (int)ldb, s, rcond, &rank);
  free(s);
  if (info == -1000) return -1;
  if (info > 0) return dlt_failn("%s: the SVD did not converge (%d singular values)", fn, (int)info);
  if (info < 0) return dlt_failn("%s: LAPACK rejected argument %d", fn, (int)-info);
  return 0;
}

/* LAPACK's dgelsd loops forever on an infinity and has no answer for a NaN: both are
 * refused before it runs */
static int check_finite(const char *fn, const char *what, const double *v, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isfinite(v[i]))
      return dlt_failn("%s: %s in %s; least squares needs finite values", fn, isnan(v[i]) ? "NaN" : "an infinity", what);
  return 0;
}

/* the solution of A x = b as a new tensor of shape (n) or (n, k); aname and bname are
 * what A and b are called in messages */
static dlt_tensor *solve(const char *fn, double *A, int64_t m, int64_t n, const dlt_tensor *b, double rcond,
                         const double *colscale, dlt_dtype dt, const char *aname, const char *bname) {
  int64_t k = b->ndim == 2 ? b->shape[1] : 1, ldb = m > n ? m : n;
  if (ldb < 1) ldb = 1;
  size_t nb;
  if (!dlt_mul_size((size_t)ldb, (size_t)(k > 0 ? k : 1), &nb)) return NULL;
  double *B = dlt_calloc(nb, sizeof(double));
  if (!B) return NULL;
  to_colmajor(b, B, ldb);
  int64_t shape[2] = {n, k};
  dlt_tensor *x = NULL;
  if (m == 0 || n == 0 || k == 0 ||
      (!check_finite(fn, aname, A, (size_t)(m * n)) && !check_finite(fn, bname, B, nb) &&
       !gelsd(fn, A, m, n, B, k, rcond))) {
    x = dlt_zeros(b->ndim, shape, dt);
    for (int64_t i = 0; x && m > 0 && i < n; i++)
      for (int64_t j = 0; j < k; j++) {
        int64_t idx[2] = {i, j};
        dlt_set(x, idx, B[j * ldb + i] / (colscale ? colscale[i] : 1));
      }
  }
  free(B);
  return x;
}

static int check_size(const char *fn, int64_t m, int64_t n) {
  if (m > INT_MAX / 2 || n > INT_MAX / 2) return dlt_failn("%s: %lld x %lld is too large for LAPACK", fn, (long long)m, (long long)n);
  return 0;
}

dlt_tensor *dlt_lstsq(const dlt_tensor *A, const dlt_tensor *b) {
  char sa[128], sb[128];
  if (A->ndim != 2 || (b->ndim != 1 && b->ndim != 2) || b->shape[0] != A->shape[0])
    return dlt_fail("lstsq: A must be 2-D and b 1-D or 2-D with as many rows, got shapes %s and %s",
                    dlt_shape_str(A, sa, sizeof sa), dlt_shape_str(b, sb, sizeof sb));
  int64_t m = A->shape[0], n = A->shape[1];
  if (check_size("lstsq", m, n)) return NULL;
  double *a = dlt_malloc(sizeof(double) * (size_t)(m * n > 0 ? m * n : 1));
  if (!a) return NULL;
  to_colmajor(A, a, m);
  /* NumPy's default cutoff: singular values below eps * max(M, N) * s_max are zero */
  dlt_tensor *x = solve("lstsq", a, m, n, b, DBL_EPSILON * (double)(m > n ? m : n), NULL, dlt_promote(A->dtype, b->dtype),
                        "A", "b");
  free(a);
  return x;
}

dlt_tensor *dlt_polyfit(const dlt_tensor *x, const dlt_tensor *y, int deg) {
  char sa[128], sb[128];
  if (deg < 0) return dlt_fail("polyfit: degree must be non-negative, got %d", deg);
  if (x->ndim != 1 || x->shape[0] == 0 || (y->ndim != 1 && y->ndim != 2) || y->shape[0] != x->shape[0])
    return dlt_fail("polyfit: x must be 1-D and non-empty and y have as many rows, got shapes %s and %s",
                    dlt_shape_str(x, sa, sizeof sa), dlt_shape_str(y, sb, sizeof sb));
  int64_t m = x->shape[0], order = (int64_t)deg + 1;
  if (check_size("polyfit", m, order)) return NULL;
  double *V = dlt_malloc(sizeof(double) * (size_t)(m * order));
  double *scale = V ? dlt_malloc(sizeof(double) * (size_t)order) : NULL;
  if (!scale) {
    free(V);
    return NULL;
  }
  /* Vandermonde columns x^deg ... x^0, each divided by its 2-norm (NumPy's conditioning) */
  for (int64_t i = 0; i < m; i++) {
    double xi = dlt_get_flat(x, i), p = 1;
    if (!isfinite(xi)) {
      free(V), free(scale);
      return dlt_fail("polyfit: x[%lld] is %g; least squares needs finite values", (long long)i + 1, xi);
    }
    for (int64_t j = order - 1; j >= 0; j--) {
      V[j * m + i] = p;
      p *= xi;
    }
  }
  for (int64_t j = 0; j < order; j++) {
    double s = 0;
    for (int64_t i = 0; i < m; i++) s += V[j * m + i] * V[j * m + i];
    scale[j] = s > 0 ? sqrt(s) : 1;
    for (int64_t i = 0; i < m; i++) V[j * m + i] /= scale[j];
  }
  /* NumPy's polyfit cutoff: len(x) * eps of x's dtype */
  double eps = x->dtype == DLT_FLOAT32 ? FLT_EPSILON : DBL_EPSILON;
  dlt_tensor *c = solve("polyfit", V, m, order, y, (double)m * eps, scale, dlt_promote(x->dtype, y->dtype),
                        "the powers of x (x^deg overflows)", "y");
  free(V);
  free(scale);
  return c;
}

dlt_tensor *dlt_polyval(const dlt_tensor *coeffs, const dlt_tensor *x) {
  char sa[128];
  if (coeffs->ndim != 1) return dlt_fail("polyval: coefficients must be 1-D, got shape %s", dlt_shape_str(coeffs, sa, sizeof sa));
  int64_t nc = coeffs->shape[0], n = dlt_numel(x);
  double *c = dlt_malloc(sizeof(double) * (size_t)(nc > 0 ? nc : 1));
  if (!c) return NULL;
  for (int64_t j = 0; j < nc; j++) c[j] = dlt_get_flat(coeffs, j);
  dlt_tensor *xc = dlt_contiguous((dlt_tensor *)x);
  dlt_tensor *r = xc ? dlt_empty(x->ndim, x->shape, dlt_promote(coeffs->dtype, x->dtype)) : NULL;
  if (r) {
    const float *xf = dlt_data(xc);
    const double *xd = dlt_data(xc);
    for (int64_t i = 0; i < n; i++) { /* Horner: y = (...(c0 x + c1) x + ...) + c_last */
      double xv = x->dtype == DLT_FLOAT32 ? xf[i] : xd[i], acc = 0;
      for (int64_t j = 0; j < nc; j++) acc = acc * xv + c[j];
      if (r->dtype == DLT_FLOAT32) ((float *)dlt_data(r))[i] = (float)acc;
      else ((double *)dlt_data(r))[i] = acc;
    }
  }
  dlt_release(xc);
  free(c);
  return r;
}
