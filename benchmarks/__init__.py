"""Side-by-side throughput, latency, start-up and memory figures for journeymock and its reference points.

Run `python -m benchmarks.run --help`; `benchmarks/README.md` explains the method and how to read the table.
"""
