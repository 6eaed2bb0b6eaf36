/*
 * openloop: a fixed-rate (open-loop) HTTP/1.1 load generator, for bench/run.sh and for the reliability
 * tests' counted load (test/reliability/support/mixed-load.ts).
 *
 * Request i is due at start + i/rate, whether or not earlier requests have been answered. A due
 * request goes out on an idle connection, or waits in a queue until one frees up. Latency is taken
 * from the *due* time, not the send time, so a stalled target is charged for the wait (no coordinated
 * omission). One request per connection at a time (no pipelining).
 *
 * usage: openloop -p PORT [-H 127.0.0.1] [-u /64] [-r 1000] [-d 8] [-w 2] [-c 50] [-t 3]
 *                 [-L] [-k] [-i ms] [-T ms] [-V header] [-P secs]
 *   -r requests per second   -d measured seconds (0: until SIGTERM or SIGINT)
 *   -w warm-up seconds (sent, not recorded)   -c connections
 *   -t seconds to send what is still queued and wait for the answers after the last due time (or the signal)
 *   -L open connections only when a request needs one (up to -c), as a client does; without it all -c are
 *      opened before the first request (bench: no connect in the measured latency)
 *   -k a new connection per request (`Connection: close`), opened when the request is due (implies -L)
 *   -i a kept-alive connection idle longer than this many ms is closed rather than used (with -L), as
 *      clients do before a server's idle timeout can race their next request
 *   -T a request in flight longer than this many ms fails as `timeout` (its connection is closed)
 *   -V count the answers by the value of this response header (e.g. x-version)
 *   -P print a progress line every this many seconds
 * Prints one JSON line at the end: counts, failures by kind (`status 503`, `reset`, `timeout`,
 * `bad response`), failed connection attempts, and p50/p90/p99/p99.9/max latency in microseconds.
 * Every request sent is counted as ok (2xx) or failed; `unsent` is what was still queued at the end.
 *
 * Linux only (epoll, timerfd). Build: gcc -O2 -o openloop openloop.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
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
#define MAX_VERSIONS 16

enum { C_DOWN, C_CONNECTING, C_IDLE, C_BUSY };

struct conn {
  int fd;
  int state;
  uint64_t due;     /* due time of the request in flight (ns) */
  uint64_t sent_at; /* when it was written, or its connection started for it (ns) */
  uint64_t idle_since;
  int pending;      /* connecting for the request `due` (-L) */
  size_t len;       /* bytes in buf */
  char buf[BUF_CAP];
};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct sockaddr_in addr;
static int ep;
static char req[640];
static size_t req_len;
static struct conn *conns;
static int nconns;
static int *idle; /* stack of idle connection indexes */
static int nidle;
static int new_conn_per_request, lazy;
static int *down; /* stack of closed connection slots, opened on demand (-L) */
static int ndown;
static uint64_t idle_max_ns;
static uint64_t timeout_ns;
static const char *count_header;
static size_t count_header_len;

/* queue of due times waiting for a connection (a ring, grown when full) */
static uint64_t *q;
static size_t q_head, q_tail, q_cap;

static uint64_t *lat; /* recorded latencies (ns) */
static size_t nlat, lat_cap;
static uint64_t measure_from; /* requests due before this are warm-up */
static long sent, ok, inflight, reconnects, connections, connect_failures;
static long status_counts[600], resets, timeouts_seen, bad_responses, connect_errors;
static char version_names[MAX_VERSIONS][32];
static long version_counts[MAX_VERSIONS];
static int nversions;
static volatile sig_atomic_t stop_requested;

static void fail(const char *what) {
  perror(what);
  exit(2);
}

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static long failed_total(void) {
  long n = resets + timeouts_seen + bad_responses + connect_errors;
  for (int s = 0; s < 600; s++) n += status_counts[s];
  return n;
}

static void conn_open(int i) {
  struct conn *c = &conns[i];
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) fail("socket");
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c->len = 0;
  connections++;
  /* in progress, or refused at once: either way epoll reports the outcome, and a failure is counted there */
  (void)connect(c->fd, (struct sockaddr *)&addr, sizeof addr);
  c->state = C_CONNECTING;
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = (uint32_t)i + 1};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) fail("epoll_ctl");
}

