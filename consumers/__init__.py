"""What each trainer does with an exported record, as checks.

One module per consumer (``llava``, ``qwen``, ``llamafactory``), each with
``check_record(record, image_folder) -> list[str]`` (the rule violations of one record,
empty when the trainer takes it) and ``check_file(path, image_folder)``. The rules are the
ones read from the trainers' own code, written down in ``../shared/reference/consumers.md``.
"""
