/* reducer.c: DDP's gradient buckets. The autograd engine's leaf hook tells the reducer
 * when a parameter's gradient is final; its bucket gets a copy, and every bucket whose
 * gradients are all in is summed, strictly in bucket order so all ranks issue the same
 * calls in the same order. Ranks spread over machines start MPI_Iallreduce and test the
 * sums in flight at each later hook call (Open MPI progresses inside MPI calls), so the
 * network moves them during the rest of the backward; when it ends the rest start and
 * all are waited for; then .grad = sum / world size. Ranks on one machine sum all
 * buckets at once when the backward ends, through a shared window (comm.h says why):
 * one wait for the slowest rank per step instead of one per bucket. Their .grad tensors
 * then live in the window (as PyTorch's gradient_as_bucket_view), so the next backward
 * accumulates in place and neither copy is needed. */
#include <stdlib.h>
#include <string.h>

#include "autograd/node.h"
#include "core/ops.h"
#include "dist/comm.h"
#include "dist/reducer.h"

typedef struct {
  dlt_dtype dtype;
  int64_t numel;
  void *buf;             /* the gradients of its parameters, flat (without shm) */
  int64_t shm_off;       /* with shm: its offset in bytes in this rank's part */
  int nparams, missing;  /* missing: gradients not yet copied in this backward */
  dlt_comm_request *req; /* the sum in flight, NULL when none or finished */
} bucket;

typedef struct {
  dlt_tensor *param;
  int bucket;
  int64_t offset; /* in elements, into the bucket */
  bool ready;     /* copied in this backward */
} slot;

struct dlt_reducer {
  slot *slots;
  int n;
  bucket *buckets;
  int nbuckets;
  int next_launch; /* buckets below this one have started their sums */
  bool armed, overlap;
  long early;
  dlt_comm_shared *shm; /* the ranks' shared buckets when they share one machine */
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
  int64_t total = 0;
  for (int k = 0; k < r->nbuckets; k++) {
    r->buckets[k].shm_off = total;
    total += (r->buckets[k].numel * (int64_t)dlt_dtype_size(r->buckets[k].dtype) + 63) / 64 * 64;
  }
  r->shm = dlt_comm_shared_new(total);
  for (int k = 0; k < r->nbuckets && !r->shm; k++) {
    bucket *bk = &r->buckets[k];
    bk->buf = dlt_malloc((size_t)bk->numel * dlt_dtype_size(bk->dtype) + 1);
    if (!bk->buf) return -1;
  }
  return 0;
}

/* the bucket's bytes: NULL once the process group that shared them was destroyed */
static void *bucket_data(const dlt_reducer *r, const bucket *bk) {
  if (!r->shm) return bk->buf;
  char *mine = dlt_comm_shared_mine(r->shm);
  return mine ? mine + bk->shm_off : NULL;
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
  dlt_comm_shared_release(r->shm);
  for (int i = 0; i < r->n; i++) dlt_release(r->slots[i].param);
  free(r->slots);
  free(r);
}

void dlt_reducer_prepare(dlt_reducer *r) {
  if (r->armed) return;
  r->armed = true;
  r->next_launch = 0;
  for (int k = 0; k < r->nbuckets; k++) r->buckets[k].missing = r->buckets[k].nparams;
  for (int i = 0; i < r->n; i++) r->slots[i].ready = false;
}

bool dlt_reducer_pending(const dlt_reducer *r) { return r->armed; }
int dlt_reducer_nbuckets(const dlt_reducer *r) { return r->nbuckets; }
int dlt_reducer_nparams(const dlt_reducer *r) { return r->n; }
long dlt_reducer_early_launches(const dlt_reducer *r) { return r->early; }
bool dlt_reducer_shared(const dlt_reducer *r) { return r->shm != NULL; }

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
  char *data = bucket_data(r, bk);
  if (!data) return dlt_failn("DistributedDataParallel: no process group: it was destroyed");
  void *dst = data + (size_t)s->offset * es;
  int64_t n = dlt_numel(s->param);
  dlt_tensor *g = s->param->grad;
  if (!g) {
    memset(dst, 0, (size_t)n * es);
  } else if (dlt_data(g) == dst && g->dtype == bk->dtype && dlt_is_contiguous(g)) {
    /* the gradient is the bucket's slice already */
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
  if (r->overlap && !r->shm && launch_ready(r, true)) return -1;
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
    void *data = bucket_data(r, bk);
    if (!data) return dlt_failn("DistributedDataParallel: no process group: it was destroyed");
    if (bk->dtype == DLT_FLOAT32) {
      const float *src = (const float *)data + s->offset;
      float *dst = dlt_data(p->grad), sc = (float)scale;
      for (int64_t k = 0; k < n; k++) dst[k] = src[k] * sc;
    } else {
      const double *src = (const double *)data + s->offset;
      double *dst = dlt_data(p->grad);
      for (int64_t k = 0; k < n; k++) dst[k] = src[k] * scale;
    }
    dlt_bump_version(p->grad);
  }
  return 0;
}

/* every bucket summed and averaged through the shared window, between one pair of fences */
static int shared_sums(dlt_reducer *r) {
  if (dlt_comm_shared_fence("DistributedDataParallel", r->shm)) return -1;
  for (int k = 0; k < r->nbuckets; k++) {
    bucket *bk = &r->buckets[k];
    dlt_comm_shared_sum_slice(r->shm, bk->shm_off / (int64_t)dlt_dtype_size(bk->dtype), bk->numel, bk->dtype,
                              1.0 / dlt_comm_size());
  }
  r->next_launch = r->nbuckets;
  return dlt_comm_shared_fence("DistributedDataParallel", r->shm);
}

/* .grad = the parameter's slice of its bucket, which holds the average now */
static int bind_grads(dlt_reducer *r) {
  char *mine = dlt_comm_shared_mine(r->shm);
  if (!mine) return dlt_failn("DistributedDataParallel: no process group: it was destroyed");
  for (int i = 0; i < r->n; i++) {
    slot *s = &r->slots[i];
    bucket *bk = &r->buckets[s->bucket];
    dlt_tensor *p = s->param;
    int64_t off = bk->shm_off + s->offset * (int64_t)dlt_dtype_size(bk->dtype);
    dlt_tensor *g = p->grad;
    if (!g || dlt_data(g) != mine + off || !dlt_same_shape(g, p) || g->dtype != p->dtype || !dlt_is_contiguous(g)) {
      if (!(g = dlt_comm_shared_tensor(r->shm, off, p->ndim, p->shape, p->dtype))) return -1;
      dlt_release(p->grad);
      p->grad = g;
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
    if (!rc) rc = r->shm ? shared_sums(r) : launch_ready(r, false);
  }
  /* a failed backward still waits for the sums it started (the other ranks finish theirs) */
  if (wait_all(r)) rc = -1;
  if (ok && !rc) rc = r->shm ? bind_grads(r) : copy_out(r);
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
