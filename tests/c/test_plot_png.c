/* test_plot_png.c: what savefig writes decodes (with libpng) to exactly the pixels
 * the figure renders to, RGB when the face is opaque and RGBA when it is not, at odd
 * sizes too, the same bytes every time and with one thread as with two; Adler-32 as
 * defined, and combined from two pieces; scatter markers stamped from cached images
 * look like markers drawn one by one, and huge ones are drawn. */
#include <criterion/criterion.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plot/plot.h"

/* the decoded image as straight RGBA (alpha 255 added to RGB), and its colour type */
static unsigned char *decode(const char *path, int *w, int *h, int *type) {
  FILE *fp = fopen(path, "rb");
  cr_assert(fp, "%s exists", path);
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct(png);
  cr_assert(png && info);
  png_init_io(png, fp);
  png_read_info(png, info);
  *w = (int)png_get_image_width(png, info), *h = (int)png_get_image_height(png, info);
  *type = png_get_color_type(png, info);
  png_set_expand(png);
  png_set_filler(png, 0xff, PNG_FILLER_AFTER);
  png_read_update_info(png, info);
  unsigned char *img = malloc((size_t)*w * *h * 4);
  png_bytep *rows = malloc((size_t)*h * sizeof *rows);
  cr_assert(img && rows);
  for (int y = 0; y < *h; y++) rows[y] = img + (size_t)y * *w * 4;
  png_read_image(png, rows);
  png_read_end(png, NULL);
  png_destroy_read_struct(&png, &info, NULL);
  free(rows);
  fclose(fp);
  return img;
}

static char *tmp_png(void) {
  static char path[64];
  snprintf(path, sizeof path, "/tmp/dlt_test_plot_png_XXXXXX.png");
  int fd = mkstemps(path, 4);
  cr_assert(fd >= 0);
  close(fd);
  return path;
}

/* a figure with a bit of everything: noise (incompressible, many deflate blocks), a
 * line, many alike markers, text */
static dlt_figure *busy_figure(void) {
  cr_assert_eq(dlt_style_use("seaborn-v0_8-whitegrid"), 0);
  dlt_figure *f = dlt_figure_new(4, 3, 100);
  cr_assert(f);
  dlt_axes *ax = dlt_figure_add_axes(f, 1, 2, 0, 0), *bx = dlt_figure_add_axes(f, 1, 2, 0, 1);
  enum { R = 60,
         C = 50 };
  static double m[R * C];
  unsigned s = 12345;
  for (int i = 0; i < R * C; i++) s = s * 1103515245u + 12345u, m[i] = (s >> 8) / 16777216.0;
  dlt_artist *img = dlt_plot_image(ax, m, R, C);
  cr_assert(img);
  dlt_artist_autoscale_norm(img);
  double x[200], y[200];
  for (int i = 0; i < 200; i++) x[i] = i / 199.0, y[i] = sin(9 * x[i]) + 0.3 * cos(31 * x[i]);
  cr_assert(dlt_plot_line(bx, x, y, 200));
  cr_assert(dlt_plot_scatter(bx, x, y, 200));
  dlt_set_string(&bx->title, "noise, a line and 200 markers", "test");
  dlt_set_string(&bx->xlabel, "x", "test");
  return f;
}

Test(plot_png, an_opaque_figure_is_written_as_rgb_of_exactly_the_rendered_pixels) {
  dlt_figure *f = busy_figure();
  char *path = tmp_png();
  cr_assert_eq(dlt_figure_savefig(f, path, 0), 0, "%s", dlt_error());
  int w, h, type, rw, rh;
  unsigned char *got = decode(path, &w, &h, &type), *want = dlt_figure_render_rgba(f, &rw, &rh);
  cr_assert(want);
  cr_expect_eq(type, PNG_COLOR_TYPE_RGB);
  cr_assert(w == rw && h == rh && w == 400 && h == 300, "%dx%d, rendered %dx%d", w, h, rw, rh);
  long bad = 0;
  for (size_t i = 0; i < (size_t)w * h * 4; i++) bad += got[i] != want[i];
  cr_expect_eq(bad, 0, "%ld bytes differ", bad);
  free(got), free(want);
  remove(path);
  dlt_figure_free(f);
}

Test(plot_png, a_transparent_face_is_written_as_rgba_of_the_straight_colours) {
  dlt_figure *f = busy_figure();
  f->st.fig_face.a = 0, f->st.axes_face.a = 0.5;
  char *path = tmp_png();
  cr_assert_eq(dlt_figure_savefig(f, path, 0), 0, "%s", dlt_error());
  int w, h, type, rw, rh;
  unsigned char *got = decode(path, &w, &h, &type), *want = dlt_figure_render_rgba(f, &rw, &rh);
  cr_assert(want);
  cr_expect_eq(type, PNG_COLOR_TYPE_RGB_ALPHA);
  cr_assert(w == rw && h == rh);
  long bad = 0, clear = 0;
  for (size_t i = 0; i < (size_t)w * h * 4; i++) bad += got[i] != want[i];
  for (size_t i = 0; i < (size_t)w * h; i++) clear += got[4 * i + 3] == 0;
  cr_expect_eq(bad, 0, "%ld bytes differ", bad);
  cr_expect(clear > 0, "the figure's margins stay transparent");
  free(got), free(want);
  remove(path);
  dlt_figure_free(f);
}

static unsigned char *slurp(const char *path, long *n) {
  FILE *fp = fopen(path, "rb");
  cr_assert(fp);
  fseek(fp, 0, SEEK_END);
  *n = ftell(fp);
  rewind(fp);
  unsigned char *b = malloc((size_t)*n);
  cr_assert(b && fread(b, 1, (size_t)*n, fp) == (size_t)*n);
  fclose(fp);
  return b;
}

Test(plot_png, the_same_figure_saves_to_the_same_bytes) {
  dlt_figure *f = busy_figure();
  char a[64], b[64];
  snprintf(a, sizeof a, "%s", tmp_png());
  snprintf(b, sizeof b, "%s", tmp_png());
  cr_assert_eq(dlt_figure_savefig(f, a, 0), 0);
  cr_assert_eq(dlt_figure_savefig(f, b, 0), 0);
  long na, nb;
  unsigned char *da = slurp(a, &na), *db = slurp(b, &nb);
  cr_expect(na == nb && memcmp(da, db, (size_t)na) == 0, "%ld and %ld bytes", na, nb);
  /* noise does not compress, the rest does: well under the 360 KB of raw RGB */
  cr_expect(na < 200000, "%ld bytes", na);
  free(da), free(db);
  remove(a), remove(b);
  dlt_figure_free(f);
}

Test(plot_png, saving_over_another_file_replaces_it_with_the_same_bytes_as_a_fresh_save) {
  dlt_figure *f = busy_figure();
  char a[64], b[64];
  snprintf(a, sizeof a, "%s", tmp_png());
  snprintf(b, sizeof b, "%s", tmp_png());
  FILE *fp = fopen(a, "wb"); /* an older, longer file where the figure goes */
  cr_assert(fp);
  for (int i = 0; i < 300000; i++) fputc('x', fp);
  fclose(fp);
  cr_assert_eq(dlt_figure_savefig(f, a, 0), 0);
  remove(b);
  cr_assert_eq(dlt_figure_savefig(f, b, 0), 0);
  long na, nb;
  unsigned char *da = slurp(a, &na), *db = slurp(b, &nb);
  cr_expect(na == nb && memcmp(da, db, (size_t)na) == 0, "%ld and %ld bytes", na, nb);
  free(da), free(db);
  remove(a), remove(b);
  dlt_figure_free(f);
}

Test(plot_png, adler32_is_the_sum_of_bytes_and_of_running_sums_mod_65521) {
  cr_expect_eq(dlt_adler32(1, (const unsigned char *)"Wikipedia", 9), 0x11E60398u);
  static unsigned char buf[100003];
  unsigned s = 7;
  for (size_t i = 0; i < sizeof buf; i++) s = s * 1103515245u + 12345u, buf[i] = (unsigned char)(s >> 16);
  memset(buf + 5000, 255, 20000); /* long runs of the largest byte: the worst case for the sums */
  uint32_t s1 = 1, s2 = 0;
  for (size_t i = 0; i < sizeof buf; i++) s1 = (s1 + buf[i]) % 65521, s2 = (s2 + s1) % 65521;
  cr_expect_eq(dlt_adler32(1, buf, sizeof buf), s2 << 16 | s1);
  /* in two pieces, the second continuing from the first */
  cr_expect_eq(dlt_adler32(dlt_adler32(1, buf, 777), buf + 777, sizeof buf - 777), s2 << 16 | s1);
}

