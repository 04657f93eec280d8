"""core.uploads.strip_metadata format by format (no database): what each container may
hide (EXIF with GPS and a thumbnail, XMP, IPTC, ICC, comments, PNG text chunks, WebP
EXIF/XMP chunks, GIF comment and XMP blocks, data after the end of a JPEG) is gone, the
picture is identical pixel for pixel (or turned upright), stripping twice changes
nothing, and what cannot be parsed is refused."""

import io
import struct

import pytest
from PIL import Image, ImageCms, ImageFile

from core.uploads import UnreadableImage, strip_metadata
from tests.upload_metadata import (
    ARTIST,
    MAKE,
    PHONE_HEIC,
    XMP,
    XMP_APP1,
    XMP_MARK,
    assert_clean,
    assert_same_picture,
    displayed,
    exif_block,
    malformed_jpeg,
    phone_jpeg,
    phone_png,
    picture,
)

EXIF = b"Exif\x00\x00" + exif_block(orientation=1)


def _segment(marker, payload):
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def _insert_after_soi(jpeg, *segments):
    return jpeg[:2] + b"".join(segments) + jpeg[2:]


def _save(image, fmt, **params):
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def _frames(data):
    image = Image.open(io.BytesIO(data))
    frames = []
    for index in range(getattr(image, "n_frames", 1)):
        image.seek(index)
        frames.append(image.convert("RGBA").tobytes())
    return frames


def test_jpeg_every_metadata_segment_and_the_trailer_go_pixels_kept():
    plain = _save(picture(), "JPEG", quality=90)
    jfif_with_thumbnail = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x02\x02" + b"\x7f" * 12
    iptc = b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x10\x1c\x02\x50\x00\x0b" + ARTIST
    icc = b"ICC_PROFILE\x00\x01\x01" + b"appl" * 8 + MAKE
    mpf_trailer = _save(picture((8, 8)), "JPEG")  # a second picture after EOI (MPO, Samsung)
    body = plain[:2] + plain[2 + 18 :]  # drop Pillow's own JFIF header
    original = (
        _insert_after_soi(
            body,
            _segment(0xE0, jfif_with_thumbnail),
            _segment(0xE1, EXIF),
            _segment(0xE1, XMP_APP1),
            _segment(0xE2, icc),
            _segment(0xED, iptc),
            _segment(0xFE, b"owner " + ARTIST),
        )
        + mpf_trailer
    )
    stripped = strip_metadata(original, "image/jpeg")
    assert stripped.content_type == "image/jpeg"
    assert_clean(stripped.data)
    for marker in (b"Photoshop", b"8BIM", b"ICC_PROFILE", b"appl", b"\x7f" * 12):
        assert marker not in stripped.data
    assert stripped.data.endswith(b"\xff\xd9") and stripped.data.count(b"\xff\xd9") == 1
    assert Image.open(io.BytesIO(stripped.data)).info["jfif_density"] == (1, 1)
    assert_same_picture(stripped.data, original, tolerance=0)


@pytest.mark.parametrize(
    "params",
    [
        {"progressive": True},
        {"restart_marker_blocks": 1},
        {"subsampling": 0, "quality": 100},
    ],
    ids=["progressive", "restart-markers", "444"],
)
def test_jpeg_variants_are_copied_losslessly(params):
    original = _insert_after_soi(_save(picture((40, 24)), "JPEG", **params), _segment(0xE1, EXIF))
    stripped = strip_metadata(original, "image/jpeg").data
    assert_clean(stripped)
    assert_same_picture(stripped, original, tolerance=0)


def test_cmyk_jpeg_keeps_adobe_colour_transform():
    original = _insert_after_soi(_save(picture().convert("CMYK"), "JPEG"), _segment(0xE1, EXIF))
    stripped = strip_metadata(original, "image/jpeg").data
    assert_clean(stripped)
    image = Image.open(io.BytesIO(stripped))
    assert image.mode == "CMYK" and "adobe" in image.info
    assert image.tobytes() == Image.open(io.BytesIO(original)).tobytes()


@pytest.mark.parametrize("orientation,size", [(3, (64, 48)), (6, (48, 64)), (8, (48, 64))])
def test_orientation_is_applied_before_the_tag_goes(orientation, size):
    for original, kind, tolerance in (
        (phone_jpeg(orientation=orientation), "image/jpeg", 3),
        (phone_png(orientation=orientation), "image/png", 0),
    ):
        stripped = strip_metadata(original, kind).data
        assert_clean(stripped)
        assert Image.open(io.BytesIO(stripped)).size == size
        assert_same_picture(stripped, original, tolerance=tolerance)


def test_reencoded_jpeg_keeps_the_photos_own_quality_tables():
    original = phone_jpeg(orientation=6)
    stripped = strip_metadata(original, "image/jpeg").data
    assert Image.open(io.BytesIO(stripped)).quantization == (
        Image.open(io.BytesIO(original)).quantization
    )


@pytest.mark.parametrize("lossless", [False, True])
def test_webp_exif_xmp_and_icc_chunks_go(lossless):
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    original = _save(picture(), "WEBP", exif=EXIF, xmp=XMP, icc_profile=icc, lossless=lossless)
    assert MAKE in original and XMP_MARK in original
    stripped = strip_metadata(original, "image/webp").data
    assert_clean(stripped)
    for chunk in (b"EXIF", b"XMP ", b"ICCP"):
        assert chunk not in stripped
    assert stripped[12:16] == b"VP8X" and stripped[20] & 0x2C == 0  # no ICC, EXIF, XMP flag
    assert struct.unpack("<I", stripped[4:8])[0] == len(stripped) - 8
    assert_same_picture(stripped, original, tolerance=0)


