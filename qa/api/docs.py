"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) from files shipped in a Python package.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, so without internet (an intranet,
an air-gapped host) they stay blank. The same pages here point at ``/docs/assets/``, which
serves the static builds that the ``fastapi-offline`` package ships (Swagger UI 5, ReDoc 2,
refreshed with its releases); only its files are used, not its app factory. ReDoc is told
not to fetch Google Fonts. The assets are public like the pages (qa.api.security).
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from qa.api.security import PUBLIC_PREFIXES

ASSETS = PUBLIC_PREFIXES[0].rstrip("/")  # "/docs/assets"
ASSET_PACKAGE = ("fastapi_offline", "static")  # swagger-ui-bundle.js, swagger-ui.css, redoc.standalone.js
router = APIRouter(include_in_schema=False)


def _base(request: Request) -> str:
    """The path prefix the app is mounted under (a proxy's ``root_path``), for every URL the pages load."""
    return str(request.scope.get("root_path", "")).rstrip("/")


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    app = request.app
    base = _base(request)
    return get_swagger_ui_html(
        openapi_url=base + app.openapi_url,
        title=f"{app.title} - Swagger UI",
        oauth2_redirect_url=base + app.swagger_ui_oauth2_redirect_url,
        swagger_js_url=f"{base}{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{base}{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{base}{ASSETS}/favicon.png",
        swagger_ui_parameters=app.swagger_ui_parameters,
    )


@router.get("/docs/oauth2-redirect")
def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    app = request.app
    base = _base(request)
    return get_redoc_html(
        openapi_url=base + app.openapi_url,
        title=f"{app.title} - ReDoc",
        redoc_js_url=f"{base}{ASSETS}/redoc.standalone.js",
        redoc_favicon_url=f"{base}{ASSETS}/favicon.png",
        with_google_fonts=False,
    )


def install(app: FastAPI) -> None:
    """Serve the docs pages and their assets; the app must be created with ``docs_url=None``
    and ``redoc_url=None`` so that FastAPI's CDN pages are not added too."""
    app.mount(ASSETS, StaticFiles(packages=[ASSET_PACKAGE]), name="docs-assets")
    app.include_router(router)