/* one scatter of n markers, or n scatters of one (drawn directly, not stamped) */
static unsigned char *markers(int one_by_one, int *w, int *h) {
  cr_assert_eq(dlt_style_use("seaborn-v0_8-whitegrid"), 0);
  dlt_figure *f = dlt_figure_new(3, 3, 100);
  dlt_axes *ax = dlt_figure_add_axes(f, 1, 1, 0, 0);
  ax->xlim[0] = ax->ylim[0] = 0, ax->xlim[1] = ax->ylim[1] = 1, ax->xlim_set = ax->ylim_set = 1;
  enum { n = 150 };
  double x[n], y[n];
  unsigned s = 99;
  for (int i = 0; i < n; i++) {
    s = s * 1103515245u + 12345u, x[i] = (s >> 8) / 16777216.0;
    s = s * 1103515245u + 12345u, y[i] = (s >> 8) / 16777216.0;
  }
  for (int i = 0; i < (one_by_one ? n : 1); i++) {
    dlt_artist *a = dlt_plot_scatter(ax, x + i, y + i, one_by_one ? 1 : n);
    cr_assert(a);
    a->face = (dlt_rgba){0.1, 0.3, 0.9, 1}, a->edge = (dlt_rgba){1, 1, 1, 1}, a->lw = 1, a->alpha = 0.6;
  }
  unsigned char *img = dlt_figure_render_rgba(f, w, h);
  cr_assert(img);
  dlt_figure_free(f);
  return img;
}

Test(plot_render, many_alike_scatter_markers_look_like_markers_drawn_one_by_one) {
  int w, h, w2, h2;
  unsigned char *a = markers(0, &w, &h), *b = markers(1, &w2, &h2);
  cr_assert(w == w2 && h == h2);
  double sum = 0;
  int worst = 0;
  for (size_t i = 0; i < (size_t)w * h * 4; i++) {
    int d = abs(a[i] - b[i]);
    sum += d, worst = d > worst ? d : worst;
  }
  /* markers 1/8 pixel apart at most: a little antialiasing at their edges moves */
  cr_expect(worst <= 64, "largest difference %d", worst);
  cr_expect(sum / ((double)w * h * 4) < 0.5, "mean difference %g", sum / ((double)w * h * 4));
  free(a), free(b);
}

/* savefig's file against the rendered pixels for a figure of w x h inches at 100 dpi */
static void round_trip(double w_in, double h_in, double face_alpha) {
  cr_assert_eq(dlt_style_use("default"), 0);
  dlt_figure *f = dlt_figure_new(w_in, h_in, 100);
  cr_assert(f, "%s", dlt_error());
  f->st.fig_face.a = face_alpha;
  dlt_axes *ax = dlt_figure_add_axes(f, 1, 1, 0, 0);
  double x[] = {0, 1, 2, 3}, y[] = {0, 3, 1, 2};
  cr_assert(dlt_plot_line(ax, x, y, 4));
  char *path = tmp_png();
  cr_assert_eq(dlt_figure_savefig(f, path, 0), 0, "%s", dlt_error());
  int w, h, type, rw, rh;
  unsigned char *got = decode(path, &w, &h, &type), *want = dlt_figure_render_rgba(f, &rw, &rh);
  cr_assert(want && w == rw && h == rh, "%dx%d vs %dx%d", w, h, rw, rh);
  long bad = 0;
  for (size_t i = 0; i < (size_t)w * h * 4; i++) bad += got[i] != want[i];
  cr_expect_eq(bad, 0, "%gx%g in, alpha %g: %ld bytes differ", w_in, h_in, face_alpha, bad);
  free(got), free(want);
  remove(path);
  dlt_figure_free(f);
}

