"""Voter list files in the Mẫu 31/HĐBC layout, as a commune's export looks."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook

TITLE = ["DANH SÁCH CỬ TRI", None, None]
HEAD_1 = ["STT", "Số thẻ", "Họ và tên", "Ngày sinh", "Giới tính", None, "Số định danh cá nhân", "Dân tộc",
          "Nơi cư trú", None, None, "Bầu cử", None, None, "Ghi chú"]
HEAD_2 = [None, None, None, None, "Nam", "Nữ", None, None, "Nơi thường trú", "Nơi tạm trú", "Nơi ở hiện tại",
          "ĐBQH", "HĐND tỉnh", "HĐND xã", None]
FOOTER = [["Tổng số cử tri của khu vực bỏ phiếu là 3 người; trong đó có 2 Nam; 1 Nữ"],
          ["Người lập biểu"]]


def voter(stt: int, name: str, born: str, male: bool, id_number: str, ballots: str = "xxx", note: str = "",
          temporary: str = "") -> list[Any]:
    return [stt, f"{stt:04d}", name, born, "x" if male else "", "" if male else "x", id_number, "Kinh",
            "" if temporary else "12 Lê Lợi, Bến Thành", temporary, "12 Lê Lợi, Bến Thành",
            *["x" if c == "x" else "o" for c in ballots], note]


ROWS = [
    voter(1, "Nguyễn Văn An", "01/02/1960", True, "079060001111"),
    voter(2, "Trần Thị Bình", "15/03/2008", False, "079308002222"),
    voter(3, "Lê Văn Cường", "20/11/1990", True, "079090003333", ballots="xxo",
          note="Tạm trú từ 01/10/2025", temporary="5 Pasteur, Bến Thành"),
]


def xlsx(rows: list[list[Any]] = ROWS, header: tuple[list[Any], ...] = (HEAD_1, HEAD_2),
         footer: list[list[Any]] = FOOTER) -> bytes:
    book = Workbook()
    sheet = book.active
    for line in [TITLE, [], *header, *rows, [], *footer]:
        sheet.append(line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv(rows: list[list[Any]] = ROWS) -> bytes:
    head = ["STT", "Họ và tên", "Ngày sinh", "Nam", "Nữ", "Số định danh cá nhân", "Dân tộc", "Nơi thường trú",
            "Nơi tạm trú", "Nơi ở hiện tại", "Bầu ĐBQH", "Bầu HĐND tỉnh", "Bầu HĐND xã", "Ghi chú"]
    lines = [",".join(head)]
    for r in rows:
        cells = [r[0], *r[2:]]
        lines.append(",".join(f'"{c}"' for c in cells))
    return ("\n".join(lines) + "\n").encode("utf-8")
