"""Static server for the site (only its files, see tools/site_files.py) with the headers the page needs
(site_files.site_headers: cross-origin isolation and the Content-Security-Policy). Any static host that
sends these headers works; GitHub Pages gets them from the site's service worker instead.
The service worker's manifest is generated here on each request, so it always matches the files."""
from __future__ import annotations

import argparse
import email.utils
import hashlib
import http.server
import io
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tools import site_files

ISOLATION_HEADERS = site_files.ISOLATION_HEADERS


def response_headers(isolation: bool = True, root: Path = site_files.ROOT) -> dict[str, str]:
    """Sent with every response. ``isolation=False`` is GitHub Pages: no COOP/COEP and no policy header
    (the page has its <meta>, the service worker adds them)."""
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
    return headers | site_files.site_headers(root) if isolation else headers


class Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the site's files with explicit types; anything else (folders included) is a 404."""

    def send_head(self):
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        if path == "/" + site_files.MANIFEST:
            return self._manifest()
        file = site_files.site_file(path, self.server.extra, self.server.root)
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

    def _manifest(self):
        body = site_files.manifest_js(self.server.root).encode()
        self.send_response(200)
        self.send_header("Content-Type", site_files.TYPES[".js"])
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", f'"{hashlib.sha256(body).hexdigest()[:16]}"')
        self.end_headers()
        return io.BytesIO(body)

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
                extra: tuple[str, ...] = (), root: Path = site_files.ROOT) -> Server:
    """``isolation=False`` serves like GitHub Pages: no COOP/COEP headers (the service worker adds them)
    and the policy only in index.html's <meta>. ``extra`` serves more (e.g. "build/models/" for
    benchmarks); ``root`` serves a copy of the site (site_files.export) instead of the checkout."""
    server = Server((host, port), Handler)
    server.extra, server.root = extra, root
    server.headers = response_headers(isolation, root)
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
                        "(the page then gets them from its service worker)")
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
