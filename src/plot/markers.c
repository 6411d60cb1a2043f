/* markers.c: matplotlib's marker shapes (o * s ^ v D + x . _ |) as Cairo paths, sized in
 * pixels as markersize: the circle's diameter, the square's side, the star's and
 * triangle's extent, the diamond's side times sqrt(2) corner to corner. */
#include <cairo.h>
#include <math.h>

#include "plot/plot.h"

int dlt_marker_filled(char marker) { return marker != '+' && marker != 'x' && marker != '_' && marker != '|'; }

void dlt_marker_path(cairo_t *cr, char marker, double x, double y, double size) {
  double r = size / 2;
  switch (marker) {
  case '.':
  case 'o':
    if (marker == '.') r *= 0.5; /* a point is a circle at half size */
    cairo_new_sub_path(cr);
    cairo_arc(cr, x, y, r, 0, 2 * M_PI);
    cairo_close_path(cr);
    break;
  case 's': cairo_rectangle(cr, x - r, y - r, 2 * r, 2 * r); break;
  case '^':
  case 'v': {
    double s = marker == '^' ? 1 : -1; /* unit triangle (0,1), (-1,-1), (1,-1) scaled by r */
    cairo_move_to(cr, x, y - s * r);
    cairo_line_to(cr, x - r, y + s * r);
    cairo_line_to(cr, x + r, y + s * r);
    cairo_close_path(cr);
  } break;
  case 'D': {
    double d = r * M_SQRT2; /* unit square rotated 45 degrees */
    cairo_move_to(cr, x, y - d);
    cairo_line_to(cr, x + d, y);
    cairo_line_to(cr, x, y + d);
    cairo_line_to(cr, x - d, y);
    cairo_close_path(cr);
  } break;
  case '*': {
    double inner = r * 0.381966; /* unit_regular_star(5, 0.381966) */
    for (int k = 0; k < 10; k++) {
      double a = M_PI / 2 + k * M_PI / 5, rr = k % 2 ? inner : r;
      double px = x + rr * cos(a), py = y - rr * sin(a);
      if (k == 0) cairo_move_to(cr, px, py);
      else cairo_line_to(cr, px, py);
    }
    cairo_close_path(cr);
  } break;
  case '+':
    cairo_move_to(cr, x - r, y), cairo_line_to(cr, x + r, y);
    cairo_move_to(cr, x, y - r), cairo_line_to(cr, x, y + r);
    break;
  case '_': cairo_move_to(cr, x - r, y), cairo_line_to(cr, x + r, y); break; /* hline, vline */
  case '|': cairo_move_to(cr, x, y - r), cairo_line_to(cr, x, y + r); break;
  case 'x': {
    double d = r;
    cairo_move_to(cr, x - d, y - d), cairo_line_to(cr, x + d, y + d);
    cairo_move_to(cr, x - d, y + d), cairo_line_to(cr, x + d, y - d);
  } break;
  }
}

/* dash patterns in units of the line width (lines.scale_dashes), as matplotlib's */
void dlt_set_dash(cairo_t *cr, int ls, double lw_px, double scale_px) {
  static const double dashed[] = {3.7, 1.6}, dotted[] = {1, 1.65}, dashdot[] = {6.4, 1.6, 1, 1.6};
  const double *p = NULL;
  int n = 0;
  if (ls == DLT_LS_DASHED) p = dashed, n = 2;
  else if (ls == DLT_LS_DOTTED) p = dotted, n = 2;
  else if (ls == DLT_LS_DASHDOT) p = dashdot, n = 4;
  if (!p) {
    cairo_set_dash(cr, NULL, 0, 0);
    return;
  }
  double d[4];
  for (int i = 0; i < n; i++) d[i] = p[i] * (lw_px > 0 ? lw_px : scale_px);
  cairo_set_dash(cr, d, n, 0);
}
