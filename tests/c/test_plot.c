/* test_plot.c: the plotting engine by what it draws: colours and colormaps, format
 * strings, tick locators, histograms, marching squares (a circle, saddles, NaN
 * holes), pixels of rendered lines and contours, and the PNG files savefig writes
 * (size, pHYs, tEXt; nothing left behind when writing fails). */
#include <criterion/criterion.h>
#include <math.h>
#include <png.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "plot/plot.h"

static int file_exists(const char *p) { return access(p, F_OK) == 0; }

/* ---- colours, colormaps, format strings ---- */

Test(plot_color, parses_letters_names_hex_greys_and_cycle) {
  dlt_rgba c;
  cr_assert_eq(dlt_color_parse("t", "r", &c), 0);
  cr_expect(c.r == 1 && c.g == 0 && c.b == 0 && c.a == 1);
  cr_assert_eq(dlt_color_parse("t", "steelblue", &c), 0); /* #4682b4 */
  cr_expect(fabs(c.r - 0x46 / 255.0) < 1e-12 && fabs(c.g - 0x82 / 255.0) < 1e-12 && fabs(c.b - 0xb4 / 255.0) < 1e-12);
  cr_assert_eq(dlt_color_parse("t", "#1f77b480", &c), 0);
  cr_expect(fabs(c.a - 0x80 / 255.0) < 1e-12);
  cr_assert_eq(dlt_color_parse("t", ".8", &c), 0);
  cr_expect(c.r == 0.8 && c.g == 0.8 && c.b == 0.8);
  cr_assert_eq(dlt_color_parse("t", "C1", &c), 0); /* tab:orange */
  cr_expect(fabs(c.r - 1.0) < 1e-12 && fabs(c.g - 0x7f / 255.0) < 1e-12);
  cr_assert_eq(dlt_color_parse("t", "LightGray", &c), 0);
}

Test(plot_color, unknown_colour_is_an_error_naming_it) {
  dlt_rgba c;
  cr_assert_eq(dlt_color_parse("plot", "bluish", &c), -1);
  cr_expect_str_eq(dlt_error(), "plot: unknown colour 'bluish'");
  cr_assert_eq(dlt_color_parse("plot", "#12345", &c), -1);
  cr_assert_eq(dlt_color_parse("plot", "1.5", &c), -1);
}

Test(plot_cmap, viridis_ends_and_reversal) {
  dlt_cmap m, r;
  cr_assert_eq(dlt_cmap_get("t", "viridis", &m), 0);
  dlt_rgba lo = dlt_cmap_eval(m, 0), hi = dlt_cmap_eval(m, 1);
  cr_expect(fabs(lo.r - 0.267004) < 1e-6 && fabs(lo.g - 0.004874) < 1e-6 && fabs(lo.b - 0.329415) < 1e-6);
  cr_expect(hi.r > 0.9 && hi.g > 0.85 && hi.b < 0.2, "viridis(1) is yellow");
  cr_assert_eq(dlt_cmap_get("t", "viridis_r", &r), 0);
  dlt_rgba rlo = dlt_cmap_eval(r, 0);
  cr_expect(rlo.r == hi.r && rlo.g == hi.g && rlo.b == hi.b);
  cr_assert_eq(dlt_cmap_get("contour", "viridiss", &m), -1);
  cr_expect_str_eq(dlt_error(), "contour: unknown colormap 'viridiss'");
}

