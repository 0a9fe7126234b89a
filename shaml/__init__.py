"""shaml package."""
