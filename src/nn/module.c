/* module.c: the C layers and losses: defaults, parameter allocation with PyTorch's
 * default initialization, forward through the fused ops, and PyTorch's printout. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ops.h"
#include "core/random.h"
#include "autograd/functions.h"
#include "nn/init.h"
#include "nn/module.h"

static const char *names[DLT_M_NKINDS] = {
  "Linear", "BatchNorm1d", "LayerNorm", "GroupNorm", "InstanceNorm1d", "Dropout", "ReLU", "LeakyReLU",
  "Tanh", "Sigmoid", "GELU", "SiLU", "Softmax", "Identity", "BatchNorm2d", "Sequential",
  "MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss"};

const char *dlt_module_name(dlt_module_kind kind) { return names[kind]; }
bool dlt_module_is_loss(dlt_module_kind kind) { return kind >= DLT_M_MSELOSS; }
bool dlt_module_is_batchnorm(dlt_module_kind kind) { return kind == DLT_M_BATCHNORM1D || kind == DLT_M_BATCHNORM2D; }

static const char *slot_names[DLT_P_N] = {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"};
const char *dlt_module_slot_name(int k) { return slot_names[k]; }
bool dlt_module_slot_is_param(int k) { return k <= DLT_P_BIAS; }

void dlt_module_init(dlt_module *m, dlt_module_kind kind) {
  memset(m, 0, sizeof *m);
  m->kind = kind;
  m->training = true;
  m->eps = 1e-5;
  m->momentum = 0.1;
  m->p = 0.5;
  m->slope = 0.01;
  m->affine = kind != DLT_M_INSTANCENORM1D;   /* Linear: bias=true */
  m->track = dlt_module_is_batchnorm(kind);
  m->reduction = DLT_REDUCTION_MEAN;
  m->fused_act = DLT_ACT_NONE;
}

static dlt_tensor *param(int ndim, const int64_t *shape, double fill, dlt_dtype dt, bool grad) {
  dlt_tensor *t = fill == 0 ? dlt_zeros(ndim, shape, dt) : dlt_full(ndim, shape, fill, dt);
  if (t) t->requires_grad = grad;
  return t;
}

/* a trainable parameter uniform in [-bound, bound], drawn straight into unset memory */
static dlt_tensor *uniform_param(int ndim, const int64_t *shape, double bound, dlt_dtype dt) {
  dlt_tensor *t = dlt_empty(ndim, shape, dt);
  if (t && dlt_uniform_(t, -bound, bound)) {
    dlt_release(t);
    return NULL;
  }
  if (t) t->requires_grad = true;
  return t;
}

/* weight (out,in) and bias (out) uniform in +-1/sqrt(in): kaiming_uniform_(a=sqrt(5)) */
static int setup_linear(dlt_module *m, dlt_dtype dt) {
  if (m->in < 0 || m->out < 0)
    return dlt_failn("Linear: in_features and out_features must be non-negative, got %lld and %lld", (long long)m->in, (long long)m->out);
  int64_t ws[2] = {m->out, m->in};
  double bound = m->in > 0 ? 1.0 / sqrt((double)m->in) : 0;
  if (!(m->t[DLT_P_WEIGHT] = uniform_param(2, ws, bound, dt))) return -1;
  if (!m->affine) return 0;
  return (m->t[DLT_P_BIAS] = uniform_param(1, &m->out, bound, dt)) ? 0 : -1;
}

/* weight ones, bias zeros of shape; running mean 0, var 1 and a batch counter if tracked */
static int setup_norm(dlt_module *m, dlt_dtype dt, int nd, const int64_t *shape) {
  if (m->affine) {
    m->t[DLT_P_WEIGHT] = param(nd, shape, 1, dt, true);
    m->t[DLT_P_BIAS] = param(nd, shape, 0, dt, true);
    if (!m->t[DLT_P_WEIGHT] || !m->t[DLT_P_BIAS]) return -1;
  }
  if (m->track) {
    m->t[DLT_P_RUNNING_MEAN] = param(nd, shape, 0, dt, false);
    m->t[DLT_P_RUNNING_VAR] = param(nd, shape, 1, dt, false);
    m->t[DLT_P_NUM_BATCHES] = param(0, NULL, 0, DLT_FLOAT64, false);
    if (!m->t[DLT_P_RUNNING_MEAN] || !m->t[DLT_P_RUNNING_VAR] || !m->t[DLT_P_NUM_BATCHES]) return -1;
  }
  return 0;
}

