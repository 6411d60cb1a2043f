/* test_io_safetensors.c: dlt.save/dlt.load's format: round trips in both dtypes, the
 * exact byte layout, a file written by the PyTorch golden script, every kind of
 * malformed header refused without over-reading, and saves that fail leaving nothing. */
#include "test_io_util.h"

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

/* 8-byte little-endian header length, the header, then the data bytes */
static unsigned char *st_file(const char *header, const void *data, size_t dlen, size_t *len) {
  size_t h = strlen(header);
  *len = 8 + h + dlen;
  unsigned char *b = malloc(*len);
  uint64_t hl = h;
  memcpy(b, &hl, 8);
  memcpy(b + 8, header, h);
  if (dlen) memcpy(b + 8 + h, data, dlen);
  return b;
}

static dlt_tensor_dict *parse_header(const char *header, size_t dlen) {
  static const unsigned char zeros[256];
  size_t len;
  unsigned char *b = st_file(header, zeros, dlen, &len);
  dlt_tensor_dict *d = dlt_parse_safetensors(b, len, "mem");
  free(b);
  return d;
}

Test(safetensors, round_trip_both_dtypes_scalar_empty_and_strided) {
  scratch_dir();
  int64_t s23[2] = {2, 3}, s0[2] = {0, 3}, s45[2] = {4, 5};
  dlt_tensor *a = ramp(2, s23, DLT_FLOAT32, -1), *b = ramp(2, s23, DLT_FLOAT64, 3);
  dlt_tensor *c = dlt_full(0, NULL, 2.5, DLT_FLOAT64), *e = dlt_empty(2, s0, DLT_FLOAT32);
  dlt_tensor *big = ramp(2, s45, DLT_FLOAT32, 0);
  dlt_tensor *tr = dlt_transpose(big, 0, 1); /* (5,4), strided */
  const char *names[] = {"layer.0.weight", "b64", "scalar", "empty", "transposed \"quoted\" \xc3\xa9"};
  dlt_tensor *ts[] = {a, b, c, e, tr};
  const char *mk[] = {"format"}, *mv[] = {"pt"};
  const char *path = scratch_path("m.safetensors");
  cr_assert_eq(dlt_save_safetensors(path, 5, names, ts, 1, mk, mv), 0, "%s", dlt_error());
  dlt_tensor_dict *d = dlt_load_safetensors(path);
  cr_assert(d != NULL, "%s", dlt_error());
  cr_assert_eq(d->n, 5);
  for (int i = 0; i < 5; i++) {
    cr_assert_str_eq(d->names[i], names[i]);
    expect_same(d->tensors[i], ts[i]);
  }
  cr_assert_eq(d->nmeta, 1);
  cr_assert_str_eq(d->meta_keys[0], "format");
  cr_assert_str_eq(d->meta_values[0], "pt");
  /* the transposed view was written in its logical row-major order */
  int64_t at[2] = {1, 2};
  cr_assert_eq(dlt_get(d->tensors[4], at), (float)(2 * 5 + 1) / 8.0);
  dlt_tensor_dict_free(d);
  dlt_release(a);
  dlt_release(b);
  dlt_release(c);
  dlt_release(e);
  dlt_release(big);
  dlt_release(tr);
}

Test(safetensors, byte_layout_follows_the_spec) {
  scratch_dir();
  int64_t s2[1] = {2};
  dlt_tensor *w = ramp(1, s2, DLT_FLOAT32, 1), *v = dlt_full(0, NULL, -0.5, DLT_FLOAT64);
  const char *names[] = {"w", "v"};
  dlt_tensor *ts[] = {w, v};
  const char *path = scratch_path("l.safetensors");
  cr_assert_eq(dlt_save_safetensors(path, 2, names, ts, 0, NULL, NULL), 0, "%s", dlt_error());
  size_t len;
  unsigned char *b = slurp(path, &len);
  const char *want =
    "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
    "\"v\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[8,16]}}";
  uint64_t hl;
  memcpy(&hl, b, 8);
  cr_assert_eq(hl % 8, 0, "data starts 8-byte aligned");
  cr_assert_eq(len, 8 + hl + 16);
  cr_assert_eq(memcmp(b + 8, want, strlen(want)), 0, "header: %.*s", (int)hl, b + 8);
  for (size_t i = strlen(want); i < hl; i++) cr_assert_eq(b[8 + i], ' ', "padding is spaces");
  float f[2];
  double g;
  memcpy(f, b + 8 + hl, 8);
  memcpy(&g, b + 8 + hl + 8, 8);
  cr_assert(f[0] == 1.0f && f[1] == 1.125f && g == -0.5);
  free(b);
  dlt_release(w);
  dlt_release(v);
}

