/* png.c: renders a figure into a Cairo image surface and writes it as an 8-bit RGB
 * PNG (RGBA when the figure's face is not opaque), with pHYs from the dpi and a tEXt
 * Software chunk. libpng writes the chunks; the image data are compressed by
 * deflate.c. A large image is cut into two bands of rows, each drawn, made scanlines
 * and compressed (one part of the zlib stream), one by the engine's helper thread
 * (core/worker.c). The file is written under a temporary name and renamed, so a failed
 * save leaves nothing. */
#include <cairo.h>
#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <png.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/io.h"
#include "core/worker.h"
#include "plot/plot.h"

/* Room for the figure at dpi: w x h ARGB32 pixels of stride 4w, with h spare bytes
 * for the PNG filter bytes, front of them before the pixels (*px) and the rest after;
 * transparent unless the face will cover it all. Returns the block to free. */
static unsigned char *pixels(const dlt_figure *f, double dpi, int *w, int *h, size_t front, unsigned char **px) {
  *w = (int)lround(f->w * dpi), *h = (int)lround(f->h * dpi);
  if (f->crop[2] > 0) *w = f->crop[2], *h = f->crop[3];
  size_t n = (size_t)*w * *h * 4 + (size_t)*h + front;
  unsigned char *b = f->st.fig_face.a < 1 ? calloc(n, 1) : malloc(n);
  if (!b) dlt_failn("savefig: cannot make a %dx%d image", *w, *h);
  *px = b ? b + front : NULL;
  return b;
}

/* the figure drawn at dpi into px of w x h pixels */
static int render(dlt_figure *f, double dpi, unsigned char *px, int w, int h) {
  cairo_surface_t *s = cairo_image_surface_create_for_data(px, CAIRO_FORMAT_ARGB32, w, h, 4 * w);
  if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(s);
    return dlt_failn("savefig: cannot make a %dx%d image", w, h);
  }
  double keep = f->dpi;
  f->dpi = dpi;
  cairo_t *cr = cairo_create(s);
  int rc = dlt_render(f, cr);
  cairo_destroy(cr);
  f->dpi = keep;
  cairo_surface_flush(s);
  cairo_surface_destroy(s);
  return rc;
}

/* straight (un-premultiplied) colour channel c of alpha a */
static inline unsigned char straight(unsigned c, unsigned a) {
  return (unsigned char)(a == 255 ? c : a ? (c * 255 + a / 2) / a
                                          : 0);
}

/* Straight RGBA rows of w pixels from the premultiplied ARGB32 pixels of px into out */
static void to_rgba(const unsigned char *px, int w, int h, unsigned char *out) {
  for (size_t i = 0; i < (size_t)w * h; i++) {
    uint32_t p;
    memcpy(&p, px + 4 * i, 4);
    unsigned a = p >> 24;
    out[4 * i] = straight((p >> 16) & 255, a), out[4 * i + 1] = straight((p >> 8) & 255, a);
    out[4 * i + 2] = straight(p & 255, a), out[4 * i + 3] = (unsigned char)a;
  }
}

unsigned char *dlt_figure_render_rgba(dlt_figure *f, int *w, int *h) {
  unsigned char *px, *out = NULL;
  pixels(f, f->dpi, w, h, 0, &px);
  if (px && render(f, f->dpi, px, *w, *h) == 0 && (out = dlt_malloc((size_t)*w * *h * 4))) to_rgba(px, *w, *h, out);
  free(px);
  return out;
}

/* The PNG scanlines (each a filter byte 0, then w pixels of RGB, or RGBA when
 * !opaque) of the h rows of ARGB32 pixels at px, written over them; returns where
 * they start. RGB goes forwards from px: a pixel's output ends at or before the next
 * pixel's input. RGBA needs a byte more a row: backwards into the h bytes after the
 * rows, a pixel's output starting after its input, or (when ahead) forwards from h
 * bytes before px, a pixel's output starting at or before its input. */
