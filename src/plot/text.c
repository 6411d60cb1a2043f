/* text.c: text in DejaVu Sans (FreeType renders it through Cairo), laid out as
 * matplotlib's Text: lines at 1.2 spacing, line heights at least those of "lp",
 * alignment before rotation, and "a^{b}" drawn as a superscript. */
#include <cairo-ft.h>
#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "plot/plot.h"

/* Two faces of the same font when savefig draws with two threads: Cairo locks a
 * scaled font (of one face at one size) for the whole of a cairo_show_text, so
 * threads sharing one take turns at drawing text; with a face each they do not. */
static cairo_font_face_t *faces[2]; /* faces[0] is published through face0 */
static _Atomic(cairo_font_face_t *) face0;
static cairo_font_options_t *opts;
static pthread_mutex_t faces_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local int face_slot; /* this thread's face */

/* DejaVu Sans where distributions install it, read by FreeType directly: asking
 * fontconfig first costs every process the loading of its configuration and caches
 * (bench/README.md) */
static const char *const font_files[] = {
  "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",   /* Debian, Ubuntu */
  "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf", /* Fedora */
  "/usr/share/fonts/TTF/DejaVuSans.ttf",               /* Arch */
  "/usr/share/fonts/dejavu/DejaVuSans.ttf"};

/* FreeType wants FT_New_Face calls on one library serialized: faces_lock is held */
static cairo_font_face_t *face_from_file(void) {
  static FT_Library lib;
  FT_Face ft;
  if (!lib && FT_Init_FreeType(&lib) != 0) {
    lib = NULL;
    return NULL;
  }
  for (size_t i = 0; i < sizeof font_files / sizeof font_files[0]; i++) {
    if (FT_New_Face(lib, font_files[i], 0, &ft) != 0) continue;
    if (ft->family_name && strcmp(ft->family_name, "DejaVu Sans") == 0 && ft->style_name &&
        strcmp(ft->style_name, "Book") == 0) {
      cairo_font_face_t *c = cairo_ft_font_face_create_for_ft_face(ft, 0);
      if (cairo_font_face_status(c) == CAIRO_STATUS_SUCCESS) return c; /* ft lives as long as c */
      cairo_font_face_destroy(c);
    }
    FT_Done_Face(ft);
  }
  return NULL;
}

static cairo_font_face_t *face_from_fontconfig(void) {
  FcPattern *pat = FcNameParse((const FcChar8 *)"DejaVu Sans");
  if (!pat) return dlt_fail("plot: fontconfig cannot parse a font name");
  FcConfigSubstitute(NULL, pat, FcMatchPattern);
  FcDefaultSubstitute(pat);
  FcResult res;
  FcPattern *match = FcFontMatch(NULL, pat, &res);
  FcPatternDestroy(pat);
  if (!match) return dlt_fail("plot: fontconfig found no font for 'DejaVu Sans'");
  cairo_font_face_t *c = cairo_ft_font_face_create_for_pattern(match);
  FcPatternDestroy(match);
  return c;
}

int dlt_text_init(void) {
  if (atomic_load_explicit(&face0, memory_order_acquire)) return 0;
  pthread_mutex_lock(&faces_lock);
  cairo_font_face_t *f = faces[0] ? faces[0] : face_from_file();
  if (!f) f = face_from_fontconfig();
  if (f && !faces[0]) {
    opts = cairo_font_options_create();
    cairo_font_options_set_antialias(opts, CAIRO_ANTIALIAS_GRAY);
    cairo_font_options_set_hint_style(opts, CAIRO_HINT_STYLE_SLIGHT);
    cairo_font_options_set_hint_metrics(opts, CAIRO_HINT_METRICS_OFF);
    faces[0] = f;
    atomic_store_explicit(&face0, f, memory_order_release);
  }
  pthread_mutex_unlock(&faces_lock);
  return f ? 0 : -1;
}

/* The calling thread draws with face k (0 or 1) from now on, made on first use (after
 * dlt_text_init); the same glyphs as face 0. Without a second file face, face 0. */
void dlt_text_use_face(int k) {
  if (k == 1 && dlt_text_init() == 0) {
    pthread_mutex_lock(&faces_lock);
    if (!faces[1]) {
      cairo_font_face_t *f = face_from_file();
      faces[1] = f ? f : cairo_font_face_reference(faces[0]);
    }
    pthread_mutex_unlock(&faces_lock);
  }
  face_slot = k == 1 && faces[1];
}

typedef struct {
  char pre[1024], sup[64], post[256];
} mline;