Test(plot_fmt, matplotlib_format_strings) {
  dlt_linestyle ls = {0};
  int c, l, m;
  cr_assert_eq(dlt_parse_fmt("plot", "r*", &ls, &c, &l, &m), 0);
  cr_expect(c && m && ls.marker == '*' && ls.ls == DLT_LS_NONE && ls.color.r == 1);
  cr_assert_eq(dlt_parse_fmt("plot", "g--", &ls, &c, &l, &m), 0);
  cr_expect(ls.ls == DLT_LS_DASHED && ls.marker == 0 && ls.color.g > 0.49 && ls.color.r == 0);
  cr_assert_eq(dlt_parse_fmt("plot", "bo-", &ls, &c, &l, &m), 0);
  cr_expect(ls.ls == DLT_LS_SOLID && ls.marker == 'o');
  cr_assert_eq(dlt_parse_fmt("plot", "-o", &ls, &c, &l, &m), 0);
  cr_expect(!c && ls.ls == DLT_LS_SOLID && ls.marker == 'o');
  cr_assert_eq(dlt_parse_fmt("plot", "k:", &ls, &c, &l, &m), 0);
  cr_expect(ls.ls == DLT_LS_DOTTED);
  cr_assert_eq(dlt_parse_fmt("plot", "purple", &ls, &c, &l, &m), 0); /* a colour name alone */
  cr_expect(c && ls.ls == DLT_LS_SOLID && ls.marker == 0 && fabs(ls.color.r - 128 / 255.0) < 1e-12);
  cr_assert_eq(dlt_parse_fmt("plot", "rq", &ls, &c, &l, &m), -1);
  cr_expect_str_eq(dlt_error(), "plot: unrecognized format string 'rq' (at 'q')");
  char mk;
  cr_assert_eq(dlt_check_marker("scatter", "p", &mk), -1);
  int style;
  cr_assert_eq(dlt_parse_linestyle("plot", "dashdot", &style), 0);
  cr_expect_eq(style, DLT_LS_DASHDOT);
  cr_assert_eq(dlt_parse_linestyle("plot", "~~", &style), -1);
}

/* ---- ticks ---- */

static void expect_ticks(const double *got, int n, const double *want, int m, const char *what) {
  cr_assert_eq(n, m, "%s: %d ticks, expected %d", what, n, m);
  for (int i = 0; i < n; i++)
    cr_expect(fabs(got[i] - want[i]) <= 1e-12 * fmax(1, fabs(want[i])), "%s: tick %d is %.17g, expected %.17g", what, i, got[i], want[i]);
}

Test(plot_ticks, autolocator_nice_steps) {
  double t[DLT_MAXTICKS];
  /* nbins 9 over [0, 1]: raw step 0.111 rounds up to 0.2 */
  int n = dlt_ticks_maxn(0, 1, 9, 2, 1, t);
  expect_ticks(t, n, (double[]){0, 0.2, 0.4, 0.6, 0.8, 1.0}, 6, "[0,1]");
  n = dlt_ticks_maxn(-2, 2, 9, 2, 1, t);
  expect_ticks(t, n, (double[]){-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2}, 9, "[-2,2]");
  n = dlt_ticks_maxn(0, 500, 9, 2, 1, t);
  expect_ticks(t, n, (double[]){0, 100, 200, 300, 400, 500}, 6, "[0,500]");
  /* -10..10 with 9 bins takes the 2.5 step */
  n = dlt_ticks_maxn(-10, 10, 9, 2, 1, t);
  expect_ticks(t, n, (double[]){-10, -7.5, -5, -2.5, 0, 2.5, 5, 7.5, 10}, 9, "[-10,10]");
}

Test(plot_ticks, labels_drop_trailing_zeros_and_use_minus_sign) {
  double t[] = {-1, -0.5, 0, 0.5, 1};
  char lab[5][40];
  cr_expect_eq(dlt_ticks_format(t, 5, -1, 1, lab), 0);
  cr_expect_str_eq(lab[0],
                   "\xe2\x88\x92"
                   "1.0");
  cr_expect_str_eq(lab[2], "0.0");
  cr_expect_str_eq(lab[3], "0.5");
  double u[] = {0, 100, 200};
  dlt_ticks_format(u, 3, 0, 200, lab);
  cr_expect_str_eq(lab[1], "100");
}

