"""Writing the files a user names, and nothing else.

Every chaingrad call that writes a file (``Graph.render``, ``draw_steps``, ``nn.Module.save``, the command
line's ``-o``) writes it with `write_atomic`: the bytes go to a temporary file beside the target, which is then
renamed over the target in one step, so a crash never leaves half a file. A symbolic link is followed (the file
it points to is replaced; the link stays a link); anything at the path that is not a regular file (a folder, a
FIFO, a device, a socket) is refused before anything is written. No other path is written or deleted, except
the temporary files of this very mechanism that a killed process left behind.

The internal API, for the other modules of chaingrad (``nn`` included): ``write_atomic(path, data, what)``.
"""

import contextlib
import os
import secrets
import stat
import time

__all__ = ["write_atomic"]

_TMP_SUFFIX = ".chaingrad-tmp"
_KINDS = {stat.S_IFDIR: "a folder", stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a device", stat.S_IFBLK: "a device"}


def write_atomic(path: "str | os.PathLike[str]", data: bytes, what: str) -> str:
    """Write ``data`` to ``path`` in one step; returns the path of the file written (a link's target).

    The temporary file is ``<target>.<pid>.<random>.chaingrad-tmp`` in the target's folder; on any error it
    is removed and the error (an ``OSError``, ``what`` first) names the target. An existing target keeps its
    permission bits; a new one gets those of any new file (the umask applies). An existing target that is not
    a regular file raises ``FileExistsError`` and nothing is written.

    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> write_atomic(os.path.join(folder, "a.txt"), b"hello", "save") == os.path.join(os.path.realpath(folder), "a.txt")
    True
    >>> write_atomic(folder, b"hello", "save")
    Traceback (most recent call last):
    ...
    FileExistsError: [Errno 17] save: refusing to replace ... it is a folder, not a regular file...
    """
    target = os.path.realpath(os.fspath(path))  # through every symbolic link, to the file it names
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as e:
        raise _named(e, what, target) from None
    if mode is not None and not stat.S_ISREG(mode):
        kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
        raise FileExistsError(
            17,
            f"{what}: refusing to replace {os.fspath(path)!r}: it is {kind}, not a regular file; "
            f"give the path of a regular file or a new one",
            os.fspath(path),
        )
    folder, base = os.path.split(target)
    _remove_stale(folder, base)
    tmp = None
    try:
        tmp, fd = _create_temporary(folder, base)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, stat.S_IMODE(mode))
        os.replace(tmp, target)
    except BaseException as e:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        if isinstance(e, OSError):
            raise _named(e, what, target) from None
        raise
    return target


def _named(e: OSError, what: str, target: str) -> OSError:
    """The error, naming the target (not the temporary file) and who was writing."""
    if e.errno:
        return type(e)(e.errno, f"{what}: cannot write {target!r}: {e.strerror}", target)
    return OSError(f"{what}: cannot write {target!r}: {e}")


def _create_temporary(folder: str, base: str) -> tuple[str, int]:
    """(path, fd) of a new file ``<base>.<pid>.<random>.chaingrad-tmp`` in folder, made with the umask's mode."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = os.path.join(folder, f"{base}.{os.getpid()}.{secrets.token_hex(4)}{_TMP_SUFFIX}")
        try:
            return tmp, os.open(tmp, flags, 0o666)
        except FileExistsError:
            continue


def _remove_stale(folder: str, base: str) -> None:
    """Remove temporary files of earlier writes to ``folder/base`` whose process is gone."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return  # the write itself will report the problem with the folder
    for entry in entries:
        name = entry.name
        if not (name.startswith(base + ".") and name.endswith(_TMP_SUFFIX)):
            continue
        pid, _, token = name[len(base) + 1 : -len(_TMP_SUFFIX)].partition(".")
        if not (pid.isdigit() and len(token) == 8) or int(pid) == os.getpid():
            continue
        if _gone(int(pid), entry):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def _gone(pid: int, entry: "os.DirEntry[str]") -> bool:
    """True if the process that wrote a temporary file has ended (without POSIX: the file is a day old)."""
    if os.name != "posix":
        try:
            return time.time() - entry.stat().st_mtime > 86400
        except OSError:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # e.g. PermissionError: it exists, as another user
        return False
    return False
