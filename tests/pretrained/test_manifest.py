"""The repository's pretrained/manifest.json is complete and well-formed."""

import importlib
import re

import pytest

import tfseg
from tfseg.pretrained import read_manifest
from tfseg.pretrained.manifest import REPO_MANIFEST

HEX_LENGTHS = {"sha256": 64, "sha1": 40, "md5": 32}
# Sources for which no checksum was found in public material (see their hash_note).
UNHASHED = {"resnet_18_imagenet.weights.h5"}


def test_every_encoder_has_an_entry():
    assert REPO_MANIFEST.is_file()
    keys = {spec.manifest_key for spec in tfseg.ENCODERS.values() if spec.manifest_key}
    assert set(read_manifest()["encoders"]) == keys


@pytest.mark.parametrize("encoder", sorted(read_manifest(REPO_MANIFEST.parent)["encoders"]))
def test_sources_say_where_what_which_checksum_and_licence(encoder):
    entry = read_manifest(REPO_MANIFEST.parent)["encoders"][encoder]
    direct = [s for s in entry["sources"] if not s["converter"]]
    assert entry["file"] in [s["file"] for s in direct] or entry["file"].endswith(".npz")
    for source in entry["sources"]:
        assert source["url"].startswith("https://")
        assert source["licence"] and source["format"] and source["notes"] and source["hash_note"]
        published = {a: source[a] for a in HEX_LENGTHS if source[a]}
        assert published or source["file"] in UNHASHED
        for algorithm, digest in published.items():
            assert re.fullmatch(f"[0-9a-f]{{{HEX_LENGTHS[algorithm]}}}", digest)
        if source["converter"]:
            module, src, dst = source["converter"].split()[2:5]
            importlib.import_module(module)  # the converter exists
            assert src == f"pretrained/{source['file']}" and dst == f"pretrained/{entry['file']}"
        assert not source["file"].endswith((".pkl", ".pth", ".pt"))
