"""Static server for the repo root with the headers the page needs.

Cross-origin isolation (COOP + COEP) lets the PyScript worker and onnxruntime-web's threads use
SharedArrayBuffer. Any static host that sends these headers works; GitHub Pages gets them from
mini-coi's service worker instead."""
from __future__ import annotations

import argparse
import functools
import http.server
import sys
import threading
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-cache",
}
TYPES = {".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm",
         ".toml": "text/plain", ".onnx": "application/octet-stream", ".whl": "application/zip",
         ".webp": "image/webp"}


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **TYPES}

    def end_headers(self) -> None:
        if self.server.isolation:
            for name, value in HEADERS.items():
                self.send_header(name, value)
        super().end_headers()

    def log_message(self, format: str, *args) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


def make_server(host: str, port: int, verbose: bool = False, isolation: bool = True) -> http.server.ThreadingHTTPServer:
    """``isolation=False`` serves like GitHub Pages: no COOP/COEP headers (mini-coi steps in)."""
    handler = functools.partial(Handler, directory=str(ROOT))
    server = http.server.ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    server.verbose = verbose
    server.isolation = isolation
    return server


def self_check(url: str, isolation: bool) -> None:
    """One request for the page, as CI's smoke test of the run command."""
    with urllib.request.urlopen(url, timeout=10) as response:
        body = response.read()
        missing = [h for h in HEADERS if h not in response.headers]
    if response.status != 200 or b"<title>" not in body or (missing and isolation):
        sys.exit(f"self-check failed: status {response.status}, missing headers {missing}")
    print(f"self-check: GET {url} -> {response.status}, {len(body)} bytes"
          + (", isolation headers present" if isolation else ""))


def main() -> None:
    p = argparse.ArgumentParser(description="Serve the app locally.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--verbose", action="store_true", help="log every request")
    p.add_argument("--no-isolation-headers", action="store_true",
                   help="send no COOP/COEP headers, like GitHub Pages (the page then uses mini-coi)")
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