/*
 * Close a connection; a request in flight on it (or waiting for it to connect) fails as `why` (a counter).
 * Then open it again, or with -L leave the slot closed until a request needs it.
 */
static void conn_reset(int i, long *why) {
  struct conn *c = &conns[i];
  if (c->state == C_BUSY || c->pending) {
    inflight--;
    if (c->due >= measure_from && why) (*why)++;
  }
  c->pending = 0;
  if (c->state == C_IDLE) { /* remove from the idle stack */
    for (int k = 0; k < nidle; k++)
      if (idle[k] == i) {
        idle[k] = idle[--nidle];
        break;
      }
  }
  if (c->state != C_DOWN) {
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
  }
  c->state = C_DOWN;
  reconnects++;
  if (lazy) down[ndown++] = i;
  else conn_open(i);
}

static void send_on(int i, uint64_t due) {
  struct conn *c = &conns[i];
  c->due = due;
  c->sent_at = now_ns();
  c->state = C_BUSY;
  inflight++;
  if (due >= measure_from) sent++;
  ssize_t w = write(c->fd, req, req_len);
  if (w != (ssize_t)req_len) conn_reset(i, &resets); /* a short write of a small request on loopback: broken */
}

static void dispatch(void) {
  while (q_head != q_tail) {
    uint64_t due = q[q_head % q_cap];
    if (nidle > 0) {
      int i = idle[--nidle];
      if (idle_max_ns && now_ns() - conns[i].idle_since > idle_max_ns) {
        conn_reset(i, NULL); /* too long idle: the server may be closing it right now */
        reconnects--;
        continue;
      }
      q_head++;
      send_on(i, due);
    } else if (lazy && ndown > 0) {
      int i = down[--ndown];
      q_head++;
      conn_open(i);
      conns[i].pending = 1;
      conns[i].due = due;
      conns[i].sent_at = now_ns();
      inflight++;
      if (due >= measure_from) sent++;
    } else {
      break;
    }
  }
}

static void enqueue(uint64_t due) {
  if (q_tail - q_head == q_cap) { /* full: grow the ring, keeping the order */
    size_t n = q_tail - q_head, cap = q_cap * 2;
    uint64_t *nq = malloc(cap * sizeof *nq);
    if (!nq) fail("malloc");
    for (size_t k = 0; k < n; k++) nq[k] = q[(q_head + k) % q_cap];
    free(q);
    q = nq;
    q_cap = cap;
    q_head = 0;
    q_tail = n;
  }
  q[q_tail % q_cap] = due;
  q_tail++;
}

static void record_latency(uint64_t ns) {
  if (nlat == lat_cap) {
    lat_cap *= 2;
    lat = realloc(lat, lat_cap * sizeof *lat);
    if (!lat) fail("realloc");
  }
  lat[nlat++] = ns;
}

static void count_version(const char *v, size_t n) {
  while (n > 0 && (*v == ' ' || *v == '\t')) v++, n--;
  while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
  if (n >= sizeof version_names[0]) n = sizeof version_names[0] - 1;
  for (int k = 0; k < nversions; k++)
    if (strlen(version_names[k]) == n && memcmp(version_names[k], v, n) == 0) {
      version_counts[k]++;
      return;
    }
  if (nversions == MAX_VERSIONS) return;
  memcpy(version_names[nversions], v, n);
  version_names[nversions][n] = 0;
  version_counts[nversions++] = 1;
}

/*
 * Is a whole response in buf? Returns its length (and sets *status, *close_after, the counted header's
 * value), 0 if more bytes are needed, -1 if it cannot be parsed. Handles Content-Length and chunked bodies
 * (without trailers).
 */
