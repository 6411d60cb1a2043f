/* layers.c: the table of module kinds: for each layer and loss its fields as Lua sees
 * them, the constructor's defaults, its checks, parameters, forward and printout.
 * Adding a kind: a dlt_module_kind value, one entry below and its kernels. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "autograd/functions.h"
#include "core/ops.h"
#include "core/random.h"
#include "nn/module.h"

#define F(member) offsetof(dlt_module, member)
/* the flags of the usual kinds of field */
#define ARG (DLT_FF_ARG | DLT_FF_REQUIRED | DLT_FF_READ) /* Linear(2, 3) */
#define OPT (DLT_FF_OPT | DLT_FF_READ)                   /* {eps = 1e-3} */

static const char *py_bool(bool b) { return b ? "True" : "False"; }

/* ---- parameters ---- */

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

/* weight ones, bias zeros of shape; running mean 0, var 1 and a batch counter if tracked */
static int setup_norm_shape(dlt_module *m, dlt_dtype dt, int nd, const int64_t *shape) {
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
static int setup_norm(dlt_module *m, dlt_dtype dt) { return setup_norm_shape(m, dt, 1, &m->in); }

static int check_eps(const dlt_module *m) {
  if (!(m->eps >= 0)) return dlt_failn("%s: eps must be non-negative, got %g", dlt_module_name(m->kind), m->eps);
  return 0;
}

/* ---- Linear ---- */

static int check_linear(const dlt_module *m) {
  if (m->in < 0 || m->out < 0)
    return dlt_failn("Linear: in_features and out_features must be non-negative, got %lld and %lld", (long long)m->in, (long long)m->out);
  return 0;
}

/* weight (out,in) and bias (out) uniform in +-1/sqrt(in): kaiming_uniform_(a=sqrt(5)) */
static int setup_linear(dlt_module *m, dlt_dtype dt) {
  int64_t ws[2] = {m->out, m->in};
  double bound = m->in > 0 ? 1.0 / sqrt((double)m->in) : 0;
  if (!(m->t[DLT_P_WEIGHT] = uniform_param(2, ws, bound, dt))) return -1;
  if (!m->affine) return 0;
  return (m->t[DLT_P_BIAS] = uniform_param(1, &m->out, bound, dt)) ? 0 : -1;
}

static dlt_tensor *linear_forward(dlt_module *m, dlt_tensor *x, const dlt_fusion_plan *plan) {
  return dlt_fused_linear_buf("Linear", x, m->t[DLT_P_WEIGHT], m->t[DLT_P_BIAS], plan ? plan->act : DLT_ACT_NONE, m->bufs);
}

static void linear_repr(const dlt_module *m, char *buf, size_t n) {
  snprintf(buf, n, "in_features=%lld, out_features=%lld, bias=%s", (long long)m->in, (long long)m->out, py_bool(m->affine));
}

static const dlt_module_field linear_fields[] = {
  {"in_features", DLT_FT_INT, F(in), ARG, 0, NULL},
  {"out_features", DLT_FT_INT, F(out), ARG, 0, NULL},
  {"bias", DLT_FT_BOOL, F(affine), DLT_FF_OPT, 1, NULL}, /* m.bias is the tensor */
  {NULL, 0, 0, 0, 0, NULL}};

/* ---- BatchNorm1d, InstanceNorm1d ---- */

static int check_norm1d(const dlt_module *m) {
  if (m->in <= 0) return dlt_failn("%s: num_features must be positive, got %lld", dlt_module_name(m->kind), (long long)m->in);
  return check_eps(m);
}

/* BatchNorm1d and BatchNorm2d: one layer but for the input's rank */
static dlt_tensor *batch_norm(dlt_module *m, dlt_tensor *x, const dlt_fusion_plan *plan) {
  char s[128];
  const char *fn = dlt_module_name(m->kind);
  if (m->kind == DLT_M_BATCHNORM1D && x->ndim != 2 && x->ndim != 3)
    return dlt_fail("BatchNorm1d: expected 2-D or 3-D input, got %d-D input of shape %s", x->ndim, dlt_shape_str(x, s, sizeof s));
  if (m->kind == DLT_M_BATCHNORM2D && x->ndim != 4)
    return dlt_fail("BatchNorm2d: expected 4-D input, got %d-D input of shape %s", x->ndim, dlt_shape_str(x, s, sizeof s));
  if (m->kind == DLT_M_BATCHNORM2D && x->shape[1] != m->in)
    return dlt_fail("BatchNorm2d: expected input with %lld channel%s, got %lld (input shape %s)", (long long)m->in,
                    m->in == 1 ? "" : "s", (long long)x->shape[1], dlt_shape_str(x, s, sizeof s));
  bool batch_stats = m->training || !m->track, update = m->training && m->track;
  bool relu = plan && plan->act == DLT_ACT_RELU;
  double p = plan ? plan->p : 0, mom = update ? m->momentum : 0;
  /* momentum=None (NaN): PyTorch counts the batch first, then moves by 1/num_batches_tracked */
  if (update && isnan(m->momentum)) mom = 1.0 / (*(double *)dlt_data(m->t[DLT_P_NUM_BATCHES]) + 1);
  dlt_tensor *rm = m->t[DLT_P_RUNNING_MEAN], *rv = m->t[DLT_P_RUNNING_VAR], *w = m->t[DLT_P_WEIGHT], *b = m->t[DLT_P_BIAS];
  if (plan && plan->inplace && !batch_stats && rm && rv && p == 0)
    return dlt_fused_batch_norm_eval_(fn, x, rm, rv, w, b, m->eps, relu);
  dlt_tensor *y = dlt_fused_batch_norm_buf(fn, x, rm, rv, w, b, batch_stats, mom, m->eps,
                                           relu, p, m->bufs);
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
      for (int64_t l = 0; l < L; l++) {
        double d = dlt_get_flat(xc, (n * C + c) * L + l) - mean;
        q += d * d;
      }
      sm += mean;
      sv += L > 1 ? q / (double)(L - 1) : NAN;
    }
    int64_t idx[1] = {c};
    dlt_set(rm, idx, (1 - m->momentum) * dlt_get(rm, idx) + m->momentum * sm / (double)N);
    dlt_set(rv, idx, (1 - m->momentum) * dlt_get(rv, idx) + m->momentum * sv / (double)N);
  }
  dlt_bump_version(rm);
  dlt_bump_version(rv);
  dlt_release(xc); /* num_batches_tracked stays 0, as in PyTorch's instance norm */
  return 0;
}

