/* legend.c: the axes legend as matplotlib lays it out (sizes in units of its font
 * size: borderpad, labelspacing, handlelength, handletextpad, borderaxespad) and
 * loc 'best': the first of the nine places whose box covers the fewest data
 * points, patch boxes and line crossings. */
#include <cairo.h>
#include <math.h>
#include <string.h>

#include "plot/plot.h"

int dlt_legend_loc(const char *fn, const char *s) {
  static const char *const names[] = {"best", "upper right", "upper left", "lower left",
                                      "lower right", "right", "center left", "center right",
                                      "lower center", "upper center", "center"};
  for (int i = 0; i < 11; i++)
    if (strcmp(s, names[i]) == 0) return i;
  return dlt_failn("%s: unknown legend loc '%s'", fn, s);
}

static int shown(const dlt_artist *a) {
  return a->label && a->label[0] && a->label[0] != '_' &&
         (a->kind == DLT_ART_LINE || a->kind == DLT_ART_SCATTER || a->kind == DLT_ART_PATCH);
}

static double px(const dlt_axes *ax, int yd, double v, int coord) {
  if (coord == DLT_COORD_AXES) return yd ? ax->by + ax->bh * (1 - v) : ax->bx + ax->bw * v;
  return dlt_data_px(ax, yd, v);
}

static int inside(dlt_box b, double x, double y) { return x > b.x0 && x < b.x1 && y > b.y0 && y < b.y1; }

/* does segment p-q cross box b (Liang-Barsky clipping) */
static int seg_hits(dlt_box b, double x0, double y0, double x1, double y1) {
  double t0 = 0, t1 = 1, dx = x1 - x0, dy = y1 - y0;
  double p[4] = {-dx, dx, -dy, dy}, q[4] = {x0 - b.x0, b.x1 - x0, y0 - b.y0, b.y1 - y0};
  for (int i = 0; i < 4; i++) {
    if (p[i] == 0) {
      if (q[i] < 0) return 0;
      continue;
    }
    double r = q[i] / p[i];
    if (p[i] < 0) {
      if (r > t1) return 0;
      if (r > t0) t0 = r;
    } else {
      if (r < t0) return 0;
      if (r < t1) t1 = r;
    }
  }
  return 1;
}

static int badness(const dlt_axes *ax, dlt_box b) {
  int bad = 0;
  for (int i = 0; i < ax->nart; i++) {
    const dlt_artist *a = ax->art[i];
    if (a->kind == DLT_ART_LINE) {
      int hit = 0;
      double lx = NAN, ly = NAN;
      for (int64_t k = 0; k < a->n; k++) {
        double x = px(ax, 0, a->x[k], a->xcoord), y = px(ax, 1, a->y[k], a->ycoord);
        if (!isfinite(x) || !isfinite(y)) {
          lx = NAN;
          continue;
        }
        bad += inside(b, x, y);
        if (!hit && isfinite(lx) && seg_hits(b, lx, ly, x, y)) hit = 1;
        lx = x, ly = y;
      }
      bad += hit;
    } else if (a->kind == DLT_ART_SCATTER) {
      for (int64_t k = 0; k < a->n; k++) bad += inside(b, px(ax, 0, a->x[k], 0), px(ax, 1, a->y[k], 0));
    } else if (a->kind == DLT_ART_PATCH) {
      for (int k = 0; k < a->npoly; k++) {
        dlt_box pb = {INFINITY, INFINITY, -INFINITY, -INFINITY};
        for (int v = a->pstart[k]; v < a->pstart[k + 1]; v++) {
          double x = px(ax, 0, a->x[v], a->xcoord), y = px(ax, 1, a->y[v], a->ycoord);
          if (isfinite(x) && isfinite(y)) dlt_box_union(&pb, (dlt_box){x, y, x, y});
        }
        bad += pb.x0 < b.x1 && pb.x1 > b.x0 && pb.y0 < b.y1 && pb.y1 > b.y0;
      }
    }
  }
  return bad;
}

