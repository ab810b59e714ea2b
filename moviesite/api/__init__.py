"""What every part of the REST API shares: the error body, pagination, throttles, schema helpers, tokens, health."""
