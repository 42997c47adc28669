#!/usr/bin/python3
"""An SMTP server on 127.0.0.1 for the notifier tests (Debian's python3-aiosmtpd).

Each message is written to DIR/NNN.eml (the bytes as received) and
DIR/NNN.json (envelope sender, recipients, whether the session was under TLS
and authenticated). The listening port goes to PORT_FILE once it accepts.

  smtp_sink.py --dir DIR --port-file FILE [--cert CRT --key KEY]
               [--starttls | --implicit-tls] [--auth USER:PASSWORD]

--starttls requires STARTTLS before MAIL; --implicit-tls speaks TLS from the
first byte (smtps); --auth requires AUTH (PLAIN or LOGIN), after TLS.
"""
import argparse
import asyncio
import json
import os
import ssl

from aiosmtpd.smtp import SMTP, AuthResult


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.directory, "%03d" % self.count)
        tls = server.transport.get_extra_info("ssl_object") is not None or session.ssl is not None
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": tls,
            "authenticated": bool(session.authenticated),
        }
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        with open(base + ".json", "w") as f:
            json.dump(meta, f)
        # The .eml appears last and whole: the test waits for it.
        os.rename(base + ".tmp", base + ".eml")
        return "250 Message accepted"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--starttls", action="store_true")
    ap.add_argument("--implicit-tls", action="store_true")
    ap.add_argument("--auth")
    a = ap.parse_args()

    ctx = None
    if a.cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.cert, a.key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        user, _, password = a.auth.partition(":")
        ok = auth_data.login == user.encode() and auth_data.password == password.encode()
        # handled=False: aiosmtpd then answers 535 itself on a failure.
        return AuthResult(success=ok, handled=False)

    handler = Sink(a.dir)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def factory():
        kw = {"hostname": "localhost", "loop": loop}
        if a.starttls:
            kw.update(tls_context=ctx, require_starttls=True)
        if a.auth:
            kw.update(authenticator=authenticator, auth_required=True,
                      auth_require_tls=not a.implicit_tls)
        return SMTP(handler, **kw)

    server = loop.run_until_complete(loop.create_server(
        factory, "127.0.0.1", 0, ssl=ctx if a.implicit_tls else None))
    port = server.sockets[0].getsockname()[1]
    with open(a.port_file + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(a.port_file + ".tmp", a.port_file)
    loop.run_forever()


if __name__ == "__main__":
    main()
