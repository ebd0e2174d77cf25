/* Stack traces of every thread (SIGUSR1's dump). A thread cannot be walked from outside
 * without ptrace, so each one is asked, by a real-time signal, to walk itself. */
#define _GNU_SOURCE
#include "internal.h"

#include <dirent.h>
#include <execinfo.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_FRAMES 48

/* One request at a time: the thread asked, and where it leaves its frames. */
static atomic_int target_tid;
static atomic_int done;
static void *frames[MAX_FRAMES];
static int frame_count;

int bpio_stack_signal(void) {
    return SIGRTMIN + 3;
}

static void handler(int sig, siginfo_t *info, void *uctx) {
    (void)sig;
    (void)info;
    (void)uctx;
    if ((int)syscall(SYS_gettid) != atomic_load(&target_tid)) {
        return;
    }
    frame_count = backtrace(frames, MAX_FRAMES); /* warmed up in install: no allocation here */
    atomic_store(&done, 1);
}

int bpio_stacks_install(void) {
    void *warm[2];
    backtrace(warm, 2); /* the first call loads libgcc's unwinder (allocates): not in a handler */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    return sigaction(bpio_stack_signal(), &sa, NULL);
}

static void thread_name(int tid, char *out, size_t n) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/comm", tid);
    FILE *f = fopen(path, "r");
    out[0] = 0;
    if (f) {
        if (fgets(out, (int)n, f)) {
            out[strcspn(out, "\n")] = 0;
        }
        fclose(f);
    }
}

void bpio_stacks_dump(void (*frame)(void *ctx, int tid, const char *thread_name, int depth,
                                    const char *text),
                      void *ctx) {
    DIR *dir = opendir("/proc/self/task");
    if (dir == NULL) {
        return;
    }
    int self = (int)syscall(SYS_gettid);
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        int tid = atoi(e->d_name);
        if (tid <= 0) {
            continue;
        }
        char name[32];
        thread_name(tid, name, sizeof name);
        int count = 0;
        if (tid == self) {
            count = backtrace(frames, MAX_FRAMES);
        } else {
            atomic_store(&done, 0);
            atomic_store(&target_tid, tid);
            if (syscall(SYS_tgkill, getpid(), tid, bpio_stack_signal()) == 0) {
                for (int i = 0; i < 200 && !atomic_load(&done); i++) {
                    struct timespec ms = {0, 1000000};
                    nanosleep(&ms, NULL);
                }
            }
            atomic_store(&target_tid, 0);
            count = atomic_load(&done) ? frame_count : 0;
        }
        if (count == 0) {
            frame(ctx, tid, name, 0, NULL);
            continue;
        }
        char **symbols = backtrace_symbols(frames, count);
        for (int i = 0; i < count; i++) {
            frame(ctx, tid, name, i, symbols ? symbols[i] : "?");
        }
        free(symbols);
    }
    closedir(dir);
}
