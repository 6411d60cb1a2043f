/* reducer.c: DDP's gradient buckets. The autograd engine's leaf hook tells the reducer
 * when a parameter's gradient is final; its bucket gets a copy, and every bucket whose
 * gradients are all in starts its sum (MPI_Iallreduce), strictly in bucket order so all
 * ranks issue the same calls in the same order. Each later hook call tests the sums in
 * flight, which is what moves them on (Open MPI progresses inside MPI calls). When the
 * backward ends the rest start, all are waited for, and .grad = sum / world size. */
#include <stdlib.h>
#include <string.h>

#include "autograd/node.h"
#include "core/ops.h"
#include "dist/comm.h"
#include "dist/reducer.h"

typedef struct {
  dlt_dtype dtype;
  int64_t numel;
  void *buf;               /* the gradients of its parameters, flat */
  int nparams, missing;    /* missing: gradients not yet copied in this backward */
  bool launched;
  dlt_comm_request *req;   /* the sum in flight, NULL when none or finished */
} bucket;

typedef struct {
  dlt_tensor *param;
  int bucket;
  int64_t offset;          /* in elements, into the bucket */
  bool ready;              /* copied in this backward */
} slot;

struct dlt_reducer {
  slot *slots;
  int n;
  bucket *buckets;
  int nbuckets;
  int next_launch;         /* buckets below this one have started their sums */
  bool armed, overlap;
  long early;
  dlt_reducer *next_reducer;
};

/* every live reducer; the engine has one hook, which visits them all */
static dlt_reducer *reducers;

static int hook(void *ud, dlt_tensor *leaf, bool ok);

static void update_hook(void) { dlt_set_leaf_hook(reducers ? hook : NULL, NULL); }

/* parameters last to first into buckets: a new bucket when the dtype changes or the
 * bucket would pass its cap (a parameter larger than the cap gets a bucket of its own) */
static int assign_buckets(dlt_reducer *r, size_t first_cap, size_t cap) {
  r->buckets = calloc((size_t)(r->n ? r->n : 1), sizeof *r->buckets);
  if (!r->buckets) return dlt_failn("DistributedDataParallel: cannot allocate the buckets");
  int b = -1;
  size_t bytes = 0;
  for (int i = r->n - 1; i >= 0; i--) {
    dlt_tensor *p = r->slots[i].param;
    size_t pb = (size_t)dlt_numel(p) * dlt_dtype_size(p->dtype);
    size_t limit = b <= 0 ? first_cap : cap;
    if (b < 0 || r->buckets[b].dtype != p->dtype || (bytes > 0 && bytes + pb > limit)) {
      b++;
      r->buckets[b].dtype = p->dtype;
      bytes = 0;
    }
    r->slots[i].bucket = b;
    r->slots[i].offset = r->buckets[b].numel;
    r->buckets[b].numel += dlt_numel(p);
    r->buckets[b].nparams++;
    bytes += pb;
  }
  r->nbuckets = b + 1;
  for (int k = 0; k < r->nbuckets; k++) {
    bucket *bk = &r->buckets[k];
    bk->buf = dlt_malloc((size_t)bk->numel * dlt_dtype_size(bk->dtype) + 1);
    if (!bk->buf) return -1;
  }
  return 0;
}

dlt_reducer *dlt_reducer_new(dlt_tensor *const *params, int n, size_t first_cap, size_t cap, bool overlap) {
  dlt_reducer *r = dlt_calloc(1, sizeof *r);
  if (!r) return NULL;
  r->slots = dlt_calloc((size_t)(n ? n : 1), sizeof *r->slots);
  if (!r->slots) {
    free(r);
    return NULL;
  }
  r->n = n;
  r->overlap = overlap;
  for (int i = 0; i < n; i++) r->slots[i].param = dlt_retain(params[i]);
  if (assign_buckets(r, first_cap, cap)) {
    dlt_reducer_free(r);
    return NULL;
  }
  r->next_reducer = reducers;
  reducers = r;
  update_hook();
  return r;
}

/* waits for the sums in flight (their buffers must outlive them) */
static int wait_all(dlt_reducer *r) {
  int rc = 0;
  for (int k = 0; k < r->nbuckets; k++)
    if (r->buckets[k].req && dlt_comm_wait(&r->buckets[k].req)) rc = -1;
  return rc;
}

void dlt_reducer_free(dlt_reducer *r) {
  if (!r) return;
  for (dlt_reducer **p = &reducers; *p; p = &(*p)->next_reducer)
    if (*p == r) {
      *p = r->next_reducer;
      break;
    }
  update_hook();
  if (r->buckets) {
    wait_all(r);
    for (int k = 0; k < r->nbuckets; k++) free(r->buckets[k].buf);
    free(r->buckets);
  }
  for (int i = 0; i < r->n; i++) dlt_release(r->slots[i].param);
  free(r->slots);
  free(r);
}

void dlt_reducer_prepare(dlt_reducer *r) {
  if (r->armed) return;
  r->armed = true;
  r->next_launch = 0;
  for (int k = 0; k < r->nbuckets; k++) {
    r->buckets[k].missing = r->buckets[k].nparams;
    r->buckets[k].launched = false;
  }
  for (int i = 0; i < r->n; i++) r->slots[i].ready = false;
}

