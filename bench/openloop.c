/*
 * openloop: a fixed-rate (open-loop) HTTP/1.1 load generator for bench/run.sh.
 *
 * Request i is due at start + i/rate, whether or not earlier requests have been answered. A due
 * request goes out on an idle keep-alive connection, or waits in a queue until one frees up. Latency
 * is taken from the *due* time, not the send time, so a stalled target is charged for the wait
 * (no coordinated omission). One request per connection at a time (no pipelining).
 *
 * usage: openloop -p PORT [-H 127.0.0.1] [-u /64] [-r 1000] [-d 8] [-w 2] [-c 50] [-t 3]
 *   -r requests per second   -d measured seconds   -w warm-up seconds (sent, not recorded)
 *   -c connections           -t seconds to wait for stragglers after the last due time
 * Prints one JSON line: counts and p50/p90/p99/p99.9/max latency in microseconds.
 *
 * Linux only (epoll, timerfd). Build: gcc -O2 -o openloop openloop.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define BUF_CAP 65536

enum { C_DOWN, C_CONNECTING, C_IDLE, C_BUSY };

struct conn {
  int fd;
  int state;
  uint64_t due; /* due time of the request in flight (ns) */
  size_t len;   /* bytes in buf */
  char buf[BUF_CAP];
};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct sockaddr_in addr;
static int ep;
static char req[512];
static size_t req_len;
static struct conn *conns;
static int nconns;
static int *idle; /* stack of idle connection indexes */
static int nidle;

/* queue of due times waiting for a connection */
static uint64_t *q;
static size_t q_head, q_tail, q_cap;

static uint64_t *lat; /* recorded latencies (ns) */
static size_t nlat, lat_cap;
static uint64_t measure_from; /* requests due before this are warm-up */
static long sent, errors, non2xx, reconnects, inflight;

static void fail(const char *what) {
  perror(what);
  exit(2);
}

static void conn_open(int i) {
  struct conn *c = &conns[i];
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) fail("socket");
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c->len = 0;
  int r = connect(c->fd, (struct sockaddr *)&addr, sizeof addr);
  if (r < 0 && errno != EINPROGRESS) fail("connect");
  c->state = C_CONNECTING;
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = (uint32_t)i + 1};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) fail("epoll_ctl");
}

/* Close a connection; a request in flight on it counts as an error. Reopen it. */
static void conn_reset(int i) {
  struct conn *c = &conns[i];
  if (c->state == C_BUSY) {
    inflight--;
    if (c->due >= measure_from) errors++;
  }
  if (c->state == C_IDLE) { /* remove from the idle stack */
    for (int k = 0; k < nidle; k++)
      if (idle[k] == i) {
        idle[k] = idle[--nidle];
        break;
      }
  }
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  c->state = C_DOWN;
  reconnects++;
  conn_open(i);
}

static void send_on(int i, uint64_t due) {
  struct conn *c = &conns[i];
  c->due = due;
  c->state = C_BUSY;
  inflight++;
  sent++;
  ssize_t w = write(c->fd, req, req_len);
  if (w != (ssize_t)req_len) conn_reset(i); /* a short write of ~60 bytes on loopback: treat as broken */
}

static void dispatch(void) {
  while (q_head != q_tail && nidle > 0) {
    uint64_t due = q[q_head % q_cap];
    q_head++;
    send_on(idle[--nidle], due);
  }
}

static void enqueue(uint64_t due) {
  if (q_tail - q_head == q_cap) { /* cannot happen with q_cap = all requests, but stay safe */
    if (due >= measure_from) errors++;
    return;
  }
  q[q_tail % q_cap] = due;
  q_tail++;
}

/*
 * Is a whole response in buf? Returns its length (and sets *status, *close_after), 0 if more bytes are
 * needed, -1 if it cannot be parsed. Handles Content-Length and chunked bodies (without trailers).
 */
