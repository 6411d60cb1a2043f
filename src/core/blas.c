/* blas.c: matrix products through OpenBLAS. A 2-D operand that is a row-major matrix or
 * the transpose of one goes to BLAS as it is (CblasTrans for the latter); other
 * strided operands are copied once. matmul follows torch.matmul's rules. */
#include <cblas.h>
#include <limits.h>
#include <string.h>

#include "core/ops.h"
#include "core/strided.h"
#include "core/worker.h"

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

/* OpenBLAS threads only for products worth them. It splits any product above 256K
 * multiply-adds, but on two cores its threads made an 82M product slower and kept
 * more memory resident (bench/README.md, "Measurements behind the code"); from 128M
 * the split can pay. And its workers
 * spin (sched_yield) for about 0.1 s of wall time after every threaded call, and after
 * it starts them as it loads: CPU time that a short process or a loaded machine pays
 * with nothing to run. So OpenBLAS runs one thread with no workers, and a large product
 * starts them (tens of us, against at least a millisecond of work) and stops them after.
 * user is the count dlt.num_threads sets and reports (OPENBLAS_NUM_THREADS at start). */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
int blas_thread_shutdown_(void);
char *openblas_get_corename(void);
#define DLT_BLAS_THREADED_MNK (128.0 * 1024 * 1024)

static int user = 1;
static bool threaded; /* the product under way has the workers */

static void workers_stop(void) {
  openblas_set_num_threads(1);
  blas_thread_shutdown_();
}

__attribute__((constructor)) static void blas_workers_stop(void) {
  user = openblas_get_num_threads();
  workers_stop();
}

int dlt_blas_num_threads(void) { return user; }

void dlt_blas_set_num_threads(int n) {
  openblas_set_num_threads(n);
  user = openblas_get_num_threads(); /* as OpenBLAS caps it */
  workers_stop();
}

void dlt_blas_threads_for(int64_t m, int64_t n, int64_t k) {
  threaded = user > 1 && (double)m * (double)n * (double)k >= DLT_BLAS_THREADED_MNK;
  if (threaded) openblas_set_num_threads(user);
}

void dlt_blas_done(void) {
  if (threaded) workers_stop();
  threaded = false;
}

/* float32 products from DLT_BLAS_SPLIT_MNK multiply-adds up to the threaded size, with
 * rows for two of the kernel's panels (below), are split by rows of C: the helper thread
 * of core/worker.c does the lower part, the caller the upper, each a single-threaded
 * sgemm (the CNN's first linear layer, 64 rows, went from one thread to two this way).
 * OpenBLAS's own threads did not pay at these sizes (a 100x256x256 product ran slower
 * on two); the split nearly halves the wall time. The split depends on the shape alone
 * (with no helper the caller computes both parts), so results do not depend on the
 * machine's load. sgemm gave every element the same bits split or whole here
 * (tests/c/test_blas_split.c); dgemm did not for some shapes (its kernel changes with the
 * size), so double products are never split. With one thread set (dlt.num_threads(1))
 * nothing is split: one thread means one core. */
#define DLT_BLAS_SPLIT_MNK (2.0 * 1024 * 1024)

typedef struct {
  bool f32, ta, tb;
  int m, n, k, lda, ldb, ldc;
  double alpha, beta;
  const void *a, *b;
  void *c;
} gemm_job;

static void run_gemm(void *p) {
  gemm_job *g = p;
  enum CBLAS_TRANSPOSE TA = g->ta ? CblasTrans : CblasNoTrans, TB = g->tb ? CblasTrans : CblasNoTrans;
  if (g->m == 0) return;
  if (g->f32)
    cblas_sgemm(CblasRowMajor, TA, TB, g->m, g->n, g->k, (float)g->alpha, g->a, g->lda, g->b, g->ldb,
                (float)g->beta, g->c, g->ldc);
  else
    cblas_dgemm(CblasRowMajor, TA, TB, g->m, g->n, g->k, g->alpha, g->a, g->lda, g->b, g->ldb, g->beta, g->c,
                g->ldc);
}

/* The sgemm kernel's panel of C^T's columns: 16 in the AVX-512 kernels (SkylakeX,
 * Cooperlake, Sapphire Rapids), 12 in the Haswell and Zen ones; 48, a multiple of both,
 * for a kernel not named here. A batch of 128 rows then splits 64 + 64 or 60 + 68, where
 * 48's multiples gave 48 + 80 and the helper's part set the pace. */