Test(plot_ticks, log_locator_decades) {
  double t[DLT_MAXTICKS];
  int n = dlt_ticks_log(1e-6, 1e2, 9, t);
  int inside = 0;
  for (int i = 0; i < n; i++) inside += t[i] >= 1e-6 * (1 - 1e-9) && t[i] <= 1e2 * (1 + 1e-9);
  cr_expect_eq(inside, 9, "every decade from 1e-6 to 1e2 is a tick (got %d)", inside);
  char lab[40];
  dlt_ticks_format_log(1e-6, lab, sizeof lab);
  cr_expect_str_eq(lab,
                   "10^{\xe2\x88\x92"
                   "6}");
  dlt_ticks_format_log(100, lab, sizeof lab);
  cr_expect_str_eq(lab, "10^{2}");
}

Test(plot_ticks, contour_levels_from_a_count) {
  double lev[DLT_MAXTICKS];
  int n = dlt_contour_autolevels(0, 1, 50, lev);
  cr_expect_eq(n, 51);
  cr_expect(fabs(lev[1] - 0.02) < 1e-12 && fabs(lev[50] - 1) < 1e-12);
}

/* ---- histogram ---- */

Test(plot_hist, counts_close_the_last_bin_and_density_integrates_to_one) {
  double v[] = {0, 0.5, 1, 1.5, 2, 2, 3, 7, NAN};
  double edges[] = {0, 1, 2, 3}, c[3];
  cr_assert_eq(dlt_histogram(v, 9, edges, 3, 0, c), 0);
  cr_expect(c[0] == 2 && c[1] == 2 && c[2] == 3, "counts %g %g %g", c[0], c[1], c[2]);
  double e2[] = {0, 0.5, 2, 3};
  cr_assert_eq(dlt_histogram(v, 9, e2, 3, 1, c), 0);
  double integral = c[0] * 0.5 + c[1] * 1.5 + c[2] * 1;
  cr_expect(fabs(integral - 1) < 1e-12, "density integrates to %.17g", integral);
  double bad[] = {0, 2, 1};
  cr_expect_eq(dlt_histogram(v, 9, bad, 2, 0, c), -1);
}

/* ---- marching squares ---- */

#define N 101
static double gx[N * N], gy[N * N], gz[N * N];

static void circle_grid(void) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      double x = -2 + 4.0 * j / (N - 1), y = -2 + 4.0 * i / (N - 1);
      gx[i * N + j] = x, gy[i * N + j] = y, gz[i * N + j] = x * x + y * y;
    }
}

Test(plot_contour, level_r2_of_x2_plus_y2_is_one_closed_circle_of_radius_r) {
  circle_grid();
  dlt_paths p = {0};
  for (double r = 0.5; r <= 1.75; r += 0.25) {
    cr_assert_eq(dlt_contour_lines(gx, gy, gz, N, N, r * r, &p), 0);
    cr_expect_eq(p.n, 1, "r=%g: %d paths", r, p.n);
    cr_expect(p.closed[0], "r=%g: the circle is closed", r);
    double worst = 0;
    for (int i = 0; i < p.npts; i++) worst = fmax(worst, fabs(hypot(p.x[i], p.y[i]) - r));
    /* linear interpolation of r^2 on a grid of step h misses the level by at most
     * h^2/4, which is about h^2/(8r) off the circle radially */
    cr_expect(worst < 1.01 * 0.04 * 0.04 / (8 * r), "r=%g: a point is %g off the circle", r, worst);
    cr_expect(p.npts > 4 * r / 0.04, "r=%g: %d points", r, p.npts);
  }
  dlt_paths_free(&p);
}