static dlt_tensor *instance_norm(dlt_module *m, dlt_tensor *x, const dlt_fusion_plan *plan) {
  (void)plan;
  char s[128];
  if (x->ndim != 2 && x->ndim != 3)
    return dlt_fail("InstanceNorm1d: expected 2-D (unbatched) or 3-D input, got %d-D input of shape %s", x->ndim, dlt_shape_str(x, s, sizeof s));
  int64_t C = x->shape[x->ndim - 2];
  if (C != m->in)
    return dlt_fail("InstanceNorm1d: input has %lld channels, expected %lld (input shape %s)", (long long)C, (long long)m->in, dlt_shape_str(x, s, sizeof s));
  dlt_tensor *w = m->t[DLT_P_WEIGHT], *b = m->t[DLT_P_BIAS];
  if (!m->track || m->training) {
    dlt_tensor *y = dlt_fused_group_norm("InstanceNorm1d", x, 0, w, b, m->eps, x->ndim == 2);
    if (y && m->track && instance_running_update(m, x)) {
      dlt_release(y);
      return NULL;
    }
    return y;
  }
  /* eval with running stats: batch norm's eval form, per channel */
  dlt_tensor *xv = x->ndim == 2 ? dlt_ag_unsqueeze(x, 0) : dlt_retain(x);
  dlt_tensor *y = xv ? dlt_fused_batch_norm("InstanceNorm1d", xv, m->t[DLT_P_RUNNING_MEAN], m->t[DLT_P_RUNNING_VAR],
                                            w, b, false, 0, m->eps)
                     : NULL;
  dlt_release(xv);
  if (y && x->ndim == 2) {
    dlt_tensor *y2 = dlt_ag_squeeze(y, 0);
    dlt_release(y);
    y = y2;
  }
  return y;
}

