/* A tiny server on the preopened listening socket (fd 3): accept one connection,
 * receive a request, peek, send a reply, shut down. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <wasi/api.h>

int main(void) {
    __wasi_fd_t conn;
    __wasi_errno_t e = __wasi_sock_accept(3, 0, &conn);
    if (e != 0) { printf("accept failed: %d\n", e); return 1; }
    printf("accepted fd %d\n", conn);
    char buf[128];
    ssize_t n = recv(conn, buf, 5, MSG_PEEK);
    printf("peeked %zd: [%.*s]\n", n, (int)n, buf);
    n = recv(conn, buf, sizeof buf - 1, 0);
    if (n < 0) { printf("recv failed: %s\n", strerror(errno)); return 2; }
    buf[n] = 0;
    printf("received %zd: [%s]\n", n, buf);
    char reply[160];
    int len = snprintf(reply, sizeof reply, "echo:%s", buf);
    ssize_t sent = send(conn, reply, len, 0);
    printf("sent %zd\n", sent);
    if (shutdown(conn, SHUT_WR) != 0) { printf("shutdown failed: %s\n", strerror(errno)); return 3; }
    n = recv(conn, buf, sizeof buf, 0);
    printf("after shutdown, recv got %zd (peer closed)\n", n);
    close(conn);
    /* errors: a file descriptor that is not a socket */
    e = __wasi_sock_shutdown(1, __WASI_SDFLAGS_WR);
    printf("shutdown stdout: errno %d\n", e);
    return 0;
}