static int sgemm_panel(void) {
  static int panel;
  if (!panel) {
    const char *k = openblas_get_corename();
    panel = !k                                                                                ? 48
            : strstr(k, "SkylakeX") || strstr(k, "Cooperlake") || strstr(k, "SapphireRapids") ? 16
            : strstr(k, "Haswell") || strstr(k, "Zen")                                        ? 12
                                                                                              : 48;
  }
  return panel;
}

/* C (m x n, row-major) = alpha op(A) op(B) + beta C, as cblas_?gemm with CblasRowMajor,
 * on two threads when the product is large enough (see above) */
void dlt_gemm_rows(bool f32, bool ta, bool tb, int m, int n, int k, double alpha, const void *a, int lda,
                   const void *b, int ldb, double beta, void *c, int ldc) {
  gemm_job g = {f32, ta, tb, m, n, k, lda, ldb, ldc, alpha, beta, a, b, c};
  double mnk = (double)m * n * k;
  if (!f32 || user < 2 || mnk < DLT_BLAS_SPLIT_MNK || mnk >= DLT_BLAS_THREADED_MNK || m < 2 * sgemm_panel()) {
    dlt_blas_threads_for(m, n, k);
    run_gemm(&g);
    dlt_blas_done();
    return;
  }
  size_t es = f32 ? sizeof(float) : sizeof(double);
  /* the cut on a whole panel: OpenBLAS computes C^T, whose columns (our rows) it takes
   * in panels, and a panel cut short at the seam sums differently; cut between panels,
   * the halves are the very panels of the whole */
  int p = sgemm_panel();
  int top = (m / 2 + p / 2) / p * p;
  gemm_job lo = g; /* rows top..m-1: A's rows (or columns when transposed) and C's rows */
  lo.m = m - top;
  lo.a = (const char *)a + es * (size_t)top * (ta ? 1 : (size_t)lda);
  lo.c = (char *)c + es * (size_t)top * (size_t)ldc;
  g.m = top;
  dlt_worker_run2(run_gemm, &lo, &g);
}

/* Can t (2-D, rows x cols) be handed to BLAS? Sets trans and the leading dimension. */
static bool blas_layout(const dlt_tensor *t, bool *trans, int64_t *ld) {
  int64_t r = t->shape[0], c = t->shape[1], s0 = t->stride[0], s1 = t->stride[1];
  if ((c == 1 || s1 == 1) && (r == 1 || s0 >= max64(c, 1))) {
    *trans = false;
    *ld = r == 1 ? max64(c, 1) : s0;
    return *ld <= INT_MAX;
  }
  if ((r == 1 || s0 == 1) && (c == 1 || s1 >= max64(r, 1))) {
    *trans = true;
    *ld = c == 1 ? max64(r, 1) : s1;
    return *ld <= INT_MAX;
  }
  return false;
}

/* The operand as BLAS sees it: t itself or a contiguous copy (*owned, to release). */
static const dlt_tensor *blas_operand(const dlt_tensor *t, bool *trans, int64_t *ld, dlt_tensor **owned) {
  *owned = NULL;
  if (blas_layout(t, trans, ld)) return t;
  if (!(*owned = dlt_clone(t))) return NULL;
  *trans = false;
  *ld = max64(t->shape[1], 1);
  return *owned;
}

