/* test_plot_lines.c: long lines (issue 12 item 19). Both simplifiers keep every point
 * within the threshold of what they draw, and the fast one keeps a few vertices a pixel
 * column of noisy data; a simplified line looks like the same line drawn unsimplified;
 * the rasterizer of dense lines covers what Cairo's stroker covers, dashes included. */
#include <cairo.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "plot/plot.h"

/* uniform in [0, 1) and standard normal, from a fixed seed */
static unsigned long long rng = 88172645463325252ULL;
static double unif(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (double)(rng >> 11) / 9007199254740992.0;
}
static double normal(void) { return sqrt(-2 * log(1 - unif())) * cos(2 * M_PI * unif()); }

/* distance from (x, y) to the segment (ax, ay)-(bx, by) */
static double seg_dist(double x, double y, double ax, double ay, double bx, double by) {
  double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
  double t = l2 > 0 ? ((x - ax) * dx + (y - ay) * dy) / l2 : 0;
  t = t < 0 ? 0 : t > 1 ? 1
                        : t;
  return hypot(x - ax - t * dx, y - ay - t * dy);
}

/* n points simplified (fast or exact) into a path; every point within tol of it */
static void check_within(const double *x, const double *y, int n, int fast, double tol, int64_t *nv) {
  cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 8, 8);
  cairo_t *cr = cairo_create(s);
  dlt_simplifier sp;
  dlt_simp_init(&sp, cr, tol, fast);
  dlt_simp_move(&sp, x[0], y[0]);
  for (int i = 1; i < n; i++) dlt_simp_line(&sp, x[i], y[i]);
  dlt_simp_end(&sp, 0);
  cairo_path_t *p = cairo_copy_path(cr);
  cr_assert_eq(p->status, CAIRO_STATUS_SUCCESS);
  int m = 0;
  double *vx = malloc(sizeof *vx * (size_t)p->num_data), *vy = malloc(sizeof *vy * (size_t)p->num_data);
  for (int i = 0; i < p->num_data; i += p->data[i].header.length)
    vx[m] = p->data[i + 1].point.x, vy[m++] = p->data[i + 1].point.y;
  *nv = sp.nv;
  cr_expect_eq(m, sp.nv, "nv counts the vertices: %d in the path, %lld counted", m, (long long)sp.nv);
  /* Cairo keeps 1/256 pixel: within tol and that */
  int worst = -1;
  double wd = 0;
  for (int i = 0; i < n; i++) {
    double d = INFINITY;
    for (int k = 0; k + 1 < m && d > tol; k++) d = fmin(d, seg_dist(x[i], y[i], vx[k], vy[k], vx[k + 1], vy[k + 1]));
    if (d > wd) wd = d, worst = i;
  }
  /* exact: within tol of its segment; fast: within tol of the run's line, whose drawn
   * extent ends at points themselves up to tol off it on the other side */
  double lim = (fast ? 2 : 1) * tol;
  cr_expect(wd <= lim + 1.0 / 128, "%s: point %d is %g px from the simplified line (limit %g)", fast ? "fast" : "exact",
            worst, wd, lim);
  free(vx), free(vy);
  cairo_path_destroy(p);
  cairo_destroy(cr);
  cairo_surface_destroy(s);
}

Test(plot_lines, every_point_stays_within_the_threshold_of_the_simplified_line) {
  enum { N = 4000 };
  static double x[N], y[N];
  for (int kind = 0; kind < 3; kind++) {
    for (int i = 0; i < N; i++) {
      x[i] = 10 + 200.0 * i / N;                            /* 20 points a pixel column */
      y[i] = kind == 0   ? 100 + 40 * normal()              /* noise */
             : kind == 1 ? 100 + 80 * sin(i * 0.003)        /* smooth */
                         : (i ? y[i - 1] : 100) + normal(); /* a random walk */
    }
    for (int fast = 0; fast < 2; fast++) {
      int64_t nv;
      check_within(x, y, N, fast, 1.0 / 9, &nv);
      if (kind == 1) cr_expect(nv < N / 10, "smooth data: %lld vertices of %d points", (long long)nv, N);
    }
  }
}

