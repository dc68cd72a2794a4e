"""The demo page (``GET /``) and the embeddable chat widget (``GET /widget.js``).

Both are static files in ``qa/web/``: the widget is plain JavaScript with no build step, so
what is in the repository is exactly what a browser runs.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
router = APIRouter(include_in_schema=False)


@router.get("/")
def demo_page() -> FileResponse:
    """What the service is, how to call it, and the widget running on the page."""
    return FileResponse(
        WEB_DIR / "index.html", media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-cache"}
    )


@router.get("/widget.js")
def widget() -> FileResponse:
    """The widget script for ``<script src=".../widget.js">``; revalidated so fixes reach embedders."""
    return FileResponse(
        WEB_DIR / "widget.js",
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )
