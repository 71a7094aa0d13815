"""The review page: a small local web app over a built lakehouse where reviewers work
through ``manual_review_samples``, see each sample's images with its boxes, and record
verdicts through ``quality.review_verdicts`` (one landed file per verdict).

Modules: ``state.py`` (the live verdicts and whose turn a sample is), ``reads.py`` (the
queue and a sample from the lakehouse, read-only), ``assets.py`` (image files by asset id),
``label_studio.py`` (tasks out, Label Studio annotations in), ``app.py`` (the Starlette app).
"""
