"""Benchmarks (not tests): they run the engines at real speed and write figures to bench/results/."""
