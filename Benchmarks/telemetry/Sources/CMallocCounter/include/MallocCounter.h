#pragma once
#include <stdint.h>

/// Counting is off until enabled: the timed runs pay nothing for it (one relaxed load per call).
void malloc_counter_set_enabled(int enabled);

/// Heap allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign) made by every
/// thread of the process while counting was enabled.
uint64_t malloc_counter_allocations(void);

/// Bytes allocated on the glibc heap right now (mallinfo2's uordblks).
uint64_t malloc_counter_heap_in_use(void);

/// Returns freed heap memory to the kernel (malloc_trim(0)), so RSS reflects live memory.
void malloc_counter_trim(void);
