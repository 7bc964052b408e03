"""--pretrained=PATH|auto|none: auto finds the manifest's file and verifies its checksum."""

import json
import shutil
import warnings

import numpy as np
import pytest

from tfseg.errors import ConfigError, DataError
from tfseg.pretrained import resolve_pretrained
from tfseg.pretrained.checksums import file_digests
from tfseg.pretrained.conversion import write_weights_npz
from tfseg.pretrained.convert_shufflenet import convert_shufflenet


def _write_manifest(root, encoders):
    root.mkdir(exist_ok=True)
    (root / "manifest.json").write_text(json.dumps({"encoders": encoders}))


def _direct_source(name, digests, **published):
    source = {"file": name, "url": f"https://example.org/{name}", "converter": None}
    source.update({key: digests[key] for key in published.get("hashes", ("md5",))})
    source["size_bytes"] = digests["size_bytes"]
    return source


@pytest.mark.parametrize("value", [None, "", "none", "None", " NONE "])
def test_none_means_no_pretrained_weights(value):
    assert resolve_pretrained("mobilenet", value) is None


def test_unknown_encoder_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown encoder 'resnet50'"):
        resolve_pretrained("resnet50", "auto")


def test_an_explicit_path_is_returned_as_given(tmp_path):
    path = tmp_path / "any.h5"
    path.write_bytes(b"x")
    assert resolve_pretrained("vgg16", str(path)) == path
    with pytest.raises(DataError, match="missing.h5 does not exist"):
        resolve_pretrained("vgg16", str(tmp_path / "missing.h5"))


def test_auto_without_the_file_says_where_to_get_it(tmp_path):
    # The repository manifest is used when the folder has none.
    with pytest.raises(DataError) as error:
        resolve_pretrained("shufflenet", "auto", root=tmp_path)
    message = str(error.value)
    assert f"no pretrained shufflenet weights under {tmp_path}/" in message
    assert "shufflenet_imagenet.npz" in message
    assert "https://github.com/osmr/imgclsmob/releases/download/v0.0.244/" in message
    assert "python -m tfseg.pretrained.convert_shufflenet" in message
    assert "Nothing is downloaded automatically" in message


def test_auto_verifies_size_and_checksum(mobilenet_h5, tmp_path):
    root = tmp_path / "pretrained"
    root.mkdir()
    path = root / mobilenet_h5.name
    shutil.copy(mobilenet_h5, path)
    source = _direct_source(path.name, file_digests(path), hashes=("md5", "sha256"))
    _write_manifest(root, {"mobilenet": {"file": path.name, "sources": [source]}})
    assert resolve_pretrained("mobilenet", "auto", root=root) == path

    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF  # same size, different content
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match="checksum mismatch, sha256 is .* but the manifest expects"):
        resolve_pretrained("mobilenet", "auto", root=root)
    path.write_bytes(bytes(data[:-10]))
    with pytest.raises(DataError, match=r"bytes, the manifest expects \d+: an incomplete download"):
        resolve_pretrained("mobilenet", "auto", root=root)


def test_auto_falls_back_to_an_alternative_download(tmp_path):
    root = tmp_path / "pretrained"
    root.mkdir()
    (root / "small.h5").write_bytes(b"small")
    digests = file_digests(root / "small.h5")
    sources = [
        {"file": "full.h5", "url": "https://example.org/full.h5", "md5": "0" * 32},
        _direct_source("small.h5", digests),
    ]
    _write_manifest(root, {"vgg16": {"file": "full.h5", "sources": sources}})
    assert resolve_pretrained("vgg16", "auto", root=root) == root / "small.h5"


def test_auto_verifies_a_converted_file_by_its_source(tmp_path, fake_chainer_shufflenet):
    root = tmp_path / "pretrained"
    root.mkdir()
    source = root / "shufflenet_g3_w1.npz"
    fake_chainer_shufflenet(source)
    converted = root / "shufflenet_imagenet.npz"
    record = convert_shufflenet(source, converted)
    entry = {
        "file": converted.name,
        "sources": [
            {"file": source.name, "url": "https://example.org/s.zip", "sha1": record["sha1"],
             "converter": "python -m tfseg.pretrained.convert_shufflenet SRC DST"}
        ],
    }  # fmt: skip
    _write_manifest(root, {"shufflenet": entry})
    assert resolve_pretrained("shufflenet", "auto", root=root) == converted

    entry["sources"][0]["sha1"] = "1" * 40  # a different published file
    _write_manifest(root, {"shufflenet": entry})
    with pytest.raises(DataError, match="matches no source in the pretrained manifest"):
        resolve_pretrained("shufflenet", "auto", root=root)

    entry["sources"][0]["sha1"] = None  # nothing published: accepted, with a warning
    _write_manifest(root, {"shufflenet": entry})
    with pytest.warns(UserWarning, match="no checksum is published; it cannot be verified"):
        assert resolve_pretrained("shufflenet", "auto", root=root) == converted

    write_weights_npz(converted, {"conv1/kernel": np.zeros((3, 3, 3, 24))})  # no record
    with pytest.raises(DataError, match="records no source file; create it with: python -m"):
        resolve_pretrained("shufflenet", "auto", root=root)


def test_downloads_without_a_published_checksum_warn(tmp_path):
    root = tmp_path / "pretrained"
    root.mkdir()
    (root / "w.h5").write_bytes(b"w")
    source = {"file": "w.h5", "url": "https://example.org/w.h5", "converter": None}
    _write_manifest(root, {"mobilenet": {"file": "w.h5", "sources": [source]}})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resolve_pretrained("mobilenet", "auto", root=root)
    assert "no published checksum" in str(caught[0].message)


def test_a_broken_manifest_is_a_data_error(tmp_path):
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(DataError, match="manifest.json: unreadable manifest"):
        resolve_pretrained("vgg16", "auto", root=tmp_path)
