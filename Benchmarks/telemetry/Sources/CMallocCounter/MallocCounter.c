// Counts heap allocations by defining malloc & co. in the executable. On Linux (ELF) the executable's
// definitions take precedence over glibc's for every caller, including the Swift runtime's
// swift_slowAlloc; each one forwards to glibc's own implementation (`__libc_*`).
#include "MallocCounter.h"
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);

static _Atomic int enabled;
static _Atomic uint64_t allocations;

static inline void count(void) {
    if (atomic_load_explicit(&enabled, memory_order_relaxed)) {
        atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    }
}

void malloc_counter_set_enabled(int on) { atomic_store(&enabled, on); }
uint64_t malloc_counter_allocations(void) { return atomic_load(&allocations); }

void *malloc(size_t size) {
    count();
    return __libc_malloc(size);
}

void *calloc(size_t count_, size_t size) {
    count();
    return __libc_calloc(count_, size);
}

void *realloc(void *pointer, size_t size) {
    count();
    return __libc_realloc(pointer, size);
}

void *memalign(size_t alignment, size_t size) {
    count();
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    count();
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) return EINVAL;
    count();
    void *p = __libc_memalign(alignment, size);
    if (p == NULL && size != 0) return ENOMEM;
    *result = p;
    return 0;
}

#include <malloc.h>

uint64_t malloc_counter_heap_in_use(void) { return mallinfo2().uordblks; }
void malloc_counter_trim(void) { malloc_trim(0); }
