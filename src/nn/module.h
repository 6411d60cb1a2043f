/* module.h: the C layers and losses of dlt.nn: one struct for every kind, and the table
 * of kinds (layers.c) that says each one's fields, defaults, checks, forward and printout. */
#ifndef DLT_NN_MODULE_H
#define DLT_NN_MODULE_H

#include <stddef.h>

#include "autograd/fused.h"

/* One value per entry of the kinds table in layers.c (the same order). */
typedef enum {
  DLT_M_LINEAR,
  DLT_M_BATCHNORM1D,
  DLT_M_LAYERNORM,
  DLT_M_GROUPNORM,
  DLT_M_INSTANCENORM1D,
  DLT_M_DROPOUT,
  DLT_M_RELU,
  DLT_M_LEAKYRELU,
  DLT_M_TANH,
  DLT_M_SIGMOID,
  DLT_M_GELU,
  DLT_M_SILU,
  DLT_M_SOFTMAX,
  DLT_M_IDENTITY,
  DLT_M_BATCHNORM2D,
  DLT_M_SEQUENTIAL,
  DLT_M_MSELOSS,
  DLT_M_L1LOSS,
  DLT_M_BCELOSS,
  DLT_M_BCEWITHLOGITSLOSS,
  DLT_M_CROSSENTROPYLOSS,
  DLT_M_NLLLOSS,
  DLT_M_NKINDS
} dlt_module_kind;

/* The parameter and buffer slots, in PyTorch's registration order. */
enum { DLT_P_WEIGHT,
       DLT_P_BIAS,
       DLT_P_RUNNING_MEAN,
       DLT_P_RUNNING_VAR,
       DLT_P_NUM_BATCHES,
       DLT_P_N };

typedef struct dlt_module {
  dlt_module_kind kind;
  bool training;
  dlt_tensor *t[DLT_P_N]; /* owned; NULL when absent (bias=false, affine=false, ...) */
  int64_t in, out;        /* Linear: features; norms: num_features / channels */
  int64_t groups;         /* GroupNorm */
  int norm_ndim;          /* LayerNorm's normalized_shape */
  int64_t norm_shape[DLT_MAXDIM];
  double eps, momentum, p, slope;
  bool affine, track, inplace;
  int approximate;  /* GELU: 0 'none', 1 'tanh' */
  int dim;          /* Softmax: 0-based, may be negative */
  int reduction;    /* losses: 0 'mean', 1 'sum', 2 'none' (dlt_module_reduction) */
  dlt_bufset *bufs; /* owned: Linear's and BatchNorm1d's buffers reused from step to step */
  /* Sequential: its children's structs in order (NULL for a Lua module), a cache the
   * bindings fill and check against their module epoch (kids_epoch 0: none); owned */
  struct dlt_module **kids;
  int64_t nkids;
  uint64_t kids_epoch;
} dlt_module;

/* What a Sequential's planner decided for one child: the activation it applies to its
 * output, the Dropout after that (p 0: none) and whether it may overwrite its input. */
typedef struct {
  dlt_act act;
  double p;
  bool inplace;
} dlt_fusion_plan;

/* ---- the table of kinds ---- */

/* How a field is seen from Lua; the struct member at offset has the C type in brackets. */
typedef enum {
  DLT_FT_INT,            /* [int64_t] an integer */
  DLT_FT_NUMBER,         /* [double] */
  DLT_FT_NUMBER_OR_NONE, /* [double] a number, or false (PyTorch's None) kept as NaN */
  DLT_FT_BOOL,           /* [bool] */
  DLT_FT_DIM,            /* [int] a dim, 0-based in C, 1-based (or negative) in Lua */
  DLT_FT_SHAPE,          /* [norm_ndim + norm_shape] a size or a table of sizes */
  DLT_FT_ENUM            /* [int] one of the strings in choices, stored as its index */
} dlt_field_type;

enum {
  DLT_FF_ARG = 1,      /* a positional constructor argument (in the order of the fields) */
  DLT_FF_OPT = 2,      /* a key of the constructor's options table */
  DLT_FF_REQUIRED = 4, /* the constructor needs it (else the default applies) */
  DLT_FF_READ = 8,     /* m.name reads it */
  DLT_FF_WRITE = 16    /* m.name = v sets it (checked by the kind's check) */
};

#define DLT_MAX_FIELDS 30 /* per kind (the constructor's arrays) */

