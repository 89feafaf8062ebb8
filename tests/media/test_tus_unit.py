"""Pure pieces of the upload and download paths: tus headers, container sniffing, ranges."""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest

from portal.jobs.schemas import MAX_ID
from portal.media import tus
from portal.media.ranges import Plan, content_disposition, decide, http_date, parse_range
from portal.media.service import new_upload_from_metadata
from portal.media.signature import HEAD_BYTES, MATROSKA, MP4, OGG, QUICKTIME, sniff
from portal.media.tus import TusError


def b64(value: str | bytes) -> str:
    raw = value.encode() if isinstance(value, str) else value
    return base64.b64encode(raw).decode()


def refused(error: pytest.ExceptionInfo[TusError], status: int) -> TusError:
    assert error.value.status == status, error.value
    assert error.value.message
    return error.value


# ------------------------------------------------------------------------ Upload-Metadata


@pytest.mark.parametrize("header", [None, "", "   "])
def test_metadata_empty_header_is_empty_mapping(header: str | None) -> None:
    # tuspy always sends the header, empty when it has nothing to say.
    assert tus.parse_metadata(header) == {}


def test_metadata_decodes_base64_utf8_values() -> None:
    header = f"filename {b64('训练 视频.mp4')},filetype {b64('video/mp4')}, job_id {b64('42')}"
    assert tus.parse_metadata(header) == {
        "filename": "训练 视频.mp4",
        "filetype": "video/mp4",
        "job_id": "42",
    }


def test_metadata_key_without_value_is_empty_string() -> None:
    assert tus.parse_metadata(f"is_confidential,filename {b64('a.mp4')}") == {
        "is_confidential": "",
        "filename": "a.mp4",
    }
    assert tus.parse_metadata("flag") == {"flag": ""}


@pytest.mark.parametrize(
    "header",
    [
        "filename not*base64",
        "filename YQ",  # missing padding
        "filename YW Jj",  # a space inside the value: three parts
        "filename\tYWJj",  # a tab is not the separator
    ],
)
def test_metadata_bad_base64_is_400(header: str) -> None:
    with pytest.raises(TusError) as error:
        tus.parse_metadata(header)
    assert refused(error, 400).code == "bad_request"


def test_metadata_non_utf8_is_400() -> None:
    with pytest.raises(TusError) as error:
        tus.parse_metadata("filename " + b64(b"\xff\xfe\x00video"))
    refused(error, 400)


def test_metadata_huge_value_is_400() -> None:
    with pytest.raises(TusError) as error:
        tus.parse_metadata(f"filename {b64('x' * 10_000)}")
    refused(error, 400)


def test_metadata_near_the_limit_is_fine() -> None:
    value = "y" * 2000
    assert tus.parse_metadata(f"filename {b64(value)}") == {"filename": value}


def test_metadata_too_many_keys_is_400() -> None:
    header = ",".join(f"k{i} {b64('v')}" for i in range(tus.MAX_METADATA_PAIRS + 1))
    with pytest.raises(TusError) as error:
        tus.parse_metadata(header)
    refused(error, 400)
    allowed = ",".join(f"k{i} {b64('v')}" for i in range(tus.MAX_METADATA_PAIRS))
    assert len(tus.parse_metadata(allowed)) == tus.MAX_METADATA_PAIRS


def test_metadata_duplicate_keys_are_400() -> None:
    with pytest.raises(TusError) as error:
        tus.parse_metadata(f"filename {b64('a')},filename {b64('b')}")
    refused(error, 400)


@pytest.mark.parametrize(
    "header",
    [
        f"file name {b64('a')}",  # a space in the key
        f"ключ {b64('a')}",  # not a token
        f"{'k' * 65} {b64('a')}",  # key too long
        f"a {b64('1')},,b {b64('2')}",  # an empty pair
        f" {b64('a')}",  # no key at all
    ],
)
def test_metadata_malformed_keys_are_400(header: str) -> None:
    with pytest.raises(TusError) as error:
        tus.parse_metadata(header)
    refused(error, 400)


def test_metadata_round_trip() -> None:
    data = {"filename": "Ünïcødé 名字.mov", "job_id": "7", "filetype": "video/quicktime"}
    assert tus.parse_metadata(tus.encode_metadata(data)) == data


# ------------------------------------------------------------------------ Upload-Checksum


def test_checksum_sha1() -> None:
    digest = hashlib.sha1(b"hello").digest()  # noqa: S324 - the protocol's algorithm
    checksum = tus.parse_checksum(f"sha1 {b64(digest)}")
    assert checksum is not None
    assert checksum.algorithm == "sha1" and checksum.digest == digest
    hasher = checksum.hasher()
    hasher.update(b"hello")
    assert hasher.digest() == digest


