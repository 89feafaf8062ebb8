"""Media consumer: ``python -m consumers.media``, or ``portal consumer media``."""

from consumers.runner import run
from portal.media.extension import start_worker


def main() -> None:
    run("media", start_worker)


if __name__ == "__main__":
    main()
