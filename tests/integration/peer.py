#!/usr/bin/python3
# A hostile peer of the collector for the integration tests: it speaks the
# wire protocol (4-byte length, then a vigil.v1.Frame, encoded here by hand)
# over real TLS with a real certificate, or plain TCP before any TLS, and
# misbehaves in one chosen way. It prints what happened as "key value" lines
# for the test to check, and never waits longer than its --deadline.
#
#   peer.py drip    PORT --src ADDR --count N       ClientHellos, one byte a second
#   peer.py session --pki DIR --id ID PORT STEP...  a TLS session doing STEP in order
#
# Steps: hello[:HOST]      send Hello (claiming HOST), wait for Welcome
#        event:SEQ:TIME_US[:SEVERITY]  send a batch of one event, wait for Ack or Error
#        trickle:LEN       a frame header for LEN bytes, then its body a byte a second
#        park:LEN          a frame header for LEN bytes and LEN-1 of them, then wait
#        heartbeat:TIME_US send a Heartbeat saying the agent's clock is TIME_US
#        wait              wait until the collector closes the connection
import argparse
import select
import socket
import ssl
import struct
import sys
import time


def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def f_varint(field, v):
    return varint(field << 3) + varint(v)


def f_bytes(field, b):
    return varint(field << 3 | 2) + varint(len(b)) + b


def f_str(field, s):
    return f_bytes(field, s.encode())


def frame(field, msg):
    body = f_bytes(field, msg)
    return struct.pack(">I", len(body)) + body


def hello(host, unit="test-unit"):
    return frame(1, f_varint(1, 1) + f_varint(2, 0) + f_str(3, "peer-0.1") + f_str(4, host) +
                 f_str(5, "Debian GNU/Linux 12") + f_str(6, unit))


def batch(seq, time_us, severity):
    ev = (f_varint(1, seq) + f_varint(2, time_us) + f_str(3, "peer") + f_varint(4, 13) +
          f_varint(5, severity) + f_str(6, "peer.test") + f_str(7, "peer event %d" % seq) +
          f_str(8, "raw %d" % seq))
    return frame(3, f_bytes(1, ev))


def heartbeat(time_us):
    return frame(5, f_varint(1, time_us))


def read_varint(b, i):
    shift = v = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return v, i


def parse_frame(body):
    """(kind, {field: value}) of the first message in a Frame."""
    key, i = read_varint(body, 0)
    kind = key >> 3
    n, i = read_varint(body, i)
    msg, fields, j = body[i:i + n], {}, 0
    while j < len(msg):
        k, j = read_varint(msg, j)
        if k & 7 == 0:
            v, j = read_varint(msg, j)
        else:
            ln, j = read_varint(msg, j)
            v, j = msg[j:j + ln], j + ln
        fields[k >> 3] = v
    return {2: "welcome", 4: "ack", 6: "error"}.get(kind, str(kind)), fields


class Closed(Exception):
    pass


def recv_exact(s, n, deadline):
    buf = b""
    while len(buf) < n:
        s.settimeout(max(0.05, deadline - time.time()))
        try:
            chunk = s.recv(n - len(buf))
        except socket.timeout:
            raise TimeoutError
        except (ConnectionError, ssl.SSLError, OSError):
            raise Closed
        if not chunk:
            raise Closed
        buf += chunk
    return buf


def recv_frame(s, deadline):
    (n,) = struct.unpack(">I", recv_exact(s, 4, deadline))
    return parse_frame(recv_exact(s, n, deadline))


def say(key, value):
    print(key, value, flush=True)


def wait_closed(s, deadline, t0):
    """Read until the collector closes; print when."""
    try:
        while True:
            recv_frame(s, deadline)
    except Closed:
        say("closed_after", "%.1f" % (time.time() - t0))
        return True
    except TimeoutError:
        say("open_at_deadline", "%.1f" % (time.time() - t0))
        return False


def send_slowly(s, data, t0, deadline):
    """A byte a second; True when the collector closed the connection first."""
    for b in data:
        if time.time() > deadline:
            say("open_at_deadline", "%.1f" % (time.time() - t0))
            return False
        try:
            s.sendall(bytes([b]))
        except (ConnectionError, ssl.SSLError, OSError):
            say("closed_after", "%.1f" % (time.time() - t0))
            return True
        r, _, _ = select.select([s], [], [], 1.0)
        if r:
            try:
                if not s.recv(4096):
                    raise Closed
            except (Closed, ConnectionError, ssl.SSLError, OSError):
                say("closed_after", "%.1f" % (time.time() - t0))
                return True
    return wait_closed(s, deadline, t0)


