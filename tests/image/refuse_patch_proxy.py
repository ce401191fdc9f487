#!/usr/bin/env python3
# A registry that does not take chunked uploads: a reverse proxy on
# 127.0.0.1:PORT in front of UPSTREAM that answers every PATCH with 405 and
# passes everything else through.  One line per request on stderr.
#   refuse_patch_proxy.py PORT UPSTREAM-HOST:PORT
import http.client
import http.server
import sys

UPSTREAM = sys.argv[2]
HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def handle_one(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        if self.command == "PATCH":
            self.log_request(405)
            msg = b'{"errors":[{"code":"UNSUPPORTED","message":"chunked uploads are not supported here"}]}'
            self.send_response_only(405)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(msg)))
            self.end_headers()
            self.wfile.write(msg)
            return
        # The Host header goes through unchanged: the registry's Location
        # headers then point back at this proxy.
        conn = http.client.HTTPConnection(UPSTREAM, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        headers["Content-Length"] = str(len(body))
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        self.log_request(resp.status)
        self.send_response_only(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in HOP:
                self.send_header(k, v)
        length = resp.getheader("Content-Length") if self.command == "HEAD" else str(len(data))
        self.send_header("Content-Length", length or "0")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        conn.close()

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_one


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Proxy).serve_forever()
