#!/usr/bin/env python3
"""A local stand-in for an SMS provider: captures what notifications would text.

Accepts the widely used provider shape
    POST /2010-04-01/Accounts/<account>/Messages.json   (form To, From, Body; HTTP basic auth)
checks the basic auth against --account-id and the token in --token-file, records each
message (to, from, body, time) in memory and as one JSON line in --log, and answers 201 with
a JSON "sid". `GET /messages` returns the captured messages as JSON, `GET /` lists them as a
small HTML page. Loopback only; standard library only.

    scripts/sms-capture.py --port 18026 --account-id AC... --token-file F --log F.jsonl
"""
import argparse
import base64
import hmac
import html
import json
import re
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

PATH = re.compile(r"^/2010-04-01/Accounts/([^/]+)/Messages\.json$")


class Capture:
    def __init__(self, account_id, token, log_path):
        self.account_id = account_id
        self.token = token
        self.log_path = log_path
        self.lock = threading.Lock()
        self.messages = []
        try:
            with open(log_path, encoding="utf-8") as f:
                self.messages = [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            pass

    def authorised(self, header):
        if not header or not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return hmac.compare_digest(user, self.account_id) and hmac.compare_digest(
            password, self.token)

    def record(self, to, sender, body):
        message = {"sid": "SM" + secrets.token_hex(16), "to": to, "from": sender, "body": body,
                   "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        with self.lock:
            self.messages.append(message)
            with open(self.log_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(message) + "\n")
        return message


def handler_for(capture):
    class Handler(BaseHTTPRequestHandler):
        server_version = "sms-capture"

        def log_message(self, *args):  # quiet: messages are in the log file
            pass

        def answer(self, status, content_type, text):
            data = text.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            self.wfile.write(data)

        def error(self, status, message):
            self.answer(status, "application/json",
                        json.dumps({"status": status, "message": message}))

        def do_POST(self):
            match = PATH.match(self.path)
            if not match:
                return self.error(404, "not found")
            if match.group(1) != capture.account_id or not capture.authorised(
                    self.headers.get("Authorization")):
                return self.error(401, "authentication failed")
            length = int(self.headers.get("Content-Length") or 0)
            if length > 64 * 1024:
                return self.error(413, "too large")
            form = parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
            to, sender, body = (form.get(k, [""])[0] for k in ("To", "From", "Body"))
            if not to or not body:
                return self.error(400, "To and Body are required")
            message = capture.record(to, sender, body)
            self.answer(201, "application/json", json.dumps(
                {"sid": message["sid"], "status": "queued", "to": to, "from": sender,
                 "body": body}))

        def do_GET(self):
            if self.path == "/messages":
                with capture.lock:
                    return self.answer(200, "application/json", json.dumps(capture.messages))
            if self.path == "/":
                with capture.lock:
                    rows = "".join(
                        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>".format(
                            *(html.escape(m[k]) for k in ("time", "to", "from", "body")))
                        for m in reversed(capture.messages))
                return self.answer(200, "text/html; charset=utf-8", (
                    "<!doctype html><html><head><meta charset='utf-8'><title>SMS capture</title>"
                    "</head><body><h1>Captured SMS ({})</h1><table border='1'><tr><th>time</th>"
                    "<th>to</th><th>from</th><th>body</th></tr>{}</table></body></html>").format(
                        len(capture.messages), rows))
            self.error(404, "not found")

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18026)
    parser.add_argument("--account-id", required=True)
    parser.add_argument("--token-file", required=True)
    parser.add_argument("--log", required=True, help="JSON-lines file of captured messages")
    args = parser.parse_args()
    with open(args.token_file, encoding="utf-8") as f:
        token = f.read().strip()
    capture = Capture(args.account_id, token, args.log)
    server = ThreadingHTTPServer((args.host, args.port), handler_for(capture))
    print(f"sms-capture listening on http://{args.host}:{args.port}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
