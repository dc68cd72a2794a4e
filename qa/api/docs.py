"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) from files shipped in a Python package.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, so without internet (an intranet,
an air-gapped host) they stay blank. The same pages here load everything from
``/docs/assets/``, which serves the static builds in the ``fastapi-standalone-docs`` package
(Swagger UI 5, ReDoc 2, with their licences; refreshed with its releases). Only its files are
used, not its ``StandaloneDocs`` class, which patches FastAPI's functions process-wide. Its
ReDoc build is patched to load its logo from ``<page>/logo-mini.svg`` instead of Redocly's CDN,
so that file is served beside ``/redoc``; ReDoc is told not to fetch Google Fonts. The pages
and their assets are public, like the schema (qa.api.security).
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from qa.api.security import PUBLIC_PREFIXES, REDOC_LOGO

ASSETS = PUBLIC_PREFIXES[0].rstrip("/")  # "/docs/assets"
PACKAGE = "fastapi_standalone_docs"  # static/swagger/, static/redoc/, static/fastapi/favicon.png
router = APIRouter(include_in_schema=False)


def _base(request: Request) -> str:
    """The prefix the app is served under (a proxy's ``root_path``), for every URL the page loads."""
    return str(request.scope.get("root_path", "")).rstrip("/")


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    app = request.app
    base = _base(request)
    return get_swagger_ui_html(
        openapi_url=base + app.openapi_url,
        title=f"{app.title} - Swagger UI",
        oauth2_redirect_url=base + app.swagger_ui_oauth2_redirect_url,
        swagger_js_url=f"{base}{ASSETS}/swagger/swagger-ui-bundle.js",
        swagger_css_url=f"{base}{ASSETS}/swagger/swagger-ui.css",
        swagger_favicon_url=f"{base}{ASSETS}/fastapi/favicon.png",
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
        redoc_js_url=f"{base}{ASSETS}/redoc/redoc.standalone.js",
        redoc_favicon_url=f"{base}{ASSETS}/fastapi/favicon.png",
        with_google_fonts=False,
    )


@router.get(REDOC_LOGO)
def redoc_logo() -> Response:
    """The "API docs by Redocly" logo, where the packaged ReDoc build looks for it."""
    logo = (files(PACKAGE) / "static" / "redoc" / "logo-mini.svg").read_bytes()
    return Response(logo, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})


def install(app: FastAPI) -> None:
    """Serve the docs pages and their assets. The app must be created with ``docs_url=None``
    and ``redoc_url=None``, so that FastAPI's CDN pages are not added as well."""
    app.mount(ASSETS, StaticFiles(packages=[(PACKAGE, "static")]), name="docs-assets")
    app.include_router(router)
