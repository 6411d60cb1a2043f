/* png.c: renders a figure into a Cairo image surface and writes it as an 8-bit RGB
 * PNG (RGBA when the figure's face is not opaque), with pHYs from the dpi and a tEXt
 * Software chunk. libpng writes the chunks; the image data are compressed by
 * deflate.c. The file is written under a temporary name and renamed, so a failed save
 * leaves nothing. */
#include <cairo.h>
#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plot/plot.h"

/* Room for the figure at dpi: w x h ARGB32 pixels of stride 4w and h spare bytes
 * (for the PNG filter bytes); transparent unless the face will cover it all. */
static unsigned char *pixels(const dlt_figure *f, double dpi, int *w, int *h) {
  *w = (int)lround(f->w * dpi), *h = (int)lround(f->h * dpi);
  size_t n = (size_t)*w * *h * 4 + (size_t)*h;
  unsigned char *px = f->st.fig_face.a < 1 ? calloc(n, 1) : malloc(n);
  if (!px) dlt_failn("savefig: cannot make a %dx%d image", *w, *h);
  return px;
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
  return (unsigned char)(a == 255 ? c : a ? (c * 255 + a / 2) / a : 0);
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
  unsigned char *px = pixels(f, f->dpi, w, h), *out = NULL;
  if (px && render(f, f->dpi, px, *w, *h) == 0 && (out = dlt_malloc((size_t)*w * *h * 4))) to_rgba(px, *w, *h, out);
  free(px);
  return out;
}

/* The PNG scanlines (each a filter byte 0, then w pixels of RGB, or RGBA when
 * !opaque) written over the ARGB32 pixels of px they come from. RGB goes forwards:
 * a pixel's output ends at or before the next pixel's input. RGBA goes backwards
 * into the h spare bytes: a pixel's output starts after its input. */
static size_t scanlines(unsigned char *px, int w, int h, int opaque) {
  size_t W = (size_t)w;
  if (opaque) {  /* alpha is 255 throughout: the channels are straight already */
    for (size_t y = 0; y < (size_t)h; y++) {
      const unsigned char *in = px + 4 * W * y;
      unsigned char *o = px + (3 * W + 1) * y;
      uint32_t p, next;
      memcpy(&p, in, 4);  /* the filter byte may overwrite the first pixel */
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
    return (3 * W + 1) * (size_t)h;
  }
  for (size_t y = (size_t)h; y-- > 0;) {
    unsigned char *o = px + (4 * W + 1) * y;
    for (size_t x = W; x-- > 0;) {
      uint32_t p;
      memcpy(&p, px + 4 * (W * y + x), 4);
      unsigned a = p >> 24;
      unsigned char *d = o + 1 + 4 * x;
      d[0] = straight((p >> 16) & 255, a), d[1] = straight((p >> 8) & 255, a);
      d[2] = straight(p & 255, a), d[3] = (unsigned char)a;
    }
    o[0] = 0;
  }
  return (4 * W + 1) * (size_t)h;
}

typedef struct { FILE *fp; int err; char msg[200]; } png_io;

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

/* the PNG of n bytes of scanlines raw, w x h pixels of bpp bytes */
static int write_png(png_io *io, const unsigned char *raw, size_t n, int w, int h, int bpp, double dpi) {
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
  /* the image data: matches with the pixel to the left and the one above */
  int rc = io->err ? -1 : dlt_zlib_compress(raw, n, (size_t)bpp, (size_t)w * bpp + 1, write_idat, png);
  if (rc == 0 && !io->err) png_write_chunk(png, (png_const_bytep) "IEND", NULL, 0);
  png_destroy_write_struct(&png, &info);
  if (io->err) snprintf(io->msg, sizeof io->msg, "%s", strerror(io->err));
  return rc == 0 && !io->err ? 0 : -1;
}

int dlt_figure_savefig(dlt_figure *f, const char *path, double dpi) {
  const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
  if (!dot || (slash && dot < slash)) return dlt_failn("savefig: '%s' has no file extension (use .png)", path);
  if (strcmp(dot, ".png") != 0 && strcmp(dot, ".PNG") != 0)
    return dlt_failn("savefig: unsupported format '%s' in '%s' (only png)", dot + 1, path);
  if (dpi <= 0) dpi = f->dpi;
  if (!isfinite(dpi) || f->w * dpi < 1 || f->h * dpi < 1 || f->w * dpi > 32768 || f->h * dpi > 32768 ||
      f->w * f->h * dpi * dpi > 1e8)
    return dlt_failn("savefig: dpi %g must give 1 to 32768 pixels a side, 1e8 in all", dpi);
  size_t n = strlen(path) + 32;
  char *tmp = dlt_malloc(n);
  if (!tmp) return -1;
  snprintf(tmp, n, "%s.tmp%ld", path, (long)getpid());
  FILE *fp = fopen(tmp, "wb");
  if (!fp) {
    int e = errno;
    free(tmp);
    return dlt_failn("savefig: cannot write '%s': %s", path, strerror(e));
  }
  /* The peak memory of a plotting script is here. The pixels come first, from free
   * heap memory if a block is big enough (its pages are resident: no page faults),
   * then the heap's other free pages go back; the scanlines overwrite the rendered
   * pixels, no second image in memory (2.8 MB at 1400x500). */
  int w, h;
  unsigned char *px = pixels(f, dpi, &w, &h);
  malloc_trim(0);
  png_io io = {fp, 0, ""};
  int rc = px ? render(f, dpi, px, w, h) : -1;
  if (rc == 0) {
    /* the face is painted over everything and all drawing is OVER: alpha stays 255 */
    int opaque = f->st.fig_face.a >= 1;
    size_t len = scanlines(px, w, h, opaque);
    rc = write_png(&io, px, len, w, h, opaque ? 3 : 4, dpi);
  }
  free(px);
  if (fclose(fp) != 0 && rc == 0) snprintf(io.msg, sizeof io.msg, "%s", strerror(errno)), rc = -1;
  if (rc == 0 && rename(tmp, path) != 0) snprintf(io.msg, sizeof io.msg, "%s", strerror(errno)), rc = -1;
  if (rc != 0) {
    remove(tmp);
    if (io.msg[0]) dlt_failn("savefig: cannot write '%s': %s", path, io.msg);
  }
  free(tmp);
  return rc;
}
