/* plot.h: the plotting engine (plain C, no Lua): figures of axes holding artists,
 * laid out as matplotlib does, drawn with Cairo and written as PNG with libpng. */
#ifndef DLT_PLOT_H
#define DLT_PLOT_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/tensor.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

typedef struct {
  double r, g, b, a;
} dlt_rgba;

/* ---- generated tables (src/plot/..._data.c from tools/gen_plot_data.py) ---- */
typedef struct {
  const char *name;
  const float (*rgb)[3];
  int n;
} dlt_cmap_table;
typedef struct {
  const char *name;
  const char *hex;
} dlt_named_color;
typedef struct {
  const char *key;
  const char *def;
  const char *seaborn;
} dlt_style_row;
extern const dlt_cmap_table dlt_cmap_tables[];
extern const dlt_named_color dlt_named_colors[];
extern const dlt_style_row dlt_style_rows[];

/* ---- color.c: "r", "tab:blue", "steelblue", "#rrggbb[aa]", "C3", "0.8" ---- */
int dlt_color_parse(const char *fn, const char *s, dlt_rgba *out); /* -1: unknown */
dlt_rgba dlt_color_cycle(int i);                                   /* tab10, i mod 10 */
dlt_rgba dlt_rgba_alpha(dlt_rgba c, double alpha);                 /* alpha<0: keep */

/* ---- colormap.c ---- */
typedef struct {
  const dlt_cmap_table *t;
  int reversed;
} dlt_cmap;
int dlt_cmap_get(const char *fn, const char *name, dlt_cmap *out); /* "RdBu", "RdBu_r" */
dlt_rgba dlt_cmap_eval(dlt_cmap c, double t);                      /* t in [0,1], clipped */

/* ---- style.c: the rcParams the engine uses ---- */
typedef struct {
  double figw, figh, dpi, font_size;
  dlt_rgba fig_face, axes_face, axes_edge, grid_color, label_color, tick_color;
  double axes_lw, grid_lw, grid_alpha, lines_lw, markersize, patch_lw;
  double tick_len, tick_pad, label_pad, title_pad, title_scale, figtitle_scale;
  double tick_width; /* xtick.major.width, points */
  int tick_dir;      /* xtick.direction: DLT_TICK_OUT, _IN, _INOUT */
  double xmargin, ymargin;
  double simplify_threshold; /* path.simplify_threshold, pixels; 0: lines drawn unsimplified */
  double grid_zorder;        /* axes.axisbelow: True 0.5, 'line' 1.5, False 2.5 */
  double dash[2];
  double legend_borderpad, legend_labelspacing, legend_handlelength, legend_handletextpad,
    legend_borderaxespad, legend_framealpha;
  int grid, legend_frame, round_caps, hist_bins;
  double sub_left, sub_right, sub_bottom, sub_top, sub_wspace, sub_hspace;
  char cmap[32];
} dlt_style;
enum { DLT_TICK_OUT,
       DLT_TICK_IN,
       DLT_TICK_INOUT };
int dlt_style_use(const char *name); /* "default", "seaborn-v0_8-whitegrid" */
const dlt_style *dlt_style_current(void);

/* ---- ticks.c: matplotlib's MaxNLocator/AutoLocator, LogLocator, ScalarFormatter ---- */
#define DLT_MAXTICKS 256
/* autolocator: steps (1, 2, 2.5, 5, 10) of AutoLocator, else MaxNLocator's default
 * (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) */
int dlt_ticks_maxn(double vmin, double vmax, int nbins, int min_n, int autolocator, double *out);
int dlt_ticks_log(double vmin, double vmax, int numticks, double *out);
/* labels as ScalarFormatter writes them (U+2212 minus); returns the order of
 * magnitude moved to the axis' offset text (0 for none). */
int dlt_ticks_format(const double *locs, int n, double vmin, double vmax, char (*labels)[40]);
/* "10^{k}" as LogFormatterSciNotation (drawn with a superscript) */
void dlt_ticks_format_log(double loc, char *label, int cap);
/* the number of ticks an axis of length_pt points has room for (Axis.get_tick_space) */
int dlt_tick_space(double length_pt, double fontsize_pt, int vertical);

