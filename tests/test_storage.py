"""Free space in the data folder: the disk's, and the volume's own limit."""

from __future__ import annotations

import shutil

from transcribe import storage

MB = storage.MB


def test_the_limit_comes_from_the_environment():
    assert storage.data_limit({"TRANSCRIBE_DATA_LIMIT_MB": "20480"}) == 20480 * MB
    assert storage.data_limit({"TRANSCRIBE_DATA_LIMIT_MB": " 1.5 "}) == int(1.5 * MB)
    for unset in ({}, {"TRANSCRIBE_DATA_LIMIT_MB": ""}, {"TRANSCRIBE_DATA_LIMIT_MB": "lots"},
                  {"TRANSCRIBE_DATA_LIMIT_MB": "0"}, {"TRANSCRIBE_DATA_LIMIT_MB": "-5"}):
        assert storage.data_limit(unset) is None


def test_free_space_is_the_limit_less_what_the_folder_holds(tmp_path):
    (tmp_path / "jobs" / "a").mkdir(parents=True)
    (tmp_path / "jobs" / "a" / "source.wav").write_bytes(b"x" * 3 * MB)
    (tmp_path / "uploads").mkdir()
    (tmp_path / "uploads" / "spooled").write_bytes(b"x" * 2 * MB)
    used = storage.used_bytes(tmp_path)
    assert 5 * MB <= used < 5 * MB + 64 * 1024  # blocks, not less than the bytes
    assert storage.free_bytes(tmp_path, 100 * MB) == 100 * MB - used
    assert storage.free_bytes(tmp_path, 4 * MB) == 0  # past the limit: nothing, not less
    disk = shutil.disk_usage(tmp_path).free
    assert abs(storage.free_bytes(tmp_path) - disk) < 64 * MB  # no limit: the disk's


def test_an_upload_fits_with_the_margin_and_what_others_reserved(tmp_path):
    limit = 200 * MB
    used = storage.used_bytes(tmp_path)
    room = limit - used - storage.MARGIN
    assert storage.fits(tmp_path, room, limit)
    assert not storage.fits(tmp_path, room + 1, limit)
    assert not storage.fits(tmp_path, room - 10 * MB, limit, reserved=11 * MB)


def test_disk_full_errors():
    import errno

    assert storage.disk_full(OSError(errno.ENOSPC, "full"))
    assert storage.disk_full(OSError(errno.EDQUOT, "quota"))
    assert not storage.disk_full(OSError(errno.EACCES, "denied"))
    assert not storage.disk_full(ValueError())


def test_what_the_folder_holds_is_counted_exactly_in_blocks(tmp_path):
    import os

    assert storage.used_bytes(tmp_path) == 0
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one").write_bytes(b"x" * 70_000)
    (tmp_path / "two").write_bytes(b"y")
    blocks = sum(os.lstat(p).st_blocks * 512 for p in tmp_path.rglob("*") if p.is_file())
    assert storage.used_bytes(tmp_path) == blocks
    nested = tmp_path / "not" / "yet"
    assert storage.free_bytes(nested) > 0 and nested.is_dir()  # made, parents too
    assert storage.data_limit({"TRANSCRIBE_DATA_LIMIT_MB": "0.5"}) == MB // 2


def test_a_write_is_whole_or_absent_and_leaves_no_temporary_file(tmp_path):
    """The one atomic write (records, transcripts, exports, checkpoints): a failure
    midway keeps the previous file and removes its temporary file."""
    path = tmp_path / "record.json"
    storage.write_atomically(path, "first")
    storage.write_atomically(path, b"second")
    assert path.read_text() == "second"

    def fails_midway(temporary):
        temporary.write_text("half")
        raise OSError(28, "No space left on device")

    try:
        storage.write_atomically(path, fails_midway)
    except OSError:
        pass
    assert path.read_text() == "second" and sorted(tmp_path.iterdir()) == [path]


def test_a_file_that_cannot_be_looked_at_hides_none_of_the_others(tmp_path):
    """A file whose status cannot be read (here: its full path is longer than the system
    takes; in use, a file removed while the folder is walked) is skipped, and the rest of
    its folder is still counted."""
    import os

    deep = tmp_path
    while len(str(deep)) < 3850:  # under the system's 4096, but not with a long name
        deep = deep / ("d" * 200)
    deep.mkdir(parents=True)
    folder = os.open(deep, os.O_RDONLY)
    try:
        for n in range(10):
            os.close(os.open(f"{n}{'x' * 250}", os.O_CREAT | os.O_WRONLY, dir_fd=folder))
            (deep / f"f{n}").write_bytes(b"y" * 5000)
    finally:
        os.close(folder)
    blocks = sum(os.lstat(deep / f"f{n}").st_blocks * 512 for n in range(10))
    assert blocks > 0 and storage.used_bytes(tmp_path) == blocks


def test_a_write_that_fails_before_its_file_exists_raises_its_own_error(tmp_path):
    """A disk too full to make even the temporary file: the caller is told that (its
    full-disk handling depends on it), not that there was no temporary file to remove."""
    import errno

    import pytest

    def full_at_once(temporary):
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError) as caught:
        storage.write_atomically(tmp_path / "record.json", full_at_once)
    assert storage.disk_full(caught.value) and list(tmp_path.iterdir()) == []
