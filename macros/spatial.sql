{#- The spatial relations of box A to box B, both [ymin, xmin, ymax, xmax] on the 0..1000
    grid (x grows right, y grows down), as a VARCHAR[] of every relation that holds, in
    this order:
      'left of' / 'right of'   the boxes are disjoint horizontally: A's right edge is at or
                               left of B's left edge (or A's left edge at or right of B's
                               right edge);
      'above' / 'below'        the boxes are disjoint vertically: A's bottom edge is at or
                               above B's top edge (or A's top edge at or below B's bottom);
      'in front of' / 'behind' the boxes overlap by at least 10% of the smaller box's area
                               and their bottom edges differ by at least 50 grid units: the
                               one whose bottom edge is lower stands nearer the camera (the
                               ground-plane depth order of a photo);
      'next to'                none of the above holds: the boxes touch or overlap without
                               a depth order.
    Every argument is a SQL expression of one grid coordinate. The description task states
    these relations and its audit recomputes them from the annotations with this macro. -#}
{% macro box_relations(a_ymin, a_xmin, a_ymax, a_xmax, b_ymin, b_xmin, b_ymax, b_xmax) -%}
coalesce(nullif(list_filter([
    case
        when {{ a_xmax }} <= {{ b_xmin }} then 'left of'
        when {{ a_xmin }} >= {{ b_xmax }} then 'right of'
    end,
    case
        when {{ a_ymax }} <= {{ b_ymin }} then 'above'
        when {{ a_ymin }} >= {{ b_ymax }} then 'below'
    end,
    case
        when {{ box_overlap_share(a_ymin, a_xmin, a_ymax, a_xmax, b_ymin, b_xmin, b_ymax, b_xmax) }}
            < 0.1 then null
        when {{ a_ymax }} - {{ b_ymax }} >= 50 then 'in front of'
        when {{ b_ymax }} - {{ a_ymax }} >= 50 then 'behind'
    end
], lambda r: r is not null), []), ['next to'])
{%- endmacro %}


{#- The area where boxes A and B overlap as a share of the smaller box's area (0 when
    they do not overlap or a box has no area). -#}
{% macro box_overlap_share(a_ymin, a_xmin, a_ymax, a_xmax, b_ymin, b_xmin, b_ymax, b_xmax) -%}
coalesce(
    greatest(least({{ a_xmax }}, {{ b_xmax }}) - greatest({{ a_xmin }}, {{ b_xmin }}), 0)
    * greatest(least({{ a_ymax }}, {{ b_ymax }}) - greatest({{ a_ymin }}, {{ b_ymin }}), 0)
    / nullif(least(
        ({{ a_xmax }} - {{ a_xmin }}) * ({{ a_ymax }} - {{ a_ymin }}),
        ({{ b_xmax }} - {{ b_xmin }}) * ({{ b_ymax }} - {{ b_ymin }})
    ), 0)::double,
    0.0
)
{%- endmacro %}
