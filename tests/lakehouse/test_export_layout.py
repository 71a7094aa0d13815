"""The exports' layout (lakehouse/export_layout.py): every file has a path of its own, and
no trainer profile may take a name the exports use for their own folders and files."""

from __future__ import annotations

from dataclasses import replace

import pytest

from expectations.record_facts import profile_of
from lakehouse.export_layout import RESERVED_PROFILE_NAMES, file_specs
from lakehouse.taxonomy import export_profiles


def test_every_file_has_its_own_path_and_is_filed_under_its_profile() -> None:
    specs = file_specs(export_profiles())
    assert len({s.rel_path for s in specs}) == len(specs)
    assert all(profile_of(s.rel_path) == s.profile for s in specs)


@pytest.mark.parametrize("name", sorted(RESERVED_PROFILE_NAMES))
def test_a_profile_named_as_the_exports_own_files_is_refused(name: str) -> None:
    profiles = export_profiles()
    with pytest.raises(ValueError, match=f"'{name}'"):
        file_specs([*profiles, replace(profiles[0], export_profile=name)])
