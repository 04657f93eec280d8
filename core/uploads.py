"""What an uploaded file really is, from its first bytes: never from its name or the
content type the uploader's browser claims (both are chosen by the uploader).

One table for the whole platform; each app decides which of these kinds it accepts
(complaint evidence takes audio recordings, a buyer's attestation takes office files).
"""

import hashlib
import io
import struct
import warnings
from typing import NamedTuple

# (offset, signature, content type, extension)
_SIGNATURES = [
    (0, b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (0, b"GIF87a", "image/gif", "gif"),
    (0, b"GIF89a", "image/gif", "gif"),
    (0, b"%PDF-", "application/pdf", "pdf"),
    (0, b"ID3", "audio/mpeg", "mp3"),
    (0, b"OggS", "audio/ogg", "ogg"),
    (0, b"#!AMR", "audio/amr", "amr"),
    (0, b"fLaC", "audio/flac", "flac"),
    # ZIP containers: office documents (docx, xlsx, odt...) among them.
    (0, b"PK\x03\x04", "application/zip", "zip"),
]
# ISO base media files: the brand at offset 8 tells what they hold.
_FTYP_BRANDS = {
    b"M4A ": ("audio/mp4", "m4a"),
    b"isom": ("video/mp4", "mp4"),
    b"mp42": ("video/mp4", "mp4"),
    b"mp41": ("video/mp4", "mp4"),
    b"3gp4": ("audio/3gpp", "3gp"),
    b"3gp5": ("audio/3gpp", "3gp"),
    b"heic": ("image/heic", "heic"),
    b"mif1": ("image/heic", "heic"),
}
# How many leading bytes ``sniff`` needs.
SNIFF_BYTES = 32


def sniff(head: bytes):
    """Return (content_type, extension) for a recognised format, else None."""
    for offset, sig, ctype, ext in _SIGNATURES:
        if head[offset : offset + len(sig)] == sig:
            return ctype, ext
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", "webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav", "wav"
    if head[4:8] == b"ftyp" and head[8:12] in _FTYP_BRANDS:
        return _FTYP_BRANDS[head[8:12]]
    # MPEG audio frame sync without an ID3 tag.
    if len(head) > 1 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0:
        return "audio/mpeg", "mp3"
    return None


# ------------------------------------------------------------ identifying metadata
#
# A phone photo carries EXIF (GPS position, the phone's make, model and serial, the
# owner's name, the time, a thumbnail that may show the picture before it was cropped or
# blurred), XMP, IPTC and comments. A worker's photo of a violation can identify or
# locate the worker, so every image is stripped before it is stored or hashed.
#
# How: a strict walker per container keeps only the segments a decoder needs to draw the
# picture (an allow-list: anything unknown goes) and copies the compressed picture data
# untouched, so the stripped photo is the same picture bit for bit. Pillow then decodes
# the input and the output (a JPEG at 1/8 scale: all its data is still decoded) and
# checks the pixels are identical and no metadata is left.
# When the photo has an EXIF orientation (dropping the tag would show it rotated), or
# the walker's output fails the check, the picture is re-encoded without metadata
# (JPEG with the photo's own quantisation tables, so at its original quality).
# HEIC is decoded with pi-heif (libheif without the GPL encoder) and stored as JPEG.

IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp", "image/heic")
_PIL_FORMAT = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
    "image/heic": "HEIF",
}
# What Pillow may report about a stripped image: rendering facts, no metadata. Anything
# else (exif, xmp, icc_profile, comment, photoshop, PNG text keys...) is a leftover.
_HARMLESS_INFO = {
    "jfif",
    "jfif_version",
    "jfif_unit",
    "jfif_density",
    "dpi",
    "adobe",
    "adobe_transform",
    "progressive",
    "progression",
    "transparency",
    "gamma",
    "srgb",
    "chromaticity",
    "cicp",
    "aspect",
    "background",
    "duration",
    "loop",
    "version",
    "disposal",
    "timestamp",
    "blend",
    "bbox",
    "default_image",
    "interlace",
}
# GIF: Pillow reports the first application extension; only the looping one is harmless.
_LOOPING = (b"NETSCAPE2.0", b"ANIMEXTS1.0")

TOO_MANY_PIXELS = (
    "This picture is too large to check (over 89 megapixels). Send a smaller copy of it."
)
UNREADABLE = (
    "This picture could not be read, so the hidden details in it (such as where it was "
    "taken) could not be removed. Send it again as a JPEG or PNG, or send a screenshot."
)


