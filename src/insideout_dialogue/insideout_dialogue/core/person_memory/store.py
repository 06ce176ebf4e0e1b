"""What the robot remembers about each person, kept in one SQLite file on the robot.

A memory is one short statement about the user ("The user is vegetarian."), kept per person id
(a REP-155 person, or the session's id) with the time it was said. Per person at most
`max_per_person` are kept (the least recently said or recalled go first), none longer than
`retention_days`. Recall ranks a person's memories by SQLite full-text search (FTS5, BM25) against
the utterance, then adds the person's name and their newest memories up to a limit. The store
also keeps the emotion each past conversation ended with, for the tone of the next.

Nothing here logs a memory's text. The file is created only when a store is opened: a node with
memory off never opens one.
"""

import re
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SCHEMA_VERSION = 1
MAX_TEXT_CHARS = 160
MAX_PERSON_ID_CHARS = 128
KINDS = ("name", "fact")
# Words too common to say which memory an utterance is about (every memory is "The user ...").
_NOT_SEARCHED = frozenset(
    "the user and are was were what how who when where why can could should would will you your "
    "for with this that have has had not but they them their there its it's i'm i've".split()
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS memories (
    id INTEGER PRIMARY KEY,
    person_id TEXT NOT NULL,
    text TEXT NOT NULL,
    normalized TEXT NOT NULL,
    kind TEXT NOT NULL,
    said REAL NOT NULL,
    used REAL NOT NULL,
    UNIQUE (person_id, normalized)
);
CREATE INDEX IF NOT EXISTS memories_by_person ON memories (person_id, used);
CREATE VIRTUAL TABLE IF NOT EXISTS memories_text USING fts5(
    text, content='memories', content_rowid='id', tokenize='porter unicode61'
);
CREATE TRIGGER IF NOT EXISTS memories_added AFTER INSERT ON memories BEGIN
    INSERT INTO memories_text (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER IF NOT EXISTS memories_removed AFTER DELETE ON memories BEGIN
    INSERT INTO memories_text (memories_text, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TABLE IF NOT EXISTS conversations (
    id INTEGER PRIMARY KEY,
    person_id TEXT NOT NULL,
    ended REAL NOT NULL,
    emotion TEXT NOT NULL,
    turns INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_by_person ON conversations (person_id, ended);
"""


class MemoryStoreError(RuntimeError):
    """The memory file cannot be opened or used (unwritable path, not our database)."""


@dataclass(frozen=True)
class Memory:
    person_id: str
    text: str
    kind: str  # "name" (always recalled) or "fact"
    said: float  # unix time it was last said


@dataclass(frozen=True)
class PastConversation:
    person_id: str
    ended: float  # unix time
    emotion: str  # the user's dominant emotion at its end ("" when no face was seen)
    turns: int


def normalized(text: str) -> str:
    """The text as compared for duplicates: lower case, words only."""
    return " ".join(re.findall(r"[\w']+", text.lower()))


def check_person_id(person_id: str) -> str:
    person_id = person_id.strip()
    if not person_id or len(person_id) > MAX_PERSON_ID_CHARS:
        raise ValueError(f"a person id must be 1-{MAX_PERSON_ID_CHARS} characters")
    return person_id


class PersonMemoryStore:
    def __init__(
        self,
        path: str | Path,
        max_per_person: int = 50,
        retention_days: float = 365.0,
        clock: Callable[[], float] = time.time,
    ):
        """`path`: the SQLite file (created with its folder), or ":memory:"."""
        self.path = str(path)
        self.max_per_person = max_per_person
        self.retention_s = retention_days * 86400.0
        self._clock = clock
        self._lock = threading.Lock()  # one connection, used from the node's threads
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False)
            # A forgotten memory's bytes are overwritten, not left in free pages.
            self._db.execute("PRAGMA secure_delete = ON")
            self._db.executescript(_SCHEMA)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self._db.commit()
        except (OSError, sqlite3.Error) as error:
            raise MemoryStoreError(f"cannot open the memory file {self.path}: {error}") from None
        self.prune()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- writing -------------------------------------------------------------------------------
    def remember(self, person_id: str, text: str, kind: str = "fact") -> bool:
        """Keep `text` for the person; the same statement again only refreshes its time. Returns
        True when it was new. A name replaces the person's earlier name."""
        person_id = check_person_id(person_id)
        text = " ".join(text.split())[:MAX_TEXT_CHARS]
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        key = normalized(text)
        if not key:
            return False
        now = self._clock()
        with self._lock, self._db:
            if kind == "name":
                self._db.execute(
                    "DELETE FROM memories WHERE person_id = ? AND kind = 'name' "
                    "AND normalized != ?",
                    (person_id, key),
                )
            updated = self._db.execute(
                "UPDATE memories SET said = ?, used = ? WHERE person_id = ? AND normalized = ?",
                (now, now, person_id, key),
            ).rowcount
            if not updated:
                self._db.execute(
                    "INSERT INTO memories (person_id, text, normalized, kind, said, used) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (person_id, text, key, kind, now, now),
                )
            self._bound(person_id)
        return not updated

    def note_conversation(self, person_id: str, emotion: str, turns: int) -> None:
        """A conversation with the person ended, the user feeling `emotion`."""
        person_id = check_person_id(person_id)
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO conversations (person_id, ended, emotion, turns) VALUES (?, ?, ?, ?)",
                (person_id, self._clock(), emotion, turns),
            )
            # Only the recent ones set a tone: keep a bounded history.
            self._db.execute(
                "DELETE FROM conversations WHERE person_id = ? AND id NOT IN (SELECT id FROM "
                "conversations WHERE person_id = ? ORDER BY ended DESC LIMIT ?)",
                (person_id, person_id, self.max_per_person),
            )

    def forget(self, person_id: str) -> int:
        """Everything about one person; returns how many memories went."""
        with self._lock, self._db:
            count = self._db.execute(
                "DELETE FROM memories WHERE person_id = ?", (person_id,)
            ).rowcount
            self._db.execute("DELETE FROM conversations WHERE person_id = ?", (person_id,))
            self._scrub_text_index()
        return count

    def forget_all(self) -> int:
        with self._lock, self._db:
            count = self._db.execute("DELETE FROM memories").rowcount
            self._db.execute("DELETE FROM conversations")
            self._scrub_text_index()
        return count

    def _scrub_text_index(self) -> None:
        """The full-text index keeps a deleted memory's words until its segments are merged."""
        self._db.execute("INSERT INTO memories_text (memories_text) VALUES ('optimize')")

    def prune(self) -> int:
        """Drop what is older than the retention limit; returns how many memories went."""
        oldest = self._clock() - self.retention_s
        with self._lock, self._db:
            count = self._db.execute("DELETE FROM memories WHERE said < ?", (oldest,)).rowcount
            self._db.execute("DELETE FROM conversations WHERE ended < ?", (oldest,))
        return count

    def _bound(self, person_id: str) -> None:
        self._db.execute(
            "DELETE FROM memories WHERE person_id = ? AND id NOT IN (SELECT id FROM memories "
            "WHERE person_id = ? ORDER BY kind = 'name' DESC, used DESC LIMIT ?)",
            (person_id, person_id, self.max_per_person),
        )

    # --- reading -------------------------------------------------------------------------------
    def memories(self, person_id: str | None = None) -> list[Memory]:
        """A person's memories (everyone's with None), newest first."""
        query = "SELECT person_id, text, kind, said FROM memories"
        args: tuple = ()
        if person_id is not None:
            query, args = query + " WHERE person_id = ?", (person_id,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY said DESC, id DESC", args).fetchall()
        return [Memory(*row) for row in rows]

    def persons(self) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT person_id FROM memories UNION SELECT person_id FROM conversations"
            ).fetchall()
        return sorted(row[0] for row in rows)

    def recall(self, person_id: str, utterance: str, limit: int = 5) -> list[Memory]:
        """The person's memories for this utterance: their name, those sharing words with it
        (best match first), then the newest, at most `limit`. Marks them as used."""
        words = [
            w
            for w in re.findall(r"\w+", utterance.lower())
            if len(w) > 2 and w not in _NOT_SEARCHED
        ]
        with self._lock, self._db:
            rows = self._db.execute(
                "SELECT id, person_id, text, kind, said FROM memories WHERE person_id = ? "
                "AND kind = 'name'",
                (person_id,),
            ).fetchall()
            if words:
                rows += self._db.execute(
                    "SELECT m.id, m.person_id, m.text, m.kind, m.said FROM memories_text "
                    "JOIN memories m ON m.id = memories_text.rowid WHERE memories_text MATCH ? "
                    "AND m.person_id = ? ORDER BY bm25(memories_text) LIMIT ?",
                    (" OR ".join(f'"{w}"' for w in words), person_id, limit),
                ).fetchall()
            rows += self._db.execute(
                "SELECT id, person_id, text, kind, said FROM memories WHERE person_id = ? "
                "ORDER BY said DESC, id DESC LIMIT ?",
                (person_id, limit),
            ).fetchall()
            chosen: dict[int, tuple] = {}
            for row in rows:
                if len(chosen) < limit:
                    chosen.setdefault(row[0], row)
            self._db.executemany(
                "UPDATE memories SET used = ? WHERE id = ?",
                [(self._clock(), memory_id) for memory_id in chosen],
            )
        return [Memory(*row[1:]) for row in chosen.values()]

    def last_conversation(self, person_id: str) -> PastConversation | None:
        with self._lock:
            row = self._db.execute(
                "SELECT person_id, ended, emotion, turns FROM conversations WHERE person_id = ? "
                "ORDER BY ended DESC LIMIT 1",
                (person_id,),
            ).fetchone()
        return PastConversation(*row) if row else None
