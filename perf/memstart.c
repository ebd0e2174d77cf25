// memstart: start time and memory of a Thrift server, for perf/run's second table.
//
//   memstart --port P [--tries 5] [--idle-conns 10000] [--server-cpu 0] -- COMMAND ARGS...
//
// Each try starts COMMAND (which must serve on 127.0.0.1:P), then connects every 200 µs until
// the port accepts, sends one framed-binary BaseplateServiceV2.is_healthy call and reads the
// reply, which must be exactly the canonical `true` reply. Start time = fork to that reply.
// Then, 0.5 s later, the server's RSS ("after start": idle, after one reply). On the last try
// it opens --idle-conns connections that send nothing, waits until the server holds an fd for
// each (/proc/PID/fd), and reads the RSS again: (RSS with them - RSS before) / connections is
// the memory one idle connection costs. The server is killed (SIGKILL) after every try.
//
// Output: one line `start_ms_best= start_ms_median= rss_start_kb= idle_conns= idle_rss_kb=
// bytes_per_idle_conn=` and a human line. Exit 1 on any failure, with the reason.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t server = -1;

static void kill_server(void) {
    if (server > 0) {
        kill(server, SIGKILL);
        waitpid(server, NULL, 0);
        server = -1;
    }
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("memstart: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    kill_server();
    exit(1);
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(double ms) {
    struct timespec ts = {(time_t)(ms / 1e3), (long)((ms - (double)(time_t)(ms / 1e3) * 1e3) * 1e6)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

static long rss_kb(pid_t pid) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1) break;
    fclose(f);
    return kb;
}

static long fd_count(pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d) return -1;
    long n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

static void raise_fd_limit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
}

static struct sockaddr_in addr;

// -1 when refused (not listening yet), else a connected blocking socket.
static int try_connect(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket: %s", strerror(errno));
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct timeval tv = {10, 0}; // a server that never answers fails the run, not hangs it
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        return fd;
    }
    int e = errno;
    close(fd);
    if (e == ECONNREFUSED || e == EAGAIN || e == ECONNRESET) return -1;
    die("connect: %s", strerror(e));
    return -1;
}

// BaseplateServiceV2.is_healthy(IsHealthyRequest{probe = READINESS}), framed strict binary,
// seqid 1, and the only correct reply: is_healthy_result{0: true}.
static const uint8_t request[] = {
    0, 0, 0, 34, 0x80, 1, 0, 1, 0, 0, 0, 10, 'i', 's', '_', 'h', 'e', 'a', 'l', 't', 'h', 'y', 0, 0, 0, 1,
    12, 0, 1, 8, 0, 1, 0, 0, 0, 1, 0, 0,
};
static const uint8_t reply[] = {
    0, 0, 0, 27, 0x80, 1, 0, 2, 0, 0, 0, 10, 'i', 's', '_', 'h', 'e', 'a', 'l', 't', 'h', 'y', 0, 0, 0, 1,
    2, 0, 0, 1, 0,
};

_Static_assert(sizeof request == 4 + 34 && sizeof reply == 4 + 27, "frame lengths match the bytes");

