/* init.h: nn.init: in-place initializers with PyTorch's fan computations and gains.
 * Each returns 0, or -1 with an error naming the Lua function. */
#ifndef DLT_NN_INIT_H
#define DLT_NN_INIT_H

#include "core/tensor.h"

typedef enum { DLT_FAN_IN,
               DLT_FAN_OUT } dlt_fan_mode;

/* fan_in = size(2) * receptive field, fan_out = size(1) * receptive field (2+ dims) */
int dlt_init_fans(const char *fn, const dlt_tensor *t, int64_t *fan_in, int64_t *fan_out);
/* the recommended gain of a nonlinearity ("linear", "conv1d", "sigmoid", "tanh", "relu",
 * "leaky_relu" (param: the slope, NAN for 0.01), "selu"); NAN with an error otherwise */
double dlt_init_gain(const char *nonlinearity, double param);

int dlt_init_xavier(dlt_tensor *t, double gain, bool normal);
int dlt_init_kaiming(dlt_tensor *t, double a, dlt_fan_mode mode, const char *nonlinearity, bool normal);
int dlt_init_eye(dlt_tensor *t);
int dlt_init_orthogonal(dlt_tensor *t, double gain);

#endif
