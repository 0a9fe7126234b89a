"""Fakes at the edge of the world: Twilio's REST API and Rasa's REST channel, as real HTTP servers."""