Test(plot_contour, saddles_follow_the_centre_value) {
  /* corners (0,0)=1 (0,1)=0 (1,1)=1 (1,0)=0: level 0.5 crosses all four edges */
  double X[] = {0, 1, 0, 1}, Y[] = {0, 0, 1, 1};
  double hi[] = {1, 0, 0, 1.2}, lo[] = {1, 0, 0, 0.8}; /* centre 0.55 vs 0.45 */
  dlt_paths p = {0};
  cr_assert_eq(dlt_contour_lines(X, Y, hi, 2, 2, 0.5, &p), 0);
  cr_assert_eq(p.n, 2);
  /* centre above the level joins the high corners (0,0) and (1,1): each segment then
   * cuts off a low corner, (1,0) or (0,1) */
  for (int k = 0; k < 2; k++) {
    double mx = (p.x[p.start[k]] + p.x[p.start[k] + 1]) / 2, my = (p.y[p.start[k]] + p.y[p.start[k] + 1]) / 2;
    cr_expect(fabs(mx - my) > 0.3, "segment %d separates a low corner (midpoint %g,%g)", k, mx, my);
  }
  cr_assert_eq(dlt_contour_lines(X, Y, lo, 2, 2, 0.5, &p), 0);
  cr_assert_eq(p.n, 2);
  for (int k = 0; k < 2; k++) {
    double mx = (p.x[p.start[k]] + p.x[p.start[k] + 1]) / 2, my = (p.y[p.start[k]] + p.y[p.start[k] + 1]) / 2;
    cr_expect(fabs(mx + my - 1) > 0.3, "segment %d separates a high corner (midpoint %g,%g)", k, mx, my);
  }
  dlt_paths_free(&p);
}

Test(plot_contour, nan_cells_are_holes_not_errors) {
  circle_grid();
  gz[50 * N + 75] = NAN; /* on the r=1 circle at (1, 0) */
  dlt_paths p = {0};
  cr_assert_eq(dlt_contour_lines(gx, gy, gz, N, N, 1.0, &p), 0);
  cr_expect_eq(p.n, 1);
  cr_expect(!p.closed[0], "the circle is cut open at the NaN");
  cr_assert_eq(dlt_contour_band(gx, gy, gz, N, N, 0.5, 1.5, &p), 0);
  cr_expect(p.n > 0);
  dlt_paths_free(&p);
}

Test(plot_contour, bands_cover_the_area_between_levels) {
  circle_grid();
  dlt_paths p = {0};
  cr_assert_eq(dlt_contour_band(gx, gy, gz, N, N, 1.0, 4.0, &p), 0);
  double area = 0; /* shoelace over all polygons (all oriented alike) */
  for (int k = 0; k < p.n; k++)
    for (int i = p.start[k]; i < p.start[k + 1]; i++) {
      int j = i + 1 < p.start[k + 1] ? i + 1 : p.start[k];
      area += p.x[i] * p.y[j] - p.x[j] * p.y[i];
    }
  area = fabs(area) / 2;
  double want = M_PI * (4 - 1); /* the ring 1 <= r <= 2 */
  cr_expect(fabs(area - want) < 0.01 * want, "ring area %g, expected %g", area, want);
  dlt_paths_free(&p);
}

static double paths_area(const dlt_paths *p) {
  double area = 0; /* shoelace over all polygons (all oriented alike) */
  for (int k = 0; k < p->n; k++)
    for (int i = p->start[k]; i < p->start[k + 1]; i++) {
      int j = i + 1 < p->start[k + 1] ? i + 1 : p->start[k];
      area += p->x[i] * p->y[j] - p->x[j] * p->y[i];
    }
  return fabs(area) / 2;
}

Test(plot_contour, all_bands_in_one_pass_are_the_rings_between_levels) {
  circle_grid();
  double lev[] = {0, 1, 2, 4};
  dlt_paths b[3] = {{0}};
  cr_assert_eq(dlt_contour_bands(gx, gy, gz, N, N, lev, 4, b), 0);
  double want[] = {M_PI * 1, M_PI * 1, M_PI * 2};
  for (int k = 0; k < 3; k++) {
    double area = paths_area(&b[k]);
    cr_expect(fabs(area - want[k]) < 0.01 * want[k], "band %d: area %g, expected %g", k, area, want[k]);
    dlt_paths_free(&b[k]);
  }
}

