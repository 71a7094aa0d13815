"""generation.requests: the cache key and the messages."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from generation.config import SamplingParams
from generation.images import ImageRef
from generation.prompts import COMPARE, RECAPTION, PromptTemplate
from generation.requests import GenerationRequest, build_messages

A, B = ImageRef("a" * 64, __file__), ImageRef("b" * 64, __file__)


def _req(**kw) -> GenerationRequest:
    base = {
        "stage": "recaption",
        "item_id": "x",
        "model": "m",
        "sampling": SamplingParams(),
        "template": RECAPTION,
        "variables": {"objects": "- dog: [1, 2, 3, 4]"},
        "images": (A,),
    }
    base.update(kw)
    return GenerationRequest(**base)


def test_hash_covers_model_params_template_assets_inputs_and_sample_index() -> None:
    h = _req().request_hash
    assert h == _req().request_hash and len(h) == 64
    variants = [
        _req(model="m2"),
        _req(sampling=SamplingParams(temperature=0.3)),
        _req(sampling=SamplingParams(seed=1)),
        _req(
            template=PromptTemplate(RECAPTION.template_id, RECAPTION.system, RECAPTION.user + " ")
        ),
        _req(images=(B,)),
        _req(variables={"objects": "(none)"}),
        _req(sample_index=1),
        _req(stage="other"),
    ]
    assert len({v.request_hash for v in variants} | {h}) == len(variants) + 1
    # order of images matters; the item id (a label) does not
    assert _req(images=(A, B)).request_hash != _req(images=(B, A)).request_hash
    assert _req(item_id="renamed").request_hash == h


def test_group_hash_is_shared_by_the_samples_of_a_group() -> None:
    s0, s1 = _req(is_grouped=True, sample_index=0), _req(is_grouped=True, sample_index=1)
    assert s0.group_hash == s1.group_hash and s0.request_hash != s1.request_hash
    assert _req().group_hash is None


def test_seed_offset_per_sample() -> None:
    r = _req(sampling=SamplingParams(seed=10), sample_index=3, is_grouped=True)
    assert r.effective_sampling().seed == 13 and r.sampling.seed == 10


@given(
    st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=20), min_size=1, max_size=6)
)
def test_variables_hash_ignores_insertion_order(variables: dict[str, str]) -> None:
    reordered = dict(reversed(list(variables.items())))
    assert _req(variables=variables).request_hash == _req(variables=reordered).request_hash


def test_messages_carry_images_in_order_with_labels(tiny_items) -> None:
    first, second = tiny_items[0], tiny_items[1]
    req = GenerationRequest(
        stage="compare",
        item_id="p",
        model="m",
        sampling=SamplingParams(),
        template=COMPARE,
        variables={"objects_1": "1 block", "objects_2": "1 block"},
        images=(first.ref, second.ref),
    )
    messages, records = build_messages(req, 2048, 4_000_000)
    assert [m["role"] for m in messages] == ["system", "user"]
    parts = messages[1]["content"]
    assert [p["type"] for p in parts] == ["text", "image_url", "text", "image_url", "text"]
    assert parts[0]["text"] == "Image 1:" and parts[2]["text"] == "Image 2:"
    assert [r.asset_id for r in records] == [first.asset_id, second.asset_id]
    text_only = replace(req, images=())
    assert isinstance(build_messages(text_only, 2048, 4_000_000)[0][1]["content"], str)
