"""The gateway: inbound pipeline, routing, rate limits, per-contact ordering, the outbox and the Rasa client."""
