"""`descflow demo` prints its results readable in a 100-column terminal: no line wider, every text whole."""

from __future__ import annotations

import io

from rich.cells import cell_len
from rich.console import Console

from descflow.demo import Result, compact_scores, results_view

EN = ("The Nordvik Aria 700 over-ear headphones from Nordvik run for 30 h on a charge over Bluetooth 5.3, with "
      "active noise cancelling, 40 mm drivers and a USB-C charging port; at 254 g in black they suit commuters who "
      "want quiet on the train and a battery that lasts the whole working week without a cable in the bag.")
ZH = ("青岚悦声S3头戴式蓝牙耳机采用40毫米动圈单元，支持主动降噪，续航30小时，通过USB-C接口充电，重量254克，"
      "黑色款式简洁耐看，适合每天通勤的上班族在地铁和公交上使用，安静地听完一整张专辑。") * 2
SCORES = {"total": 0.8234, "coverage": 0.9, "faithfulness": 1.0, "fluency": 0.4512, "novelty": 0.981,
          "length": 1.0, "loglik": -0.8}


def _render(width: int) -> list[str]:
    results = [
        Result("p-001", "en-US", 1, EN, SCORES, "Nordvik Aria 700 Wireless Noise Cancelling Headphones",
               "commuters", 3.14),
        Result("p-001", "zh-CN", 1, ZH, SCORES, "Nordvik Aria 700 Wireless Noise Cancelling Headphones", "", 2.5),
        Result("p-037-with-a-rather-long-product-id", "en-US", 2, "Short.", {"total": 0.5}, "", "", None),
    ]
    console = Console(file=io.StringIO(), width=width, record=True, color_system=None)
    console.print(results_view(results, 48.2, {"ingest": 0.02, "generate": 1.234, "publish": 0.05}))
    return console.export_text().splitlines()


def test_no_line_is_wider_than_the_terminal_and_every_text_is_whole():
    for width in (100, 80):
        lines = _render(width)
        assert max(cell_len(line) for line in lines) <= width
        flat = "".join(line.strip() for line in lines)
        assert "".join(EN.split()) in "".join(flat.split())  # wrapped, never cut short
        assert ZH in flat
        assert "Short." in flat
    text = "\n".join(_render(100))
    assert "p-001  en-US  v1  for commuters  score .82 (cov .90 faith 1.0 flu .45 nov .98)  3.1 s" in text
    assert "p-037-with-a-rather-long-product-id  en-US  v2  score .50" in text
    assert "descflow demo: 3 descriptions published in 48 s" in text
    assert "mean seconds per stage: ingest 0.02, generate 1.23, publish 0.05" in text


def test_each_description_runs_the_width_of_the_terminal_not_a_narrow_column():
    lines = _render(100)
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("The Nordvik Aria 700 over-ear"))
    assert cell_len(lines[start].rstrip()) > 90  # the text fills the line under its header
    end = lines.index("", start) if "" in lines[start:] else len(lines)
    assert end - start == -(-len(EN) // 98)  # as few lines as 98 columns allow, not a strip of a table


def test_compact_scores():
    assert compact_scores(SCORES) == "score .82 (cov .90 faith 1.0 flu .45 nov .98)"
    assert compact_scores({}) == "score .00"