@pytest.mark.parametrize("algorithm", ["sha256", "md5"])
def test_checksum_other_algorithms(algorithm: str) -> None:
    digest = hashlib.new(algorithm, b"x").digest()
    checksum = tus.parse_checksum(f"{algorithm} {b64(digest)}")
    assert checksum is not None and checksum.algorithm == algorithm


def test_checksum_absent() -> None:
    assert tus.parse_checksum(None) is None


@pytest.mark.parametrize(
    "header",
    [
        "crc32 AAAAAA==",  # unsupported algorithm
        "SHA1 " + b64(b"\0" * 20),  # algorithms are lower case
        "sha1 !!!notbase64!!!",
        "sha1 " + b64(b"\0" * 19),  # wrong digest length
        "sha1",  # no digest at all
        "",
    ],
)
def test_checksum_bad_headers_are_400(header: str) -> None:
    with pytest.raises(TusError) as error:
        tus.parse_checksum(header)
    refused(error, 400)


# ------------------------------------------------------------------------ sizes, versions


@pytest.mark.parametrize(("raw", "value"), [("0", 0), ("10", 10), (" 1024 ", 1024)])
def test_parse_size(raw: str, value: int) -> None:
    assert tus.parse_size(raw, "Upload-Length") == value


def test_parse_size_absent() -> None:
    assert tus.parse_size(None, "Upload-Length") is None


@pytest.mark.parametrize(
    "raw",
    [
        *("", "-1", "+5", "1e3", "1.5", "0x10", "9" * 20, "1 2"),
        # Digits to str.isdigit or int(), not to HTTP: only ASCII 0-9 is a number here.
        *("١٢", "٣", "²", "1²", "¹0", "１０", "𝟗"),
        # Only spaces and tabs surround a header value (str.strip takes these too).
        *("10\xa0", "\x8510", "10\x1c", "10\u3000"),
    ],
)
@pytest.mark.parametrize("name", ["Upload-Length", "Upload-Offset"])
def test_parse_size_rejects(raw: str, name: str) -> None:
    with pytest.raises(TusError) as error:
        tus.parse_size(raw, name)
    assert name in refused(error, 400).message


@pytest.mark.parametrize("raw", ["1", "12345", "0012", " 7\t", str(MAX_ID)])
def test_metadata_job_id(raw: str) -> None:
    new = new_upload_from_metadata({"job_id": raw}, 10)
    assert new.job_id == int(raw)


@pytest.mark.parametrize(
    "raw",
    [
        # Beyond the jobs.id column (32-bit): the driver would fail, a 500.
        *(str(MAX_ID + 1), str(2**32), "9" * 10, str(2**63), "9" * 19, "0", "0" * 11),
        *("", "abc", "-1", "+1", "1.0", "1 2", "١٢", "٣", "²", "1²", "１", "12\u3000", "\xa012"),
    ],
)
def test_metadata_job_id_refused(raw: str) -> None:
    with pytest.raises(TusError) as error:
        new_upload_from_metadata({"job_id": raw}, 10)
    assert "job_id" in refused(error, 400).message


@pytest.mark.parametrize("version", [None, "", "0.2.2", "1.0", "1.0.0 ", "2.0.0"])
def test_unsupported_resumable_is_412(version: str | None) -> None:
    headers = {} if version is None else {"Tus-Resumable": version}
    with pytest.raises(TusError) as error:
        tus.check_resumable(headers)
    refused(error, 412)


def test_supported_resumable() -> None:
    tus.check_resumable({"Tus-Resumable": "1.0.0"})


@pytest.mark.parametrize(
    "content_type",
    [
        "application/offset+octet-stream",
        "Application/Offset+Octet-Stream",
        "application/offset+octet-stream; charset=binary",
    ],
)
def test_patch_content_type_accepted(content_type: str) -> None:
    tus.check_patch_content_type({"Content-Type": content_type})


@pytest.mark.parametrize("content_type", [None, "", "application/octet-stream", "video/mp4"])
def test_patch_content_type_refused_415(content_type: str | None) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    with pytest.raises(TusError) as error:
        tus.check_patch_content_type(headers)
    refused(error, 415)


@pytest.mark.parametrize(
    ("method", "override", "effective"),
    [
        ("POST", "PATCH", "PATCH"),
        ("POST", "patch", "PATCH"),
        ("POST", " DELETE ", "DELETE"),
        ("POST", "HEAD", "HEAD"),
        ("POST", "GET", "POST"),  # only what tus needs
        ("POST", "", "POST"),
        ("POST", None, "POST"),
        ("PATCH", "DELETE", "PATCH"),  # only a POST is overridden
    ],
)
def test_method_override(method: str, override: str | None, effective: str) -> None:
    headers = {} if override is None else {"X-HTTP-Method-Override": override}
    assert tus.effective_method(method, headers) == effective


