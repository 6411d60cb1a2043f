/* fused.h: the layers' and losses' differentiable ops, each recording exactly one
 * autograd node whose backward runs the matching kernel of core/kernels.h. fn names the
 * Lua-level caller in error messages ("Linear", "linear", "BatchNorm1d", ...). */
#ifndef DLT_FUSED_H
#define DLT_FUSED_H

#include "autograd/node.h"
#include "core/kernels.h"

typedef enum { DLT_REDUCTION_NONE,
               DLT_REDUCTION_MEAN,
               DLT_REDUCTION_SUM } dlt_reduction;

/* A layer's buffers, reused from step to step (see dlt_fused_out): slot 0 the output,
 * 1 a mask, 2 the input gradient, 3 and 4 batch norm's mean and 1/std. Refcounted,
 * because the nodes of a step hold it too (their backward writes into slot 2) and may
 * outlive the layer. The output's node holding the set is a cycle: the layer empties
 * the slots before its last release. */
#define DLT_BUFSET_SLOTS 5
typedef struct dlt_bufset {
  int refcount;
  dlt_tensor *t[DLT_BUFSET_SLOTS];
} dlt_bufset;
dlt_bufset *dlt_bufset_new(void);
void dlt_bufset_release(dlt_bufset *b);
/* the owning layer's last release: empties the slots first (breaking that cycle) */
void dlt_bufset_drop(dlt_bufset *b);

/* y = act(x @ W^T + b): x (*, in), W (out, in), b (out) or NULL; act NONE or RELU.
 * Backward accumulates W's and b's gradients straight into their .grad. */
dlt_tensor *dlt_fused_linear(const char *fn, dlt_tensor *x, dlt_tensor *W, dlt_tensor *b, dlt_act act);
/* The same with the output and the input gradient in the layer's buffers bs (may be NULL). */
dlt_tensor *dlt_fused_linear_buf(const char *fn, dlt_tensor *x, dlt_tensor *W, dlt_tensor *b, dlt_act act,
                                 dlt_bufset *bs);

/* Batch norm of x (N,C) or (N,C,L). With use_batch_stats the batch's statistics are used
 * and, when rm/rv are given, the running stats move by momentum (rv gets the unbiased
 * variance); otherwise rm/rv normalize. w, b (C) may be NULL. */
dlt_tensor *dlt_fused_batch_norm(const char *fn, dlt_tensor *x, dlt_tensor *rm, dlt_tensor *rv,
                                 dlt_tensor *w, dlt_tensor *b, bool use_batch_stats,
                                 double momentum, double eps);
/* The same followed by ReLU and, with drop_p > 0, inverted dropout, as one node (what
 * Sequential runs for BatchNorm1d, ReLU[, Dropout in training]). */
dlt_tensor *dlt_fused_batch_norm_relu(const char *fn, dlt_tensor *x, dlt_tensor *rm, dlt_tensor *rv,
                                      dlt_tensor *w, dlt_tensor *b, bool use_batch_stats,
                                      double momentum, double eps, double drop_p);
/* Either of the two (relu false: plain batch norm) with the output, the mask and the
 * input gradient in the layer's buffers bs (may be NULL). */
dlt_tensor *dlt_fused_batch_norm_buf(const char *fn, dlt_tensor *x, dlt_tensor *rm, dlt_tensor *rv,
                                     dlt_tensor *w, dlt_tensor *b, bool use_batch_stats, double momentum,
                                     double eps, bool relu, double drop_p, dlt_bufset *bs);
/* Batch norm with the running stats (and ReLU when relu) written over x itself, which must
 * be contiguous and held by no one else; grad mode must be off. x, retained, or NULL. */
dlt_tensor *dlt_fused_batch_norm_eval_(const char *fn, dlt_tensor *x, dlt_tensor *rm, dlt_tensor *rv,
                                       dlt_tensor *w, dlt_tensor *b, double eps, bool relu);
/* Layer norm over the trailing nd dims of x, which must equal shape; w, b of that shape or NULL. */
dlt_tensor *dlt_fused_layer_norm(const char *fn, dlt_tensor *x, int nd, const int64_t *shape,
                                 dlt_tensor *w, dlt_tensor *b, double eps);