static unsigned char *scanlines(unsigned char *px, int w, int h, int opaque, int ahead, size_t *len) {
  size_t W = (size_t)w;
  if (opaque) { /* alpha is 255 throughout: the channels are straight already */
    for (size_t y = 0; y < (size_t)h; y++) {
      const unsigned char *in = px + 4 * W * y;
      unsigned char *o = px + (3 * W + 1) * y;
      uint32_t p, next;
      memcpy(&p, in, 4); /* the filter byte may overwrite the first pixel */
      *o++ = 0;
      for (size_t x = 0; x + 1 < W; x++, o += 3, p = next) {
        /* R, G, B and a spare byte the next pixel overwrites: a pixel's 4 bytes end
         * before the input of the pixel after next, and the next is read already */
        memcpy(&next, in + 4 * (x + 1), 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        uint32_t rgb = (p & 0xffffff) << 8;
#else
        uint32_t rgb = (p >> 16 & 0xff) | (p & 0xff00) | (p & 0xff) << 16;
#endif
        memcpy(o, &rgb, 4);
      }
      o[0] = (unsigned char)(p >> 16), o[1] = (unsigned char)(p >> 8), o[2] = (unsigned char)p;
    }
    *len = (3 * W + 1) * (size_t)h;
    return px;
  }
  unsigned char *out = ahead ? px - h : px;
  for (size_t k = 0; k < (size_t)h; k++) {
    size_t y = ahead ? k : (size_t)h - 1 - k;
    unsigned char *o = out + (4 * W + 1) * y;
    for (size_t i = 0; i < W; i++) {
      size_t x = ahead ? i : W - 1 - i;
      uint32_t p;
      memcpy(&p, px + 4 * (W * y + x), 4);
      unsigned a = p >> 24;
      unsigned char *d = o + 1 + 4 * x;
      d[0] = straight((p >> 16) & 255, a), d[1] = straight((p >> 8) & 255, a);
      d[2] = straight(p & 255, a), d[3] = (unsigned char)a;
    }
    o[0] = 0;
  }
  *len = (4 * W + 1) * (size_t)h;
  return out;
}

/* ---- two bands of rows at once ---- */

/* Images of at least this many pixels are cut in two bands: measured (a line plot,
 * best of 40 saves), two threads lose 0.03 ms at 15000 pixels, gain 0.04 ms at 30000
 * and 0.13 ms (20%) at 65536. The cut is at row h/2 however many threads run, so the
 * file is the same bytes with DLT_PLOT_THREADS=1. */
#define SPLIT_PIXELS 40000

/* rows [y0, y1) of the w x h image at px: drawn (when draw), made scanlines and
 * compressed as part (first / last) of the zlib stream into z */
typedef struct {
  dlt_figure *f;          /* laid out already; only read */
  dlt_contours *contours; /* its contours, computed by the threads together */
  unsigned char *px;
  int w, h, y0, y1, opaque, draw;
  unsigned char *z; /* the compressed part, zn bytes */
  size_t zn, zcap, n;
  uint32_t adler; /* of the n bytes of scanlines */
  int rc;
  char msg[256]; /* why it failed, from the thread that ran it */
} band;

static int to_band(void *ctx, const unsigned char *p, size_t n) {
  band *b = ctx;
  if (n > b->zcap - b->zn) {
    size_t cap = 2 * b->zcap > b->zn + n ? 2 * b->zcap : b->zn + n + 65536;
    unsigned char *z = realloc(b->z, cap);
    if (!z) return dlt_failn("savefig: cannot allocate %zu bytes", cap);
    b->z = z, b->zcap = cap;
  }
  memcpy(b->z + b->zn, p, n);
  b->zn += n;
  return 0;
}

/* The band's rows drawn on a surface of their own (Cairo draws nothing outside it),
 * moved up by y0 whole pixels: the same pixels as in the whole image. (Clipping a
 * surface of the whole image to the band changes how Cairo composites some strokes
 * and fills in clipped axes, by a few levels.) */
static int draw_band(band *b) {
  cairo_surface_t *s = cairo_image_surface_create_for_data(b->px + 4 * (size_t)b->w * b->y0, CAIRO_FORMAT_ARGB32,
                                                           b->w, b->y1 - b->y0, 4 * b->w);
  cairo_t *cr = cairo_create(s);
  cairo_translate(cr, 0, -b->y0);
  dlt_contours_compute(b->contours);
  int rc = cairo_status(cr) == CAIRO_STATUS_SUCCESS
             ? dlt_render_draw(b->f, cr, b->contours)
             : dlt_failn("savefig: cannot make a %dx%d image", b->w, b->y1 - b->y0);
  cairo_destroy(cr);
  cairo_surface_flush(s);
  cairo_surface_destroy(s);
  return rc;
}

static void run_band(band *b) {
  b->rc = b->draw ? draw_band(b) : 0;
  if (b->rc == 0) {
    size_t W = (size_t)b->w, bpp = b->opaque ? 3 : 4;
    /* RGBA of the first band goes ahead into the spare bytes before the image */
    const unsigned char *raw = scanlines(b->px + 4 * W * b->y0, b->w, b->y1 - b->y0, b->opaque, b->y0 == 0, &b->n);
    b->rc = dlt_zlib_part(raw, b->n, bpp, W * bpp + 1, b->y0 == 0, b->y1 == b->h, to_band, b);
    b->adler = dlt_adler32(1, raw, b->n);
  }
  if (b->rc != 0) snprintf(b->msg, sizeof b->msg, "%s", dlt_error());
}

/* The two bands go to whichever thread asks first: a helper slow to start leaves both
 * to the calling thread rather than keeping it waiting. The helper (core/worker.c)
 * starts before the layout, computing the figure's contours (which the layout does not
 * touch) while it runs, then waits for it. */
typedef struct {
  band *b;
  dlt_contours *contours;
  atomic_int next;     /* the band to do next; 2: none left */
  dlt_waiter laid_out; /* 0 not yet, 1 done, 2 failed */
} bands;

static void do_bands(bands *j) {
  for (int k; (k = atomic_fetch_add(&j->next, 1)) < 2;) run_band(&j->b[k]);
}

/* the helper's part; it spins up to ~2 ms for the layout before sleeping: a sleeping
 * thread woken by the caller was often put on the caller's CPU, behind it */
static void band_job(void *arg) {
  bands *j = arg;
  dlt_text_use_face(1);
  dlt_contours_compute(j->contours);
  if (dlt_waiter_wait(&j->laid_out, 0, 2000000) == 1) do_bands(j);
}

/* Whether a second thread may draw: not with DLT_PLOT_THREADS=1 */
static bool plot_threads(void) {
  const char *e = getenv("DLT_PLOT_THREADS");
  return !(e && strcmp(e, "1") == 0);
}

/* The figure laid out, then b[0] (rows 0..y0) and b[1] (the rest) each drawn, made
 * scanlines and compressed, by this thread and the helper at once. Without the helper
 * this one draws the whole image, then does the rest of both bands. */
static int render_bands(dlt_figure *f, double dpi, unsigned char *px, int w, int h, int y0, int opaque, band b[2]) {
  bands j = {.b = b, .contours = dlt_contours_new(f)};
  b[0] = (band){.f = f, .contours = j.contours, .px = px, .w = w, .h = h, .y1 = y0, .opaque = opaque, .draw = 1};
  b[1] = b[0], b[1].y0 = y0, b[1].y1 = h;
  dlt_waiter_init(&j.laid_out);
  bool threaded = plot_threads() && dlt_worker_post(band_job, &j);
  cairo_surface_t *s = cairo_image_surface_create_for_data(px, CAIRO_FORMAT_ARGB32, w, h, 4 * w);
  cairo_t *cr = cairo_create(s);
  double keep = f->dpi;
  f->dpi = dpi;
  int rc = cairo_status(cr) == CAIRO_STATUS_SUCCESS ? dlt_render_layout(f, cr)
                                                    : dlt_failn("savefig: cannot make a %dx%d image", w, h);
  dlt_waiter_set(&j.laid_out, rc == 0 ? 1 : 2);
  if (rc == 0 && !threaded) {
    b[0].draw = b[1].draw = 0;
    rc = dlt_render_draw(f, cr, NULL);
  }
  cairo_destroy(cr);
  cairo_surface_flush(s);
  cairo_surface_destroy(s);
  if (rc == 0) do_bands(&j);
  if (threaded) dlt_worker_wait();
  dlt_contours_free(j.contours);
  dlt_waiter_destroy(&j.laid_out);
  f->dpi = keep;
  if (rc != 0) return rc;
  for (int k = 0; k < 2; k++)
    if (b[k].rc != 0) return dlt_failn("%s", b[k].msg);
  /* the stream's Adler-32 after its last part */
  uint32_t a = dlt_adler32_combine(b[0].adler, b[1].adler, b[1].n);
  unsigned char tail[4] = {(unsigned char)(a >> 24), (unsigned char)(a >> 16), (unsigned char)(a >> 8), (unsigned char)a};
  return to_band(&b[1], tail, 4);
}

typedef struct {
  FILE *fp;
  int err;
  char msg[200];
} png_io;

/* libpng's output: write errors are noted (and later writes skipped), not thrown, so
 * that no longjmp crosses the compressor */
static void io_write(png_structp png, png_bytep data, png_size_t n) {
  png_io *io = png_get_io_ptr(png);
  if (!io->err && fwrite(data, 1, n, io->fp) != n) io->err = errno ? errno : EIO;
}
static void io_flush(png_structp png) { (void)png; }

static int write_idat(void *png, const unsigned char *p, size_t n) {
  png_write_chunk(png, (png_const_bytep) "IDAT", p, n);
  return ((png_io *)png_get_io_ptr(png))->err ? -1 : 0;
}

static void on_error(png_structp png, png_const_charp msg) {
  png_io *io = png_get_io_ptr(png);
  snprintf(io->msg, sizeof io->msg, "%s", msg);
  png_longjmp(png, 1);
}
static void on_warning(png_structp png, png_const_charp msg) { (void)png, (void)msg; }

/* The image data of a PNG: one zlib stream of n bytes of scanlines raw, or (raw NULL)
 * the two compressed parts of b */
typedef struct {
  const unsigned char *raw;
  size_t n;
  const band *b;
} idat;

/* the PNG of w x h pixels of bpp bytes with the image data d */
static int write_png(png_io *io, const idat *d, int w, int h, int bpp, double dpi) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, io, on_error, on_warning);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  if (!png || !info) {
    png_destroy_write_struct(&png, NULL);
    snprintf(io->msg, sizeof io->msg, "libpng could not start");
    return -1;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    if (!io->msg[0]) snprintf(io->msg, sizeof io->msg, "out of memory");
    return -1;
  }
  png_set_write_fn(png, io, io_write, io_flush);
  png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, bpp == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGB_ALPHA,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_uint_32 ppm = (png_uint_32)lround(dpi / 0.0254);
  png_set_pHYs(png, info, ppm, ppm, PNG_RESOLUTION_METER);
  png_text text = {0};
  text.compression = PNG_TEXT_COMPRESSION_NONE;
  text.key = (png_charp) "Software";
  text.text = (png_charp) "dlt plot (matplotlib-compatible, Cairo)";
  png_set_text(png, info, &text, 1);
  png_write_info(png, info);
  int rc = io->err ? -1 : 0;
  if (rc == 0 && d->raw) /* matches with the pixel to the left and the one above */
    rc = dlt_zlib_compress(d->raw, d->n, (size_t)bpp, (size_t)w * bpp + 1, write_idat, png);
  for (int k = 0; k < 2 && rc == 0 && !d->raw; k++) rc = write_idat(png, d->b[k].z, d->b[k].zn);
  if (rc == 0 && !io->err) png_write_chunk(png, (png_const_bytep) "IEND", NULL, 0);
  png_destroy_write_struct(&png, &info);
  if (io->err) snprintf(io->msg, sizeof io->msg, "%s", strerror(io->err));
  return rc == 0 && !io->err ? 0 : -1;
}