static long response_length(const char *buf, size_t len, int *status, int *close_after) {
  const char *end = memmem(buf, len, "\r\n\r\n", 4);
  if (end == NULL) return len >= BUF_CAP ? -1 : 0;
  size_t head = (size_t)(end - buf) + 4;
  if (len < 12 || memcmp(buf, "HTTP/1.", 7) != 0) return -1;
  *status = atoi(buf + 9);
  *close_after = 0;
  long clen = -1;
  int chunked = 0;
  const char *p = memchr(buf, '\n', head) + 1;
  while (p < buf + head - 2) {
    const char *eol = memchr(p, '\n', (size_t)(buf + head - p));
    if (eol == NULL) break;
    if (strncasecmp(p, "content-length:", 15) == 0) clen = atol(p + 15);
    else if (strncasecmp(p, "transfer-encoding:", 18) == 0 && memmem(p, (size_t)(eol - p), "chunked", 7)) chunked = 1;
    else if (strncasecmp(p, "connection:", 11) == 0 && memmem(p, (size_t)(eol - p), "close", 5)) *close_after = 1;
    p = eol + 1;
  }
  if (chunked) {
    size_t off = head;
    for (;;) {
      const char *crlf = memmem(buf + off, len - off, "\r\n", 2);
      if (crlf == NULL) return 0;
      long n = strtol(buf + off, NULL, 16);
      size_t next = (size_t)(crlf - buf) + 2 + (size_t)n + 2;
      if (next > len) return 0;
      off = next;
      if (n == 0) return (long)off;
    }
  }
  if (clen < 0) clen = 0; /* our upstreams always send a length; 1xx/204/304 have none */
  if (head + (size_t)clen > len) return (long)(head + (size_t)clen) > BUF_CAP ? -1 : 0;
  return (long)(head + (size_t)clen);
}