Test(plot_lines, fast_simplification_of_a_million_noisy_points_keeps_a_few_vertices_a_pixel_column) {
  enum { N = 1000000,
         COLS = 500 };
  cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 8, 8);
  cairo_t *cr = cairo_create(s);
  dlt_simplifier sp;
  dlt_simp_init(&sp, cr, 1.0 / 9, 1);
  dlt_simp_move(&sp, 0, 200 + 50 * normal());
  for (int i = 1; i < N; i++) dlt_simp_line(&sp, (double)COLS * i / N, 200 + 50 * normal());
  dlt_simp_end(&sp, 0);
  /* a run ends when x has moved about 1/9 pixel: some 9 runs a column, at most 3
   * vertices each, whatever the number of points */
  cr_expect(sp.nv <= 40 * COLS, "%lld vertices for %d columns", (long long)sp.nv, COLS);
  cr_expect(sp.nv > 9 * COLS, "%lld vertices", (long long)sp.nv);
  cairo_destroy(cr);
  cairo_surface_destroy(s);
}

/* the largest difference of a byte, and the mean of all */
static void diff(const unsigned char *a, const unsigned char *b, size_t n, int *maxd, double *mean) {
  double sum = 0;
  *maxd = 0;
  for (size_t i = 0; i < n; i++) {
    int d = abs(a[i] - b[i]);
    sum += d, *maxd = d > *maxd ? d : *maxd;
  }
  *mean = sum / (double)n;
}

enum { W = 400,
       H = 300 };

/* n points (pixels) drawn on a white W x H image as draw_line strokes them: simplified
 * (fast or exact) unless tol is 0, by Cairo's stroker or by dlt_stroke_fill */
static cairo_surface_t *draw(const double *x, const double *y, int n, double tol, int fast, int fill, int dashed,
                             cairo_line_cap_t cap) {
  cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, W, H);
  cairo_t *cr = cairo_create(s);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_rectangle(cr, 20, 20, W - 40, H - 40);
  cairo_clip(cr);
  dlt_simplifier sp;
  dlt_simp_init(&sp, cr, tol, fast);
  for (int i = 0; i < n; i++) {
    if (tol == 0) i ? cairo_line_to(cr, x[i], y[i]) : cairo_move_to(cr, x[i], y[i]);
    else i ? dlt_simp_line(&sp, x[i], y[i]) : dlt_simp_move(&sp, x[i], y[i]);
  }
  if (tol > 0) dlt_simp_end(&sp, 0);
  double lw = 1.5 * 100 / 72;
  cairo_set_line_width(cr, lw);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap(cr, cap);
  dlt_set_dash(cr, dashed ? DLT_LS_DASHED : DLT_LS_SOLID, lw, 1);
  cairo_set_source_rgb(cr, 0.12, 0.47, 0.71);
  if (fill) dlt_stroke_fill(cr);
  else cairo_stroke(cr);
  cr_assert_eq(cairo_status(cr), CAIRO_STATUS_SUCCESS);
  cairo_destroy(cr);
  cairo_surface_flush(s);
  return s;
}

static void compare(cairo_surface_t *a, cairo_surface_t *b, int *maxd, double *mean) {
  diff(cairo_image_surface_get_data(a), cairo_image_surface_get_data(b), (size_t)W * H * 4, maxd, mean);
  cairo_surface_destroy(a), cairo_surface_destroy(b);
}

