"""``make bench``: what a question costs, against the floor (one bare encode) and LangChain.

One run on this machine builds the index from scratch; starts the service once per
query encoder (PyTorch fp32 and ONNX Runtime fp32) and measures start-up, peak memory and
``/ask`` over loopback HTTP sequentially, for repeated questions (the answer cache) and
under 1, 4, 16 and 64 concurrent clients; measures the bare fp32 encoder on the same
questions (the floor) against the faster encoders; and measures the LangChain
FAISS + HuggingFaceEmbeddings pipeline a user would otherwise write over the same model
and chunks; then prints a table and writes JSON and Markdown. A script, not a test:
timings depend on the machine and on whatever else it is doing (the load average at the
start and the end is in the report).
"""
