"""Media consumer, from a checkout: ``python -m consumers.media`` or ``python consumers/media.py``.

Installed, it is ``portal consumer media``; the logic is ``portal.consumer.media``.
"""

from portal.consumer import media as main

if __name__ == "__main__":
    main()
