#ifndef DH_HEAP_STATS_H
#define DH_HEAP_STATS_H
#include <stddef.h>

/// Bytes the C heap (glibc malloc) has handed out and not freed, in all arenas.
size_t dh_heap_in_use(void);

#endif
