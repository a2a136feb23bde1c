#!/usr/bin/env python3
"""fetch_test_server.py : the HTTP server test_fetch_data.sh downloads from, on 127.0.0.1 only.

    fetch_test_server.py ROOT PORT_FILE LOG_FILE

Serves the files under ROOT with GET and HEAD, and honours `Range: bytes=N-` (206 with
Content-Range, 416 when N is at or past the end), as curl's --continue-at - sends it. A path
prefix picks a misbehaviour:
  /truncate/FILE   announces FILE's full Content-Length, sends the first half, then closes
  /norange/FILE    ignores Range and sends the whole file with 200
Binds an ephemeral port, and only once listening writes it to PORT_FILE (via a rename, so a
reader never sees a partial number). One line per request goes to LOG_FILE: "METHOD PATH RANGE"
(RANGE "-" when none), flushed before the reply, so the test can tell what was asked for.
Exits by itself after 600 s, so a test killed before it could stop the server leaves nothing
behind for long.
"""
import http.server
import os
import re
import sys
import threading


def main():
    root, port_file, log_file = sys.argv[1], sys.argv[2], sys.argv[3]
    log = open(log_file, "a", buffering=1)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet: the request log below is what the test reads
            pass

        def do_HEAD(self):
            self.serve(body=False)

        def do_GET(self):
            self.serve(body=True)

        def serve(self, body):
            rng = self.headers.get("Range")
            log.write("%s %s %s\n" % (self.command, self.path, rng or "-"))
            log.flush()
            path, mode = self.path, ""
            for m in ("/truncate/", "/norange/"):
                if path.startswith(m):
                    mode, path = m.strip("/"), "/" + path[len(m):]
            name = os.path.normpath(path).lstrip("/")
            full = os.path.join(root, name)
            if name.startswith("..") or not os.path.isfile(full):
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            with open(full, "rb") as f:
                data = f.read()
            start = 0
            m = re.fullmatch(r"bytes=(\d+)-", rng or "")
            if m and mode != "norange":
                start = int(m.group(1))
                if start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Range", "bytes */%d" % len(data))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
            else:
                self.send_response(200)
            part = data[start:]
            self.send_header("Content-Length", str(len(part)))
            self.send_header("Accept-Ranges", "bytes")
            if mode == "truncate":
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if not body:
                return
            if mode == "truncate":
                part = part[: len(part) // 2]
            self.wfile.write(part)
            self.wfile.flush()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(tmp, port_file)
    threading.Timer(600, server.shutdown).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
