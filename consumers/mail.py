"""Mail consumer, from a checkout: ``python -m consumers.mail`` or ``python consumers/mail.py``.

Installed, it is ``portal consumer mail``; the logic is ``portal.consumer.mail``.
"""

from portal.consumer import mail as main

if __name__ == "__main__":
    main()