class UnreadableImage(ValueError):
    """The file looks like an image by its first bytes but cannot be parsed: it is
    refused rather than stored with its metadata."""

    def __init__(self, message=UNREADABLE):
        super().__init__(message)
        self.message = message


class Stripped(NamedTuple):
    data: bytes
    content_type: str
    extension: str


def strip_metadata(data: bytes, content_type: str) -> Stripped:
    """Return the file without identifying metadata: for JPEG, PNG, GIF, WebP and HEIC
    (HEIC comes back as JPEG); any other type unchanged. Raises UnreadableImage for an
    image that cannot be parsed."""
    if content_type not in IMAGE_TYPES:
        return Stripped(data, content_type, _extension(content_type))
    fmt = _PIL_FORMAT[content_type]
    try:
        return _strip_image(data, content_type, fmt)
    except UnreadableImage:
        raise
    except Exception as exc:  # any parse failure of an untrusted file: refuse it
        raise UnreadableImage() from exc


def _extension(content_type):
    for _o, _s, ctype, ext in _SIGNATURES:
        if ctype == content_type:
            return ext
    for ctype, ext in _FTYP_BRANDS.values():
        if ctype == content_type:
            return ext
    return {"image/webp": "webp", "audio/wav": "wav"}.get(content_type, "bin")


def _pil():
    # Imported on first use: settings and management commands that never see an
    # upload do not pay for Pillow.
    import PIL.Image
    import PIL.ImageOps
    import PIL.JpegImagePlugin

    return PIL


def _open(data, fmt):
    PIL = _pil()
    with warnings.catch_warnings():
        # Pillow warns above MAX_IMAGE_PIXELS (and refuses at twice that); the check
        # below refuses it, without touching the process-wide warning filters.
        warnings.simplefilter("ignore", PIL.Image.DecompressionBombWarning)
        image = PIL.Image.open(io.BytesIO(data), formats=[fmt])
    # A small file that unpacks into a gigantic picture is refused, not decoded.
    if image.width * image.height > PIL.Image.MAX_IMAGE_PIXELS:
        raise UnreadableImage(TOO_MANY_PIXELS)
    return image