/* splits "pre^{sup}post"; no "^{" leaves everything in pre */
static void split_math(const char *s, size_t n, mline *m) {
  memset(m, 0, sizeof *m);
  const char *c = memchr(s, '^', n);
  const char *e = c && c + 1 < s + n && c[1] == '{' ? memchr(c, '}', (size_t)(s + n - c)) : NULL;
  if (!e) {
    size_t k = n < 1023 ? n : 1023;
    memcpy(m->pre, s, k);
    return;
  }
  size_t k = (size_t)(c - s) < 1023 ? (size_t)(c - s) : 1023;
  memcpy(m->pre, s, k);
  k = (size_t)(e - c - 2) < 63 ? (size_t)(e - c - 2) : 63;
  memcpy(m->sup, c + 2, k);
  k = (size_t)(s + n - e - 1) < 255 ? (size_t)(s + n - e - 1) : 255;
  memcpy(m->post, e + 1, k);
  /* mathtext spaces a binary operator: "2 \u00d7 10" with thin spaces */
  char *x = strstr(m->pre, "\xc3\x97");
  if (x && strlen(m->pre) + 6 < sizeof m->pre) {
    memmove(x + 5, x + 2, strlen(x + 2) + 1);
    memcpy(x, "\xe2\x80\x89\xc3\x97", 5);
    memmove(x + 8, x + 5, strlen(x + 5) + 1);
    memcpy(x + 5, "\xe2\x80\x89", 3);
  }
}

#define SUP_SCALE 0.7
#define SUP_RAISE 0.5

/* width, ink height above the baseline and depth below it of one line */
static void measure(cairo_t *cr, const mline *m, double size, double *w, double *h, double *d) {
  cairo_text_extents_t te;
  double asc = 0, desc = 0, x = 0;
  const char *parts[3] = {m->pre, m->sup, m->post};
  for (int k = 0; k < 3; k++) {
    if (!parts[k][0]) continue;
    double sz = k == 1 ? size * SUP_SCALE : size, rise = k == 1 ? size * SUP_RAISE : 0;
    cairo_set_font_size(cr, sz);
    cairo_text_extents(cr, parts[k], &te);
    x += te.x_advance;
    asc = fmax(asc, -te.y_bearing + rise);
    desc = fmax(desc, te.height + te.y_bearing - rise);
  }
  /* Agg measures the rendered bitmap: whole pixels above and below the baseline */
  asc = round(asc), desc = round(desc);
  *w = x, *h = asc + desc, *d = desc;
}

static void draw_line(cairo_t *cr, const mline *m, double size, double x, double y) {
  const char *parts[3] = {m->pre, m->sup, m->post};
  cairo_text_extents_t te;
  for (int k = 0; k < 3; k++) {
    if (!parts[k][0]) continue;
    double sz = k == 1 ? size * SUP_SCALE : size, rise = k == 1 ? size * SUP_RAISE : 0;
    cairo_set_font_size(cr, sz);
    cairo_move_to(cr, x, y - rise);
    if (sz < DLT_TEXT_PATH_PX) {
      cairo_show_text(cr, parts[k]);
    } else {
      /* Cairo caches each glyph it shows as an image of the glyph's size, in a cache
       * per font size that outlives the figure: a few letters of 10000 pixels kept
       * hundreds of MB per size, and took seconds. Outlines filled keep nothing. */
      cairo_text_path(cr, parts[k]);
      cairo_fill(cr);
    }
    cairo_text_extents(cr, parts[k], &te);
    x += te.x_advance;
  }
}

#define MAXLINES 16

dlt_box dlt_text(cairo_t *cr, const char *s, double x, double y, double size, int ha, int va,
                 int rot90, dlt_rgba color, int draw) {
  return dlt_text_rot(cr, s, x, y, size, ha, va, rot90 ? 90 : 0, 1, color, draw);
}

/* Text._get_layout's rotation_mode 'default': the box of the text rotated by th radians
 * (counter-clockwise on the page) about its top-left corner is what ha and va align;
 * returns the offset of that corner from (x, y) and the box's corners about it */
static void rotated_box(double W, double H, double th, int ha, int va, double baseline, double descent,
                        double *dx, double *dy, dlt_box *b) {
  double c = cos(th), sn = sin(th), u[4] = {0, W, W, 0}, v[4] = {0, 0, H, H};
  *b = (dlt_box){INFINITY, INFINITY, -INFINITY, -INFINITY};
  for (int k = 0; k < 4; k++) {
    double px = u[k] * c + v[k] * sn, py = -u[k] * sn + v[k] * c; /* y down */
    b->x0 = fmin(b->x0, px), b->x1 = fmax(b->x1, px), b->y0 = fmin(b->y0, py), b->y1 = fmax(b->y1, py);
  }
  *dx = ha == DLT_HA_LEFT ? -b->x0 : ha == DLT_HA_CENTER ? -(b->x0 + b->x1) / 2
                                                         : -b->x1;
  *dy = va == DLT_VA_TOP ? -b->y0 : va == DLT_VA_BOTTOM   ? -b->y1
                                  : va == DLT_VA_CENTER   ? -(b->y0 + b->y1) / 2
                                  : va == DLT_VA_BASELINE ? -(b->y1 - descent)
                                                          : -(b->y0 + baseline / 2);
}