/* ---- contour.c: marching squares over a rows x cols grid (X, Y, Z row-major) ---- */
typedef struct {
  int n;      /* number of paths */
  int *start; /* path i is points start[i] .. start[i+1]-1 (n+1 entries) */
  double *x, *y;
  int *closed;
  int cap, pcap, npts;
} dlt_paths;
void dlt_paths_free(dlt_paths *p);
/* lines of Z == level; NaN corners drop the cell; saddles decided by the centre mean */
int dlt_contour_lines(const double *X, const double *Y, const double *Z, int rows, int cols,
                      double level, dlt_paths *out);
/* levels[i0..i1) into out[i0..i1), as dlt_contour_lines makes them, sharing one
 * scratch: returns the level it stopped at (i1 when all are made) */
int dlt_contour_lines_range(const double *X, const double *Y, const double *Z, int rows, int cols,
                            const double *levels, int i0, int i1, dlt_paths *out);
/* polygons (all oriented alike, fill with non-zero winding) where lo <= Z <= hi */
int dlt_contour_band(const double *X, const double *Y, const double *Z, int rows, int cols,
                     double lo, double hi, dlt_paths *out);
/* all nlevels-1 bands in one pass over the cells: out[k] gets levels[k]..levels[k+1] */
int dlt_contour_bands(const double *X, const double *Y, const double *Z, int rows, int cols,
                      const double *levels, int nlevels, dlt_paths *out);
/* the bands' outlines in the rows of cells i0..i1-1 only: dlt_contour_bands makes out[k]
 * of rows [0, m) followed by out[k] of rows [m, rows-1) for any m, path for path */
int dlt_contour_bands_rows(const double *X, const double *Y, const double *Z, int rows, int cols,
                           const double *levels, int nlevels, int i0, int i1, dlt_paths *out);
/* levels as matplotlib picks them for a count n (MaxNLocator(n+1) trimmed) */
int dlt_contour_autolevels(double zmin, double zmax, int n, double *out);

/* ---- the figure model (figure.c, artists.c) ---- */
typedef enum {
  DLT_ART_LINE,
  DLT_ART_SCATTER,
  DLT_ART_PATCH,
  DLT_ART_CONTOUR,
  DLT_ART_IMAGE,
  DLT_ART_TEXT
} dlt_artist_kind;

enum { DLT_LS_SOLID,
       DLT_LS_DASHED,
       DLT_LS_DOTTED,
       DLT_LS_DASHDOT,
       DLT_LS_NONE };
enum { DLT_COORD_DATA,
       DLT_COORD_AXES }; /* per dimension, for axhline/axvspan */
enum { DLT_COORD_OFFSET = 2,
       DLT_COORD_OFFSET_PX }; /* annotate's text: points (pixels) from xy */

/* annotate: the point (x, y) in xycoord the text points at; style -1 no arrow, 0 the
 * YAArrow look (width, headwidth, headlength in points, shrink a fraction), else
 * dlt_arrowstyle's (shrinkA, shrinkB in points); lw in points */
typedef struct {
  double x, y;
  int xycoord, tcoord, style;
  dlt_rgba edge, face;
  double lw, shrinkA, shrinkB, shrink, width, headwidth, headlength;
} dlt_annotation;

/* clabel: a text per level (NULL: no labels on it), fontsize in points, inline_spacing
 * in pixels, the lines broken under the labels when inl */
typedef struct {
  int nlevels, inl, has_color;
  double fontsize, spacing;
  dlt_rgba color;
  char **text;
} dlt_clabel;
typedef struct {
  double x, y, rot;
  int level;
} dlt_clabel_pos; /* pixels, degrees */
void dlt_clabel_free(dlt_clabel *c);

typedef struct {
  dlt_rgba color;
  double width; /* points */
  int ls;       /* DLT_LS_* */
  char marker;  /* 0 for none: o * s ^ v D + x . */
  double msize; /* points */
  double mew;   /* marker edge width, points */
  dlt_rgba mface, medge;
} dlt_linestyle;

