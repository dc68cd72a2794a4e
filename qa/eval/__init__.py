"""Evaluation against a gold Q&A set: retrieval, answers, citations, refusals and latency.

Modules, each with one job: ``gold`` (load and validate the gold file), ``metrics`` (pure
scoring of one run), ``backends`` (the in-process engine or a running service behind one
protocol), ``runner`` (ask every question in every mode), ``report`` (console tables and
JSON), ``charts`` and ``html`` (the self-contained HTML report) and ``export`` (RAGAS-style
samples). Nothing here loads a model at import time.
"""
