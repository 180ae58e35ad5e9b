"""tools/serve.py serves the site's files and nothing else, each with its type and the security headers;
its policy header is index.html's <meta>; the Pages workflow publishes the same files."""
from __future__ import annotations

import http.client
import html.parser
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from tools.testkit import REPO_ROOT
from plateblur.settings import MODEL_FILE
from tools import serve, site_files

if not (REPO_ROOT / "vendor" / "pyodide").is_dir():
    pytest.fail("vendor/ is missing: run tools/setup first (tools/test does)", pytrace=False)

OUTSIDE = [  # files of the checkout that are not the site's, folders (no listings), and ways around
    "/.git", "/.gitignore", "/.github/workflows/pages.yml", "/README.md", "/pyproject.toml", "/package.json",
    "/requirements.txt", "/tools/serve.py", "/tests/conftest.py", "/.venv/pyvenv.cfg",
    "/node_modules/pyodide/package.json", "/build/test-media/truth.json",
    "/web/", "/vendor/", "/vendor/pyodide/", "/models/", "/py/", "/py/plateblur/", "/web",
    "/web/../tools/serve.py", "/web/%2e%2e/README.md", "/py/plateblur/../../README.md",
]
TYPES = {  # what the browser must be told (nosniff: it guesses nothing)
    "/": "text/html; charset=utf-8",
    "/index.html": "text/html; charset=utf-8",
    "/pyscript.toml": "text/plain; charset=utf-8",
    "/web/app.js": "text/javascript; charset=utf-8",
    "/web/style.css": "text/css; charset=utf-8",
    "/vendor/pyodide/pyodide.mjs": "text/javascript; charset=utf-8",
    "/vendor/pyodide/pyodide.asm.wasm": "application/wasm",
    "/vendor/pyodide/pyodide-lock.json": "application/json",
    "/vendor/pyodide/python_stdlib.zip": "application/zip",
    "/vendor/pyodide/" + min(p.name for p in (REPO_ROOT / "vendor" / "pyodide").glob("numpy-*.whl")): "application/zip",
    "/models/plates-v3-dynamic.onnx": "application/octet-stream",
    "/models/MODEL_CARD.md": "text/markdown; charset=utf-8",
    "/py/plateblur/browser/worker.py": "text/x-python; charset=utf-8",
    "/NOTICE": "text/plain; charset=utf-8",
    "/service-worker.js": "text/javascript; charset=utf-8",
    "/site-manifest.js": "text/javascript; charset=utf-8",
}
POLICY_SOURCES = {"'self'", "'none'", "'wasm-unsafe-eval'", "blob:", "data:"}


@pytest.fixture(scope="module", params=[True, False], ids=["isolation", "as-on-pages"])
def server(request):
    server = serve.make_server("127.0.0.1", 0, isolation=request.param)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], request.param
    server.shutdown()


def request(port: int, path: str, method: str = "HEAD") -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(method, path)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


@pytest.mark.parametrize("path", OUTSIDE)
def test_nothing_outside_the_site_is_served(server, path):
    port, _ = server
    for method in ("GET", "HEAD"):
        assert request(port, path, method).status == 404, f"{method} {path}"


@pytest.mark.parametrize("path", TYPES)
def test_site_files_are_served_with_their_type(server, path):
    response = request(server[0], path, "GET")
    assert (response.status, response.getheader("Content-Type")) == (200, TYPES[path])


def test_every_site_file_is_served_with_a_type_of_the_table(server):
    site = site_files.files()
    assert len(site) > 50 and {"index.html", "web/app.js", "models/plates-v3-dynamic.onnx"} <= {p.as_posix() for p in site}
    for relative in site:
        assert relative.suffix in site_files.TYPES, f"{relative}: add its type to TYPES"
        response = request(server[0], "/" + relative.as_posix())
        assert (response.status, response.getheader("Content-Type")) == (200, site_files.TYPES[relative.suffix])


