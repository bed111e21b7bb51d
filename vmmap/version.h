#ifndef VMMAP_VERSION_H
#define VMMAP_VERSION_H
#define VMMAP_VERSION "0.1.0"
#endif
