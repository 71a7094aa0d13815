"""The license a derived asset inherits: every restriction of every parent, plus attribution.

A derived page or chart shows no pixel of its parent photos; it restates their COCO
annotations (CC BY 4.0) and names their ids. Whether a restatement of facts is an
"adaptation" of a photo in the Creative Commons sense is a legal question this code does
not answer; it takes the conservative reading instead, so that a release filter that
drops an image's license class (NonCommercial, NoDerivatives, ...) also drops everything
derived from it:

- the terms of each parent are read from its license URL (``/licenses/by-nc-sa/2.0/``) or
  name (``Attribution-NonCommercial-ShareAlike License``); "No known copyright
  restrictions" and "United States Government Work" carry no term;
- the derived asset carries the UNION of its parents' terms plus ``by`` (the annotations
  are CC BY 4.0). The union is at least as restrictive as the most restrictive parent,
  and for several parents (a chart of 5 images: one BY-SA, one BY-NC) it is the only
  single statement that honours all of them (BY-NC-SA), which picking "the most
  restrictive parent" would not;
- ND wins over SA (Creative Commons has no BY-SA-ND; a work no one may adapt leaves
  nothing for ShareAlike to govern);
- a parent whose license cannot be classified makes the derived license ``unknown``
  (treat as all rights reserved).

The parents' own licenses are kept in ``asset_lineage`` (``parent_license_id``,
``parent_license_name``), so another rule can be applied later without re-rendering.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ingest.image_files import License

TERMS_ORDER = ("by", "nc", "sa", "nd")
NAMES = {"by": "Attribution", "nc": "NonCommercial", "sa": "ShareAlike", "nd": "NoDerivatives"}
PUBLIC_NAMES = ("no known copyright restrictions", "united states government work", "public domain")
COCO_ANNOTATIONS_LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"
_CC_URL = re.compile(r"creativecommons\.org/licenses/([a-z\-]+)/")


def terms_of(lic: License) -> frozenset[str] | None:
    """The CC terms of a license (``{'by', 'nc', 'sa'}``), ``frozenset()`` for public-domain
    like licenses, None when it cannot be classified."""
    url = (lic.url or "").lower()
    match = _CC_URL.search(url)
    if match:
        terms = frozenset(match.group(1).split("-"))
        return terms if terms <= set(TERMS_ORDER) else None
    name = (lic.name or "").lower()
    if any(p in name for p in PUBLIC_NAMES) or "flickr.com/commons" in url:
        return frozenset()
    if "attribution" in name:
        terms = {"by"}
        terms |= {"nc"} if "noncommercial" in name else set()
        terms |= {"sa"} if "sharealike" in name else set()
        terms |= {"nd"} if "noderiv" in name else set()
        return frozenset(terms)
    return None


def combined_terms(parents: Sequence[License]) -> frozenset[str] | None:
    """The union of the parents' terms plus ``by``; None if any parent is unclassifiable."""
    union = {"by"}
    for lic in parents:
        terms = terms_of(lic)
        if terms is None:
            return None
        union |= terms
    if "nd" in union:
        union.discard("sa")
    return frozenset(union)


def derived_license(parents: Sequence[License]) -> License:
    """The license row of an asset derived from ``parents`` (see the module doc)."""
    terms = combined_terms(parents)
    n = len(parents)
    origin = (
        f"inherited from {n} parent image{'s' if n != 1 else ''} and the CC BY 4.0 COCO annotations"
    )
    if terms is None:
        return License(
            "derived:unknown",
            "unknown: a parent's license could not be classified (treat as all rights reserved); "
            + origin,
            None,
        )
    code = "-".join(t for t in TERMS_ORDER if t in terms)
    url = (
        COCO_ANNOTATIONS_LICENSE_URL
        if terms == {"by"}
        else next((p.url for p in parents if terms_of(p) == terms and p.url), None)
    )
    name = "-".join(NAMES[t] for t in TERMS_ORDER if t in terms)
    return License(f"derived:cc-{code}", f"{name} ({origin})", url)
