"""Upload samples made in the tests: photos with EXIF GPS, hand-written PDFs with active content, encryption."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib

from PIL import Image, ImageCms, PngImagePlugin

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def build_pdf(objects: list[bytes], *, trailer: bytes = b"") -> bytes:
    """A PDF whose object n is `objects[n - 1]` (object 1 is the catalog), with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        trailer,
        xref,
    )
    return bytes(out)


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def _text(line: str) -> bytes:
    return b"BT /F1 36 Tf 72 720 Td (%s) Tj ET" % line.encode("ascii")


def text_pdf(pages: int = 1, *, rotate: int = 0) -> bytes:
    """A plain A4 PDF with one line of large black text per page."""
    kids = b" ".join(b"%d 0 R" % (4 + 2 * index) for index in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for index in range(pages):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Rotate %d "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (rotate, 5 + 2 * index)
        )
        objects.append(_stream(_text(f"Page {index + 1}")))
    return build_pdf(objects)


ACTIVE_SCRIPT = b"app.alert('madoguchi');"
ACTIVE_URI = b"https://attacker.example/steal"
ACTIVE_PAYLOAD = b"MZ pretend this is an executable"


def active_pdf() -> bytes:
    """One page with text, plus JavaScript (document-level and OpenAction), an embedded file and a URI link."""
    return build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R /Names << /JavaScript << /Names [(hello) 5 0 R] >> "
            b"/EmbeddedFiles << /Names [(payload.exe) 6 0 R] >> >> >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
            b"/Contents 8 0 R /Annots [9 0 R] >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Type /Action /S /JavaScript /JS (%s) >>"
            % ACTIVE_SCRIPT.replace(b"(", b"\\(").replace(b")", b"\\)"),
            b"<< /Type /Filespec /F (payload.exe) /UF (payload.exe) /EF << /F 7 0 R >> >>",
            _stream(ACTIVE_PAYLOAD, b"/Type /EmbeddedFile "),
            _stream(_text("Click here")),
            b"<< /Type /Annot /Subtype /Link /Rect [72 700 400 760] /Border [0 0 0] "
            b"/A << /S /URI /URI (%s) >> >>" % ACTIVE_URI,
        ]
    )


# PDF standard security handler, revision 2 (40-bit RC4): ISO 32000-1, 7.6.3, algorithms 2, 3 and 4.
_PASSWORD_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def _rc4(key: bytes, data: bytes) -> bytes:
    state = list(range(256))
    j = 0
    for i in range(256):
        j = (j + state[i] + key[i % len(key)]) % 256
        state[i], state[j] = state[j], state[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + state[i]) % 256
        state[i], state[j] = state[j], state[i]
        out.append(byte ^ state[(state[i] + state[j]) % 256])
    return bytes(out)


def _padded(password: bytes) -> bytes:
    return (password + _PASSWORD_PAD)[:32]


def encrypted_pdf(user_password: bytes = b"secret", owner_password: bytes = b"owner") -> bytes:
    """A one-page PDF that opens only with `user_password` (its content stream is RC4-encrypted)."""
    permissions = -44
    file_id = hashlib.md5(b"madoguchi-test").digest()  # noqa: S324 - what the PDF format prescribes
    owner_key = hashlib.md5(_padded(owner_password)).digest()[:5]  # noqa: S324
    owner_entry = _rc4(owner_key, _padded(user_password))
    key = hashlib.md5(  # noqa: S324
        _padded(user_password) + owner_entry + struct.pack("<i", permissions) + file_id
    ).digest()[:5]
    user_entry = _rc4(key, _PASSWORD_PAD)
    content_number = 5
    object_key = hashlib.md5(key + content_number.to_bytes(3, "little") + b"\x00\x00").digest()[:10]  # noqa: S324
    return build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
            b"/Contents 5 0 R >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            _stream(_rc4(object_key, _text("Secret"))),
            b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P %d >>"
            % (owner_entry.hex().encode(), user_entry.hex().encode(), permissions),
        ],
        trailer=b"/Encrypt 6 0 R /ID [<%s> <%s>] " % (file_id.hex().encode(), file_id.hex().encode()),
    )


def photo_with_gps(size: tuple[int, int] = (300, 120), *, orientation: int = 6) -> bytes:
    """A JPEG 'taken on a phone': EXIF (maker, GPS, orientation 6: rotate 90° clockwise), a comment, an ICC profile."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((20, 20, 200), (0, 0, size[0] // 3, size[1]))  # a blue band on the left edge
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "ExamplePhone"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (35.0, 41.0, 22.5), 3: "E", 4: (139.0, 41.0, 30.1)})
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), comment=b"taken at home", icc_profile=icc)
    return out.getvalue()


def png_with_metadata(mode: str = "RGBA") -> bytes:
    """A PNG with a text chunk, EXIF (with GPS) and, in RGBA, a fully transparent half."""
    image = Image.new(mode, (80, 40), (0, 0, 0, 255) if mode == "RGBA" else 0)
    if mode == "RGBA":
        image.paste((0, 0, 0, 0), (40, 0, 80, 40))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "home address written here")
    exif = Image.Exif()
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (35.0, 41.0, 22.5)})
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info, exif=exif.tobytes())
    return out.getvalue()


def png_bomb() -> bytes:
    """A small PNG (a few kB) that decodes to 9000 × 9000 pixels: more than rendering.MAX_IMAGE_PIXELS."""
    out = io.BytesIO()
    Image.new("1", (9000, 9000), 1).save(out, "PNG")
    return out.getvalue()


def truncated_jpeg() -> bytes:
    """A JPEG cut off half-way, as after an interrupted transfer: its header reads, its pixels do not."""
    out = io.BytesIO()
    Image.effect_noise((400, 400), 60).convert("RGB").save(out, "JPEG", quality=95)
    data = out.getvalue()
    return data[: len(data) // 2]


# ---- hostile PDFs: tiny files whose pages take seconds to draw (probe finding 1, docs/security.md) ---------


def rectangles_pdf(*, pages: int, rectangles: int, nested: bool = False) -> bytes:
    """`pages` A4 pages that share one Flate-compressed content stream of `rectangles` filled rectangles, each
    larger than the page: 1–3 KB that PDFium fills as `pages × rectangles` full pages of pixels. With
    `nested`, the rectangles sit in a form XObject the page draws once (the page itself has one object)."""
    colours = (b"0.2 0.4 0.6", b"0.6 0.2 0.4", b"0.4 0.6 0.2")
    drawing = b"".join(b"%s rg -100 -100 900 1100 re f\n" % colours[i % 3] for i in range(rectangles))
    packed = zlib.compress(drawing, 9)
    first_page = 3
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = b" ".join(b"%d 0 R" % (first_page + index) for index in range(pages))
    objects.append(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages))
    content = first_page + pages
    resources = b""
    if nested:
        resources = b"/Resources << /XObject << /X0 %d 0 R >> >> " % (content + 1)
    for _index in range(pages):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] %s/Contents %d 0 R >>"
            % (resources, content)
        )
    if nested:
        objects.append(_stream(b"q /X0 Do Q"))
        objects.append(
            _stream(
                packed, b"/Filter /FlateDecode /Type /XObject /Subtype /Form /BBox [-200 -200 1200 1400] "
            )
        )
    else:
        objects.append(_stream(packed, b"/Filter /FlateDecode "))
    return build_pdf(objects)