Test(plot_contour, a_band_comes_as_one_outline_per_row_piece_even_on_a_skewed_grid) {
  circle_grid();
  dlt_paths p = {0};
  cr_assert_eq(dlt_contour_band(gx, gy, gz, N, N, 1.0, 4.0, &p), 0);
  /* the ring crosses each row of cells at most twice: the cells' parts are merged */
  cr_expect(p.n <= 2 * (N - 1), "%d outlines for %d rows", p.n, N - 1);
  /* a sheared grid (not rectilinear: no runs of whole cells) gives the same area */
  static double sx[N * N];
  for (int k = 0; k < N * N; k++) sx[k] = gx[k] + 0.25 * gy[k];
  cr_assert_eq(dlt_contour_band(sx, gy, gz, N, N, 1.0, 4.0, &p), 0);
  double area = paths_area(&p), want = M_PI * 3;
  cr_expect(fabs(area - want) < 0.01 * want, "sheared ring area %g, expected %g", area, want);
  cr_expect(p.n <= 2 * (N - 1), "%d outlines for %d rows", p.n, N - 1);
  dlt_paths_free(&p);
}

Test(plot_contour, bands_of_two_row_ranges_joined_are_the_bands_of_all_rows_path_for_path) {
  circle_grid();
  /* levels not evenly spaced and evenly spaced: both ways of finding a value's band */
  double lev[2][5] = {{0, 0.5, 1, 2.5, 4}, {0, 1, 2, 3, 4}};
  for (int L = 0; L < 2; L++) {
    dlt_paths all[4] = {{0}}, top[4] = {{0}}, bot[4] = {{0}};
    int m = (N - 1) / 3;
    cr_assert_eq(dlt_contour_bands(gx, gy, gz, N, N, lev[L], 5, all), 0);
    cr_assert_eq(dlt_contour_bands_rows(gx, gy, gz, N, N, lev[L], 5, 0, m, top), 0);
    cr_assert_eq(dlt_contour_bands_rows(gx, gy, gz, N, N, lev[L], 5, m, N - 1, bot), 0);
    for (int k = 0; k < 4; k++) {
      cr_assert_eq(all[k].n, top[k].n + bot[k].n, "band %d: %d paths", k, all[k].n);
      int nt = top[k].start[top[k].n];
      for (int i = 0; i < all[k].start[all[k].n]; i++) {
        const dlt_paths *q = i < nt ? &top[k] : &bot[k];
        int j = i < nt ? i : i - nt;
        cr_assert(all[k].x[i] == q->x[j] && all[k].y[i] == q->y[j], "band %d point %d", k, i);
      }
      dlt_paths_free(&all[k]), dlt_paths_free(&top[k]), dlt_paths_free(&bot[k]);
    }
  }
}

/* ---- rendered pixels ---- */

static dlt_figure *one_axes(dlt_axes **ax) {
  cr_assert_eq(dlt_style_use("seaborn-v0_8-whitegrid"), 0);
  dlt_figure *f = dlt_figure_new(4, 4, 100);
  cr_assert(f);
  *ax = dlt_figure_add_axes(f, 1, 1, 0, 0);
  cr_assert(*ax);
  (*ax)->grid = 0;
  (*ax)->xlim[0] = (*ax)->ylim[0] = 0, (*ax)->xlim[1] = (*ax)->ylim[1] = 1;
  (*ax)->xlim_set = (*ax)->ylim_set = 1;
  return f;
}

static const unsigned char *pix(const unsigned char *img, int w, double x, double y) {
  return img + ((size_t)lround(floor(y)) * w + (size_t)lround(floor(x))) * 4;
}

