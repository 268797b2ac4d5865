"""Reading and writing registry CSV files: encoding detection, streaming, and the file's SHA-256.

A file is read once, as a stream: memory stays flat whatever its size. The encoding is decided from the
first 64 KiB (UTF-8 with or without BOM, else CP932); a byte later in the file that does not fit makes a
problem on its row rather than stopping the read, so every bad row is reported.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from .problems import Problem, problem

HEAD_BYTES = 64 * 1024
ENCODINGS = ("utf-8", "cp932")
_UNDECODABLE = re.compile("[\udc80-\udcff]")  # bytes kept by surrogateescape
csv.field_size_limit(1 << 20)


class _HashingReader(io.RawIOBase):
    """Passes bytes through and feeds them to a SHA-256 on the way."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.sha256.update(data)
        self.size += n
        return n


def detect_encoding(head: bytes) -> str | None:
    """utf-8-sig, utf-8 or cp932 for the first bytes of a file; None when it is none of them."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ENCODINGS:
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return encoding
    return None


@dataclass
class CsvReading:
    """A registry CSV being read: its encoding and header, then its rows (once)."""

    encoding: str
    header: list[str]
    problems: list[Problem] = field(default_factory=list)  # problems with the file as a whole
    _reader: Iterator[list[str]] | None = None
    _hashing: _HashingReader | None = None

    def rows(self) -> Iterator[tuple[int, list[str] | None, Problem | None]]:
        """(row number, values, None), or (row number, None, problem) for a row that cannot be read."""
        if self._reader is None:
            return
        row = 1
        display = "UTF-8" if self.encoding.startswith("utf-8") else self.encoding.upper()
        while True:
            try:
                values = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                row += 1
                yield row, None, problem(row, "", "csv_syntax", detail=str(exc))
                continue
            row += 1
            if not values:
                continue  # a blank line: counted as a row, as a spreadsheet shows it, but not read
            if _UNDECODABLE.search("".join(values)):
                yield row, None, problem(row, "", "bad_encoding", encoding=display)
                continue
            yield row, values, None

    @property
    def sha256(self) -> str:
        return self._hashing.sha256.hexdigest() if self._hashing else ""

    @property
    def size(self) -> int:
        return self._hashing.size if self._hashing else 0


def read_registry_csv(stream: BinaryIO, encoding: str | None = None) -> CsvReading:
    """Open a registry CSV from a seekable binary stream; ``encoding`` None detects it.

    The header is read at once; ``rows()`` streams the rest. Problems of the file as a whole (unknown
    encoding, no header) are in ``problems`` and then ``rows()`` yields nothing.
    """
    head = stream.read(HEAD_BYTES)
    stream.seek(0)
    detected = encoding or detect_encoding(head)
    if detected is None:
        return CsvReading("", [], [problem(0, "", "encoding_unknown")])
    if detected == "utf-16":
        return CsvReading(detected, [], [problem(0, "", "encoding_utf16")])
    if detected == "utf-8" and head.startswith(codecs.BOM_UTF8):
        detected = "utf-8-sig"
    hashing = _HashingReader(stream)
    text = io.TextIOWrapper(
        io.BufferedReader(hashing, buffer_size=1 << 20),
        encoding=detected,
        errors="surrogateescape",
        newline="",
    )
    reader = csv.reader(text)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        header = []
    if not any(value.strip() for value in header):
        return CsvReading(detected, [], [problem(0, "", "empty_file")], None, hashing)
    return CsvReading(detected, header, [], reader, hashing)


def write_registry_csv(
    stream: BinaryIO,
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    encoding: str = "utf-8",
    *,
    line_ending: str = "\r\n",
) -> list[tuple[int, str, str]]:
    """Write header and rows as CSV (CRLF line ends unless told) in ``encoding``; returns what could not be
    encoded.

    In CP932 a character outside the code page is written as 〓 (ゲタ), and listed as (row, column, character)
    so the caller can report it; UTF-8 writes everything (``utf-8-sig`` with a byte order mark).
    """
    text = io.TextIOWrapper(stream, encoding=encoding, errors="strict", newline="", write_through=False)
    writer = csv.writer(text, lineterminator=line_ending)
    lost: list[tuple[int, str, str]] = []
    writer.writerow(header)
    check = encoding.lower().replace("_", "-") not in ("utf-8", "utf-8-sig")
    for number, row in enumerate(rows, start=2):
        if check:
            row = list(row)
            for index, value in enumerate(row):
                try:
                    value.encode(encoding)
                except UnicodeEncodeError:
                    kept = []
                    for ch in value:
                        try:
                            ch.encode(encoding)
                            kept.append(ch)
                        except UnicodeEncodeError:
                            lost.append((number, header[index], ch))
                            kept.append("〓")
                    row[index] = "".join(kept)
        writer.writerow(row)
    text.flush()
    text.detach()
    return lost
