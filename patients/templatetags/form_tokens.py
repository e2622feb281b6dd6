"""``{% form_token %}``: the one-time token every POST form carries (see ``FormOnceMiddleware``)."""

import secrets

from django import template

register = template.Library()


@register.inclusion_tag("patients/_form_token.html")
def form_token() -> dict:
    """A fresh random token each time the form is drawn; sent twice, the form is stored once."""
    return {"token": secrets.token_urlsafe(24)}