Test(plot_render, a_line_between_two_points_passes_through_the_expected_pixels) {
  dlt_axes *ax;
  dlt_figure *f = one_axes(&ax);
  double x[] = {0.1, 0.9}, y[] = {0.2, 0.8};
  dlt_artist *a = dlt_plot_line(ax, x, y, 2);
  cr_assert(a);
  a->ls.color = (dlt_rgba){1, 0, 0, 1}, a->ls.width = 3;
  int w, h;
  unsigned char *img = dlt_figure_render_rgba(f, &w, &h);
  cr_assert(img);
  cr_expect_eq(w, 400);
  cr_expect_eq(h, 400);
  for (double t = 0.05; t < 1; t += 0.1) {
    double dx = 0.1 + 0.8 * t, dy = 0.2 + 0.6 * t;
    double px = dlt_data_px(ax, 0, dx), py = dlt_data_px(ax, 1, dy);
    const unsigned char *p = pix(img, w, px, py);
    cr_expect(p[0] > 200 && p[1] < 60 && p[2] < 60, "pixel (%g,%g) on the line is %d,%d,%d", px, py, p[0], p[1], p[2]);
    /* 8 pixels above the line is background */
    const unsigned char *q = pix(img, w, px, py - 8);
    cr_expect(q[0] > 240 && q[1] > 240 && q[2] > 240, "pixel above the line is %d,%d,%d", q[0], q[1], q[2]);
  }
  /* the axes maps data [0,1] onto the box matplotlib's subplot parameters give */
  cr_expect(fabs(dlt_data_px(ax, 0, 0) - 0.125 * 400) < 1e-9 && fabs(dlt_data_px(ax, 0, 1) - 0.9 * 400) < 1e-9);
  cr_expect(fabs(dlt_data_px(ax, 1, 0) - (1 - 0.11) * 400) < 1e-9 && fabs(dlt_data_px(ax, 1, 1) - (1 - 0.88) * 400) < 1e-9);
  free(img);
  dlt_figure_free(f);
}

Test(plot_render, nan_breaks_a_line) {
  dlt_axes *ax;
  dlt_figure *f = one_axes(&ax);
  double x[] = {0.1, 0.3, 0.5, 0.7, 0.9}, y[] = {0.5, 0.5, NAN, 0.5, 0.5};
  dlt_artist *a = dlt_plot_line(ax, x, y, 5);
  a->ls.color = (dlt_rgba){0, 0, 1, 1}, a->ls.width = 3;
  int w, h;
  unsigned char *img = dlt_figure_render_rgba(f, &w, &h);
  cr_assert(img);
  double py = dlt_data_px(ax, 1, 0.5);
  const unsigned char *on = pix(img, w, dlt_data_px(ax, 0, 0.2), py), *gap = pix(img, w, dlt_data_px(ax, 0, 0.5), py);
  cr_expect(on[2] > 200 && on[0] < 60, "segment before the NaN is drawn");
  cr_expect(gap[0] > 240 && gap[2] > 240, "no line through the NaN (%d,%d,%d)", gap[0], gap[1], gap[2]);
  free(img);
  dlt_figure_free(f);
}

Test(plot_render, contour_circle_lands_within_a_pixel_of_radius_r) {
  circle_grid();
  dlt_axes *ax;
  dlt_figure *f = one_axes(&ax);
  ax->xlim[0] = ax->ylim[0] = -2, ax->xlim[1] = ax->ylim[1] = 2;
  ax->r0 = 0;
  double lev[] = {1.0};
  dlt_artist *a = dlt_plot_contour(ax, gx, gy, gz, N, N, 1, lev, 1, 0, 0);
  cr_assert(a);
  a->lcolors = malloc(sizeof *a->lcolors), a->nlcolors = 1, a->lcolors[0] = (dlt_rgba){0, 0, 0, 1};
  a->ls.width = 1;
  int w, h;
  unsigned char *img = dlt_figure_render_rgba(f, &w, &h);
  cr_assert(img);
  double cx = dlt_data_px(ax, 0, 0), cy = dlt_data_px(ax, 1, 0);
  double sx = dlt_data_px(ax, 0, 1) - cx, sy = cy - dlt_data_px(ax, 1, 1);
  /* along 360 rays, the ink's centre is where the unit circle maps, within a pixel */
  for (int k = 0; k < 360; k++) {
    double th = k * M_PI / 180, best = 1e9, ink = 0, moment = 0;
    for (double s = 0.8; s <= 1.2; s += 0.001) {
      const unsigned char *p = pix(img, w, cx + s * sx * cos(th), cy - s * sy * sin(th));
      best = fmin(best, p[0]);
      ink += 255 - p[0], moment += (255 - p[0]) * s;
    }
    double at = moment / ink;
    double err_px = fabs(at - 1) * fmax(sx, sy);
    cr_expect(best < 128, "ray %d: the circle is drawn (darkest %g)", k, best);
    cr_expect(err_px <= 1.0, "ray %d: circle at radius %g (%g px off)", k, at, err_px);
  }
  free(img);
  dlt_figure_free(f);
}