/* the image drawn and its data compressed: in two bands (b) when it is large */
static int image_data(dlt_figure *f, double dpi, unsigned char *px, int w, int h, int opaque, band b[2],
                      idat *d) {
  if ((size_t)w * h >= SPLIT_PIXELS && h >= 2) {
    d->b = b;
    return render_bands(f, dpi, px, w, h, h / 2, opaque, b);
  }
  int rc = render(f, dpi, px, w, h);
  if (rc == 0) d->raw = scanlines(px, w, h, opaque, 0, &d->n);
  return rc;
}

typedef struct {
  dlt_figure *f;
  const char *path;
  double dpi;
} save_job;

/* dlt_write_atomic's fill: draws the figure and writes the PNG into the temporary file */
static int save_png(FILE *fp, void *ctx) {
  const save_job *j = ctx;
  dlt_figure *f = j->f;
  double dpi = j->dpi;
  /* The peak memory of a plotting script is here. The pixels come first, from free
   * heap memory if a block is big enough (its pages are resident: no page faults),
   * then the heap's other free pages go back; the scanlines overwrite the rendered
   * pixels, no second image in memory (2.8 MB at 1400x500). RGBA scanlines of the
   * first of two bands need h/2 spare bytes before the pixels. */
  int w, h, opaque = f->st.fig_face.a >= 1;
  unsigned char *px, *block = pixels(f, dpi, &w, &h, opaque ? 0 : ((size_t)(f->crop[2] ? f->crop[3] : lround(f->h * dpi)) / 2 + 15) & ~(size_t)15, &px);
  malloc_trim(0);
  png_io io = {fp, 0, ""};
  band b[2] = {{0}, {0}};
  idat d = {0};
  /* the face is painted over everything and all drawing is OVER: alpha stays 255 */
  int rc = block ? image_data(f, dpi, px, w, h, opaque, b, &d) : -1;
  if (rc == 0) rc = write_png(&io, &d, w, h, opaque ? 3 : 4, dpi);
  free(block), free(b[0].z), free(b[1].z);
  if (rc != 0 && io.msg[0]) dlt_failn("savefig: cannot write '%s': %s", j->path, io.msg);
  return rc == 0 ? 0 : DLT_WRITE_FAILED; /* drawing failures named themselves */
}

