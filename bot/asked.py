"""What people ask, recorded off the reply path (the text only when it was not understood,
never who asked): kept in memory for a moment and inserted behind, in one statement, with what
`bot.people` writes behind (every second on the job queue, and at stop, before the database
closes). These are the staff's anonymous counts (/statistiche) and texts (/domande), nothing a
person decided: a SIGKILL loses at most the last second of them. Their readers write behind
first (`BotData.write_behind`)."""

from __future__ import annotations

from datetime import datetime

from storage.labs import NewQuestion, QuestionsRepo


class Asked:
    def __init__(self, questions: QuestionsRepo):
        self._questions = questions
        self._pending: list[NewQuestion] = []

    def record(self, intent: str, subject: str | None, text: str | None, now: datetime) -> None:
        self._pending.append(NewQuestion(now, intent, subject, text))

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def flush(self) -> int:
        """Insert what is pending, in one statement; returns how many questions."""
        if not self._pending:
            return 0
        batch, self._pending = self._pending, []
        try:
            await self._questions.record_many(batch)
        except Exception:
            self._pending[:0] = batch  # written with the next flush, in their order
            raise
        return len(batch)
