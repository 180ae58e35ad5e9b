"""What the user sees on stderr during a run: a progress bar on a terminal (files, rate, time
left; a second one in frames for the batch's videos) or one line per photo or video in a log, each
failure as one line, the skipped files and one summary line (after Ctrl-C or SIGTERM: the interrupt's,
shown even with --json or -q). Names are shown with control characters escaped (``shown``), so each
message stays one line. ``quiet``: failures only. ``chatty`` False (--json): no per-photo lines,
skipped list or summary."""
from __future__ import annotations

import sys
import threading
import time
import unicodedata
from pathlib import Path
from typing import TextIO


ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
UNSHOWN = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}    # control, format (bidi), surrogate, unassigned, breaks


def shown(text: str) -> str:
    """``text`` with control characters escaped as Python writes them (a newline as \\n, an
    undecodable byte of a file name as \\xff), so that a name cannot break or reorder a line."""
    return "".join(_escaped(ch) if unicodedata.category(ch) in UNSHOWN else ch for ch in text)


def _escaped(ch: str) -> str:
    if ch in ESCAPES:
        return ESCAPES[ch]
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:          # a byte os.fsdecode could not decode (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


COUNTED = ("plate", "face", "drawn")     # what a record's "kinds" count, in the order the lines say them
FOUND_WORDS = {"plate": "plate", "face": "face", "drawn": "region"}


def found_text(counts: dict[str, int], counted: tuple[str, ...]) -> str:
    """"3 plates, 1 face": each kind of ``counted`` (what the run hid), and any other kind present."""
    shown_kinds = [kind for kind in COUNTED if kind in counted or counts.get(kind)]
    return ", ".join(plural(counts.get(kind, 0), FOUND_WORDS[kind]) for kind in shown_kinds)


def record_counts(record: dict) -> dict[str, int]:
    """A photo's regions by kind (a record without kinds: plates, as before faces); a video's most of
    each kind in one frame."""
    if "frames" in record:
        return {"plate": record.get("plates", 0), "face": record.get("faces", 0)}
    kinds = record.get("kinds") or ["plate"] * len(record["regions"])
    return {kind: kinds.count(kind) for kind in set(kinds)}


def summary_line(done: int, failed: int, skipped: int, found: str, seconds: float, resumed: int = 0) -> str:
    there = f", {resumed} already there (--resume)" if resumed else ""
    return f"plateblur: {done} done, {failed} failed, {skipped} skipped{there}; {found} found; {seconds:.1f} s"


def interrupted_line(done: int, failed: int, not_done: int, partial: str, seconds: float) -> str:
    return f"plateblur: interrupted; {done} done, {failed} failed, {not_done} not done; {partial}; {seconds:.1f} s"


def video_line(record: dict, counted: tuple[str, ...] = ("plate",)) -> str:
    black = record["black_frames"]
    return (f"{plural(record['frames'], 'frame')}, up to {found_text(record_counts(record), counted)} in a frame"
            + (f"; {plural(black, 'frame')} could not be processed and {'was' if black == 1 else 'were'} "
               f"written black" if black else ""))


class Progress:
    """``video_frames``: callable giving the frame count of the batch's videos, asked only when a
    bar is shown (it opens each video's header)."""

    def __init__(self, total: int, quiet: bool, chatty: bool, stream: TextIO | None = None,
                 video_frames=None, counted: tuple[str, ...] = ("plate",)):
        """``counted``: the kinds of region the run hides (``Settings.kinds``; ("drawn",) for --regions)."""
        self.stream = stream or sys.stderr
        self.total = total
        self.chatty = chatty and not quiet
        self.bar = self.frames = None
        self.lock = threading.Lock()
        if not quiet and self.stream.isatty():
            from tqdm import tqdm
            self.bar = tqdm(total=total, unit="file" if video_frames else "photo", file=self.stream, dynamic_ncols=True, smoothing=0.1)
            frames = video_frames() if video_frames else 0
            if frames:
                self.frames = tqdm(total=frames, unit="frame", file=self.stream, dynamic_ncols=True,
                                   smoothing=0.1, position=1, desc="video")
        self.started = time.perf_counter()
        self.done = self.failed = 0
        self.counted = counted
        self.found: dict[str, int] = {}
        self.finished = 0            # tasks that ended (done or failed), not stopped by an interrupt

    def say(self, line: str) -> None:
        line = shown(line)
        if self.bar is not None:
            self.bar.write(line, file=self.stream)
        else:
            print(line, file=self.stream, flush=True)

    def fail(self, path: Path | str, message: str) -> None:
        self.failed += 1
        self.say(f"plateblur: {path}: {message}")

    def frame(self) -> None:
        """One video frame done (called from the threads that work on videos)."""
        if self.frames is not None:
            with self.lock:
                self.frames.update()

    def record(self, record: dict) -> None:
        if record.get("interrupted"):
            return                   # not a failure: the interrupt summary counts it as not done
        self.finished += 1
        if "error" in record:
            self.fail(record["path"], record["error"])
        else:
            self.done += 1
            video = "frames" in record
            counts = record_counts(record)
            for kind, n in counts.items():
                self.found[kind] = self.found.get(kind, 0) + n
            if self.chatty and self.bar is None:
                what = video_line(record, self.counted) if video else found_text(counts, self.counted)
                self.say(f"[{self.done + self.failed}/{self.total}] {record['path']} -> "
                         f"{record.get('output', '-')}: {what}")
            elif video and record["black_frames"] and self.bar is not None:
                self.say(f"plateblur: {record['path']}: {video_line(record, self.counted)}")
        if self.bar is not None:
            self.bar.update()

    def finish(self, skipped: list[tuple[Path, str]], resumed: int = 0) -> None:
        self._close_bars()
        if not self.chatty:
            return
        for path, why in skipped:
            self.say(f"plateblur: skipped {path} ({why})")
        self.say(summary_line(self.done, self.failed, len(skipped), found_text(self.found, self.counted),
                              time.perf_counter() - self.started, resumed))

    def nothing_found(self, skipped: list[tuple[Path, str]]) -> None:
        """The run's one summary when no input was a photo or video to anonymise."""
        self._close_bars()
        if self.chatty:
            for path, why in skipped:
                self.say(f"plateblur: skipped {path} ({why})")
        self.say("plateblur: no photos or videos to anonymise among the inputs"
                 + (f" ({len(skipped)} skipped)" if skipped else ""))

    def interrupted(self, skipped: list[tuple[Path, str]], partial: str) -> None:
        """The run's one summary after Ctrl-C or SIGTERM; ``partial`` says what is left of unfinished files."""
        self._close_bars()
        if self.chatty:
            for path, why in skipped:
                self.say(f"plateblur: skipped {path} ({why})")
        self.say(interrupted_line(self.done, self.failed, self.total - self.finished, partial,
                                  time.perf_counter() - self.started))

    def _close_bars(self) -> None:
        for bar in (self.frames, self.bar):
            if bar is not None:
                bar.close()
        self.bar = self.frames = None
