/* functions_index.c: differentiable index_select, cat and stack. index_select's gradient
 * adds rows back at their indices (repeats accumulate); cat/stack hand each input its
 * slice of the gradient. */
#include <stdlib.h>
#include <string.h>

#include "autograd/functions_common.h"

/* ---- index_select ---- */

typedef struct {
  int dim;
  int64_t n; /* number of indices (in the node's data) */
} index_select_ctx;

static int index_select_backward(dlt_node *n, const dlt_tensor *g, dlt_tensor **gin) {
  const index_select_ctx *c = DLT_NODE_CTX(n, index_select_ctx);
  dlt_tensor *z = dlt_zeros(n->in_ndim[0], n->in_shape[0], g->dtype);
  if (!z) return -1;
  if (dlt_index_add_(z, c->dim, n->data, c->n, g)) {
    dlt_release(z);
    return -1;
  }
  gin[0] = dlt_agi_to_input(n, 0, z);
  return gin[0] ? 0 : -1;
}

dlt_tensor *dlt_ag_index_select(dlt_tensor *t, int dim, const int64_t *idx, int64_t n) {
  int err = 0;
  const dlt_tensor *ins[1] = {t};
  dlt_node *node = dlt_node_new("IndexSelectBackward", index_select_backward, 1, ins, &err);
  if (err) return NULL;
  dlt_tensor *out = dlt_index_select(t, dim, idx, n);
  if (out && node) {
    *DLT_NODE_CTX(node, index_select_ctx) =
      (index_select_ctx){t->ndim ? dlt_wrap_dim("index_select", dim, t->ndim) : 0, n};
    node->data = dlt_malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    node->free_data = free;
    if (node->data) memcpy(node->data, idx, sizeof(int64_t) * (size_t)n);
    else {
      dlt_release(out);
      out = NULL;
    }
  }
  return dlt_agi_finish(out, node, "IndexSelect");
}

/* ---- cat, stack ----
 * A node holds DLT_NODE_MAXIN edges, so only the inputs that require grad become node
 * inputs, with their position along dim in the node's data. More than that many: cat in
 * groups. */

typedef struct {
  int dim;
  bool stack; /* stack: select at pos; cat: narrow from pos with the input's size */
  int64_t pos[DLT_NODE_MAXIN];
} join_ctx;

static int join_backward(dlt_node *n, const dlt_tensor *g, dlt_tensor **gin) {
  const join_ctx *c = n->data;
  for (int k = 0; k < n->ninputs; k++) {
    if (!dlt_agi_wants(n, k)) continue;
    dlt_tensor *v = c->stack ? dlt_select((dlt_tensor *)g, c->dim, c->pos[k])
                             : dlt_narrow((dlt_tensor *)g, c->dim, c->pos[k], n->in_shape[k][c->dim]);
    if (!(gin[k] = dlt_agi_to_input(n, k, v))) return -1;
  }
  return 0;
}

static int count_grad(dlt_tensor *const *ts, int n) {
  int c = 0;
  for (int k = 0; k < n; k++) c += dlt_needs_grad(ts[k]);
  return c;
}

/* records the join node over the inputs that require grad; consumes out */
static dlt_tensor *record_join(dlt_tensor *const *ts, int n, int dim, bool stack, dlt_tensor *out) {
  if (!out || count_grad(ts, n) == 0) return out;
  join_ctx *c = dlt_calloc(1, sizeof *c);
  const dlt_tensor *ins[DLT_NODE_MAXIN];
  int m = 0, err = 0;
  int64_t pos = 0;
  if (c) {
    c->dim = dim;
    c->stack = stack;
    for (int k = 0; k < n; k++) {
      if (dlt_needs_grad(ts[k])) {
        c->pos[m] = stack ? k : pos;
        ins[m++] = ts[k];
      }
      if (!stack && ts[k]->ndim == out->ndim) pos += ts[k]->shape[dim];
    }
  }
  dlt_node *node = c ? dlt_node_new(stack ? "StackBackward" : "CatBackward", join_backward, m, ins, &err) : NULL;
  if (!node) {
    free(c);
    dlt_release(out);
    return NULL;
  }
  node->data = c;
  node->free_data = free;
  dlt_node_attach(node, out);
  return out;
}

/* more inputs requiring grad than a node holds: join groups, then join the groups */
static dlt_tensor *join_groups(dlt_tensor *const *ts, int n, int dim, bool stack) {
  int ng = (n + DLT_NODE_MAXIN - 1) / DLT_NODE_MAXIN;
  dlt_tensor **parts = dlt_calloc((size_t)ng, sizeof *parts);
  dlt_tensor *out = NULL;
  if (!parts) return NULL;
  int g = 0;
  for (; g < ng; g++) {
    int lo = g * DLT_NODE_MAXIN, cnt = n - lo < DLT_NODE_MAXIN ? n - lo : DLT_NODE_MAXIN;
    if (!(parts[g] = stack ? dlt_ag_stack(ts + lo, cnt, dim) : dlt_ag_cat(ts + lo, cnt, dim))) break;
  }
  if (g == ng) out = dlt_ag_cat(parts, ng, dim); /* stacked groups already have the new dim */
  for (int k = 0; k < ng; k++) dlt_release(parts[k]);
  free(parts);
  return out;
}

static dlt_tensor *join(dlt_tensor *const *ts, int n, int dim, bool stack) {
  dlt_tensor *out = stack ? dlt_stack(ts, n, dim) : dlt_cat(ts, n, dim);
  if (!out || count_grad(ts, n) <= DLT_NODE_MAXIN) {
    /* the dim the output was joined along, wrapped against the output's ndim */
    int d = out ? (dim < 0 ? dim + out->ndim : dim) : 0;
    return record_join(ts, n, d, stack, out);
  }
  dlt_release(out); /* shapes were valid: redo in groups so each node fits */
  return join_groups(ts, n, dim, stack);
}

dlt_tensor *dlt_ag_cat(dlt_tensor *const *ts, int n, int dim) { return join(ts, n, dim, false); }
dlt_tensor *dlt_ag_stack(dlt_tensor *const *ts, int n, int dim) { return join(ts, n, dim, true); }