def test_the_detectors_training_record_is_kept_but_not_served(server):
    kept = [p for p in (site_files.ROOT / "models" / "training").iterdir() if p.is_file()]
    assert kept, "models/training holds the weights and the training record"
    served = {p.as_posix() for p in site_files.files()}
    for path in kept:
        relative = path.relative_to(site_files.ROOT).as_posix()
        assert relative not in served and relative not in site_files.manifest()["files"]
        assert request(server[0], "/" + relative).status == 404, relative


def test_headers(server):
    port, isolation = server
    meta = site_files.content_security_policy()
    for path in ("/", "/vendor/ort/ort-wasm-simd-threaded.mjs", "/tools/serve.py"):
        headers = dict(request(port, path).getheaders())
        assert headers["X-Content-Type-Options"] == "nosniff"
        isolation_headers = {name: headers.get(name) for name in serve.ISOLATION_HEADERS}
        if isolation:
            assert headers["Content-Security-Policy"] == meta + "; frame-ancestors 'none'"
            assert isolation_headers == {"Cross-Origin-Opener-Policy": "same-origin",
                                         "Cross-Origin-Embedder-Policy": "require-corp",
                                         "Cross-Origin-Resource-Policy": "same-origin"}
        else:   # GitHub Pages sends neither: the <meta> holds the policy, the service worker adds both
            assert "Content-Security-Policy" not in headers
            assert isolation_headers == dict.fromkeys(serve.ISOLATION_HEADERS)


def directives(policy: str) -> dict[str, list[str]]:
    parsed = [d.split() for d in policy.split(";") if d.strip()]
    return {d[0]: d[1:] for d in parsed}


