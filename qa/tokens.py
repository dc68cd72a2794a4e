"""Counting a question's tokens with the embedding model's own tokenizer.

The work of encoding a question grows with its tokens, not its characters: a common Chinese
character is one token, but a rare one ("𠀀", outside the vocabulary) falls back to its four
UTF-8 bytes, so 2,000 characters may be 8,000 tokens and 17 s of encoder time. Limits that
protect the service (the per-question budget in qa.api.budget, the micro-batch bound in
qa.batching) therefore count tokens, with the tokenizer the encoder itself uses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class TokenCounter:
    """``counts(texts)`` → tokens of each text (no prompt, no special tokens)."""

    def __init__(self, count: Callable[[list[str]], list[int]], exact: bool, cap: int | None = None) -> None:
        self._count = count
        self.exact = exact
        self.cap = cap  # counts are truncated here (the encoder's own limit): "at least" this many

    def describe(self, tokens: int) -> str:
        return f"at least {tokens}" if self.cap is not None and tokens >= self.cap else str(tokens)

    def counts(self, texts: list[str]) -> list[int]:
        return self._count(texts) if texts else []

    def count(self, text: str) -> int:
        return self.counts([text])[0]

    @classmethod
    def for_embedder(cls, embedder: Any) -> TokenCounter:
        """The tokenizer of the encoder behind ``embedder`` (through wrappers such as the
        micro-batcher); without one (test fakes), one token per character."""
        inner = embedder
        while hasattr(inner, "inner"):
            inner = inner.inner
        encoder = getattr(inner, "encoder", None)  # qa.embed_onnx.OnnxEmbedder (loads on first use)
        fast = getattr(encoder, "tokenizer", None)
        if fast is not None and hasattr(fast, "encode_batch"):

            def count_fast(texts: list[str]) -> list[int]:
                # The encoder's tokenizer truncates at the model's limit (2,048): counts above
                # it read as the limit, still far past any budget.
                return [len(e.ids) for e in fast.encode_batch(texts, add_special_tokens=False)]

            truncation = getattr(fast, "truncation", None) or {}
            return cls(count_fast, exact=True, cap=truncation.get("max_length"))
        model = getattr(inner, "_model", None)  # qa.embed.SentenceTransformerEmbedder
        hf = getattr(model, "tokenizer", None)
        if hf is not None:

            def count_hf(texts: list[str]) -> list[int]:
                return [len(ids) for ids in hf(texts, add_special_tokens=False)["input_ids"]]

            return cls(count_hf, exact=True)
        return cls(lambda texts: [len(t) for t in texts], exact=False)
