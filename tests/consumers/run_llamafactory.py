"""Run LLaMA-Factory's own dataset code over a dataset_dir, offline and without torch.

Usage: python run_llamafactory.py DATASET_DIR NAME [NAME ...]  -> one JSON object on stdout:
{file: {"records", "dropped", "images", "missing_images", "outside_media_dir"}}; or
``main(dataset_dir, names)`` in-process (the stand-ins are gone from ``sys.modules`` once
the modules are loaded).

What runs is the installed ``llamafactory`` wheel's own code: ``DataArguments`` (so
``media_dir`` takes its default, the dataset_dir), ``get_dataset_list`` (reads
dataset_info.json) and the registered ``sharegpt`` converter (``_find_medias`` joins
image paths to ``media_dir``). The file is read as its loader does for a local json/jsonl
file (HF ``datasets``' json builder). The wheel is installed with --no-deps: the package
``__init__`` files (which import torch and transformers) are bypassed, and the four
constants ``extras/constants.py`` takes from peft / transformers and the two hub switches
of ``extras/misc.py`` (a torch module) are stubbed. A record the converter drops comes
back with an empty prompt and response (its "Skipping this abnormal example").
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import sys
import types
from pathlib import Path


def _package(name: str, path: Path) -> None:
    module = types.ModuleType(name)
    module.__path__ = [str(path)]
    sys.modules[name] = module


def _stub(name: str, **attrs: object) -> None:
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    sys.modules[name] = module


@functools.cache
def load() -> tuple[object, object, object]:
    """(DataArguments, get_dataset_list, get_dataset_converter) from the installed wheel."""
    spec = importlib.util.find_spec("llamafactory")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("llamafactory is not installed (make setup installs it with --no-deps)")
    root = Path(spec.submodule_search_locations[0])
    stubbed = []
    _package("llamafactory", root)
    for sub in ("data", "extras", "hparams"):
        _package(f"llamafactory.{sub}", root / sub)
    if importlib.util.find_spec("peft") is None:
        stubbed += ["peft", "peft.utils"]
        _stub("peft")
        _stub("peft.utils", SAFETENSORS_WEIGHTS_NAME="adapter_model.safetensors",
              WEIGHTS_NAME="adapter_model.bin")
    if importlib.util.find_spec("transformers") is None:
        stubbed += ["transformers", "transformers.utils"]
        _stub("transformers")
        _stub("transformers.utils", SAFE_WEIGHTS_INDEX_NAME="model.safetensors.index.json",
              SAFE_WEIGHTS_NAME="model.safetensors", WEIGHTS_INDEX_NAME="pytorch_model.bin.index.json",
              WEIGHTS_NAME="pytorch_model.bin")
    _stub("llamafactory.extras.misc", use_modelscope=lambda: False, use_openmind=lambda: False)
    from llamafactory.data.converter import get_dataset_converter
    from llamafactory.data.parser import get_dataset_list
    from llamafactory.hparams.data_args import DataArguments

    for name in stubbed:  # bound where needed; HF datasets must not take them for the real ones
        del sys.modules[name]
    return DataArguments, get_dataset_list, get_dataset_converter


def main(dataset_dir: str, names: list[str]) -> dict[str, dict[str, int]]:
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import datasets

    DataArguments, get_dataset_list, get_dataset_converter = load()
    data_args = DataArguments(dataset_dir=dataset_dir, dataset=",".join(names))
    out = {}
    for attr in get_dataset_list(data_args.dataset, data_args.dataset_dir):
        path = os.path.join(data_args.dataset_dir, attr.dataset_name)
        rows = datasets.load_dataset("json", data_files=[path], split=attr.split)
        converter = get_dataset_converter(attr.formatting, attr, data_args)
        converted = [converter(example) for example in rows]
        images = [p for c in converted for p in (c["_images"] or [])]
        media = os.path.abspath(data_args.media_dir)
        out[attr.dataset_name] = {
            "records": len(converted),
            "dropped": sum(1 for c in converted if not c["_prompt"] and not c["_response"]),
            "images": len(images),
            "missing_images": sum(1 for p in images if not os.path.isfile(p)),
            "outside_media_dir": sum(1 for p in images if not os.path.abspath(p).startswith(media + os.sep)),
        }
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2:])))