int dlt_figure_savefig(dlt_figure *f, const char *path, double dpi) {
  dlt_savefig_opts o = {0, 0, 0.1};
  return dlt_figure_savefig_opts(f, path, dpi, &o);
}

/* bbox_inches 'tight': the drawing's box at dpi grown by pad_inches, as whole pixels
 * (the figure keeps its layout; the image is that part of it) */
static int tight_crop(dlt_figure *f, double dpi, double pad) {
  double keep = f->dpi;
  f->dpi = dpi;
  dlt_box b;
  int rc = dlt_figure_tight_bbox(f, &b);
  f->dpi = keep;
  if (rc != 0) return rc;
  double p = pad * dpi;
  double x0 = floor(b.x0 - p), y0 = floor(b.y0 - p), x1 = ceil(b.x1 + p), y1 = ceil(b.y1 + p);
  if (!(x1 - x0 >= 1 && y1 - y0 >= 1 && x1 - x0 < 32767.5 && y1 - y0 < 32767.5 && (x1 - x0) * (y1 - y0) <= 1e8))
    return dlt_failn("savefig: the tight box %gx%g pixels must have 1 to 32767 pixels a side, 1e8 in all", x1 - x0, y1 - y0);
  f->crop[0] = (int)x0, f->crop[1] = (int)y0, f->crop[2] = (int)(x1 - x0), f->crop[3] = (int)(y1 - y0);
  return 0;
}

