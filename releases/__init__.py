"""Shipping: takedowns and versioned, license-gated releases.

- ``takedown``: land an append-only takedown row for a landed asset (by hash or path).
- ``writer``: write ``releases/<profile>-<version>/`` from what the release models
  (models/marts/releases/) describe: records, asset manifest, attributions, checksums.
- ``card``: the dataset card (README.md with the Hugging Face YAML header).
- ``changelog``: CHANGELOG.md and changelog.json against the previous release.

Floor 4 of the house: imports ``lakehouse`` only; the CLI (``mmfactory/release_cli.py``,
``mmfactory/takedown_cli.py``) runs the build and the contracts around it.
"""