typedef struct dlt_artist {
  dlt_artist_kind kind;
  char *label;
  double alpha; /* applied on top of colours; 1 when unset */
  double zorder;
  int xcoord, ycoord; /* DLT_COORD_* */
  int64_t n;          /* points (line, scatter), vertices (patch) */
  double *x, *y;
  dlt_linestyle ls;
  /* scatter: sizes (pt^2, ns of them), colours or values mapped by cmap */
  double *s;
  int64_t ns;
  dlt_rgba *colors;
  int64_t ncolors;
  double *cvals; /* NULL unless mapped */
  int edge_face; /* edgecolor 'face' */
  dlt_rgba edge;
  double lw; /* scatter/patch edge width, points */
  /* patch: polygons start[i]..start[i+1] within x, y */
  int npoly;
  int *pstart;
  dlt_rgba face;
  int has_edge;
  /* contour and image grids */
  int rows, cols;
  double *gx, *gy, *gz;
  int filled, nlevels;
  double *levels;
  int level_colors; /* explicit colors given (colors=) */
  dlt_rgba *lcolors;
  int nlcolors;
  /* mappable */
  dlt_cmap cmap;
  double vmin, vmax;
  int mapped; /* usable by colorbar */
  int aspect_equal;
  int bars; /* bar/hist patches: sticky at each bar's base */
  /* text */
  char *text;
  double fontsize;
  int ha, va;
  int unclipped;         /* clip_on false: drawn outside the axes too (text's default) */
  dlt_annotation *annot; /* a text that is an annotation */
  dlt_clabel *clabel;    /* contour lines with labels */
} dlt_artist;

struct dlt_figure;

typedef struct {
  int set, n; /* set: the ticks are fixed (n of them) */
  double *v;
  char **lab;           /* n labels or NULL */
  double rot, fontsize; /* degrees; points, 0: the style's */
  int ha, va;
} dlt_ticks_fixed;

typedef struct dlt_axes {
  struct dlt_figure *fig;
  int r0, r1, c0, c1; /* grid cell span [r0,r1) x [c0,c1) */
  dlt_artist **art;
  int nart, capart;
  char *title, *xlabel, *ylabel;
  double title_size, xlabel_size, ylabel_size;
  double xlim[2], ylim[2];
  int xlim_set, ylim_set;
  int xlog, ylog, yinvert;
  int grid;
  double grid_alpha;
  int axis_off;
  int legend;
  int legend_loc;
  double legend_fontsize;
  int legend_frame;
  double title_pad;
  int title_loc; /* points; DLT_HA_* */
  int line_cycle, patch_cycle;
  int aspect_equal;
  int aspect_set;
  double aspect;         /* set_aspect: y units per x unit on screen, 0 'auto' */
  struct dlt_axes *twin; /* twinx/twiny: the axes this one was made from */
  int twin_kind;         /* 'x': shares x, its y axis on the right; 'y': shares y, x on top */
  /* colorbar attached to this axes' cell */
  dlt_artist *cbar;
  char *cbar_label;
  /* computed at draw time, pixels with y down */
  double bx, by, bw, bh; /* the axes box */
  double cx, cy, cw, ch; /* the grid cell (before colorbar and aspect) */
  double cb[4];          /* the colorbar box x, y, w, h */
  double vx[2], vy[2];   /* view limits */
  double xt[DLT_MAXTICKS], yt[DLT_MAXTICKS];
  int nxt, nyt;
  char xl[DLT_MAXTICKS][40], yl[DLT_MAXTICKS][40];
  int xoom, yoom;
  char xminor[DLT_MAXTICKS], yminor[DLT_MAXTICKS]; /* labelled minor ticks: no grid line */
  /* set_xticks / set_yticks ([0] x, [1] y): fixed tick values (FixedLocator), their
   * labels when given (FixedFormatter; NULL: formatted as usual), and the tick labels'
   * text properties (ha, va -1: the axis' own) */
  dlt_ticks_fixed fixed[2];
  const char *tick_text[2][DLT_MAXTICKS]; /* at layout: the fixed label of tick i, or NULL */
} dlt_axes;

typedef struct dlt_figure {
  double w, h, dpi; /* inches, dots per inch */
  dlt_style st;
  int nrows, ncols;
  dlt_axes **ax;
  int nax, capax;
  char *suptitle;
  double suptitle_size;
  int tight;
  int sharex, sharey; /* subplots(sharex, sharey): one range for all */
  double left, right, bottom, top, wspace, hspace;
  int crop[4]; /* savefig's bbox_inches 'tight': x, y, w, h pixels (w 0: none) */
} dlt_figure;

