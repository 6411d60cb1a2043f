/* common.h: what every binding file shares: the tensor userdata, argument helpers
 * and the open functions that luaopen_dlt calls to fill the dlt table. */
#ifndef DLT_LUA_COMMON_H
#define DLT_LUA_COMMON_H

#include <lauxlib.h>
#include <lua.h>

#include "core/tensor.h"

/* dlt.version, and what `dltlua -v` prints */
#define DLT_VERSION "0.1.0"
#define DLT_TENSOR_MT "dlt.Tensor"

/* The tensor userdata is a box holding one reference to a dlt_tensor. */
dlt_tensor *dlt_lua_checktensor(lua_State *L, int idx);
/* The name the running C function was called by, unless it was called as obj:name()
 * (for "call it as obj:name()" when its self is missing), or NULL. */
const char *dlt_lua_method_hint(lua_State *L);
/* luaL_checkudata(L, idx, tname) whose error for a missing self (ax.plot(x) for ax:plot(x))
 * says to call it as var:name(...). */
void *dlt_lua_checkself(lua_State *L, int idx, const char *tname, const char *var);
dlt_tensor *dlt_lua_testtensor(lua_State *L, int idx);
/* The box of the tensor userdata at idx (box[0] the tensor, NULL once released), or NULL
 * for any other value. */
dlt_tensor **dlt_lua_tensorbox(lua_State *L, int idx);
/* A tensor of a floating dtype, for bindings whose kernels compute in float32/float64
 * (layers, losses' inputs, initializers): an int64 or bool tensor is an argument error
 * naming its dtype. */
dlt_tensor *dlt_lua_checkfloat(lua_State *L, int idx);
/* the floating-point tensor at idx, the argument a layer or functional fn calls `what`
 * ("input", "weight"), or the error "fn: expected a floating-point input, got int64 ..." */
dlt_tensor *dlt_lua_checkfloatarg(lua_State *L, int idx, const char *fn, const char *what);
/* Drops testtensor's cached metatable address (called when a state creates its own). */
void dlt_lua_forget_mt(void);
/* Pushes t, taking over the caller's reference; t NULL raises the engine's error.
 * Tells Lua's GC about the new storage bytes, so loops of temporaries stay bounded. */
void dlt_lua_pushtensor(lua_State *L, dlt_tensor *t);
/* Tells Lua's collector about nbytes of new storage that no pushed tensor accounted for
 * (a module's parameters), so garbage modules are collected at the pace they are made. */
void dlt_lua_gc_account(lua_State *L, size_t nbytes);
/* The bindings' one way to raise an error: luaL_error with printf's formats (%g,
 * %lld, %zu: lua_pushfstring, behind luaL_error, knows only %d %s %f %I %p %c %U), the
 * message naming the Lua function and the values ("Linear: input has 3 features,
 * expected 2"), with the caller's position in front as luaL_error puts it. */
int dlt_lua_fail(lua_State *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Whether the running __gc was called by Lua's collector, not by hand: a script can
 * call __gc on a live object that a binding is still using (from a metamethod or a
 * finalizer the binding triggers), so a call by hand only disarms the object (later
 * use is an error) and the collector's call frees it. Modules and figures ask this;
 * tensors, made by the thousand, hide their collector's __gc instead (tensor.c). */
int dlt_lua_gc_by_collector(lua_State *L);
/* Registers the metatable of a userdata type, as liolib's createmeta does: the
 * metamethods in meta (__gc, __tostring, ...) and, when methods is not NULL, a table
 * of them as __index. */
void dlt_lua_newclass(lua_State *L, const char *name, const luaL_Reg *meta, const luaL_Reg *methods);
/* The engine's last error (dlt_error(), set by a function that returned NULL or -1),
 * named after the running Lua function when the engine's message names none
 * ("cannot allocate ..." from the storage becomes "randn: cannot allocate ...") */
int dlt_lua_error(lua_State *L);
/* lauxlib's argument checks with lauxlib's messages ("bad argument #1 to 'set_title'
 * (string expected, got no value)"), positioned as dlt_lua_fail's: for bindings that
 * dlt's own Lua code calls for the user (pyplot's functions call the Axes methods) */
int dlt_lua_argerror(lua_State *L, int arg, const char *extramsg);
const char *dlt_lua_checkstring(lua_State *L, int arg);
lua_Number dlt_lua_checknumber(lua_State *L, int arg);
lua_Integer dlt_lua_checkinteger(lua_State *L, int arg);
lua_Integer dlt_lua_optinteger(lua_State *L, int arg, lua_Integer def);
/* v as Lua writes a number ("0.5", "2.0", "1e+100"), for "%s" in dlt_lua_fail's messages */
#define dlt_lua_num(L, v) lua_pushfstring((L), "%f", (lua_Number)(v))
/* A tensor from a tensor, a number, or a (nested) table of numbers at idx; a new
 * reference either way (release it). dtype applies to numbers and tables. */
dlt_tensor *dlt_lua_totensor(lua_State *L, int idx, dlt_dtype dtype);
/* Numbers from a tensor, table or number at idx into a malloc'd array (free it). */
double *dlt_lua_todoubles(lua_State *L, int idx, int64_t *n);

/* Pushes t[key] for the table at idx, raw: options and other tables a binding reads
 * while it holds pointers must run no Lua code (no __index); returns the type. */
int dlt_lua_rawfield(lua_State *L, int idx, const char *key);
/* Options tables (read raw, see dlt_lua_rawfield): fails with "fn: unknown option 'key'" for keys not in allowed
 * (a NULL-terminated list). idx may be absent or nil. */
void dlt_lua_checkoptions(lua_State *L, int idx, const char *fn, const char *const *allowed);
double dlt_lua_optnumber(lua_State *L, int idx, const char *key, double def);
int dlt_lua_optboolean(lua_State *L, int idx, const char *key, int def);
const char *dlt_lua_optstring(lua_State *L, int idx, const char *key, const char *def);

/* Each area fills its part of the dlt table (at stack index dlt). */
void dlt_open_tensor(lua_State *L, int dlt);
void dlt_open_autograd(lua_State *L, int dlt);
void dlt_open_nn(lua_State *L, int dlt);
void dlt_open_optim(lua_State *L, int dlt);
void dlt_open_plot(lua_State *L, int dlt);
void dlt_open_io(lua_State *L, int dlt);
void dlt_open_util(lua_State *L, int dlt);
void dlt_open_distributed(lua_State *L, int dlt);

int luaopen_dlt(lua_State *L);

#endif