static void norm1d_repr(const dlt_module *m, char *buf, size_t n) {
  char e[64], mo[64];
  snprintf(buf, n, "%lld, eps=%s, momentum=%s, affine=%s, track_running_stats=%s", (long long)m->in,
           dlt_py_float(m->eps, e, sizeof e), isnan(m->momentum) ? "None" : dlt_py_float(m->momentum, mo, sizeof mo),
           py_bool(m->affine), py_bool(m->track));
}

/* BatchNorm1d and BatchNorm2d; momentum = false is PyTorch's momentum=None: running
 * stats as the cumulative average */
static const dlt_module_field batchnorm1d_fields[] = {
  {"num_features", DLT_FT_INT, F(in), ARG, 0, NULL},
  {"eps", DLT_FT_NUMBER, F(eps), OPT, 1e-5, NULL},
  {"momentum", DLT_FT_NUMBER_OR_NONE, F(momentum), OPT | DLT_FF_WRITE, 0.1, NULL},
  {"affine", DLT_FT_BOOL, F(affine), OPT, 1, NULL},
  {"track_running_stats", DLT_FT_BOOL, F(track), OPT, 1, NULL},
  {NULL, 0, 0, 0, 0, NULL}};

static const dlt_module_field instancenorm1d_fields[] = {
  {"num_features", DLT_FT_INT, F(in), ARG, 0, NULL},
  {"eps", DLT_FT_NUMBER, F(eps), OPT, 1e-5, NULL},
  {"momentum", DLT_FT_NUMBER, F(momentum), OPT | DLT_FF_WRITE, 0.1, NULL},
  {"affine", DLT_FT_BOOL, F(affine), OPT, 0, NULL},
  {"track_running_stats", DLT_FT_BOOL, F(track), OPT, 0, NULL},
  {NULL, 0, 0, 0, 0, NULL}};

/* ---- LayerNorm ---- */

static int check_layernorm(const dlt_module *m) {
  if (m->norm_ndim < 1) return dlt_failn("LayerNorm: normalized_shape must have at least one dimension");
  for (int d = 0; d < m->norm_ndim; d++)
    if (m->norm_shape[d] <= 0) return dlt_failn("LayerNorm: normalized_shape sizes must be positive, got %lld", (long long)m->norm_shape[d]);
  return check_eps(m);
}
static int setup_layernorm(dlt_module *m, dlt_dtype dt) { return setup_norm_shape(m, dt, m->norm_ndim, m->norm_shape); }

static dlt_tensor *layernorm_forward(dlt_module *m, dlt_tensor *x, const dlt_fusion_plan *plan) {
  (void)plan;
  return dlt_fused_layer_norm("LayerNorm", x, m->norm_ndim, m->norm_shape, m->t[DLT_P_WEIGHT], m->t[DLT_P_BIAS], m->eps);
}

static void layernorm_repr(const dlt_module *m, char *buf, size_t n) {
  char e[64];
  size_t k = (size_t)snprintf(buf, n, "(");
  for (int d = 0; d < m->norm_ndim && k < n; d++)
    k += (size_t)snprintf(buf + k, n - k, d ? ", %lld" : "%lld", (long long)m->norm_shape[d]);
  if (k < n)
    snprintf(buf + k, n - k, "%s), eps=%s, elementwise_affine=%s", m->norm_ndim == 1 ? "," : "",
             dlt_py_float(m->eps, e, sizeof e), py_bool(m->affine));
}

static const dlt_module_field layernorm_fields[] = {
  {"normalized_shape", DLT_FT_SHAPE, F(norm_shape), ARG, 0, NULL},
  {"eps", DLT_FT_NUMBER, F(eps), OPT, 1e-5, NULL},
  {"elementwise_affine", DLT_FT_BOOL, F(affine), OPT, 1, NULL},
  {NULL, 0, 0, 0, 0, NULL}};