/* tests/fixtures/io_torch.safetensors is written by tests/golden/gen_io.py from torch */
Test(safetensors, loads_the_file_written_by_the_golden_script) {
  dlt_tensor_dict *d = dlt_load_safetensors("tests/fixtures/io_torch.safetensors");
  cr_assert(d != NULL, "%s", dlt_error());
  int seen = 0;
  for (int i = 0; i < d->n; i++) {
    dlt_tensor *t = d->tensors[i];
    int64_t n = dlt_numel(t);
    if (!strcmp(d->names[i], "f32")) { /* torch.arange(12).reshape(3, 4) / 8 - 0.5 */
      cr_assert(t->dtype == DLT_FLOAT32 && t->ndim == 2 && t->shape[0] == 3 && t->shape[1] == 4);
      for (int64_t k = 0; k < n; k++) cr_assert_eq(dlt_get_flat(t, k), (double)k / 8 - 0.5);
      seen |= 1;
    } else if (!strcmp(d->names[i], "f64")) { /* torch.arange(6, float64) / 3 */
      cr_assert(t->dtype == DLT_FLOAT64 && t->ndim == 1 && t->shape[0] == 6);
      for (int64_t k = 0; k < n; k++) cr_assert_eq(dlt_get_flat(t, k), (double)k / 3);
      seen |= 2;
    } else if (!strcmp(d->names[i], "f16")) { /* arange(4) * 0.25 - 1 in float16: exact */
      cr_assert(t->dtype == DLT_FLOAT32 && n == 4);
      for (int64_t k = 0; k < n; k++) cr_assert_eq(dlt_get_flat(t, k), (double)k * 0.25 - 1);
      seen |= 4;
    } else if (!strcmp(d->names[i], "bf16")) { /* arange(4) * 2 - 3 in bfloat16 */
      for (int64_t k = 0; k < n; k++) cr_assert_eq(dlt_get_flat(t, k), (double)k * 2 - 3);
      seen |= 8;
    } else if (!strcmp(d->names[i], "num_batches_tracked")) { /* an int64 scalar, 7: int64 as in torch */
      cr_assert(t->dtype == DLT_INT64 && t->ndim == 0 && dlt_item(t) == 7);
      seen |= 16;
    }
  }
  cr_assert_eq(seen, 31, "tensors found: mask %d", seen);
  cr_assert_eq(d->nmeta, 1);
  cr_assert_str_eq(d->meta_keys[0], "format");
  dlt_tensor_dict_free(d);
}

Test(safetensors, empty_dict_round_trips) {
  scratch_dir();
  const char *path = scratch_path("e.safetensors");
  cr_assert_eq(dlt_save_safetensors(path, 0, NULL, NULL, 0, NULL, NULL), 0);
  dlt_tensor_dict *d = dlt_load_safetensors(path);
  cr_assert(d && d->n == 0 && d->nmeta == 0);
  dlt_tensor_dict_free(d);
}

typedef struct {
  const char *header;
  size_t dlen;
  const char *error;
} bad_case;

Test(safetensors, malformed_headers_are_refused_naming_the_fault) {
  static const bad_case cases[] = {
    {"[1]", 0, "does not start with '{'"},
    {"{\"a\" {}}", 0, "expected ':'"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},}", 4, "expected a string key"},
    {"{\"a", 0, "unterminated string"},
    {"{\"a\\q\":1}", 0, "bad escape"},
    {"{\"a\\ud800\":1}", 0, "lone surrogate"},
    {"{\"a\\u00\":1}", 0, "bad \\u escape"},
    {"{\"\xff\":1}", 0, "invalid UTF-8"},
    {"{\"\xc0\xaf\":1}", 0, "invalid UTF-8"},
    {"{\"a\\u0000\":1}", 0, "NUL character"},
    {"{\"a\":\"x\ny\"}", 0, "control character"},
    {"{\"a\":1,\"a\":2}", 0, "duplicate key"},
    {"{} x", 0, "trailing characters"},
    {"{\"a\":01}", 0, "expected ',' or '}'"},
    {"{\"a\":-}", 0, "bad number"},
    {"{\"a\":1.}", 0, "bad number"},
    {"{\"a\":tru}", 0, "unexpected character"},
    {"{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}", 0, "nested too deeply"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1]", 0, "expected ',' or '}'"},
    {"{\"a\":1}", 0, "entry of tensor 'a' is not an object"},
    {"{\"a\":{\"dtype\":\"Q7\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "unknown dtype 'Q7'"},
    {"{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, "dtype F8_E4M3, which dlt cannot read"},
    {"{\"a\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8, "dtype C64"},
    {"{\"a\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "dtype of tensor 'a' is not a string"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "size 1 of tensor 'a' is not a non-negative integer"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}}", 4, "not a non-negative integer"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1e0],\"data_offsets\":[0,4]}}", 4, "not a non-negative integer"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,4]}}", 4, "not a non-negative integer"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":4,\"data_offsets\":[0,16]}}", 16, "shape of tensor 'a' is not a list"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4, "9 dimensions"},
    {"{\"a\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 8, "overflows"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, "needs 8 bytes, data_offsets give 4"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4, "reversed"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4, "not a list of two"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,-4]}}", 4, "not non-negative integers"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 2, "cover 4 data bytes, the file holds 2"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8, "cover 4 data bytes, the file holds 8"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "starts at byte 4, expected 0"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
     "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
     12, "overlap or gap"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
     "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
     4, "overlap or gap"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":1}}", 4, "unknown field 'extra'"},
    {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "lacks 'data_offsets'"},
    {"{\"__metadata__\":{\"k\":1}}", 0, "__metadata__ value of 'k' is not a string"},
    {"{\"__metadata__\":[]}", 0, "__metadata__ is not an object"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    dlt_tensor_dict *d = parse_header(cases[i].header, cases[i].dlen);
    cr_assert(d == NULL, "case %zu (%s) was accepted", i, cases[i].header);
    cr_assert(strstr(dlt_error(), cases[i].error), "case %zu: error '%s' lacks '%s'", i, dlt_error(), cases[i].error);
    cr_assert(strncmp(dlt_error(), "load: 'mem'", 11) == 0, "case %zu names the file: %s", i, dlt_error());
  }
}

