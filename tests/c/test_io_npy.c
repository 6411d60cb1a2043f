/* test_io_npy.c: dlt.save_npy/dlt.load_npy: round trips, the exact header numpy
 * expects, numpy-written fixtures in every layout we read, and malformed files refused. */
#include "test_io_util.h"

static unsigned char *npy_file(int major, const char *header, size_t dlen, size_t *len) {
  size_t h = strlen(header), pre = major == 1 ? 10 : 12;
  *len = pre + h + dlen;
  unsigned char *b = calloc(1, *len);
  memcpy(b, "\x93NUMPY", 6);
  b[6] = (unsigned char)major;
  b[7] = 0;
  b[8] = (unsigned char)(h & 255);
  b[9] = (unsigned char)(h >> 8);
  memcpy(b + pre, header, h);
  return b;
}

static dlt_tensor *parse(int major, const char *header, size_t dlen) {
  size_t len;
  unsigned char *b = npy_file(major, header, dlen, &len);
  dlt_tensor *t = dlt_parse_npy(b, len, "mem");
  free(b);
  return t;
}

Test(npy, round_trip_both_dtypes_and_ranks) {
  scratch_dir();
  int64_t s3[3] = {2, 3, 4}, s1[1] = {5}, s0[2] = {0, 2};
  dlt_tensor *ts[] = {ramp(3, s3, DLT_FLOAT32, -2), ramp(1, s1, DLT_FLOAT64, 1),
                      dlt_full(0, NULL, 3.25, DLT_FLOAT64), dlt_empty(2, s0, DLT_FLOAT32)};
  for (int i = 0; i < 4; i++) {
    const char *path = scratch_path("x.npy");
    cr_assert_eq(dlt_save_npy(path, ts[i]), 0, "%s", dlt_error());
    dlt_tensor *back = dlt_load_npy(path);
    cr_assert(back != NULL, "%s", dlt_error());
    expect_same(back, ts[i]);
    dlt_release(back);
    dlt_release(ts[i]);
  }
}

Test(npy, strided_tensor_is_saved_in_row_major_order) {
  scratch_dir();
  int64_t s[2] = {3, 4};
  dlt_tensor *a = ramp(2, s, DLT_FLOAT64, 0), *t = dlt_transpose(a, 0, 1);
  cr_assert_eq(dlt_save_npy(scratch_path("t.npy"), t), 0);
  dlt_tensor *b = dlt_load_npy(scratch_path("t.npy"));
  cr_assert(b && b->shape[0] == 4 && b->shape[1] == 3);
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 3; j++) {
      int64_t ij[2] = {i, j};
      cr_assert_eq(dlt_get(b, ij), (double)(j * 4 + i) / 8 + 1e-12);
    }
  dlt_release(a);
  dlt_release(t);
  dlt_release(b);
}

Test(npy, header_is_what_numpy_writes) {
  scratch_dir();
  int64_t s[2] = {2, 3}, s1[1] = {7};
  dlt_tensor *a = dlt_zeros(2, s, DLT_FLOAT32), *b = dlt_zeros(1, s1, DLT_FLOAT64);
  cr_assert_eq(dlt_save_npy(scratch_path("a.npy"), a), 0);
  cr_assert_eq(dlt_save_npy(scratch_path("b.npy"), b), 0);
  size_t len;
  unsigned char *f = slurp(scratch_path("a.npy"), &len);
  const char *want = "\x93NUMPY\x01\x00\x76\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  cr_assert_eq(memcmp(f, want, strlen(want)), 0, "header: %.80s", f + 10);
  cr_assert_eq(len, 128 + 24, "preamble padded to 64 bytes");
  cr_assert_eq(f[127], '\n');
  free(f);
  f = slurp(scratch_path("b.npy"), &len);
  cr_assert(strstr((char *)f + 10, "{'descr': '<f8', 'fortran_order': False, 'shape': (7,), }") != NULL);
  free(f);
  dlt_release(a);
  dlt_release(b);
}