/* the legend box of size w x h at loc inside the axes, pad pixels from its edges */
static dlt_box place(const dlt_axes *ax, int loc, double w, double h, double pad) {
  double x0 = ax->bx + pad, x1 = ax->bx + ax->bw - pad - w, xc = ax->bx + (ax->bw - w) / 2;
  double y0 = ax->by + pad, y1 = ax->by + ax->bh - pad - h, yc = ax->by + (ax->bh - h) / 2;
  double x = x1, y = y0;
  switch (loc) {
  case DLT_LOC_UR: x = x1, y = y0; break;
  case DLT_LOC_UL: x = x0, y = y0; break;
  case DLT_LOC_LL: x = x0, y = y1; break;
  case DLT_LOC_LR: x = x1, y = y1; break;
  case DLT_LOC_R:
  case DLT_LOC_CR: x = x1, y = yc; break;
  case DLT_LOC_CL: x = x0, y = yc; break;
  case DLT_LOC_LC: x = xc, y = y1; break;
  case DLT_LOC_UC: x = xc, y = y0; break;
  case DLT_LOC_C: x = xc, y = yc; break;
  }
  return (dlt_box){x, y, x + w, y + h};
}

static void handle(const dlt_axes *ax, cairo_t *cr, const dlt_artist *a, double x, double yb,
                   double hl, double fs) {
  const dlt_figure *f = ax->fig;
  double yc = yb - 0.35 * fs; /* the middle of a handle box 0.7 font sizes tall */
  if (a->kind == DLT_ART_PATCH) {
    cairo_rectangle(cr, x, yb - 0.7 * fs, hl, 0.7 * fs);
    cairo_set_source_rgba(cr, a->face.r, a->face.g, a->face.b, a->face.a * a->alpha);
    cairo_fill_preserve(cr);
    if (a->has_edge && a->lw > 0) {
      cairo_set_line_width(cr, dlt_pt(f, a->lw));
      cairo_set_source_rgba(cr, a->edge.r, a->edge.g, a->edge.b, a->edge.a * a->alpha);
      cairo_stroke(cr);
    }
    cairo_new_path(cr);
    return;
  }
  if (a->kind == DLT_ART_SCATTER) {
    double smin = INFINITY, smax = -INFINITY;
    for (int64_t i = 0; i < a->ns; i++) smin = fmin(smin, a->s[i]), smax = fmax(smax, a->s[i]);
    double s = a->ns ? 0.5 * (smin + smax) : f->st.markersize * f->st.markersize;
    dlt_rgba c = a->cvals ? dlt_cmap_eval(a->cmap, 0.5) : a->ncolors ? a->colors[0]
                                                                     : a->face;
    dlt_marker_path(cr, a->ls.marker, x + hl / 2, yc, dlt_pt(f, sqrt(s > 0 ? s : 0)));
    cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a * a->alpha);
    if (dlt_marker_filled(a->ls.marker)) cairo_fill_preserve(cr);
    dlt_rgba e = a->edge_face ? c : a->edge;
    cairo_set_line_width(cr, dlt_pt(f, a->lw));
    cairo_set_source_rgba(cr, e.r, e.g, e.b, e.a * a->alpha);
    cairo_stroke(cr);
    return;
  }
  const dlt_linestyle *ls = &a->ls;
  if (ls->ls != DLT_LS_NONE) {
    double lw = dlt_pt(f, ls->width);
    cairo_move_to(cr, x, yc), cairo_line_to(cr, x + hl, yc);
    cairo_set_line_width(cr, lw);
    cairo_set_line_cap(cr, ls->ls != DLT_LS_SOLID ? CAIRO_LINE_CAP_BUTT
                           : f->st.round_caps     ? CAIRO_LINE_CAP_ROUND
                                                  : CAIRO_LINE_CAP_SQUARE);
    dlt_set_dash(cr, ls->ls, lw, 1);
    cairo_set_source_rgba(cr, ls->color.r, ls->color.g, ls->color.b, ls->color.a * a->alpha);
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
  }
  if (ls->marker) {
    dlt_marker_path(cr, ls->marker, x + hl / 2, yc, dlt_pt(f, ls->msize));
    if (dlt_marker_filled(ls->marker)) {
      cairo_set_source_rgba(cr, ls->mface.r, ls->mface.g, ls->mface.b, ls->mface.a * a->alpha);
      cairo_fill_preserve(cr);
    }
    cairo_set_line_width(cr, dlt_pt(f, ls->mew));
    cairo_set_source_rgba(cr, ls->medge.r, ls->medge.g, ls->medge.b, ls->medge.a * a->alpha);
    cairo_stroke(cr);
  }
}