Test(safetensors, bad_header_lengths_are_refused) {
  unsigned char b[16] = {0};
  void *c7 = exact_copy(b, 7);
  cr_assert_null(dlt_parse_safetensors(c7, 7, "m"));
  expect_error("too short");
  free(c7);
  uint64_t hl = 9;
  memcpy(b, &hl, 8);
  memcpy(b + 8, "{}      ", 8);
  cr_assert_null(dlt_parse_safetensors(b, 16, "m"));
  expect_error("header length 9 exceeds the 8 bytes that follow");
  hl = (uint64_t)1 << 40;
  memcpy(b, &hl, 8);
  cr_assert_null(dlt_parse_safetensors(b, 16, "m"));
  expect_error("over the 100 MB limit");
  hl = 8;
  memcpy(b, &hl, 8);
  dlt_tensor_dict *d = dlt_parse_safetensors(b, 16, "m"); /* "{}" padded: a valid empty file */
  cr_assert(d && d->n == 0);
  dlt_tensor_dict_free(d);
}

/* every proper prefix of a valid file is refused, each parsed from an exact-size copy */
Test(safetensors, every_truncation_is_refused_without_over_read) {
  scratch_dir();
  int64_t s[2] = {2, 2};
  dlt_tensor *a = ramp(2, s, DLT_FLOAT64, 0);
  const char *names[] = {"a"}, *mk[] = {"k"}, *mv[] = {"v\\\"\xe2\x82\xac"};
  dlt_tensor *ts[] = {a};
  const char *path = scratch_path("t.safetensors");
  cr_assert_eq(dlt_save_safetensors(path, 1, names, ts, 1, mk, mv), 0);
  size_t len;
  unsigned char *b = slurp(path, &len);
  for (size_t n = 0; n < len; n++) {
    void *c = exact_copy(b, n);
    dlt_tensor_dict *d = dlt_parse_safetensors(c, n, "cut");
    cr_assert(d == NULL, "prefix of %zu of %zu bytes accepted", n, len);
    free(c);
  }
  void *c = exact_copy(b, len);
  dlt_tensor_dict *d = dlt_parse_safetensors(c, len, "whole");
  cr_assert(d != NULL, "%s", dlt_error());
  cr_assert_str_eq(d->meta_values[0], mv[0]);
  dlt_tensor_dict_free(d);
  free(c);
  free(b);
  dlt_release(a);
}

Test(safetensors, names_are_checked_before_writing) {
  scratch_dir();
  dlt_tensor *a = dlt_full(0, NULL, 1, DLT_FLOAT32);
  dlt_tensor *ts[] = {a, a};
  const char *dup[] = {"x", "x"}, *meta[] = {"__metadata__"}, *bad[] = {"\xff"};
  cr_assert_eq(dlt_save_safetensors(scratch_path("a"), 2, dup, ts, 0, NULL, NULL), -1);
  expect_error("tensor name 'x' appears twice");
  cr_assert_eq(dlt_save_safetensors(scratch_path("a"), 1, meta, ts, 0, NULL, NULL), -1);
  expect_error("'__metadata__' is reserved");
  cr_assert_eq(dlt_save_safetensors(scratch_path("a"), 1, bad, ts, 0, NULL, NULL), -1);
  expect_error("not valid UTF-8");
  cr_assert_eq(dir_entries(scratch), 0, "nothing was written");
  dlt_release(a);
}

