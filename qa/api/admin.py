"""Admin routes and signals: hot reload of the index that ``qa build-index`` last published.

``POST /admin/reload`` (or SIGHUP to the server process) loads the build named in
``index_dir/CURRENT``, verifies it, and swaps it in as one reference: requests in flight finish
on the old build, new ones get the new one, none fails. A reload that fails (missing, corrupt
or stale build) changes nothing: the old index keeps serving and the error is reported (409
from the route, an ERROR log line for SIGHUP). The routes need an API key (qa.api.security).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from qa.api.state import ServiceState, get_state
from qa.errors import QAError

log = logging.getLogger("qa.api")
router = APIRouter(prefix="/admin", tags=["admin"])


class ReloadResult(BaseModel):
    status: str = Field(description='"reloaded"')
    build_id: str = Field(description="The build now serving.")
    previous_build_id: str | None = Field(description="The build served before the reload.")
    changed: bool = Field(description="False when CURRENT still named the same build.")
    seconds: float


@router.post(
    "/reload",
    response_model=ReloadResult,
    responses={
        401: {"description": "No or invalid API key."},
        403: {"description": "Admin routes are disabled (QA_API_KEYS is not set)."},
        409: {"description": "The reload failed; the previous index is still serving."},
    },
)
def reload(state: Annotated[ServiceState, Depends(get_state)]) -> ReloadResult:
    """Swap in the index build that ``qa build-index`` last published (no rebuild here)."""
    previous, current, seconds = state.reload()
    return ReloadResult(
        status="reloaded",
        build_id=current.build_id,
        previous_build_id=previous.build_id if previous else None,
        changed=previous is None or previous.build_id != current.build_id,
        seconds=round(seconds, 3),
    )


def install_sighup(state: ServiceState) -> Callable[[], None]:
    """SIGHUP → reload in a worker thread. Returns the uninstaller. Only possible in the main
    thread (the ``qa serve`` process); elsewhere (a server in a test thread) it is skipped."""
    if not hasattr(signal, "SIGHUP"):
        return lambda: None
    loop = asyncio.get_running_loop()

    def on_sighup() -> None:
        loop.run_in_executor(None, _reload_logged, state)

    try:
        loop.add_signal_handler(signal.SIGHUP, on_sighup)
    except (RuntimeError, ValueError, NotImplementedError) as exc:
        log.debug("SIGHUP reload not installed: %s", exc)
        return lambda: None

    def uninstall() -> None:
        loop.remove_signal_handler(signal.SIGHUP)

    return uninstall


def _reload_logged(state: ServiceState) -> None:
    try:
        previous, current, seconds = state.reload()
    except QAError as exc:
        log.error("SIGHUP reload failed: %s", exc.detail)
        return
    except Exception:
        log.exception("SIGHUP reload failed")
        return
    before = previous.build_id if previous else None
    log.info("SIGHUP reload: index %s -> %s in %.1fs", before, current.build_id, seconds)