/* ---- GroupNorm ---- */

static int check_groupnorm(const dlt_module *m) {
  if (m->groups <= 0 || m->in <= 0)
    return dlt_failn("GroupNorm: num_groups and num_channels must be positive, got %lld and %lld", (long long)m->groups, (long long)m->in);
  if (m->in % m->groups)
    return dlt_failn("GroupNorm: num_channels %lld must be divisible by num_groups %lld", (long long)m->in, (long long)m->groups);
  return check_eps(m);
}

static dlt_tensor *groupnorm_forward(dlt_module *m, dlt_tensor *x, const dlt_fusion_plan *plan) {
  (void)plan;
  char s[128];
  if (x->ndim < 2 || x->shape[1] != m->in)
    return dlt_fail("GroupNorm: input has %lld channels, expected %lld (input shape %s)", x->ndim >= 2 ? (long long)x->shape[1] : 0LL,
                    (long long)m->in, dlt_shape_str(x, s, sizeof s));
  return dlt_fused_group_norm("GroupNorm", x, m->groups, m->t[DLT_P_WEIGHT], m->t[DLT_P_BIAS], m->eps, false);
}

static void groupnorm_repr(const dlt_module *m, char *buf, size_t n) {
  char e[64];
  snprintf(buf, n, "%lld, %lld, eps=%s, affine=%s", (long long)m->groups, (long long)m->in, dlt_py_float(m->eps, e, sizeof e),
           py_bool(m->affine));
}

static const dlt_module_field groupnorm_fields[] = {
  {"num_groups", DLT_FT_INT, F(groups), ARG, 0, NULL},
  {"num_channels", DLT_FT_INT, F(in), ARG, 0, NULL},
  {"eps", DLT_FT_NUMBER, F(eps), OPT, 1e-5, NULL},
  {"affine", DLT_FT_BOOL, F(affine), OPT, 1, NULL},
  {NULL, 0, 0, 0, 0, NULL}};

/* ---- Dropout ---- */

static int check_dropout(const dlt_module *m) {
  if (!(m->p >= 0 && m->p <= 1)) return dlt_failn("Dropout: dropout probability has to be between 0 and 1, but got %g", m->p);
  return 0;
}

static dlt_tensor *dropout_forward(dlt_module *m, dlt_tensor *x, const dlt_fusion_plan *plan) {
  (void)plan;
  return dlt_fused_dropout("Dropout", x, m->p, m->training);
}

static void dropout_repr(const dlt_module *m, char *buf, size_t n) {
  char p[64];
  snprintf(buf, n, "p=%s, inplace=%s", dlt_py_float(m->p, p, sizeof p), py_bool(m->inplace));
}

/* Dropout(p) or Dropout({p=, inplace=}) */
static const dlt_module_field dropout_fields[] = {
  {"p", DLT_FT_NUMBER, F(p), DLT_FF_ARG | OPT | DLT_FF_WRITE, 0.5, NULL},
  {"inplace", DLT_FT_BOOL, F(inplace), OPT, 0, NULL},
  {NULL, 0, 0, 0, 0, NULL}};

/* ---- the activations and Softmax ---- */

static dlt_tensor *act_forward(dlt_module *m, dlt_tensor *x, const dlt_fusion_plan *plan) {
  (void)plan;
  const dlt_module_kind_info *k = dlt_module_kind_of(m->kind);
  return dlt_fused_act(k->name, x, k->act, m->slope);
}

static dlt_tensor *gelu_forward(dlt_module *m, dlt_tensor *x, const dlt_fusion_plan *plan) {
  (void)plan;
  return dlt_fused_act("GELU", x, m->approximate ? DLT_ACT_GELU_TANH : DLT_ACT_GELU, 0);
}