/* figure.c */
dlt_figure *dlt_figure_new(double w, double h, double dpi);
void dlt_figure_free(dlt_figure *f);
/* an axes on the nrows x ncols grid at (row, col), 0-based; sets f's grid shape */
dlt_axes *dlt_figure_add_axes(dlt_figure *f, int nrows, int ncols, int row, int col);
/* plt.subplot: the axes spanning cells first..last (0-based, row-major) of an nrows x
 * ncols grid; the figure's grid becomes the least common multiple of its own and this
 * one (cells of earlier axes scaled to it); an axes already there is returned */
dlt_axes *dlt_figure_subplot(dlt_figure *f, int nrows, int ncols, int first, int last, int *existed);
/* twinx (kind 'x') or twiny ('y'): a new axes over ax sharing its x (or y) */
dlt_axes *dlt_axes_twin(dlt_axes *ax, int kind);
int dlt_figure_suptitle(dlt_figure *f, const char *s, double size);
int dlt_set_string(char **dst, const char *s, const char *fn);
int dlt_axes_colorbar(dlt_axes *ax, dlt_artist *mappable, const char *label);
/* ticks_fixed.c: fixes n ticks of one axis at v, labelled lab (NULL: formatted as usual);
 * copied. -1 with dlt_error() */
int dlt_axes_set_ticks(dlt_axes *ax, int yaxis, const double *v, int n, const char *const *lab);
void dlt_axes_free_ticks(dlt_axes *ax);
/* frees the artists added after the first keep (a call that failed half-way) */
void dlt_axes_drop_artists(dlt_axes *ax, int keep);

/* artists.c: each returns the new artist (owned by ax) or NULL with dlt_error() */
dlt_artist *dlt_artist_new(dlt_axes *ax, dlt_artist_kind kind);
/* fmt: matplotlib format string or NULL; a negative width or msize means the default;
 * color may be NULL (next colour in the cycle) */
dlt_artist *dlt_plot_line(dlt_axes *ax, const double *x, const double *y, int64_t n);
int dlt_parse_fmt(const char *fn, const char *fmt, dlt_linestyle *ls, int *has_color,
                  int *has_ls, int *has_marker);
int dlt_parse_linestyle(const char *fn, const char *s, int *ls);
int dlt_check_marker(const char *fn, const char *s, char *marker);
dlt_artist *dlt_plot_scatter(dlt_axes *ax, const double *x, const double *y, int64_t n);
dlt_artist *dlt_plot_bars(dlt_axes *ax, const double *x0, const double *x1,
                          const double *y0, const double *y1, int64_t n);
dlt_artist *dlt_plot_polygon(dlt_axes *ax, const double *x, const double *y, int64_t n);
dlt_artist *dlt_plot_fill_between(dlt_axes *ax, const double *x, const double *y1,
                                  const double *y2, int64_t n);
dlt_artist *dlt_plot_axline(dlt_axes *ax, int vertical, double v, double a0, double a1);
dlt_artist *dlt_plot_axspan(dlt_axes *ax, int vertical, double v0, double v1);
dlt_artist *dlt_plot_contour(dlt_axes *ax, const double *X, const double *Y, const double *Z,
                             int rows, int cols, int xy2d, const double *levels, int nlevels,
                             int nauto, int filled);
dlt_artist *dlt_plot_image(dlt_axes *ax, const double *M, int rows, int cols);
dlt_artist *dlt_plot_text(dlt_axes *ax, double x, double y, const char *s, const char *fn);
/* counts (bins of them) of data between edges (bins+1); density divides by n*width */
int dlt_histogram(const double *v, int64_t n, const double *edges, int bins, int density,
                  double *counts);
/* finishes a mappable's colours after its cmap/vmin/vmax were set */
void dlt_artist_autoscale_norm(dlt_artist *a);

/* annotate.c: "->" and the other arrow styles as 1.. (-1: unknown) */
int dlt_arrowstyle(const char *s);

/* text.c: DejaVu Sans through fontconfig/FreeType, drawn by Cairo */
typedef struct _cairo cairo_t;
enum { DLT_HA_LEFT,
       DLT_HA_CENTER,
       DLT_HA_RIGHT };
enum { DLT_VA_TOP,
       DLT_VA_CENTER,
       DLT_VA_BASELINE,
       DLT_VA_BOTTOM,
       DLT_VA_CENTER_BASELINE };
