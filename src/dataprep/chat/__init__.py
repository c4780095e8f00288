"""Chat exports to conversation JSONL: readers, message cleaning, sessions, samples, writers."""