/* ---- PNG files ---- */

static void read_png(const char *path, unsigned *w, unsigned *h, unsigned *ppm, char *software, size_t cap) {
  FILE *fp = fopen(path, "rb");
  cr_assert(fp, "%s exists", path);
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct(png);
  cr_assert(png && info);
  png_init_io(png, fp);
  png_read_info(png, info);
  *w = png_get_image_width(png, info), *h = png_get_image_height(png, info);
  png_uint_32 rx, ry;
  int unit;
  *ppm = png_get_pHYs(png, info, &rx, &ry, &unit) ? rx : 0;
  png_textp text;
  int nt = 0;
  software[0] = 0;
  png_get_text(png, info, &text, &nt);
  for (int i = 0; i < nt; i++)
    if (strcmp(text[i].key, "Software") == 0) snprintf(software, cap, "%s", text[i].text);
  png_destroy_read_struct(&png, &info, NULL);
  fclose(fp);
}

Test(plot_png, size_is_figsize_times_dpi_with_phys_and_software) {
  dlt_figure *f = dlt_figure_new(6.4, 4.8, 100);
  cr_assert(f);
  dlt_axes *ax = dlt_figure_add_axes(f, 1, 1, 0, 0);
  double x[] = {0, 1}, y[] = {0, 1};
  dlt_plot_line(ax, x, y, 2);
  char path[] = "/tmp/dlt_test_plot_XXXXXX.png";
  int fd = mkstemps(path, 4);
  cr_assert(fd >= 0);
  close(fd);
  cr_assert_eq(dlt_figure_savefig(f, path, 0), 0, "%s", dlt_error());
  unsigned w, h, ppm;
  char sw[128];
  read_png(path, &w, &h, &ppm, sw, sizeof sw);
  cr_expect_eq(w, 640);
  cr_expect_eq(h, 480);
  cr_expect_eq(ppm, 3937, "100 dpi is 3937 pixels per metre, got %u", ppm);
  cr_expect(strstr(sw, "dlt") != NULL, "Software chunk '%s'", sw);
  cr_assert_eq(dlt_figure_savefig(f, path, 150), 0);
  read_png(path, &w, &h, &ppm, sw, sizeof sw);
  cr_expect_eq(w, 960);
  cr_expect_eq(h, 720);
  cr_expect_eq(ppm, 5906);
  remove(path);
  dlt_figure_free(f);
}

Test(plot_png, unwritable_path_is_an_error_and_leaves_no_file) {
  dlt_figure *f = dlt_figure_new(2, 2, 50);
  dlt_figure_add_axes(f, 1, 1, 0, 0);
  const char *path = "/nonexistent_dlt_dir/fig.png";
  cr_assert_eq(dlt_figure_savefig(f, path, 0), -1);
  cr_expect(strstr(dlt_error(), "savefig: cannot open '/nonexistent_dlt_dir/fig.png'") != NULL, "%s", dlt_error());
  cr_expect(!file_exists(path));
  cr_assert_eq(dlt_figure_savefig(f, "/tmp/fig.pdf", 0), -1);
  cr_expect_str_eq(dlt_error(), "savefig: unsupported format 'pdf' in '/tmp/fig.pdf' (only png)");
  dlt_figure_free(f);
}

Test(plot_png, a_write_that_fails_midway_leaves_nothing) {
  /* a 1 KiB file size limit makes libpng's writes fail after the file was created */
  signal(SIGXFSZ, SIG_IGN);
  struct rlimit rl = {1024, 1024};
  cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
  dlt_figure *f = dlt_figure_new(6, 4, 100);
  dlt_axes *ax = dlt_figure_add_axes(f, 1, 1, 0, 0);
  double x[] = {0, 1, 2}, y[] = {0, 1, 0};
  dlt_plot_line(ax, x, y, 3);
  char dir[] = "/tmp/dlt_test_plot_dirXXXXXX";
  cr_assert(mkdtemp(dir));
  char path[256];
  snprintf(path, sizeof path, "%s/fig.png", dir);
  cr_assert_eq(dlt_figure_savefig(f, path, 0), -1);
  cr_expect(strstr(dlt_error(), "savefig: cannot write") != NULL, "%s", dlt_error());
  cr_expect(!file_exists(path));
  cr_expect_eq(rmdir(dir), 0, "the directory is empty: no temporary file left");
  dlt_figure_free(f);
}

