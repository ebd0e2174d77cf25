// malloc_count: an LD_PRELOAD shim that counts heap allocations of a process, for the
// allocation-threshold test (Tests/Integration/test_allocations.py) and perf/README.md.
//
//   LD_PRELOAD=perf/bin/malloc_count.so MALLOC_COUNT_FILE=/tmp/counts program ...
//
// Every malloc, calloc, realloc, memalign, posix_memalign, aligned_alloc, valloc and pvalloc
// adds one to a counter (free is not counted). The counter lives in a MAP_SHARED mapping of
// MALLOC_COUNT_FILE (8 bytes, little-endian u64), so another process reads the current count
// at any moment with a plain read of the file: no signal, no cooperation from the program.
// Without MALLOC_COUNT_FILE the shim counts into memory nobody reads. Child processes that
// inherit the environment add to the same counter (the file is never truncated: a process
// touching a mapping that another one shrank would die of SIGBUS); readers take differences.
//
// The allocations are forwarded to glibc's __libc_* entry points (dlsym would itself allocate).
// Relaxed atomics: exact totals from many threads, no ordering needed.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

static _Atomic uint64_t early_count; // allocations before the file is mapped
static _Atomic uint64_t *_Atomic counter = &early_count;

static inline void count_one(void) {
    atomic_fetch_add_explicit(atomic_load_explicit(&counter, memory_order_relaxed), 1, memory_order_relaxed);
}

__attribute__((constructor)) static void bpio_malloc_count_init(void) {
    const char *path = getenv("MALLOC_COUNT_FILE");
    if (!path || !*path) return;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return;
    struct stat st;
    if (fstat(fd, &st) == 0 && (st.st_size >= (off_t)sizeof(uint64_t) || ftruncate(fd, sizeof(uint64_t)) == 0)) {
        void *p = mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p != MAP_FAILED) {
            _Atomic uint64_t *shared = p;
            atomic_fetch_add_explicit(shared, atomic_load(&early_count), memory_order_relaxed);
            atomic_store(&counter, shared);
        }
    }
    close(fd);
}

void *malloc(size_t size) {
    count_one();
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size) {
    count_one();
    return __libc_calloc(n, size);
}

void *realloc(void *ptr, size_t size) {
    count_one();
    return __libc_realloc(ptr, size);
}

void *memalign(size_t alignment, size_t size) {
    count_one();
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    count_one();
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
    count_one();
    // POSIX: a power of two multiple of sizeof(void *); errors are returned, not set in errno.
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) return EINVAL;
    int saved = errno;
    void *p = __libc_memalign(alignment, size);
    if (!p) {
        errno = saved;
        return ENOMEM;
    }
    *out = p;
    return 0;
}

void *valloc(size_t size) {
    count_one();
    return __libc_valloc(size);
}

void *pvalloc(size_t size) {
    count_one();
    return __libc_pvalloc(size);
}
