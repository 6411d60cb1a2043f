/* engine.c: the autograd tape: grad mode, recording nodes with their saved tensors,
 * running backward in topological order (Kahn, iterative), and anomaly checks. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "autograd/node.h"
#include "core/ops.h"

static bool grad_enabled = true;
static bool anomaly_enabled = false;

bool dlt_grad_enabled(void) { return grad_enabled; }
void dlt_set_grad_enabled(bool on) { grad_enabled = on; }
bool dlt_needs_grad(const dlt_tensor *t) { return grad_enabled && t && t->requires_grad; }
void dlt_set_anomaly(bool on) { anomaly_enabled = on; }
bool dlt_anomaly_enabled(void) { return anomaly_enabled; }

/* ---- nodes ---- */

/* Freed nodes wait in a free list (up to NODE_FREE_MAX, 1 MB) for the next op to record:
 * a training step records and frees the same few every time (in bursts, as the
 * collector frees the outputs that hold the graphs), and glibc's path for blocks of a
 * node's size (about 1 KB) consolidates and unlinks chunks. */
#ifdef __SANITIZE_ADDRESS__
#define NODE_FREE_MAX 0 /* AddressSanitizer then sees every use after free */
#else
#define NODE_FREE_MAX 1024
#endif
static dlt_node *free_nodes;
static int nfree_nodes;

/* A recycled node is zeroed with 32-byte stores (GCC expands the memset to `rep stos`,
 * slow to start on AMD); a whole number of them covers it, the last one overlapping. */
typedef uint64_t zero_v4 __attribute__((vector_size(32)));
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-loop-distribute-patterns"))) /* or GCC makes it a memset again */
#endif
static void
zero_node(dlt_node *n) {
  char *p = (char *)n;
  const zero_v4 z = {0};
  for (size_t i = 0; i + 32 <= sizeof *n; i += 32) memcpy(p + i, &z, 32);
  memcpy(p + sizeof *n - 32, &z, 32);
}

static dlt_node *node_alloc(void) {
  dlt_node *n = free_nodes;
  if (!n) return dlt_calloc(1, sizeof *n);
  free_nodes = n->link;
  nfree_nodes--;
  zero_node(n);
  return n;
}

static void node_free(dlt_node *n) {
  if (nfree_nodes >= NODE_FREE_MAX) {
    free(n);
    return;
  }
  n->link = free_nodes;
  free_nodes = n;
  nfree_nodes++;
}

dlt_node *dlt_node_new(const char *name, dlt_backward_fn fn, int ninputs, const dlt_tensor *const *inputs, int *err) {
  if (err) *err = 0;
  if (!grad_enabled) return NULL;
  bool any = false;
  for (int i = 0; i < ninputs; i++) any |= inputs[i] && inputs[i]->requires_grad;
  if (!any) return NULL;
  if (ninputs > DLT_NODE_MAXIN) {
    if (err) *err = -1;
    return dlt_fail("%s: %d inputs, a node holds at most %d", name, ninputs, DLT_NODE_MAXIN);
  }
  dlt_node *n = node_alloc();
  if (!n) {
    if (err) *err = -1;
    return NULL;
  }
  n->refcount = 1;
  n->name = name;
  n->backward = fn;
  n->ninputs = ninputs;
  for (int i = 0; i < ninputs; i++) {
    const dlt_tensor *t = inputs[i];
    if (!t) continue;
    n->in_ndim[i] = t->ndim;
    memcpy(n->in_shape[i], t->shape, sizeof(int64_t) * (size_t)t->ndim);
    n->in_dtype[i] = t->dtype;
    if (!t->requires_grad) continue;
    if (t->grad_fn) {
      n->next[i].node = t->grad_fn;
      t->grad_fn->refcount++;
    } else {
      n->next[i].leaf = dlt_retain((dlt_tensor *)t);
    }
  }
  return n;
}

int dlt_node_save(dlt_node *n, const dlt_tensor *t) {
  if (n->nsaved >= DLT_NODE_MAXSAVED) return dlt_failn("%s: more than %d saved tensors", n->name, DLT_NODE_MAXSAVED);
  /* an alias has no grad_fn, so saving an op's own output makes no cycle */
  dlt_tensor *a = dlt_alias((dlt_tensor *)t);
  if (!a) return -1;
  n->saved[n->nsaved] = a;
  n->saved_version[n->nsaved] = t->storage->version;
  return n->nsaved++;
}

static void *freed_error(const dlt_node *n) {
  return dlt_fail(
    "backward: trying to backward through the graph a second time: the saved tensors of %s "
    "were freed by the first backward (pass retain_graph=true to the first backward)",
    n->name);
}

