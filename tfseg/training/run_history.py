"""history.jsonl: one complete JSON line per finished epoch, replaced in one step."""

import json
import os

from tfseg.errors import DataError
from tfseg.io import atomic_write


class RunHistory:
    """The epoch records of a model dir's history.jsonl.

    The file is rewritten whole (temporary file + rename) for every epoch rather than appended
    to: an append cut short by a kill or a full disk leaves half a line, which the next append
    would glue its record onto. A history of a few hundred epochs is a few tens of kB.

    Args:
        path: the history.jsonl file.

    Attributes:
        records: the epoch records, in order.
        repaired: what `load` had to drop, as one line, or None.
    """

    def __init__(self, path):
        self.path = path
        self.records = []
        self.repaired = None

    def load(self):
        """Reads the file (a missing file is an empty history).

        A last line without its newline is what an old, appending writer left when it was
        killed: it is dropped (its epoch has no checkpoint, since the checkpoint was written
        first) and `repaired` says so. Any other line that is not a JSON record is refused.

        Returns:
            self.

        Raises:
            DataError: naming the file and the line that is not a JSON epoch record.
        """
        if not os.path.exists(self.path):
            return self
        try:
            with open(self.path, encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as error:
            raise DataError(f"{self.path}: unreadable history ({error})") from None
        lines = text.split("\n")
        if lines[-1]:  # no final newline: an interrupted append
            self.repaired = f"dropped the unfinished last line of {self.path}"
        for number, line in enumerate(lines[:-1], start=1):
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if not isinstance(record, dict) or not isinstance(record.get("epoch"), int):
                raise DataError(
                    f"{self.path}, line {number}: not a JSON epoch record ({line[:60]!r}); "
                    "restore the file, or remove it to keep training without the old records"
                )
            self.records.append(record)
        return self

    @property
    def epochs(self):
        return [record["epoch"] for record in self.records]

    def keep_until(self, epoch):
        """Drops the records after `epoch` (epochs whose checkpoint was never written).

        Returns:
            The number of records dropped.
        """
        kept = [record for record in self.records if record["epoch"] <= epoch]
        dropped = len(self.records) - len(kept)
        self.records = kept
        return dropped

    def append(self, record):
        """Adds one epoch's record and rewrites the file in one step."""
        self.records.append(record)
        self.save()

    def save(self):
        if not self.records and not os.path.exists(self.path):
            return
        atomic_write(self.path, "".join(json.dumps(record) + "\n" for record in self.records))
