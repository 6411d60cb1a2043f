/* module.h: the C layers and losses of dlt.nn: one struct for every kind, its
 * constructor's defaults and checks, and forward through the fused autograd ops. */
#ifndef DLT_NN_MODULE_H
#define DLT_NN_MODULE_H

#include "autograd/fused.h"

typedef enum {
  DLT_M_LINEAR, DLT_M_BATCHNORM1D, DLT_M_LAYERNORM, DLT_M_GROUPNORM, DLT_M_INSTANCENORM1D,
  DLT_M_DROPOUT, DLT_M_RELU, DLT_M_LEAKYRELU, DLT_M_TANH, DLT_M_SIGMOID, DLT_M_GELU, DLT_M_SILU,
  DLT_M_SOFTMAX, DLT_M_IDENTITY, DLT_M_BATCHNORM2D, DLT_M_SEQUENTIAL,
  DLT_M_MSELOSS, DLT_M_L1LOSS, DLT_M_BCELOSS, DLT_M_BCEWITHLOGITSLOSS, DLT_M_CROSSENTROPYLOSS,
  DLT_M_NLLLOSS,
  DLT_M_NKINDS
} dlt_module_kind;

/* The parameter and buffer slots, in PyTorch's registration order. */
enum { DLT_P_WEIGHT, DLT_P_BIAS, DLT_P_RUNNING_MEAN, DLT_P_RUNNING_VAR, DLT_P_NUM_BATCHES, DLT_P_N };

typedef struct dlt_module {
  dlt_module_kind kind;
  bool training;
  dlt_tensor *t[DLT_P_N];    /* owned; NULL when absent (bias=false, affine=false, ...) */
  int64_t in, out;           /* Linear: features; norms: num_features / channels */
  int64_t groups;            /* GroupNorm */
  int norm_ndim;             /* LayerNorm's normalized_shape */
  int64_t norm_shape[DLT_MAXDIM];
  double eps, momentum, p, slope;
  bool affine, track, inplace, gelu_tanh;
  bool cumulative;           /* BatchNorm1d with momentum=None: running stats are the plain
                              * average over batches (momentum 1/num_batches_tracked) */
  int dim;                   /* Softmax: 0-based, may be negative */
  dlt_reduction reduction;   /* losses */
  dlt_act fused_act;         /* Linear, BatchNorm1d: RELU when a Sequential fuses the next ReLU in */
  double fused_p;            /* BatchNorm1d: the fused Dropout's p after that ReLU (0: none) */
  bool fused_inplace;        /* BatchNorm1d: a Sequential hands it an input no one else holds */
  dlt_bufset *bufs;          /* owned: Linear's and BatchNorm1d's buffers reused from step to step */
  /* Sequential: its children's structs in order (NULL for a Lua module), a cache the
   * bindings fill and check against their module epoch (kids_epoch 0: none); owned */
  struct dlt_module **kids;
  int64_t nkids;
  uint64_t kids_epoch;
} dlt_module;

/* name as PyTorch prints it ("Linear", "BatchNorm1d", ...) */
const char *dlt_module_name(dlt_module_kind kind);
bool dlt_module_is_loss(dlt_module_kind kind);
/* BatchNorm1d or BatchNorm2d: one layer but for the input's rank */
bool dlt_module_is_batchnorm(dlt_module_kind kind);
/* the Lua field name of slot k ("weight", ..., "num_batches_tracked") */
const char *dlt_module_slot_name(int k);
/* true for slots that are parameters (weight, bias), false for buffers */
bool dlt_module_slot_is_param(int k);

/* Fills m for a kind with PyTorch's defaults and no tensors (for the constructors below). */
void dlt_module_init(dlt_module *m, dlt_module_kind kind);
/* Allocates m's parameters and buffers in dtype with PyTorch's default initialization,
 * after the caller set the configuration fields; fails naming the layer on bad sizes. */
int dlt_module_setup(dlt_module *m, dlt_dtype dtype);
void dlt_module_clear(dlt_module *m);  /* releases the tensors */

/* Forward of a layer (not Sequential, not a loss). */
dlt_tensor *dlt_module_forward(dlt_module *m, dlt_tensor *x);
/* Forward of a loss. */
dlt_tensor *dlt_module_loss(dlt_module *m, dlt_tensor *input, dlt_tensor *target);
/* Converts every parameter and running stat to dtype in place (same tensor objects;
 * .grad dropped); num_batches_tracked stays float64. */
int dlt_module_to(dlt_module *m, dlt_dtype dtype);
/* t's elements converted to dtype in place: t keeps its identity, gets new storage. */
int dlt_tensor_convert_(dlt_tensor *t, dlt_dtype dtype);
/* PyTorch's extra_repr into buf ("in_features=2, out_features=64, bias=True"). */
char *dlt_module_extra_repr(const dlt_module *m, char *buf, size_t n);
/* Python's repr of a float: shortest round-trip form, "1e-05", "0.1", "1.0" */
char *dlt_py_float(double v, char *buf, size_t n);

#endif