static int check_setup(dlt_module *m) {
  const char *fn = names[m->kind];
  switch (m->kind) {
  case DLT_M_BATCHNORM1D: case DLT_M_BATCHNORM2D: case DLT_M_INSTANCENORM1D:
    if (m->in <= 0) return dlt_failn("%s: num_features must be positive, got %lld", fn, (long long)m->in);
    break;
  case DLT_M_GROUPNORM:
    if (m->groups <= 0 || m->in <= 0)
      return dlt_failn("GroupNorm: num_groups and num_channels must be positive, got %lld and %lld", (long long)m->groups, (long long)m->in);
    if (m->in % m->groups)
      return dlt_failn("GroupNorm: num_channels %lld must be divisible by num_groups %lld", (long long)m->in, (long long)m->groups);
    break;
  case DLT_M_LAYERNORM:
    if (m->norm_ndim < 1) return dlt_failn("LayerNorm: normalized_shape must have at least one dimension");
    for (int d = 0; d < m->norm_ndim; d++)
      if (m->norm_shape[d] <= 0) return dlt_failn("LayerNorm: normalized_shape sizes must be positive, got %lld", (long long)m->norm_shape[d]);
    break;
  case DLT_M_DROPOUT:
    if (!(m->p >= 0 && m->p <= 1)) return dlt_failn("Dropout: dropout probability has to be between 0 and 1, but got %g", m->p);
    break;
  default: break;
  }
  if ((dlt_module_is_batchnorm(m->kind) || m->kind == DLT_M_INSTANCENORM1D || m->kind == DLT_M_LAYERNORM ||
       m->kind == DLT_M_GROUPNORM) && !(m->eps >= 0))
    return dlt_failn("%s: eps must be non-negative, got %g", fn, m->eps);
  return 0;
}

int dlt_module_setup(dlt_module *m, dlt_dtype dt) {
  if (check_setup(m)) return -1;
  if ((m->kind == DLT_M_LINEAR || dlt_module_is_batchnorm(m->kind)) && !(m->bufs = dlt_bufset_new())) return -1;
  int rc = 0;
  switch (m->kind) {
  case DLT_M_LINEAR: rc = setup_linear(m, dt); break;
  case DLT_M_BATCHNORM1D: case DLT_M_BATCHNORM2D: case DLT_M_INSTANCENORM1D: case DLT_M_GROUPNORM:
    rc = setup_norm(m, dt, 1, &m->in);
    break;
  case DLT_M_LAYERNORM: rc = setup_norm(m, dt, m->norm_ndim, m->norm_shape); break;
  default: break;
  }
  if (rc) dlt_module_clear(m);
  return rc;
}

void dlt_module_clear(dlt_module *m) {
  for (int k = 0; k < DLT_P_N; k++) {
    dlt_release(m->t[k]);
    m->t[k] = NULL;
  }
  dlt_bufset_drop(m->bufs);
  m->bufs = NULL;
  free(m->kids);
  m->kids = NULL;
  m->nkids = 0;
  m->kids_epoch = 0;
}

