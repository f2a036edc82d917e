"""Results by law: aggregation per electoral unit, validity, winners, shortfalls."""
