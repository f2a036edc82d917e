"""Vietnamese names for demo and synthetic data (deterministic given a Random)."""

from __future__ import annotations

import random

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
          "Hồ", "Ngô", "Dương", "Lý", "Trương", "Đinh", "Lâm", "Mai", "Tạ", "Châu"]
MIDDLE_M = ["Văn", "Hữu", "Đức", "Minh", "Quốc", "Thành", "Công", "Xuân", "Anh", "Hoàng"]
MIDDLE_F = ["Thị", "Ngọc", "Thu", "Thanh", "Kim", "Mỹ", "Bích", "Hồng", "Phương", "Diệu"]
GIVEN_M = ["An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khánh", "Long", "Nam", "Phúc", "Quang", "Sơn",
           "Tài", "Thắng", "Trí", "Tuấn", "Việt", "Vinh", "Hiếu", "Đạt", "Lộc", "Khoa"]
GIVEN_F = ["Anh", "Châu", "Dung", "Hà", "Hạnh", "Hương", "Lan", "Linh", "Mai", "Nga", "Nhung", "Oanh",
           "Phượng", "Quyên", "Thảo", "Trang", "Tuyết", "Uyên", "Vân", "Yến", "Ngân", "Loan"]


def person(rng: random.Random, female: bool) -> str:
    middle = MIDDLE_F if female else MIDDLE_M
    given = GIVEN_F if female else GIVEN_M
    return f"{rng.choice(FAMILY)} {rng.choice(middle)} {rng.choice(given)}"


def phone(rng: random.Random) -> str:
    return rng.choice(["090", "091", "093", "094", "096", "097", "098", "032", "035", "083"]) + "".join(
        str(rng.randrange(10)) for _ in range(7)
    )