static dlt_tensor *batch_norm(dlt_module *m, dlt_tensor *x) {
  char s[128];
  if (m->kind == DLT_M_BATCHNORM1D && x->ndim != 2 && x->ndim != 3)
    return dlt_fail("BatchNorm1d: expected 2-D or 3-D input, got %d-D input of shape %s", x->ndim, dlt_shape_str(x, s, sizeof s));
  if (m->kind == DLT_M_BATCHNORM2D && x->ndim != 4)
    return dlt_fail("BatchNorm2d: expected 4-D input, got %d-D input of shape %s", x->ndim, dlt_shape_str(x, s, sizeof s));
  if (m->kind == DLT_M_BATCHNORM2D && x->shape[1] != m->in)
    return dlt_fail("BatchNorm2d: expected input with %lld channel%s, got %lld (input shape %s)", (long long)m->in,
                    m->in == 1 ? "" : "s", (long long)x->shape[1], dlt_shape_str(x, s, sizeof s));
  bool batch_stats = m->training || !m->track;
  bool update = m->training && m->track;
  dlt_tensor *rm = m->t[DLT_P_RUNNING_MEAN], *rv = m->t[DLT_P_RUNNING_VAR], *w = m->t[DLT_P_WEIGHT], *b = m->t[DLT_P_BIAS];
  double mom = update ? m->momentum : 0;
  /* momentum=None: PyTorch counts the batch first, then moves by 1/num_batches_tracked */
  if (update && m->cumulative) mom = 1.0 / (*(double *)dlt_data(m->t[DLT_P_NUM_BATCHES]) + 1);
  if (m->fused_inplace && !batch_stats && rm && rv && m->fused_p == 0)
    return dlt_fused_batch_norm_eval_(names[m->kind], x, rm, rv, w, b, m->eps, m->fused_act == DLT_ACT_RELU);
  dlt_tensor *y = dlt_fused_batch_norm_buf(names[m->kind], x, rm, rv, w, b, batch_stats, mom, m->eps,
                                           m->fused_act == DLT_ACT_RELU, m->fused_p, m->bufs);
  if (y && update) {
    dlt_tensor *nb = m->t[DLT_P_NUM_BATCHES];
    *(double *)dlt_data(nb) += 1;
    dlt_bump_version(nb);
  }
  return y;
}

/* InstanceNorm1d's running stats move as PyTorch's do: by momentum towards the mean over
 * the batch of each instance's mean and unbiased variance. x is (N,C,L) or (C,L). */
static int instance_running_update(dlt_module *m, dlt_tensor *x) {
  dlt_tensor *xc = dlt_contiguous(x), *rm = m->t[DLT_P_RUNNING_MEAN], *rv = m->t[DLT_P_RUNNING_VAR];
  if (!xc) return -1;
  int64_t N = x->ndim == 3 ? x->shape[0] : 1, C = m->in, L = x->shape[x->ndim - 1];
  for (int64_t c = 0; c < C; c++) {
    double sm = 0, sv = 0;
    for (int64_t n = 0; n < N; n++) {
      double s = 0, q = 0;
      for (int64_t l = 0; l < L; l++) s += dlt_get_flat(xc, (n * C + c) * L + l);
      double mean = s / (double)L;
      for (int64_t l = 0; l < L; l++) { double d = dlt_get_flat(xc, (n * C + c) * L + l) - mean; q += d * d; }
      sm += mean;
      sv += L > 1 ? q / (double)(L - 1) : NAN;
    }
    int64_t idx[1] = {c};
    dlt_set(rm, idx, (1 - m->momentum) * dlt_get(rm, idx) + m->momentum * sm / (double)N);
    dlt_set(rv, idx, (1 - m->momentum) * dlt_get(rv, idx) + m->momentum * sv / (double)N);
  }
  dlt_bump_version(rm);
  dlt_bump_version(rv);
  dlt_release(xc);  /* num_batches_tracked stays 0, as in PyTorch's instance norm */
  return 0;
}

static dlt_tensor *instance_norm(dlt_module *m, dlt_tensor *x) {
  char s[128];
  if (x->ndim != 2 && x->ndim != 3)
    return dlt_fail("InstanceNorm1d: expected 2-D (unbatched) or 3-D input, got %d-D input of shape %s", x->ndim, dlt_shape_str(x, s, sizeof s));
  int64_t C = x->shape[x->ndim - 2];
  if (C != m->in)
    return dlt_fail("InstanceNorm1d: input has %lld channels, expected %lld (input shape %s)", (long long)C, (long long)m->in, dlt_shape_str(x, s, sizeof s));
  dlt_tensor *w = m->t[DLT_P_WEIGHT], *b = m->t[DLT_P_BIAS];
  if (!m->track || m->training) {
    dlt_tensor *y = dlt_fused_group_norm("InstanceNorm1d", x, 0, w, b, m->eps, x->ndim == 2);
    if (y && m->track && instance_running_update(m, x)) { dlt_release(y); return NULL; }
    return y;
  }
  /* eval with running stats: batch norm's eval form, per channel */
  dlt_tensor *xv = x->ndim == 2 ? dlt_ag_unsqueeze(x, 0) : dlt_retain(x);
  dlt_tensor *y = xv ? dlt_fused_batch_norm("InstanceNorm1d", xv, m->t[DLT_P_RUNNING_MEAN], m->t[DLT_P_RUNNING_VAR],
                                            w, b, false, 0, m->eps) : NULL;
  dlt_release(xv);
  if (y && x->ndim == 2) {
    dlt_tensor *y2 = dlt_ag_squeeze(y, 0);
    dlt_release(y);
    y = y2;
  }
  return y;
}

