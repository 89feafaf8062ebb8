"""Recommender consumer: ``python -m consumers.recommender``, or ``portal consumer recommender``."""

from consumers.runner import run
from portal.recommend.extension import start_worker


def main() -> None:
    run("recommender", start_worker)


if __name__ == "__main__":
    main()
