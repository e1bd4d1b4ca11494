"""Writing the files a user names, and nothing else.

Every chaingrad call that writes a file (``Graph.render``, ``draw_steps``, ``nn.Module.save``, the command
line's ``-o``) writes it with `write_atomic`: the bytes go to a temporary file beside the target, which is then
renamed over the target in one step, so a crash never leaves half a file. A symbolic link is followed (the file
it points to is replaced; the link stays a link); anything at the path that is not a regular file (a folder, a
FIFO, a device, a socket) is refused before anything is written. No other path is written or deleted, except
the temporary files of this very mechanism that a killed process left behind. Reading (``nn.Module.load``)
follows links too and refuses what is not a regular file, so that a FIFO never blocks a call.

The internal API, for the other modules of chaingrad (``nn`` included): ``write_atomic(path, data, what)``;
``check_target(path, what)`` and ``check_folder(path, what)``, which raise what a write there would raise,
writing nothing (so that a command checks every output before it writes the first); ``read_regular(path,
what)``.
"""

import contextlib
import errno
import os
import secrets
import stat
import time

__all__ = ["write_atomic", "check_target", "check_folder", "read_regular"]

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
    target, mode = _target(path, what)
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


def check_target(path: "str | os.PathLike[str]", what: str) -> str:
    """The file `write_atomic` would write at ``path`` (a link's target), or the error it would raise there:
    the target is not a regular file, or its folder is missing, not a folder or not writable. Writes nothing.

    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> check_target(os.path.join(folder, "new.svg"), "-o") == os.path.join(os.path.realpath(folder), "new.svg")
    True
    >>> check_target(os.path.join(folder, "no", "new.svg"), "-o")
    Traceback (most recent call last):
    ...
    FileNotFoundError: [Errno 2] -o: cannot write ...: No such file or directory: ...
    """
    target, _ = _target(path, what)
    folder = os.path.dirname(target)
    try:
        mode = os.stat(folder).st_mode
    except OSError as e:
        raise _named(e, what, target) from None
    if not stat.S_ISDIR(mode):
        raise _named(OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR)), what, target)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise _named(PermissionError(errno.EACCES, os.strerror(errno.EACCES)), what, target)
    return target


def check_folder(path: "str | os.PathLike[str]", what: str) -> str:
    """The folder a call would make at ``path`` (links followed; missing parents made too) and write files
    into, or the error that would stop it: something at ``path`` that is not a folder, an ancestor that is
    not a folder, a folder that is not writable. An empty path (the current folder, by accident) is
    refused with ValueError. Writes nothing; returns the folder's real path.

    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> check_folder(os.path.join(folder, "new", "deeper"), "out_dir").endswith("deeper")
    True
    >>> check_folder("", "out_dir")
    Traceback (most recent call last):
    ...
    ValueError: out_dir: the folder name is empty; give a folder, e.g. 'steps' ('.' for the current one)
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{what} must be a str or a path, got {path!r} of type {type(path).__name__}")
    given = os.fspath(path)
    if not isinstance(given, str):
        raise TypeError(f"{what} must be a str or a path, got {path!r}")
    if not given:
        raise ValueError(f"{what}: the folder name is empty; give a folder, e.g. 'steps' ('.' for the current one)")
    _no_nul(given, what)
    real = os.path.realpath(given)
    place = real
    while True:
        try:
            mode = os.stat(place).st_mode
        except FileNotFoundError:
            parent = os.path.dirname(place)
            if parent == place:
                raise _named(FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT)), what, real) from None
            place = parent
            continue
        except OSError as e:
            raise _named(e, what, real) from None
        break
    if not stat.S_ISDIR(mode):
        if place == real:
            raise FileExistsError(
                errno.EEXIST,
                f"{what}: {given!r} is {_KINDS.get(stat.S_IFMT(mode), 'a file')}, not a folder; "
                f"give a folder for the files (it is made if missing)",
                given,
            )
        raise _named(NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR)), what, real)
    if not os.access(place, os.W_OK | os.X_OK):
        raise _named(PermissionError(errno.EACCES, os.strerror(errno.EACCES)), what, place)
    return real


def read_regular(path: "str | os.PathLike[str]", what: str) -> bytes:
    """The bytes of the regular file at ``path`` (links followed); OSError for anything else (a folder, a FIFO,
    a device), raised without waiting: a FIFO is opened without blocking and refused.

    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp(); os.mkfifo(os.path.join(folder, "fifo"))
    >>> read_regular(os.path.join(folder, "fifo"), "load")
    Traceback (most recent call last):
    ...
    OSError: [Errno 22] load: refusing to read ...: it is a FIFO, not a regular file: ...
    """
    name = os.fspath(path)
    _no_nul(name, what)
    fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as f:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
            raise OSError(errno.EINVAL, f"{what}: refusing to read {name!r}: it is {kind}, not a regular file", name)
        return f.read()


def _target(path: "str | os.PathLike[str]", what: str) -> tuple[str, int | None]:
    """(the file a write at path replaces, through every link; its mode, None if it does not exist), or
    FileExistsError if it exists and is not a regular file."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{what} must be a str or a path, got {path!r} of type {type(path).__name__}")
    given = os.fspath(path)
    if not isinstance(given, str):
        raise TypeError(f"{what} must be a str or a path, got {path!r}")
    _no_nul(given, what)
    if given.endswith((os.sep, os.altsep or os.sep)) or os.path.basename(given) in ("", ".", ".."):
        raise IsADirectoryError(errno.EISDIR, f"{what}: {given!r} names a folder; give the name of a file", given)
    target = os.path.realpath(given)  # through every symbolic link, to the file it names
    try:
        mode: int | None = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as e:
        raise _named(e, what, target) from None
    if mode is not None and not stat.S_ISREG(mode):
        kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
        raise FileExistsError(
            errno.EEXIST,
            f"{what}: refusing to replace {given!r}: it is {kind}, not a regular file; "
            f"give the path of a regular file or a new one",
            given,
        )
    return target, mode


def _no_nul(path: str, what: str) -> None:
    if "\0" in path:
        raise ValueError(f"{what}: a path cannot contain a NUL character, got {path!r}")


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