typedef struct {
  double x0, y0, x1, y1;
} dlt_box; /* pixels, y down */
/* clabel.c: where the labels of contour lines a go, given its levels' paths in (data
 * coordinates): the lines left (out, one per level, to free) and the labels (pos, to
 * free); -1 when out of memory */
int dlt_clabel_layout(const dlt_axes *ax, cairo_t *cr, const dlt_artist *a, const dlt_paths *in, dlt_paths *out,
                      dlt_clabel_pos **pos, int *npos);
/* an annotation's text box in pixels (NaN when hidden); draws it and its arrow when draw */
dlt_box dlt_annotation_draw(const dlt_axes *ax, cairo_t *cr, const dlt_artist *a, int draw);
/* text is drawn only below this size in pixels (FreeType's limit is 65536) */
#define DLT_TEXT_MAX_PX 32768.0
/* text of this size in pixels or more is filled as outlines, not shown as cached glyph images */
#define DLT_TEXT_PATH_PX 256.0
/* lays out (and, when draw, draws) s at (x, y) pixels; size in pixels; rot 0 or 90
 * degrees; returns the ink box of the text */
dlt_box dlt_text(cairo_t *cr, const char *s, double x, double y, double size, int ha, int va,
                 int rot90, dlt_rgba color, int draw);
/* the same turned by angle degrees counter-clockwise: anchor 1 aligns the unrotated
 * text, then turns it about (x, y) (rotation_mode 'anchor'); anchor 0 turns it, then
 * aligns the turned text's box (matplotlib's default) */
dlt_box dlt_text_rot(cairo_t *cr, const char *s, double x, double y, double size, int ha, int va,
                     double angle, int anchor, dlt_rgba color, int draw);
int dlt_text_init(void);
/* the calling thread's face from now on: 0, or a second one for a second drawing thread */
void dlt_text_use_face(int k);

/* layout.c: where everything goes, as matplotlib places it */
void dlt_layout_cells(dlt_figure *f);  /* axes boxes from the subplot params */
void dlt_layout_figure(dlt_figure *f); /* cells, limits (shared), ticks of all axes */
/* the whole layout as savefig does it (tight_layout included), without drawing */
int dlt_figure_layout(dlt_figure *f);
int dlt_layout_tight(dlt_figure *f, cairo_t *cr);
void dlt_box_union(dlt_box *a, dlt_box b);
double dlt_pt(const dlt_figure *f, double points); /* points to pixels */

/* render.c: dlt_render is dlt_render_layout (which places everything: it mutates the
 * figure) then dlt_render_draw (which only reads it, so two threads may draw at once) */
int dlt_render(dlt_figure *f, cairo_t *cr);
int dlt_render_layout(dlt_figure *f, cairo_t *cr);
/* The contours of a figure computed once for the threads drawing it, each thread
 * taking halves of them (dlt_contours_compute, before dlt_render_draw); NULL when it
 * has none (or on failure: each draw then computes its own). */
typedef struct dlt_contours dlt_contours;
dlt_contours *dlt_contours_new(const dlt_figure *f);
void dlt_contours_compute(dlt_contours *c);
void dlt_contours_free(dlt_contours *c);
int dlt_render_draw(dlt_figure *f, cairo_t *cr, const dlt_contours *contours);
/* draws one axes, or only measures it into *tight when draw is 0 */
void dlt_render_axes(dlt_axes *ax, cairo_t *cr, int draw, dlt_box *tight);
void dlt_render_colorbar(dlt_axes *ax, cairo_t *cr, int draw, dlt_box *tight);
double dlt_data_px(const dlt_axes *ax, int yaxis, double v);
void dlt_marker_path(cairo_t *cr, char marker, double x, double y, double size_px);
int dlt_marker_filled(char marker);
void dlt_set_dash(cairo_t *cr, int ls, double lw_px, double scale_px);
/* simplify.c: lines simplified in pixels into Cairo's path (matplotlib's path.simplify):
 * exactly as every run is checked up to DLT_SIMPLIFY_EXACT_MAX points, in O(1) a point
 * beyond (fast); nv counts the vertices given to Cairo */
