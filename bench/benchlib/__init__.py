"""Benchmark harness: Sonde against bpftrace, side by side.

Owns everything under bench/: spawning the tools, timing them on a monotonic
clock, checking their output, and writing RESULTS.md. It never edits the
Rust workspace; it only builds and runs the `sonde` binary.
"""
