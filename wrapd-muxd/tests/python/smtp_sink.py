"""A real SMTP server on loopback for tests: aiosmtpd, no authentication.

Usage: python3 smtp_sink.py DIR

Listens on 127.0.0.1 at a free port and prints `PORT <n>` once it accepts
connections. Each mail received becomes DIR/<n>.txt: its From, To and
Subject headers, a blank line, and its body decoded (quoted-printable or
base64 undone), written whole (a temporary file renamed). Exits when its
standard input closes (the test ended).
"""

import asyncio
import email
import email.policy
import os
import sys

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.count += 1
        text = "From: {}\nTo: {}\nSubject: {}\n\n{}".format(
            msg["From"], msg["To"], msg["Subject"], msg.get_content()
        )
        path = os.path.join(self.out_dir, "{}.txt".format(self.count))
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            f.write(text)
        os.rename(path + ".tmp", path)
        return "250 Message accepted for delivery"


async def main(out_dir):
    loop = asyncio.get_running_loop()
    handler = Sink(out_dir)
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="sink.test"), "127.0.0.1", 0
    )
    port = server.sockets[0].getsockname()[1]
    print("PORT {}".format(port), flush=True)
    # Serve until stdin closes.
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
