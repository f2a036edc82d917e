"""Administrative units: provinces (tỉnh) and communes (xã, phường, đặc khu)."""
