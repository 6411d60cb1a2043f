/* test_plot_fidelity.c: details seen side by side with matplotlib (issue 15, Fidelity):
 * colorbar ticks drawn as the style says (none in seaborn's whitegrid), filled contours
 * without light seams between bands, scatter edges of patch.linewidth, and a contour
 * set's colorbar spacing its levels evenly whatever their values. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"

enum { R = 40,
       C = 50 };

/* a contourf of Z = x over [0, 1] (bands are vertical strips) with a colorbar */
static dlt_figure *bands(const char *style, const double *levels, int nlevels, double alpha, dlt_artist **out) {
  cr_assert_eq(dlt_style_use(style), 0);
  dlt_figure *f = dlt_figure_new(5, 4, 100);
  cr_assert(f);
  dlt_axes *ax = dlt_figure_add_axes(f, 1, 1, 0, 0);
  static double X[C], Y[R], Z[R * C];
  for (int j = 0; j < C; j++) X[j] = (double)j / (C - 1);
  for (int i = 0; i < R; i++) Y[i] = (double)i / (R - 1);
  for (int i = 0; i < R; i++)
    for (int j = 0; j < C; j++) Z[i * C + j] = levels ? pow(10, 3 * X[j]) : X[j] + 0.3 * Y[i];
  dlt_artist *a = dlt_plot_contour(ax, X, Y, Z, R, C, 0, levels, nlevels, 30, 1);
  cr_assert(a);
  a->alpha = alpha;
  cr_assert_eq(dlt_axes_colorbar(ax, a, NULL), 0);
  if (out) *out = a;
  return f;
}

static const unsigned char *px(const unsigned char *img, int w, int x, int y) { return img + ((size_t)y * w + x) * 4; }
static int dark(const unsigned char *p) { return p[0] + p[1] + p[2] < 3 * 128; }

/* the number of dark pixels in column x, rows y0 .. y1 */
static int dark_in_column(const unsigned char *img, int w, int x, int y0, int y1) {
  int n = 0;
  for (int y = y0; y <= y1; y++) n += dark(px(img, w, x, y));
  return n;
}

Test(plot_fidelity, colorbar_ticks_follow_the_style_and_whitegrid_has_none) {
  const char *styles[] = {"default", "seaborn-v0_8-whitegrid"};
  for (int k = 0; k < 2; k++) {
    dlt_figure *f = bands(styles[k], NULL, 0, 1, NULL);
    int w, h;
    unsigned char *img = dlt_figure_render_rgba(f, &w, &h);
    cr_assert(img);
    dlt_axes *ax = f->ax[0];
    /* the column 2 px right of the bar, where an outward tick of 3.5 pt (4.9 px) is */
    int x = (int)floor(ax->cb[0] + ax->cb[2]) + 2, y0 = (int)ceil(ax->cb[1]) + 1, y1 = (int)floor(ax->cb[1] + ax->cb[3]) - 1;
    int n = dark_in_column(img, w, x, y0, y1);
    if (k == 0) cr_expect(n >= 4, "default style: ticks right of the colorbar (%d dark pixels)", n);
    else cr_expect_eq(n, 0, "whitegrid (ytick.major.size 0): no ticks, got %d dark pixels", n);
    free(img);
    dlt_figure_free(f);
  }
}

Test(plot_fidelity, filled_contour_bands_meet_without_light_seams) {
  /* bands of alpha 0.7 over white: every pixel inside the axes is one band's colour
   * (antialiased shared edges let the white through as light hairlines) */
  dlt_artist *a;
  dlt_figure *f = bands("default", NULL, 0, 0.7, &a);
  int w, h;
  unsigned char *img = dlt_figure_render_rgba(f, &w, &h);
  cr_assert(img);
  dlt_axes *ax = f->ax[0];
  int nb = a->nlevels - 1, odd = 0, ox = 0, oy = 0;
  for (int y = (int)ax->by + 3; y < (int)(ax->by + ax->bh) - 3; y++)
    for (int x = (int)ax->bx + 3; x < (int)(ax->bx + ax->bw) - 3; x++) {
      const unsigned char *p = px(img, w, x, y);
      int found = 0;
      for (int i = 0; i < nb && !found; i++) {
        /* band i's colour at alpha 0.7 over white */
        dlt_rgba c = dlt_cmap_eval(a->cmap, (0.5 * (a->levels[i] + a->levels[i + 1]) - a->vmin) / (a->vmax - a->vmin));
        double e[3] = {c.r, c.g, c.b};
        int ok = 1;
        for (int ch = 0; ch < 3; ch++) ok &= fabs(p[ch] - 255 * (0.7 * e[ch] + 0.3)) <= 2;
        found = ok;
      }
      if (!found && !odd++) ox = x, oy = y;
    }
  cr_expect_eq(odd, 0, "%d pixels are no band's colour (first at %d,%d)", odd, ox, oy);
  free(img);
  dlt_figure_free(f);
}

Test(plot_fidelity, scatter_edges_are_patch_linewidth_wide) {
  cr_assert_eq(dlt_style_use("seaborn-v0_8-whitegrid"), 0);
  dlt_figure *f = dlt_figure_new(4, 3, 100);
  dlt_axes *ax = dlt_figure_add_axes(f, 1, 1, 0, 0);
  double x[] = {0.5}, y[] = {0.5};
  dlt_artist *a = dlt_plot_scatter(ax, x, y, 1);
  cr_assert(a);
  /* matplotlib's PathCollection default (patch.linewidth 1.0 pt: 1.39 px at 100 dpi),
   * not lines.linewidth 1.5 */
  cr_expect_float_eq(a->lw, 1.0, 1e-12);
  cr_expect_float_eq(a->lw, f->st.patch_lw, 1e-12);
  dlt_figure_free(f);
}

Test(plot_fidelity, a_colorbar_of_log_spaced_levels_gives_every_band_the_same_height) {
  double lev[7];
  for (int i = 0; i < 7; i++) lev[i] = pow(10, 0.5 * i); /* 1 .. 1000 */
  dlt_figure *f = bands("default", lev, 7, 1, NULL);
  int w, h;
  unsigned char *img = dlt_figure_render_rgba(f, &w, &h);
  cr_assert(img);
  dlt_axes *ax = f->ax[0];
  int x = (int)(ax->cb[0] + ax->cb[2] / 2), y0 = (int)ceil(ax->cb[1]) + 3, y1 = (int)floor(ax->cb[1] + ax->cb[3]) - 3;
  /* the rows where the colour changes down the bar's middle */
  double edges[8];
  int ne = 0;
  for (int y = y0 + 1; y <= y1 && ne < 8; y++)
    if (memcmp(px(img, w, x, y), px(img, w, x, y - 1), 3) != 0) edges[ne++] = y;
  cr_assert_eq(ne, 5, "6 bands meet at 5 rows, found %d (%g %g %g %g %g %g; bar %g + %g)", ne, edges[0], edges[1], edges[2], edges[3], edges[4], edges[5], ax->cb[1], ax->cb[3]);
  for (int k = 0; k < 5; k++) {
    double want = ax->cb[1] + ax->cb[3] * (k + 1) / 6.0;
    cr_expect(fabs(edges[k] - want) <= 1, "band edge %d at row %g, evenly spaced would be %g", k + 1, edges[k], want);
  }
  free(img);
  dlt_figure_free(f);
}
