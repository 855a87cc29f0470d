"""GET /favicon.png answered with HTTP 500 (and a 64-line "Exception in ASGI application" per session).

Streamlit 1.60's gzip responders take over Starlette's response start for the content types they do not
compress but never send it; Starlette 1.5 added image/png (and fonts, archives) to the types it does not
compress, so the browser's favicon request fails. Fixed upstream (streamlit/streamlit#16344: the middleware
wraps Starlette's own). Until the pins move, `fix_static_responses` sends the held start message for those
types, as Starlette's own responder does. It changes nothing when the classes or the condition are gone.
"""

from __future__ import annotations


def _needs_fix() -> bool:
    try:
        from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES
    except ImportError:
        return False
    return "image/png" in DEFAULT_EXCLUDED_CONTENT_TYPES


def fix_static_responses() -> bool:
    """Patch Streamlit's two gzip responders once per process; True when they are (now or already) fixed."""
    try:
        from streamlit.web.server.starlette import starlette_gzip_middleware as middleware
    except ImportError:
        return False
    classes = [getattr(middleware, name, None) for name in ("_MediaAwareGZipResponder", "_MediaAwareIdentityResponder")]
    if any(cls is None for cls in classes) or not _needs_fix():
        return False
    for cls in classes:
        if getattr(cls, "_start_sent_for_excluded", False):
            continue
        held = cls.send_with_compression

        async def send_with_compression(self, message, _held=held):
            await _held(self, message)
            if message["type"] == "http.response.start" and (self.content_encoding_set
                                                             or self.content_type_is_excluded):
                await self.send(message)  # Starlette then passes the body straight through

        cls.send_with_compression = send_with_compression
        cls._start_sent_for_excluded = True
    return True