def _frame_digests(image, *, jpeg=False):
    """Decode every frame (a truncated or corrupt file fails here) and hash its pixels.

    JPEG: only the primary picture (an MPO's further pictures are dropped anyway), and
    decoded at 1/8 scale: every byte of the compressed data is still decoded (truncation
    and corruption still fail), at a fraction of the cost of a 12-megapixel photo."""
    digests = []
    frames = 1 if jpeg else getattr(image, "n_frames", 1)
    if jpeg:
        image.draft(image.mode, ((image.width + 7) // 8, (image.height + 7) // 8))
    for index in range(frames):
        image.seek(index)
        image.load()
        digests.append(hashlib.sha256(image.tobytes()).digest() + repr(image.size).encode())
    if frames > 1:
        image.seek(0)
    return digests


def _orientation(image):
    # Pillow also reads tiff:Orientation from XMP when EXIF has none.
    return image.getexif().get(0x0112, 1)


def _leftovers(image):
    left = set(image.info) - _HARMLESS_INFO
    extension = image.info.get("extension")
    if extension and bytes(extension[0]).startswith(_LOOPING):
        left.discard("extension")
    if getattr(image, "text", None):
        left.add("text")
    if len(image.getexif()):
        left.add("exif")
    return left


def _strip_image(data, content_type, fmt):
    if fmt == "HEIF":
        return Stripped(_reencode(_open_heif(data), "JPEG"), "image/jpeg", "jpg")
    source = _open(data, fmt)
    ext = _extension(content_type)
    # The walker's structural check (every segment whole, the end marker present) runs
    # first, whatever happens next. Pillow's decoding alone is not enough: WeasyPrint,
    # once imported, sets the process-wide ImageFile.LOAD_TRUNCATED_IMAGES, and a
    # truncated file then decodes, grey-filled, without an error.
    try:
        out = _WALKERS[fmt](data)
    except (IndexError, struct.error, ValueError) as exc:
        raise UnreadableImage() from exc
    jpeg = fmt == "JPEG"
    animated = not jpeg and getattr(source, "n_frames", 1) > 1
    if _orientation(source) in range(2, 9) and not animated:
        # Dropping the tag would show the photo on its side: turn the pixels instead.
        return Stripped(_reencode(source, fmt), content_type, ext)
    # Decoding it whole tells a picture from a file that only starts like one.
    source_pixels = _frame_digests(source, jpeg=jpeg)
    try:
        cleaned = _open(out, fmt)
        same = _frame_digests(cleaned, jpeg=jpeg) == source_pixels
        if same and not _leftovers(cleaned):
            return Stripped(out, content_type, ext)
    except (OSError, SyntaxError, ValueError, EOFError):
        pass
    # The lossless copy did not come out clean: re-encode the picture instead (not an
    # animation: re-encoding would keep only its first frame).
    if animated:
        raise UnreadableImage()
    return Stripped(_reencode(_open(data, fmt), fmt), content_type, ext)


def _open_heif(data):
    """The primary picture of a HEIC, decoded by libheif (its rotation and mirror
    applied). pi-heif's own API raises on a decoding error whatever Pillow's
    LOAD_TRUNCATED_IMAGES says (its Pillow plugin would hand back a blank picture)."""
    import pi_heif

    heif = pi_heif.open_heif(io.BytesIO(data))
    if heif.size[0] * heif.size[1] > _pil().Image.MAX_IMAGE_PIXELS:
        raise UnreadableImage(TOO_MANY_PIXELS)
    return heif.to_pillow()


def _reencode(source, fmt):
    """Encode the decoded picture afresh, orientation applied, with no metadata at all."""
    PIL = _pil()
    source.seek(0)
    # A new image either way (turned, or a plain copy): its info can be emptied.
    clean = PIL.ImageOps.exif_transpose(source)
    transparency = clean.info.get("transparency")
    clean.info = {}
    params = {}
    if fmt == "JPEG":
        if source.format in ("JPEG", "MPO"):
            # The photo's own tables: the re-encoded photo keeps its quality and size.
            params["qtables"] = source.quantization
            sampling = PIL.JpegImagePlugin.get_sampling(source)
            if sampling != -1:
                params["subsampling"] = sampling
        else:
            params["quality"] = 92
        if clean.mode not in ("L", "RGB", "CMYK"):
            clean = clean.convert("RGB")
    elif fmt == "WEBP":
        params["quality"] = 95
    if transparency is not None and fmt in ("PNG", "GIF"):
        params["transparency"] = transparency
    out = io.BytesIO()
    clean.save(out, fmt, **params)
    data = out.getvalue()
    check = _open(data, fmt)
    check.load()
    if _leftovers(check):
        raise UnreadableImage()
    return data


# ---- JPEG: keep frame, tables, scans; a bare JFIF header; Adobe's colour transform.


def _strip_jpeg(data):
    if data[:2] != b"\xff\xd8":
        raise ValueError("no SOI")
    out = [b"\xff\xd8"]
    i, n = 2, len(data)
    while True:
        j = data.find(b"\xff", i)  # stray bytes before a marker are dropped
        if j < 0:
            raise ValueError("no EOI")
        i = j
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            raise ValueError("truncated")
        marker = data[i]
        i += 1
        if marker == 0xD9:  # EOI: anything after it (trailers, extra pictures) goes
            out.append(b"\xff\xd9")
            return b"".join(out)
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # no length
            continue
        if marker == 0x00:
            raise ValueError("stuffed byte outside a scan")
        (length,) = struct.unpack(">H", data[i : i + 2])
        if length < 2 or i + length > n:
            raise ValueError("segment overruns the file")
        payload = data[i + 2 : i + length]
        i += length
        kept = _jpeg_segment(marker, payload)
        if kept is not None:
            out.append(bytes((0xFF, marker)) + struct.pack(">H", len(kept) + 2) + kept)
        if marker == 0xDA:  # entropy-coded data runs to the next real marker
            j = i
            while True:
                j = data.find(b"\xff", j)
                if j < 0 or j + 1 >= n:
                    raise ValueError("scan without end")
                follow = data[j + 1]
                if follow == 0x00 or 0xD0 <= follow <= 0xD7 or follow == 0xFF:
                    j += 1 if follow == 0xFF else 2
                    continue
                break
            out.append(data[i:j])
            i = j


def _jpeg_segment(marker, payload):
    """The payload to keep for one segment, or None to drop it."""
    if 0xC0 <= marker <= 0xCF or marker in (0xDA, 0xDB, 0xDD, 0xDC):
        return payload  # frame headers, Huffman/arithmetic tables, scans, quantisation
    if marker == 0xE0 and payload[:5] == b"JFIF\x00" and len(payload) >= 14:
        return payload[:12] + b"\x00\x00"  # density only; its thumbnail goes
    if marker == 0xEE and payload[:5] == b"Adobe" and len(payload) >= 12:
        return payload[:12]  # the colour transform a decoder needs for CMYK/YCCK
    return None  # APP1-15 (EXIF, XMP, ICC, IPTC, MPF...), COM and anything unknown


# ---- PNG: critical chunks, transparency, colour space, animation; no text, eXIf, time.

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_KEEP = {
    b"IHDR",
    b"PLTE",
    b"IDAT",
    b"IEND",
    b"tRNS",
    b"gAMA",
    b"cHRM",
    b"sRGB",
    b"cICP",
    b"sBIT",
    b"bKGD",
    b"pHYs",
    b"acTL",
    b"fcTL",
    b"fdAT",
}


def _strip_png(data):
    if data[:8] != _PNG_SIGNATURE:
        raise ValueError("no PNG signature")
    out = [_PNG_SIGNATURE]
    i, n = 8, len(data)
    while True:
        (length,) = struct.unpack(">I", data[i : i + 4])
        kind = data[i + 4 : i + 8]
        end = i + 12 + length
        if end > n:
            raise ValueError("chunk overruns the file")
        if kind in _PNG_KEEP:
            out.append(data[i:end])
        i = end
        if kind == b"IEND":
            return b"".join(out)


# ---- WebP: picture, alpha and animation chunks; VP8X flags say no ICC/EXIF/XMP.

_WEBP_KEEP = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF"}


def _riff_chunks(data, start, end):
    i = start
    while i < end:
        if i + 8 > end:
            raise ValueError("truncated chunk header")
        kind = data[i : i + 4]
        (size,) = struct.unpack("<I", data[i + 4 : i + 8])
        stop = i + 8 + size
        if stop > end:
            raise ValueError("chunk overruns the file")
        yield kind, data[i + 8 : stop]
        i = stop + (size & 1)


def _riff_chunk(kind, payload):
    return kind + struct.pack("<I", len(payload)) + payload + (b"\x00" if len(payload) & 1 else b"")


def _strip_webp(data):
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("no WebP header")
    (size,) = struct.unpack("<I", data[4:8])
    end = 8 + size
    if end > len(data):
        raise ValueError("truncated")
    body = []
    for kind, payload in _riff_chunks(data, 12, end):
        if kind not in _WEBP_KEEP:
            continue
        if kind == b"VP8X":
            # Clear the ICC (0x20), EXIF (0x08) and XMP (0x04) flags.
            payload = bytes((payload[0] & ~0x2C & 0xFF,)) + payload[1:]
        elif kind == b"ANMF":
            # A frame: a 16-byte header, then its own chunks (keep only picture data).
            inner = b"".join(
                _riff_chunk(k, p)
                for k, p in _riff_chunks(payload, 16, len(payload))
                if k in (b"ALPH", b"VP8 ", b"VP8L")
            )
            payload = payload[:16] + inner
        body.append(_riff_chunk(kind, payload))
    content = b"WEBP" + b"".join(body)
    return b"RIFF" + struct.pack("<I", len(content)) + content


# ---- GIF: header, colour tables, frames, frame timing and the loop count; no comments
# and no application blocks (XMP lives in one) other than the looping extension.


def _gif_sub_blocks(data, i):
    """Index just past a run of sub-blocks ending with the zero-length block."""
    while True:
        size = data[i]
        i += 1 + size
        if size == 0:
            return i


def _strip_gif(data):
    if data[:6] not in (b"GIF87a", b"GIF89a"):
        raise ValueError("no GIF header")
    packed = data[10]
    i = 13 + (3 << ((packed & 7) + 1) if packed & 0x80 else 0)
    out = [data[:i]]
    n = len(data)
    while True:
        if i >= n:
            raise ValueError("no trailer")
        block = data[i]
        if block == 0x3B:
            out.append(b"\x3b")
            return b"".join(out)
        if block == 0x2C:  # image descriptor, local colour table, LZW data
            packed = data[i + 9]
            start = i
            i += 10 + (3 << ((packed & 7) + 1) if packed & 0x80 else 0)
            i = _gif_sub_blocks(data, i + 1)  # +1: the LZW minimum code size
            if i > n:
                raise ValueError("truncated frame")
            out.append(data[start:i])
        elif block == 0x21:
            label = data[i + 1]
            start = i
            i = _gif_sub_blocks(data, i + 2)
            if i > n:
                raise ValueError("truncated extension")
            looping = label == 0xFF and data[start + 2 : start + 14] in (
                b"\x0bNETSCAPE2.0",
                b"\x0bANIMEXTS1.0",
            )
            # Frame timing and the loop count only. A plain-text block (0x01) is drawn
            # by almost no viewer, so any words in it would travel unseen: dropped.
            if label == 0xF9 or looping:
                out.append(data[start:i])
        else:
            raise ValueError("unknown GIF block")


_WALKERS = {"JPEG": _strip_jpeg, "PNG": _strip_png, "WEBP": _strip_webp, "GIF": _strip_gif}


def strip_upload(upload, data: bytes, content_type: str) -> Stripped:
    """Strip ``data`` (the upload's whole content) and put the stripped bytes back into
    the uploaded file in place, so whatever stores or hashes it afterwards gets them.

    Forms check a file and the service checks it again: the second call sees the
    already-stripped bytes (marked by their hash) and does not decode them twice.
    Raises UnreadableImage."""
    digest = hashlib.sha256(data).hexdigest()
    if getattr(upload, "_wsr_stripped_sha256", None) == digest:
        return Stripped(data, content_type, _extension(content_type))
    stripped = strip_metadata(data, content_type)
    if stripped.data != data:
        replace_content(upload, stripped.data)
    if stripped.content_type != content_type and getattr(upload, "name", None):
        upload.name = f"{upload.name.rsplit('.', 1)[0]}.{stripped.extension}"
        if hasattr(upload, "content_type"):
            upload.content_type = stripped.content_type
    upload._wsr_stripped_sha256 = hashlib.sha256(stripped.data).hexdigest()
    return stripped


def replace_content(upload, data: bytes):
    """Make a Django UploadedFile hold ``data``. A file Django spooled to disk is
    rewritten where it is (storage may move that file into place by its path)."""
    if hasattr(upload, "temporary_file_path"):
        handle = upload.file
        handle.seek(0)
        handle.write(data)
        handle.truncate()
        handle.flush()
    else:
        upload.file = io.BytesIO(data)
    upload.size = len(data)
    upload.seek(0)


# ---------------------------------------------------------------- the one upload check


class UploadRefused(ValueError):
    """An upload refused by ``check_upload``. ``code`` says why, for the entry point to
    word it for its reader (a worker in their language, an officer, an auditor):
    ``too_large``, ``empty``, ``type`` (not a format the caller accepts), ``markup`` (text
    that is a web page or XML), ``unreadable`` (a picture that cannot be parsed, so its
    metadata could not be removed) or ``too_many_pixels``."""

    def __init__(self, code, message=""):
        super().__init__(message or code)
        self.code = code
        self.message = message or code


class CheckedUpload(NamedTuple):
    data: bytes  # what is stored and hashed: a photo without its metadata
    content_type: str
    extension: str
    size: int
    sha256: str


TEXT_SAMPLE_BYTES = 4096


def check_upload(upload, *, accepted, plain_text=False, limit=None) -> CheckedUpload:
    """The one check of an uploaded file, for every entry point (complaint evidence,
    audit evidence, a buyer's attestation evidence): not larger than ``limit`` (default
    ``MAX_UPLOAD_BYTES``), not empty, a format the caller accepts (``accepted``: content
    type prefixes) by its bytes, never by its name or claimed type, and a picture's
    identifying metadata removed in place (``strip_upload``: the upload then holds the
    stripped bytes; a HEIC photo becomes a JPEG). ``plain_text``: UTF-8 text that is not
    markup is accepted too (an officer's CSV export). Raises ``UploadRefused``."""
    from django.conf import settings

    limit = limit or settings.MAX_UPLOAD_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise UploadRefused("too_large")
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise UploadRefused("too_large")
    if not data:
        raise UploadRefused("empty")
    kind = sniff(data[:SNIFF_BYTES])
    if kind is not None and kind[0].startswith(tuple(accepted)):
        try:
            stripped = strip_upload(upload, data, kind[0])
        except UnreadableImage as exc:
            code = "too_many_pixels" if exc.message == TOO_MANY_PIXELS else "unreadable"
            raise UploadRefused(code, exc.message) from exc
    elif plain_text:
        _check_plain_text(data[:TEXT_SAMPLE_BYTES])
        stripped = Stripped(data, "text/plain", "txt")
    else:
        raise UploadRefused("type")
    if hasattr(upload, "seek"):
        upload.seek(0)
    return CheckedUpload(
        stripped.data,
        stripped.content_type,
        stripped.extension,
        len(stripped.data),
        hashlib.sha256(stripped.data).hexdigest(),
    )


def _check_plain_text(sample):
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still text.
        cut = len(sample) == TEXT_SAMPLE_BYTES and exc.start >= len(sample) - 3
        if not cut:
            raise UploadRefused("type") from exc
    if b"\x00" in sample:
        raise UploadRefused("type")
    # Markup (HTML, SVG, XML) is text too, but whoever opens it opens a web page written
    # by someone outside the program: refused.
    if sample.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise UploadRefused("markup")