bool dlt_reducer_pending(const dlt_reducer *r) { return r->armed; }
int dlt_reducer_nbuckets(const dlt_reducer *r) { return r->nbuckets; }
int dlt_reducer_nparams(const dlt_reducer *r) { return r->n; }
long dlt_reducer_early_launches(const dlt_reducer *r) { return r->early; }

int dlt_reducer_bucket(const dlt_reducer *r, int b, int *idx) {
  int m = 0;
  for (int i = r->n - 1; i >= 0; i--)
    if (r->slots[i].bucket == b) idx[m++] = i;
  return m;
}

/* the parameter's gradient (zeros when it has none: unused in this forward) into its bucket */
static int copy_in(dlt_reducer *r, slot *s) {
  bucket *bk = &r->buckets[s->bucket];
  size_t es = dlt_dtype_size(bk->dtype);
  void *dst = (char *)bk->buf + (size_t)s->offset * es;
  int64_t n = dlt_numel(s->param);
  dlt_tensor *g = s->param->grad;
  if (!g) {
    memset(dst, 0, (size_t)n * es);
  } else if (g->dtype == bk->dtype && dlt_is_contiguous(g) && dlt_numel(g) == n) {
    memcpy(dst, dlt_data(g), (size_t)n * es);
  } else {
    dlt_tensor *c = dlt_to_dtype(g, bk->dtype), *cc = c ? dlt_contiguous(c) : NULL;
    dlt_release(c);
    if (!cc) return -1;
    memcpy(dst, dlt_data(cc), (size_t)n * es);
    dlt_release(cc);
  }
  s->ready = true;
  bk->missing--;
  return 0;
}

/* starts the sums of the buckets that are complete, in bucket order */
static int launch_ready(dlt_reducer *r, bool early) {
  while (r->next_launch < r->nbuckets && r->buckets[r->next_launch].missing == 0) {
    bucket *bk = &r->buckets[r->next_launch++];
    if (dlt_comm_iallreduce_sum("DistributedDataParallel", bk->buf, bk->numel, bk->dtype, &bk->req)) return -1;
    bk->launched = true;
    r->early += early;
  }
  return 0;
}

/* lets MPI move the sums in flight on */
static int progress(dlt_reducer *r) {
  for (int k = 0; k < r->next_launch; k++) {
    bool done;
    if (r->buckets[k].req && dlt_comm_test(&r->buckets[k].req, &done)) return -1;
  }
  return 0;
}

static int find_slot(dlt_reducer *r, const dlt_tensor *leaf) {
  for (int i = r->n - 1; i >= 0; i--)
    if (r->slots[i].param == leaf) return i;
  return -1;
}

static int on_leaf(dlt_reducer *r, dlt_tensor *leaf) {
  int i = find_slot(r, leaf);
  if (i < 0 || r->slots[i].ready) return progress(r);
  if (copy_in(r, &r->slots[i])) return -1;
  if (r->overlap && launch_ready(r, true)) return -1;
  return progress(r);
}

/* .grad = bucket slice / world size, for every parameter */
static int copy_out(dlt_reducer *r) {
  double scale = 1.0 / dlt_comm_size();
  for (int i = 0; i < r->n; i++) {
    slot *s = &r->slots[i];
    bucket *bk = &r->buckets[s->bucket];
    dlt_tensor *p = s->param;
    if (!p->grad || !dlt_same_shape(p->grad, p) || p->grad->dtype != p->dtype || !dlt_is_contiguous(p->grad)) {
      dlt_tensor *g = dlt_empty(p->ndim, p->shape, p->dtype);
      if (!g) return -1;
      dlt_release(p->grad);
      p->grad = g;
    }
    int64_t n = dlt_numel(p);
    if (bk->dtype == DLT_FLOAT32) {
      const float *src = (const float *)bk->buf + s->offset;
      float *dst = dlt_data(p->grad), sc = (float)scale;
      for (int64_t k = 0; k < n; k++) dst[k] = src[k] * sc;
    } else {
      const double *src = (const double *)bk->buf + s->offset;
      double *dst = dlt_data(p->grad);
      for (int64_t k = 0; k < n; k++) dst[k] = src[k] * scale;
    }
    dlt_bump_version(p->grad);
  }
  return 0;
}

static int on_end(dlt_reducer *r, bool ok) {
  r->armed = false;
  int rc = 0;
  if (ok) {
    for (int i = 0; i < r->n && !rc; i++)
      if (!r->slots[i].ready) rc = copy_in(r, &r->slots[i]);
    if (!rc) rc = launch_ready(r, false);
  }
  /* a failed backward still waits for the sums it started (the other ranks finish theirs) */
  if (wait_all(r)) rc = -1;
  if (ok && !rc) rc = copy_out(r);
  return rc;
}

static int hook(void *ud, dlt_tensor *leaf, bool ok) {
  (void)ud;
  int rc = 0;
  for (dlt_reducer *r = reducers; r; r = r->next_reducer) {
    if (!r->armed) continue;
    if (leaf ? on_leaf(r, leaf) : on_end(r, ok)) rc = -1;
    if (rc && leaf) return rc;
  }
  return rc;
}