def test_options_headers() -> None:
    headers = tus.options_headers(1234)
    assert headers["Tus-Version"] == "1.0.0"
    assert headers["Tus-Resumable"] == "1.0.0"
    assert headers["Tus-Max-Size"] == "1234"
    extensions = headers["Tus-Extension"].split(",")
    for name in ("creation", "creation-with-upload", "termination", "expiration", "checksum"):
        assert name in extensions
    assert "sha1" in headers["Tus-Checksum-Algorithm"].split(",")


# ------------------------------------------------------------------------ signatures


def box(kind: bytes, brand: bytes = b"") -> bytes:
    payload = brand.ljust(8, b"\0")
    return (8 + len(payload)).to_bytes(4, "big") + kind + payload


@pytest.mark.parametrize(
    ("head", "container"),
    [
        (box(b"ftyp", b"isom\0\0\x02\0"), MP4),
        (box(b"ftyp", b"mp42"), MP4),
        (box(b"ftyp", b"qt  "), QUICKTIME),
        (box(b"moov"), QUICKTIME),
        (box(b"wide"), QUICKTIME),
        (box(b"mdat"), QUICKTIME),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81", MATROSKA),
        (b"OggS\x00\x02" + b"\0" * 10, OGG),
    ],
)
def test_sniff_video_heads(head: bytes, container: object) -> None:
    assert sniff(head[:HEAD_BYTES]) == container


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"\x00",
        b"\x00\x00\x00\x18ftyp",  # too short to carry a brand
        b"\x1a\x45\xdf",  # a truncated EBML magic
        b"Ogg",
        b"hello, world!\nthis is text",
        b"<!doctype html><html>",
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
        b"\xff\xd8\xff\xe0\0\x10JFIF\0",
        b"ID3\x04\0\0\0\0\0\0",
        b"PK\x03\x04" + b"\0" * 12,
        b"\0" * HEAD_BYTES,
    ],
)
def test_sniff_refuses_everything_else(head: bytes) -> None:
    assert sniff(head[:HEAD_BYTES]) is None


@pytest.mark.parametrize(
    "text",
    [b"Set free the birds, this is text", b"Hey ftyp-ish text here!", b"All moov on now, text"],
)
def test_sniff_text_that_spells_a_box_name(text: bytes) -> None:
    # Bytes 4-8 spell a box type, but the "size" before them is far beyond the file.
    assert sniff(text[:HEAD_BYTES], len(text)) is None


def test_sniff_box_sizes() -> None:
    head = box(b"ftyp", b"isom")  # a 16-byte ftyp box
    assert sniff(head, 16) == MP4
    assert sniff(head, 15) is None  # a box larger than the file
    assert sniff(head) == MP4  # length unknown
    assert sniff(b"\x00\x00\x00\x0cftypisom", 1000) is None  # too small for a brand
    mdat_first = (5_000_000).to_bytes(4, "big") + b"mdat" + b"\0" * 8
    assert sniff(mdat_first, 6_000_000) == QUICKTIME
    assert sniff(mdat_first, 4_000_000) is None
    assert sniff(b"\x00\x00\x00\x00mdat" + b"\0" * 8, 10) == QUICKTIME  # size 0: to the end
    assert sniff(b"\x00\x00\x00\x01mdat" + b"\0" * 8, 10**10) == QUICKTIME  # 64-bit size
    assert sniff(b"\x00\x00\x00\x04wide" + b"\0" * 8, 100) is None  # smaller than a header


FFMPEG_FORMATS = {
    "mp4": (["-c:v", "libx264", "-pix_fmt", "yuv420p"], MP4),
    "mov": (["-c:v", "libx264", "-pix_fmt", "yuv420p"], QUICKTIME),
    "webm": (["-c:v", "libvpx", "-b:v", "100k"], MATROSKA),
    "mkv": (["-c:v", "libx264", "-pix_fmt", "yuv420p"], MATROSKA),
    "ogv": (["-c:v", "libtheora"], OGG),
}


@pytest.fixture(scope="module")
def real_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("ffmpeg is not installed")
    folder = tmp_path_factory.mktemp("containers")
    made = {}
    for extension, (codec, _container) in FFMPEG_FORMATS.items():
        path = folder / f"clip.{extension}"
        subprocess.run(
            [
                ffmpeg,
                *("-v", "error", "-f", "lavfi", "-i", "testsrc=size=32x32:rate=5", "-t", "0.4"),
                *codec,
                str(path),
            ],
            check=True,
            timeout=60,
        )
        made[extension] = path
    return made


