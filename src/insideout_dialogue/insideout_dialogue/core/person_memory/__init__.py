"""Per-person long-term memory (issue 29): the store, the notes taken after a turn, and the
recalled memories put into the prompts."""