static void one_call(int fd) {
    if (write(fd, request, sizeof request) != (ssize_t)sizeof request) die("write: %s", strerror(errno));
    uint8_t got[sizeof reply];
    size_t n = 0;
    while (n < sizeof got) {
        ssize_t r = read(fd, got + n, sizeof got - n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) die("reply: %s after %zu bytes", r ? strerror(errno) : "connection closed", n);
        n += (size_t)r;
    }
    if (memcmp(got, reply, sizeof reply) != 0) {
        fprintf(stderr, "memstart: reply bytes:");
        for (size_t i = 0; i < n; i++) fprintf(stderr, " %02x", got[i]);
        fputc('\n', stderr);
        die("the reply is not is_healthy -> true (seqid 1, framed binary)");
    }
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    int port = 0, tries = 5, cpu = -1;
    long idle = 10000;
    static const struct option longopts[] = {
        {"port", required_argument, 0, 'p'},       {"tries", required_argument, 0, 't'},
        {"idle-conns", required_argument, 0, 'i'}, {"server-cpu", required_argument, 0, 'c'},
        {0, 0, 0, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
        switch (ch) {
        case 'p': port = atoi(optarg); break;
        case 't': tries = atoi(optarg); break;
        case 'i': idle = atol(optarg); break;
        case 'c': cpu = atoi(optarg); break;
        default: goto usage;
        }
    }
    if (port <= 0 || port > 65535 || tries < 1 || idle < 0 || optind >= argc) {
    usage:
        fprintf(stderr, "usage: memstart --port P [--tries 5] [--idle-conns 10000] [--server-cpu N] -- COMMAND...\n");
        return 2;
    }
    char **cmd = argv + optind;
    raise_fd_limit();
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    int probe = try_connect();
    if (probe >= 0) die("127.0.0.1:%d already accepts connections before the server starts", port);

    double *times = calloc((size_t)tries, sizeof *times);
    int *fds = calloc((size_t)(idle > 0 ? idle : 1), sizeof *fds);
    if (!times || !fds) die("out of memory");
    long rss_start = -1, rss_before = -1, rss_after = -1;
    for (int t = 0; t < tries; t++) {
        double t0 = now_ms();
        server = fork();
        if (server < 0) die("fork: %s", strerror(errno));
        if (server == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL); // no orphan server if memstart itself is killed
            if (cpu >= 0) {
                cpu_set_t set;
                CPU_ZERO(&set);
                CPU_SET(cpu, &set);
                sched_setaffinity(0, sizeof set, &set);
            }
            execvp(cmd[0], cmd);
            fprintf(stderr, "memstart: exec %s: %s\n", cmd[0], strerror(errno));
            _exit(127);
        }
        int fd;
        while ((fd = try_connect()) < 0) {
            if (waitpid(server, NULL, WNOHANG) == server) {
                server = -1;
                die("the server exited before accepting (try %d)", t + 1);
            }
            if (now_ms() - t0 > 30000) die("the server did not accept within 30 s (try %d)", t + 1);
            sleep_ms(0.2);
        }
        one_call(fd);
        times[t] = now_ms() - t0;
        sleep_ms(500);
        rss_start = rss_kb(server);
        close(fd);
        if (t == tries - 1 && idle > 0) {
            sleep_ms(100);
            long fd0 = fd_count(server);
            rss_before = rss_kb(server);
            for (long i = 0; i < idle; i++) {
                double c0 = now_ms();
                while ((fds[i] = try_connect()) < 0) {
                    if (now_ms() - c0 > 10000) die("connection %ld refused for 10 s", i + 1);
                    sleep_ms(1);
                }
                // Keep the accept queue short: let the server catch up every 100 connections.
                if (i % 100 == 99) {
                    double w0 = now_ms();
                    while (fd_count(server) < fd0 + i + 1 - 50) {
                        if (now_ms() - w0 > 10000) die("the server accepted only %ld of %ld connections", fd_count(server) - fd0, i + 1);
                        sleep_ms(1);
                    }
                }
            }
            double w0 = now_ms();
            while (fd_count(server) < fd0 + idle) {
                if (now_ms() - w0 > 30000) die("the server holds %ld of %ld connections after 30 s", fd_count(server) - fd0, idle);
                sleep_ms(10);
            }
            sleep_ms(500);
            rss_after = rss_kb(server);
            for (long i = 0; i < idle; i++) close(fds[i]);
        }
        kill_server();
    }
    double best = times[0];
    for (int t = 1; t < tries; t++)
        if (times[t] < best) best = times[t];
    qsort(times, (size_t)tries, sizeof *times, cmp_double);
    double median = times[tries / 2];
    double per_conn = idle > 0 ? (double)(rss_after - rss_before) * 1024.0 / (double)idle : 0;
    printf("start_ms_best=%.1f start_ms_median=%.1f rss_start_kb=%ld idle_conns=%ld idle_rss_kb=%ld "
           "bytes_per_idle_conn=%.0f tries=%d\n",
           best, median, rss_start, idle, rss_after, per_conn, tries);
    printf("memstart: start to first reply %.1f ms best, %.1f ms median of %d; RSS after start %.1f MB; "
           "%ld idle connections: RSS %.1f -> %.1f MB, %.0f bytes each\n",
           best, median, tries, (double)rss_start / 1024.0, idle, (double)rss_before / 1024.0,
           (double)rss_after / 1024.0, per_conn);
    free(times);
    free(fds);
    return 0;
}
