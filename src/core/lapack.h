/* lapack.h: the LAPACK routines dlt calls, taken straight from OpenBLAS (which carries
 * LAPACK) through their Fortran entry points, so no LAPACKE library is loaded. */
#ifndef DLT_LAPACK_H
#define DLT_LAPACK_H

#include <stdint.h>

/* Each returns LAPACK's info (0 on success), or -1000 when the workspace could not be
 * allocated (dlt_fail has then been called). Matrices are column-major. */
int dlt_lapack_dgelsd(int m, int n, int nrhs, double *a, int lda, double *b, int ldb, double *s, double rcond,
                      int *rank);
int dlt_lapack_dgeqrf(int m, int n, double *a, int lda, double *tau);
int dlt_lapack_dorgqr(int m, int n, int k, double *a, int lda, const double *tau);

#endif
