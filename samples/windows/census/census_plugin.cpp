// census_plugin.dll for samples/windows/census/census.cpp: Plugin's key function is here, so its
// vtable and type_info are in this DLL's .rdata (its own static copy of libstdc++ beside them).
#define CENSUS_PLUGIN_BUILD
#include "census_plugin.h"

namespace plugin {

Plugin::Plugin(int id) : id_(id) {}
Plugin::~Plugin() {}
int Plugin::id() const { return id_; }

Plugin *make_plugin(int id) { return new Plugin(id); }

}  // namespace plugin