static void on_readable(int i) {
  struct conn *c = &conns[i];
  for (;;) {
    ssize_t r = read(c->fd, c->buf + c->len, BUF_CAP - c->len);
    if (r == 0) {
      conn_reset(i);
      return;
    }
    if (r < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      conn_reset(i);
      return;
    }
    c->len += (size_t)r;
    if (c->state != C_BUSY) { /* bytes nobody asked for */
      conn_reset(i);
      return;
    }
    int status = 0, close_after = 0;
    long n = response_length(c->buf, c->len, &status, &close_after);
    if (n < 0) {
      conn_reset(i);
      return;
    }
    if (n == 0) continue;
    uint64_t t = now_ns();
    if (c->due >= measure_from) {
      if (status >= 200 && status < 300) {
        if (nlat < lat_cap) lat[nlat++] = t - c->due;
      } else {
        non2xx++;
      }
    }
    inflight--;
    c->state = C_IDLE;
    memmove(c->buf, c->buf + n, c->len - (size_t)n);
    c->len -= (size_t)n;
    if (close_after) {
      conn_reset(i);
      reconnects--; /* an orderly close asked for by the server */
      return;
    }
    idle[nidle++] = i;
    return;
  }
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* nearest-rank percentile, in microseconds */
static double pct_us(double p) {
  if (nlat == 0) return 0;
  size_t k = (size_t)((p / 100.0) * (double)nlat + 0.999999999);
  if (k < 1) k = 1;
  if (k > nlat) k = nlat;
  return (double)lat[k - 1] / 1000.0;
}

int main(int argc, char **argv) {
  const char *host = "127.0.0.1", *path = "/64";
  int port = 0, opt;
  double rate = 1000, dur = 8, warm = 2, grace = 3;
  nconns = 50;
  while ((opt = getopt(argc, argv, "H:p:u:r:d:w:c:t:")) != -1) {
    switch (opt) {
    case 'H': host = optarg; break;
    case 'p': port = atoi(optarg); break;
    case 'u': path = optarg; break;
    case 'r': rate = atof(optarg); break;
    case 'd': dur = atof(optarg); break;
    case 'w': warm = atof(optarg); break;
    case 'c': nconns = atoi(optarg); break;
    case 't': grace = atof(optarg); break;
    default:
      fprintf(stderr, "usage: %s -p PORT [-H host] [-u path] [-r rps] [-d secs] [-w warmup] [-c conns] [-t grace]\n",
              argv[0]);
      return 2;
    }
  }
  if (port <= 0 || rate <= 0 || dur <= 0 || nconns <= 0) {
    fprintf(stderr, "openloop: -p, -r, -d and -c must be positive\n");
    return 2;
  }
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
    fprintf(stderr, "openloop: bad IPv4 address %s\n", host);
    return 2;
  }
  req_len = (size_t)snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: weir-bench-openloop\r\n\r\n",
                             path, host, port);

  long total = (long)((warm + dur) * rate);
  q_cap = (size_t)total + 1;
  lat_cap = (size_t)(dur * rate) + 16;
  q = malloc(q_cap * sizeof *q);
  lat = malloc(lat_cap * sizeof *lat);
  conns = calloc((size_t)nconns, sizeof *conns);
  idle = malloc((size_t)nconns * sizeof *idle);
  if (!q || !lat || !conns || !idle) fail("malloc");

  ep = epoll_create1(EPOLL_CLOEXEC);
  int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (ep < 0 || tfd < 0) fail("epoll/timerfd");
  struct epoll_event tev = {.events = EPOLLIN, .data.u32 = 0};
  epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &tev);
  for (int i = 0; i < nconns; i++) conn_open(i);

  /* let the connections open before the first request is due */
  uint64_t start = now_ns() + 100000000ull;
  double interval = 1e9 / rate;
  measure_from = start + (uint64_t)(warm * 1e9);
  uint64_t last_due = start + (uint64_t)((double)(total - 1) * interval);
  uint64_t deadline = last_due + (uint64_t)(grace * 1e9);
  long next = 0;

  struct epoll_event evs[64];
  int done_sending = 0;
  long armed_for = -1;
  for (;;) {
    if (!done_sending && armed_for != next) {
      armed_for = next;
      uint64_t due = start + (uint64_t)((double)next * interval);
      struct itimerspec its = {0};
      its.it_value.tv_sec = (time_t)(due / 1000000000ull);
      its.it_value.tv_nsec = (long)(due % 1000000000ull);
      timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
    }
    int timeout_ms = -1;
    if (done_sending) {
      uint64_t t = now_ns();
      if ((inflight == 0 && q_head == q_tail) || t >= deadline) break;
      timeout_ms = (int)((deadline - t) / 1000000ull) + 1;
    }
    int n = epoll_wait(ep, evs, 64, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("epoll_wait");
    }
    for (int k = 0; k < n; k++) {
      uint32_t id = evs[k].data.u32;
      if (id == 0) {
        uint64_t expirations;
        if (read(tfd, &expirations, sizeof expirations) < 0 && errno != EAGAIN) fail("timerfd read");
        uint64_t t = now_ns();
        while (next < total && start + (uint64_t)((double)next * interval) <= t) {
          enqueue(start + (uint64_t)((double)next * interval));
          next++;
        }
        if (next >= total) done_sending = 1;
        continue;
      }
      int i = (int)id - 1;
      struct conn *c = &conns[i];
      if (c->state == C_CONNECTING) {
        int err = 0;
        socklen_t el = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err != 0 || (evs[k].events & (EPOLLERR | EPOLLHUP))) {
          if (now_ns() > deadline) continue;
          usleep(10000); /* target not up (yet): retry soon */
          conn_reset(i);
          continue;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = id};
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        c->state = C_IDLE;
        idle[nidle++] = i;
        continue;
      }
      if (evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(i);
    }
    dispatch();
  }

  /* requests of the measured window still queued or in flight */
  long timeouts = 0;
  for (size_t k = q_head; k < q_tail; k++)
    if (q[k % q_cap] >= measure_from) timeouts++;
  for (int i = 0; i < nconns; i++)
    if (conns[i].state == C_BUSY && conns[i].due >= measure_from) timeouts++;

  qsort(lat, nlat, sizeof *lat, cmp_u64);
  long due_measured = (long)(dur * rate);
  printf("{\"rate\":%.0f,\"secs\":%.3f,\"conns\":%d,\"due\":%ld,\"ok\":%zu,\"achieved_rps\":%.1f,"
         "\"errors\":%ld,\"non2xx\":%ld,\"timeouts\":%ld,\"reconnects\":%ld,"
         "\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f}\n",
         rate, dur, nconns, due_measured, nlat, (double)nlat / dur, errors, non2xx, timeouts, reconnects, pct_us(50),
         pct_us(90), pct_us(99), pct_us(99.9), nlat ? (double)lat[nlat - 1] / 1000.0 : 0.0);
  (void)sent;
  return 0;
}
