// The census samples' library (libcensus_plugin.so, census_plugin.dll): Plugin's key function (its
// first non-inline virtual function) is here, so its vtable and type_info are in this library's
// read-only data.
#define CENSUS_PLUGIN_BUILD
#include "census_plugin.h"

namespace plugin {

Plugin::Plugin(int id) : id_(id) {}
Plugin::~Plugin() {}
int Plugin::id() const { return id_; }

Plugin *make_plugin(int id) { return new Plugin(id); }

}  // namespace plugin
