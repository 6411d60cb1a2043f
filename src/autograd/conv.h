/* conv.h: convolution and pooling as differentiable ops, one autograd node each, over
 * the kernels of core/conv.h and core/pool.h. fn names the Lua-level caller in errors
 * ("Conv2d", "conv2d", "MaxPool2d", ...). dims is 1 or 2; per-dim arrays list the
 * spatial dims in order (1-D uses element 0). */
#ifndef DLT_AUTOGRAD_CONV_H
#define DLT_AUTOGRAD_CONV_H

#include "autograd/fused.h"

typedef struct dlt_conv_opts {
  int dims;
  int64_t stride[2], padding[2], dilation[2], output_padding[2];
  int64_t groups;
  bool same;        /* padding="same": as much zero padding as keeps the size, the extra one on the right */
  dlt_bufset *bufs; /* a layer's input gradient (slot 2) kept from step to step, or NULL */
} dlt_conv_opts;

/* x (N,C,*) or unbatched (C,*); w (OC, C/groups, *k); b (OC) or NULL */
dlt_tensor *dlt_conv(const char *fn, dlt_tensor *x, dlt_tensor *w, dlt_tensor *b, const dlt_conv_opts *o);
/* x (N,Cin,*) or (Cin,*); w (Cin, Cout/groups, *k); b (Cout) or NULL */
dlt_tensor *dlt_conv_transpose(const char *fn, dlt_tensor *x, dlt_tensor *w, dlt_tensor *b, const dlt_conv_opts *o);

typedef struct dlt_pool_opts {
  int dims;
  int64_t kernel[2], stride[2], padding[2], dilation[2];
  bool ceil_mode, count_include_pad;
  int64_t divisor_override; /* 0: none */
  dlt_bufset *bufs;         /* as dlt_conv_opts' */
} dlt_pool_opts;

/* max pooling of x (N,C,*) or (C,*); with indices, *indices gets each maximum's 1-based
 * position in its flattened input plane (float64, the output's shape) */
dlt_tensor *dlt_max_pool(const char *fn, dlt_tensor *x, const dlt_pool_opts *o, dlt_tensor **indices);
dlt_tensor *dlt_avg_pool(const char *fn, dlt_tensor *x, const dlt_pool_opts *o);
/* out (dims sizes; 0 keeps the input's size, as None does in PyTorch) */
dlt_tensor *dlt_adaptive_avg_pool(const char *fn, dlt_tensor *x, int dims, const int64_t *out);

#endif
