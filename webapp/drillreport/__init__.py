"""The drill report (báo cáo kết quả diễn tập): the evidence of a trial run, per commune and per province, as a
page, a PDF and an XLSX. It reads any election, so the same report serves a drill and the real day."""
