/* mpi_allreduce.c: what dlt.distributed.all_reduce adds to MPI. Alternates, call by call
 * (so both see the same machine load; each first on every other call, after the same
 * preparation), MPI_Allreduce (sum, in place) of n floats called
 * straight from C with the path all_reduce takes below its Lua argument checks: the
 * cross-rank agreement check (dlt_comm_agree, one small MPI_Allgather) and
 * dlt_comm_allreduce. Prints the median of each over reps calls, each after a barrier.
 * Run: mpirun -np 2 --bind-to core build/bench/mpi_allreduce [n] [reps]
 * (n defaults to the 784-512-256-10 MLP's 535818 parameters). dlt's calls go through its
 * MPI module as dltlua's do: the one this build made, unless DLT_MPI_MODULE names another. */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include <mpi.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "dist/comm.h"

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *t, int n) {
  qsort(t, (size_t)n, sizeof *t, cmp);
  return t[n / 2];
}

int main(int argc, char **argv) {
  setenv("DLT_MPI_MODULE", DLT_MPI_MODULE_BUILT, 0);
  if (dlt_comm_init()) {
    fprintf(stderr, "%s\n", dlt_error());
    return 1;
  }
  int n = argc > 1 ? atoi(argv[1]) : 535818, reps = argc > 2 ? atoi(argv[2]) : 200;
  float *buf = malloc(sizeof *buf * (size_t)n);
  double *raw = malloc(sizeof *raw * (size_t)reps), *dlt = malloc(sizeof *dlt * (size_t)reps);
  for (int i = 0; i < n; i++) buf[i] = 1e-3f * (float)(i % 1000);
  static const char *const what[3] = {"numel", "dtype", "op"};
  const int64_t meta[3] = {n, DLT_FLOAT32, DLT_REDUCE_SUM};
  /* each call after the same preparation (buf rescaled, so in this core's cache, then a
   * barrier), and the two in turns, each first on every other rep */
  for (int r = 0; r < reps; r++)
    for (int k = 0; k < 2; k++) {
      bool raw_turn = (k == 0) == (r % 2 == 0);
      for (int i = 0; i < n; i++) buf[i] *= 0.25f; /* keep the values finite */
      MPI_Barrier(MPI_COMM_WORLD);
      double t0 = MPI_Wtime();
      if (raw_turn) {
        MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        raw[r] = MPI_Wtime() - t0;
      } else {
        if (dlt_comm_agree("all_reduce", what, meta, 3) ||
            dlt_comm_allreduce("all_reduce", buf, n, DLT_FLOAT32, DLT_REDUCE_SUM)) {
          fprintf(stderr, "%s\n", dlt_error());
          return 1;
        }
        dlt[r] = MPI_Wtime() - t0;
      }
    }
  double m_raw = median(raw, reps), m_dlt = median(dlt, reps);
  if (dlt_comm_rank() == 0)
    printf(
      "%d floats (%.2f MB), medians over %d alternating calls: MPI_Allreduce %.1f us, "
      "dlt (agreement check + allreduce) %.1f us: %+.1f%%\n",
      n, n * 4e-6, reps, m_raw * 1e6, m_dlt * 1e6, 100 * (m_dlt / m_raw - 1));
  free(buf), free(raw), free(dlt);
  dlt_comm_finalize();
  return 0;
}
