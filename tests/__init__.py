"""The test suite, a package so that pytest imports it (and tests.support) from the repo root."""
