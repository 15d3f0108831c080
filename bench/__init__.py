"""The benchmarks: each a module run from the repository root, ``python -m bench.NAME
[--write-docs]`` (``make bench`` runs them all); results in docs/performance.md."""
