"""The stages' work items as plain Python values (no lakehouse needed).

- ``AnnotatedImage``: recaption (one) and compare (two, in order): asset id, image path,
  size, and annotations ``{category_name, bbox [x, y, w, h] in pixels}``.
- ``SampleItem``: judge and translate: a sample id, its conversation (ShareGPT turns
  ``(from, value)``), its image paths, and optional proper names to protect in translation.
- ``ConsistencyItem``: a base request (question + images) to sample n times.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generation.images import ImageRef


@dataclass(frozen=True)
class Annotation:
    """One annotated object: category name and pixel box ``(x, y, w, h)`` (COCO order)."""

    category_name: str
    bbox: tuple[float, float, float, float]
    is_crowd: bool = False

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Annotation:
        """From ``{"category_name": str, "bbox": [x, y, w, h], "is_crowd": bool?}``."""
        x, y, w, h = (float(v) for v in d["bbox"])
        return cls(str(d["category_name"]), (x, y, w, h), bool(d.get("is_crowd", False)))


@dataclass(frozen=True)
class AnnotatedImage:
    """An image asset with its stored pixel size and its annotations."""

    asset_id: str
    path: Path
    width_px: int
    height_px: int
    annotations: tuple[Annotation, ...] = ()
    source: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))
        object.__setattr__(
            self,
            "annotations",
            tuple(
                a if isinstance(a, Annotation) else Annotation.from_dict(a)
                for a in self.annotations
            ),
        )

    @property
    def ref(self) -> ImageRef:
        """The image as a request input."""
        return ImageRef(self.asset_id, self.path)


@dataclass(frozen=True)
class SampleItem:
    """A training sample: id, conversation turns ``(from, value)``, image paths."""

    sample_id: str
    conversations: tuple[tuple[str, str], ...]
    image_paths: tuple[Path, ...] = ()
    task_type: str = "unknown"
    language: str = "en"
    asset_ids: tuple[str, ...] | None = None
    names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        turns = tuple(_turn(t) for t in self.conversations)
        object.__setattr__(self, "conversations", turns)
        object.__setattr__(self, "image_paths", tuple(Path(p) for p in self.image_paths))
        object.__setattr__(self, "names", tuple(self.names))
        if self.asset_ids is not None:
            if len(self.asset_ids) != len(self.image_paths):
                raise ValueError(
                    f"sample {self.sample_id}: {len(self.asset_ids)} asset ids for "
                    f"{len(self.image_paths)} images"
                )
            object.__setattr__(self, "asset_ids", tuple(self.asset_ids))

    def image_refs(self) -> tuple[ImageRef, ...]:
        """The images in order (asset ids hashed from the bytes when not given)."""
        if self.asset_ids is not None:
            return tuple(ImageRef(a, p) for a, p in zip(self.asset_ids, self.image_paths))
        return tuple(ImageRef.from_path(p) for p in self.image_paths)


def _turn(t: Sequence[str] | Mapping[str, str]) -> tuple[str, str]:
    if isinstance(t, Mapping):
        return str(t["from"]), str(t["value"])
    role, value = t
    return str(role), str(value)


@dataclass(frozen=True)
class ConsistencyItem:
    """A question about images, answered n times. ``answer_kind``: number, box, text or auto."""

    item_id: str
    question: str
    images: tuple[ImageRef, ...] = field(default_factory=tuple)
    answer_kind: str = "auto"

    def __post_init__(self) -> None:
        if self.answer_kind not in ("number", "box", "text", "auto"):
            raise ValueError(
                f"answer_kind must be number, box, text or auto, not {self.answer_kind!r}"
            )
        object.__setattr__(self, "images", tuple(self.images))


def as_turns(
    conversations: Iterable[Mapping[str, str] | Sequence[str]],
) -> tuple[tuple[str, str], ...]:
    """ShareGPT ``[{"from": ..., "value": ...}]`` (or pairs) -> ``((from, value), ...)``."""
    return tuple(_turn(t) for t in conversations)
