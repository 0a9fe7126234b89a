"""Injection point for the action server: the database session factory and the in-process matcher.

``shaml actions`` (the composition root) calls :func:`configure` before the server starts;
actions call the getters. Nothing here reads settings or opens connections by itself.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker


class SearchesRegistry(Protocol):
    """What the actions need from a matcher: ``search(Query) -> MatchResult``."""

    def search(self, query: Any, limit: int = 10) -> Any:
        """Candidates best first and a decision (match, review or no_match)."""


class NotConfigured(RuntimeError):
    """An action ran before ``configure`` was called (a wiring error, never a user error)."""


_factory: sessionmaker | None = None
_matcher: SearchesRegistry | None = None


def configure(factory: sessionmaker, matcher: SearchesRegistry) -> None:
    """Give the actions their database session factory and matcher."""
    global _factory, _matcher
    _factory = factory
    _matcher = matcher


def reset() -> None:
    """Forget the configuration (tests)."""
    global _factory, _matcher
    _factory = None
    _matcher = None


def get_factory() -> sessionmaker:
    """The configured session factory; raises :class:`NotConfigured` if there is none."""
    if _factory is None:
        raise NotConfigured("bot.actions.deps.configure() was not called")
    return _factory


def get_matcher() -> SearchesRegistry:
    """The configured matcher; raises :class:`NotConfigured` if there is none."""
    if _matcher is None:
        raise NotConfigured("bot.actions.deps.configure() was not called")
    return _matcher


def new_session() -> Session:
    """A new session from the configured factory (use it as a context manager)."""
    return get_factory()()
