/* kernels.h: the layers' and losses' numeric kernels on raw contiguous arrays, forward
 * and backward side by side, each in a float (_f32) and a double (_f64) version. */
#ifndef DLT_CORE_KERNELS_H
#define DLT_CORE_KERNELS_H

#include <stdint.h>

/* activations applied elementwise (and fused into linear: only RELU there) */
typedef enum {
  DLT_ACT_NONE,
  DLT_ACT_RELU,
  DLT_ACT_LEAKY_RELU,
  DLT_ACT_TANH,
  DLT_ACT_SIGMOID,
  DLT_ACT_GELU,
  DLT_ACT_GELU_TANH,
  DLT_ACT_SILU,
  DLT_ACT_ELU,      /* p = {alpha, scale, input_scale, backward input_scale}: ELU, SELU, CELU */
  DLT_ACT_SOFTPLUS, /* p = {beta, threshold} */
  DLT_ACT_MISH,
  DLT_ACT_HARDTANH, /* p = {min_val, max_val}: Hardtanh, ReLU6 */
  DLT_ACT_HARDSWISH
} dlt_act;

/* the activations' parameters: p[0] is LeakyReLU's slope; NULL when act has none */
#define DLT_ACT_NPARAM 4

/* losses with their per-element gradient computed in the same pass */
typedef enum { DLT_LOSS_MSE,
               DLT_LOSS_L1,
               DLT_LOSS_BCE,
               DLT_LOSS_BCE_LOGITS } dlt_pointwise_loss;

#define DLT_NN_KERNELS(R, S) \
  void dlt_k_linear_fwd##S(R *out, const R *x, const R *W, const R *b, int64_t B, int64_t C, \
                           int64_t OC, dlt_act act); \
  void dlt_k_linear_bwd##S(R *dx, R *dW, R *db, const R *dout, const R *x, const R *W, \
                           const R *out, R *scratch, int64_t B, int64_t C, int64_t OC, \
                           dlt_act act, double beta_w, double beta_b); \
  void dlt_k_batchnorm_fwd_train##S(R *y, R *mean, R *rstd, R *rm, R *rv, const R *x, \
                                    const R *w, const R *b, int64_t N, int64_t C, int64_t L, \
                                    double eps, double momentum, double *ws); \
  void dlt_k_batchnorm_fwd_eval##S(R *y, R *mean, R *rstd, const R *x, const R *w, \
                                   const R *b, const R *rm, const R *rv, int64_t N, int64_t C, \
                                   int64_t L, double eps, int relu, double *ws); \
  void dlt_k_batchnorm_bwd##S(R *dx, R *dw, R *db, const R *dy, const R *mask, const R *x, \
                              const R *w, const R *mean, const R *rstd, int64_t N, int64_t C, \
                              int64_t L, \
                              int train, double *ws); \
  void dlt_k_batchnorm2d_fwd_train##S(R *y, int relu, R *mean, R *rstd, R *rm, R *rv, \
                                      const R *x, const R *w, const R *b, int64_t N, int64_t C, \
                                      int64_t L, int64_t c0, int64_t c1, double eps, \
                                      double momentum, double *ws); \
  void dlt_k_batchnorm2d_bwd##S(R *dx, R *dw, R *db, const R *dy, const R *mask, const double *ab, \
                                const R *x, const R *w, const R *mean, const R *rstd, int64_t N, \
                                int64_t C, int64_t L, int64_t c0, int64_t c1, int train, double *ws); \
  void dlt_k_layernorm_fwd##S(R *y, R *mean, R *rstd, const R *x, const R *w, const R *b, \
                              int64_t rows, int64_t D, double eps); \
  void dlt_k_layernorm_bwd##S(R *dx, R *dw, R *db, const R *dy, const R *x, const R *w, \
                              const R *mean, const R *rstd, int64_t rows, int64_t D); \
  void dlt_k_groupnorm_fwd##S(R *y, R *mean, R *rstd, const R *x, const R *w, const R *b, \
                              int64_t N, int64_t C, int64_t L, int64_t G, double eps); \
  void dlt_k_groupnorm_bwd##S(R *dx, R *dw, R *db, const R *dy, const R *x, const R *w, \
                              const R *mean, const R *rstd, int64_t N, int64_t C, int64_t L, \
                              int64_t G); \
  void dlt_k_dropout_fwd##S(R *y, R *mask, const R *x, int64_t n, double p); \
  void dlt_k_mul##S(R *y, const R *a, const R *b, int64_t n); \
  void dlt_k_relu_dropout_fwd##S(R *y, R *mask, int64_t n, double p); \
  void dlt_k_act_fwd##S(R *y, const R *x, int64_t n, dlt_act act, const double *p); \
  void dlt_k_act_bwd##S(R *dx, const R *dy, const R *x, const R *y, int64_t n, dlt_act act, \
                        const double *p); \
  void dlt_k_softmax_fwd##S(R *y, const R *x, int64_t outer, int64_t D, int64_t inner, int logsm); \
  void dlt_k_softmax_bwd##S(R *dx, const R *dy, const R *y, int64_t outer, int64_t D, \
                            int64_t inner, int logsm); \
  double dlt_k_pointwise_loss##S(R *loss, R *grad, R *tgrad, const R *x, const R *t, int64_t n, \
                                 dlt_pointwise_loss kind, double gscale); \
  double dlt_k_class_loss##S(R *loss, R *grad, const R *x, const int64_t *t, const R *probs, \
                             int64_t N, int64_t C, int log_softmax, double gscale);

DLT_NN_KERNELS(float, _f32)
DLT_NN_KERNELS(double, _f64)

#endif
