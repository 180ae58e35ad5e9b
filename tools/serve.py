"""Static server for the site (only its files, see tools/site_files.py) with the headers the page needs.

Cross-origin isolation (COOP + COEP) lets the PyScript worker and onnxruntime-web's threads use
SharedArrayBuffer. Any static host that sends these headers works; GitHub Pages gets them from
mini-coi's service worker instead. The Content-Security-Policy is index.html's own <meta> (all that
GitHub Pages has), sent as a header too: a header also covers the workers loaded from URLs."""
from __future__ import annotations

import argparse
import email.utils
import http.server
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tools import site_files

ISOLATION_HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
}
# frame-ancestors works only in a header (a <meta> policy ignores it): no other site may frame the page.
FRAME_ANCESTORS = "frame-ancestors 'none'"


def response_headers(isolation: bool = True) -> dict[str, str]:
    """Sent with every response. ``isolation=False`` is GitHub Pages: no COOP/COEP and no policy header
    (the page has its <meta>)."""
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
    if isolation:
        headers |= ISOLATION_HEADERS
        headers["Content-Security-Policy"] = f"{site_files.content_security_policy()}; {FRAME_ANCESTORS}"
    return headers


class Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the site's files with explicit types; anything else (folders included) is a 404."""

    def send_head(self):
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        file = site_files.site_file(path, self.server.extra)
        if file is None:
            self.send_error(404, "Not Found")
            return None
        stat = file.stat()
        validators = {"ETag": f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"',
                      "Last-Modified": email.utils.formatdate(stat.st_mtime, usegmt=True)}
        if self._unchanged(validators["ETag"], stat.st_mtime):
            self.send_response(304)           # the browser's copy is current (tools/setup keeps mtimes)
            for name, value in validators.items():
                self.send_header(name, value)
            self.end_headers()
            return None
        body = file.open("rb")
        self.send_response(200)
        self.send_header("Content-Type", site_files.content_type(file))
        self.send_header("Content-Length", str(stat.st_size))
        for name, value in validators.items():
            self.send_header(name, value)
        self.end_headers()
        return body

    def _unchanged(self, etag: str, mtime: float) -> bool:
        if "If-None-Match" in self.headers:
            return etag in [tag.strip() for tag in self.headers["If-None-Match"].split(",")]
        since = self.headers.get("If-Modified-Since")
        try:
            return since is not None and int(mtime) <= email.utils.parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError):
            return False

    def end_headers(self) -> None:
        for name, value in self.server.headers.items():
            self.send_header(name, value)
        super().end_headers()

    def log_message(self, format: str, *args) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if self.verbose or not isinstance(sys.exc_info()[1], ConnectionError):   # a tab closed mid-response
            super().handle_error(request, client_address)


def make_server(host: str, port: int, verbose: bool = False, isolation: bool = True,
                extra: tuple[str, ...] = ()) -> Server:
    """``isolation=False`` serves like GitHub Pages: no COOP/COEP headers (mini-coi steps in) and the
    policy only in index.html's <meta>. ``extra`` serves more (e.g. "build/models/" for benchmarks)."""
    server = Server((host, port), Handler)
    server.extra = extra
    server.headers = response_headers(isolation)
    server.verbose = verbose
    return server


def self_check(url: str, isolation: bool) -> None:
    """A request for the page and one for a file outside the site, as CI's smoke test of the run command."""
    with urllib.request.urlopen(url, timeout=10) as response:
        body = response.read()
        missing = [h for h, v in response_headers(isolation).items() if response.headers.get(h) != v]
    try:
        outside = urllib.request.urlopen(url + "tools/serve.py", timeout=10).status
    except urllib.error.HTTPError as exc:
        outside = exc.code
    if response.status != 200 or b"<title>" not in body or missing or outside != 404:
        sys.exit(f"self-check failed: status {response.status}, missing headers {missing}, "
                 f"tools/serve.py answered {outside} instead of 404")
    print(f"self-check: GET {url} -> {response.status}, {len(body)} bytes, tools/serve.py -> 404"
          + (", isolation and security headers present" if isolation else ", headers as on GitHub Pages"))


def main() -> None:
    p = argparse.ArgumentParser(description="Serve the app locally.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--verbose", action="store_true", help="log every request")
    p.add_argument("--no-isolation-headers", action="store_true",
                   help="send no COOP/COEP headers and no policy header, like GitHub Pages "
                        "(the page then uses mini-coi and its <meta> policy)")
    p.add_argument("--self-check", action="store_true", help="answer one request for the page, then stop")
    a = p.parse_args()
    try:
        server = make_server(a.host, a.port, a.verbose, not a.no_isolation_headers)
    except OSError as exc:
        sys.exit(f"cannot listen on {a.host}:{a.port}: {exc.strerror}; try --port")
    url = f"http://{a.host}:{server.server_address[1]}/"
    print(f"Serving the app at {url}  (Ctrl+C stops)", flush=True)
    if a.self_check:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self_check(url, not a.no_isolation_headers)
        server.shutdown()
        return
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