def client_hello():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def cmd_drip(a):
    """N connections from one address, each dripping a ClientHello; when were they closed?"""
    ch, t0, deadline = client_hello(), time.time(), time.time() + a.deadline
    socks, pos, closed, refused = [], {}, {}, 0
    for _ in range(a.count):
        s = socket.socket()
        s.bind((a.src, 0))
        try:
            s.connect(("127.0.0.1", a.port))
        except OSError:
            refused += 1
            continue
        s.setblocking(False)
        socks.append(s)
        pos[s] = 0
    # Refused connections are closed at once, before a byte is sent: half a second tells.
    refused_by = time.time() + 0.5
    while time.time() < refused_by:
        r, _, _ = select.select([x for x in socks if x not in closed], [], [], 0.05)
        for s in r:
            try:
                if s.recv(4096) == b"":
                    closed[s] = 0.0
            except OSError:
                closed[s] = 0.0
    while len(closed) < len(socks) and time.time() < deadline:
        for s in socks:
            if s in closed:
                continue
            try:
                if s.recv(4096) == b"":
                    closed[s] = time.time() - t0
                    continue
            except BlockingIOError:
                pass
            except OSError:
                closed[s] = time.time() - t0
                continue
            if pos[s] < len(ch):
                try:
                    s.send(ch[pos[s]:pos[s] + 1])
                    pos[s] += 1
                except OSError:
                    closed[s] = time.time() - t0
        time.sleep(1.0 if a.interval is None else a.interval)
    at_once = sum(1 for v in closed.values() if v == 0.0)
    say("connected", len(socks) - at_once)
    say("refused", refused + at_once)
    held = sorted(v for v in closed.values() if v > 0.0)
    say("closed", len(held))
    say("still_open", len(socks) - len(closed))
    say("longest", "%.1f" % (held[-1] if held else 0))
    for s in socks:
        s.close()


def cmd_session(a):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_verify_locations("%s/ca.crt" % a.pki)
    ctx.load_cert_chain("%s/agents/%s.crt" % (a.pki, a.id), "%s/agents/%s.key" % (a.pki, a.id))
    ctx.check_hostname = False
    t0, deadline = time.time(), time.time() + a.deadline
    raw = socket.create_connection(("127.0.0.1", a.port), timeout=a.deadline)
    s = ctx.wrap_socket(raw)
    say("connected", "%.1f" % (time.time() - t0))
    for step in a.steps:
        what, _, arg = step.partition(":")
        try:
            if what == "hello":
                s.sendall(hello(arg or a.id))
                kind, f = recv_frame(s, deadline)
                say("reply", kind)
                if kind == "welcome":
                    say("stored_seq", f.get(2, 0))
            elif what == "event":
                seq, time_us, *sev = arg.split(":")
                s.sendall(batch(int(seq), int(time_us), int(sev[0]) if sev else 1))
                kind, f = recv_frame(s, deadline)
                say("reply", kind)
                if kind == "ack":
                    say("up_to", f.get(1, 0))
                elif kind == "error":
                    say("reason", f.get(2, b"").decode(errors="replace"))
            elif what == "heartbeat":
                s.sendall(heartbeat(int(arg)))
            elif what == "trickle":
                n = int(arg)
                t0 = time.time()
                if not send_slowly(s, struct.pack(">I", n) + b"\x00" * n, t0, deadline):
                    sys.exit(1)
                return
            elif what == "park":
                n = int(arg)
                s.sendall(struct.pack(">I", n) + b"\x00" * (n - 1))
                say("parked", n)
                t0 = time.time()
                wait_closed(s, deadline, t0)
                return
            elif what == "wait":
                t0 = time.time()
                wait_closed(s, deadline, t0)
                return
            else:
                sys.exit("peer.py: unknown step " + step)
        except Closed:
            say("closed_after", "%.1f" % (time.time() - t0))
            return
        except TimeoutError:
            say("timeout", step)
            sys.exit(1)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("drip")
    d.add_argument("port", type=int)
    d.add_argument("--src", default="127.0.0.1")
    d.add_argument("--count", type=int, default=1)
    d.add_argument("--interval", type=float)
    d.add_argument("--deadline", type=float, default=30)
    s = sub.add_parser("session")
    s.add_argument("port", type=int)
    s.add_argument("--pki", required=True)
    s.add_argument("--id", required=True)
    s.add_argument("--deadline", type=float, default=30)
    s.add_argument("steps", nargs="*")
    a = p.parse_args()
    {"drip": cmd_drip, "session": cmd_session}[a.cmd](a)


if __name__ == "__main__":
    main()
