"""One module per generation stage: recaption, compare, judge, consistency, translate."""
