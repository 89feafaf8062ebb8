"""Training videos: tus uploads, the media consumer, streaming downloads."""