/* tests/fixtures/io_*.npy are written by numpy in tests/golden/gen_io.py */
Test(npy, loads_numpy_files_in_every_layout) {
  dlt_tensor *t = dlt_load_npy("tests/fixtures/io_f4.npy"); /* arange(24).reshape(2,3,4)/4 */
  cr_assert(t && t->dtype == DLT_FLOAT32 && t->ndim == 3 && t->shape[2] == 4, "%s", dlt_error());
  for (int k = 0; k < 24; k++) cr_assert_eq(dlt_get_flat(t, k), k / 4.0);
  dlt_release(t);
  t = dlt_load_npy("tests/fixtures/io_f8_fortran.npy"); /* arange(12).reshape(3,4)/3, column-major */
  cr_assert(t && t->dtype == DLT_FLOAT64 && t->shape[0] == 3 && t->shape[1] == 4, "%s", dlt_error());
  for (int k = 0; k < 12; k++) cr_assert_eq(dlt_get_flat(t, k), k / 3.0);
  dlt_release(t);
  t = dlt_load_npy("tests/fixtures/io_f8_be.npy"); /* arange(5)/7 as '>f8' */
  cr_assert(t && t->dtype == DLT_FLOAT64 && t->shape[0] == 5, "%s", dlt_error());
  for (int k = 0; k < 5; k++) cr_assert_eq(dlt_get_flat(t, k), k / 7.0);
  dlt_release(t);
  t = dlt_load_npy("tests/fixtures/io_i8.npy"); /* [-3, 0, 2^40]: int64, as torch.from_numpy gives */
  cr_assert(t && t->dtype == DLT_INT64, "%s", dlt_error());
  cr_assert(dlt_get_flat(t, 0) == -3 && dlt_get_flat(t, 1) == 0 && dlt_get_flat(t, 2) == 1099511627776.0);
  dlt_release(t);
  t = dlt_load_npy("tests/fixtures/io_b1.npy"); /* bool, as torch.from_numpy gives */
  cr_assert(t && t->dtype == DLT_BOOL && dlt_get_flat(t, 0) == 1 && dlt_get_flat(t, 1) == 0 && dlt_get_flat(t, 2) == 1);
  dlt_release(t);
  t = dlt_load_npy("tests/fixtures/io_f2.npy"); /* arange(4)*0.5 as half */
  cr_assert(t && t->dtype == DLT_FLOAT32, "%s", dlt_error());
  for (int k = 0; k < 4; k++) cr_assert_eq(dlt_get_flat(t, k), k * 0.5);
  dlt_release(t);
  t = dlt_load_npy("tests/fixtures/io_scalar.npy");
  cr_assert(t && t->ndim == 0 && dlt_item(t) == 2.5, "%s", dlt_error());
  dlt_release(t);
  for (int v = 2; v <= 3; v++) {
    char path[64];
    snprintf(path, sizeof path, "tests/fixtures/io_v%d.npy", v);
    t = dlt_load_npy(path);
    cr_assert(t && t->ndim == 1 && t->shape[0] == 3 && dlt_get_flat(t, 2) == 2, "version %d.0: %s", v, dlt_error());
    dlt_release(t);
  }
}

Test(npy, unsupported_numpy_dtypes_are_named) {
  cr_assert_null(dlt_load_npy("tests/fixtures/io_c8.npy"));
  expect_error("dtype '<c8' is not supported");
  cr_assert_null(dlt_load_npy("tests/fixtures/io_struct.npy"));
  expect_error("structured dtypes are not supported");
}

typedef struct {
  int major;
  const char *header;
  size_t dlen;
  const char *error;
} bad_case;