def test_the_policy_allows_this_site_only():
    policy = directives(site_files.content_security_policy())
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'", "'wasm-unsafe-eval'"], "no inline scripts, no eval"
    assert policy["connect-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert set(policy["worker-src"]) <= {"'self'", "blob:"}
    assert {s for sources in policy.values() for s in sources} <= POLICY_SOURCES, "no other origin, anywhere"


class Scripts(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self._in_script = tag == "script" and "src" not in a
        self.inline += [f"<{tag} {name}>" for name in a if name.startswith("on") or name == "style"]
        self.inline += ["<style>"] if tag == "style" else []

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline.append(f"<script>{data.strip()[:40]}")

    def handle_endtag(self, tag):
        self._in_script = False


def test_index_html_has_nothing_inline_the_policy_would_block():
    parser = Scripts()
    parser.feed((REPO_ROOT / "index.html").read_text(encoding="utf-8"))
    assert parser.inline == []


def test_pages_publishes_exactly_the_served_files(tmp_path):
    assert site_files.export(tmp_path) == len(site_files.files()) + 1
    published = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert published == sorted(site_files.files() + [Path(site_files.MANIFEST)])
    assert (tmp_path / site_files.MANIFEST).read_text() == site_files.manifest_js()
    workflow = (REPO_ROOT / ".github" / "workflows" / "pages.yml").read_text()
    assert "-m tools.site_files _site" in workflow and "cp -r" not in workflow


@pytest.mark.parametrize("mode", [[], ["--no-isolation-headers"]])
def test_self_check(mode):
    done = subprocess.run([sys.executable, "-m", "tools.serve", "--self-check", "--port", "0", *mode], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    headers = "isolation and security headers present" if not mode else "headers as on GitHub Pages"
    assert re.fullmatch(r"Serving the app at http://127\.0\.0\.1:(\d+)/  \(Ctrl\+C stops\)\n"
                        r"self-check: GET http://127\.0\.0\.1:\1/ -> 200, \d+ bytes, tools/serve\.py -> 404, "
                        + headers + r"\n", done.stdout), done.stdout


def test_extra_folders_are_served_only_when_asked():
    """Benchmarks load models from build/models/ through ``extra``; the site itself never serves them."""
    server = serve.make_server("127.0.0.1", 0, extra=("tools/",))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        response = request(port, "/tools/serve.py")
        assert (response.status, response.getheader("Content-Type")) == (200, "text/x-python; charset=utf-8")
        assert request(port, "/tools/").status == 404
        assert request(port, "/tests/conftest.py").status == 404
    finally:
        server.shutdown()


def test_unchanged_files_are_revalidated_not_sent_again(server):
    """With `Cache-Control: no-cache` the browser asks again each visit: an unchanged file costs a 304."""
    port, _ = server
    path = "/vendor/pyodide/pyodide.asm.wasm"
    first = request(port, path, "GET")
    etag, modified = first.getheader("ETag"), first.getheader("Last-Modified")
    assert first.status == 200 and etag and modified
    for header, value in (("If-None-Match", etag), ("If-Modified-Since", modified)):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", path, headers={header: value})
        again = connection.getresponse()
        assert again.status == 304 and again.read() == b"", header
        assert again.getheader("ETag") == etag
        connection.close()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"If-None-Match": '"another-version"'})
    assert connection.getresponse().status == 200
    connection.close()


def test_the_manifest_lists_every_site_file_by_hash_and_its_version_follows_them(server, tmp_path):
    """What the service worker caches: every file but source maps and the worker itself, each with its
    size and SHA-256; served fresh by the server, and a new version when any file changes."""
    import hashlib
    import json

    response = request(server[0], "/" + site_files.MANIFEST, "GET")
    assert (response.status, response.getheader("Content-Type")) == (200, "text/javascript; charset=utf-8")
    manifest = site_files.manifest()
    expected = {p.as_posix() for p in site_files.files()} - {"service-worker.js"}
    assert "vendor/pyscript/service-worker.js" in expected
    assert set(manifest["files"]) == {p for p in expected if not p.endswith(".map")}
    size, digest = manifest["files"][MODEL_FILE]
    model = (REPO_ROOT / MODEL_FILE).read_bytes()
    assert (size, digest) == (len(model), hashlib.sha256(model).hexdigest())
    assert manifest["headers"] == site_files.site_headers()
    assert json.loads(site_files.manifest_js().split("self.SITE = ", 1)[1].rstrip(";\n")) == manifest

    site_files.export(tmp_path)
    assert site_files.manifest(tmp_path) == manifest
    (tmp_path / "web" / "style.css").write_text("/* changed */")
    assert site_files.manifest(tmp_path)["version"] != manifest["version"]


def test_each_backend_precaches_what_its_visits_load_and_not_the_other_backends_runtime():
    """The page's start files (pyscript.toml's interpreter, files and worker modules, and the photo model)
    are kept for offline use on either backend; the stream model and the plain WASM runtime only where the
    detector runs on WASM, the asyncify runtime only on WebGPU; PyScript's editor and the CLI never."""
    import tomllib

    from plateblur.settings import STREAM_MODEL_FILE

    manifest = site_files.manifest()
    config = tomllib.loads((REPO_ROOT / "pyscript.toml").read_text())
    started = {config["interpreter"], *config["files"], *config["js_modules"]["worker"]}
    started = {path.removeprefix("./") for path in started} | {"index.html", "web/app.js", MODEL_FILE}
    wasm, webgpu = (set(manifest["precache"][backend]) for backend in ("wasm", "webgpu"))
    assert started <= wasm and started <= webgpu, started - (wasm & webgpu)
    assert (wasm | webgpu) <= set(manifest["files"])
    assert STREAM_MODEL_FILE in wasm and STREAM_MODEL_FILE not in webgpu
    assert "vendor/ort/ort-wasm-simd-threaded.wasm" in wasm - webgpu
    assert "vendor/ort/ort-wasm-simd-threaded.asyncify.wasm" in webgpu - wasm
    for left_out in ("vendor/pyscript/codemirror", "vendor/pyodide/micropip-", "py/plateblur/cpython/"):
        assert any(p.startswith(left_out) for p in manifest["files"]), f"{left_out}: no such file any more"
        assert not any(p.startswith(left_out) for p in wasm | webgpu), left_out
    assert sum(manifest["files"][p][0] for p in wasm) < 0.7 * sum(size for size, _ in manifest["files"].values())