int dlt_gemm(bool ta, bool tb, double alpha, const dlt_tensor *a, const dlt_tensor *b, double beta, dlt_tensor *c) {
  char sa[128], sb[128], sc[128];
  if (a->ndim != 2 || b->ndim != 2 || c->ndim != 2)
    return dlt_failn("gemm: expected 2-D tensors, got %s, %s and %s", dlt_shape_str(a, sa, sizeof sa),
                     dlt_shape_str(b, sb, sizeof sb), dlt_shape_str(c, sc, sizeof sc));
  if (!dlt_is_floating(c->dtype) || a->dtype != c->dtype || b->dtype != c->dtype)
    return dlt_failn("gemm: dtypes %s, %s and %s differ", dlt_dtype_name(a->dtype), dlt_dtype_name(b->dtype), dlt_dtype_name(c->dtype));
  int64_t m = ta ? a->shape[1] : a->shape[0], k = ta ? a->shape[0] : a->shape[1];
  int64_t kb = tb ? b->shape[1] : b->shape[0], n = tb ? b->shape[0] : b->shape[1];
  if (k != kb || c->shape[0] != m || c->shape[1] != n)
    return dlt_failn("gemm: shapes %s%s and %s%s cannot be multiplied into %s", dlt_shape_str(a, sa, sizeof sa), ta ? "^T" : "",
                     dlt_shape_str(b, sb, sizeof sb), tb ? "^T" : "", dlt_shape_str(c, sc, sizeof sc));
  if (m > INT_MAX || n > INT_MAX || k > INT_MAX) return dlt_failn("gemm: dimensions %lld x %lld x %lld exceed BLAS's int", (long long)m, (long long)k, (long long)n);
  if (m == 0 || n == 0) return 0;
  if (k == 0) { /* an empty sum: C = beta C */
    if (beta == 0) return dlt_fill_(c, 0);
    return dlt_binary_scalar_(DLT_MUL, c, beta);
  }
  bool tra, trb, trc;
  int64_t lda, ldb, ldc;
  dlt_tensor *oa, *ob, *oc = NULL;
  const dlt_tensor *A = blas_operand(a, &tra, &lda, &oa);
  const dlt_tensor *B = A ? blas_operand(b, &trb, &ldb, &ob) : NULL;
  if (!B) {
    dlt_release(oa);
    return -1;
  }
  dlt_tensor *C = c;
  if (!blas_layout(c, &trc, &ldc) || trc) { /* C must be row-major: compute in a copy */
    C = oc = beta == 0 ? dlt_empty(2, c->shape, c->dtype) : dlt_clone(c);
    ldc = max64(n, 1);
  }
  if (C) {
    dlt_gemm_rows(c->dtype == DLT_FLOAT32, ta != tra, tb != trb, (int)m, (int)n, (int)k, alpha, dlt_data(A), (int)lda,
                  dlt_data(B), (int)ldb, beta, dlt_data(C), (int)ldc);
  }
  int rc = C ? 0 : -1;
  if (oc) rc = dlt_copy_(c, oc);
  else if (C) dlt_bump_version(c);
  dlt_release(oa);
  dlt_release(ob);
  dlt_release(oc);
  return rc;
}

/* a and b in their promoted dtype (new references, or NULL on failure) */
static int promote2(const dlt_tensor *a, const dlt_tensor *b, dlt_tensor **a2, dlt_tensor **b2) {
  dlt_dtype dt = dlt_promote(a->dtype, b->dtype);
  *a2 = dlt_to_dtype((dlt_tensor *)a, dt);
  *b2 = *a2 ? dlt_to_dtype((dlt_tensor *)b, dt) : NULL;
  if (*b2) return 0;
  dlt_release(*a2);
  return -1;
}

static dlt_tensor *mm_same(const dlt_tensor *a, const dlt_tensor *b) {
  int64_t shape[2] = {a->shape[0], b->shape[1]};
  dlt_tensor *r = dlt_empty(2, shape, a->dtype);
  if (r && dlt_gemm(false, false, 1, a, b, 0, r)) {
    dlt_release(r);
    return NULL;
  }
  return r;
}

/* products are of floating-point tensors (PyTorch refuses int64 with float too) */
static int check_floats(const char *fn, const dlt_tensor *a, const dlt_tensor *b) {
  if (dlt_is_floating(a->dtype) && dlt_is_floating(b->dtype)) return 0;
  return dlt_failn("%s: expected floating-point tensors, got %s and %s (convert with :float() or :double())", fn,
                   dlt_dtype_name(a->dtype), dlt_dtype_name(b->dtype));
}

static dlt_tensor *shape_error(const char *fn, const dlt_tensor *a, const dlt_tensor *b) {
  char sa[128], sb[128];
  return dlt_fail("%s: shapes %s and %s cannot be multiplied", fn, dlt_shape_str(a, sa, sizeof sa), dlt_shape_str(b, sb, sizeof sb));
}

dlt_tensor *dlt_mm(const dlt_tensor *a, const dlt_tensor *b) {
  if (check_floats("mm", a, b)) return NULL;
  char sa[128], sb[128];
  if (a->ndim != 2 || b->ndim != 2)
    return dlt_fail("mm: expected 2-D tensors, got shapes %s and %s", dlt_shape_str(a, sa, sizeof sa), dlt_shape_str(b, sb, sizeof sb));
  if (a->shape[1] != b->shape[0]) return shape_error("mm", a, b);
  if (a->dtype == b->dtype) return mm_same(a, b);
  dlt_tensor *a2, *b2;
  if (promote2(a, b, &a2, &b2)) return NULL;
  dlt_tensor *r = mm_same(a2, b2);
  dlt_release(a2);
  dlt_release(b2);
  return r;
}

