"""A model request, its cache key, and the chat messages it sends.

In: a stage's work item turned into a ``GenerationRequest`` (model, sampling parameters,
prompt template, template variables, ordered images, sample index).
Out: ``request_hash``, the cache key: sha256 over a canonical JSON (sorted keys, no
spaces, UTF-8) of

    {"v": 1, "stage", "model", "sampling", "template_id", "template_hash",
     "asset_ids" (in order), "inputs_hash", "sample_index"}

where ``inputs_hash`` is the sha256 of the canonical JSON of the template variables (the
annotations, the conversation to judge, the text to translate). The image BYTES are not
hashed again: asset ids already are the sha256 of the bytes. The endpoint URL and the image
size limits are not in the key (the same request sent to another server is the same
request; downscaling is recorded on the row instead). ``group_hash`` is the same hash
without the sample index: the n samples of one self-consistency request share it.

``build_messages`` turns a request into chat messages: a system message, then one user
message whose parts are the images in order as data URLs (each preceded by an
``Image i:`` label when there are several) followed by the rendered user text.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from generation.config import SamplingParams
from generation.images import ImageRecord, ImageRef, encode_image
from generation.prompts import PromptTemplate

HASH_VERSION = 1


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no whitespace, non-ASCII kept."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def sha256_text(text: str) -> str:
    """Hex sha256 of ``text`` encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class GenerationRequest:
    """One call to make. ``item_id`` names the stage's work item (asset id, pair, sample)."""

    stage: str
    item_id: str
    model: str
    sampling: SamplingParams
    template: PromptTemplate
    variables: Mapping[str, str]
    images: tuple[ImageRef, ...] = ()
    sample_index: int = 0
    sample_id: str | None = None
    is_grouped: bool = False
    request_hash: str = field(init=False, repr=False)
    group_hash: str | None = field(init=False, repr=False)
    inputs_hash: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "images", tuple(self.images))
        object.__setattr__(self, "variables", dict(self.variables))
        inputs_hash = sha256_text(canonical_json(self.variables))
        object.__setattr__(self, "inputs_hash", inputs_hash)
        object.__setattr__(self, "request_hash", sha256_text(canonical_json(self._key(True))))
        object.__setattr__(
            self,
            "group_hash",
            sha256_text(canonical_json(self._key(False))) if self.is_grouped else None,
        )

    def _key(self, with_sample_index: bool) -> dict[str, Any]:
        key: dict[str, Any] = {
            "v": HASH_VERSION,
            "stage": self.stage,
            "model": self.model,
            "sampling": self.sampling.as_dict(),
            "template_id": self.template.template_id,
            "template_hash": self.template.sha256,
            "asset_ids": [img.asset_id for img in self.images],
            "inputs_hash": self.inputs_hash,
        }
        if with_sample_index:
            key["sample_index"] = self.sample_index
        return key

    @property
    def asset_ids(self) -> list[str]:
        """The images' asset ids, in the order they are sent."""
        return [img.asset_id for img in self.images]

    def effective_sampling(self) -> SamplingParams:
        """The parameters actually sent: with a seed set, sample ``i`` uses ``seed + i`` so
        that the n samples of a self-consistency group differ reproducibly."""
        if self.sampling.seed is None or self.sample_index == 0:
            return self.sampling
        return replace(self.sampling, seed=self.sampling.seed + self.sample_index)

    def rendered(self) -> tuple[str, str]:
        """(system text, user text) of this request."""
        return self.template.render(dict(self.variables))


def build_messages(
    request: GenerationRequest, max_side_px: int, max_bytes: int
) -> tuple[list[dict[str, Any]], list[ImageRecord]]:
    """(chat messages, one ``ImageRecord`` per image in order) for ``request``.

    Raises ``generation.images.ImageInputError`` if an image cannot be read.
    """
    system, user = request.rendered()
    parts: list[dict[str, Any]] = []
    records: list[ImageRecord] = []
    several = len(request.images) > 1
    for i, ref in enumerate(request.images, start=1):
        url, record = encode_image(ref, max_side_px, max_bytes)
        if several:
            parts.append({"type": "text", "text": f"Image {i}:"})
        parts.append({"type": "image_url", "image_url": {"url": url}})
        records.append(record)
    parts.append({"type": "text", "text": user})
    messages: list[dict[str, Any]] = []
    if system:
        messages.append({"role": "system", "content": system})
    messages.append({"role": "user", "content": parts if request.images else user})
    return messages, records
