"""The bench's records: every figure the report prints, typed, so the JSON is the table's source."""

from __future__ import annotations

import statistics

from pydantic import BaseModel, Field


class Latency(BaseModel):
    """Milliseconds over ``n`` samples."""

    n: int
    p50: float
    p95: float
    p99: float
    mean: float

    @classmethod
    def of(cls, samples_ms: list[float]) -> Latency:
        if not samples_ms:
            return cls(n=0, p50=0.0, p95=0.0, p99=0.0, mean=0.0)
        ordered = sorted(samples_ms)

        def at(q: float) -> float:
            return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

        return cls(
            n=len(ordered),
            p50=round(statistics.median(ordered), 2),
            p95=at(0.95),
            p99=at(0.99),
            mean=round(statistics.fmean(ordered), 2),
        )


class Machine(BaseModel):
    cpu: str
    cores: int
    memory_gb: float
    python: str
    platform: str
    versions: dict[str, str]
    load_average_start: list[float]
    load_average_end: list[float] = Field(default_factory=list)


class BuildResult(BaseModel):
    seconds: float
    peak_rss_mb: float
    chunks: int
    sentences: int
    onnx_export_seconds: float | None = Field(None, description="Only when the export was missing.")


class ServiceResult(BaseModel):
    backend: str
    startup_seconds: float = Field(description="Process start to /readyz 200, index already built.")
    peak_rss_mb: float = Field(description="VmHWM of the server process after every load run.")
    reembedded_at_start: bool
    env: dict[str, str]


class LoadRun(BaseModel):
    label: str
    clients: int
    requests: int
    ok: int
    errors: int
    seconds: float
    throughput: float = Field(description="Answers (HTTP 200) per second.")
    latency: Latency
    statuses: dict[str, int]
    error_samples: list[str] = Field(default_factory=list)


class ServiceBench(BaseModel):
    """One service process with one query encoder, and every load run against it."""

    service: ServiceResult
    sequential: LoadRun
    cache_hit: LoadRun
    concurrent: list[LoadRun]
    ratios: dict[str, float] = Field(default_factory=dict)


class EncoderResult(BaseModel):
    name: str
    adopted: bool = Field(description="Meets the bar: same top-1 and answers, cosine >= 0.99.")
    single: Latency = Field(description="One question per call, on the sequential questions.")
    batch16_each_ms: float
    speedup: float = Field(description="fp32 single-question p50 / this p50.")
    cosine_min: float
    top1_identical: int
    answers_identical: int = Field(description="Same answer, short answer, quotes and offsets.")
    answers_identical_with_scores: int = Field(description="... and the same citation scores too.")
    questions: int
    note: str = ""


class BaselineResult(BaseModel):
    name: str
    build_seconds: float = Field(description="Embedding the chunks and building the FAISS store.")
    query: Latency = Field(description="similarity_search(k=5), in-process, on the sequential questions.")
    prompts: str


class GrowthBuild(BaseModel):
    """One ``qa build-index`` process of the corpus-growth section (qa.bench.growth)."""

    label: str
    seconds: float
    peak_rss_mb: float = Field(description="The build process's own (not Milvus Lite's server).")
    documents: int
    characters: int = Field(description="Characters of the corpus files.")
    chars_per_second: float
    embedded: int = Field(description="Texts this build embedded (the others came from the cache).")
    texts: int = Field(description="Chunks, sentences and clauses in the build.")


class GrowthResult(BaseModel):
    articles: int
    articles_available: int
    builds: list[GrowthBuild]
    speedup: float = Field(description="Full build chars/s, current path / today's path.")
    add_over_alone: float = Field(description="Adding one document / building it alone, seconds.")
    service_peak_rss_mb: dict[str, float]
    service_errors: int


class GenerativeResult(BaseModel):
    model: str
    load_seconds: float
    questions: int
    first_token: Latency = Field(description="Question in to the model's first token, ms.")
    total: Latency = Field(description="Question in to the checked answer, ms.")
    first_token_zh_short: Latency = Field(description="First token for the short Chinese questions.")
    extractive: Latency = Field(description="The extractive answerer on the same questions, ms.")
    generative_answers: int = Field(description="Answers the model wrote (not refusals or fallbacks).")
    repaired: int
    fell_back: int


class Target(BaseModel):
    name: str
    value: float
    target: str
    ok: bool


class BenchReport(BaseModel):
    started_at: str
    seconds: float
    machine: Machine
    build: BuildResult
    default_backend: str = Field(description="The query encoder the service uses by default.")
    services: list[ServiceBench]
    floor: Latency = Field(description="Bare fp32 encode_query, one question per call.")
    encoders: list[EncoderResult]
    baseline: BaselineResult | None
    growth: GrowthResult | None = None
    targets: list[Target]
    notes: list[str] = Field(default_factory=list)
    generative: list[GenerativeResult] = Field(default_factory=list)
    generative_note: str | None = Field(None, description="Why a generative model was not measured.")
