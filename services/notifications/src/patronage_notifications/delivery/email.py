"""E-mail over SMTP (aiosmtplib): plain text, UTF-8, Russian subject encoded per RFC 2047."""

from email.message import EmailMessage

import aiosmtplib
from patronage_contracts import NotificationChannel

from .channels import OutgoingMessage, PermanentDeliveryError, Receipt, TransientDeliveryError


class EmailChannel:
    """Hands a message to the SMTP relay; 5xx for the recipient is permanent."""

    kind = NotificationChannel.EMAIL

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        username: str = "",
        password: str = "",
        starttls: bool = False,
        timeout_s: float = 10.0,
    ) -> None:
        self._host, self._port, self._sender = host, port, sender
        self._username, self._password = username or None, password or None
        self._starttls = starttls
        self._timeout_s = timeout_s

    async def send(self, message: OutgoingMessage) -> Receipt:
        """Send one mail."""
        mail = EmailMessage()
        mail["From"] = self._sender
        mail["To"] = message.address
        mail["Subject"] = message.subject
        mail["Message-ID"] = f"<{message.notification_id.replace(':', '.')}@patronage>"
        mail.set_content(message.body, charset="utf-8")
        try:
            _, reply = await aiosmtplib.send(
                mail,
                hostname=self._host,
                port=self._port,
                username=self._username,
                password=self._password,
                start_tls=self._starttls,
                timeout=self._timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            if all(500 <= r.code < 600 for r in exc.recipients):
                raise PermanentDeliveryError(
                    "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
                ) from exc
            raise TransientDeliveryError(str(exc)) from exc
        except aiosmtplib.SMTPResponseException as exc:
            if 500 <= exc.code < 600 and exc.code != 554:
                raise PermanentDeliveryError(f"{exc.code} {exc.message}") from exc
            raise TransientDeliveryError(f"{exc.code} {exc.message}") from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise TransientDeliveryError(f"{type(exc).__name__}: {exc}") from exc
        # The relay accepted it; whether the mailbox received it is not known here.
        return Receipt(delivered=False, provider_id=reply or None)

    async def close(self) -> None:
        """Nothing kept open: one connection per mail."""
