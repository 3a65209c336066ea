"""Check-in videos: links to a host, or an upload accepted by its bytes."""

import re
from pathlib import PurePath
from urllib.parse import parse_qs, urlsplit

import magic
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

MAX_VIDEO_BYTES = 200 * 1024 * 1024
VIDEO_TYPES = {
    "video/mp4": (".mp4", ".m4v"),
    "video/webm": (".webm",),
    "video/quicktime": (".mov",),
}
VIDEO_SUFFIXES = sorted({suffix for suffixes in VIDEO_TYPES.values() for suffix in suffixes})
YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")


def video_content_type(upload: UploadedFile) -> str:
    """The upload's real type, or ValidationError saying why it is refused."""
    name = upload.name or ""
    if upload.size > MAX_VIDEO_BYTES:
        raise ValidationError(f"“{name}” is larger than 200 MB.")
    suffix = PurePath(name).suffix.lower()
    if suffix not in VIDEO_SUFFIXES:
        raise ValidationError(f"“{name}” is not an mp4, webm or mov video.")
    upload.seek(0)
    content_type = magic.from_buffer(upload.read(65536), mime=True)
    upload.seek(0)
    if suffix not in VIDEO_TYPES.get(content_type, ()):
        raise ValidationError(f"The contents of “{name}” are not a video of that kind.")
    return content_type


def youtube_id(url: str) -> str:
    parts = urlsplit(url or "")
    host = parts.hostname or ""
    candidate = ""
    if host in ("youtu.be", "www.youtu.be"):
        candidate = parts.path.strip("/").split("/")[0]
    elif host.endswith("youtube.com"):
        if parts.path == "/watch":
            candidate = parse_qs(parts.query).get("v", [""])[0]
        elif parts.path.startswith(("/shorts/", "/embed/", "/live/")):
            candidate = parts.path.split("/")[2]
    return candidate if YOUTUBE_ID.match(candidate) else ""


def video_host(url: str) -> str:
    """A friendly name for where the video lives, for the link's text."""
    if not url:
        return ""
    if youtube_id(url):
        return "YouTube"
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    return {"vimeo.com": "Vimeo", "loom.com": "Loom"}.get(host, host)


def video_thumbnail(url: str) -> str:
    """A still image the host publishes for the video, where there is one."""
    video = youtube_id(url)
    return f"https://img.youtube.com/vi/{video}/hqdefault.jpg" if video else ""
