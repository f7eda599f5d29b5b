"""Synthetic news: a few headlines per ticker around its own events (earnings, splits, grades).

Articles are built from the event frames, so they are as deterministic and as
range-independent as the events themselves. Each article names one ticker.
"""

from __future__ import annotations

import hashlib

import polars as pl

PUBLISHERS = ("Tickerlake Wire", "Market Ledger", "Street Signals", "The Quarterly Observer")
AUTHORS = ("Dana Whitfield", "Omar Castell", "Priya Raman", "Lena Okafor", "Staff Writer")
_URL = "https://news.tickerlake.example/"


def _published_utc(day: pl.Expr, local_hour: pl.Expr, local_minute: int) -> pl.Expr:
    # Newsrooms publish on New York time; Massive/Polygon sends ISO 8601 UTC with a Z.
    return (
        day.cast(pl.Datetime("ms"))
        .dt.offset_by(pl.format("{}h{}m", local_hour, pl.lit(local_minute)))
        .dt.replace_time_zone("America/New_York")
        .dt.convert_time_zone("UTC")
        .dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    )


def _dollars(amount: pl.Expr) -> pl.Expr:
    text = pl.format("${}", amount.abs().round(2).cast(pl.String))
    return pl.when(amount < 0).then(pl.format("-{}", text)).otherwise(text)


def _earnings_articles(earnings: pl.DataFrame, names: pl.DataFrame) -> pl.DataFrame:
    verdict = (
        pl.when(pl.col("surprise_pct").is_null())
        .then(pl.lit("reports"))
        .when(pl.col("surprise_pct") > 1.0)
        .then(pl.lit("beats estimates with"))
        .when(pl.col("surprise_pct") < -1.0)
        .then(pl.lit("misses estimates with"))
        .otherwise(pl.lit("matches estimates with"))
    )
    eps = _dollars(pl.col("eps_actual"))
    return earnings.join(names, on="ticker_index").select(
        "ticker",
        pl.col("date").alias("day"),
        pl.lit("earnings").alias("kind"),
        _published_utc(
            pl.col("date"), pl.when(pl.col("hour") == "bmo").then(7).otherwise(16), 5
        ).alias("published_utc"),
        pl.format(
            "{} ({}) {} Q{} {} EPS of {}",
            pl.col("name"),
            pl.col("ticker"),
            verdict,
            pl.col("quarter"),
            pl.col("year"),
            eps,
        ).alias("title"),
        pl.format(
            "{} reported fiscal Q{} {} earnings per share of {} against a consensus of {}.",
            pl.col("name"),
            pl.col("quarter"),
            pl.col("year"),
            eps,
            _dollars(pl.col("eps_estimate")).fill_null("n/a"),
        ).alias("description"),
    )


def _split_articles(splits: pl.DataFrame, names: pl.DataFrame) -> pl.DataFrame:
    ratio = pl.format(
        "{}-for-{}",
        pl.col("split_to").cast(pl.Int64).cast(pl.String),
        pl.col("split_from").cast(pl.Int64).cast(pl.String),
    )
    kind = (
        pl.when(pl.col("split_to") > pl.col("split_from"))
        .then(pl.lit(""))
        .otherwise(pl.lit("reverse "))
    )
    return splits.join(names, on="ticker_index").select(
        "ticker",
        pl.col("execution_date").alias("day"),
        pl.lit("split").alias("kind"),
        _published_utc(pl.col("execution_date"), pl.lit(8), 30).alias("published_utc"),
        pl.format(
            "{} ({}) shares begin trading after {} {}stock split",
            pl.col("name"),
            pl.col("ticker"),
            ratio,
            kind,
        ).alias("title"),
        pl.format(
            "{} completed a {} {}split; each {} old shares became {} new shares.",
            pl.col("name"),
            ratio,
            kind,
            pl.col("split_from").cast(pl.Int64),
            pl.col("split_to").cast(pl.Int64),
        ).alias("description"),
    )


def _grade_articles(grades: pl.DataFrame, names: pl.DataFrame) -> pl.DataFrame:
    verb = (
        pl.when(pl.col("action") == "upgrade")
        .then(pl.lit("upgrades"))
        .when(pl.col("action") == "downgrade")
        .then(pl.lit("downgrades"))
        .when(pl.col("action") == "initiate")
        .then(pl.lit("initiates coverage of"))
        .otherwise(pl.lit("reiterates"))
    )
    return grades.join(names, on="ticker_index").select(
        "ticker",
        pl.col("date").alias("day"),
        pl.lit("grade").alias("kind"),
        _published_utc(pl.col("date"), pl.lit(9), 10).alias("published_utc"),
        pl.format(
            "{} {} {} ({}) {} {}",
            "firm",
            verb,
            "name",
            "ticker",
            pl.when(pl.col("action").is_in(["upgrade", "downgrade"]))
            .then(pl.lit("to"))
            .otherwise(pl.lit("at")),
            "new_grade",
        ).alias("title"),
        pl.format("{} rates {} {}.", "firm", "ticker", "new_grade").alias("description"),
    )


def news_articles(
    universe: pl.DataFrame,
    earnings: pl.DataFrame,
    splits: pl.DataFrame,
    grades: pl.DataFrame,
    seed: int,
) -> pl.DataFrame:
    """Return the wire news rows (`pipelines.sources.wire.NEWS` columns) plus `day`, the event's
    New York date, for every event in the given frames."""
    names = universe.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("ticker_index"), "name")
    articles = pl.concat(
        [
            _earnings_articles(earnings, names),
            _split_articles(splits, names),
            _grade_articles(grades, names),
        ]
    ).sort("published_utc", "ticker", "title")
    ids = [
        hashlib.sha256(f"{seed}:{kind}:{ticker}:{day}:{title}".encode()).hexdigest()[:32]
        for kind, ticker, day, title in articles.select(
            "kind", "ticker", "day", "title"
        ).iter_rows()
    ]
    articles = articles.with_columns(
        pl.Series("id", ids, dtype=pl.String),
        pl.Series(
            "publisher.name", [PUBLISHERS[int(i[:4], 16) % len(PUBLISHERS)] for i in ids], pl.String
        ),
        pl.Series("author", [AUTHORS[int(i[4:8], 16) % len(AUTHORS)] for i in ids], pl.String),
    )
    return articles.select(
        "id",
        "publisher.name",
        "title",
        "author",
        "published_utc",
        pl.format("{}{}/{}", pl.lit(_URL), pl.col("kind"), pl.col("id")).alias("article_url"),
        "description",
        pl.col("ticker").alias("tickers"),
        "day",
    )
