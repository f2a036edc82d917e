"""The count's progress through the night (tiến độ kiểm phiếu, issue 17 §5)."""
