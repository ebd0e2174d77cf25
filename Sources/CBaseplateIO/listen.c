/* Listening sockets: one SO_REUSEPORT listener per loop for TCP (the kernel spreads
 * connections across loops), or one shared listener for UNIX paths and inherited fds. */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        return -1;
    }
    flags = fcntl(fd, F_GETFD);
    return flags < 0 ? -1 : fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

static int open_tcp(const struct addrinfo *ai, int port, int backlog, char *err, size_t err_len) {
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, err_len, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    struct sockaddr_storage addr;
    memcpy(&addr, ai->ai_addr, ai->ai_addrlen);
    if (addr.ss_family == AF_INET6) {
        ((struct sockaddr_in6 *)&addr)->sin6_port = htons((uint16_t)port);
    } else {
        ((struct sockaddr_in *)&addr)->sin_port = htons((uint16_t)port);
    }
    if (bind(fd, (struct sockaddr *)&addr, ai->ai_addrlen) < 0 || listen(fd, backlog) < 0) {
        snprintf(err, err_len, "bind: %s", strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static int bound_port(int fd) {
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0) {
        return 0;
    }
    if (addr.ss_family == AF_INET6) {
        return ntohs(((struct sockaddr_in6 *)&addr)->sin6_port);
    }
    if (addr.ss_family == AF_INET) {
        return ntohs(((struct sockaddr_in *)&addr)->sin_port);
    }
    return 0;
}

static int open_unix(const char *path, int backlog, char *err, size_t err_len) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path) {
        snprintf(err, err_len, "UNIX socket path too long: %s", path);
        return -1;
    }
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, err_len, "socket: %s", strerror(errno));
        return -1;
    }
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, backlog) < 0) {
        snprintf(err, err_len, "bind %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int bpio_listen_open(bpio_server *server, char *err, size_t err_len) {
    const bpio_server_config *c = &server->config;
    int backlog = c->backlog > 0 ? c->backlog : 1024;
    if (c->listen_fd >= 0) {
        if (set_nonblocking(c->listen_fd) < 0) {
            snprintf(err, err_len, "listen fd %d: %s", c->listen_fd, strerror(errno));
            return -1;
        }
        server->shared_fd = c->listen_fd;
        server->port = bound_port(c->listen_fd);
    } else if (c->unix_path != NULL) {
        server->shared_fd = open_unix(c->unix_path, backlog, err, err_len);
        if (server->shared_fd < 0) {
            return -1;
        }
        server->owns_shared_fd = 1;
    }
    if (server->shared_fd >= 0) {
        for (unsigned i = 0; i < server->loop_count; i++) {
            server->loops[i].listen_fd = server->shared_fd;
        }
        atomic_store(&server->shared_watchers, server->loop_count);
        return 0;
    }

    if (c->port < 0) {
        return 0; /* no listener: loops for outbound connections only */
    }
    char service[16];
    snprintf(service, sizeof service, "%d", c->port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    int rc = getaddrinfo(c->host && c->host[0] ? c->host : NULL, service, &hints, &ai);
    if (rc != 0) {
        snprintf(err, err_len, "cannot resolve %s: %s", c->host ? c->host : "*", gai_strerror(rc));
        return -1;
    }
    int port = c->port;
    for (unsigned i = 0; i < server->loop_count; i++) {
        int fd = open_tcp(ai, port, backlog, err, err_len);
        if (fd < 0) {
            freeaddrinfo(ai);
            return -1;
        }
        server->loops[i].listen_fd = fd;
        if (i == 0) {
            port = bound_port(fd); /* port 0 asks for any: the other loops share that one */
        }
    }
    freeaddrinfo(ai);
    server->port = port;
    return 0;
}
