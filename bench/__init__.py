"""Benchmarks behind every performance figure in the README (`make bench`)."""
