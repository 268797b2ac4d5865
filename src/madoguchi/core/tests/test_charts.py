from madoguchi.core.charts import column_chart, row_chart


def test_columns_scale_to_the_tallest_and_stand_on_the_base_line():
    chart = column_chart([("9", 2), ("10", 4), ("11", 0)], height=100, width=10)
    assert [(b["x"], b["y"], b["height"]) for b in chart["bars"]] == [(0, 50, 50), (10, 0, 100), (20, 100, 0)]
    assert (chart["width"], chart["height"], chart["bar"]) == (30, 100, 8)
    assert chart["bars"][1]["label"] == "10" and chart["bars"][1]["value"] == 4


def test_an_empty_or_all_zero_chart_draws_nothing_and_divides_by_nothing():
    assert column_chart([])["bars"] == [] and column_chart([])["width"] == 16
    assert [b["height"] for b in column_chart([("a", 0), ("b", 0)])["bars"]] == [0, 0]


def test_rows_scale_to_the_longest_and_a_missing_value_draws_no_bar():
    chart = row_chart([("a", 1.5), ("b", None), ("c", 3)], longest=200, row=20)
    assert [(b["y"], b["width"]) for b in chart["bars"]] == [(4, 100.0), (24, 0), (44, 200.0)]
    assert (chart["width"], chart["height"], chart["bar"]) == (200, 60, 12)