typedef struct {
  const char *name;
  dlt_field_type type;
  size_t offset; /* offsetof(dlt_module, member) */
  unsigned flags;
  double def;                 /* the constructor's default (ints, dims, enums: the number) */
  const char *const *choices; /* DLT_FT_ENUM: the strings, NULL-terminated */
} dlt_module_field;

enum {
  DLT_K_LOSS = 1,         /* called with (input, target) */
  DLT_K_CONTAINER = 2,    /* Sequential: the bindings run its children */
  DLT_K_DTYPE = 4,        /* the constructor takes dtype= */
  DLT_K_ANYARGS = 8,      /* the constructor ignores its arguments (Identity) */
  DLT_K_BUFS = 16,        /* forward reuses buffers from step to step (m->bufs) */
  DLT_K_FUSE_RELU = 32,   /* a Sequential may fuse the ReLU after it into its forward */
  DLT_K_FUSE_DROPOUT = 64 /* ... and the Dropout after that ReLU */
};

typedef struct {
  const char *name;                          /* as PyTorch prints it ("Linear") */
  unsigned flags;                            /* DLT_K_* */
  const dlt_module_field *fields;            /* the configuration fields, ending in {NULL} */
  int (*check)(const dlt_module *m);         /* NULL or: fails naming the bad value */
  int (*setup)(dlt_module *m, dlt_dtype dt); /* NULL or: allocates parameters/buffers */
  /* the forward of a layer; plan NULL when it runs alone */
  dlt_tensor *(*forward)(dlt_module *m, dlt_tensor *x, const dlt_fusion_plan *plan);
  dlt_tensor *(*loss)(dlt_module *m, dlt_tensor *x, dlt_tensor *target);
  void (*extra_repr)(const dlt_module *m, char *buf, size_t n); /* NULL: "" */
  dlt_act act;                                                  /* activations: what forward applies */
} dlt_module_kind_info;

const dlt_module_kind_info *dlt_module_kind_of(dlt_module_kind kind);
/* the field of m's kind called name, or NULL */
const dlt_module_field *dlt_module_field_of(dlt_module_kind kind, const char *name);

/* a loss's reduction as the fused ops take it */
dlt_reduction dlt_module_reduction(const dlt_module *m);
/* name as PyTorch prints it ("Linear", "BatchNorm1d", ...) */
const char *dlt_module_name(dlt_module_kind kind);
bool dlt_module_is_loss(dlt_module_kind kind);
/* BatchNorm1d or BatchNorm2d: one layer but for the input's rank */
bool dlt_module_is_batchnorm(dlt_module_kind kind);
/* the Lua field name of slot k ("weight", ..., "num_batches_tracked") */
const char *dlt_module_slot_name(int k);
/* true for slots that are parameters (weight, bias), false for buffers */
bool dlt_module_slot_is_param(int k);

/* Fills m for a kind with the table's defaults and no tensors. */
void dlt_module_init(dlt_module *m, dlt_module_kind kind);
/* Checks the configuration (the kind's check) without allocating anything. */
int dlt_module_check(const dlt_module *m);
/* Allocates m's parameters and buffers in dtype with PyTorch's default initialization,
 * after the caller set the configuration fields; fails naming the layer on bad sizes. */
int dlt_module_setup(dlt_module *m, dlt_dtype dtype);
void dlt_module_clear(dlt_module *m); /* releases the tensors */

/* Forward of a layer (not Sequential, not a loss), alone. */
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

/* ---- Sequential (sequential.c) ---- */

/* Whether m is a layer the engine runs itself inside a Sequential (not NULL, i.e. a Lua
 * module; not a container; not a loss). */
bool dlt_module_runs_in_c(const dlt_module *m);
/* How many children from kids[i] (0-based, of n) run as one fused node, with what plan:
 * a layer whose kind fuses a next ReLU (and Dropout) absorbs them; the results and
 * gradients are those of running them one by one. */
int dlt_plan_fusion(dlt_module *const *kids, int64_t i, int64_t n, dlt_fusion_plan *plan);
/* Runs the children kids[*i], kids[*i + 1], ... from x until the end (n) or a child that
 * does not run in C, leaving *i there; kids[*i] must run in C. x is borrowed, unless
 * owned: then the function takes the caller's reference (and may overwrite x in place
 * when nothing else holds it, under no_grad). Returns a new reference, or NULL on error. */
dlt_tensor *dlt_sequential_run(dlt_module *const *kids, int64_t n, int64_t *i, dlt_tensor *x, bool owned);

#endif
