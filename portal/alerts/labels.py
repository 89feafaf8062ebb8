"""Human labels of an alert's delivery, translated when shown."""

from __future__ import annotations

from babel.support import LazyProxy

from portal.alerts.models import Delivery
from portal.i18n import lazy_gettext as _l

# Short: each alert in the list shows its own.
DELIVERY_LABELS: dict[str, LazyProxy] = {
    Delivery.LIVE.value: _l("Inbox only, no mail"),
    Delivery.INSTANT.value: _l("A mail for each new job"),
    Delivery.DIGEST.value: _l("A daily digest"),
}
