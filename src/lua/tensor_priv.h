/* tensor_priv.h: what the tensor binding files (tensor.c, tensor_create.c,
 * tensor_shape.c, tensor_math.c) share: argument helpers and their luaL_Reg tables. */
#ifndef DLT_LUA_TENSOR_PRIV_H
#define DLT_LUA_TENSOR_PRIV_H

#include "lua/common.h"

/* A Lua dim (1-based, negative from the end, 0 invalid) at idx as a C dim (0-based, or
 * negative for the engine to wrap). Range is checked against ndim (ndim 0 allows 1/-1). */
int dlt_lua_checkdim(lua_State *L, int idx, int ndim, const char *fn);
int dlt_lua_optdim(lua_State *L, int idx, int ndim, const char *fn, int def);
/* dlt_lua_checkdim for a value already read */
int dlt_lua_todim(lua_State *L, lua_Integer d, int ndim, const char *fn);
/* An integral number at idx, with an error naming fn and what otherwise. */
int64_t dlt_lua_checkint(lua_State *L, int idx, const char *fn, const char *what);
/* A shape given as numbers at first..last or as one table at first; returns ndim.
 * Sizes must be integers >= 0 ("fn: invalid size -3"); allow_neg1 admits -1 (view). */
int dlt_lua_checkshape(lua_State *L, int first, int last, const char *fn, int64_t *shape, int allow_neg1);
/* Index of the last argument when it is an options table (a table with no [1]), else 0. */
int dlt_lua_trailingopts(lua_State *L);
/* A tensor or a number (as a 0-D tensor of like's dtype) at idx; new reference. */
dlt_tensor *dlt_lua_operand(lua_State *L, int idx, const dlt_tensor *like, const char *fn);
/* 1-based indices (tensor, table or number) at idx as 0-based int64 in a Lua-owned
 * buffer pushed on the stack; each checked against size. */
int64_t *dlt_lua_checkindices(lua_State *L, int idx, int64_t size, const char *fn, int64_t *n);
/* dtype name at idx ("float32", "float64", "int64", "bool"; also "float", "double", "long") */
dlt_dtype dlt_lua_checkdtype(lua_State *L, int idx, const char *fn);
dlt_dtype dlt_lua_optdtype(lua_State *L, int opts, const char *fn, dlt_dtype def);
/* Fails naming fn unless t's dtype can carry gradients (float32, float64). */
void dlt_lua_check_grad_dtype(lua_State *L, const dlt_tensor *t, const char *fn);
/* Pushes t's element at storage offset off as Lua gives it back: a boolean (bool), an
 * integer (int64, and whole floats below 2^53), else a float. */
void dlt_lua_pushelement(lua_State *L, const dlt_tensor *t, int64_t off);
/* Raises the engine's error when rc < 0. */
void dlt_lua_checkrc(lua_State *L, int rc);

/* methods of tensors and functions of the dlt table, by area */
extern const luaL_Reg dlt_tensor_create_funcs[];
extern const luaL_Reg dlt_tensor_create_methods[];
extern const luaL_Reg dlt_tensor_random_funcs[]; /* dlt.random */
extern const luaL_Reg dlt_tensor_linalg_funcs[]; /* dlt.linalg */
extern const luaL_Reg dlt_tensor_shape_methods[];
extern const luaL_Reg dlt_tensor_shape_funcs[];
extern const luaL_Reg dlt_tensor_math_methods[];
extern const luaL_Reg dlt_tensor_math_funcs[];

/* t.shape, t:size(): a list of sizes printing as "(4, 2)" (tensor.c) */
#define DLT_SIZE_MT "dlt.Size"
void dlt_lua_pushsize(lua_State *L, const dlt_tensor *t);

/* __index/__newindex helpers for integer and table keys (tensor_shape.c) */
int dlt_tensor_index_get(lua_State *L, dlt_tensor *t, int key);
void dlt_tensor_index_set(lua_State *L, int self, dlt_tensor *t, int key, int val);

#endif
