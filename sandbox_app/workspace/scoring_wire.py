"""The scoring process's wire format: length-prefixed pickles over a pipe, one message per frame.

Both ends are this program (the window and the scoring process it started), so pickle is safe here; a frame
is a 4-byte big-endian length and the pickled message, a tuple whose first item names its kind. `read_message`
returns None when the other end has closed the pipe (it exited, crashed or was killed).
"""

from __future__ import annotations

import pickle
import struct
from typing import BinaryIO

_LENGTH = struct.Struct(">I")


def write_message(stream: BinaryIO, message: tuple) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)) + data)
    stream.flush()


def _read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_message(stream: BinaryIO) -> tuple | None:
    """The next message, or None at the end of the stream (a cut-off frame counts as the end)."""
    head = _read_exactly(stream, _LENGTH.size)
    if head is None:
        return None
    body = _read_exactly(stream, _LENGTH.unpack(head)[0])
    return None if body is None else pickle.loads(body)