dlt_box dlt_text_rot(cairo_t *cr, const char *s, double x, double y, double size, int ha, int va,
                     double angle, int anchor, dlt_rgba color, int draw) {
  int rot90 = angle == 90 && anchor;
  dlt_box box = {x, y, x, y};
  /* text at a point a log axis cannot show (NaN) or of no size would put cairo into an
   * error state (a non-invertible matrix) that fails the whole figure; FreeType refuses
   * sizes of 65536 pixels and more, and that error stays in the shared face, failing
   * every later figure (text that large is far beyond any figure anyway) */
  if (!s || !s[0] || !isfinite(x) || !isfinite(y) || !(size > 0 && size < DLT_TEXT_MAX_PX) || dlt_text_init() != 0)
    return box;
  cairo_save(cr);
  cairo_set_font_face(cr, faces[face_slot]);
  cairo_set_font_options(cr, opts);
  mline lines[MAXLINES];
  double w[MAXLINES], base[MAXLINES], lp_h, lp_d, W = 0, lw;
  mline lp;
  split_math("lp", 2, &lp);
  measure(cr, &lp, size, &lw, &lp_h, &lp_d);
  int n = 0;
  double thisy = 0, baseline = 0, d = 0, min_dy = (lp_h - lp_d) * 1.2;
  for (const char *p = s; n < MAXLINES; n++) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    split_math(p, len, &lines[n]);
    double h;
    if (len) measure(cr, &lines[n], size, &w[n], &h, &d);
    else w[n] = h = d = 0;
    h = fmax(h, lp_h), d = fmax(d, lp_d);
    /* matplotlib's Text._get_layout, with y growing downwards */
    baseline = (h - d) + thisy;
    thisy = n == 0 ? h - d : thisy + fmax(min_dy, (h - d) * 1.2);
    base[n] = thisy;
    thisy += d;
    W = fmax(W, w[n]);
    if (!nl) {
      n++;
      break;
    }
    p = nl + 1;
  }
  double H = thisy;
  double oy = va == DLT_VA_TOP ? 0 : va == DLT_VA_BOTTOM   ? -H
                                   : va == DLT_VA_CENTER   ? -H / 2
                                   : va == DLT_VA_BASELINE ? -baseline
                                                           : -baseline / 2;
  double ox = ha == DLT_HA_LEFT ? 0 : ha == DLT_HA_CENTER ? -W / 2
                                                          : -W;
  double th = angle * M_PI / 180;
  int turned = angle != 0 && !rot90;
  if (rot90) box = (dlt_box){x + oy, y - ox - W, x + oy + H, y - ox};
  else if (!turned) box = (dlt_box){x + ox, y + oy, x + ox + W, y + oy + H};
  else if (anchor) { /* aligned unrotated, then turned about (x, y) */
    double c = cos(th), sn = sin(th), u[2] = {ox, ox + W}, v[2] = {oy, oy + H};
    box = (dlt_box){INFINITY, INFINITY, -INFINITY, -INFINITY};
    for (int k = 0; k < 4; k++) {
      double px = u[k & 1] * c + v[k >> 1] * sn, py = -u[k & 1] * sn + v[k >> 1] * c;
      dlt_box_union(&box, (dlt_box){x + px, y + py, x + px, y + py});
    }
  } else { /* turned, then its box aligned: the corner moves to (x + dx, y + dy) */
    double dx, dy;
    dlt_box b;
    rotated_box(W, H, th, ha, va, base[0], d, &dx, &dy, &b);
    x += dx, y += dy, ox = oy = 0;
    box = (dlt_box){x + b.x0, y + b.y0, x + b.x1, y + b.y1};
  }
  /* a band of the image drawn alone skips the text wholly above or below it (a glyph's
   * ink stays within a font size of the box) */
  double cx0, cy0, cx1, cy1;
  if (draw) cairo_clip_extents(cr, &cx0, &cy0, &cx1, &cy1);
  if (draw && (box.y1 + size < cy0 || box.y0 - size > cy1)) draw = 0;
  if (draw) {
    cairo_translate(cr, x, y);
    if (rot90) cairo_rotate(cr, -M_PI / 2);
    else if (turned) cairo_rotate(cr, -th);
    cairo_set_source_rgba(cr, color.r, color.g, color.b, color.a);
    for (int i = 0; i < n; i++) {
      double lx = ha == DLT_HA_LEFT ? 0 : ha == DLT_HA_CENTER ? (W - w[i]) / 2
                                                              : W - w[i];
      draw_line(cr, &lines[i], size, ox + lx, oy + base[i]);
    }
  }
  cairo_restore(cr);
  return box;
}