Test(safetensors, missing_file_and_directory_are_named) {
  scratch_dir();
  cr_assert_null(dlt_load_safetensors(scratch_path("nope.safetensors")));
  cr_assert(strstr(dlt_error(), "load: cannot open '") && strstr(dlt_error(), "nope.safetensors': No such file or directory"), "%s", dlt_error());
  cr_assert_null(dlt_load_safetensors(scratch));
  expect_error("Is a directory");
}

Test(safetensors, save_into_a_missing_directory_names_path_and_reason) {
  scratch_dir();
  dlt_tensor *a = dlt_full(0, NULL, 1, DLT_FLOAT32);
  const char *names[] = {"a"};
  dlt_tensor *ts[] = {a};
  char want[600];
  const char *path = scratch_path("missing/y.safetensors");
  snprintf(want, sizeof want, "save: cannot open '%s': No such file or directory", path);
  cr_assert_eq(dlt_save_safetensors(path, 1, names, ts, 0, NULL, NULL), -1);
  cr_assert_str_eq(dlt_error(), want);
  cr_assert_eq(dir_entries(scratch), 0);
  dlt_release(a);
}

Test(safetensors, save_onto_a_directory_leaves_no_temporary) {
  scratch_dir();
  const char *sub = scratch_path("sub");
  cr_assert_eq(mkdir(sub, 0755), 0);
  spit(scratch_path("sub/keep"), "x", 1); /* a non-empty directory cannot be replaced */
  dlt_tensor *a = dlt_full(0, NULL, 1, DLT_FLOAT32);
  const char *names[] = {"a"};
  dlt_tensor *ts[] = {a};
  cr_assert_eq(dlt_save_safetensors(sub, 1, names, ts, 0, NULL, NULL), -1);
  cr_assert(strstr(dlt_error(), "save: cannot write '") != NULL, "%s", dlt_error());
  cr_assert_eq(dir_entries(scratch), 1, "only the directory remains");
  dlt_release(a);
}

/* a disk that fills up mid-write: the old file survives whole and no temporary is left */
Test(safetensors, failed_write_keeps_the_old_file_and_leaves_no_temporary) {
  scratch_dir();
  const char *path = scratch_path("w.safetensors");
  spit(path, "old contents", 12);
  signal(SIGXFSZ, SIG_IGN);
  struct rlimit rl = {4096, 4096};
  cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
  int64_t s[1] = {100000};
  dlt_tensor *a = dlt_zeros(1, s, DLT_FLOAT64);
  const char *names[] = {"a"};
  dlt_tensor *ts[] = {a};
  cr_assert_eq(dlt_save_safetensors(path, 1, names, ts, 0, NULL, NULL), -1);
  cr_assert(strstr(dlt_error(), "save: cannot write '") && strstr(dlt_error(), "w.safetensors': File too large"), "%s", dlt_error());
  cr_assert_eq(dir_entries(scratch), 1);
  size_t len;
  unsigned char *b = slurp(path, &len);
  cr_assert(len == 12 && memcmp(b, "old contents", 12) == 0);
  free(b);
  dlt_release(a);
}

Test(safetensors, save_replaces_an_existing_file) {
  scratch_dir();
  const char *path = scratch_path("r.safetensors");
  spit(path, "old", 3);
  dlt_tensor *a = dlt_full(0, NULL, 4, DLT_FLOAT32);
  const char *names[] = {"a"};
  dlt_tensor *ts[] = {a};
  cr_assert_eq(dlt_save_safetensors(path, 1, names, ts, 0, NULL, NULL), 0);
  dlt_tensor_dict *d = dlt_load_safetensors(path);
  cr_assert(d && d->n == 1 && dlt_item(d->tensors[0]) == 4);
  cr_assert_eq(dir_entries(scratch), 1);
  dlt_tensor_dict_free(d);
  dlt_release(a);
}

/* a hostile header cannot make the parser hold more than 2^21 values */
Test(safetensors, header_value_count_is_bounded) {
  size_t n = ((size_t)1 << 21) + 1, len = 8 + 6 + 2 * n + 8;
  char *h = malloc(len);
  char *o = h + 8;
  o += sprintf(o, "{\"a\":[");
  for (size_t i = 0; i < n; i++) {
    *o++ = '0';
    *o++ = ',';
  }
  o[-1] = ']';
  *o++ = '}';
  uint64_t hl = (uint64_t)(o - h - 8);
  memcpy(h, &hl, 8);
  cr_assert_null(dlt_parse_safetensors(h, (size_t)(o - h), "big"));
  expect_error("more than 2^21 values");
  free(h);
}
