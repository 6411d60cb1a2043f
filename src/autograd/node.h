/* node.h: the autograd tape. Each differentiable op that sees an input requiring grad
 * records one node: its backward function, edges to the producers of its inputs, the
 * tensors backward needs (saved with their version, to catch in-place misuse) and the
 * op's own context, a struct the op declares next to its forward and backward. */
#ifndef DLT_NODE_H
#define DLT_NODE_H

#include <stddef.h>

#include "core/tensor.h"

#define DLT_NODE_MAXIN 8
#define DLT_NODE_MAXSAVED 8
#define DLT_NODE_CTX_BYTES 144 /* conv_ctx, the largest, is 136 */

typedef struct dlt_node dlt_node;

/* gout has the output's shape and dtype. For each input i with n->next[i] set, store a
 * new reference in gin[i] (shape of input i) or leave it NULL for "no gradient".
 * Returns 0, or -1 with dlt_error set. */
typedef int (*dlt_backward_fn)(dlt_node *n, const dlt_tensor *gout, dlt_tensor **gin);

typedef struct dlt_edge {
  dlt_node *node;   /* retained: the producer of a non-leaf input */
  dlt_tensor *leaf; /* retained: a leaf that requires grad (gradient accumulates in .grad) */
} dlt_edge;

struct dlt_node {
  int refcount;
  const char *name; /* "MulBackward", shown in errors and anomaly reports */
  dlt_backward_fn backward;
  int ninputs;
  dlt_edge next[DLT_NODE_MAXIN]; /* edge i is empty when input i needs no gradient */
  int in_ndim[DLT_NODE_MAXIN];   /* each input's shape and dtype, for broadcasting grads */
  int64_t in_shape[DLT_NODE_MAXIN][DLT_MAXDIM];
  dlt_dtype in_dtype[DLT_NODE_MAXIN];
  int nsaved;
  dlt_tensor *saved[DLT_NODE_MAXSAVED]; /* aliases without grad_fn: no reference cycles */
  uint32_t saved_version[DLT_NODE_MAXSAVED];
  /* the op's context (dims, flags, scalars, saved-slot numbers): a struct of the op's
   * own, declared beside its forward and backward, read and written only through
   * DLT_NODE_CTX(n, that_struct); inline, so recording an op allocates nothing */
  union {
    max_align_t align;
    unsigned char bytes[DLT_NODE_CTX_BYTES];
  } ctx;
  void *data; /* heap data of variable size (indices), freed with free_data */
  void (*free_data)(void *);
  bool released; /* saved tensors freed after backward */
  /* engine scratch */
  dlt_tensor *gradbuf;
  int deps;
  bool gradbuf_owned; /* gradbuf is the engine's own sum, safe to add into */
  bool queued;        /* reached by the backward in progress */
  dlt_node *link;     /* work lists of dlt_backward and dlt_node_release */
};

/* Node n's context as the op's struct T (zeroed when the node is made). Compilation
 * fails when T does not fit in DLT_NODE_CTX_BYTES. */
#define DLT_NODE_CTX(n, T) \
  ((void)sizeof(char[sizeof(T) <= DLT_NODE_CTX_BYTES ? 1 : -1]), (T *)(void *)(n)->ctx.bytes)

/* &c, sizeof c: for a helper that copies the context c into the node it records */
#define DLT_NODE_CTX_ARG(c) \
  (const void *)&(c), (sizeof(c) + 0 * sizeof(char[sizeof(c) <= DLT_NODE_CTX_BYTES ? 1 : -1]))

/* grad mode (dlt.no_grad turns it off) */
bool dlt_grad_enabled(void);
void dlt_set_grad_enabled(bool on);
/* true when an op on t must record */
bool dlt_needs_grad(const dlt_tensor *t);

/* A node for an op over inputs, or NULL when none needs grad (or grad mode is off;
 * also NULL on allocation failure, with *err set to -1). */
dlt_node *dlt_node_new(const char *name, dlt_backward_fn fn, int ninputs, const dlt_tensor *const *inputs, int *err);
/* Saves t for backward; returns its slot. */
int dlt_node_save(dlt_node *n, const dlt_tensor *t);
/* Fetches saved slot k, failing if it was modified in place since it was saved. */
const dlt_tensor *dlt_node_saved(dlt_node *n, int k);
/* Makes n the grad_fn of out (consumes the caller's reference to n). */
void dlt_node_attach(dlt_node *n, dlt_tensor *out);
void dlt_node_release(dlt_node *n);
/* n's name ("MulBackward"), as tensor printing shows it */
const char *dlt_node_name(const dlt_node *n);

/* Runs backward from root. grad NULL means 1 (root must have one element).
 * Leaves' .grad accumulate. The graph's saved tensors are freed unless retain_graph. */
int dlt_backward(dlt_tensor *root, const dlt_tensor *grad, bool retain_graph);

/* The leaf hook: dlt_backward calls fn(ud, leaf, true) as soon as a leaf's gradient is
 * final for this backward (every edge into the leaf has run, so .grad holds its sum),
 * and fn(ud, NULL, ok) once when the backward ends (ok: it succeeded). A nonzero return
 * fails the backward. DDP's gradient reducer (src/dist) starts its sums from here while
 * the rest of the backward runs. One hook at a time; fn NULL removes it. */
typedef int (*dlt_leaf_hook_fn)(void *ud, dlt_tensor *leaf, bool ok);
void dlt_set_leaf_hook(dlt_leaf_hook_fn fn, void *ud);

/* Fails naming fn when an in-place op would corrupt autograd: a leaf that requires grad
 * while grad mode is on. */
int dlt_check_inplace(const char *fn, const dlt_tensor *t);

/* anomaly mode: after each forward op and backward node, check for NaN/Inf */
void dlt_set_anomaly(bool on);
bool dlt_anomaly_enabled(void);
int dlt_anomaly_check(const char *opname, const char *phase, const dlt_tensor *t);

#endif