static long response_length(const char *buf, size_t len, int *status, int *close_after, const char **hv,
                            size_t *hv_len) {
  const char *end = memmem(buf, len, "\r\n\r\n", 4);
  if (end == NULL) return len >= BUF_CAP ? -1 : 0;
  size_t head = (size_t)(end - buf) + 4;
  if (len < 12 || memcmp(buf, "HTTP/1.", 7) != 0) return -1;
  *status = atoi(buf + 9);
  *close_after = 0;
  *hv = NULL;
  long clen = -1;
  int chunked = 0;
  const char *p = memchr(buf, '\n', head) + 1;
  while (p < buf + head - 2) {
    const char *eol = memchr(p, '\n', (size_t)(buf + head - p));
    if (eol == NULL) break;
    if (strncasecmp(p, "content-length:", 15) == 0) clen = atol(p + 15);
    else if (strncasecmp(p, "transfer-encoding:", 18) == 0 && memmem(p, (size_t)(eol - p), "chunked", 7)) chunked = 1;
    else if (strncasecmp(p, "connection:", 11) == 0 && memmem(p, (size_t)(eol - p), "close", 5)) *close_after = 1;
    else if (count_header && strncasecmp(p, count_header, count_header_len) == 0 && p[count_header_len] == ':') {
      *hv = p + count_header_len + 1;
      *hv_len = (size_t)(eol - *hv);
    }
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
      conn_reset(i, &resets);
      return;
    }
    if (r < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      conn_reset(i, &resets);
      return;
    }
    c->len += (size_t)r;
    if (c->state != C_BUSY) { /* bytes nobody asked for */
      conn_reset(i, &bad_responses);
      return;
    }
    int status = 0, close_after = 0;
    const char *hv = NULL;
    size_t hv_len = 0;
    long n = response_length(c->buf, c->len, &status, &close_after, &hv, &hv_len);
    if (n < 0) {
      conn_reset(i, &bad_responses);
      return;
    }
    if (n == 0) continue;
    uint64_t t = now_ns();
    if (c->due >= measure_from) {
      if (status >= 200 && status < 300) {
        ok++;
        record_latency(t - c->due);
        if (hv) count_version(hv, hv_len);
      } else {
        status_counts[status > 0 && status < 600 ? status : 0]++;
      }
    }
    inflight--;
    c->state = C_IDLE;
    memmove(c->buf, c->buf + n, c->len - (size_t)n);
    c->len -= (size_t)n;
    if (close_after || new_conn_per_request) {
      conn_reset(i, NULL);
      reconnects--; /* an orderly close asked for */
      return;
    }
    c->idle_since = t;
    idle[nidle++] = i;
    return;
  }
}

