"""Additional (bầu cử thêm, Điều 79) and repeat (bầu cử lại, Điều 80) elections of one electoral unit."""
