"""The quality layer: ground-truth audits, CHAIR, the failure library, review rendering.

Pure, typed helpers used by the dbt models under ``models/*/quality/`` and by the
``mmfactory review`` commands:

- :mod:`quality.chair_synonyms`, :mod:`quality.review_verdicts`: the quality inputs that are
  landed (the CHAIR synonym list, reviewers' verdicts).
- :mod:`quality.chair`: object mentions in answer text and CHAIR_i / CHAIR_s
  (Rohrbach et al. 2018), English and Chinese.
- :mod:`quality.visual_audit`: back-rendering of grounding boxes onto their images.
- :mod:`quality.visual_audit_stage`: the visual audit's drawing as a per-image stage
  (``lakehouse.stages.run_stage``), reusing unchanged PNGs.
- :mod:`quality.failure_library`: the landed, append-only replay set of failures.
"""