static dlt_tensor *softmax_forward(dlt_module *m, dlt_tensor *x, const dlt_fusion_plan *plan) {
  (void)plan;
  return dlt_fused_softmax("Softmax", x, m->dim, false);
}

static dlt_tensor *identity_forward(dlt_module *m, dlt_tensor *x, const dlt_fusion_plan *plan) {
  (void)m, (void)plan;
  return dlt_retain(x);
}

static void relu_repr(const dlt_module *m, char *buf, size_t n) {
  if (m->inplace) snprintf(buf, n, "inplace=True");
}
static void leakyrelu_repr(const dlt_module *m, char *buf, size_t n) {
  char p[64];
  snprintf(buf, n, "negative_slope=%s%s", dlt_py_float(m->slope, p, sizeof p), m->inplace ? ", inplace=True" : "");
}
static void gelu_repr(const dlt_module *m, char *buf, size_t n) {
  snprintf(buf, n, "approximate='%s'", m->approximate ? "tanh" : "none");
}
static void softmax_repr(const dlt_module *m, char *buf, size_t n) { snprintf(buf, n, "dim=%d", m->dim >= 0 ? m->dim + 1 : m->dim); }

static const char *const gelu_approx[] = {"none", "tanh", NULL};

/* ReLU({inplace}) accepted for PyTorch scripts */
static const dlt_module_field relu_fields[] = {
  {"inplace", DLT_FT_BOOL, F(inplace), OPT, 0, NULL},
  {NULL, 0, 0, 0, 0, NULL}};
static const dlt_module_field leakyrelu_fields[] = {
  {"negative_slope", DLT_FT_NUMBER, F(slope), DLT_FF_ARG | OPT | DLT_FF_WRITE, 0.01, NULL},
  {"inplace", DLT_FT_BOOL, F(inplace), OPT, 0, NULL},
  {NULL, 0, 0, 0, 0, NULL}};
static const dlt_module_field gelu_fields[] = {
  {"approximate", DLT_FT_ENUM, F(approximate), OPT, 0, gelu_approx},
  {NULL, 0, 0, 0, 0, NULL}};
/* Softmax(dim) or Softmax({dim=}) */
static const dlt_module_field softmax_fields[] = {
  {"dim", DLT_FT_DIM, F(dim), ARG | DLT_FF_OPT, 0, NULL},
  {NULL, 0, 0, 0, 0, NULL}};
static const dlt_module_field no_fields[] = {{NULL, 0, 0, 0, 0, NULL}};

/* ---- losses ---- */

static dlt_tensor *pointwise_loss(dlt_module *m, dlt_tensor *x, dlt_tensor *t) {
  dlt_pointwise_loss k = m->kind == DLT_M_MSELOSS ? DLT_LOSS_MSE : m->kind == DLT_M_L1LOSS  ? DLT_LOSS_L1
                                                                 : m->kind == DLT_M_BCELOSS ? DLT_LOSS_BCE
                                                                                            : DLT_LOSS_BCE_LOGITS;
  return dlt_fused_pointwise_loss(dlt_module_name(m->kind), k, x, t, dlt_module_reduction(m));
}

static dlt_tensor *class_loss(dlt_module *m, dlt_tensor *x, dlt_tensor *t) {
  return dlt_fused_class_loss(dlt_module_name(m->kind), m->kind == DLT_M_CROSSENTROPYLOSS, x, t, dlt_module_reduction(m));
}

/* the reduction field holds an index into these, as PyTorch lists them */
static const char *const reductions[] = {"mean", "sum", "none", NULL};

dlt_reduction dlt_module_reduction(const dlt_module *m) {
  static const dlt_reduction of[] = {DLT_REDUCTION_MEAN, DLT_REDUCTION_SUM, DLT_REDUCTION_NONE};
  return of[m->reduction];
}
static const dlt_module_field loss_fields[] = {
  {"reduction", DLT_FT_ENUM, F(reduction), OPT, 0, reductions},
  {NULL, 0, 0, 0, 0, NULL}};

/* ---- the table ---- */