dlt_tensor *dlt_dot(const dlt_tensor *a, const dlt_tensor *b) {
  if (check_floats("dot", a, b)) return NULL;
  char sa[128], sb[128];
  if (a->ndim != 1 || b->ndim != 1)
    return dlt_fail("dot: expected 1-D tensors, got shapes %s and %s", dlt_shape_str(a, sa, sizeof sa), dlt_shape_str(b, sb, sizeof sb));
  if (a->shape[0] != b->shape[0])
    return dlt_fail("dot: tensors of %lld and %lld elements", (long long)a->shape[0], (long long)b->shape[0]);
  dlt_tensor *a2, *b2;
  if (promote2(a, b, &a2, &b2)) return NULL;
  dlt_tensor *ac = dlt_contiguous(a2), *bc = ac ? dlt_contiguous(b2) : NULL;
  dlt_tensor *r = bc ? dlt_empty(0, NULL, a2->dtype) : NULL;
  if (r) { /* in double, chunked to stay within BLAS's int */
    double s = 0;
    for (int64_t i = 0, n = a->shape[0]; i < n; i += INT_MAX) {
      int len = (int)(n - i < INT_MAX ? n - i : INT_MAX);
      s += r->dtype == DLT_FLOAT32 ? cblas_dsdot(len, (float *)dlt_data(ac) + i, 1, (float *)dlt_data(bc) + i, 1)
                                   : cblas_ddot(len, (double *)dlt_data(ac) + i, 1, (double *)dlt_data(bc) + i, 1);
    }
    dlt_set(r, NULL, s);
  }
  dlt_release(ac);
  dlt_release(bc);
  dlt_release(a2);
  dlt_release(b2);
  return r;
}

/* (..., m, k) @ (..., k, n) with broadcast batch dims; a and b at least 2-D, one dtype */
static dlt_tensor *matmul_batched(const dlt_tensor *a0, const dlt_tensor *b0) {
  int64_t bs[DLT_MAXDIM], shape[DLT_MAXDIM];
  int nb = dlt_broadcast_shape("matmul", a0->ndim - 2, a0->shape, b0->ndim - 2, b0->shape, bs);
  if (nb < 0) return NULL;
  int64_t m = a0->shape[a0->ndim - 2], n = b0->shape[b0->ndim - 1];
  memcpy(shape, bs, sizeof(int64_t) * (size_t)nb);
  shape[nb] = m;
  shape[nb + 1] = n;
  if (nb + 2 > DLT_MAXDIM) return dlt_fail("matmul: result would have %d dimensions, at most %d allowed", nb + 2, DLT_MAXDIM);
  /* operands whose matrices BLAS cannot read are made contiguous once */
  bool tr;
  int64_t ld;
  dlt_tensor a2d = dlt_narrow_hdr(a0, 0, 0, a0->shape[0]), b2d = dlt_narrow_hdr(b0, 0, 0, b0->shape[0]);
  a2d.ndim = b2d.ndim = 2;
  memcpy(a2d.shape, a0->shape + a0->ndim - 2, 2 * sizeof(int64_t));
  memcpy(a2d.stride, a0->stride + a0->ndim - 2, 2 * sizeof(int64_t));
  memcpy(b2d.shape, b0->shape + b0->ndim - 2, 2 * sizeof(int64_t));
  memcpy(b2d.stride, b0->stride + b0->ndim - 2, 2 * sizeof(int64_t));
  dlt_tensor *a = blas_layout(&a2d, &tr, &ld) ? dlt_retain((dlt_tensor *)a0) : dlt_clone(a0);
  dlt_tensor *b = a && blas_layout(&b2d, &tr, &ld) ? dlt_retain((dlt_tensor *)b0) : a ? dlt_clone(b0)
                                                                                      : NULL;
  dlt_tensor *r = b ? dlt_empty(nb + 2, shape, a0->dtype) : NULL;
  if (!r) goto done;
  int64_t sta[DLT_MAXDIM], stb[DLT_MAXDIM], idx[DLT_MAXDIM] = {0}, nbatch = 1;
  dlt_tensor ab = *a, bb = *b;
  ab.ndim = a->ndim - 2;
  bb.ndim = b->ndim - 2;
  dlt_bcast_strides(&ab, nb, bs, sta); /* a's batch dims, right-aligned against bs */
  dlt_bcast_strides(&bb, nb, bs, stb);
  for (int i = 0; i < nb; i++) nbatch *= bs[i];
  dlt_tensor A = a2d, B = b2d, C = *r;
  A.storage = a->storage;
  memcpy(A.stride, a->stride + a->ndim - 2, 2 * sizeof(int64_t));
  B.storage = b->storage;
  memcpy(B.stride, b->stride + b->ndim - 2, 2 * sizeof(int64_t));
  C.ndim = 2;
  C.shape[0] = m;
  C.shape[1] = n;
  C.stride[0] = n;
  C.stride[1] = 1;
  for (int64_t q = 0; q < nbatch; q++) {
    A.offset = a->offset;
    B.offset = b->offset;
    for (int i = 0; i < nb; i++) {
      A.offset += idx[i] * sta[i];
      B.offset += idx[i] * stb[i];
    }
    C.offset = q * m * n;
    if (dlt_gemm(false, false, 1, &A, &B, 0, &C)) {
      dlt_release(r);
      r = NULL;
      goto done;
    }
    for (int i = nb - 1; i >= 0 && ++idx[i] == bs[i]; i--) idx[i] = 0;
  }
done:
  dlt_release(a);
  dlt_release(b);
  return r;
}

