"""Attachments are accepted by what their bytes are, not by what their name says."""

import zipfile
from pathlib import PurePath

import magic
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024

OOXML = "application/vnd.openxmlformats-officedocument"
# Content type → the file name endings that may carry it.
ALLOWED_TYPES: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "image/heic": (".heic",),
    "text/plain": (".txt", ".csv", ".md"),
    "text/csv": (".csv",),
    f"{OOXML}.wordprocessingml.document": (".docx",),
    f"{OOXML}.spreadsheetml.sheet": (".xlsx",),
    f"{OOXML}.presentationml.presentation": (".pptx",),
    "application/msword": (".doc",),
    "application/vnd.ms-excel": (".xls",),
    "application/vnd.oasis.opendocument.text": (".odt",),
    "application/vnd.oasis.opendocument.spreadsheet": (".ods",),
}
# Office files are zip archives; libmagic names them by the part that comes first.
OOXML_PARTS = {
    ".docx": ("word/", f"{OOXML}.wordprocessingml.document"),
    ".xlsx": ("xl/", f"{OOXML}.spreadsheetml.sheet"),
    ".pptx": ("ppt/", f"{OOXML}.presentationml.presentation"),
}
ALLOWED_SUFFIXES = sorted({suffix for suffixes in ALLOWED_TYPES.values() for suffix in suffixes})


def attachment_content_type(upload: UploadedFile) -> str:
    """The upload's real content type, or ValidationError saying why it is refused."""
    name = upload.name or ""
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise ValidationError(f"“{name}” is larger than 10 MB.")
    suffix = PurePath(name).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise ValidationError(
            f"“{name}” is not a document, image or spreadsheet we accept "
            f"({', '.join(ALLOWED_SUFFIXES)})."
        )
    upload.seek(0)
    content_type = magic.from_buffer(upload.read(65536), mime=True)
    upload.seek(0)
    if content_type in ("application/zip", "application/octet-stream") and suffix in OOXML_PARTS:
        content_type = _office_type(upload, suffix) or content_type
    if suffix not in ALLOWED_TYPES.get(content_type, ()):
        raise ValidationError(f"The contents of “{name}” do not match its name ({content_type}).")
    return content_type


def _office_type(upload: UploadedFile, suffix: str) -> str | None:
    folder, content_type = OOXML_PARTS[suffix]
    try:
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile:
        return None
    finally:
        upload.seek(0)
    if "[Content_Types].xml" in names and any(n.startswith(folder) for n in names):
        return content_type
    return None
