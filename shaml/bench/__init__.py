"""Benchmarks, one module per part measured: ``shaml bench gateway|import|reunion|resilience|matching``.

Each prints its figures beside a baseline measured in the same run (docs/*.md keep the last runs).
"""
