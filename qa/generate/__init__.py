"""The generative answerer: an LLM writes the answer from the pipeline's evidence, and the
grounding guard checks every figure of it against the passages it cites.

Modules: ``llm`` (local GGUF through llama-cpp-python, or any OpenAI-compatible endpoint),
``prompt`` (messages from the templates in ``prompts/generate.toml``), ``guard`` (the pure
figure-by-figure check), ``answerer`` (evidence → LLM → guard → one repair → extractive
fallback). Nothing here is imported by the extractive path, so the LLM stays optional.
"""
