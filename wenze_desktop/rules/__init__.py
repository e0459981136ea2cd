"""Regulation profiles (resources/regulations/*.toml) and the working-day calendar."""
