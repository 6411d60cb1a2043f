/* annotate.c: matplotlib's Annotation: text at xytext pointing at xy, with a
 * FancyArrowPatch from the middle of the text's box (cut where it leaves the box padded
 * by 2 points, then shrunk by shrinkA/shrinkB points) to the point; arrowstyle "-",
 * "->", "<-", "<->" (open heads), "-|>", "<|-", "<|-|>" (filled heads), or without
 * arrowstyle the old YAArrow look ("simple": a filled tail and head from the corner of
 * the text nearest the point). */
#include <cairo.h>
#include <math.h>
#include <string.h>

#include "plot/plot.h"

int dlt_arrowstyle(const char *s) {
  static const char *const styles[] = {"-", "->", "<-", "<->", "-|>", "<|-", "<|-|>"};
  for (int i = 0; i < 7; i++)
    if (strcmp(s, styles[i]) == 0) return i + 1;
  return -1;
}

/* a point of coordinates coord (data, axes fraction) in pixels */
static void point_px(const dlt_axes *ax, int coord, double x, double y, double *px, double *py) {
  if (coord == DLT_COORD_AXES) *px = ax->bx + ax->bw * x, *py = ax->by + ax->bh * (1 - y);
  else *px = dlt_data_px(ax, 0, x), *py = dlt_data_px(ax, 1, y);
}

/* the fraction of the way from (x0, y0) (inside b) to (x1, y1) where it leaves b */
static double leave_box(dlt_box b, double x0, double y0, double x1, double y1) {
  double t = 1, dx = x1 - x0, dy = y1 - y0;
  if (dx > 0) t = fmin(t, (b.x1 - x0) / dx);
  if (dx < 0) t = fmin(t, (b.x0 - x0) / dx);
  if (dy > 0) t = fmin(t, (b.y1 - y0) / dy);
  if (dy < 0) t = fmin(t, (b.y0 - y0) / dy);
  return fmax(t, 0);
}

/* an open (->) or filled (-|>) head with its tip at (x, y) pointing along (ux, uy) */
static void head(cairo_t *cr, double x, double y, double ux, double uy, double len, double half, int filled,
                 dlt_rgba face, dlt_rgba edge, double alpha) {
  double bx = x - ux * len, by = y - uy * len, nx = -uy * half, ny = ux * half;
  cairo_move_to(cr, bx + nx, by + ny);
  cairo_line_to(cr, x, y);
  cairo_line_to(cr, bx - nx, by - ny);
  if (filled) {
    cairo_close_path(cr);
    cairo_set_source_rgba(cr, face.r, face.g, face.b, face.a * alpha);
    cairo_fill_preserve(cr);
  }
  cairo_set_source_rgba(cr, edge.r, edge.g, edge.b, edge.a * alpha);
  cairo_stroke(cr);
}

/* the "simple" arrow (tail width tw, head hw x hl pixels) from (x0, y0) to (x1, y1) */
static void simple_arrow(cairo_t *cr, double x0, double y0, double x1, double y1, double tw, double hw, double hl) {
  double dx = x1 - x0, dy = y1 - y0, len = hypot(dx, dy), ux = dx / len, uy = dy / len, nx = -uy, ny = ux;
  double hb = fmax(len - hl, 0); /* where the head starts */
  double pts[7][2] = {{0, tw / 2}, {hb, tw / 2}, {hb, hw / 2}, {len, 0}, {hb, -hw / 2}, {hb, -tw / 2}, {0, -tw / 2}};
  for (int k = 0; k < 7; k++) {
    double px = x0 + ux * pts[k][0] + nx * pts[k][1], py = y0 + uy * pts[k][0] + ny * pts[k][1];
    if (k == 0) cairo_move_to(cr, px, py);
    else cairo_line_to(cr, px, py);
  }
  cairo_close_path(cr);
}

