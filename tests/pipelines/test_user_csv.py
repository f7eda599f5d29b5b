"""`tickerlake indicators --input FILE.csv`: a user's file is checked on the way in.

Refused files print nothing on stdout (0 rows: never a half-blank indicator table) and
one `error:` line naming the line of the file (exit 1); warned-about files are computed
in full (every data row printed) with one `warning:` line per finding (exit 0).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.indicator_report import check_bars_csv

pytestmark = pytest.mark.unit

HEADER = "date,open,high,low,close,volume"
GOOD = [
    "2021-01-04,10,11,9,10.5,100",
    "2021-01-05,10.5,11.5,10,11,200",
    "2021-01-06,11,12,10.5,11.5,300",
]


def _file(tmp_path: Path, content: str | bytes, name: str = "bars.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _run(path: Path, *extra: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        app, ["indicators", "--input", str(path), "--with", "sma:2", *extra]
    )
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def _rows(*lines: str) -> str:
    return "\n".join([HEADER, *lines]) + "\n"


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (_rows(GOOD[0], "2021-01-05,10,11,9,nan,100", GOOD[2]), "bars.csv line 3: close is nan"),
        (_rows(GOOD[0], "2021-01-05,10,11,9,NaN,100"), "line 3: close is NaN"),
        (_rows("2021-01-04,10,11,9,inf,100"), "line 2: close is inf"),
        (_rows("2021-01-04,10,11,9,10,-inf"), "line 2: volume is -inf"),
        (_rows("2021-01-04,10,11,9,10,Infinity"), "line 2: volume is Infinity"),
        (_rows(GOOD[0], "2021-01-05,10,9,11,10,100"), "line 3: high 9 is below low 11"),
        (_rows("2021-01-04,10,11,9,10,-5"), "line 2: volume -5 is negative"),
        (_rows("2021-01-04,-10,11,9,10,5"), "line 2: open -10 is not a positive price"),
        (_rows("2021-01-04,10,11,0,10,5"), "line 2: low 0 is not a positive price"),
        (
            _rows(GOOD[0], GOOD[1], GOOD[0]),
            "line 2: date 2021-01-04 appears more than once (also line 4); keep one bar per date",
        ),
        (
            _rows("04/01/2021,10,11,9,10,5"),
            "line 2: date '04/01/2021' is not a date; write YYYY-MM-DD",
        ),
        (_rows("2021-02-30,10,11,9,10,5"), "line 2: date '2021-02-30' is not a date"),
        (_rows("[/],10,11,9,10,5"), "line 2: date '[/]' is not a date"),
        (_rows(",10,11,9,10,5"), "line 2: date '' is not a date"),
        (_rows("2021-01-04,10,11,9,,5"), "line 2: close is empty"),
        (_rows("2021-01-04,10,11,9,10"), "line 2: volume is empty; every row needs a number (0 if"),
        (_rows("2021-01-04,10,11,9,ten,5"), "line 2: close 'ten' is not a number"),
        (_rows("2021-01-04,10,11,9,1_000,5"), "line 2: close '1_000' is not a number"),
        (_rows("2021-01-04,10,11,9," + "9" * 100_000 + "x,5"), "line 2: close '999"),
        (_rows(GOOD[0], "", "2021-01-06,10,11,9,nan,5"), "line 4: close is nan"),  # blank line 3
        (_rows("2021-01-04,10,11,9,10,5,7"), "cannot read bars.csv as CSV"),  # ragged
        ("date,open,high,low,close\n2021-01-04,1,1,1,1\n", "bars.csv: lacks column(s) volume"),
        (
            "date;open;high;low;close;volume\n2021-01-04;1;2;0.5;1;5\n",
            "(the file must be comma-separated)",
        ),
        (
            "Date,Open,High,Low,Close,Volume,close\n2021-01-04,1,2,0.5,1,5,1\n",
            "names column(s) close more than once",
        ),
        ('{"a": [[[[[[[[[[1]]]]]]]]]]}\n', "lacks column(s) date, open, high, low, close, volume"),
        (HEADER + "\n", "bars.csv: has a header but no rows"),
        (HEADER + "\n\n\n", "bars.csv: has a header but no rows"),
        ("", "bars.csv is empty"),
        ("\n \n", "bars.csv is empty"),
        (
            np.random.default_rng(3).integers(0, 256, 4096, dtype=np.uint8).tobytes(),
            "bars.csv is a binary file, not CSV text",
        ),
        (
            f"{HEADER},name\n2021-01-04,1,2,0.5,1,5,caf\xe9\n".encode("latin-1"),
            "not UTF-8 text; save it as UTF-8 CSV",
        ),
    ],
)
def test_a_refused_file_prints_no_rows_and_one_line_naming_where(
    tmp_path: Path, content: str | bytes, named: str
) -> None:
    code, stdout, stderr = _run(_file(tmp_path, content))

    assert code == 1  # a data error
    assert stdout == ""  # 0 rows printed
    assert len(stderr.strip().splitlines()) == 1
    assert stderr.startswith("error: ") and named in stderr
    assert len(stderr) < 500


def test_one_nan_close_no_longer_blanks_the_indicators_after_it(tmp_path: Path) -> None:
    """Before: exit 0 and every SMA after the NaN row empty. Now the file is refused, and
    with the row dropped every SMA after the warm-up has a value (0 blanks)."""
    days = [f"2021-01-{d:02d},10,11,9,{10 + d / 10},100" for d in range(4, 29)]
    poisoned = [*days[:10], "2021-01-14,10,11,9,nan,100", *days[11:]]  # one close is NaN
    refused = _run(_file(tmp_path, _rows(*poisoned), "poisoned.csv"))
    code, stdout, _ = _run(_file(tmp_path, _rows(*days), "clean.csv"))

    assert refused[0] == 1 and refused[1] == ""
    assert "poisoned.csv line 12: close is nan" in refused[2]
    printed = pl.read_csv(stdout.encode())
    assert code == 0 and printed.height == len(days)
    assert printed["sma_2"][1:].null_count() == 0


def test_unsorted_dates_are_warned_about_and_sorted(tmp_path: Path) -> None:
    code, stdout, stderr = _run(_file(tmp_path, _rows(GOOD[2], GOOD[0], GOOD[1])))

    assert code == 0
    assert stderr.strip().splitlines() == [
        "warning: bars.csv line 3: date 2021-01-04 comes after a later date; the rows were "
        "sorted by date"
    ]
    assert pl.read_csv(stdout.encode())["date"].to_list() == [
        "2021-01-04",
        "2021-01-05",
        "2021-01-06",
    ]


def test_extra_columns_and_open_outside_the_range_are_warnings(tmp_path: Path) -> None:
    content = (
        f"{HEADER},name,[bold]note\n"
        "2021-01-04,12,11,9,10,100,x,y\n"
        "2021-01-05,10.5,11.5,10,11,200,x,y\n"
    )

    code, stdout, stderr = _run(_file(tmp_path, content))

    assert code == 0
    assert stderr.strip().splitlines() == [
        "warning: bars.csv: ignored column(s) 'name', '[bold]note'",
        "warning: bars.csv line 2: open 12 is outside [low, high]; kept as is",
    ]
    assert pl.read_csv(stdout.encode())["sma_2"].to_list() == [None, 10.5]


def test_spaces_crlf_bom_and_capitalised_headers_are_read(tmp_path: Path) -> None:
    content = "\ufeffDate, Open ,High,Low,Close,Volume\r\n 2021-01-04 , 10 ,11,9,10,100\r\n"

    code, stdout, stderr = _run(_file(tmp_path, content))

    assert (code, stderr) == (0, "")
    assert stdout.splitlines() == ["date,sma_2", "2021-01-04,"]


def test_a_big_file_is_read_whole(tmp_path: Path) -> None:
    rows = 200_000
    close = 50 * np.exp(np.cumsum(np.random.default_rng(5).normal(0, 0.001, rows)))
    dates = pl.date_range(
        pl.date(1500, 1, 1), pl.date(1500, 1, 1).dt.offset_by(f"{rows - 1}d"), eager=True
    )
    pl.DataFrame(
        {
            "date": dates,
            "open": close,
            "high": close * 1.01,
            "low": close * 0.99,
            "close": close,
            "volume": 1.0,
        }
    ).write_csv(tmp_path / "big.csv")

    code, stdout, stderr = _run(tmp_path / "big.csv")

    assert (code, stderr) == (0, "")
    assert len(stdout.splitlines()) == rows + 1  # every row, plus the header


def test_a_path_that_is_not_a_file_is_a_usage_error(tmp_path: Path) -> None:
    missing = _run(tmp_path / "nope.csv")
    folder = _run(tmp_path)

    assert missing[0] == 2 and "no such file" in missing[2]
    assert folder[0] == 2 and "is not a file" in folder[2]


def test_check_bars_csv_is_a_pure_function_of_the_cells() -> None:
    raw = pl.DataFrame(
        {
            "date": ["2021-01-05", "2021-01-04", "2021-01-06"],
            "open": ["1", "1", "5"],
            "high": ["2", "2", "2"],
            "low": ["0.5", "0.5", "0.5"],
            "close": ["1", "1", "1"],
            "volume": ["0", "10", "-3"],
            "note": ["a", "b", "c"],
        }
    )

    bars, problems = check_bars_csv(raw)

    found = {(p.row, p.message.split(";")[0], p.refuse) for p in problems}
    assert found == {
        (None, "ignored column(s) 'note'", False),
        (2, "volume -3 is negative", True),
        (2, "open 5 is outside [low, high]", False),
        (1, "date 2021-01-04 comes after a later date", False),
    }
    assert bars["date"].is_sorted()
    assert bars.columns == ["date", "open", "high", "low", "close", "volume"]
