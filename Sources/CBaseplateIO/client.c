/* Outbound connections: a non-blocking connect, then the connection's usual machinery. */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int connect_inet(const char *host, int port, char *err, size_t err_len) {
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    int rc = getaddrinfo(host, service, &hints, &ai);
    if (rc != 0) {
        snprintf(err, err_len, "cannot resolve %s: %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
        snprintf(err, err_len, "connect %s:%d: %s", host, port, strerror(errno));
        close(fd);
        fd = -1;
    } else if (fd < 0) {
        snprintf(err, err_len, "socket: %s", strerror(errno));
    }
    freeaddrinfo(ai);
    return fd;
}

static int connect_unix(const char *path, char *err, size_t err_len) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path) {
        snprintf(err, err_len, "UNIX socket path too long: %s", path);
        return -1;
    }
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0 && errno != EINPROGRESS &&
        errno != EAGAIN) {
        snprintf(err, err_len, "connect %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

bpio_client *bpio_client_open(bpio_loop *loop, const char *host, int port, const char *unix_path,
                              int dialect, int protocol, const bpio_client_callbacks *callbacks,
                              void *ctx, char *err, size_t err_len) {
    int fd = unix_path ? connect_unix(unix_path, err, err_len) : connect_inet(host, port, err, err_len);
    if (fd < 0) {
        return NULL;
    }
    bpio_conn *c = bpio_conn_new(loop, fd, callbacks, ctx);
    if (c == NULL) {
        close(fd);
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    c->req_dialect = (uint8_t)dialect;
    c->req_protocol = (uint8_t)protocol;
    c->connecting = 1;
    ev_io_start(loop->ev, &c->write_w); /* writable = connected (or failed: SO_ERROR says) */
    return c;
}

int bpio_client_send(bpio_client *c, const uint8_t *message, size_t len, int32_t seqid,
                     const bpio_header *headers, uint32_t header_count) {
    if (c->closed) {
        return -1;
    }
    int rc = bpio_conn_append_frame(c, 0, seqid, 0, headers, header_count, message, len);
    if (rc == 0) {
        bpio_conn_mark_dirty(c);
    }
    return rc;
}

void bpio_client_close(bpio_client *c) {
    bpio_conn_shut(c, "closed");
}