Test(plot_png, odd_shapes_round_trip_one_pixel_wide_or_tall_and_rows_past_the_window) {
  round_trip(0.01, 0.5, 1);
  round_trip(0.5, 0.01, 1);
  round_trip(0.01, 0.5, 0);
  round_trip(0.01, 0.01, 0.5);
  round_trip(120, 0.5, 1); /* 12000 RGB pixels a row: no match with the row above */
  round_trip(90, 0.3, 0.3);
}

Test(plot_png, images_of_two_and_three_rows_split_into_bands_round_trip) {
  round_trip(250, 0.02, 1); /* 25000 x 2: bands of one row each */
  round_trip(250, 0.02, 0);
  round_trip(300, 0.03, 1); /* 30000 x 3: bands of one and two rows */
  round_trip(300, 0.03, 0.5);
  round_trip(200, 0.04, 0);  /* 20000 x 4 */
  round_trip(5.01, 2.51, 1); /* 501 x 251: an odd width and height */
  round_trip(5.01, 2.51, 0);
}

Test(plot_png, adler32_of_two_pieces_combines_into_that_of_the_whole) {
  static unsigned char buf[300007];
  unsigned s = 11;
  for (size_t i = 0; i < sizeof buf; i++) s = s * 1103515245u + 12345u, buf[i] = (unsigned char)(s >> 16);
  memset(buf + 70000, 255, 140000);
  uint32_t whole = dlt_adler32(1, buf, sizeof buf);
  size_t cuts[] = {0, 1, 5552, 65521, 150001, sizeof buf - 1, sizeof buf};
  for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
    size_t c = cuts[k];
    uint32_t a = dlt_adler32(1, buf, c), b = dlt_adler32(1, buf + c, sizeof buf - c);
    cr_expect_eq(dlt_adler32_combine(a, b, sizeof buf - c), whole, "cut at %zu", c);
  }
}

/* A figure whose drawing crosses the middle row, where savefig cuts the image in two
 * bands: bars with translucent faces and edges (some cut by the axes' clip), a filled
 * contour with its colorbar and contour lines (the threads compute halves of their
 * levels), an image with its colorbar, text and markers. */
static dlt_figure *banded_figure(double face_alpha) {
  cr_assert_eq(dlt_style_use("seaborn-v0_8-whitegrid"), 0);
  dlt_figure *f = dlt_figure_new(6.03, 3.01, 100); /* 603 x 301: bands of 150 and 151 rows */
  cr_assert(f);
  f->st.fig_face.a = face_alpha;
  dlt_axes *ax = dlt_figure_add_axes(f, 1, 3, 0, 0), *bx = dlt_figure_add_axes(f, 1, 3, 0, 1);
  dlt_axes *cx = dlt_figure_add_axes(f, 1, 3, 0, 2);
  enum { NB = 23,
         G = 40 };
  double x0[NB], x1[NB], y0[NB], y1[NB];
  for (int i = 0; i < NB; i++) x0[i] = i, x1[i] = i + 0.9, y0[i] = 0, y1[i] = 1 + (i * 7) % 11;
  dlt_artist *bars = dlt_plot_bars(ax, x0, x1, y0, y1, NB);
  cr_assert(bars);
  bars->alpha = 0.7, bars->has_edge = 1, bars->edge = (dlt_rgba){0, 0, 0, 1}, bars->lw = 1;
  ax->ylim[0] = 0.3, ax->ylim[1] = 9.7, ax->ylim_set = 1;
  dlt_set_string(&ax->title, "bars cut by the clip", "test");
  static double X[G * G], Y[G * G], Z[G * G];
  for (int i = 0; i < G; i++)
    for (int j = 0; j < G; j++)
      X[i * G + j] = j / (G - 1.0), Y[i * G + j] = i / (G - 1.0),
                Z[i * G + j] = sin(7 * X[i * G + j]) * cos(5 * Y[i * G + j]);
  dlt_artist *c = dlt_plot_contour(bx, X, Y, Z, G, G, 1, NULL, 0, 12, 1);
  cr_assert(c, "%s", dlt_error());
  cr_assert_eq(dlt_axes_colorbar(bx, c, "z"), 0);
  cr_assert(dlt_plot_contour(bx, X, Y, Z, G, G, 1, NULL, 0, 7, 0)); /* lines over the bands */
  double px[30], py[30];
  for (int i = 0; i < 30; i++) px[i] = i / 29.0, py[i] = 0.5 + 0.4 * sin(i);
  cr_assert(dlt_plot_scatter(bx, px, py, 30));
  dlt_artist *im = dlt_plot_image(cx, Z, 7, 9); /* 7 x 9 cells stretched over the axes */
  cr_assert(im);
  dlt_artist_autoscale_norm(im);
  cr_assert_eq(dlt_axes_colorbar(cx, im, NULL), 0);
  dlt_set_string(&cx->xlabel, "image", "test");
  return f; /* not tight: tight_layout starts from the last layout, so a second save could move things */
}

