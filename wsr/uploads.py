"""What an uploaded file really is, from its first bytes: never from its name or the
content type the uploader's browser claims (both are chosen by the uploader).

One table for the whole platform; each app decides which of these kinds it accepts
(complaint evidence takes audio recordings, a buyer's attestation takes office files).
"""

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
