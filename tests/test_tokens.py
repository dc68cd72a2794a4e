"""Token counts (qa.tokens): the encoder's own tokenizer through wrappers, or characters for fakes."""

from __future__ import annotations

from types import SimpleNamespace

from fakes import FakeEmbedder

from qa.batching import MicroBatchingEmbedder
from qa.tokens import TokenCounter


class CountingTokenizer:
    """A tokenizers.Tokenizer stand-in: two tokens per character, truncated at 10."""

    def __init__(self) -> None:
        self.truncation = {"max_length": 10}

    def encode_batch(self, texts: list[str], add_special_tokens: bool = True) -> list[SimpleNamespace]:
        assert add_special_tokens is False
        return [SimpleNamespace(ids=[0] * min(10, 2 * len(t))) for t in texts]


def test_the_encoders_tokenizer_is_found_through_the_micro_batcher():
    onnx_like = FakeEmbedder()
    onnx_like.encoder = SimpleNamespace(tokenizer=CountingTokenizer())  # type: ignore[attr-defined]
    counter = TokenCounter.for_embedder(MicroBatchingEmbedder(onnx_like))
    assert counter.exact and counter.counts(["ab", "abcdefgh"]) == [4, 10]
    assert counter.describe(10) == "at least 10" and counter.describe(4) == "4"


def test_without_a_tokenizer_characters_are_counted():
    counter = TokenCounter.for_embedder(FakeEmbedder())
    assert not counter.exact and counter.counts(["数据", "abc"]) == [2, 3] and counter.counts([]) == []