/* the bytes savefig writes for f, with DLT_PLOT_THREADS set to threads (NULL: unset) */
static unsigned char *save_bytes(dlt_figure *f, const char *threads, long *n) {
  if (threads) setenv("DLT_PLOT_THREADS", threads, 1);
  else unsetenv("DLT_PLOT_THREADS");
  char *path = tmp_png();
  cr_assert_eq(dlt_figure_savefig(f, path, 0), 0, "%s", dlt_error());
  unsetenv("DLT_PLOT_THREADS");
  unsigned char *b = slurp(path, n);
  remove(path);
  return b;
}

Test(plot_png, two_threads_save_the_bytes_one_thread_saves_and_decode_to_the_rendered_pixels) {
  double alphas[] = {1, 0, 0.4};
  for (int k = 0; k < 3; k++) {
    dlt_figure *f = banded_figure(alphas[k]);
    long n1, n2;
    unsigned char *one = save_bytes(f, "1", &n1), *two = save_bytes(f, NULL, &n2);
    cr_expect(n1 == n2 && memcmp(one, two, (size_t)n1) == 0, "face alpha %g: %ld and %ld bytes", alphas[k], n1, n2);
    /* and the file is the pixels a whole render gives */
    char *path = tmp_png();
    FILE *fp = fopen(path, "wb");
    cr_assert(fp && fwrite(two, 1, (size_t)n2, fp) == (size_t)n2);
    fclose(fp);
    int w, h, type, rw, rh;
    unsigned char *got = decode(path, &w, &h, &type), *want = dlt_figure_render_rgba(f, &rw, &rh);
    cr_assert(want && w == rw && h == rh && w == 603 && h == 301, "%dx%d vs %dx%d", w, h, rw, rh);
    long bad = 0;
    for (size_t i = 0; i < (size_t)w * h * 4; i++) bad += got[i] != want[i];
    cr_expect_eq(bad, 0, "face alpha %g: %ld bytes differ", alphas[k], bad);
    free(one), free(two), free(got), free(want);
    remove(path);
    dlt_figure_free(f);
  }
}

Test(plot_render, huge_alike_markers_are_drawn_directly_not_stamped) {
  cr_assert_eq(dlt_style_use("default"), 0);
  dlt_figure *f = dlt_figure_new(2, 2, 100);
  dlt_axes *ax = dlt_figure_add_axes(f, 1, 1, 0, 0);
  double x[40], y[40];
  for (int i = 0; i < 40; i++) x[i] = i, y[i] = i % 7;
  dlt_artist *a = dlt_plot_scatter(ax, x, y, 40);
  cr_assert(a);
  a->s = malloc(sizeof *a->s), a->ns = 1, a->s[0] = 1e8; /* markers 140 inches across */
  a->face = (dlt_rgba){0, 0, 1, 1};
  int w, h;
  unsigned char *img = dlt_figure_render_rgba(f, &w, &h);
  cr_assert(img, "%s", dlt_error());
  /* the axes are covered by the face colour of the markers */
  const unsigned char *p = img + ((size_t)(h / 2) * w + w / 2) * 4;
  cr_expect(p[2] > p[0] + 100, "the middle is the markers' blue: %d,%d,%d", p[0], p[1], p[2]);
  free(img);
  dlt_figure_free(f);
}