/* Requests in flight longer than the timeout fail as `timeout`; their connections are closed. */
static void expire(uint64_t t) {
  if (timeout_ns == 0) return;
  for (int i = 0; i < nconns; i++)
    if ((conns[i].state == C_BUSY || conns[i].pending) && t - conns[i].sent_at > timeout_ns)
      conn_reset(i, &timeouts_seen);
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

static void print_progress(uint64_t start) {
  printf("{\"progress\":true,\"secs\":%.3f,\"sent\":%ld,\"ok\":%ld,\"failed\":%ld,\"queued\":%zu}\n",
         (double)(now_ns() - start) / 1e9, sent, ok, failed_total(), q_tail - q_head);
  fflush(stdout);
}

int main(int argc, char **argv) {
  const char *host = "127.0.0.1", *path = "/64";
  int port = 0, opt;
  double rate = 1000, dur = 8, warm = 2, grace = 3, progress = 0;
  nconns = 50;
  while ((opt = getopt(argc, argv, "H:p:u:r:d:w:c:t:LkT:i:V:P:")) != -1) {
    switch (opt) {
    case 'H': host = optarg; break;
    case 'p': port = atoi(optarg); break;
    case 'u': path = optarg; break;
    case 'r': rate = atof(optarg); break;
    case 'd': dur = atof(optarg); break;
    case 'w': warm = atof(optarg); break;
    case 'c': nconns = atoi(optarg); break;
    case 't': grace = atof(optarg); break;
    case 'k': new_conn_per_request = lazy = 1; break;
    case 'L': lazy = 1; break;
    case 'i': idle_max_ns = (uint64_t)(atof(optarg) * 1e6); break;
    case 'T': timeout_ns = (uint64_t)(atof(optarg) * 1e6); break;
    case 'V':
      count_header = optarg;
      count_header_len = strlen(optarg);
      break;
    case 'P': progress = atof(optarg); break;
    default:
      fprintf(stderr,
              "usage: %s -p PORT [-H host] [-u path] [-r rps] [-d secs] [-w warmup] [-c conns] [-t grace] [-L] [-k] "
              "[-i idle-ms] [-T timeout-ms] [-V header] [-P progress-secs]\n",
              argv[0]);
      return 2;
    }
  }
  if (port <= 0 || rate <= 0 || dur < 0 || nconns <= 0 || warm < 0) {
    fprintf(stderr, "openloop: -p, -r and -c must be positive, -d and -w not negative\n");
    return 2;
  }
  int until_signal = dur == 0;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
    fprintf(stderr, "openloop: bad IPv4 address %s\n", host);
    return 2;
  }
  req_len = (size_t)snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: weir-openloop\r\n%s\r\n",
                             path, host, port, new_conn_per_request ? "Connection: close\r\n" : "");
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  signal(SIGPIPE, SIG_IGN);

  long total = until_signal ? -1 : (long)((warm + dur) * rate);
  q_cap = 4096;
  lat_cap = until_signal ? 65536 : (size_t)(dur * rate) + 16;
  q = malloc(q_cap * sizeof *q);
  lat = malloc(lat_cap * sizeof *lat);
  conns = calloc((size_t)nconns, sizeof *conns);
  idle = malloc((size_t)nconns * sizeof *idle);
  down = malloc((size_t)nconns * sizeof *down);
  if (!q || !lat || !conns || !idle || !down) fail("malloc");

  ep = epoll_create1(EPOLL_CLOEXEC);
  int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (ep < 0 || tfd < 0) fail("epoll/timerfd");
  struct epoll_event tev = {.events = EPOLLIN, .data.u32 = 0};
  epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &tev);
  for (int i = 0; i < nconns; i++) {
    conns[i].state = C_DOWN;
    if (lazy) down[ndown++] = nconns - 1 - i;
    else conn_open(i);
  }
  connections = 0; /* count the connections opened for requests, not the first ones */

  /* let the connections open before the first request is due */
  uint64_t start = now_ns() + 100000000ull;
  double interval = 1e9 / rate;
  measure_from = start + (uint64_t)(warm * 1e9);
  uint64_t deadline = until_signal ? UINT64_MAX
                                   : start + (uint64_t)((double)(total - 1) * interval) + (uint64_t)(grace * 1e9);
  uint64_t stopped_at = 0, next_progress = progress > 0 ? start + (uint64_t)(progress * 1e9) : UINT64_MAX;
  long next = 0;

  struct epoll_event evs[64];
  int done_sending = 0;
  long armed_for = -1;
  for (;;) {
    if (stop_requested && !done_sending) {
      done_sending = 1;
      stopped_at = now_ns();
      deadline = stopped_at + (uint64_t)(grace * 1e9);
    }
    if (!done_sending && armed_for != next) {
      armed_for = next;
      uint64_t due = start + (uint64_t)((double)next * interval);
      struct itimerspec its = {0};
      its.it_value.tv_sec = (time_t)(due / 1000000000ull);
      its.it_value.tv_nsec = (long)(due % 1000000000ull);
      timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
    }
    uint64_t t = now_ns();
    if (t >= next_progress) {
      print_progress(start);
      next_progress += (uint64_t)(progress * 1e9);
    }
    expire(t);
    int timeout_ms = 100;
    if (done_sending) {
      /* after the last due time (or the signal) the queue still goes out: an open-loop client sends every
         request that fell due, late if it must; what is left at the deadline is unsent, or failed as timeout */
      if ((inflight == 0 && q_head == q_tail) || t >= deadline) break;
      uint64_t left = (deadline - t) / 1000000ull + 1;
      if (left < (uint64_t)timeout_ms) timeout_ms = (int)left;
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
        if (done_sending) continue;
        uint64_t now = now_ns();
        while ((total < 0 || next < total) && start + (uint64_t)((double)next * interval) <= now) {
          enqueue(start + (uint64_t)((double)next * interval));
          next++;
        }
        if (total >= 0 && next >= total) done_sending = 1;
        continue;
      }
      int i = (int)id - 1;
      struct conn *c = &conns[i];
      if (c->state == C_DOWN) continue; /* closed earlier in this batch */
      if (c->state == C_CONNECTING && !(evs[k].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) continue;
      if (c->state == C_CONNECTING) {
        int err = 0;
        socklen_t el = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err != 0 || (evs[k].events & (EPOLLERR | EPOLLHUP))) {
          if (c->pending) { /* the request it was for fails */
            connect_failures++;
            conn_reset(i, &connect_errors);
            continue;
          }
          if (now_ns() > deadline) continue;
          if (now_ns() >= measure_from) connect_failures++;
          usleep(10000); /* target not up (yet): retry soon */
          conn_reset(i, NULL);
          continue;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = id};
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        if (c->pending) { /* connected for a request: send it */
          c->pending = 0;
          inflight--;
          if (c->due >= measure_from) sent--; /* send_on counts it */
          send_on(i, c->due);
          continue;
        }
        c->state = C_IDLE;
        c->idle_since = now_ns();
        idle[nidle++] = i;
        continue;
      }
      if (evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(i);
    }
    dispatch();
  }

  /* requests still in flight at the deadline fail as timeouts; still queued ones were never sent */
  long unsent = 0, stragglers = 0;
  for (size_t k = q_head; k < q_tail; k++)
    if (q[k % q_cap] >= measure_from) unsent++;
  for (int i = 0; i < nconns; i++)
    if (conns[i].state == C_BUSY && conns[i].due >= measure_from) stragglers++;
  timeouts_seen += stragglers;

  qsort(lat, nlat, sizeof *lat, cmp_u64);
  double secs = until_signal ? (double)((stopped_at > measure_from ? stopped_at : measure_from) - measure_from) / 1e9
                             : dur;
  long due_measured = until_signal ? sent + unsent : (long)(dur * rate);
  printf("{\"rate\":%.0f,\"secs\":%.3f,\"conns\":%d,\"due\":%ld,\"sent\":%ld,\"ok\":%zu,\"achieved_rps\":%.1f,"
         "\"errors\":%ld,\"non2xx\":%ld,\"timeouts\":%ld,\"reconnects\":%ld,\"unsent\":%ld,"
         "\"connections\":%ld,\"connect_failures\":%ld,\"failed\":%ld,\"failures\":{",
         rate, secs, nconns, due_measured, sent, nlat, secs > 0 ? (double)nlat / secs : 0.0, resets + bad_responses,
         failed_total() - resets - bad_responses - timeouts_seen - connect_errors,
         timeouts_seen + (until_signal ? 0 : unsent),
         reconnects, unsent, connections, connect_failures, failed_total());
  const char *sep = "";
  for (int s = 0; s < 600; s++)
    if (status_counts[s]) {
      printf("%s\"status %d\":%ld", sep, s, status_counts[s]);
      sep = ",";
    }
  if (resets) printf("%s\"reset\":%ld", sep, resets), sep = ",";
  if (timeouts_seen) printf("%s\"timeout\":%ld", sep, timeouts_seen), sep = ",";
  if (bad_responses) printf("%s\"bad response\":%ld", sep, bad_responses), sep = ",";
  if (connect_errors) printf("%s\"connect\":%ld", sep, connect_errors), sep = ",";
  printf("},\"versions\":{");
  for (int k = 0; k < nversions; k++) printf("%s\"%s\":%ld", k ? "," : "", version_names[k], version_counts[k]);
  printf("},\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f}\n", pct_us(50),
         pct_us(90), pct_us(99), pct_us(99.9), nlat ? (double)lat[nlat - 1] / 1000.0 : 0.0);
  return 0;
}
