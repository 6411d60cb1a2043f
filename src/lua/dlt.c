/* dlt.c: luaopen_dlt, which builds the dlt table from every binding area and the
 * Lua-side modules compiled into the binary (every lua/dlt file, as bytecode). */
#include <string.h>

#include "lua/common.h"

typedef struct {
  const char *name;
  const unsigned char *code;
  size_t len;
} embedded;
extern const embedded dlt_embedded_lua[];

/* package.preload loader for an embedded module: upvalue 1 is its index */
static int load_embedded(lua_State *L) {
  const embedded *e = &dlt_embedded_lua[lua_tointeger(L, lua_upvalueindex(1))];
  /* the chunk name "=[dlt]/<file>.lua" travels inside the bytecode (tools/embed_lua.c) */
  if (luaL_loadbufferx(L, (const char *)e->code, e->len, e->name, "b") != LUA_OK) return lua_error(L);
  lua_pushstring(L, e->name);
  lua_call(L, 1, 1);
  return 1;
}

static void register_preload(lua_State *L) {
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  for (int i = 0; dlt_embedded_lua[i].name; i++) {
    lua_pushinteger(L, i);
    lua_pushcclosure(L, load_embedded, 1);
    lua_setfield(L, -2, dlt_embedded_lua[i].name);
  }
  lua_pop(L, 1);
}

int luaopen_dlt(lua_State *L) {
  lua_newtable(L);
  int dlt = lua_gettop(L);
  /* visible to the Lua-side modules, which require "dlt" while it is being built */
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_pushvalue(L, dlt);
  lua_setfield(L, -2, "dlt");
  lua_pop(L, 1);
  register_preload(L);
  dlt_open_tensor(L, dlt);
  dlt_open_util(L, dlt);
  dlt_open_autograd(L, dlt);
  dlt_open_io(L, dlt);
  dlt_open_nn(L, dlt);
  dlt_open_optim(L, dlt);
  dlt_open_plot(L, dlt);
  dlt_open_distributed(L, dlt);
  /* lua/dlt/init.lua attaches the Lua-side parts (nn.Module, data, ...) */
  lua_getglobal(L, "require");
  lua_pushstring(L, "dlt.init");
  lua_call(L, 1, 0);
  lua_settop(L, dlt);
  return 1;
}