@pytest.mark.parametrize("extension", list(FFMPEG_FORMATS))
def test_sniff_files_made_by_ffmpeg(real_files: dict[str, Path], extension: str) -> None:
    path = real_files[extension]
    with open(path, "rb") as file:
        head = file.read(HEAD_BYTES)
    assert sniff(head) == FFMPEG_FORMATS[extension][1]
    assert sniff(head, path.stat().st_size) == FFMPEG_FORMATS[extension][1]


def test_sniff_text_renamed_mp4(tmp_path: Path) -> None:
    path = tmp_path / "movie.mp4"
    path.write_text("I am not a video, whatever my name says.\n" * 10)
    assert sniff(path.read_bytes()[:HEAD_BYTES]) is None


# ------------------------------------------------------------------------ ranges

SIZE = 1000
ETAG = '"0123456789abcdef"'
MODIFIED = datetime(2026, 3, 4, 5, 6, 7, 891000, tzinfo=UTC)


def plan(method: str = "GET", size: int = SIZE, **headers: str) -> Plan:
    normalised = {key.replace("_", "-"): value for key, value in headers.items()}
    return decide(normalised, size=size, etag=ETAG, last_modified=MODIFIED, method=method)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", (0, 99)),
        ("bytes=0-0", (0, 0)),
        ("bytes=100-", (100, 999)),
        ("bytes=-100", (900, 999)),
        ("bytes=-1", (999, 999)),
        ("bytes=-5000", (0, 999)),  # a suffix longer than the file: all of it
        ("bytes=990-5000", (990, 999)),  # the end is clamped
        ("bytes=999-999", (999, 999)),
        ("BYTES = 5 - 9", (5, 9)),
        ("bytes=0-" + "9" * 5000, (0, 999)),
        ("bytes=-" + "9" * 5000, (0, 999)),
        ("bytes=0000000000000000000000000000010-11", (10, 11)),
    ],
)
def test_parse_range_satisfiable(header: str, expected: tuple[int, int]) -> None:
    assert parse_range(header, SIZE) == expected


@pytest.mark.parametrize(
    "header",
    [
        "bytes=1000-",
        "bytes=1000-1000",
        "bytes=999999999-",
        "bytes=" + "9" * 5000 + "-",
        "bytes=-0",
    ],
)
def test_parse_range_unsatisfiable(header: str) -> None:
    assert parse_range(header, SIZE) is False


@pytest.mark.parametrize(
    "header",
    [
        "bytes=0-99,200-299",  # several ranges: the whole file
        "bytes=0-1,",
        "bytes=-",
        "bytes=5-2",  # last before first: invalid, ignored
        "bytes=a-b",
        "bytes=1.5-2",
        "bytes=٠-٥",  # non-ASCII digits
        "items=0-99",
        "0-99",
        "",
    ],
)
def test_parse_range_ignored(header: str) -> None:
    assert parse_range(header, SIZE) is None


def test_empty_file_has_no_satisfiable_range() -> None:
    assert parse_range("bytes=0-", 0) is False
    assert parse_range("bytes=-10", 0) is False


def test_decide_whole_without_range() -> None:
    assert plan() == Plan(200, 0, SIZE - 1)
    assert plan().length == SIZE


def test_decide_ranges() -> None:
    assert plan(Range="bytes=0-99") == Plan(206, 0, 99)
    assert plan(Range="bytes=100-") == Plan(206, 100, 999)
    assert plan(Range="bytes=-100") == Plan(206, 900, 999)
    assert plan(Range="bytes=-100").length == 100
    assert plan("HEAD", Range="bytes=0-9") == Plan(206, 0, 9)
    assert plan(Range="bytes=1000-").status == 416
    assert plan(Range="bytes=-0").status == 416
    assert plan(Range="bytes=0-9,20-29") == Plan(200, 0, 999)
    assert plan(Range="bytes=nonsense") == Plan(200, 0, 999)


def test_if_range_etag() -> None:
    assert plan(Range="bytes=0-9", If_Range=ETAG) == Plan(206, 0, 9)
    assert plan(Range="bytes=0-9", If_Range='"stale"') == Plan(200, 0, 999)
    # A weak validator never allows a range, even with the same opaque tag.
    assert plan(Range="bytes=0-9", If_Range=f"W/{ETAG}") == Plan(200, 0, 999)


