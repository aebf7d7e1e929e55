"""Market data for the consolidated order book: adapters, books, consolidation, feeds."""
