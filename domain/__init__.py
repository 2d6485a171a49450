"""Feature logic that is not Telegram-specific: plain functions over plain data, easy to test and
to benchmark (the directory, distances, understanding questions)."""
