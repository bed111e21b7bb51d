// A class whose vtable lives in a shared library (samples/linux/census.cpp counts its objects and
// expects the census to name libcensus_plugin.so as their module).
#ifndef VMMAP_SAMPLES_CENSUS_PLUGIN_H
#define VMMAP_SAMPLES_CENSUS_PLUGIN_H

namespace plugin {

class Plugin {
public:
    explicit Plugin(int id);
    virtual ~Plugin();
    virtual int id() const;

private:
    int id_;
};

Plugin *make_plugin(int id);

}  // namespace plugin

#endif
