"""Rendering a queued message in its recipient's language: a MIME mail, or a text's body."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any

from jinja2 import Environment

from portal.db import utcnow
from portal.i18n import force_language
from portal.mail.outbox import OutgoingMessage


class TemplateMissingError(LookupError):
    """No template for the message's kind: retrying cannot help, so it is parked."""


async def _render(env: Environment, name: str, context: dict[str, Any]) -> str:
    from jinja2 import TemplateNotFound

    try:
        template = env.get_template(name)
    except TemplateNotFound as error:
        raise TemplateMissingError(name) from error
    return await template.render_async(**context)


def _context(message: OutgoingMessage) -> dict[str, Any]:
    base = message.base_url.rstrip("/")
    return {
        **message.context,
        "base_url": base,
        "unsubscribe_url": f"{base}{message.unsubscribe}" if message.unsubscribe else None,
    }


def message_id(event_id: int, sender: str) -> str:
    """One Message-ID per queued message: a resend after a crash carries the same one, so a
    receiving server (or reader) that has it already can tell it is the same mail."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<mail-{event_id}@{domain}>"


async def render_email(
    env: Environment, message: OutgoingMessage, *, event_id: int, sender: str
) -> EmailMessage:
    """The multipart (text + HTML) mail for ``message``, with the headers real mail needs."""
    context = _context(message)
    with force_language(message.language):
        subject = (await _render(env, f"mail/{message.kind}.subject", context)).strip()
        text = await _render(env, f"mail/{message.kind}.txt", context)
        html = await _render(env, f"mail/{message.kind}.html", context)
    mail = EmailMessage()
    mail["Subject"] = " ".join(subject.split())  # one line, whatever the template did
    mail["From"] = sender
    name, address = parseaddr(message.to)
    mail["To"] = Address(display_name=name, addr_spec=address) if address else message.to
    mail["Date"] = format_datetime(utcnow())
    mail["Message-ID"] = message_id(event_id, sender) if event_id else make_msgid()
    mail["Auto-Submitted"] = "auto-generated"
    if context["unsubscribe_url"]:
        # RFC 8058: a mail client's one-click button POSTs to this URL, no page in between.
        mail["List-Unsubscribe"] = f"<{context['unsubscribe_url']}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail.set_content(text, charset="utf-8")
    mail.add_alternative(html, subtype="html", charset="utf-8")
    # After the bodies: setting content replaces every Content-* header.
    mail["Content-Language"] = message.language.replace("_Hans", "-Hans").replace("_", "-")
    return mail


async def render_text(env: Environment, message: OutgoingMessage) -> str:
    """The body of a text message (plain, one short paragraph)."""
    with force_language(message.language):
        body = await _render(env, f"mail/{message.kind}.sms", _context(message))
    return " ".join(body.split())