/* The version check of one slot; NULL with the error when the tensor was modified. */
static const dlt_tensor *check_saved(const dlt_node *n, int k) {
  const dlt_tensor *t = n->saved[k];
  if (!t) return freed_error(n);
  if (t->storage->version != n->saved_version[k])
    return dlt_fail("backward: a tensor needed by %s was modified by an in-place operation (version %u, expected %u)",
                    n->name, (unsigned)t->storage->version, (unsigned)n->saved_version[k]);
  return t;
}

const dlt_tensor *dlt_node_saved(dlt_node *n, int k) {
  if (k < 0 || k >= n->nsaved) return dlt_fail("backward: %s has no saved tensor %d", n->name, k + 1);
  return check_saved(n, k);
}

const char *dlt_node_name(const dlt_node *n) { return n->name ? n->name : "Backward"; }

void dlt_node_attach(dlt_node *n, dlt_tensor *out) {
  if (!n) return;
  dlt_node_release(out->grad_fn);
  out->grad_fn = n;
  out->requires_grad = true;
}

static void free_saved(dlt_node *n) {
  for (int k = 0; k < n->nsaved; k++) {
    dlt_release(n->saved[k]);
    n->saved[k] = NULL;
  }
  n->released = true;
}

/* Freeing a node may free its producers: a work list instead of recursion, so that a
 * chain of 100000 nodes does not overflow the C stack. Calls made while the list drains
 * (a leaf's release reaching another node) only push onto it. */
static dlt_node *release_list;
static bool releasing;

void dlt_node_release(dlt_node *n) {
  if (!n || --n->refcount > 0) return;
  n->link = release_list;
  release_list = n;
  if (releasing) return;
  releasing = true;
  while (release_list) {
    dlt_node *m = release_list;
    release_list = m->link;
    free_saved(m);
    for (int i = 0; i < m->ninputs; i++) {
      dlt_node_release(m->next[i].node);
      dlt_release(m->next[i].leaf);
    }
    dlt_release(m->gradbuf);
    if (m->data && m->free_data) m->free_data(m->data);
    node_free(m);
  }
  releasing = false;
}

/* ---- backward ---- */

static dlt_leaf_hook_fn leaf_hook;
static void *leaf_hook_ud;

void dlt_set_leaf_hook(dlt_leaf_hook_fn fn, void *ud) {
  leaf_hook = fn;
  leaf_hook_ud = ud;
}

/* With a leaf hook: each leaf reached by the backward and the number of edges into it
 * still to run, sorted by address; its gradient is final when the count reaches 0. */
typedef struct {
  dlt_tensor *leaf;
  int64_t left;
} leaf_count;

typedef struct {
  leaf_count *v;
  size_t n;
} leaf_counts;

static int cmp_leaf(const void *a, const void *b) {
  uintptr_t x = (uintptr_t)((const leaf_count *)a)->leaf, y = (uintptr_t)((const leaf_count *)b)->leaf;
  return x < y ? -1 : x > y;
}

/* counts the edges into each leaf from the discovered nodes */
static int count_leaves(const dlt_node *const *all, size_t nall, leaf_counts *lc) {
  size_t n = 0;
  for (size_t k = 0; k < nall; k++)
    for (int i = 0; i < all[k]->ninputs; i++) n += all[k]->next[i].leaf != NULL;
  lc->v = malloc((n ? n : 1) * sizeof *lc->v);
  if (!lc->v) return dlt_failn("backward: cannot allocate %zu bytes", n * sizeof *lc->v);
  size_t m = 0;
  for (size_t k = 0; k < nall; k++)
    for (int i = 0; i < all[k]->ninputs; i++)
      if (all[k]->next[i].leaf) lc->v[m++] = (leaf_count){all[k]->next[i].leaf, 1};
  qsort(lc->v, m, sizeof *lc->v, cmp_leaf);
  size_t u = 0;
  for (size_t k = 0; k < m; k++) {
    if (u > 0 && lc->v[u - 1].leaf == lc->v[k].leaf) lc->v[u - 1].left++;
    else lc->v[u++] = lc->v[k];
  }
  lc->n = u;
  return 0;
}

/* one edge into leaf has run: calls the hook when it was the last */
static int leaf_edge_done(leaf_counts *lc, dlt_tensor *leaf) {
  leaf_count key = {leaf, 0};
  leaf_count *c = bsearch(&key, lc->v, lc->n, sizeof *lc->v, cmp_leaf);
  if (!c || --c->left > 0) return 0;
  return leaf_hook(leaf_hook_ud, leaf, true);
}

/* starts in the caller's array of `cap` (small graphs allocate nothing), then the heap */
typedef struct {
  dlt_node **v;
  size_t n, cap;
  dlt_node **local;
} node_list;

