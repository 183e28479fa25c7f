"""Layer builders: one module per layer family, each a function ``build(ctx) -> GeoDataFrame``."""
