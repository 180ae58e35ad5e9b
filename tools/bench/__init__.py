"""Benchmarks of the page (headless Chromium, through tests.support.page_driver) and the CLI:
``python -m tools.bench.photos | video | camera | models | cold_start``. They print medians measured now."""
