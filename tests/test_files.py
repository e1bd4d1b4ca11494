"""autograd.files.write_atomic, as Module.save and Graph.render use it: the file named is replaced in one step or
not at all, no temporary file is left behind (nor one of a killed process, at the next write), a link is followed,
what is not a regular file is refused, and permissions are kept (a new file gets the umask's)."""

import os

import pytest

from autograd.files import write_atomic


def save(path, text="{}"):
    """What Module.save does with its JSON text."""
    write_atomic(path, text.encode(), "save")


def test_save_is_atomic_when_the_rename_fails(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    save(path, "one")
    before = path.read_text()

    def crash(src, dst):
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk gone"):
        save(path, "two")
    assert path.read_text() == before
    assert os.listdir(tmp_path) == ["model.json"]


def test_failed_save_names_the_target_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "missing" / "m.json"
    with pytest.raises(FileNotFoundError) as exc:
        save(target)
    assert exc.value.filename == str(target) and "chaingrad-tmp" not in str(exc.value)
    (tmp_path / "folder.json").mkdir()
    with pytest.raises(OSError) as exc:
        save(tmp_path / "folder.json")  # the target is a directory: the rename fails
    assert exc.value.filename == str(tmp_path / "folder.json") and "chaingrad-tmp" not in str(exc.value)
    assert os.listdir(tmp_path) == ["folder.json"] and os.listdir(tmp_path / "folder.json") == []


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_no_temporary_file_after_an_error_while_writing(tmp_path, monkeypatch, error):
    def fail(fd):
        raise error

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(type(error)) as exc:
        save(tmp_path / "m.json")
    if isinstance(error, OSError):
        assert exc.value.filename == str(tmp_path / "m.json")
    assert os.listdir(tmp_path) == []


def test_temporary_file_of_a_killed_save_is_removed_by_the_next_save(tmp_path):
    import subprocess
    import sys

    target = tmp_path / "m.json"
    script = (
        "import os, signal\n"
        "from autograd.files import write_atomic\n"
        "os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)\n"  # killed in the middle of the write
        f"write_atomic({str(target)!r}, b'{{}}', 'save')\n"
    )
    if os.name != "posix":
        pytest.skip("SIGKILL and the process check are POSIX")
    subprocess.run([sys.executable, "-c", script], check=False, timeout=60)
    left = os.listdir(tmp_path)
    assert len(left) == 1 and left[0].startswith("m.json.") and left[0].endswith(".chaingrad-tmp")
    (tmp_path / "other.json.1.abcdef12.chaingrad-tmp").write_text("not ours: another target")
    save(target)
    assert sorted(os.listdir(tmp_path)) == ["m.json", "other.json.1.abcdef12.chaingrad-tmp"]


def test_save_follows_a_link_and_refuses_what_is_not_a_regular_file(tmp_path):
    real, link = tmp_path / "real.json", tmp_path / "link.json"
    save(real, "old")
    link.symlink_to(real)
    assert write_atomic(link, b"new", "save") == str(real)  # the file the link names is updated
    assert link.is_symlink() and os.readlink(link) == str(real) and real.read_text() == "new"
    os.mkfifo(tmp_path / "fifo.json")
    (tmp_path / "folder.json").mkdir()
    for name in ("fifo.json", "folder.json"):
        with pytest.raises(FileExistsError, match=rf"save: refusing to replace .*{name}'.*not a regular file"):
            save(tmp_path / name)
    assert (tmp_path / "fifo.json").is_fifo() and (tmp_path / "folder.json").is_dir()
    assert sorted(os.listdir(tmp_path)) == ["fifo.json", "folder.json", "link.json", "real.json"]


def test_save_keeps_the_permissions_of_the_file_it_replaces(tmp_path):
    if os.name != "posix":
        pytest.skip("file modes are POSIX")
    target = tmp_path / "m.json"
    target.write_text("{}")
    target.chmod(0o600)
    save(target)
    assert target.stat().st_mode & 0o777 == 0o600


def test_save_uses_the_umask(tmp_path):
    if os.name != "posix":
        pytest.skip("file modes are POSIX")
    old = os.umask(0o022)
    try:
        save(tmp_path / "m.json")
    finally:
        os.umask(old)
    assert (tmp_path / "m.json").stat().st_mode & 0o777 == 0o644
