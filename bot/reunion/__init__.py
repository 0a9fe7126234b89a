"""The reunification workflow: standing searches, re-matching, consent, disclosure, verification, erasure."""
