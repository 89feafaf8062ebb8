"""Recommender consumer, from a checkout: ``python -m consumers.recommender`` or
``python consumers/recommender.py``.

Installed, it is ``portal consumer recommender``; the logic is ``portal.consumer.recommender``.
"""

from portal.consumer import recommender as main

if __name__ == "__main__":
    main()
