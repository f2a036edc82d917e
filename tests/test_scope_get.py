"""An id no key column can hold names no object: 404, never a 500 (PostgreSQL refuses such a number in a query)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("url", ["/voters/areas/416659879773033", "/api/v1/polling-areas/416659879773033/voters",
                                 "/api/v1/polling-areas/-416659879773033/voter-totals"])
def test_an_id_beyond_the_key_column_answers_404(as_user, url: str) -> None:
    assert as_user("xa").get(url).status_code == 404
