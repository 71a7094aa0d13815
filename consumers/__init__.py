"""What each trainer does with an exported record, as checks.

One module per consumer (``llava``, ``qwen``, ``qwen3vl``, ``internvl``, ``swift``,
``llamafactory``), each with ``check_record(record, image_folder) -> list[str]`` (the rule
violations of one record, empty when the trainer takes it), ``check_file`` (or
``check_dataset_dir`` for LLaMA-Factory) and a parser that reads the boxes back out of a
record in that trainer's convention; ``registry`` says which consumer reads which export
profile. The rules are the ones read from the trainers' own code, written down in
``../shared/reference/consumers.md``.
"""
