/* init.c: the initializers of nn.init that need more than a plain fill: Xavier/Glorot,
 * Kaiming/He (fans and gains as PyTorch computes them), eye and orthogonal (QR). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/lapack.h"
#include "core/ops.h"
#include "core/random.h"
#include "nn/init.h"

int dlt_init_fans(const char *fn, const dlt_tensor *t, int64_t *fan_in, int64_t *fan_out) {
  if (t->ndim < 2)
    return dlt_failn("%s: fan in and fan out can not be computed for a tensor with fewer than 2 dimensions (got %d)", fn, t->ndim);
  int64_t rf = 1;
  for (int d = 2; d < t->ndim; d++) rf *= t->shape[d];
  *fan_in = t->shape[1] * rf;
  *fan_out = t->shape[0] * rf;
  return 0;
}

double dlt_init_gain(const char *nl, double param) {
  static const char *linear[] = {"linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                                 "conv_transpose3d", "sigmoid", NULL};
  for (int i = 0; linear[i]; i++)
    if (!strcmp(nl, linear[i])) return 1;
  if (!strcmp(nl, "tanh")) return 5.0 / 3.0;
  if (!strcmp(nl, "relu")) return sqrt(2.0);
  if (!strcmp(nl, "selu")) return 3.0 / 4.0;
  if (!strcmp(nl, "leaky_relu")) {
    double s = isnan(param) ? 0.01 : param;
    return sqrt(2.0 / (1 + s * s));
  }
  dlt_fail("calculate_gain: unsupported nonlinearity '%s'", nl);
  return NAN;
}

static int fill_dist(dlt_tensor *t, double scale, bool normal) {
  if (normal) return dlt_normal_(t, 0, scale);
  return dlt_uniform_(t, -scale, scale);
}

/* std = gain * sqrt(2 / (fan_in + fan_out)); uniform bound sqrt(3) * std */
int dlt_init_xavier(dlt_tensor *t, double gain, bool normal) {
  int64_t fi = 0, fo = 0;
  if (dlt_init_fans(normal ? "xavier_normal_" : "xavier_uniform_", t, &fi, &fo)) return -1;
  double std = gain * sqrt(2.0 / (double)(fi + fo));
  return fill_dist(t, normal ? std : sqrt(3.0) * std, normal);
}

/* std = gain(nonlinearity, a) / sqrt(fan); uniform bound sqrt(3) * std */
int dlt_init_kaiming(dlt_tensor *t, double a, dlt_fan_mode mode, const char *nonlinearity, bool normal) {
  const char *fn = normal ? "kaiming_normal_" : "kaiming_uniform_";
  int64_t fi = 0, fo = 0;
  if (dlt_init_fans(fn, t, &fi, &fo)) return -1;
  int64_t fan = mode == DLT_FAN_IN ? fi : fo;
  if (fan == 0) return dlt_failn("%s: initializing a tensor with a zero-size dimension (fan is 0)", fn);
  double gain = dlt_init_gain(nonlinearity, a);
  if (isnan(gain)) return dlt_failn("%s: unsupported nonlinearity '%s'", fn, nonlinearity);
  double std = gain / sqrt((double)fan);
  return fill_dist(t, normal ? std : sqrt(3.0) * std, normal);
}

int dlt_init_eye(dlt_tensor *t) {
  if (t->ndim != 2) return dlt_failn("eye_: only 2-D tensors are supported, got %d dimensions", t->ndim);
  if (dlt_fill_(t, 0)) return -1;
  int64_t n = t->shape[0] < t->shape[1] ? t->shape[0] : t->shape[1];
  for (int64_t i = 0; i < n; i++) {
    int64_t idx[2] = {i, i};
    dlt_set(t, idx, 1);
  }
  dlt_bump_version(t);
  return 0;
}

/* A (rows, cols) standard normal matrix made orthonormal by QR, the columns' signs fixed
 * by diag(R) so the result is uniformly distributed, transposed when rows < cols. */
int dlt_init_orthogonal(dlt_tensor *t, double gain) {
  if (t->ndim < 2) return dlt_failn("orthogonal_: only tensors with 2 or more dimensions are supported, got %d", t->ndim);
  int64_t rows = t->shape[0], n = dlt_numel(t), cols = rows ? n / rows : 0;
  if (n == 0) return 0;
  int64_t m = rows > cols ? rows : cols, k = rows < cols ? rows : cols;
  double *a = dlt_malloc(sizeof(double) * (size_t)n), *tau = dlt_malloc(sizeof(double) * (size_t)k);
  if (!a || !tau) {
    free(a);
    free(tau);
    return -1;
  }
  /* column-major m x k matrix holding the flattened normal draws of (rows,cols), or its transpose */
  for (int64_t i = 0; i < n; i++) a[i] = dlt_rand_normal();
  int info = dlt_lapack_dgeqrf((int)m, (int)k, a, (int)m, tau);
  double *sign = dlt_malloc(sizeof(double) * (size_t)k);
  if (!sign) {
    free(a);
    free(tau);
    return -1;
  }
  for (int64_t j = 0; j < k; j++) sign[j] = a[j * m + j] < 0 ? -1 : 1;
  if (!info) info = dlt_lapack_dorgqr((int)m, (int)k, (int)k, a, (int)m, tau);
  if (info == -1000) {
    free(a);
    free(tau);
    free(sign);
    return -1;
  }
  if (info) {
    free(a);
    free(tau);
    free(sign);
    return dlt_failn("orthogonal_: QR decomposition failed (info %d)", (int)info);
  }
  /* Q is m x k column-major: Q[i,j] = a[j*m + i]. With rows >= cols the result is Q
   * (rows x cols), element (r,c) = Q[r,c]; else Q^T, element (r,c) = Q[c,r]. */
  for (int64_t r = 0; r < rows; r++)
    for (int64_t c = 0; c < cols; c++) {
      double q = rows >= cols ? a[c * m + r] * sign[c] : a[r * m + c] * sign[r];
      int64_t flat = r * cols + c, idx[DLT_MAXDIM];
      for (int d = t->ndim - 1; d >= 0; d--) {
        idx[d] = flat % t->shape[d];
        flat /= t->shape[d];
      }
      dlt_set(t, idx, gain * q);
    }
  free(a);
  free(tau);
  free(sign);
  dlt_bump_version(t);
  return 0;
}