static void arrow(const dlt_axes *ax, cairo_t *cr, const dlt_artist *a, dlt_box tb, double px, double py) {
  const dlt_figure *f = ax->fig;
  const dlt_annotation *an = a->annot;
  double pad = dlt_pt(f, 4) / 2;
  dlt_box clip = {tb.x0 - pad, tb.y0 - pad, tb.x1 + pad, tb.y1 + pad};
  double sx = (tb.x0 + tb.x1) / 2, sy = (tb.y0 + tb.y1) / 2, shrinkA = an->shrinkA, shrinkB = an->shrinkB;
  if (!an->style) { /* YAArrow: from the corner or middle of the text nearest the point */
    double xs[3] = {tb.x0, (tb.x0 + tb.x1) / 2, tb.x1}, ys[3] = {tb.y0, (tb.y0 + tb.y1) / 2, tb.y1};
    for (int k = 0; k < 3; k++) {
      if (fabs(xs[k] - px) < fabs(sx - px)) sx = xs[k];
      if (fabs(ys[k] - py) < fabs(sy - py)) sy = ys[k];
    }
    double r = hypot(sx - px, sy - py) * 72.0 / f->dpi; /* shrink is a fraction of it, in points */
    shrinkA = shrinkB = an->shrink * r;
  }
  if (px >= clip.x0 && px <= clip.x1 && py >= clip.y0 && py <= clip.y1) return; /* the point is in the text */
  if (a->text && a->text[0]) {
    double t = leave_box(clip, sx, sy, px, py);
    sx += (px - sx) * t, sy += (py - sy) * t;
  }
  double dx = px - sx, dy = py - sy, len = hypot(dx, dy);
  double sa = dlt_pt(f, shrinkA), sb = dlt_pt(f, shrinkB);
  if (!(len > sa + sb)) return;
  double ux = dx / len, uy = dy / len;
  double x0 = sx + ux * sa, y0 = sy + uy * sa, x1 = px - ux * sb, y1 = py - uy * sb;
  double alpha = a->alpha, lw = dlt_pt(f, an->lw);
  cairo_save(cr);
  cairo_set_line_width(cr, lw);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
  if (!an->style) {
    simple_arrow(cr, x0, y0, x1, y1, dlt_pt(f, an->width), dlt_pt(f, an->headwidth), dlt_pt(f, an->headlength));
    cairo_set_source_rgba(cr, an->face.r, an->face.g, an->face.b, an->face.a * alpha);
    cairo_fill_preserve(cr);
    cairo_set_source_rgba(cr, an->edge.r, an->edge.g, an->edge.b, an->edge.a * alpha);
    if (lw > 0) cairo_stroke(cr);
    else cairo_new_path(cr);
    cairo_restore(cr);
    return;
  }
  /* head_length 0.4 and head_width 0.2 of the mutation scale, the text's size */
  double ms = dlt_pt(f, a->fontsize), hl = 0.4 * ms, hw = 0.2 * ms;
  int st = an->style; /* 1 "-", 2 "->", 3 "<-", 4 "<->", 5 "-|>", 6 "<|-", 7 "<|-|>" */
  int at_end = st == 2 || st == 4 || st == 5 || st == 7, at_start = st == 3 || st == 4 || st == 6 || st == 7;
  int filled = st >= 5;
  /* a filled head ends the line at its base */
  double lx0 = x0, ly0 = y0, lx1 = x1, ly1 = y1;
  if (filled && at_end) lx1 -= ux * hl, ly1 -= uy * hl;
  if (filled && at_start) lx0 += ux * hl, ly0 += uy * hl;
  cairo_move_to(cr, lx0, ly0);
  cairo_line_to(cr, lx1, ly1);
  cairo_set_source_rgba(cr, an->edge.r, an->edge.g, an->edge.b, an->edge.a * alpha);
  cairo_stroke(cr);
  if (at_end) head(cr, x1, y1, ux, uy, hl, hw, filled, an->face, an->edge, alpha);
  if (at_start) head(cr, x0, y0, -ux, -uy, hl, hw, filled, an->face, an->edge, alpha);
  cairo_restore(cr);
}

dlt_box dlt_annotation_draw(const dlt_axes *ax, cairo_t *cr, const dlt_artist *a, int draw) {
  const dlt_annotation *an = a->annot;
  double px, py, tx, ty;
  point_px(ax, an->xycoord, an->x, an->y, &px, &py);
  dlt_box none = {NAN, NAN, NAN, NAN};
  if (!isfinite(px) || !isfinite(py)) return none;
  /* annotation_clip: a point in data coordinates outside the axes hides the annotation */
  if (an->xycoord == DLT_COORD_DATA &&
      (px < ax->bx - 0.5 || px > ax->bx + ax->bw + 0.5 || py < ax->by - 0.5 || py > ax->by + ax->bh + 0.5))
    return none;
  if (an->tcoord == DLT_COORD_OFFSET) tx = px + dlt_pt(ax->fig, a->x[0]), ty = py - dlt_pt(ax->fig, a->y[0]);
  else if (an->tcoord == DLT_COORD_OFFSET_PX) tx = px + a->x[0], ty = py - a->y[0];
  else point_px(ax, an->tcoord, a->x[0], a->y[0], &tx, &ty);
  double size = dlt_pt(ax->fig, a->fontsize);
  dlt_rgba c = dlt_rgba_alpha(a->ls.color, a->alpha * a->ls.color.a);
  dlt_box tb = dlt_text(cr, a->text, tx, ty, size, a->ha, a->va, 0, c, 0);
  if (draw && an->style >= 0) arrow(ax, cr, a, tb, px, py);
  if (draw) dlt_text(cr, a->text, tx, ty, size, a->ha, a->va, 0, c, 1);
  return tb;
}
