"""Passkeys (WebAuthn, through django-otp-webauthn) as a second factor.

The relying party is the host the request came to, which Django has already checked against
``ALLOWED_HOSTS``, and the only origin accepted is that same scheme and host: a passkey made on
alliance.example.org works there and nowhere else. Browsers accept passkeys on https sites and on
http://localhost only (not on an address such as 127.0.0.1).
"""

from urllib.parse import urlsplit

from django_otp_webauthn.helpers import WebAuthnHelper


def relying_party_id(request) -> str:
    return urlsplit(f"//{request.get_host()}").hostname or ""


class PasskeyHelper(WebAuthnHelper):
    def get_allowed_origins(self) -> list[str]:
        return [f"{self.request.scheme}://{self.request.get_host()}"]
