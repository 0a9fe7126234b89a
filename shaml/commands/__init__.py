"""CLI command modules. Each module defines ``register(cli, bench)`` adding its click commands."""
