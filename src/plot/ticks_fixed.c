/* ticks_fixed.c: ticks an axes was given (set_xticks / set_yticks: matplotlib's
 * FixedLocator, with a FixedFormatter when labels come too). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"

static void clear(dlt_ticks_fixed *t) {
  for (int i = 0; t->lab && i < t->n; i++) free(t->lab[i]);
  free(t->lab), free(t->v);
  t->lab = NULL, t->v = NULL, t->n = 0, t->set = 0;
}

void dlt_axes_free_ticks(dlt_axes *ax) { clear(&ax->fixed[0]), clear(&ax->fixed[1]); }

int dlt_axes_set_ticks(dlt_axes *ax, int yaxis, const double *v, int n, const char *const *lab) {
  const char *fn = yaxis ? "set_yticks" : "set_xticks";
  if (n < 0 || n > DLT_MAXTICKS) return dlt_failn("%s: %d ticks are too many (at most %d)", fn, n, DLT_MAXTICKS);
  for (int i = 0; i < n; i++)
    if (!isfinite(v[i])) return dlt_failn("%s: tick %d is %g, not a finite number", fn, i + 1, v[i]);
  double *nv = dlt_malloc((size_t)(n ? n : 1) * sizeof *nv);
  char **nl = lab ? dlt_calloc((size_t)(n ? n : 1), sizeof *nl) : NULL;
  if (!nv || (lab && !nl)) {
    free(nv), free(nl);
    return -1;
  }
  if (n) memcpy(nv, v, (size_t)n * sizeof *nv);
  for (int i = 0; lab && i < n; i++)
    if (dlt_set_string(&nl[i], lab[i], fn) != 0) {
      for (int k = 0; k < i; k++) free(nl[k]);
      free(nv), free(nl);
      return -1;
    }
  dlt_ticks_fixed *t = &ax->fixed[yaxis];
  clear(t);
  t->v = nv, t->lab = nl, t->n = n, t->set = 1;
  return 0;
}
