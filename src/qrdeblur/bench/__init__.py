"""Benchmarks: fixed suites, a method registry, the runner and its report."""