static int list_push(node_list *l, dlt_node *n) {
  if (l->n == l->cap) {
    size_t cap = 2 * l->cap;
    dlt_node **v = l->v == l->local ? malloc(cap * sizeof *v) : realloc(l->v, cap * sizeof *v);
    if (!v) return dlt_failn("backward: cannot allocate %zu bytes", cap * sizeof *v);
    if (l->v == l->local) memcpy(v, l->local, l->n * sizeof *v);
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = n;
  return 0;
}

/* Every node reachable from root, breadth first, with deps = the number of edges into it
 * from reachable nodes. Fails before any gradient is computed when a node's saved
 * tensors were freed or modified, so a failed backward leaves every .grad untouched. */
static int discover(dlt_node *root, node_list *all) {
  root->queued = true;
  if (list_push(all, root)) return -1;
  for (size_t k = 0; k < all->n; k++) {
    dlt_node *n = all->v[k];
    if (n->released && n->nsaved > 0) return (freed_error(n), -1);
    for (int s = 0; s < n->nsaved; s++)
      if (!check_saved(n, s)) return -1;
    for (int i = 0; i < n->ninputs; i++) {
      dlt_node *m = n->next[i].node;
      if (!m) continue;
      m->deps++;
      if (!m->queued) {
        m->queued = true;
        if (list_push(all, m)) return -1;
      }
    }
  }
  return 0;
}

/* Sums g into the gradient buffer of node m. */
static int add_grad(dlt_node *m, dlt_tensor *g) {
  if (!m->gradbuf) {
    m->gradbuf = dlt_retain(g);
    m->gradbuf_owned = false;
    return 0;
  }
  if (m->gradbuf_owned) return dlt_axpy_(m->gradbuf, 1.0, g);
  dlt_tensor *s = dlt_binary(DLT_ADD, m->gradbuf, g);
  if (!s) return -1;
  dlt_release(m->gradbuf);
  m->gradbuf = s;
  m->gradbuf_owned = true;
  return 0;
}

/* leaf.grad += g, allocating .grad (leaf's dtype and shape) on the first backward */
static int accumulate_leaf(dlt_tensor *leaf, const dlt_tensor *g) {
  if (leaf->grad && dlt_same_shape(leaf->grad, leaf)) {
    if (leaf->grad->dtype == g->dtype) return dlt_axpy_(leaf->grad, 1.0, g);
    dlt_tensor *c = dlt_to_dtype((dlt_tensor *)g, leaf->grad->dtype);
    if (!c) return -1;
    int rc = dlt_axpy_(leaf->grad, 1.0, c);
    dlt_release(c);
    return rc;
  }
  dlt_tensor *c = dlt_empty(leaf->ndim, leaf->shape, leaf->dtype);
  if (!c) return -1;
  if (dlt_copy_(c, g)) {
    dlt_release(c);
    return -1;
  }
  dlt_release(leaf->grad);
  leaf->grad = c;
  return 0;
}

/* Brings input i's gradient to the recorded shape and dtype (backward functions do,
 * this is the engine's guard); consumes *g. */
static int conform_grad(dlt_node *n, int i, dlt_tensor **g) {
  dlt_tensor *t = *g;
  if (t->ndim != n->in_ndim[i] || memcmp(t->shape, n->in_shape[i], sizeof(int64_t) * (size_t)t->ndim)) {
    char a[128], b[128];
    return dlt_failn("backward: %s gave a gradient of shape %s for input %d of shape %s", n->name,
                     dlt_shape_str(t, a, sizeof a), i + 1, dlt_dims_str(n->in_ndim[i], n->in_shape[i], b, sizeof b));
  }
  if (t->dtype != n->in_dtype[i]) {
    dlt_tensor *c = dlt_to_dtype(t, n->in_dtype[i]);
    if (!c) return -1;
    dlt_release(t);
    *g = c;
  }
  return 0;
}

/* Runs node n on its summed gradient and hands the input gradients on. */
static int run_node(dlt_node *n, dlt_node **ready, leaf_counts *lc) {
  dlt_tensor *gout = n->gradbuf, *gin[DLT_NODE_MAXIN] = {0};
  n->gradbuf = NULL;
  int rc = 0;
  if (gout) rc = n->backward(n, gout, gin);
  dlt_release(gout);
  for (int i = 0; i < n->ninputs; i++) {
    dlt_edge *e = &n->next[i];
    if (!rc && gin[i] && (e->node || e->leaf)) {
      rc = conform_grad(n, i, &gin[i]);
      if (!rc) rc = dlt_anomaly_check(n->name, "backward", gin[i]);
      if (!rc) rc = e->node ? add_grad(e->node, gin[i]) : accumulate_leaf(e->leaf, gin[i]);
    } else if (!rc && !gin[i] && e->leaf && e->leaf->grad) {
      rc = dlt_anomaly_check(n->name, "backward", e->leaf->grad); /* fused ops add into .grad */
    }
    dlt_release(gin[i]);
    if (!rc && lc && e->leaf) rc = leaf_edge_done(lc, e->leaf);
    if (e->node && --e->node->deps == 0) {
      e->node->link = *ready;
      *ready = e->node;
    }
  }
  return rc;
}

static int root_grad(dlt_tensor *root, const dlt_tensor *grad, dlt_tensor **out) {
  char a[128], b[128];
  if (!grad) {
    if (dlt_numel(root) != 1)
      return dlt_failn("backward: grad can be implicitly created only for scalar outputs (shape %s)", dlt_shape_str(root, a, sizeof a));
    *out = dlt_full(root->ndim, root->shape, 1.0, root->dtype);
  } else {
    if (!dlt_same_shape(root, grad))
      return dlt_failn("backward: grad has shape %s but the tensor has shape %s", dlt_shape_str(grad, a, sizeof a),
                       dlt_shape_str(root, b, sizeof b));
    *out = dlt_to_dtype((dlt_tensor *)grad, root->dtype);
  }
  return *out ? 0 : -1;
}

int dlt_backward(dlt_tensor *root, const dlt_tensor *grad, bool retain_graph) {
  if (!root->requires_grad) return dlt_failn("backward: the tensor does not require grad and has no grad_fn");
  dlt_tensor *g = NULL;
  if (root_grad(root, grad, &g)) return -1;
  if (!root->grad_fn) { /* a leaf: its gradient is grad itself */
    int rc = accumulate_leaf(root, g);
    dlt_release(g);
    return rc;
  }
  dlt_node *local[64];
  node_list all = {local, 0, 64, local};
  int rc = discover(root->grad_fn, &all);
  leaf_counts counts = {NULL, 0}, *lc = NULL;
  dlt_leaf_hook_fn hook = leaf_hook;
  if (!rc && hook) {
    rc = count_leaves((const dlt_node *const *)all.v, all.n, &counts);
    if (!rc) lc = &counts;
  }
  if (!rc) {
    dlt_node *ready = root->grad_fn;
    ready->gradbuf = dlt_retain(g);
    ready->gradbuf_owned = false; /* g may be the caller's tensor */
    ready->link = NULL;
    while (ready && !rc) {
      dlt_node *n = ready;
      ready = n->link;
      rc = run_node(n, &ready, lc);
      if (!retain_graph) free_saved(n);
    }
  }
  for (size_t k = 0; k < all.n; k++) {
    dlt_node *n = all.v[k];
    dlt_release(n->gradbuf);
    n->gradbuf = NULL;
    n->gradbuf_owned = false;
    n->deps = 0;
    n->queued = false;
    n->link = NULL;
  }
  if (all.v != local) free(all.v);
  dlt_release(g);
  if (hook) {
    free(counts.v);
    int hrc = hook(leaf_hook_ud, NULL, rc == 0);
    if (!rc) rc = hrc;
  }
  return rc;
}

int dlt_check_inplace(const char *fn, const dlt_tensor *t) {
  if (!grad_enabled || !t->requires_grad) return 0;
  if (!t->grad_fn) return dlt_failn("%s: a leaf tensor that requires grad is used in an in-place operation", fn);
  return dlt_failn(
    "%s: in-place operations are not recorded by autograd, and this tensor requires grad "
    "(it comes from %s); use the out-of-place form or detach() it",
    fn, t->grad_fn->name);
}

/* ---- anomaly mode ---- */

/* "NaN" if t holds a NaN, else "infinity" if it holds an infinity, else NULL */
static const char *nonfinite(const dlt_tensor *t) {
  dlt_tensor *c = dlt_contiguous((dlt_tensor *)t);
  if (!c) return NULL;
  int64_t n = dlt_numel(c);
  bool nan = false, inf = false;
  if (c->dtype == DLT_FLOAT32) {
    const float *p = dlt_data(c);
    for (int64_t i = 0; i < n && !nan; i++) nan = isnan(p[i]), inf = inf || isinf(p[i]);
  } else {
    const double *p = dlt_data(c);
    for (int64_t i = 0; i < n && !nan; i++) nan = isnan(p[i]), inf = inf || isinf(p[i]);
  }
  dlt_release(c);
  return nan ? "NaN" : inf ? "infinity"
                           : NULL;
}

/* NaN and infinity: torch checks NaN only, but an overflow to inf is where most NaN
 * (inf - inf, 0 * inf) begins, and naming that op is what the user needs. */
int dlt_anomaly_check(const char *opname, const char *phase, const dlt_tensor *t) {
  if (!anomaly_enabled || !t) return 0;
  const char *what = nonfinite(t);
  if (!what) return 0;
  if (!strcmp(phase, "backward")) return dlt_failn("detect_anomaly: %s produced %s in its gradient", opname, what);
  return dlt_failn("detect_anomaly: %s of %s produced %s", phase, opname, what);
}
