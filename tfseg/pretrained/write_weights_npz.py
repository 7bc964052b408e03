"""Writes converted weights as a plain, reproducible `.npz` keyed by tfseg layer/weight names."""

import io
import json
import os
import zipfile

import numpy as np

from tfseg.pretrained.read_weight_file import SOURCE_RECORD_KEY

# A fixed timestamp makes the same tensors give the same bytes (and so the same checksum).
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def write_weights_npz(path, tensors, source=None):
    """Writes `{"<layer>/<weight>": array}` to an `.npz` that loads without pickle.

    Entries are sorted and uncompressed with fixed timestamps, so converting the same file twice
    gives identical bytes. The file is written next to `path` and renamed over it when complete.

    Args:
        path: destination `.npz`.
        tensors: `{"conv1/kernel": np.ndarray, ...}` with tfseg layer and weight names.
        source: optional JSON-serializable record of the converted file (its name, size and
            checksums), stored under `__tfseg_source__` for `resolve_pretrained` to verify.

    Example:
        >>> write_weights_npz("pretrained/x.npz", {"conv1/kernel": np.zeros((3, 3, 3, 32))})
    """
    items = sorted(tensors.items())
    if source is not None:
        items.append((SOURCE_RECORD_KEY, np.array(json.dumps(source, sort_keys=True))))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for key, value in items:
            data = io.BytesIO()
            np.lib.format.write_array(data, np.asarray(value), allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(f"{key}.npy", date_time=ZIP_DATE), data.getvalue())
    path = os.fspath(path)
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            f.write(buffer.getvalue())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
