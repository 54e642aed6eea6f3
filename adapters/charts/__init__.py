"""Chart building blocks on matplotlib: one module per picture, ``layout`` shared."""