dlt_tensor *dlt_module_forward(dlt_module *m, dlt_tensor *x) {
  const char *fn = names[m->kind];
  switch (m->kind) {
  case DLT_M_LINEAR: return dlt_fused_linear_buf(fn, x, m->t[DLT_P_WEIGHT], m->t[DLT_P_BIAS], m->fused_act, m->bufs);
  case DLT_M_BATCHNORM1D: case DLT_M_BATCHNORM2D: return batch_norm(m, x);
  case DLT_M_LAYERNORM: return dlt_fused_layer_norm(fn, x, m->norm_ndim, m->norm_shape, m->t[DLT_P_WEIGHT], m->t[DLT_P_BIAS], m->eps);
  case DLT_M_GROUPNORM: {
    char s[128];
    if (x->ndim < 2 || x->shape[1] != m->in)
      return dlt_fail("GroupNorm: input has %lld channels, expected %lld (input shape %s)", x->ndim >= 2 ? (long long)x->shape[1] : 0LL,
                      (long long)m->in, dlt_shape_str(x, s, sizeof s));
    return dlt_fused_group_norm(fn, x, m->groups, m->t[DLT_P_WEIGHT], m->t[DLT_P_BIAS], m->eps, false);
  }
  case DLT_M_INSTANCENORM1D: return instance_norm(m, x);
  case DLT_M_DROPOUT: return dlt_fused_dropout(fn, x, m->p, m->training);
  case DLT_M_RELU: return dlt_fused_act(fn, x, DLT_ACT_RELU, 0);
  case DLT_M_LEAKYRELU: return dlt_fused_act(fn, x, DLT_ACT_LEAKY_RELU, m->slope);
  case DLT_M_TANH: return dlt_fused_act(fn, x, DLT_ACT_TANH, 0);
  case DLT_M_SIGMOID: return dlt_fused_act(fn, x, DLT_ACT_SIGMOID, 0);
  case DLT_M_GELU: return dlt_fused_act(fn, x, m->gelu_tanh ? DLT_ACT_GELU_TANH : DLT_ACT_GELU, 0);
  case DLT_M_SILU: return dlt_fused_act(fn, x, DLT_ACT_SILU, 0);
  case DLT_M_SOFTMAX: return dlt_fused_softmax(fn, x, m->dim, false);
  case DLT_M_IDENTITY: return dlt_retain(x);
  default: return dlt_fail("%s: this module takes an input and a target", fn);
  }
}

dlt_tensor *dlt_module_loss(dlt_module *m, dlt_tensor *x, dlt_tensor *t) {
  const char *fn = names[m->kind];
  switch (m->kind) {
  case DLT_M_MSELOSS: return dlt_fused_pointwise_loss(fn, DLT_LOSS_MSE, x, t, m->reduction);
  case DLT_M_L1LOSS: return dlt_fused_pointwise_loss(fn, DLT_LOSS_L1, x, t, m->reduction);
  case DLT_M_BCELOSS: return dlt_fused_pointwise_loss(fn, DLT_LOSS_BCE, x, t, m->reduction);
  case DLT_M_BCEWITHLOGITSLOSS: return dlt_fused_pointwise_loss(fn, DLT_LOSS_BCE_LOGITS, x, t, m->reduction);
  case DLT_M_CROSSENTROPYLOSS: return dlt_fused_class_loss(fn, true, x, t, m->reduction);
  case DLT_M_NLLLOSS: return dlt_fused_class_loss(fn, false, x, t, m->reduction);
  default: return dlt_fail("%s: not a loss", fn);
  }
}

