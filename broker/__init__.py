"""The one way to Tiger: the tigeropen client per account and its value types, the rate limiter,
the circuit breaker, the quote cache and quote lookup. Knows accounts (credentials), nothing above."""
