/* colormap.c: matplotlib's colormaps from the generated 256-entry tables; a "_r"
 * suffix reverses a map. Lookup is by nearest entry, as matplotlib's N=256 lut. */
#include <math.h>
#include <string.h>

#include "plot/plot.h"

int dlt_cmap_get(const char *fn, const char *name, dlt_cmap *out) {
  size_t n = strlen(name);
  int rev = n > 2 && strcmp(name + n - 2, "_r") == 0;
  for (int i = 0; dlt_cmap_tables[i].name; i++) {
    const char *t = dlt_cmap_tables[i].name;
    if (strlen(t) == (rev ? n - 2 : n) && strncmp(t, name, strlen(t)) == 0) {
      out->t = &dlt_cmap_tables[i];
      out->reversed = rev;
      return 0;
    }
  }
  return dlt_failn("%s: unknown colormap '%s'", fn, name);
}

/* matplotlib: index = int(t * N), t == 1 maps to N-1; NaN is transparent */
dlt_rgba dlt_cmap_eval(dlt_cmap c, double t) {
  if (isnan(t)) return (dlt_rgba){0, 0, 0, 0};
  int n = c.t->n;
  int i = t <= 0 ? 0 : t >= 1 ? n - 1
                              : (int)(t * n);
  if (i > n - 1) i = n - 1;
  if (c.reversed) i = n - 1 - i;
  return (dlt_rgba){c.t->rgb[i][0], c.t->rgb[i][1], c.t->rgb[i][2], 1};
}