int dlt_tensor_convert_(dlt_tensor *t, dlt_dtype dt) {
  if (t->dtype == dt) return 0;
  dlt_tensor *c = dlt_to_dtype(t, dt);
  if (!c) return -1;
  /* t takes c's elements: the same object (and Lua userdata) now holds dt values, as
   * PyTorch's module.double() keeps each Parameter; c leaves with the old storage */
  dlt_storage *old = t->storage;
  t->storage = c->storage;
  c->storage = old;
  t->dtype = dt;
  t->offset = 0;
  memcpy(t->stride, c->stride, sizeof t->stride);
  dlt_release(c);
  dlt_release(t->grad);
  t->grad = NULL;
  return 0;
}

int dlt_module_to(dlt_module *m, dlt_dtype dt) {
  for (int k = 0; k < DLT_P_NUM_BATCHES; k++)
    if (m->t[k] && dlt_tensor_convert_(m->t[k], dt)) return -1;
  return 0;
}

char *dlt_py_float(double v, char *buf, size_t n) {
  if (isnan(v)) { snprintf(buf, n, "nan"); return buf; }
  if (isinf(v)) { snprintf(buf, n, v < 0 ? "-inf" : "inf"); return buf; }
  int prec = 1;
  for (; prec < 17; prec++) {
    snprintf(buf, n, "%.*g", prec, v);
    if (strtod(buf, NULL) == v) break;
  }
  snprintf(buf, n, "%.*g", prec, v);
  char *e = strchr(buf, 'e');
  int exp10 = e ? atoi(e + 1) : 0;
  if (e && exp10 >= -4 && exp10 < 16) {      /* Python writes these positionally */
    snprintf(buf, n, "%.*f", prec - 1 - exp10 > 0 ? prec - 1 - exp10 : 0, v);
    e = NULL;
  }
  if (!e && !strchr(buf, '.')) strncat(buf, ".0", n - strlen(buf) - 1);
  return buf;
}

static const char *py_bool(bool b) { return b ? "True" : "False"; }

char *dlt_module_extra_repr(const dlt_module *m, char *buf, size_t n) {
  char e[64], mo[64], p[64];
  dlt_py_float(m->eps, e, sizeof e);
  dlt_py_float(m->momentum, mo, sizeof mo);
  if (m->cumulative) snprintf(mo, sizeof mo, "None");
  buf[0] = 0;
  switch (m->kind) {
  case DLT_M_LINEAR:
    snprintf(buf, n, "in_features=%lld, out_features=%lld, bias=%s", (long long)m->in, (long long)m->out, py_bool(m->affine));
    break;
  case DLT_M_BATCHNORM1D: case DLT_M_BATCHNORM2D: case DLT_M_INSTANCENORM1D:
    snprintf(buf, n, "%lld, eps=%s, momentum=%s, affine=%s, track_running_stats=%s", (long long)m->in, e, mo,
             py_bool(m->affine), py_bool(m->track));
    break;
  case DLT_M_LAYERNORM: {
    size_t k = (size_t)snprintf(buf, n, "(");
    for (int d = 0; d < m->norm_ndim && k < n; d++)
      k += (size_t)snprintf(buf + k, n - k, d ? ", %lld" : "%lld", (long long)m->norm_shape[d]);
    if (k < n) snprintf(buf + k, n - k, "%s), eps=%s, elementwise_affine=%s", m->norm_ndim == 1 ? "," : "", e, py_bool(m->affine));
    break;
  }
  case DLT_M_GROUPNORM:
    snprintf(buf, n, "%lld, %lld, eps=%s, affine=%s", (long long)m->groups, (long long)m->in, e, py_bool(m->affine));
    break;
  case DLT_M_DROPOUT: snprintf(buf, n, "p=%s, inplace=%s", dlt_py_float(m->p, p, sizeof p), py_bool(m->inplace)); break;
  case DLT_M_RELU: if (m->inplace) snprintf(buf, n, "inplace=True"); break;
  case DLT_M_LEAKYRELU:
    snprintf(buf, n, "negative_slope=%s%s", dlt_py_float(m->slope, p, sizeof p), m->inplace ? ", inplace=True" : "");
    break;
  case DLT_M_GELU: snprintf(buf, n, "approximate='%s'", m->gelu_tanh ? "tanh" : "none"); break;
  case DLT_M_SOFTMAX: snprintf(buf, n, "dim=%d", m->dim >= 0 ? m->dim + 1 : m->dim); break;
  default: break;
  }
  return buf;
}