def test_animated_webp_and_gif_keep_every_frame():
    frames = [picture(), picture().rotate(180)]
    webp = _save(
        frames[0], "WEBP", save_all=True, append_images=frames[1:], exif=EXIF, xmp=XMP, loop=0
    )
    gif = _save(
        frames[0], "GIF", save_all=True, append_images=frames[1:], comment=b"by " + ARTIST, loop=0
    )
    xmp_block = b"\x21\xff\x0bXMP DataXMP" + bytes((len(XMP_MARK),)) + XMP_MARK + b"\x00"
    # A plain-text extension (label 0x01): 12 bytes of grid and colours, then the text.
    hidden = b"Owner: " + ARTIST
    text_block = b"\x21\x01\x0c" + bytes(12) + bytes((len(hidden),)) + hidden + b"\x00"
    gif = gif[:-1] + xmp_block + text_block + b"\x3b"
    for original, kind in ((webp, "image/webp"), (gif, "image/gif")):
        stripped = strip_metadata(original, kind).data
        assert_clean(stripped)
        assert ARTIST not in stripped and XMP_MARK not in stripped
        assert b"Owner: " not in stripped
        assert _frames(stripped) == _frames(original)
    assert Image.open(io.BytesIO(strip_metadata(gif, "image/gif").data)).info["loop"] == 0


def test_stripping_twice_changes_nothing():
    for original, kind in (
        (phone_jpeg(orientation=1), "image/jpeg"),
        (phone_jpeg(orientation=6), "image/jpeg"),
        (phone_png(orientation=6), "image/png"),
        (_save(picture(), "WEBP", exif=EXIF), "image/webp"),
        (_save(picture(), "GIF", comment=b"x"), "image/gif"),
        (PHONE_HEIC, "image/heic"),
    ):
        once = strip_metadata(original, kind)
        twice = strip_metadata(once.data, once.content_type)
        assert twice == once


def test_heic_becomes_an_upright_jpeg_without_metadata():
    assert MAKE in PHONE_HEIC and XMP_MARK in PHONE_HEIC
    stripped = strip_metadata(PHONE_HEIC, "image/heic")
    assert (stripped.content_type, stripped.extension) == ("image/jpeg", "jpg")
    assert_clean(stripped.data)
    upright = displayed(stripped.data)
    assert upright.size == (48, 64)
    # Turned a quarter clockwise: the blue bottom-left quadrant is now top-left.
    r, g, b = upright.getpixel((5, 5))
    assert b > 180 and r < 80 and g < 80


def test_other_types_are_left_as_they_are():
    pdf = b"%PDF-1.4\n1 0 obj<</Author (" + ARTIST + b")>>endobj\n%%EOF\n"
    assert strip_metadata(pdf, "application/pdf").data == pdf
    mp3 = b"ID3\x03\x00\x00\x00\x00\x00\x10TPE1" + ARTIST
    assert strip_metadata(mp3, "audio/mpeg").data == mp3


def _png_claiming(width, height):
    def chunk(kind, payload):
        import zlib

        crc = zlib.crc32(kind + payload)
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", b"x\x9c\x03\x00\x00\x00\x00\x01")
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    "data,kind",
    [
        (malformed_jpeg(), "image/jpeg"),
        (phone_jpeg(orientation=1)[:-150], "image/jpeg"),
        (phone_jpeg(orientation=6)[:-150], "image/jpeg"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 40, "image/jpeg"),
        (phone_png()[:-40], "image/png"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 \x00\x00", "image/webp"),
        (b"GIF89a\x01\x00\x01\x00", "image/gif"),
        (b"\x00\x00\x00\x18ftypheic" + b"\x00" * 40, "image/heic"),
        (_png_claiming(20_000, 20_000), "image/png"),  # Pillow's own bomb limit
    ],
    ids=[
        "jpeg-garbage",
        "jpeg-truncated",
        "jpeg-to-turn-truncated",
        "jpeg-header-only",
        "png-truncated",
        "png-fake",
        "webp-fake",
        "gif-fake",
        "heic-fake",
        "png-bomb",
    ],
)
@pytest.mark.parametrize("lenient", [False, True], ids=["strict-pillow", "weasyprint-loaded"])
def test_unparseable_images_are_refused(data, kind, lenient, monkeypatch):
    # WeasyPrint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES on import: a truncated
    # photo must be refused all the same.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", lenient)
    with pytest.raises(UnreadableImage) as refused:
        strip_metadata(data, kind)
    assert "could not be read" in refused.value.message


def test_a_picture_over_89_megapixels_is_refused_before_decoding():
    with pytest.raises(UnreadableImage) as refused:
        strip_metadata(_png_claiming(10_000, 10_000), "image/png")
    assert "too large" in refused.value.message


def test_a_copy_that_keeps_metadata_falls_back_to_reencoding(monkeypatch):
    # The safety net: were a walker to let metadata through, Pillow's check catches it
    # and the picture is re-encoded without any.
    from core import uploads

    monkeypatch.setitem(uploads._WALKERS, "JPEG", lambda data: data)
    monkeypatch.setitem(uploads._WALKERS, "PNG", lambda data: data)
    for original, kind, tolerance in (
        (phone_jpeg(orientation=1), "image/jpeg", 3),
        (phone_png(orientation=1), "image/png", 0),
    ):
        stripped = strip_metadata(original, kind).data
        assert_clean(stripped)
        assert_same_picture(stripped, original, tolerance=tolerance)
