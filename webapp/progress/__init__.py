"""Progress at every level (theo dõi tiến độ): summaries kept current on write, rollups refreshed in the
background, the views, the corrections feed, XLSX and JSON."""
