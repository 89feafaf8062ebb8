"""Probe a video and write its poster, in a child process: ``python -m portal.media.probe``.

Decoding runs FFmpeg (through PyAV) on files from outside; a child process keeps a crash or a
hang in the decoder away from the consumer, which kills it after a timeout. Prints one JSON
object: the stream facts, or ``{"error": "..."}`` for a file that is not a playable video.
"""

from __future__ import annotations

import json
import sys
from typing import Any

POSTER_AT = 0.1  # of the duration: past black lead-in frames, early enough to be typical
MAX_POSTER_WIDTH = 1280


def probe(path: str, poster_path: str) -> dict[str, Any]:
    import av

    try:
        container = av.open(path, metadata_errors="ignore")
    except (av.FFmpegError, OSError) as error:
        return {"error": f"not a readable video: {error}"}
    with container:
        if not container.streams.video:
            return {"error": "the file has no video stream"}
        stream = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        duration = _duration(container, stream)
        if duration is None or duration <= 0:
            return {"error": "the video has no duration"}
        try:
            frame = _frame_near(container, stream, duration * POSTER_AT)
        except av.FFmpegError as error:
            return {"error": f"the video cannot be decoded: {error}"}
        if frame is None:
            return {"error": "the video has no decodable frame"}
        _write_poster(frame, poster_path)
        return {
            "duration_seconds": round(duration, 3),
            "width": stream.codec_context.width,
            "height": stream.codec_context.height,
            "video_codec": stream.codec_context.name,
            "audio_codec": audio.codec_context.name if audio is not None else None,
        }


def _duration(container: Any, stream: Any) -> float | None:
    if container.duration is not None:
        return container.duration / 1_000_000
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    return None


def _frame_near(container: Any, stream: Any, seconds: float) -> Any:
    if stream.time_base is not None and seconds > 0:
        try:
            container.seek(int(seconds / stream.time_base), stream=stream, backward=True)
        except Exception:
            container.seek(0)
    for frame in container.decode(stream):
        return frame
    return None


def _write_poster(frame: Any, poster_path: str) -> None:
    import av

    width, height = frame.width, frame.height
    if width > MAX_POSTER_WIDTH:
        width, height = MAX_POSTER_WIDTH, max(2, round(height * MAX_POSTER_WIDTH / width) // 2 * 2)
    with av.open(poster_path, "w", format="image2") as output:
        out = output.add_stream("mjpeg", rate=1)
        out.width, out.height, out.pix_fmt = width, height, "yuvj420p"
        image = frame.reformat(width=width, height=height, format="yuvj420p")
        for packet in out.encode(image):
            output.mux(packet)
        for packet in out.encode():
            output.mux(packet)


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit("usage: python -m portal.media.probe VIDEO POSTER.jpg")
    print(json.dumps(probe(sys.argv[1], sys.argv[2])))


if __name__ == "__main__":
    main()
