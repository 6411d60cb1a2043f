/* test_plot_png.c: what savefig writes decodes (with libpng) to exactly the pixels
 * the figure renders to, RGB when the face is opaque and RGBA when it is not, at odd
 * sizes too, the same bytes every time; Adler-32 as defined; scatter markers stamped
 * from cached images look like markers drawn one by one, and huge ones are drawn. */
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
  enum { R = 60, C = 50 };
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
  dlt_set_string(&bx->title, "noise, a line and 200 markers");
  dlt_set_string(&bx->xlabel, "x");
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

Test(plot_png, adler32_is_the_sum_of_bytes_and_of_running_sums_mod_65521) {
  cr_expect_eq(dlt_adler32(1, (const unsigned char *)"Wikipedia", 9), 0x11E60398u);
  static unsigned char buf[100003];
  unsigned s = 7;
  for (size_t i = 0; i < sizeof buf; i++) s = s * 1103515245u + 12345u, buf[i] = (unsigned char)(s >> 16);
  memset(buf + 5000, 255, 20000);  /* long runs of the largest byte: the worst case for the sums */
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
  round_trip(120, 0.5, 1);  /* 12000 RGB pixels a row: no match with the row above */
  round_trip(90, 0.3, 0.3);
}

Test(plot_render, huge_alike_markers_are_drawn_directly_not_stamped) {
  cr_assert_eq(dlt_style_use("default"), 0);
  dlt_figure *f = dlt_figure_new(2, 2, 100);
  dlt_axes *ax = dlt_figure_add_axes(f, 1, 1, 0, 0);
  double x[40], y[40];
  for (int i = 0; i < 40; i++) x[i] = i, y[i] = i % 7;
  dlt_artist *a = dlt_plot_scatter(ax, x, y, 40);
  cr_assert(a);
  a->s = malloc(sizeof *a->s), a->ns = 1, a->s[0] = 1e8;  /* markers 140 inches across */
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
