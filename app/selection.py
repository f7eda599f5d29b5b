"""Chart selections that navigate: picking an analyst-grade dot opens the Analyst grades page."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import streamlit as st

from app.filters import Filters

GRADES_PAGE = Path(__file__).resolve().parent.parent / "pages" / "analyst_grades.py"
GRADE_TAG = "grade"  # first customdata field of the purple dots (see figures.grade_markers)


def picked_grade_day(state: Any) -> date | None:
    """Return the day of the first selected analyst-grade dot in a Plotly selection state."""
    if state is None:
        return None
    points = (state.get("selection") or {}).get("points") or []
    for point in points:
        custom = point.get("customdata")
        if isinstance(custom, list | tuple) and len(custom) >= 2 and custom[0] == GRADE_TAG:
            try:
                return date.fromisoformat(str(custom[1])[:10])
            except ValueError:
                continue
    return None


def open_grades_on_pick(state: Any, view: Filters) -> None:
    """Switch to the Analyst grades page for the picked grade day (the filters travel along)."""
    day = picked_grade_day(state)
    if day is None:
        return
    st.switch_page(GRADES_PAGE, query_params={**view.query_params(), "date": day.isoformat()})
