"""Writing the user's files safely: a temp file in the same folder, renamed into place, or nothing at all.

Every file the app writes for a user (CSV extracts, schema files, new scenarios) goes through `atomic_write`:
an existing file is replaced only with ``force``, a symbolic link is never written through, and a write that
fails (disk full, no permission, killed) leaves the previous file as it was and no half-written one.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from sandbox_app.errors import Problem, SandboxError, clip

PARTIAL_SUFFIX = ".partial"
MAX_SHOWN_NAME = 200  # characters of a user's file name echoed in a message


def shown(name: object, limit: int = MAX_SHOWN_NAME) -> str:
    """A user-supplied name for a message, cut to `limit` characters (a megabyte-long name stays one line)."""
    return clip(name, limit)


def _fail(path: Path, message: str, hint: str | None, error: type[SandboxError]) -> None:
    raise error([Problem(shown(path), None, "", message, hint)])


def check_target(path: Path, *, force: bool, error: type[SandboxError] = SandboxError) -> None:
    """Refuse a target that is a link, a folder, an existing file (without `force`) or in a missing folder."""
    if path.is_symlink():
        _fail(path, "is a symbolic link; not writing through it", "give the real file name", error)
    if path.is_dir():
        _fail(path, "is a folder", "give a file name inside it", error)
    if path.exists() and not path.is_file():
        _fail(path, "is not a regular file (a device or a pipe?)", "give a plain file name", error)
    if path.exists() and not force:
        _fail(path, "already exists", "use --force to replace it", error)
    parent = path.parent
    if not parent.exists():
        _fail(path, f"folder {shown(parent)} does not exist", "create it first, or give another path", error)
    if not parent.is_dir():
        _fail(path, f"{shown(parent)} is not a folder", None, error)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def os_error_message(err: OSError) -> str:
    """A plain sentence for a failed write."""
    if err.errno == errno.ENOSPC:
        return "the disk is full"
    if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "no permission to write there"
    return f"cannot write the file: {err.strerror or err}"


def atomic_write(path: str | Path, data: bytes | str | Callable[[Path], None], *, force: bool = False,
                 error: type[SandboxError] = SandboxError) -> Path:
    """Write `data` (bytes, text as UTF-8, or a callback that writes the given temp path) to `path`.

    The temp file is ``.NAME.XXXX.partial`` beside the target, fsynced, then renamed over it; on any failure it
    is removed and `error` says why in one sentence. Returns the path written.
    """
    path = Path(path)
    check_target(path, force=force, error=error)
    try:
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:100]}.", suffix=PARTIAL_SUFFIX)
    except OSError as err:
        _fail(path, os_error_message(err), None, error)
    tmp = Path(tmp_name)
    try:
        if callable(data):
            os.close(fd)
            data(tmp)
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(data.encode("utf-8") if isinstance(data, str) else data)
                f.flush()
                os.fsync(f.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask())
        if path.is_symlink():  # appeared while writing: still not followed
            _fail(path, "became a symbolic link while writing; not replacing it", None, error)
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        _fail(path, os_error_message(err), None, error)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return path


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable (best effort: some systems cannot open a folder for fsync)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
