"""qa: cited, exact answers to questions about a corpus of reports."""

__version__ = "0.1.0"
