import io

import pytest
import sqlalchemy as sa
from PIL import Image

from tests.reports.helpers import AREA, count_data, good_numbers, jpeg_bytes, links, new_id, vn
from webapp import scope
from webapp.audit.models import AuditEntry, Channel
from webapp.audit.services import Actor
from webapp.elections.models import ContestKind
from webapp.reports import services
from webapp.reports.models import ReportPhoto
from webapp.reports.photos import PhotoRejected, process_image


@pytest.fixture
def report(db_session, w):
    area = w.area(AREA)
    return services.submit_count(
        db_session, actor=Actor(w.user("to01"), Channel.WEB), area_id=area.id,
        contest_id=links(db_session, area)[ContestKind.NATIONAL_ASSEMBLY].contest_id,
        data=count_data(w, good_numbers(db_session, area, ContestKind.NATIONAL_ASSEMBLY)),
        client_uuid=new_id(), now=vn(20, 0),
    ).report


def attach(db_session, w, report, content, tmp_path, *, user="to01", client_uuid=None, **kwargs):
    return services.attach_photo(db_session, actor=w.user(user), report_id=report.id, content=content,
                                 client_uuid=client_uuid or new_id(), channel=Channel.WEB, now=vn(20, 5),
                                 upload_dir=tmp_path, **kwargs)


def test_a_real_jpeg_is_accepted_re_encoded_and_stripped_of_exif(db_session, w, report, tmp_path):
    original = jpeg_bytes(640, 480, exif_gps=True)
    with Image.open(io.BytesIO(original)) as phone_file:
        assert phone_file.getexif()  # the phone's file carries EXIF with a GPS block
    photo = attach(db_session, w, report, original, tmp_path).report
    stored = (tmp_path / photo.path).read_bytes()
    assert stored != original and len(stored) == photo.size
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG" and image.size == (640, 480) == (photo.width, photo.height)
        assert not image.getexif()
    assert photo.content_type == "image/jpeg" and photo.report is report
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.entity_type == "report_photos")) == 1


def test_png_and_webp_are_accepted_as_jpeg(db_session, w, report, tmp_path):
    for fmt in ("PNG", "WEBP"):
        photo = attach(db_session, w, report, jpeg_bytes(300 + len(fmt), 200, fmt=fmt), tmp_path).report
        with Image.open(tmp_path / photo.path) as stored:
            assert stored.format == "JPEG"


def test_a_large_photo_is_shrunk_on_the_server_too(db_session, w, report, tmp_path):
    photo = attach(db_session, w, report, jpeg_bytes(4000, 3000), tmp_path).report
    assert (photo.width, photo.height) == (2000, 1500)


@pytest.mark.parametrize("content, code", [
    (b"", "empty"),
    (b"Day khong phai anh, chi la chu.\n" * 20, "not_an_image"),
    (jpeg_bytes(320, 240)[:300], "not_an_image"),
    (jpeg_bytes(120, 90), "too_small"),
    (jpeg_bytes(320, 240, fmt="GIF"), "unsupported_format"),
])
def test_what_is_not_a_sane_picture_is_refused(db_session, w, report, tmp_path, content, code):
    with pytest.raises(PhotoRejected) as caught:
        attach(db_session, w, report, content, tmp_path)
    assert caught.value.code == code
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ReportPhoto)) == 0
    assert not any(tmp_path.rglob("*.jpg"))


def test_too_large_a_file_is_refused_before_decoding(db_session, w, report, tmp_path):
    with pytest.raises(PhotoRejected) as caught:
        attach(db_session, w, report, jpeg_bytes(), tmp_path, max_bytes=1000)
    assert caught.value.code == "too_large"


def test_a_decompression_bomb_is_refused():
    # A tiny PNG that claims 20,000 × 20,000 pixels.
    image = Image.new("1", (20000, 20000))
    out = io.BytesIO()
    image.save(out, "PNG")
    assert len(out.getvalue()) < 100_000
    with pytest.raises(PhotoRejected) as caught:
        process_image(out.getvalue())
    assert caught.value.code == "too_many_pixels"


def test_sending_the_same_photo_again_creates_nothing(db_session, w, report, tmp_path):
    client_uuid = new_id()
    first = attach(db_session, w, report, jpeg_bytes(), tmp_path, client_uuid=client_uuid)
    again = attach(db_session, w, report, jpeg_bytes(), tmp_path, client_uuid=client_uuid)
    same_picture = attach(db_session, w, report, jpeg_bytes(), tmp_path)
    assert not first.replayed and again.replayed and same_picture.replayed
    assert again.report.id == same_picture.report.id == first.report.id
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ReportPhoto)) == 1


def test_photos_are_visible_in_scope_only_and_sent_by_the_leader_only(db_session, w, report, tmp_path):
    photo = attach(db_session, w, report, jpeg_bytes(), tmp_path).report
    assert services.photo_for(db_session, w.user("xa"), photo.id) is photo
    with pytest.raises(scope.OutOfScope):
        services.photo_for(db_session, w.user("hn_to01"), photo.id)
    with pytest.raises(services.NotAllowed):
        attach(db_session, w, report, jpeg_bytes(400, 300), tmp_path, user="xa")
    with pytest.raises(scope.OutOfScope):
        attach(db_session, w, report, jpeg_bytes(400, 300), tmp_path, user="hn_to01")