Test(plot_lines, fast_simplification_draws_smooth_lines_as_exact_simplification_does) {
  /* what lines of more than DLT_SIMPLIFY_EXACT_MAX points get, against what shorter
   * lines (and every line before) get: a sine, a decaying loss curve, a circle */
  enum { N = 50000 };
  static double x[N], y[N];
  for (int kind = 0; kind < 3; kind++) {
    for (int i = 0; i < N; i++) {
      double t = (double)i / (N - 1);
      x[i] = kind == 2 ? 200 + 100 * cos(2 * M_PI * t) : 20 + 360 * t;
      y[i] = kind == 0 ? 150 + 100 * sin(12 * t) : kind == 1 ? 30 + 240 * (1 - exp(-5 * t))
                                                             : 150 + 100 * sin(2 * M_PI * t);
    }
    int maxd;
    double mean;
    compare(draw(x, y, N, 1.0 / 9, 0, 0, 0, CAIRO_LINE_CAP_SQUARE), draw(x, y, N, 1.0 / 9, 1, 0, 0, CAIRO_LINE_CAP_SQUARE),
            &maxd, &mean);
    /* both within 1/9 pixel (fast: 2/9) of the true line: an edge pixel's coverage
     * moves by about that much at most */
    cr_expect(maxd <= 40, "curve %d: a byte moved by %d/255", kind, maxd);
    cr_expect(mean < 0.1, "curve %d: mean difference %g/255", kind, mean);
  }
}

Test(plot_lines, the_dense_line_rasterizer_covers_what_cairos_stroker_covers) {
  /* one path of 3000 vertices stroked by Cairo and by dlt_stroke_fill: a zigzag with
   * joins of every angle, solid (square and round caps) and dashed (butt caps) */
  enum { N = 3000 };
  static double x[N], y[N];
  for (int i = 0; i < N; i++) {
    double t = (double)i / (N - 1);
    x[i] = 30 + 340 * t + 3 * sin(i * 0.7), y[i] = 150 + 100 * sin(7 * t) + (i % 2 ? 6 : -6) * unif();
  }
  const cairo_line_cap_t caps[] = {CAIRO_LINE_CAP_SQUARE, CAIRO_LINE_CAP_ROUND, CAIRO_LINE_CAP_BUTT};
  for (int k = 0; k < 3; k++) {
    int maxd;
    double mean;
    compare(draw(x, y, N, 0, 0, 0, k == 2, caps[k]), draw(x, y, N, 0, 0, 1, k == 2, caps[k]), &maxd, &mean);
    /* the same region: coverage differs where strokes overlap at their edges (summed,
     * as Agg does, rather than joined) and by the two rasterizers' rounding */
    cr_expect(mean < 0.5, "cap %d%s: mean difference %g/255 (largest %d)", k, k == 2 ? ", dashed" : "", mean, maxd);
  }
}

/* a figure with one axes over data [0, 1]^2 */
static dlt_figure *one_axes(dlt_axes **ax) {
  cr_assert_eq(dlt_style_use("default"), 0);
  dlt_figure *f = dlt_figure_new(4, 3, 100);
  cr_assert(f);
  *ax = dlt_figure_add_axes(f, 1, 1, 0, 0);
  cr_assert(*ax);
  (*ax)->xlim[0] = (*ax)->ylim[0] = -0.05, (*ax)->xlim[1] = (*ax)->ylim[1] = 1.05;
  (*ax)->xlim_set = (*ax)->ylim_set = 1;
  return f;
}

Test(plot_lines, a_dense_noisy_line_covers_what_the_unsimplified_line_covers) {
  /* 25,000 noisy points (70 a pixel column): simplified and rasterized by
   * dlt_stroke_fill, against Cairo's stroke of every point (seconds) */
  enum { N = 25000 };
  static double x[N], y[N];
  for (int i = 0; i < N; i++) x[i] = (double)i / (N - 1), y[i] = 0.5 + 0.12 * normal();
  dlt_axes *ax;
  dlt_figure *f = one_axes(&ax);
  cr_assert(dlt_plot_line(ax, x, y, N));
  int w, h, maxd;
  double mean;
  unsigned char *on = dlt_figure_render_rgba(f, &w, &h);
  f->st.simplify_threshold = 0;
  unsigned char *off = dlt_figure_render_rgba(f, &w, &h);
  cr_assert(on && off);
  diff(on, off, (size_t)w * h * 4, &maxd, &mean);
  /* the band of noise is filled alike; only its ragged top and bottom edges differ */
  cr_expect(mean < 0.1, "mean difference %g/255 (largest %d)", mean, maxd);
  free(on), free(off);
  dlt_figure_free(f);
}