def test_if_range_date() -> None:
    assert plan(Range="bytes=0-9", If_Range=http_date(MODIFIED)) == Plan(206, 0, 9)
    earlier = http_date(MODIFIED - timedelta(seconds=1))
    assert plan(Range="bytes=0-9", If_Range=earlier) == Plan(200, 0, 999)
    later = http_date(MODIFIED + timedelta(days=1))
    assert plan(Range="bytes=0-9", If_Range=later) == Plan(200, 0, 999)
    assert plan(Range="bytes=0-9", If_Range="not a date") == Plan(200, 0, 999)
    # A stale If-Range never turns an unsatisfiable range into a 416.
    assert plan(Range="bytes=5000-", If_Range='"stale"') == Plan(200, 0, 999)


def test_if_range_date_without_zone_is_gmt() -> None:
    naive = MODIFIED.strftime("%a, %d %b %Y %H:%M:%S")
    assert plan(Range="bytes=0-9", If_Range=naive) == Plan(206, 0, 9)
    assert plan(Range="bytes=0-9", If_Range=naive + " -0000") == Plan(206, 0, 9)


@pytest.mark.parametrize(
    "header",
    [ETAG, "*", f'"a", {ETAG}, "b"', f"W/{ETAG}", f'"x",W/{ETAG}'],
)
def test_if_none_match_304(header: str) -> None:
    assert plan(If_None_Match=header).status == 304
    assert plan("HEAD", If_None_Match=header).status == 304
    # Conditions come before ranges.
    assert plan(If_None_Match=header, Range="bytes=0-9").status == 304


@pytest.mark.parametrize("header", ['"other"', '"a", "b"', "", 'W/"other"'])
def test_if_none_match_other_tags(header: str) -> None:
    assert plan(If_None_Match=header) == Plan(200, 0, 999)


def test_if_modified_since() -> None:
    assert plan(If_Modified_Since=http_date(MODIFIED)).status == 304
    assert plan(If_Modified_Since=http_date(MODIFIED + timedelta(hours=1))).status == 304
    assert plan(If_Modified_Since=http_date(MODIFIED - timedelta(hours=1))).status == 200
    assert plan(If_Modified_Since="yesterday").status == 200
    assert plan(If_Modified_Since="Tue, 01 Dec 99999 05:35:38 GMT").status == 200
    assert plan(If_Modified_Since="Tue, 01 Dec 2026 05:35:38 +9999").status == 200


def test_if_modified_since_without_zone_does_not_crash() -> None:
    naive = MODIFIED.strftime("%a, %d %b %Y %H:%M:%S")
    assert plan(If_Modified_Since=naive).status == 304
    assert plan(If_Modified_Since=naive + " -0000").status == 304
    old = (MODIFIED - timedelta(days=3)).strftime("%a, %d %b %Y %H:%M:%S")
    assert plan(If_Modified_Since=old).status == 200


def test_if_none_match_wins_over_if_modified_since() -> None:
    # RFC 9110 13.2.2: If-Modified-Since is ignored when If-None-Match is present.
    assert plan(If_None_Match='"other"', If_Modified_Since=http_date(MODIFIED)).status == 200


# ------------------------------------------------------------------------ Content-Disposition


def test_content_disposition_ascii() -> None:
    assert content_disposition("clip.mp4", attachment=True) == (
        "attachment; filename=\"clip.mp4\"; filename*=UTF-8''clip.mp4"
    )
    assert content_disposition("clip.mp4", attachment=False).startswith("inline; ")


def test_content_disposition_non_ascii_rfc6266() -> None:
    name = "培训视频 第1课.mp4"
    header = content_disposition(name, attachment=True)
    kind, fallback, extended = (part.strip() for part in header.split(";"))
    assert kind == "attachment"
    assert fallback.startswith('filename="') and fallback.endswith('"')
    assert fallback[len('filename="') : -1].isascii()
    assert fallback.endswith('.mp4"')
    assert extended.startswith("filename*=UTF-8''")
    encoded = extended.removeprefix("filename*=UTF-8''")
    assert encoded.isascii() and " " not in encoded
    assert unquote(encoded, encoding="utf-8") == name
    header.encode("latin-1")  # a valid header value


@pytest.mark.parametrize("name", ['say "hi".mp4', "back\\slash.mp4", "semi;colon.mp4", "a\r\nb"])
def test_content_disposition_hostile_names_stay_one_parameter(name: str) -> None:
    header = content_disposition(name, attachment=True)
    assert "\r" not in header and "\n" not in header
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert '"' not in fallback and "\\" not in fallback
    encoded = header.split("filename*=UTF-8''", 1)[1]
    assert ";" not in encoded and '"' not in encoded
    assert unquote(encoded) == name
