/* functions.h: the differentiable forms of the core ops. Each computes the core op and,
 * when an input requires grad, records one node whose backward gives the op's gradient
 * (reduced over broadcast dims). Same arguments and failure convention as core/ops.h. */
#ifndef DLT_FUNCTIONS_H
#define DLT_FUNCTIONS_H

#include "autograd/node.h"
#include "core/ops.h"

dlt_tensor *dlt_ag_binary(dlt_binop op, dlt_tensor *a, dlt_tensor *b);
dlt_tensor *dlt_ag_binary_scalar(dlt_binop op, dlt_tensor *a, double s, bool scalar_left);
dlt_tensor *dlt_ag_unary(dlt_unop op, dlt_tensor *a);
dlt_tensor *dlt_ag_leaky_relu(dlt_tensor *a, double slope);
dlt_tensor *dlt_ag_clamp(dlt_tensor *a, double lo, double hi);
dlt_tensor *dlt_ag_where(dlt_tensor *cond, dlt_tensor *a, dlt_tensor *b);
dlt_tensor *dlt_ag_masked_fill(dlt_tensor *t, dlt_tensor *mask, double v);

dlt_tensor *dlt_ag_reduce(dlt_redop op, dlt_tensor *t, int dim, bool keepdim);
dlt_tensor *dlt_ag_max_dim(dlt_tensor *t, int dim, bool keepdim, bool is_min, dlt_tensor **indices);
dlt_tensor *dlt_ag_var(dlt_tensor *t, int dim, bool keepdim, bool unbiased);
dlt_tensor *dlt_ag_std(dlt_tensor *t, int dim, bool keepdim, bool unbiased);
dlt_tensor *dlt_ag_norm(dlt_tensor *t, double p, int dim, bool keepdim);
dlt_tensor *dlt_ag_softmax(dlt_tensor *t, int dim, bool log);

dlt_tensor *dlt_ag_matmul(dlt_tensor *a, dlt_tensor *b);
dlt_tensor *dlt_ag_mm(dlt_tensor *a, dlt_tensor *b);
dlt_tensor *dlt_ag_dot(dlt_tensor *a, dlt_tensor *b);

dlt_tensor *dlt_ag_view(dlt_tensor *t, int ndim, const int64_t *shape);
dlt_tensor *dlt_ag_reshape(dlt_tensor *t, int ndim, const int64_t *shape);
dlt_tensor *dlt_ag_transpose(dlt_tensor *t, int d1, int d2);
dlt_tensor *dlt_ag_permute(dlt_tensor *t, const int *dims);
dlt_tensor *dlt_ag_unsqueeze(dlt_tensor *t, int dim);
dlt_tensor *dlt_ag_squeeze(dlt_tensor *t, int dim);
dlt_tensor *dlt_ag_squeeze_all(dlt_tensor *t);
dlt_tensor *dlt_ag_narrow(dlt_tensor *t, int dim, int64_t start, int64_t len);
dlt_tensor *dlt_ag_select(dlt_tensor *t, int dim, int64_t i);
dlt_tensor *dlt_ag_slice(dlt_tensor *t, int dim, int64_t start, int64_t len, int64_t step);
dlt_tensor *dlt_ag_expand(dlt_tensor *t, int ndim, const int64_t *shape);
dlt_tensor *dlt_ag_flatten(dlt_tensor *t);
dlt_tensor *dlt_ag_contiguous(dlt_tensor *t);
dlt_tensor *dlt_ag_clone(dlt_tensor *t);
dlt_tensor *dlt_ag_to_dtype(dlt_tensor *t, dlt_dtype dtype);

dlt_tensor *dlt_ag_index_select(dlt_tensor *t, int dim, const int64_t *idx, int64_t n);
dlt_tensor *dlt_ag_cat(dlt_tensor *const *ts, int n, int dim);
dlt_tensor *dlt_ag_stack(dlt_tensor *const *ts, int n, int dim);

/* detach: same storage, no grad_fn, requires_grad false */
dlt_tensor *dlt_detach(dlt_tensor *t);

#endif
