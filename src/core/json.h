/* json.h: a strict JSON reader for file headers (json.c). */
#ifndef DLT_JSON_H
#define DLT_JSON_H

#include <stddef.h>
#include <stdint.h>

enum { DLT_JSON_NULL,
       DLT_JSON_BOOL,
       DLT_JSON_NUM,
       DLT_JSON_STR,
       DLT_JSON_ARR,
       DLT_JSON_OBJ };

typedef struct dlt_json {
  int type;
  const char *num; /* DLT_JSON_NUM: the literal's text in the input */
  size_t numlen;
  char *str; /* DLT_JSON_STR: decoded, NUL-terminated (no NULs inside) */
  int n;     /* DLT_JSON_ARR/OBJ: count; DLT_JSON_BOOL: 1 for true */
  struct dlt_json *items;
  char **keys; /* DLT_JSON_OBJ */
} dlt_json;

/* Parses all of s[0..n) into v (free it with dlt_json_free); -1 with a message and the
 * byte offset of the fault on malformed input, v then empty. */
int dlt_json_parse(const char *s, size_t n, dlt_json *v, const char **err, size_t *errpos);
void dlt_json_free(dlt_json *v);
/* a number that is a plain non-negative integer below 2^63, else -1 */
int64_t dlt_json_uint(const dlt_json *v);
/* obj's value at key, or NULL */
const dlt_json *dlt_json_get(const dlt_json *obj, const char *key);
/* whether s (NUL-terminated) is valid UTF-8, as a JSON string must be */
int dlt_json_valid_utf8(const char *s);

#endif
