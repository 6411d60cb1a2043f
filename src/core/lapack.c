/* lapack.c: dgelsd, dgeqrf and dorgqr through OpenBLAS's Fortran LAPACK symbols, each
 * asking for its optimal workspace first (lwork = -1) and then running once. */
#include <stdlib.h>

#include "core/error.h"
#include "core/lapack.h"

/* Fortran LAPACK (LP64: 32-bit integers), every argument by reference */
extern void dgelsd_(const int *m, const int *n, const int *nrhs, double *a, const int *lda, double *b,
                    const int *ldb, double *s, const double *rcond, int *rank, double *work, const int *lwork,
                    int *iwork, int *info);
extern void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau, double *work,
                    const int *lwork, int *info);
extern void dorgqr_(const int *m, const int *n, const int *k, double *a, const int *lda, const double *tau,
                    double *work, const int *lwork, int *info);

#define NO_MEMORY (-1000)

/* the workspace length a query returned in w, at least 1 */
static int lwork_of(double w) { return w >= 1 ? (int)w : 1; }

int dlt_lapack_dgelsd(int m, int n, int nrhs, double *a, int lda, double *b, int ldb, double *s, double rcond,
                      int *rank) {
  double wq = 0;
  int iq = 0, lwork = -1, info = 0;
  dgelsd_(&m, &n, &nrhs, a, &lda, b, &ldb, s, &rcond, rank, &wq, &lwork, &iq, &info);
  if (info) return info;
  lwork = lwork_of(wq);
  double *work = dlt_malloc(sizeof(double) * (size_t)lwork);
  int *iwork = dlt_malloc(sizeof(int) * (size_t)(iq > 1 ? iq : 1));
  if (!work || !iwork) {
    free(work);
    free(iwork);
    return NO_MEMORY;
  }
  dgelsd_(&m, &n, &nrhs, a, &lda, b, &ldb, s, &rcond, rank, work, &lwork, iwork, &info);
  free(work);
  free(iwork);
  return info;
}

int dlt_lapack_dgeqrf(int m, int n, double *a, int lda, double *tau) {
  double wq = 0;
  int lwork = -1, info = 0;
  dgeqrf_(&m, &n, a, &lda, tau, &wq, &lwork, &info);
  if (info) return info;
  lwork = lwork_of(wq);
  double *work = dlt_malloc(sizeof(double) * (size_t)lwork);
  if (!work) return NO_MEMORY;
  dgeqrf_(&m, &n, a, &lda, tau, work, &lwork, &info);
  free(work);
  return info;
}

int dlt_lapack_dorgqr(int m, int n, int k, double *a, int lda, const double *tau) {
  double wq = 0;
  int lwork = -1, info = 0;
  dorgqr_(&m, &n, &k, a, &lda, tau, &wq, &lwork, &info);
  if (info) return info;
  lwork = lwork_of(wq);
  double *work = dlt_malloc(sizeof(double) * (size_t)lwork);
  if (!work) return NO_MEMORY;
  dorgqr_(&m, &n, &k, a, &lda, tau, work, &lwork, &info);
  free(work);
  return info;
}
