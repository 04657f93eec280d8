"""Photos as a phone makes them, for the metadata-stripping tests: GPS position, the
phone's make, model and serial, the owner's name, the time, a thumbnail and an XMP
packet, in JPEG and PNG. Built with Pillow and a small EXIF writer (Pillow writes no
thumbnail IFD)."""

import base64
import io
import struct

from PIL import Image, ImageOps, PngImagePlugin

MAKE = b"WsrPhoneMaker"
MODEL = b"WsrPhone 15 Pro"
ARTIST = b"Maria Worker-Name"
SERIAL = b"SN-4471-0099-ZZ"
XMP_MARK = b"wsr-xmp-secret-location"
# Every string that must be gone from a stripped file (the raw bytes are searched).
MARKERS = (
    b"Exif\x00\x00",
    b"http://ns.adobe.com/xap/1.0/",
    b"x:xmpmeta",
    XMP_MARK,
    MAKE,
    MODEL,
    ARTIST,
    SERIAL,
    b"2026:03:14 06:12:00",
    b"tEXt",
    b"iTXt",
    b"zTXt",
    b"eXIf",
    b"tIME",
)
XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'exif:GPSLatitude="26,25.8N" exif:UserComment="' + XMP_MARK + b'"/>'
    b'</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)
XMP_APP1 = b"http://ns.adobe.com/xap/1.0/\x00" + XMP


