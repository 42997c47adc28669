#!/usr/bin/python3
"""The driver of tests/bench/latency.sh: a webhook receiver and a log writer
in one process, so that the line's time and the notification's time come from
one clock. Prints p50, p99 and the largest latency at idle, then a flood."""
import argparse
import http.server
import json
import re
import ssl
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--samples", type=int, default=60)
    ap.add_argument("--gap", type=float, default=0.3)
    ap.add_argument("--flood", type=int, default=0)
    a = ap.parse_args()
    cond = threading.Condition()
    arrived = {}                        # rule number -> time of the POST (ns)

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):
            pass

        def do_POST(self):
            t = time.monotonic_ns()
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            m = re.search(r"latency sample (\d+)", json.loads(body).get("title", ""))
            if m:
                with cond:
                    arrived.setdefault(int(m.group(1)), t)
                    cond.notify_all()
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()

    def wait(nums, secs):
        end = time.monotonic() + secs
        with cond:
            while not all(n in arrived for n in nums):
                left = end - time.monotonic()
                if left <= 0:
                    raise SystemExit("latency: no notification for %s" %
                                     [n for n in nums if n not in arrived])
                cond.wait(left)

    lat = []
    with open(a.log, "a") as log:
        for n in range(1, a.samples + 1):
            t0 = time.monotonic_ns()
            log.write("LATENCY %d\n" % n)
            log.flush()
            wait([n], 20)
            lat.append((arrived[n] - t0) / 1e6)
            time.sleep(a.gap)
        lat.sort()

        def pct(p):
            return lat[min(len(lat) - 1, int(round(p / 100.0 * len(lat) + 0.5)) - 1)]
        print("line -> notifier at idle (%d incidents, %.1f s apart): p50 %.1f ms, "
              "p99 %.1f ms, max %.1f ms" % (len(lat), a.gap, pct(50), pct(99), lat[-1]))
        if a.flood:
            nums = list(range(a.samples + 1, a.samples + a.flood + 1))
            t0 = time.monotonic_ns()
            log.write("".join("LATENCY %d\n" % n for n in nums))
            log.flush()
            wait(nums, 60)
            first = (min(arrived[n] for n in nums) - t0) / 1e6
            last = (max(arrived[n] for n in nums) - t0) / 1e6
            print("flood of %d new incidents at once: first notified after %.1f ms, "
                  "last after %.1f ms" % (a.flood, first, last))
    srv.shutdown()


main()
