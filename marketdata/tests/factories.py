# Twenty instruments of the simulator's universe (US and HK) that the quote benchmark and tests ask for at once.
SYMBOLS20 = ["AAPL", "MSFT", "NVDA", "TSLA", "AMZN", "GOOGL", "META", "SPY", "QQQ", "NFLX",
             "AMD", "INTC", "ORCL", "IBM", "ADBE", "00700", "09988", "03690", "00005", "02800"]


def simulator_extra_symbols() -> list[str]:
    """The twenty symbols (all in the simulator's universe since it lists over 100 instruments)."""
    return SYMBOLS20
