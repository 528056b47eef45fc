"""The console's static files: ours (console.css, console.js) and the pinned htmx
(static/vendor, its version and licence in static/vendor/VERSIONS)."""
from werkzeug.security import safe_join
from werkzeug.wrappers import Response

from services.common.errors import NotFound
from services.gateway.pages.web import HERE, SECURITY_HEADERS

STATIC = HERE / "static"
TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".svg": "image/svg+xml", ".png": "image/png", ".woff2": "font/woff2"}
_CACHE: dict[str, bytes] = {}


def serve(visit, request, name) -> Response:
    path = safe_join(str(STATIC), name)
    suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    if path is None or suffix not in TYPES:
        raise NotFound("no such file")
    body = _CACHE.get(path)
    if body is None:
        try:
            with open(path, "rb") as handle:
                body = handle.read()
        except OSError:
            raise NotFound("no such file") from None
        _CACHE[path] = body
    response = Response(body, content_type=TYPES[suffix])
    response.headers.update(SECURITY_HEADERS)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
