"""Loading the official units from the ``vietnam-provinces`` package (codes after the July 2025 merger)."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from sqlalchemy.orm import Session
from vietnam_provinces import Province as VpProvince
from vietnam_provinces import VietNamDivisionType, Ward

from webapp.geo.models import Commune, CommuneKind, Province
from webapp.textnorm import fold

# Special zones with no local government of their own elect no commune People's Council (Luật Tổ chức
# chính quyền địa phương 2025): Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa, Trường Sa.
NO_COMMUNE_COUNCIL = frozenset({"11948", "19742", "20333", "22736"})

_KINDS = {
    VietNamDivisionType.XA: CommuneKind.COMMUNE,
    VietNamDivisionType.PHUONG: CommuneKind.WARD,
    VietNamDivisionType.DAC_KHU: CommuneKind.SPECIAL_ZONE,
}


@dataclasses.dataclass(frozen=True)
class LoadResult:
    provinces_added: int
    communes_added: int
    updated: int


def province_code(value: int) -> str:
    return f"{value:02d}"


def commune_code(value: int) -> str:
    return f"{value:05d}"


def load_units(session: Session, province_codes: set[str] | None = None) -> LoadResult:
    """Insert or update provinces and communes; running it twice changes nothing."""
    provinces = {p.code: p for p in session.scalars(sa.select(Province))}
    communes = {c.code: c for c in session.scalars(sa.select(Commune))}
    added_p = added_c = updated = 0
    for vp in sorted(VpProvince.iter_all(), key=lambda p: p.code.value):
        code = province_code(vp.code.value)
        if province_codes is not None and code not in province_codes:
            continue
        values = {"name": vp.name, "name_folded": fold(vp.name),
                  "is_city": vp.division_type is VietNamDivisionType.THANH_PHO_TRUNG_UONG}
        province = provinces.get(code)
        if province is None:
            province = provinces[code] = Province(code=code, **values)
            session.add(province)
            added_p += 1
        else:
            updated += _update(province, values)
    session.flush()
    for ward in sorted(Ward.iter_all(), key=lambda w: w.code.value):
        pcode = province_code(ward.province_code.value)
        if pcode not in provinces or (province_codes is not None and pcode not in province_codes):
            continue
        code = commune_code(ward.code.value)
        values = {
            "province_id": provinces[pcode].id,
            "name": ward.name,
            "name_folded": fold(ward.name),
            "kind": _KINDS[ward.division_type],
            "has_commune_council": code not in NO_COMMUNE_COUNCIL,
        }
        commune = communes.get(code)
        if commune is None:
            session.add(Commune(code=code, **values))
            added_c += 1
        else:
            updated += _update(commune, values)
    session.flush()
    return LoadResult(added_p, added_c, updated)


def _update(obj: object, values: dict[str, object]) -> int:
    changed = 0
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = 1
    return changed
