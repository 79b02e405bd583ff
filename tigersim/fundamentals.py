"""Fundamentals of the simulated companies: shares, earnings, dividends, splits, industries. Data,
not logic: the gateway's fundamental methods derive every figure from these and the price model,
so a P/E is the close over the last four reported quarters' EPS, and the earnings calendar's dates
are the reports' filing dates."""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from .prices import _seed_int

FILING_LAG_DAYS = 30  # a quarter's report is filed (and its earnings announced) this long after it ends


@dataclass(frozen=True)
class Company:
    shares_millions: int
    pe: int            # the P/E its quarterly EPS is scaled to, at its base price
    net_margin: Decimal
    sector: str        # GICS sector id
    dividend: tuple[Decimal, tuple[int, ...], int] | None = None  # (amount, ex months, ex day)


COMPANIES: dict[str, Company] = {
    "AAPL": Company(15_000, 30, Decimal("0.25"), "45", (Decimal("0.25"), (2, 5, 8, 11), 10)),
    "MSFT": Company(7_430, 35, Decimal("0.35"), "45", (Decimal("0.83"), (2, 5, 8, 11), 15)),
    "NVDA": Company(24_500, 50, Decimal("0.50"), "45", (Decimal("0.01"), (3, 6, 9, 12), 5)),
    "TSLA": Company(3_200, 60, Decimal("0.08"), "25"),
    "AMZN": Company(10_500, 40, Decimal("0.09"), "25"),
    "GOOGL": Company(12_300, 23, Decimal("0.27"), "50", (Decimal("0.20"), (3, 6, 9, 12), 9)),
    "META": Company(2_530, 25, Decimal("0.35"), "50", (Decimal("0.50"), (3, 6, 9, 12), 14)),
    "00700": Company(9_300, 20, Decimal("0.30"), "50", (Decimal("4.50"), (5,), 16)),
    "09988": Company(19_000, 12, Decimal("0.12"), "25"),
    "03690": Company(6_100, 25, Decimal("0.05"), "25"),
    "00005": Company(17_800, 8, Decimal("0.30"), "40", (Decimal("0.78"), (3, 5, 8, 10), 8)),
}
# Fund distributions (no earnings): amount, ex months, ex day.
FUND_DISTRIBUTIONS = {"SPY": (Decimal("1.75"), (3, 6, 9, 12), 20), "QQQ": (Decimal("0.70"), (3, 6, 9, 12), 22),
                      "02800": (Decimal("0.40"), (4, 10), 25)}
# (symbol, execute date, from, to): shares before and after (a 4-for-1 split: 1 -> 4).
SPLITS = (("AAPL", dt.date(2020, 8, 31), 1, 4), ("NVDA", dt.date(2021, 7, 20), 1, 4),
          ("AMZN", dt.date(2022, 6, 6), 1, 20), ("GOOGL", dt.date(2022, 7, 18), 1, 20),
          ("TSLA", dt.date(2022, 8, 25), 1, 3), ("NVDA", dt.date(2024, 6, 10), 1, 10))
# GICS: level -> [(id, English name)].
INDUSTRIES = {
    "GSECTOR": [("10", "Energy"), ("15", "Materials"), ("20", "Industrials"), ("25", "Consumer Discretionary"),
                ("30", "Consumer Staples"), ("35", "Health Care"), ("40", "Financials"),
                ("45", "Information Technology"), ("50", "Communication Services"), ("55", "Utilities"),
                ("60", "Real Estate")],
    "GGROUP": [("2510", "Automobiles & Components"), ("2550", "Consumer Discretionary Distribution & Retail"),
               ("4010", "Banks"), ("4510", "Software & Services"), ("4520", "Technology Hardware & Equipment"),
               ("4530", "Semiconductors & Semiconductor Equipment"), ("5020", "Media & Entertainment")],
    "GIND": [("251020", "Automobiles"), ("255030", "Broadline Retail"), ("401010", "Banks"), ("451030", "Software"),
             ("452020", "Technology Hardware, Storage & Peripherals"), ("453010", "Semiconductors & Equipment"),
             ("502030", "Interactive Media & Services")],
    "GSUBIND": [("25102010", "Automobile Manufacturers"), ("25503030", "Broadline Retail"),
                ("40101010", "Diversified Banks"), ("45103020", "Systems Software"),
                ("45202030", "Technology Hardware, Storage & Peripherals"), ("45301020", "Semiconductors"),
                ("50203010", "Interactive Media & Services")],
}


def quarter_ends(first: dt.date, last: dt.date) -> list[dt.date]:
    """Calendar quarter ends from ``first`` to ``last``, both included."""
    out = []
    year, quarter = first.year, (first.month - 1) // 3
    while True:
        month = quarter * 3 + 3
        end = dt.date(year, month, 31 if month in (3, 12) else 30)
        if end > last:
            return out
        if end >= first:
            out.append(end)
        quarter += 1
        if quarter == 4:
            year, quarter = year + 1, 0


def quarterly_eps(seed: int, symbol: str, base_price: Decimal, quarter_end: dt.date) -> Decimal:
    company = COMPANIES[symbol]
    rng = random.Random(_seed_int(seed, "eps", symbol, quarter_end))
    return (base_price / company.pe / 4 * Decimal(rng.randint(85, 115)) / 100).quantize(Decimal("0.01"))


def dividend_dates(symbol: str, first: dt.date, last: dt.date) -> list[tuple[dt.date, Decimal]]:
    """(ex date, amount) of each dividend or fund distribution between two dates."""
    plan = COMPANIES[symbol].dividend if symbol in COMPANIES else FUND_DISTRIBUTIONS.get(symbol)
    if plan is None:
        return []
    amount, months, day = plan
    return [(dt.date(y, m, day), amount) for y in range(first.year, last.year + 1) for m in months
            if first <= dt.date(y, m, day) <= last]
