"""The installed ``qwen-vl-utils`` wheel's own ``smart_resize``, imported without torch.

``qwen_vl_utils.vision_process`` imports torch and torchvision at module level for its
video readers; ``smart_resize`` itself is plain Python. The wheel is installed with
--no-deps (requirements-consumers.txt), so stand-ins for those two names are put in
``sys.modules`` only while the module is imported, then removed again (HF ``datasets``
looks at ``sys.modules['torch']`` and must not find a stand-in there).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from collections.abc import Callable

_STAND_INS = ("torch", "torchvision", "torchvision.io", "torchvision.transforms")


def smart_resize() -> Callable[..., tuple[int, int]]:
    """``qwen_vl_utils.smart_resize(height, width, factor, min_pixels=None, max_pixels=None)``."""
    if "qwen_vl_utils" in sys.modules:
        return sys.modules["qwen_vl_utils"].smart_resize
    real = {top: importlib.util.find_spec(top) is not None for top in ("torch", "torchvision")}
    added = []
    for name in _STAND_INS:
        if name in sys.modules or real[name.split(".")[0]]:
            continue
        module = types.ModuleType(name)
        module.Tensor = type("Tensor", (), {})  # used in annotations only
        module.__version__ = "0.0.0"
        sys.modules[name] = module
        added.append(name)
    if "torchvision" in added:
        sys.modules["torchvision"].io = sys.modules["torchvision.io"]
        sys.modules["torchvision"].transforms = sys.modules["torchvision.transforms"]
        sys.modules["torchvision.transforms"].InterpolationMode = type("InterpolationMode", (), {})
    try:
        module = importlib.import_module("qwen_vl_utils")
    finally:
        for name in added:
            del sys.modules[name]
    return module.smart_resize
