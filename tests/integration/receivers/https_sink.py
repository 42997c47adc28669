#!/usr/bin/python3
"""An HTTPS webhook receiver on 127.0.0.1 for the notifier tests.

Each POST body goes to DIR/NNN.json (written whole, then renamed) with its
headers in DIR/NNN.headers; the first K requests (--fail-first K) are
answered 500 and counted in DIR/failed. The port goes to PORT_FILE.

  https_sink.py --dir DIR --port-file FILE --cert CRT --key KEY [--fail-first K]
               [--port PORT]

--port binds a given port (a test that starts the receiver late); the
default is any free one.
"""
import argparse
import http.server
import os
import ssl
import threading


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--fail-first", type=int, default=0)
    ap.add_argument("--port", type=int, default=0)
    a = ap.parse_args()
    lock = threading.Lock()
    state = {"seen": 0, "stored": 0}

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with lock:
                state["seen"] += 1
                fail = state["seen"] <= a.fail_first
                if fail:
                    with open(os.path.join(a.dir, "failed"), "w") as f:
                        f.write("%d\n" % state["seen"])
                else:
                    state["stored"] += 1
                    base = os.path.join(a.dir, "%03d" % state["stored"])
                    with open(base + ".headers", "w") as f:
                        f.write(str(self.headers))
                    with open(base + ".tmp", "wb") as f:
                        f.write(body)
                    os.rename(base + ".tmp", base + ".json")
            reply = b"receiver not ready\n" if fail else b"{\"ok\":true}\n"
            self.send_response(500 if fail else 200)
            self.send_header("Content-Type", "text/plain" if fail else "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(a.cert, a.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(a.port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(a.port_file + ".tmp", a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