def picture(size=(64, 48)):
    """Four coloured quadrants: a rotation or a mirror shows in the pixels."""
    w, h = size
    image = Image.new("RGB", size, (255, 255, 255))
    image.paste((220, 30, 30), (0, 0, w // 2, h // 2))
    image.paste((30, 200, 30), (w // 2, 0, w, h // 2))
    image.paste((30, 30, 220), (0, h // 2, w // 2, h))
    image.paste((240, 220, 20), (w // 2, h // 2, w, h))
    return image


def _ifd(entries, start, tail=0):
    """A big-endian TIFF IFD at offset ``start``: (tag, type, count, bytes) entries with
    values over four bytes placed after it. Returns its bytes."""
    entries = sorted(entries)
    data_at = start + 2 + 12 * len(entries) + 4
    table, data = [], b""
    for tag, kind, count, value in entries:
        if len(value) <= 4:
            table.append(struct.pack(">HHI", tag, kind, count) + value.ljust(4, b"\x00"))
        else:
            table.append(struct.pack(">HHII", tag, kind, count, data_at + len(data)))
            data += value + (b"\x00" if len(value) & 1 else b"")
    return struct.pack(">H", len(entries)) + b"".join(table) + struct.pack(">I", tail) + data


def _ascii(tag, text):
    return (tag, 2, len(text) + 1, text + b"\x00")


def _rationals(tag, *pairs):
    return (tag, 5, len(pairs), b"".join(struct.pack(">II", a, b) for a, b in pairs))


def exif_block(*, orientation=1, thumbnail=b""):
    """The TIFF body of an EXIF segment: IFD0 (make, model, artist, orientation), the
    Exif IFD (time, serial), the GPS IFD (a position in Florida) and IFD1 (thumbnail)."""
    gps = [
        _ascii(1, b"N"),
        _rationals(2, (26, 1), (25, 1), (4800, 100)),
        _ascii(3, b"W"),
        _rationals(4, (81, 1), (25, 1), (1200, 100)),
    ]
    exif = [_ascii(0x9003, b"2026:03:14 06:12:00"), _ascii(0xA431, SERIAL)]
    # Lay out: header(8) IFD0, Exif IFD, GPS IFD, IFD1, thumbnail. Sizes first, offsets
    # second (an IFD's size does not depend on where it sits).
    ifd0_fixed = [
        _ascii(0x010F, MAKE),
        _ascii(0x0110, MODEL),
        (0x0112, 3, 1, struct.pack(">H", orientation)),
        _ascii(0x013B, ARTIST),
    ]
    size0 = len(_ifd(ifd0_fixed + [(0x8769, 4, 1, b"\0" * 4), (0x8825, 4, 1, b"\0" * 4)], 8))
    exif_at = 8 + size0
    exif_ifd = _ifd(exif, exif_at)
    gps_at = exif_at + len(exif_ifd)
    gps_ifd = _ifd(gps, gps_at)
    ifd1_at = gps_at + len(gps_ifd)
    ifd1_size = len(
        _ifd(
            [(0x0103, 3, 1, b"\0\x06"), (0x0201, 4, 1, b"\0" * 4), (0x0202, 4, 1, b"\0" * 4)],
            ifd1_at,
        )
    )
    thumb_at = ifd1_at + ifd1_size
    ifd1 = _ifd(
        [
            (0x0103, 3, 1, struct.pack(">H", 6)),
            (0x0201, 4, 1, struct.pack(">I", thumb_at)),
            (0x0202, 4, 1, struct.pack(">I", len(thumbnail))),
        ],
        ifd1_at,
    )
    ifd0 = _ifd(
        ifd0_fixed
        + [(0x8769, 4, 1, struct.pack(">I", exif_at)), (0x8825, 4, 1, struct.pack(">I", gps_at))],
        8,
        tail=ifd1_at if thumbnail else 0,
    )
    assert len(ifd0) == size0
    body = b"MM\x00\x2a" + struct.pack(">I", 8) + ifd0 + exif_ifd + gps_ifd
    if thumbnail:
        body += ifd1 + thumbnail
    return body


def _segment(marker, payload):
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def phone_jpeg(*, orientation=6, size=(64, 48)):
    """A JPEG as a phone writes it: APP1 EXIF with a thumbnail, APP1 XMP, a comment."""
    out = io.BytesIO()
    picture(size).save(out, "JPEG", quality=90)
    plain = out.getvalue()
    thumb = io.BytesIO()
    picture((16, 12)).save(thumb, "JPEG", quality=50)
    exif = _segment(
        0xE1, b"Exif\x00\x00" + exif_block(orientation=orientation, thumbnail=thumb.getvalue())
    )
    xmp = _segment(0xE1, XMP_APP1)
    comment = _segment(0xFE, b"taken by " + ARTIST)
    # After SOI (and Pillow's JFIF header), as cameras place them.
    head = plain[:2]
    rest = plain[2:]
    return head + exif + xmp + comment + rest


def phone_png(*, orientation=1, size=(64, 48)):
    """A PNG with a tEXt author, an iTXt XMP packet, an eXIf chunk with GPS and a tIME."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", ARTIST.decode())
    info.add_text("Comment", f"phone {MODEL.decode()}")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    info.add(b"tIME", struct.pack(">HBBBBB", 2026, 3, 14, 6, 12, 0))
    out = io.BytesIO()
    picture(size).save(
        out, "PNG", pnginfo=info, exif=b"Exif\x00\x00" + exif_block(orientation=orientation)
    )
    return out.getvalue()


# An iPhone-style HEIC (64x48, turned upright by its irot box: shown 48x64) with the same
# EXIF (GPS, make, model, artist, serial) and XMP, written once by pillow-heif's encoder
# (the project installs only the decoder, pi-heif, which has no encoder).
PHONE_HEIC = base64.b64decode(
    "AAAAHGZ0eXBoZWljAAAAAG1pZjFoZWljbWlhZgAAAhJtZXRhAAAAAAAAACFoZGxyAAAAAAAAAABwaWN0AAAAAAAA"
    "AAAAAAAAAAAAAEZpbG9jAAAAAERAAAMAAQAAAAACNgABAAAAAAAAAMQAAgAAAAAC+gABAAAAAAAAATgAAwAAAAAE"
    "MgABAAAAAAAAAUQAAABiaWluZgAAAAAAAwAAABVpbmZlAgAAAAABAABodmMxAAAAABVpbmZlAgAAAQACAABFeGlm"
    "AAAAACppbmZlAgAAAQADAABtaW1lAGFwcGxpY2F0aW9uL3JkZit4bWwAAAAAAA5waXRtAAAAAAABAAABB2lwcnAA"
    "AADmaXBjbwAAAHZodmNDAQNwAAAAkAAAAAAAHvAA/P34+AAADwNgAAEAGEABDAH//wNwAAADAJAAAAMAAAMAHroC"
    "QGEAAQAqQgEBA3AAAAMAkAAAAwAAAwAeoCCBBZbq5Ka5uAhoMCAAAAMDIAAAAwAhYgABAAZEAcFzwIkAAAATY29s"
    "cm5jbHgAAQANAAaAAAAAFGlzcGUAAAAAAAAAQAAAAEAAAAAoY2xhcAAAAEAAAAABAAAAMAAAAAEAAAAAAAAAAv//"
    "//AAAAACAAAAEHBpeGkAAAAAAwgICAAAAAlpcm90AwAAABlpcG1hAAAAAAAAAAEAAQaBAgMFhIYAAAAoaXJlZgAA"
    "AAAAAAAOY2RzYwACAAEAAQAAAA5jZHNjAAMAAQABAAADSG1kYXQAAADAKAGvCeAhOKn/8i3f/xMdl7mXJ5Wnv1j/"
    "/RBvvQ1v/iKbdH6Nrzf/ByO/MH7/ja7Ewsn5R/+yrL6crFphQewMsBzvxvEyEFVzC3az8xC8hiUoAIAwU2Wbulqy"
    "u0Un1Avctm/l9t2gDJgCHBNw6OUhG9lryOxri36AALlADN5X3vqf3b5vysX8Z5V12IuuMwwQ9spi6x0DOlJ7HaSc"
    "1o3bj5z+nnsKJ1NKn33VQO8h+LOIP1aIE/N+W4etjyfwYTpIAAAABkV4aWYAAE1NACoAAAAIAAYBDwACAAAADgAA"
    "AFYBEAACAAAAEAAAAGQBEgADAAAAAQAGAAABOwACAAAAEgAAAHSHaQAEAAAAAQAAAIaIJQAEAAAAAQAAAMgAAAAA"
    "V3NyUGhvbmVNYWtlcgBXc3JQaG9uZSAxNSBQcm8ATWFyaWEgV29ya2VyLU5hbWUAAAKQAwACAAAAFAAAAKSkMQAC"
    "AAAAEAAAALgAAAAAMjAyNjowMzoxNCAwNjoxMjowMABTTi00NDcxLTAwOTktWloAAAQAAQACAAAAAk4AAAAAAgAF"
    "AAAAAwAAAP4AAwACAAAAAlcAAAAABAAFAAAAAwAAARYAAAAAAAAAGgAAAAEAAAAZAAAAAQAAEsAAAABkAAAAUQAA"
    "AAEAAAAZAAAAAQAABLAAAABkPD94cGFja2V0IGJlZ2luPSIiIGlkPSJXNU0wTXBDZWhpSHpyZVN6TlRjemtjOWQi"
    "Pz48eDp4bXBtZXRhIHhtbG5zOng9ImFkb2JlOm5zOm1ldGEvIj48cmRmOlJERiB4bWxuczpyZGY9Imh0dHA6Ly93"
    "d3cudzMub3JnLzE5OTkvMDIvMjItcmRmLXN5bnRheC1ucyMiPjxyZGY6RGVzY3JpcHRpb24geG1sbnM6ZXhpZj0i"
    "aHR0cDovL25zLmFkb2JlLmNvbS9leGlmLzEuMC8iIGV4aWY6R1BTTGF0aXR1ZGU9IjI2LDI1LjhOIiBleGlmOlVz"
    "ZXJDb21tZW50PSJ3c3IteG1wLXNlY3JldC1sb2NhdGlvbiIvPjwvcmRmOlJERj48L3g6eG1wbWV0YT48P3hwYWNr"
    "ZXQgZW5kPSJ3Ij8+"
)


def malformed_jpeg():
    """Sniffs as JPEG (FF D8 FF) and carries EXIF, but is not a picture."""
    return b"\xff\xd8\xff\xe1\x00\x40Exif\x00\x00MM\x00\x2a" + MAKE + b"\x00" * 20 + b"garbage"


def displayed(data):
    """The picture as a viewer shows it (EXIF orientation applied)."""
    return ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")


def assert_clean(data):
    """No metadata in the stored bytes: by Pillow and by searching the raw bytes."""
    for marker in MARKERS:
        assert marker not in data, marker
    # No second JPEG inside (the EXIF thumbnail is one).
    assert data.count(b"\xff\xd8\xff") <= 1
    image = Image.open(io.BytesIO(data))
    assert len(image.getexif()) == 0
    for key in ("exif", "xmp", "icc_profile", "comment", "photoshop", "XML:com.adobe.xmp"):
        assert key not in image.info, key
    assert not getattr(image, "text", {}), image.text


def assert_same_picture(stored, original, *, tolerance=0.0):
    """The stored picture is the original as displayed: same size, same pixels on
    average (a JPEG that had to be turned upright is re-encoded, hence ``tolerance``),
    and each quadrant's colour where it was."""
    a, b = displayed(stored), displayed(original)
    assert a.size == b.size
    pairs = zip(a.tobytes(), b.tobytes(), strict=True)
    mean = sum(abs(x - y) for x, y in pairs) / (a.width * a.height * 3)
    assert mean <= tolerance, mean
    w, h = a.size
    for x, y in (
        (w // 4, h // 4),
        (3 * w // 4, h // 4),
        (w // 4, 3 * h // 4),
        (3 * w // 4, 3 * h // 4),
    ):
        p, q = a.getpixel((x, y)), b.getpixel((x, y))
        assert max(abs(i - j) for i, j in zip(p, q, strict=True)) <= 12, (x, y, p, q)
