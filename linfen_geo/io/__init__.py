"""Readers and writers for users' inputs: proposed project sites (many formats) and 界址点 TXT files."""
