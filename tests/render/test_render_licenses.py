"""Derived licenses: the union of the parents' terms plus attribution."""

from __future__ import annotations

from ingest.image_files import License
from render.licenses import derived_license, terms_of

BY_NC_SA = License(
    "coco128:1",
    "Attribution-NonCommercial-ShareAlike License",
    "http://creativecommons.org/licenses/by-nc-sa/2.0/",
)
BY_NC_ND = License(
    "coco128:3",
    "Attribution-NonCommercial-NoDerivs License",
    "http://creativecommons.org/licenses/by-nc-nd/2.0/",
)
BY = License("coco128:4", "Attribution License", "http://creativecommons.org/licenses/by/2.0/")
BY_SA = License(
    "coco128:5", "Attribution-ShareAlike License", "http://creativecommons.org/licenses/by-sa/2.0/"
)
BY_NC = License(
    "coco128:2",
    "Attribution-NonCommercial License",
    "http://creativecommons.org/licenses/by-nc/2.0/",
)
FREE = License("coco128:7", "No known copyright restrictions", "http://flickr.com/commons/usage/")
GOV = License("coco128:8", "United States Government Work", "http://www.usa.gov/copyright.shtml")


def test_terms_are_read_from_the_url_or_the_name() -> None:
    assert terms_of(BY_NC_ND) == {"by", "nc", "nd"}
    assert terms_of(License(None, "Attribution-ShareAlike License", None)) == {"by", "sa"}
    assert terms_of(FREE) == frozenset() and terms_of(GOV) == frozenset()
    assert terms_of(License(None, "All rights reserved", None)) is None


def test_one_parent_keeps_its_terms_and_url() -> None:
    lic = derived_license([BY_NC_SA])
    assert lic.license_id == "derived:cc-by-nc-sa"
    assert lic.url == BY_NC_SA.url
    assert "NonCommercial" in lic.name and "1 parent image" in lic.name


def test_several_parents_give_the_union_of_their_terms() -> None:
    # BY-SA + BY-NC: neither parent's license alone honours both; the union does
    assert derived_license([BY_SA, BY_NC]).license_id == "derived:cc-by-nc-sa"
    # ND wins over SA
    assert derived_license([BY_SA, BY_NC_ND]).license_id == "derived:cc-by-nc-nd"
    # public-domain parents still need attribution for the COCO annotations (CC BY 4.0)
    free = derived_license([FREE, GOV])
    assert (
        free.license_id == "derived:cc-by"
        and free.url == "https://creativecommons.org/licenses/by/4.0/"
    )
    assert derived_license([BY, FREE]).license_id == "derived:cc-by"


def test_an_unclassifiable_parent_makes_the_license_unknown() -> None:
    lic = derived_license([BY, License("x", "Custom terms", None)])
    assert lic.license_id == "derived:unknown" and lic.url is None