#define DLT_SIMPLIFY_RUN 64
#define DLT_SIMPLIFY_EXACT_MAX 20000
typedef struct {
  cairo_t *cr;
  double tol2; /* the threshold squared, pixels^2 */
  int fast;
  int64_t nv;
  double ax, ay; /* the anchor: the last vertex given to Cairo */
  /* exact: the run since the anchor, the last one its end */
  double qx[DLT_SIMPLIFY_RUN], qy[DLT_SIMPLIFY_RUN];
  int nq;
  /* fast: the run's first step from the anchor, its length squared; the furthest
   * projections on it, in steps, and the points at them; which the latest point was
   * (1 ahead, -1 behind, 0 neither), and the latest point */
  int state; /* 0: no point, 1: the anchor only, 2: a run */
  double dx, dy, d2, ahead, behind, hx, hy, bx, by, lx, ly;
  int last;
} dlt_simplifier;
void dlt_simp_init(dlt_simplifier *s, cairo_t *cr, double tol, int fast);
void dlt_simp_move(dlt_simplifier *s, double x, double y);
void dlt_simp_line(dlt_simplifier *s, double x, double y);
void dlt_simp_end(dlt_simplifier *s, int close);

/* stroke.c: fills the region cairo_stroke would cover for the current path (lines
 * only; round joins; cr's width, cap and dashes) in time linear in its vertices */
void dlt_stroke_fill(cairo_t *cr);

/* legend.c */
void dlt_render_legend(dlt_axes *ax, cairo_t *cr, int draw, dlt_box *tight);
enum { DLT_LOC_BEST,
       DLT_LOC_UR,
       DLT_LOC_UL,
       DLT_LOC_LL,
       DLT_LOC_LR,
       DLT_LOC_R,
       DLT_LOC_CL,
       DLT_LOC_CR,
       DLT_LOC_LC,
       DLT_LOC_UC,
       DLT_LOC_C };
int dlt_legend_loc(const char *fn, const char *s);

/* deflate.c: raw[0..n) as a zlib stream handed to sink in pieces (a nonzero return
 * stops it); matches are tried left and up bytes back (up 0: none). -1 on failure. */
typedef int (*dlt_zlib_sink)(void *ctx, const unsigned char *p, size_t n);
int dlt_zlib_compress(const unsigned char *raw, size_t n, size_t left, size_t up, dlt_zlib_sink sink,
                      void *ctx);
uint32_t dlt_adler32(uint32_t adler, const unsigned char *p, size_t n);
/* One part of a zlib stream cut into parts compressed apart (e.g. by two threads): the
 * header when first; blocks that reach no byte before raw; the last one final when
 * last, else an empty stored block that ends the part on a byte boundary. The stream is
 * the parts in order, then the Adler-32 of all the bytes (big-endian), which
 * dlt_adler32_combine makes from the parts' own. */
int dlt_zlib_part(const unsigned char *raw, size_t n, size_t left, size_t up, int first, int last,
                  dlt_zlib_sink sink, void *ctx);
/* the Adler-32 of A then B from adler_a of A and adler_b of B's n_b bytes (from 1) */
uint32_t dlt_adler32_combine(uint32_t adler_a, uint32_t adler_b, size_t n_b);

/* png.c: writes the figure; a temporary file renamed into place */
int dlt_figure_savefig(dlt_figure *f, const char *path, double dpi);
/* savefig's options: bbox_inches 'tight' (tight, with pad_inches round the drawing) and
 * transparent (no figure or axes background) */
typedef struct {
  int tight, transparent;
  double pad_inches;
} dlt_savefig_opts;
int dlt_figure_savefig_opts(dlt_figure *f, const char *path, double dpi, const dlt_savefig_opts *o);
/* the box of everything drawn (axes, their labels, colorbars, legends, the suptitle),
 * pixels at the figure's dpi, after the layout */
int dlt_figure_tight_bbox(dlt_figure *f, dlt_box *out);
/* renders into a new ARGB32 buffer (caller frees) for tests: w x h pixels */
unsigned char *dlt_figure_render_rgba(dlt_figure *f, int *w, int *h);

/* imread.c: a PNG file as a float32 tensor in [0, 1]: (H,W) grey, (H,W,2) grey and
 * alpha, (H,W,3) RGB or (H,W,4) RGBA, as matplotlib's imread */
dlt_tensor *dlt_imread(const char *path);

#endif
