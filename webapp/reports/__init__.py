"""Polling-team reports: turnout during the day and the count minutes (biên bản kết quả kiểm phiếu)."""
