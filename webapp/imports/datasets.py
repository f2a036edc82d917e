"""The five datasets a file can hold: their Vietnamese column headers, what each column means, an example row.

Headers are fixed Vietnamese text whatever the interface language, so that a file made by one person reads the
same for everyone; they are matched without regard to case, accents or a trailing ``*``.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from webapp.accounts.models import Role
from webapp.elections.models import ContestKind, Gender, PollingAreaKind, TeamRole
from webapp.imports.common import N_
from webapp.textnorm import fold


@dataclasses.dataclass(frozen=True)
class Column:
    key: str
    header: str
    help: str
    example: Any = None
    required: bool = False
    width: int = 18


@dataclasses.dataclass(frozen=True)
class Dataset:
    key: str
    title: str
    help: str
    file_stem: str
    columns: tuple[Column, ...]

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def header(self, key: str) -> str:
        return self.column(key).header


def header_key(text: str) -> str:
    return fold(text.replace("*", ""))


# Words in the files, matched folded; the first spelling of each is the one written on export.
CONTEST_WORDS: dict[ContestKind, tuple[str, ...]] = {
    ContestKind.NATIONAL_ASSEMBLY: ("QH", "Quốc hội", "ĐBQH", "na"),
    ContestKind.PROVINCIAL_COUNCIL: ("HĐND tỉnh", "HĐND cấp tỉnh", "tỉnh", "provincial"),
    ContestKind.COMMUNE_COUNCIL: ("HĐND xã", "HĐND cấp xã", "xã", "commune"),
}
GENDER_WORDS: dict[Gender, tuple[str, ...]] = {
    Gender.MALE: ("Nam", "male", "M"),
    Gender.FEMALE: ("Nữ", "female", "F"),
}
AREA_KIND_WORDS: dict[PollingAreaKind, tuple[str, ...]] = {
    PollingAreaKind.REGULAR: ("Thường", "Thông thường", "regular"),
    PollingAreaKind.HOSPITAL: ("Bệnh viện", "Cơ sở y tế", "hospital"),
    PollingAreaKind.ARMED_FORCES: ("Lực lượng vũ trang", "Đơn vị vũ trang", "LLVT", "armed_forces"),
    PollingAreaKind.DETENTION: ("Tạm giam", "Cơ sở giam giữ", "Trại tạm giam", "detention"),
}
TEAM_ROLE_WORDS: dict[TeamRole, tuple[str, ...]] = {
    TeamRole.LEADER: ("Tổ trưởng", "leader"),
    TeamRole.DEPUTY: ("Tổ phó", "Phó tổ trưởng", "deputy"),
    TeamRole.SECRETARY: ("Thư ký", "secretary"),
    TeamRole.MEMBER: ("Thành viên", "Ủy viên", "Tổ viên", "member"),
}
ROLE_WORDS: dict[Role, tuple[str, ...]] = {
    Role.LEADER: ("Tổ trưởng", "Tổ trưởng tổ bầu cử", "leader"),
    Role.COMMUNE: ("Cán bộ xã", "Ủy ban bầu cử xã", "commune"),
    Role.PROVINCE: ("Ủy ban bầu cử tỉnh", "Cán bộ tỉnh", "province"),
    Role.HOTLINE: ("Tổng đài", "hotline"),
    Role.ADMIN: ("Quản trị", "Quản trị quốc gia", "admin"),
}


def word(mapping: dict[Any, tuple[str, ...]], value: Any) -> str:
    return mapping[value][0]


# A person's mobile number, in the polling teams and the accounts alike.
PHONE = Column("phone", "Số điện thoại", N_("Mobile number, 10 digits."), "0912345678", False, 14)

POLLING_AREAS = Dataset(
    key="polling_areas",
    title=N_("Polling areas"),
    help=N_(
        "One row per polling area (KVBP): its commune, number, name, the electoral unit it votes in for "
        "each contest and its number of voters. Import the electoral units first."
    ),
    file_stem="khu-vuc-bo-phieu",
    columns=(
        Column("code", "Mã KVBP", N_("The polling area's own code, unique in the country, e.g. commune code, "
                                     "dash, number."), "26743-01", True, 14),
        Column("commune", "Mã xã", N_("Official 5-digit code of the commune, ward or special zone."),
               "26743", True, 9),
        Column("number", "Số KVBP", N_("Number of the polling area within its commune."), 1, True, 9),
        Column("name", "Tên KVBP", N_("Name of the polling area."), "Khu vực bỏ phiếu số 1", True, 26),
        Column("address", "Địa chỉ", N_("Where the polling station is."),
               "Trường Tiểu học Bến Thành, 12 Lê Lợi", False, 36),
        Column("kind", "Loại KVBP",
               N_("Thường, Bệnh viện, Lực lượng vũ trang or Tạm giam. Empty means Thường."), "Thường", False, 14),
        Column("early_voting_date", "Ngày bỏ phiếu sớm",
               N_("Only for areas allowed to vote early (dd/mm/yyyy)."), None, False, 14),
        Column("unit_na", "Đơn vị bầu cử QH",
               N_("Code of the National Assembly electoral unit; required for a new polling area."),
               "QH-79-01", False, 16),
        Column("unit_provincial", "Đơn vị bầu cử HĐND tỉnh",
               N_("Code of the provincial council electoral unit; required for a new polling area."),
               "T-79-01", False, 16),
        Column("unit_commune", "Đơn vị bầu cử HĐND xã",
               N_("Code of the commune council electoral unit; empty where the area does not vote for it."),
               "X-26743-01", False, 16),
        Column("voters_na", "Số cử tri QH", N_("Voters on the list for the National Assembly ballot."),
               1520, False, 11),
        Column("voters_provincial", "Số cử tri HĐND tỉnh",
               N_("Voters on the list for the provincial council ballot."), 1520, False, 11),
        Column("voters_commune", "Số cử tri HĐND xã",
               N_("Voters on the list for the commune council ballot."), 1505, False, 11),
        Column("voters_as_of", "Ngày chốt số cử tri",
               N_("Date (and time) of these voter numbers; empty means now. A changed number is kept as a "
                  "new version."), date(2026, 2, 3), False, 16),
    ),
)

UNITS = Dataset(
    key="units",
    title=N_("Electoral units"),
    help=N_(
        "One row per electoral unit of each contest, with its number of seats (at most 3 for the National "
        "Assembly, 5 for people's councils)."
    ),
    file_stem="don-vi-bau-cu",
    columns=(
        Column("contest", "Cấp bầu cử", N_("QH, HĐND tỉnh or HĐND xã."), "HĐND xã", True, 12),
        Column("code", "Mã đơn vị", N_("The unit's own code, unique within its contest."),
               "X-26743-01", True, 14),
        Column("number", "Số đơn vị", N_("Number of the unit (Đơn vị bầu cử số …)."), 1, True, 9),
        Column("name", "Tên đơn vị", N_("Name of the unit."), "Đơn vị bầu cử số 1", True, 24),
        Column("province", "Mã tỉnh", N_("Official 2-digit code of the province."), "79", True, 8),
        Column("commune", "Mã xã", N_("Commune code; required for commune council units, empty otherwise."),
               "26743", False, 9),
        Column("seats", "Số đại biểu được bầu", N_("Seats to fill."), 3, True, 12),
    ),
)

CANDIDATES = Dataset(
    key="candidates",
    title=N_("Candidates"),
    help=N_(
        "One row per candidate, in ballot order. Give each unit's whole list in one file: a unit left with "
        "too few candidates for its seats is refused."
    ),
    file_stem="nguoi-ung-cu",
    columns=(
        Column("unit", "Mã đơn vị", N_("Code of the electoral unit."), "X-26743-01", True, 14),
        Column("ballot_order", "Số thứ tự", N_("Place on the ballot, 1, 2, 3…"), 1, True, 9),
        Column("full_name", "Họ và tên", N_("Full name as on the ballot."), "Nguyễn Văn An", True, 26),
        Column("birth_date", "Ngày sinh", N_("Date of birth (dd/mm/yyyy)."), date(1975, 5, 19), True, 13),
        Column("gender", "Giới tính", N_("Nam or Nữ."), "Nam", True, 9),
    ),
)

TEAMS = Dataset(
    key="teams",
    title=N_("Polling teams"),
    help=N_(
        "One row per member of a polling team (Tổ bầu cử). The place number identifies the member within "
        "the team; re-importing it updates that member."
    ),
    file_stem="to-bau-cu",
    columns=(
        Column("area", "Mã KVBP", N_("Code of the polling area."), "26743-01", True, 14),
        Column("position", "Thứ tự", N_("Place of the member in the team list, 1, 2, 3…"), 1, True, 8),
        Column("full_name", "Họ và tên", N_("Full name."), "Trần Thị Bình", True, 26),
        Column("role", "Chức vụ", N_("Tổ trưởng, Tổ phó, Thư ký or Thành viên."), "Tổ trưởng", True, 13),
        PHONE,
    ),
)

ACCOUNTS = Dataset(
    key="accounts",
    title=N_("Accounts"),
    help=N_(
        "One row per user account. New accounts have no password: they get an activation code later. "
        "Passwords are never read from files."
    ),
    file_stem="tai-khoan",
    columns=(
        Column("username", "Tên đăng nhập", N_("Letters without accents, digits, dot, dash or underscore."),
               "to01-26743", True, 16),
        Column("full_name", "Họ và tên", N_("Full name of the person."), "Trần Thị Bình", True, 24),
        PHONE,
        Column("role", "Vai trò", N_("Tổ trưởng, Cán bộ xã, Ủy ban bầu cử tỉnh, Tổng đài or Quản trị."),
               "Tổ trưởng", True, 18),
        Column("province", "Mã tỉnh", N_("Province code, for provincial accounts and provincial hotlines."),
               None, False, 8),
        Column("commune", "Mã xã", N_("Commune code, for commune officials."), None, False, 9),
        Column("area", "Mã KVBP", N_("Polling area code, for polling team leaders."), "26743-01", False, 14),
    ),
)

DATASETS: dict[str, Dataset] = {d.key: d for d in (UNITS, CANDIDATES, POLLING_AREAS, TEAMS, ACCOUNTS)}