Test(plot_layout, tight_layout_keeps_labels_inside_the_figure) {
  dlt_style_use("seaborn-v0_8-whitegrid");
  dlt_figure *f = dlt_figure_new(6, 4, 100);
  dlt_axes *ax = dlt_figure_add_axes(f, 1, 1, 0, 0);
  double x[] = {0, 1000}, y[] = {-123456, 5};
  dlt_plot_line(ax, x, y, 2);
  dlt_set_string(&ax->ylabel, "a long y label", "test");
  dlt_set_string(&ax->xlabel, "x", "test");
  dlt_set_string(&ax->title, "Title\nsecond line", "test");
  f->tight = 1;
  cr_assert_eq(dlt_figure_layout(f), 0);
  /* 1.08 font sizes of padding on each side: 15 px at 10 pt and 100 dpi */
  double pad = 1.08 * 10 / 72 * 100;
  cr_expect(ax->bx > pad && ax->by > pad, "the box leaves room for labels (%g, %g)", ax->bx, ax->by);
  cr_expect(ax->bx + ax->bw < 600 - pad + 1, "right edge %g", ax->bx + ax->bw);
  dlt_figure_free(f);
}

#include <cairo.h>

/* the legend's box after layout (measured, not drawn) */
static dlt_box legend_box(dlt_figure *f, dlt_axes *ax) {
  cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
  cairo_t *cr = cairo_create(s);
  dlt_figure_layout(f);
  dlt_box b = {INFINITY, INFINITY, -INFINITY, -INFINITY};
  dlt_render_legend(ax, cr, 0, &b);
  cairo_destroy(cr);
  cairo_surface_destroy(s);
  return b;
}

Test(plot_legend, best_takes_the_first_corner_free_of_data) {
  dlt_axes *ax;
  dlt_figure *f = one_axes(&ax);
  /* points crowd the upper right: 'best' tries upper right first, then upper left */
  double x[40], y[40];
  for (int i = 0; i < 40; i++) x[i] = 0.7 + 0.3 * (i % 8) / 7, y[i] = 0.7 + 0.3 * (i / 8) / 4;
  dlt_artist *a = dlt_plot_scatter(ax, x, y, 40);
  dlt_set_string(&a->label, "points", "test");
  ax->legend = 1, ax->legend_loc = DLT_LOC_BEST;
  dlt_box b = legend_box(f, ax);
  double pad = 0.5 * 10 / 72.0 * 100; /* borderaxespad 0.5 font sizes */
  cr_expect(fabs(b.x0 - (ax->bx + pad)) < 1e-6 && fabs(b.y0 - (ax->by + pad)) < 1e-6,
            "legend at the upper left (%g, %g), axes at (%g, %g)", b.x0, b.y0, ax->bx, ax->by);
  /* with data in every upper place but none low, it goes to the lower left */
  for (int i = 0; i < 40; i++) x[i] = (i % 8) / 7.0, y[i] = 0.9;
  dlt_artist *line = dlt_plot_line(ax, x, y, 8);
  ax->art[0] = line; /* only the new line: drop the scatter from consideration */
  ax->nart = 1;
  dlt_set_string(&line->label, "top", "test");
  b = legend_box(f, ax);
  cr_expect(fabs(b.x0 - (ax->bx + pad)) < 1e-6 && fabs(b.y1 - (ax->by + ax->bh - pad)) < 1e-6,
            "legend at the lower left (%g..%g, %g..%g)", b.x0, b.x1, b.y0, b.y1);
  /* the scatter artist is no longer in the axes: free it by hand */
  free(a->label), free(a->x), free(a->y), free(a);
  dlt_figure_free(f);
}
