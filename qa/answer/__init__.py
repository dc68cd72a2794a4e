"""Answering: from retrieved passages to a short, exact, cited answer (or a refusal)."""
