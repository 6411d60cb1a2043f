/* test_io_csv.c: dlt.data.load_csv's reader: header detection, quoting, line endings,
 * and errors that name the line and column of a bad cell or a ragged row. */
#include "test_io_util.h"

static dlt_csv *csv(const char *text, int header) {
  size_t n = strlen(text);
  char *b = exact_copy(text, n);
  dlt_csv *c = dlt_parse_csv(b, n, header, DLT_FLOAT64, "mem.csv");
  free(b);
  return c;
}

static void expect_values(const dlt_csv *c, int rows, int cols, const double *v) {
  cr_assert(c != NULL, "%s", dlt_error());
  cr_assert_eq(c->data->ndim, 2);
  cr_assert_eq(c->data->shape[0], rows, "rows %lld", (long long)c->data->shape[0]);
  cr_assert_eq(c->data->shape[1], cols, "cols %lld", (long long)c->data->shape[1]);
  for (int i = 0; i < rows * cols; i++) cr_assert_eq(dlt_get_flat(c->data, i), v[i], "element %d", i);
}

Test(csv, header_is_detected_and_names_kept) {
  dlt_csv *c = csv("x1, x2 ,\"label, y\"\n1,2.5,-3e2\n4,  5 ,6\n", DLT_CSV_HEADER_AUTO);
  expect_values(c, 2, 3, (double[]){1, 2.5, -300, 4, 5, 6});
  cr_assert(c->colnames != NULL);
  cr_assert_str_eq(c->colnames[0], "x1");
  cr_assert_str_eq(c->colnames[1], "x2");
  cr_assert_str_eq(c->colnames[2], "label, y");
  dlt_csv_free(c);
}

Test(csv, all_numeric_first_row_is_data) {
  dlt_csv *c = csv("1,2\n3,4", DLT_CSV_HEADER_AUTO); /* no final newline */
  expect_values(c, 2, 2, (double[]){1, 2, 3, 4});
  cr_assert_null(c->colnames);
  dlt_csv_free(c);
}

Test(csv, forced_header_takes_a_numeric_row_as_names) {
  dlt_csv *c = csv("1,2\n3,4\n", DLT_CSV_HEADER);
  expect_values(c, 1, 2, (double[]){3, 4});
  cr_assert_str_eq(c->colnames[1], "2");
  dlt_csv_free(c);
}

Test(csv, crlf_blank_lines_quotes_and_specials) {
  dlt_csv *c = csv("\r\n\"a\"\"b\",c\r\n\r\n\"1.5\", inf\r\n  \n-0.25,nan\r\n", DLT_CSV_HEADER_AUTO);
  cr_assert(c != NULL, "%s", dlt_error());
  cr_assert_str_eq(c->colnames[0], "a\"b");
  cr_assert_eq(c->data->shape[0], 2);
  cr_assert_eq(dlt_get_flat(c->data, 0), 1.5);
  cr_assert(dlt_get_flat(c->data, 1) > 1e308);
  cr_assert_eq(dlt_get_flat(c->data, 2), -0.25);
  cr_assert(dlt_get_flat(c->data, 3) != dlt_get_flat(c->data, 3));
  dlt_csv_free(c);
}

Test(csv, a_leading_utf8_bom_is_skipped) {
  dlt_csv *c = csv(
    "\xEF\xBB\xBF"
    "1,2\n3,4\n",
    DLT_CSV_HEADER_AUTO);
  expect_values(c, 2, 2, (double[]){1, 2, 3, 4});
  dlt_csv_free(c);
  c = csv(
    "\xEF\xBB\xBF"
    "x,y\n3,4\n",
    DLT_CSV_HEADER_AUTO);
  cr_assert(c && c->colnames && strcmp(c->colnames[0], "x") == 0);
  dlt_csv_free(c);
}

Test(csv, header_only_gives_zero_rows) {
  dlt_csv *c = csv("a,b\n", DLT_CSV_HEADER_AUTO);
  cr_assert(c && c->data->shape[0] == 0 && c->data->shape[1] == 2);
  dlt_csv_free(c);
}

Test(csv, float32_by_default_for_loaded_files) {
  scratch_dir();
  spit(scratch_path("d.csv"), "0.1,2\n", 6);
  dlt_csv *c = dlt_load_csv(scratch_path("d.csv"), DLT_CSV_HEADER_AUTO, DLT_FLOAT32);
  cr_assert(c && c->data->dtype == DLT_FLOAT32, "%s", dlt_error());
  cr_assert_eq(dlt_get_flat(c->data, 0), (double)0.1f);
  dlt_csv_free(c);
}

typedef struct {
  const char *text;
  const char *error;
} bad_case;

Test(csv, errors_name_line_and_column) {
  static const bad_case cases[] = {
    {"a,b\n1,2\n3,x\n", "'mem.csv' line 3, column 2: cannot read 'x' as a number"},
    {"1,2\n\n3,4,5\n", "'mem.csv' line 3 has 3 columns, expected 2"},
    {"a,b\n1\n", "'mem.csv' line 2 has 1 columns, expected 2"},
    {"1,2\n3,\n", "line 2, column 2: empty cell"},
    {"1,2\n\"3,4\n", "line 2, column 1: unterminated quote"},
    {"1,2\n\"3\"x,4\n", "line 2, column 1: text after a closing quote"},
    {"1,2\n0x10,4\n", "line 2, column 1: cannot read '0x10'"},
    {"1,2\n1.5.2,4\n", "line 2, column 1: cannot read '1.5.2'"},
    {"", "'mem.csv' holds no rows"},
    {"\n \r\n", "holds no rows"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    dlt_csv *c = csv(cases[i].text, DLT_CSV_HEADER_AUTO);
    cr_assert(c == NULL, "case %zu accepted", i);
    cr_assert(strstr(dlt_error(), cases[i].error), "case %zu: error '%s' lacks '%s'", i, dlt_error(), cases[i].error);
    cr_assert(strncmp(dlt_error(), "load_csv: 'mem.csv'", 19) == 0, "%s", dlt_error());
  }
  /* a NUL inside a cell is not a number, and is not read past */
  char nul[] = {'1', ',', '2', '\n', '3', 0, '4', ',', '5'};
  char *b = exact_copy(nul, sizeof nul);
  cr_assert_null(dlt_parse_csv(b, sizeof nul, DLT_CSV_HEADER_AUTO, DLT_FLOAT32, "m"));
  expect_error("line 2, column 1: cannot read '3' as a number");
  free(b);
}

Test(csv, missing_file_is_named) {
  scratch_dir();
  cr_assert_null(dlt_load_csv(scratch_path("none.csv"), DLT_CSV_HEADER_AUTO, DLT_FLOAT32));
  cr_assert(strstr(dlt_error(), "load_csv: cannot open '") && strstr(dlt_error(), "none.csv': No such file or directory"), "%s", dlt_error());
}
