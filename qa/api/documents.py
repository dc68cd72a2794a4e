"""Document routes: list and read the indexed documents; add, replace and remove them.

Reading (``GET /documents``, ``GET /documents/{id}``) needs what any route needs. Changing the
corpus needs an admin key, like ``/admin/reload`` (qa.api.security): ``POST /documents`` checks
the upload at once (name, type, size, and that it can be read: a bad upload is a 4xx, never a
job that fails later), stages it in the corpus folder and answers 202 with a job
(qa.api.jobs); ``DELETE /documents/{id}`` answers 202 with a job too. The job changes the
corpus folder, rebuilds and hot-swaps (qa.api.rebuild); until it is done, questions are
answered from the build that was serving.

With ``QA_WORKERS`` > 1 each request may reach another worker: the job runs in the worker that
took the request, its record is a file any worker reads, one job at a time runs across the
workers, and the finished build is swapped in on every worker (qa.api.jobs, qa.api.workers).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, UploadFile
from pydantic import BaseModel, Field

from qa.api.jobs import JobQueue, get_jobs
from qa.api.models import DocumentOut, DocumentSummary, ResourceId
from qa.api.rebuild import add_work, remove_work
from qa.api.routes import get_engine
from qa.api.state import ServiceState, get_state
from qa.engine import Engine
from qa.errors import (
    BadRequestError,
    ConflictError,
    CorpusError,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
    QAError,
)
from qa.ingest.files import files_of, safe_name, stage
from qa.ingest.loaders import doc_id_for, load_file
from qa.schemas import SkippedFile

router = APIRouter(tags=["corpus"])
ADMIN_RESPONSES: dict[int | str, dict[str, str]] = {
    401: {"description": "No or invalid API key."},
    403: {"description": "Admin routes are disabled (QA_API_KEYS is not set)."},
    409: {"description": "Not possible now (the last document; an index folder that cannot be written)."},
    503: {"description": "Still loading."},
}


class DocumentList(BaseModel):
    documents: list[DocumentSummary] = Field(description="The documents the serving build holds.")
    skipped: list[SkippedFile] = Field(description="Files in the corpus folder it could not index, with why.")


class UploadAccepted(BaseModel):
    job_id: str = Field(description="Poll GET /jobs/{job_id} until done.")
    doc_id: str = Field(description="The document's id once indexed (an existing one is replaced).")


class RemovalAccepted(BaseModel):
    job_id: str = Field(description="Poll GET /jobs/{job_id} until done.")


@router.get("/documents", response_model=DocumentList)
def documents(engine: Annotated[Engine, Depends(get_engine)]) -> DocumentList:
    """The indexed documents (id, title, source file, characters, pages for a PDF), and the
    corpus files the build skipped with the reason (unreadable, unsupported type)."""
    docs = [
        DocumentSummary(
            **d.model_dump(exclude={"text", "pages"}), chars=len(d.text), pages=len(d.pages) or None
        )
        for d in engine.index.documents.values()
    ]
    skipped = [SkippedFile.model_validate(s) for s in engine.index.manifest.corpus.get("skipped", [])]
    return DocumentList(documents=docs, skipped=skipped)


@router.get("/documents/{doc_id}", response_model=DocumentOut, responses={404: {}})
def document(doc_id: ResourceId, engine: Annotated[Engine, Depends(get_engine)]) -> DocumentOut:
    doc = engine.index.documents.get(doc_id)
    if doc is None:
        raise NotFoundError(f"unknown document id: {doc_id!r}")
    return DocumentOut(**doc.model_dump(exclude={"pages"}), chars=len(doc.text), pages=len(doc.pages) or None)


@router.post(
    "/documents",
    status_code=202,
    response_model=UploadAccepted,
    responses={
        **ADMIN_RESPONSES,
        400: {"description": "No file name, a hidden name, or an empty file."},
        413: {"description": "Larger than QA_UPLOAD_MAX_BYTES."},
        415: {"description": "Not a .txt, .md, .html, .pdf or .docx file."},
        422: {"description": "The file cannot be read (no text layer, encrypted, corrupt)."},
    },
)
def add_document(
    file: Annotated[UploadFile, File(description="The document: .txt .md .html .pdf .docx")],
    state: Annotated[ServiceState, Depends(get_state)],
    jobs: Annotated[JobQueue, Depends(get_jobs)],
) -> UploadAccepted:
    """Add a document, or replace the one with the same id (its file name without the type):
    stored in the corpus folder, indexed in the background, then served. 202 with the job."""
    settings = state.settings
    state.require()
    name = safe_name(file.filename)
    size = _size(file)
    if size > settings.upload_max_bytes:
        raise PayloadTooLargeError(
            f"file too large: {size} bytes, the limit is {settings.upload_max_bytes} (QA_UPLOAD_MAX_BYTES)"
        )
    if size == 0:
        raise BadRequestError(f"{name} is empty")
    settings.corpus_dir.mkdir(parents=True, exist_ok=True)
    staged = stage(settings.corpus_dir, file.file, name)
    try:
        doc = load_file(staged, staged.parent, settings.heading_max_chars)
        if not doc.text.strip():
            raise CorpusError(f"{staged.name}: no text after cleaning")
    except CorpusError as exc:
        staged.unlink(missing_ok=True)
        reason = exc.detail.removeprefix(f"{staged.name}: ")
        raise InvalidInputError(f"{name} cannot be indexed: {reason}") from exc
    doc_id = doc_id_for(settings.corpus_dir / name, settings.corpus_dir)
    try:
        job = jobs.submit("add", doc_id, add_work(state, staged, name))
    except QAError:
        staged.unlink(missing_ok=True)
        raise
    return UploadAccepted(job_id=job.job_id, doc_id=doc_id)


@router.delete(
    "/documents/{doc_id}",
    status_code=202,
    response_model=RemovalAccepted,
    responses={**ADMIN_RESPONSES, 404: {"description": "No such document."}},
)
def remove_document(
    doc_id: ResourceId,
    state: Annotated[ServiceState, Depends(get_state)],
    jobs: Annotated[JobQueue, Depends(get_jobs)],
) -> RemovalAccepted:
    """Remove a document's file from the corpus folder and rebuild without it. 202 with the job."""
    engine, _ = state.require()
    indexed = engine.index.documents
    if doc_id not in indexed and not files_of(state.settings.corpus_dir, doc_id):
        raise NotFoundError(f"unknown document id: {doc_id!r}")
    if set(indexed) == {doc_id}:
        raise ConflictError(f"{doc_id} is the only document: an index needs one (add another first)")
    job = jobs.submit("remove", doc_id, remove_work(state, doc_id))
    return RemovalAccepted(job_id=job.job_id)


def _size(file: UploadFile) -> int:
    if file.size is not None:
        return file.size
    file.file.seek(0, 2)
    size = file.file.tell()
    file.file.seek(0)
    return size
