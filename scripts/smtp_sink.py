#!/usr/bin/env python3
"""A real SMTP server for tests: accepts every message and writes it to a directory.

Usage: smtp_sink.py --port PORT --dir DIR
Each message becomes DIR/NNNN.json with the envelope sender and recipients, the decoded subject,
To header and plain-text body, and the raw message (RFC 5322 text). Prints "ready PORT" on stdout once it listens; stops on SIGTERM/SIGINT.
Needs aiosmtpd (`python3 -m pip install aiosmtpd`).
"""
import argparse
import json
import os
import signal
import sys
import threading
from email import policy
from email.parser import BytesParser

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        msg = BytesParser(policy=policy.default).parsebytes(envelope.content)
        part = msg.get_body(preferencelist=("plain",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "subject": str(msg.get("Subject", "")),
            "to": str(msg.get("To", "")),
            "body": part.get_content() if part is not None else "",
            "data": envelope.content.decode("utf-8", errors="replace"),
        }
        tmp = os.path.join(self.directory, f".{n:04d}.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.replace(tmp, os.path.join(self.directory, f"{n:04d}.json"))
        return "250 OK"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", required=True)
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    controller = Controller(Sink(args.dir), hostname="127.0.0.1", port=args.port)
    controller.start()
    print(f"ready {args.port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    # Also stop when the parent closes our stdin (the test process died).
    def watch_stdin():
        try:
            sys.stdin.read()
        except Exception:
            pass
        stop.set()
    threading.Thread(target=watch_stdin, daemon=True).start()
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
