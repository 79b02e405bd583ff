from decimal import Decimal

# The simulator's universe has 14 instruments; the quote benchmark and tests ask for 20 at once.
EXTRA_US = (("NFLX", "640"), ("AMD", "150"), ("INTC", "32"), ("ORCL", "140"), ("IBM", "190"), ("ADBE", "520"))

SYMBOLS20 = ["AAPL", "MSFT", "NVDA", "TSLA", "AMZN", "GOOGL", "META", "SPY", "QQQ", "NFLX",
             "AMD", "INTC", "ORCL", "IBM", "ADBE", "00700", "09988", "03690", "00005", "02800"]


def simulator_extra_symbols() -> list[str]:
    """Register a few more US stocks in the simulator's (module-level) universe; idempotent."""
    from tigersim.instruments import UNIVERSE, Instrument

    for n, (symbol, price) in enumerate(EXTRA_US):
        if symbol not in UNIVERSE:
            UNIVERSE[symbol] = Instrument(symbol, "US", "USD", symbol, "NASDAQ", Decimal(price), 0.02,
                                          20_000_000, 1, 90_000 + n)
    return SYMBOLS20
