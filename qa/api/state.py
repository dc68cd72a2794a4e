"""Service state: the engine and answerer, loaded once in the lifespan, reached via dependencies.

Loading runs in a worker thread so that ``/healthz`` answers while the model loads and
``/readyz`` can say "not yet" instead of the port being closed.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from qa.answer.answerer import ExtractiveAnswerer
from qa.config import Settings
from qa.engine import Engine, open_engine
from qa.errors import NotReadyError, QAError
from qa.prompts import load_templates

log = logging.getLogger("qa.api")


@dataclass
class ServiceState:
    settings: Settings
    engine: Engine | None = None
    answerer: ExtractiveAnswerer | None = None
    error: str | None = None
    ready: threading.Event = field(default_factory=threading.Event)

    def load(self) -> None:
        """Load model, index and templates; remember a failure instead of crashing the server."""
        try:
            templates = load_templates(self.settings.prompts_dir)
            engine = open_engine(self.settings)
            self.answerer = ExtractiveAnswerer(engine.retriever, templates)
            self.engine = engine
            log.info("ready: index %s", engine.index.manifest.build_id)
        except QAError as exc:
            self.error = exc.detail
            log.error("cannot start: %s", exc.detail)
        except Exception as exc:  # report anything unexpected on /readyz, keep serving /healthz
            self.error = f"{type(exc).__name__}: {exc}"
            log.exception("cannot start")
        finally:
            self.ready.set()

    def require(self) -> tuple[Engine, ExtractiveAnswerer]:
        if self.engine is None or self.answerer is None:
            raise NotReadyError(self.error or "the service is still loading the model and index")
        return self.engine, self.answerer
