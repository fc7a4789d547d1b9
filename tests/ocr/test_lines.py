"""Boxes become lines as a reader expects: a table row is one line, no spaces inside Chinese."""

from __future__ import annotations

from edossier.ocr import join_words
from edossier.ocr.engine import group_lines
from edossier.ocr.layout import reading_order
from edossier.types import OcrWord


def word(text: str, x0: float, y0: float, x1: float, y1: float, conf: float = 0.9) -> OcrWord:
    return OcrWord(text=text, box=(x0, y0, x1, y1), confidence=conf)


def test_table_row_cells_join_left_to_right_and_rows_top_to_bottom() -> None:
    boxes = [
        word("案由", 1700, 402, 1800, 450),
        word("原告", 100, 400, 200, 450),
        word("张三", 100, 500, 200, 548),
        word("被告", 900, 398, 1000, 452),
        word("李四", 900, 501, 1000, 550),
    ]
    lines = group_lines(boxes)
    assert [line.text for line in lines] == ["原告被告案由", "张三李四"]
    assert lines[0].box == (100, 398, 1800, 452)


def test_latin_words_keep_their_spaces_and_confidence_weighs_characters() -> None:
    lines = group_lines([word("court", 300, 10, 400, 40, 0.5), word("The", 100, 12, 180, 40, 1.0)])
    assert lines[0].text == "The court"
    assert abs(lines[0].confidence - (3 * 1.0 + 5 * 0.5) / 8) < 1e-9


def test_join_words_mixed_scripts() -> None:
    assert join_words("金额", "100元") == "金额100元"
    assert join_words("Case", "No.") == "Case No."
    assert join_words("", "甲") == "甲"


def test_lines_one_over_the_other_are_not_joined_even_when_their_boxes_overlap() -> None:
    """A tilted photo: two phone numbers whose boxes overlap by 60% of their height stay two lines."""
    lines = group_lines([word("027-88852022", 170, 64, 430, 134), word("027-88859022", 175, 106, 439, 176)])
    assert [line.text for line in lines] == ["027-88852022", "027-88859022"]


def test_columns_are_read_one_after_the_other_and_a_table_row_across() -> None:
    heading = word("Two columns under one heading", 100, 0, 1900, 50)
    left = [word(f"left line {i}", 100, 100 + 60 * i, 950, 150 + 60 * i) for i in range(4)]
    right = [word(f"right line {i}", 1050, 100 + 60 * i, 1900, 150 + 60 * i) for i in range(4)]
    lines = [line.text for line in reading_order([heading, *right, *left])]
    assert lines == [heading.text, *(w.text for w in left), *(w.text for w in right)]
    table = [word("原告", 100, 400, 200, 450), word("被告", 900, 398, 1000, 452), word("张三", 100, 500, 200, 548),
             word("李四", 900, 501, 1000, 550), word("王五", 100, 600, 200, 650), word("赵六", 900, 600, 1000, 650)]
    assert [line.text for line in reading_order(table)] == ["原告被告", "张三李四", "王五赵六"]
