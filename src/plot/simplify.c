/* simplify.c: polylines simplified in pixels before Cairo sees them, as matplotlib's
 * Agg backend does (path.simplify, path.simplify_threshold 1/9 pixel), so a line of
 * 10^6 points is drawn from a few thousand vertices. Two ways, by the line's length:
 * - exact (up to DLT_SIMPLIFY_EXACT_MAX points, every figure of the notebook): a run
 *   of up to 64 points becomes one segment while every point of it stays within the
 *   threshold of that segment; each point is checked against the whole run.
 * - fast (longer lines): a run of points that all stay within the threshold of the
 *   line through its first point along its first step is drawn as that line's extent:
 *   the point furthest ahead, the point furthest behind, then the run's last point
 *   when it is neither (matplotlib's PathSimplifier idea). O(1) work a point: noisy
 *   data (thousands of points a pixel column, up and down) keeps a few vertices a
 *   column, a smooth curve one every few pixels. */
#include <cairo.h>

#include "plot/plot.h"

void dlt_simp_init(dlt_simplifier *s, cairo_t *cr, double tol, int fast) {
  *s = (dlt_simplifier){.cr = cr, .tol2 = tol * tol, .fast = fast};
}

static void vertex(dlt_simplifier *s, double x, double y) {
  cairo_line_to(s->cr, x, y);
  s->nv++;
}

/* ---- exact: the run since the anchor in a queue ---- */

/* squared distance of (x, y) from the segment (ax, ay)-(bx, by) */
static double seg_dist2(double x, double y, double ax, double ay, double bx, double by) {
  double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
  double t = l2 > 0 ? ((x - ax) * dx + (y - ay) * dy) / l2 : 0;
  t = t < 0 ? 0 : t > 1 ? 1
                        : t;
  double ex = x - ax - t * dx, ey = y - ay - t * dy;
  return ex * ex + ey * ey;
}

static void exact_line(dlt_simplifier *s, double x, double y) {
  int fits = s->nq < DLT_SIMPLIFY_RUN;
  for (int k = 0; k < s->nq && fits; k++)
    fits = seg_dist2(s->qx[k], s->qy[k], s->ax, s->ay, x, y) <= s->tol2;
  if (!fits) {
    s->ax = s->qx[s->nq - 1], s->ay = s->qy[s->nq - 1], s->nq = 0;
    vertex(s, s->ax, s->ay);
  }
  s->qx[s->nq] = x, s->qy[s->nq] = y, s->nq++;
}

/* ---- fast: a direction and the extent along it ---- */

/* the current run (if any) into Cairo's path; the anchor becomes its last point */
static void fast_flush(dlt_simplifier *s) {
  if (s->state < 2) return;
  if (s->behind < 0 && s->last == 1) vertex(s, s->bx, s->by);
  vertex(s, s->hx, s->hy);
  if (s->behind < 0 && s->last != 1) vertex(s, s->bx, s->by);
  if (s->last == 0) vertex(s, s->lx, s->ly);
  s->ax = s->lx, s->ay = s->ly, s->state = 1;
}

/* a run from the anchor whose first step ends at (x, y) */
static void fast_start(dlt_simplifier *s, double x, double y) {
  s->dx = x - s->ax, s->dy = y - s->ay, s->d2 = s->dx * s->dx + s->dy * s->dy;
  s->ahead = 1, s->behind = 0, s->last = 1;
  s->hx = s->lx = x, s->hy = s->ly = y;
  s->state = 2;
}

static void fast_line(dlt_simplifier *s, double x, double y) {
  if (s->state == 1) {
    if (x != s->ax || y != s->ay) fast_start(s, x, y);
    return;
  }
  double vx = x - s->ax, vy = y - s->ay;
  double cross = s->dx * vy - s->dy * vx; /* |cross| / |d| is the distance from the run's line */
  if (cross * cross >= s->tol2 * s->d2) {
    fast_flush(s);
    fast_start(s, x, y);
    return;
  }
  double t = (s->dx * vx + s->dy * vy) / s->d2; /* where along the line, in first steps */
  s->last = 0;
  if (t > s->ahead) s->ahead = t, s->hx = x, s->hy = y, s->last = 1;
  else if (t < s->behind) s->behind = t, s->bx = x, s->by = y, s->last = -1;
  s->lx = x, s->ly = y;
}

/* ---- both ---- */

static void flush(dlt_simplifier *s) {
  if (s->fast) fast_flush(s);
  else if (s->nq) vertex(s, s->qx[s->nq - 1], s->qy[s->nq - 1]);
  s->nq = 0, s->state = 0;
}

void dlt_simp_move(dlt_simplifier *s, double x, double y) {
  flush(s);
  cairo_move_to(s->cr, x, y);
  s->nv++;
  s->ax = s->lx = x, s->ay = s->ly = y, s->state = 1;
}

void dlt_simp_line(dlt_simplifier *s, double x, double y) {
  if (s->fast) fast_line(s, x, y);
  else exact_line(s, x, y);
}

void dlt_simp_end(dlt_simplifier *s, int close) {
  flush(s);
  if (close) cairo_close_path(s->cr);
}
