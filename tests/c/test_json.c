/* test_json.c: the strict JSON reader (core/json.c) on its own: values, the faults it
 * refuses with their byte offsets, and the integer and UTF-8 helpers. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/json.h"

static int parse(const char *s, dlt_json *v, const char **err, size_t *at) { return dlt_json_parse(s, strlen(s), v, err, at); }

Test(json, reads_objects_arrays_strings_and_integers) {
  dlt_json v;
  const char *err = NULL;
  size_t at = 0;
  cr_assert_eq(parse("{\"a\": [1, 2, 30], \"b\": \"x\\u00e9\", \"c\": true, \"d\": null}", &v, &err, &at), 0);
  cr_assert_eq(v.type, DLT_JSON_OBJ);
  const dlt_json *a = dlt_json_get(&v, "a"), *b = dlt_json_get(&v, "b");
  cr_assert(a && a->type == DLT_JSON_ARR && a->n == 3);
  cr_assert_eq(dlt_json_uint(&a->items[2]), 30);
  cr_assert_str_eq(b->str, "x\xc3\xa9");
  cr_assert_eq(dlt_json_get(&v, "c")->n, 1);
  cr_assert_null(dlt_json_get(&v, "e"));
  dlt_json_free(&v);
}

Test(json, refuses_malformed_input_naming_the_fault_and_its_offset) {
  static const struct {
    const char *in, *err;
    size_t at;
  } bad[] = {
    {"{\"a\": 1,}", "expected a string key", 8},
    {"{\"a\": 1, \"a\": 2}", "duplicate key", 16},
    {"[1] x", "trailing characters", 4},
    {"\"\xff\"", "invalid UTF-8 in string", 1},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    dlt_json v;
    const char *err = NULL;
    size_t at = 0;
    cr_assert_eq(parse(bad[i].in, &v, &err, &at), -1, "%s", bad[i].in);
    cr_assert(strstr(err, bad[i].err), "%s: %s", bad[i].in, err);
    cr_assert_eq(at, bad[i].at, "%s: at %zu", bad[i].in, at);
  }
}

Test(json, integers_and_utf8_helpers) {
  dlt_json v;
  const char *err;
  size_t at;
  cr_assert_eq(parse("[9223372036854775807, 9223372036854775808, -1, 1.5]", &v, &err, &at), 0);
  cr_assert_eq(dlt_json_uint(&v.items[0]), INT64_MAX);
  for (int i = 1; i < 4; i++) cr_assert_eq(dlt_json_uint(&v.items[i]), -1);
  dlt_json_free(&v);
  cr_assert(dlt_json_valid_utf8("caf\xc3\xa9"));
  cr_assert(!dlt_json_valid_utf8("\xed\xa0\x80")); /* a UTF-16 surrogate */
}
