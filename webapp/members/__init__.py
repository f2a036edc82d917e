"""The members of the Ban bầu cử of each unit and of the election committees, whose names fill the forms'
signature blocks."""
