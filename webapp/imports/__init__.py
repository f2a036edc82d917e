"""Import and export of the election's data (XLSX, CSV)."""
