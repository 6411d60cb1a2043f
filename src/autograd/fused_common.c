/* fused_common.c: what the fused ops share: a reusable scratch buffer and the places
 * their backward functions write gradients into. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autograd/fused.h"

static void *scratch;
static size_t scratch_bytes;

void *dlt_fused_scratch(size_t bytes) {
  if (bytes <= scratch_bytes) return scratch;
  void *p = dlt_malloc(bytes);
  if (!p) return NULL;
  free(scratch);
  scratch = p;
  scratch_bytes = bytes;
  return scratch;
}

static bool needs(const dlt_node *n, int i) { return n->next[i].node || n->next[i].leaf; }

dlt_bufset *dlt_bufset_new(void) {
  dlt_bufset *b = dlt_calloc(1, sizeof *b);
  if (b) b->refcount = 1;
  return b;
}

void dlt_bufset_release(dlt_bufset *b) {
  if (!b || --b->refcount > 0) return;
  for (int k = 0; k < DLT_BUFSET_SLOTS; k++) dlt_release(b->t[k]);
  free(b);
}

void dlt_bufset_drop(dlt_bufset *b) {
  if (!b) return;
  for (int k = 0; k < DLT_BUFSET_SLOTS; k++) {
    dlt_release(b->t[k]);
    b->t[k] = NULL;
  }
  dlt_bufset_release(b);
}

static void bufset_free_data(void *data) { dlt_bufset_release(data); }

void dlt_fused_keep_buffers(dlt_node *n, dlt_bufset *bs) {
  if (!n || !bs || n->data) return;
  bs->refcount++;
  n->data = bs;
  n->free_data = bufset_free_data;
}

dlt_tensor *dlt_fused_grad_acc(dlt_node *n, int i, dlt_tensor **gin, int *err) {
  *err = 0;
  if (!needs(n, i)) return NULL;
  dlt_tensor *leaf = n->next[i].leaf;
  /* a leaf converted since the forward (module:float()) is not written as the old dtype */
  if (leaf && leaf->dtype != n->in_dtype[i]) leaf = NULL;
  if (leaf && !leaf->grad) {
    leaf->grad = dlt_zeros_like(leaf);
    if (!leaf->grad) *err = -1;
    return leaf->grad;
  }
  if (leaf && leaf->grad->dtype == leaf->dtype && dlt_same_shape(leaf->grad, leaf) &&
      dlt_is_contiguous(leaf->grad))
    return leaf->grad;
  gin[i] = dlt_zeros(n->in_ndim[i], n->in_shape[i], n->in_dtype[i]);
  if (!gin[i]) *err = -1;
  return gin[i];
}

dlt_tensor *dlt_fused_grad_new(dlt_node *n, int i, dlt_tensor **gin, int *err) {
  *err = 0;
  if (!needs(n, i)) return NULL;
  dlt_bufset *bs = n->free_data == bufset_free_data && i == 0 ? n->data : NULL;
  gin[i] = dlt_fused_out(bs ? &bs->t[2] : NULL, n->in_ndim[i], n->in_shape[i], n->in_dtype[i]);
  if (!gin[i]) *err = -1;
  return gin[i];
}

dlt_tensor *dlt_fused_out(dlt_tensor **cache, int ndim, const int64_t *shape, dlt_dtype dtype) {
  dlt_tensor *c = cache ? *cache : NULL;
  bool same = c && c->dtype == dtype && c->ndim == ndim && c->offset == 0 && dlt_is_contiguous(c);
  for (int d = 0; same && d < ndim; d++) same = c->shape[d] == shape[d];
  if (same && c->refcount == 1 && c->storage->refcount == 1) {
    dlt_node_release(c->grad_fn); /* the old step's node: its graph is no longer reachable */
    c->grad_fn = NULL;
    dlt_release(c->grad);
    c->grad = NULL;
    c->requires_grad = false;
    dlt_bump_version(c);
    return dlt_retain(c);
  }
  dlt_tensor *t = dlt_empty(ndim, shape, dtype);
  /* without grad mode no backward will write the buffers: a one-off result (a 40000-row
   * plot grid under no_grad) must not stay in the cache for the layer's lifetime */
  if (t && cache && dlt_grad_enabled()) {
    dlt_release(*cache);
    *cache = dlt_retain(t);
  }
  return t;
}

int dlt_fused_anomaly(const char *node_name, const dlt_tensor *y) {
  if (!dlt_anomaly_enabled()) return 0;
  size_t n = strlen(node_name), k = strlen("Backward");
  if (n > k && !strcmp(node_name + n - k, "Backward")) n -= k;
  char fwd[64];
  snprintf(fwd, sizeof fwd, "%.*s", (int)n, node_name);
  return dlt_anomaly_check(fwd, "forward", y);
}