void dlt_render_legend(dlt_axes *ax, cairo_t *cr, int draw, dlt_box *tight) {
  const dlt_figure *f = ax->fig;
  const dlt_style *st = &f->st;
  double fs = dlt_pt(f, ax->legend_fontsize);
  int n = 0;
  double tw = 0, th[256], tb[256]; /* text widths, heights and baseline depths */
  for (int i = 0; i < ax->nart && n < 256; i++) {
    if (!shown(ax->art[i])) continue;
    dlt_box b = dlt_text(cr, ax->art[i]->label, 0, 0, fs, DLT_HA_LEFT, DLT_VA_TOP, 0, st->label_color, 0);
    dlt_box bl = dlt_text(cr, ax->art[i]->label, 0, 0, fs, DLT_HA_LEFT, DLT_VA_BASELINE, 0, st->label_color, 0);
    tw = fmax(tw, b.x1 - b.x0), th[n] = b.y1 - b.y0, tb[n] = -bl.y0;
    n++;
  }
  if (n == 0) return;
  double pad = st->legend_borderpad * fs, hl = st->legend_handlelength * fs;
  double gap = st->legend_handletextpad * fs, sp = st->legend_labelspacing * fs;
  double w = 2 * pad + hl + gap + tw, h = 2 * pad + sp * (n - 1);
  for (int i = 0; i < n; i++) h += fmax(tb[i], 0.7 * fs) + th[i] - tb[i];
  double axpad = st->legend_borderaxespad * fs;
  dlt_box box;
  if (ax->legend_loc == DLT_LOC_BEST) {
    int best = -1, bestbad = 0;
    for (int loc = 1; loc <= 10; loc++) {
      dlt_box b = place(ax, loc, w, h, axpad);
      int bad = badness(ax, b);
      if (best < 0 || bad < bestbad) best = loc, bestbad = bad, box = b;
      if (bad == 0) break;
    }
  } else {
    box = place(ax, ax->legend_loc, w, h, axpad);
  }
  dlt_box_union(tight, box);
  if (!draw) return;
  if (ax->legend_frame) {
    double r = 0.2 * fs, x = box.x0, y = box.y0; /* FancyBboxPatch round, pad 0 */
    cairo_new_sub_path(cr);
    cairo_arc(cr, x + w - r, y + r, r, -M_PI / 2, 0);
    cairo_arc(cr, x + w - r, y + h - r, r, 0, M_PI / 2);
    cairo_arc(cr, x + r, y + h - r, r, M_PI / 2, M_PI);
    cairo_arc(cr, x + r, y + r, r, M_PI, 3 * M_PI / 2);
    cairo_close_path(cr);
    cairo_set_source_rgba(cr, 1, 1, 1, st->legend_framealpha);
    cairo_fill_preserve(cr);
    cairo_set_line_width(cr, dlt_pt(f, 1.0));
    cairo_set_source_rgba(cr, 0.8, 0.8, 0.8, st->legend_framealpha);
    cairo_stroke(cr);
  }
  double y = box.y0 + pad;
  int k = 0;
  for (int i = 0; i < ax->nart && k < n; i++) {
    const dlt_artist *a = ax->art[i];
    if (!shown(a)) continue;
    double top = fmax(tb[k], 0.7 * fs); /* baseline depth of the row */
    double yb = y + top;
    handle(ax, cr, a, box.x0 + pad, yb, hl, fs);
    dlt_text(cr, a->label, box.x0 + pad + hl + gap, yb, fs, DLT_HA_LEFT, DLT_VA_BASELINE, 0, st->label_color, 1);
    y = yb + (th[k] - tb[k]) + sp;
    k++;
  }
}
