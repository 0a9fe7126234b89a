"""The assistant's custom actions (rasa-sdk): thin actions over plain modules; see docs/assistant.md."""
