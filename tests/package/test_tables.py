"""lstm_course.tables: HTML tables for the book's pages."""
from __future__ import annotations

import re

import pytest

from lstm_course.tables import html_table


def test_does_the_table_have_column_and_row_headers_and_a_caption():
    out = html_table(["state", "R²"], [["h<sub>t</sub>", "0.99"], ["C<sub>t</sub>", 0.98]], caption="Probes").data
    assert out.count('<th scope="col"') == 2 and out.count('<th scope="row"') == 2
    assert "<caption>Probes</caption>" in out
    assert re.search(r'<th scope="row"[^>]*>C<sub>t</sub></th><td[^>]*>0.98</td>', out)


def test_does_a_row_of_the_wrong_length_name_the_rows_and_the_headers():
    with pytest.raises(ValueError, match=r"every row needs 2 cells.*rows \[1\] have \[3\]"):
        html_table(["a", "b"], [[1, 2], [1, 2, 3]])
