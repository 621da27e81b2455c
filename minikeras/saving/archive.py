"""The container: zip archives of ``config.json`` and ``.npy`` arrays, written atomically and
read defensively.

Writing goes to a temporary file in the target's folder, which is flushed, fsynced and then
renamed over the target (``os.replace``), so a reader sees the old file or the new one,
never a half-written one, and a failed write leaves no temporary file behind.

Reading trusts nothing in the file. Members must be stored uncompressed (so a member's
size is backed by bytes really in the file: no zip bombs), unencrypted and unique; JSON is
parsed without NaN or Infinity; an array's ``.npy`` header (dtype and shape) is parsed
with numpy's literal parser and checked before a byte of its data is read, object and
structured dtypes are refused, and nothing is ever unpickled. Every problem raises
:class:`ModelFileError`.
"""

import contextlib
import io
import json
import math
import os
import tempfile
import zipfile

import numpy as np

__all__ = ["ModelFileError", "atomic_write", "write_archive", "ArchiveReader"]

#: The largest ``config.json`` accepted.
MAX_JSON_BYTES = 16 << 20
#: The largest ``.npy`` header accepted (numpy writes 128 bytes or a few more).
MAX_HEADER_BYTES = 1 << 16
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # byte-identical files for identical models


class ModelFileError(ValueError):
    """A model or weights file is malformed, truncated, forged, or does not fit the model.

    Raised for every problem found while reading such a file; whatever was being loaded
    into is left unchanged.
    """


# ---------------------------------------------------------------------- writing
def atomic_write(path, write):
    """Create or replace ``path`` with what ``write(file)`` writes, atomically.

    Raises
    ------
    FileNotFoundError
        If the folder of ``path`` does not exist.
    IsADirectoryError
        If ``path`` is a folder.
    """
    path = os.path.realpath(os.fspath(path))  # through a symlink to the file it names
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            f"Cannot save to {path!r}: the folder {folder!r} does not exist."
        )
    if os.path.isdir(path):
        raise IsADirectoryError(f"Cannot save to {path!r}: it is a folder; give a file name.")
    mode = _new_file_mode(path)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.",
                                         suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_folder(folder)


def _new_file_mode(path):
    """The mode the file gets: the old file's, or what the umask allows a new one."""
    if os.path.exists(path):
        return os.stat(path).st_mode & 0o777
    return 0o666 & ~_umask()


