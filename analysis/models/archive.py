"""What every model-file check shares: the one ModelLoadError, the size limits, bounded archive reads.

Kept below `gate.py` and the structural checks (`tree_checks`, `skops_trees`, `keras_size`) so that
they import it and not each other.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from analysis.settings import get_settings

MB = 1 << 20
KERAS_MEMBERS = ("config.json", "metadata.json", "model.weights.h5")
_SKOPS_MEMBER = re.compile(r"^(schema\.json|[0-9]+\.npy|[0-9]+\.npz|[0-9a-f-]{36}\.bin)$")


class ModelLoadError(ValueError):
    """A model file that cannot be used, with a message meant for the user."""


@dataclass(frozen=True)
class Limits:
    uncompressed_bytes: int
    members: int
    ratio: float
    json_bytes: int
    json_depth: int


def limits() -> Limits:
    s = get_settings()
    return Limits(uncompressed_bytes=int(s.max_model_uncompressed_mb * MB), members=int(s.max_archive_members),
                  ratio=float(s.max_compression_ratio), json_bytes=int(s.max_model_config_mb * MB),
                  json_depth=int(s.max_model_json_depth))


def check_file_size(data: bytes, name: str) -> None:
    """Any model file: not empty, and no larger than the expanded-size limit."""
    limit = limits().uncompressed_bytes
    if not data:
        raise ModelLoadError(f"'{name}' is empty.")
    if len(data) > limit:
        raise ModelLoadError(f"'{name}' is {len(data) / MB:,.0f} MB, over the limit of {limit / MB:,.0f} MB "
                             "(setting max_model_uncompressed_mb).")


def open_archive(data: bytes, name: str, fmt: str) -> zipfile.ZipFile:
    """The archive after its central directory passed the limits and the member-name list of `fmt`
    ("keras" or "skops")."""
    lim = limits()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ModelLoadError(f"'{name}' is not a readable zip archive ({type(exc).__name__}).") from None
    if len(infos) > lim.members:
        raise ModelLoadError(f"'{name}' holds {len(infos)} archive entries, over the limit of {lim.members} "
                             "(setting max_archive_members).")
    total = sum(i.file_size for i in infos)
    if total > lim.uncompressed_bytes:
        raise ModelLoadError(f"'{name}' expands to {total / MB:,.0f} MB, over the limit of "
                             f"{lim.uncompressed_bytes / MB:,.0f} MB (setting max_model_uncompressed_mb).")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise ModelLoadError(f"'{name}' lists an archive entry twice; refused.")
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 1 * MB and ratio > lim.ratio:
            raise ModelLoadError(f"archive entry '{_shown(info.filename)}' of '{name}' expands {ratio:,.0f} times, "
                                 f"over the limit of {lim.ratio:,.0f} (setting max_compression_ratio).")
    allowed = (lambda n: n in KERAS_MEMBERS) if fmt == "keras" else (lambda n: bool(_SKOPS_MEMBER.match(n)))
    unexpected = [n for n in names if not allowed(n)]
    if unexpected:
        shown = ", ".join(_shown(n) for n in unexpected[:5])
        expected = ", ".join(KERAS_MEMBERS) if fmt == "keras" else "schema.json and numbered .npy/.npz/.bin arrays"
        raise ModelLoadError(f"'{name}' has archive entries a {fmt} file does not have ({shown}); "
                             f"expected only {expected}.")
    return archive


def _shown(member: str) -> str:
    """An archive member name, cut and stripped of control characters for a message."""
    return re.sub(r"[^\w./-]", "?", member)[:60]


def read_member(archive: zipfile.ZipFile, member: str, name: str, limit: int) -> bytes:
    """Read one entry, never more than `limit` bytes whatever its header says."""
    try:
        info = archive.getinfo(member)
    except KeyError:
        raise ModelLoadError(f"'{name}' has no {member}.") from None
    if info.file_size > limit:
        raise ModelLoadError(f"{member} in '{name}' is {info.file_size / MB:,.1f} MB, over the limit of "
                             f"{limit / MB:,.1f} MB.")
    try:
        with archive.open(info) as handle:
            data = handle.read(limit + 1)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ModelLoadError(f"{member} in '{name}' is damaged ({type(exc).__name__}).") from None
    if len(data) > limit:
        raise ModelLoadError(f"{member} in '{name}' is larger than it declares; refused.")
    return data
