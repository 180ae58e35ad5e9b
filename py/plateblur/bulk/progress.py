"""What the user sees on stderr during a run: a progress bar on a terminal (files, rate, time
left) or one line per photo in a log, each failure as one line, the skipped files and a summary.
``quiet``: failures only. ``chatty`` False (--json): no per-photo lines, skipped list or summary."""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TextIO


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_line(done: int, failed: int, skipped: int, plates: int, seconds: float) -> str:
    return (f"plateblur: {done} done, {failed} failed, {skipped} skipped; {plural(plates, 'plate')} found; "
            f"{seconds:.1f} s")


class Progress:
    def __init__(self, total: int, quiet: bool, chatty: bool, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.total = total
        self.chatty = chatty and not quiet
        self.bar = None
        if not quiet and self.stream.isatty():
            from tqdm import tqdm
            self.bar = tqdm(total=total, unit="photo", file=self.stream, dynamic_ncols=True, smoothing=0.1)
        self.started = time.perf_counter()
        self.done = self.failed = self.plates = 0

    def say(self, line: str) -> None:
        if self.bar is not None:
            self.bar.write(line, file=self.stream)
        else:
            print(line, file=self.stream, flush=True)

    def fail(self, path: Path | str, message: str) -> None:
        self.failed += 1
        self.say(f"plateblur: {path}: {message}")

    def record(self, record: dict) -> None:
        if "error" in record:
            self.fail(record["path"], record["error"])
        else:
            self.done += 1
            self.plates += len(record["regions"])
            if self.chatty and self.bar is None:
                self.say(f"[{self.done + self.failed}/{self.total}] {record['path']} -> "
                         f"{record.get('output', '-')}: {plural(len(record['regions']), 'plate')}")
        if self.bar is not None:
            self.bar.update()

    def finish(self, skipped: list[tuple[Path, str]]) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if not self.chatty:
            return
        for path, why in skipped:
            self.say(f"plateblur: skipped {path} ({why})")
        self.say(summary_line(self.done, self.failed, len(skipped), self.plates,
                              time.perf_counter() - self.started))