static dlt_tensor *matmul_same(const dlt_tensor *a, const dlt_tensor *b) {
  if (a->ndim == 1 && b->ndim == 1) return dlt_dot(a, b);
  if (a->ndim == 2 && b->ndim == 2) return mm_same(a, b);
  /* 1-D operands become matrices ((k) -> (1,k) on the left, (k,1) on the right) and
   * that dim is dropped from the result; a >= 3-D times a matrix folds a's batch into m */
  dlt_tensor a2 = *a, b2 = *b;
  if (a->ndim == 1) {
    a2.ndim = 2;
    a2.shape[0] = 1;
    a2.shape[1] = a->shape[0];
    a2.stride[0] = a->shape[0];
    a2.stride[1] = a->stride[0];
  }
  if (b->ndim == 1) {
    b2.ndim = 2;
    b2.shape[0] = b->shape[0];
    b2.shape[1] = 1;
    b2.stride[0] = b->stride[0];
    b2.stride[1] = 1;
  }
  dlt_tensor *r;
  if (a->ndim >= 3 && b2.ndim == 2) {
    int64_t fold[2] = {-1, a->shape[a->ndim - 1]};
    dlt_tensor *af = dlt_reshape((dlt_tensor *)a, 2, fold);
    r = af ? mm_same(af, &b2) : NULL;
    dlt_release(af);
  } else {
    r = matmul_batched(&a2, &b2);
  }
  if (!r || (a->ndim != 1 && b->ndim != 1 && !(a->ndim >= 3 && b2.ndim == 2))) return r;
  int64_t shape[DLT_MAXDIM];
  int nd = 0;
  for (int i = 0; i < a->ndim - 1; i++) shape[nd++] = a->shape[i];
  if (a->ndim == 1)
    for (int i = 0; i < b->ndim - 2; i++) shape[nd++] = b->shape[i];
  if (b->ndim != 1) shape[nd++] = b->shape[b->ndim - 1];
  dlt_tensor *v = dlt_view(r, nd, shape);
  dlt_release(r);
  return v;
}

dlt_tensor *dlt_matmul(const dlt_tensor *a, const dlt_tensor *b) {
  if (check_floats("matmul", a, b)) return NULL;
  if (a->ndim == 0 || b->ndim == 0) {
    char sa[128], sb[128];
    return dlt_fail("matmul: both arguments need at least 1 dimension, got shapes %s and %s", dlt_shape_str(a, sa, sizeof sa),
                    dlt_shape_str(b, sb, sizeof sb));
  }
  int64_t ka = a->shape[a->ndim - 1], kb = b->shape[b->ndim >= 2 ? b->ndim - 2 : 0];
  if (ka != kb) return shape_error("matmul", a, b);
  if (a->dtype == b->dtype) return matmul_same(a, b);
  dlt_tensor *a2, *b2;
  if (promote2(a, b, &a2, &b2)) return NULL;
  dlt_tensor *r = matmul_same(a2, b2);
  dlt_release(a2);
  dlt_release(b2);
  return r;
}