Test(npy, malformed_headers_are_refused_naming_the_fault) {
  static const bad_case cases[] = {
    {4, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n", 4, "version 4.0 is not supported"},
    {1, "['descr']\n", 0, "header is not a dict"},
    {1, "{'descr' '<f4'}\n", 0, "expected ':' after 'descr'"},
    {1, "{descr: '<f4'}\n", 0, "malformed header key"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}\n", 4, "unknown header key 'x'"},
    {1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}\n", 4, "'descr' appears twice"},
    {1, "{'descr': '<f4', 'fortran_order': False}\n", 4, "header lacks 'shape'"},
    {1, "{'descr': '<f4', 'shape': (1,)}\n", 4, "header lacks 'fortran_order'"},
    {1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}\n", 4, "fortran_order is not True or False"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}\n", 4, "shape is not a tuple"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1)}\n", 4, "shape is not a tuple"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': [1]}\n", 4, "shape is not a tuple"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}\n", 4, "shape is not a tuple"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1)}\n", 4, "more than 8 dimensions"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296)}\n", 4, "shape overflows"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}\n", 4, "need 8 data bytes, the file holds 4"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}\n", 8, "need 4 data bytes, the file holds 8"},
    {1, "{'descr': '<U3', 'fortran_order': False, 'shape': (1,)}\n", 12, "dtype '<U3' is not supported"},
    {1, "{'descr': '|O', 'fortran_order': False, 'shape': (1,)}\n", 8, "dtype '|O' is not supported"},
    {1, "{'descr': '<f3', 'fortran_order': False, 'shape': (1,)}\n", 3, "dtype '<f3'"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)", 4, "header dict is not closed"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x", 4, "trailing characters"},
    {2, "{'descr': 'f4', 'fortran_order': False, 'shape': (1,)}\n", 4, "dtype 'f4'"},
    /* the header, in an exact-size buffer, ends inside the shape (found by fuzz_npy) */
    {1, "{'descr': '<i1', 'fortran_order': True, 'shape': (0,   ", 0, "shape is not a tuple"},
    /* no element, but the other sizes multiply past 2^63: the tensor's strides would
     * overflow (found by fuzz_npy: the error came without the loader's name) */
    {1, "{'descr': '|b1', 'fortran_order': False, 'shape': (3, 3000000000000000, 0, 1615)}\n", 0, "multiply past 2^63"},
    {1, "{'descr': '|b1', 'fortran_order': True, 'shape': (3, 3000000000000000, 0, 1615)}\n", 0, "multiply past 2^63"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    dlt_tensor *t = parse(cases[i].major, cases[i].header, cases[i].dlen);
    cr_assert(t == NULL, "case %zu (%s) was accepted", i, cases[i].header);
    cr_assert(strstr(dlt_error(), cases[i].error), "case %zu: error '%s' lacks '%s'", i, dlt_error(), cases[i].error);
    cr_assert(strncmp(dlt_error(), "load_npy: 'mem'", 15) == 0, "case %zu names the file: %s", i, dlt_error());
  }
  unsigned char nomagic[16] = "\x93NUMPX\x01\x00";
  cr_assert_null(dlt_parse_npy(nomagic, 16, "m"));
  expect_error("is not a .npy file");
  size_t len;
  unsigned char *b = npy_file(1, "{}", 0, &len);
  b[8] = 200; /* header length beyond the file */
  cr_assert_null(dlt_parse_npy(b, len, "m"));
  expect_error("header length 200 exceeds the 2 bytes that follow");
  free(b);
}

Test(npy, every_truncation_is_refused_without_over_read) {
  size_t len;
  unsigned char *b = slurp("tests/fixtures/io_f8_fortran.npy", &len);
  for (size_t n = 0; n < len; n++) {
    void *c = exact_copy(b, n);
    cr_assert_null(dlt_parse_npy(c, n, "cut"), "prefix of %zu of %zu bytes accepted", n, len);
    free(c);
  }
  free(b);
}

Test(npy, failed_save_names_the_path_and_leaves_nothing) {
  scratch_dir();
  dlt_tensor *a = dlt_full(0, NULL, 1, DLT_FLOAT32);
  char want[600];
  const char *path = scratch_path("no/dir.npy");
  snprintf(want, sizeof want, "save_npy: cannot open '%s': No such file or directory", path);
  cr_assert_eq(dlt_save_npy(path, a), -1);
  cr_assert_str_eq(dlt_error(), want);
  cr_assert_null(dlt_load_npy(path));
  expect_error("load_npy: cannot open '");
  cr_assert_eq(dir_entries(scratch), 0);
  dlt_release(a);
}