def _umask():
    """The process umask, read without changing it where the platform tells it."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    umask = os.umask(0o022)  # elsewhere: set and restore at once
    os.umask(umask)
    return umask


def _fsync_folder(folder):
    """Make the rename itself durable (where the platform can open a folder)."""
    with contextlib.suppress(OSError):
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def write_archive(file, config, arrays):
    """Write a zip of ``config.json`` (if ``config`` is not None) and ``{member: array}``."""
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED) as archive:
        if config is not None:
            text = json.dumps(config, indent=1, allow_nan=False).encode("utf-8")
            archive.writestr(zipfile.ZipInfo("config.json", _FIXED_TIME), text)
        for member, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(member, _FIXED_TIME), buffer.getvalue())


# ---------------------------------------------------------------------- reading
class ArchiveReader:
    """Read a zip archive of JSON and ``.npy`` members written by :func:`write_archive`.

    Parameters
    ----------
    path : str or path-like

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ModelFileError
        If it is not a zip archive minikeras accepts.
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        if not os.path.isfile(self.path):
            raise FileNotFoundError(f"No file {self.path!r} to load.")
        self._file = open(self.path, "rb")
        try:
            self._zip = zipfile.ZipFile(self._file)
            infos = self._zip.infolist()
        except Exception as error:  # zipfile raises many kinds on damaged input
            self.close()
            raise ModelFileError(
                f"{self.path!r} is not a minikeras file (not a readable zip archive: "
                f"{_describe(error)})."
            ) from None
        self.members = {}
        for info in infos:
            problem = _member_problem(info, self.members)
            if problem:
                self.close()
                raise ModelFileError(f"{self.path!r}: member {info.filename!r} {problem}.")
            self.members[info.filename] = info
        problem = _extent_problem(infos, getattr(self._zip, "start_dir", None))
        if problem:
            self.close()
            raise ModelFileError(f"{self.path!r}: {problem}; the archive is forged or damaged.")

    def close(self):
        """Close the file."""
        with contextlib.suppress(Exception):
            self._zip.close()
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def has(self, member):
        """Whether the archive holds a member of that name.

        Parameters
        ----------
        member : str
            A member name, such as ``"config.json"`` or ``"weights/00000.npy"``.

        Returns
        -------
        bool
        """
        return member in self.members

    def _open(self, member):
        if member not in self.members:
            raise ModelFileError(f"{self.path!r} has no member {member!r}.")
        try:
            return self._zip.open(self.members[member])
        except Exception as error:
            raise ModelFileError(f"{self.path!r}: member {member!r} is unreadable: "
                                 f"{_describe(error)}.") from None

    def _read(self, stream, member, count):
        try:
            data = stream.read(count)
            beyond = stream.read(1)  # reading to the end makes zipfile check the CRC
        except Exception as error:
            raise ModelFileError(f"{self.path!r}: member {member!r} is damaged: "
                                 f"{_describe(error)}.") from None
        if len(data) != count or beyond:
            raise ModelFileError(
                f"{self.path!r}: member {member!r} does not hold the {count} bytes expected."
            )
        return data

    def read_json(self, member):
        """The member parsed as strict JSON (NaN and Infinity refused)."""
        size = self.members[member].file_size if member in self.members else 0
        if size > MAX_JSON_BYTES:
            raise ModelFileError(f"{self.path!r}: {member!r} is {size} bytes; at most "
                                 f"{MAX_JSON_BYTES} are accepted.")
        with self._open(member) as stream:
            data = self._read(stream, member, size)
        try:
            return json.loads(data.decode("utf-8"), parse_constant=_refuse_constant,
                              object_pairs_hook=_unique_keys)
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            raise ModelFileError(f"{self.path!r}: {member!r} is not valid JSON: {error}.") \
                from None

    def array_header(self, member):
        """``(shape, dtype)`` from the member's ``.npy`` header, checked against its size
        before any data is read."""
        with self._open(member) as stream:
            return self._header(stream, member)[:2]

    def _header(self, stream, member):
        try:
            version = np.lib.format.read_magic(stream)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(
                    stream, max_header_size=MAX_HEADER_BYTES)
            elif version in ((2, 0), (3, 0)):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(
                    stream, max_header_size=MAX_HEADER_BYTES)
            else:
                raise ValueError(f"unknown .npy version {version}")
            offset = stream.tell()
        except Exception as error:
            raise ModelFileError(f"{self.path!r}: {member!r} has no valid .npy header: "
                                 f"{_describe(error)}.") from None
        if dtype.hasobject or dtype.fields is not None or dtype.kind not in "biuf" \
                or dtype.subdtype is not None:
            raise ModelFileError(f"{self.path!r}: {member!r} holds {dtype} values; only plain "
                                 "numbers are accepted (never objects).")
        shape = tuple(shape)
        if any(not isinstance(d, int) or d < 0 for d in shape):
            raise ModelFileError(f"{self.path!r}: {member!r} has a malformed shape {shape}.")
        size = self.members[member].file_size
        expected = offset + math.prod(shape) * dtype.itemsize
        if size != expected:
            raise ModelFileError(
                f"{self.path!r}: {member!r} declares shape {shape} of {dtype} ({expected} "
                f"bytes with its header), but holds {size} bytes."
            )
        return shape, dtype, fortran

    def read_array(self, member, shape, dtype_kind="f"):
        """The member's array, after checking its header: ``shape`` exactly, and a dtype of
        the given kind (``"f"``: floating point)."""
        with self._open(member) as stream:
            found, dtype, fortran = self._header(stream, member)
            if found != tuple(shape) or dtype.kind not in dtype_kind:
                raise ModelFileError(
                    f"{self.path!r}: {member!r} holds an array of shape {found} and dtype "
                    f"{dtype}; expected shape {tuple(shape)} of kind {dtype_kind!r}."
                )
            data = self._read(stream, member, math.prod(found) * dtype.itemsize)
        array = np.frombuffer(data, dtype=dtype)
        return array.reshape(found, order="F" if fortran else "C")


def _refuse_constant(name):
    raise ValueError(f"the literal {name} is not allowed")


def _unique_keys(pairs):
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError(f"a key appears twice in one object: {sorted(keys)}")
    return dict(pairs)


def _extent_problem(infos, directory_start):
    """A reason the members' claimed sizes do not fit in the file, or None: every member
    must end before the next one starts (and before the central directory), so no size in
    the directory can promise bytes the file does not have."""
    members = sorted(infos, key=lambda info: info.header_offset)
    for info, after in zip(members, members[1:] + [None]):
        start = info.header_offset + 30 + len(info.filename.encode("utf-8"))
        limit = after.header_offset if after is not None else directory_start
        if limit is None or start + info.compress_size > limit:
            return (f"member {info.filename!r} claims {info.compress_size} bytes that the file "
                    "does not hold")
    return None


def _describe(error):
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _member_problem(info, seen):
    if info.filename in seen:
        return "appears twice"
    if info.flag_bits & 0x1:
        return "is encrypted"
    if info.compress_type != zipfile.ZIP_STORED:
        return "is compressed; minikeras files store members uncompressed"
    if info.file_size != info.compress_size:
        return "declares a size its stored bytes do not have"
    return None