int dlt_figure_savefig_opts(dlt_figure *f, const char *path, double dpi, const dlt_savefig_opts *o) {
  const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
  if (!dot || (slash && dot < slash)) return dlt_failn("savefig: '%s' has no file extension (use .png)", path);
  if (strcmp(dot, ".png") != 0 && strcmp(dot, ".PNG") != 0)
    return dlt_failn("savefig: unsupported format '%s' in '%s' (only png)", dot + 1, path);
  if (dpi <= 0) dpi = f->dpi;
  if (!isfinite(dpi) || f->w * dpi < 1 || f->h * dpi < 1 || f->w * dpi >= 32767.5 || f->h * dpi >= 32767.5 ||
      f->w * f->h * dpi * dpi > 1e8)
    return dlt_failn("savefig: dpi %g must give 1 to 32767 pixels a side (Cairo's limit), 1e8 in all", dpi);
  if (!(o->pad_inches >= 0 && o->pad_inches <= 100))
    return dlt_failn("savefig: pad_inches %g must be from 0 to 100", o->pad_inches);
  save_job job = {f, path, dpi};
  dlt_style keep = f->st;
  if (o->transparent) /* no figure or axes background: an RGBA PNG */
    f->st.fig_face.a = 0, f->st.axes_face.a = 0;
  int rc = o->tight ? tight_crop(f, dpi, o->pad_inches) : 0;
  if (rc == 0) rc = dlt_write_atomic("savefig", path, save_png, &job);
  f->st = keep;
  f->crop[0] = f->crop[1] = f->crop[2] = f->crop[3] = 0;
  return rc;
}