#define LAYER(name, flags, fields, check, setup, fwd, repr) \
  { name, flags, fields, check, setup, fwd, NULL, repr, DLT_ACT_NONE }
#define ACT(name, fields, act, repr) \
  { name, 0, fields, NULL, NULL, act_forward, NULL, repr, act }
#define LOSS(name, fn) \
  { name, DLT_K_LOSS, loss_fields, NULL, NULL, NULL, fn, NULL, DLT_ACT_NONE }

static const dlt_module_kind_info kinds[DLT_M_NKINDS] = {
  [DLT_M_LINEAR] = LAYER("Linear", DLT_K_DTYPE | DLT_K_BUFS | DLT_K_FUSE_RELU, linear_fields, check_linear, setup_linear,
                         linear_forward, linear_repr),
  [DLT_M_BATCHNORM1D] = LAYER("BatchNorm1d", DLT_K_BUFS | DLT_K_FUSE_RELU | DLT_K_FUSE_DROPOUT, batchnorm1d_fields,
                              check_norm1d, setup_norm, batch_norm, norm1d_repr),
  [DLT_M_BATCHNORM2D] = LAYER("BatchNorm2d", DLT_K_BUFS | DLT_K_FUSE_RELU | DLT_K_FUSE_DROPOUT, batchnorm1d_fields,
                              check_norm1d, setup_norm, batch_norm, norm1d_repr),
  [DLT_M_LAYERNORM] = LAYER("LayerNorm", 0, layernorm_fields, check_layernorm, setup_layernorm, layernorm_forward, layernorm_repr),
  [DLT_M_GROUPNORM] = LAYER("GroupNorm", 0, groupnorm_fields, check_groupnorm, setup_norm, groupnorm_forward, groupnorm_repr),
  [DLT_M_INSTANCENORM1D] = LAYER("InstanceNorm1d", 0, instancenorm1d_fields, check_norm1d, setup_norm, instance_norm, norm1d_repr),
  [DLT_M_DROPOUT] = LAYER("Dropout", 0, dropout_fields, check_dropout, NULL, dropout_forward, dropout_repr),
  [DLT_M_RELU] = ACT("ReLU", relu_fields, DLT_ACT_RELU, relu_repr),
  [DLT_M_LEAKYRELU] = ACT("LeakyReLU", leakyrelu_fields, DLT_ACT_LEAKY_RELU, leakyrelu_repr),
  [DLT_M_TANH] = ACT("Tanh", no_fields, DLT_ACT_TANH, NULL),
  [DLT_M_SIGMOID] = ACT("Sigmoid", no_fields, DLT_ACT_SIGMOID, NULL),
  [DLT_M_GELU] = LAYER("GELU", 0, gelu_fields, NULL, NULL, gelu_forward, gelu_repr),
  [DLT_M_SILU] = ACT("SiLU", no_fields, DLT_ACT_SILU, NULL),
  [DLT_M_SOFTMAX] = LAYER("Softmax", 0, softmax_fields, NULL, NULL, softmax_forward, softmax_repr),
  [DLT_M_IDENTITY] = LAYER("Identity", DLT_K_ANYARGS, no_fields, NULL, NULL, identity_forward, NULL),
  [DLT_M_SEQUENTIAL] = LAYER("Sequential", DLT_K_CONTAINER, no_fields, NULL, NULL, NULL, NULL),
  [DLT_M_MSELOSS] = LOSS("MSELoss", pointwise_loss),
  [DLT_M_L1LOSS] = LOSS("L1Loss", pointwise_loss),
  [DLT_M_BCELOSS] = LOSS("BCELoss", pointwise_loss),
  [DLT_M_BCEWITHLOGITSLOSS] = LOSS("BCEWithLogitsLoss", pointwise_loss),
  [DLT_M_CROSSENTROPYLOSS] = LOSS("CrossEntropyLoss", class_loss),
  [DLT_M_NLLLOSS] = LOSS("NLLLoss", class_loss),
};

const dlt_module_kind_info *dlt_module_kind_of(dlt_module_kind kind) { return &kinds[kind]; }