/* Group norm of x (N,C,*) in G groups (G = 0: one per channel, instance norm); w, b (C)
 * or NULL. unbatched reads x as (C,*) with N = 1. */
dlt_tensor *dlt_fused_group_norm(const char *fn, dlt_tensor *x, int64_t G, dlt_tensor *w,
                                 dlt_tensor *b, double eps, bool unbatched);

/* Inverted dropout with the global generator; identity (x itself, retained) when not
 * training or p == 0. */
dlt_tensor *dlt_fused_dropout(const char *fn, dlt_tensor *x, double p, bool training);
/* elementwise activation; slope for LeakyReLU */
dlt_tensor *dlt_fused_act(const char *fn, dlt_tensor *x, dlt_act act, double slope);
/* the same with the activation's parameters p (see dlt_act: ELU's, Softplus', Hardtanh's) */
dlt_tensor *dlt_fused_act_p(const char *fn, dlt_tensor *x, dlt_act act, const double p[DLT_ACT_NPARAM]);
/* softmax or log-softmax along dim (0-based, negative wraps) */
dlt_tensor *dlt_fused_softmax(const char *fn, dlt_tensor *x, int dim, bool log);

/* MSE, L1, BCE, BCE-with-logits of x against t (same shape; t converted to x's dtype).
 * The gradient is computed in the forward pass and scaled by the incoming one. */
dlt_tensor *dlt_fused_pointwise_loss(const char *fn, dlt_pointwise_loss kind, dlt_tensor *x,
                                     dlt_tensor *t, dlt_reduction red);
/* Cross entropy (log-softmax fused, ce true) or NLL of x (N,C) or (C) against class
 * indices t (N) or () holding 1..C, or (cross entropy) class probabilities of x's shape. */
dlt_tensor *dlt_fused_class_loss(const char *fn, bool ce, dlt_tensor *x, dlt_tensor *t,
                                 dlt_reduction red);

/* A reusable scratch buffer for backward passes (valid until the next call). */
void *dlt_fused_scratch(size_t bytes);

/* ---- shared by the fused_*.c files ---- */

/* Where node n's backward sums input i's gradient: a leaf's own .grad when it can take
 * it in place (created zeroed when absent), else a new zeroed tensor stored in gin[i].
 * NULL with no error when input i needs no gradient; NULL with the error set on failure
 * (*err = -1). The caller bumps the version of what it wrote. */
dlt_tensor *dlt_fused_grad_acc(dlt_node *n, int i, dlt_tensor **gin, int *err);
/* A new tensor of input i's recorded shape for an overwritten gradient, or NULL when
 * input i needs none (*err = -1 on failure); from the layer's buffer slot 2 when the node
 * carries a bufset (dlt_fused_keep_buffers). */
dlt_tensor *dlt_fused_grad_new(dlt_node *n, int i, dlt_tensor **gin, int *err);
/* Lets node n's backward use the buffers bs (n holds a reference until it is freed). */
void dlt_fused_keep_buffers(dlt_node *n, dlt_bufset *bs);
/* A new contiguous tensor for an op's result (a new reference). With a cache (a module's
 * buffer), *cache is handed out again when nothing else references it or its elements
 * (the previous step's graph is gone), else a new tensor replaces it in the cache (only
 * in grad mode): a training loop then allocates nothing for this result. */
dlt_tensor *dlt_fused_out(dlt_tensor **cache, int ndim, const int64_t *shape, dlt_dtype dtype);
/* a tensor's elements as float* / double*, NULL for a NULL tensor */
#define DLT_F32(t) ((t) ? (float *)dlt_data(t) : (float *)NULL)
#define DLT_F64(t) ((t) ? (double *)dlt_data(t) : (double *)NULL)

/* detect_anomaly's forward check of a fused op's result y, named as its node without
 * "Backward" ("forward of Linear produced NaN"); -1 with the error set when it fails */
int dlt_fused_anomaly(const char *node_name, const dlt_tensor *y);

#endif
