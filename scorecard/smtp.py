"""Sending over SMTP: the settings (CONTRACT.md §9) and one connection that delivers stored messages.

Settings come from the environment, which overrides the non-secret `mail:` section of rules.yaml;
the password only ever comes from SMTP_PASSWORD and is never logged, stored or written.

Every failure is sorted into one of three, so the outbox knows what to do with a message:
  TemporaryFailure  this message stays pending and is tried again (4xx, timeout, dropped connection)
  PermanentFailure  the server refused this message for good (5xx for its recipient or its data)
  StopSending       nothing can be sent now (server unreachable, login refused, wrong security):
                    every message stays pending; `reason` says what the operator should do
"""
from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Mapping

logger = logging.getLogger(__name__)

SECURITIES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"ssl": 465, "starttls": 587, "none": 25}
ENV = {"host": "SMTP_HOST", "port": "SMTP_PORT", "security": "SMTP_SECURITY", "user": "SMTP_USER",
       "sender": "SMTP_SENDER", "cafile": "SMTP_CAFILE", "timeout": "SMTP_TIMEOUT"}
PASSWORD_ENV = "SMTP_PASSWORD"
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_MB = 20.0


@dataclass(frozen=True)
class Settings:
    host: str = ""
    port: int = 0
    security: str = ""               # starttls | ssl | none; "" = by port (465 ssl, else STARTTLS when offered)
    user: str = ""
    password: str = field(default="", repr=False)
    sender: str = ""
    cafile: str = ""
    timeout: float = DEFAULT_TIMEOUT
    max_mb: float = DEFAULT_MAX_MB
    problems: tuple[str, ...] = ()   # values that could not be used (Chinese, with the variable's name)

    @property
    def missing(self) -> list[str]:
        out = [] if self.host else ["SMTP_HOST"]
        if not self.sender:
            out.append("SMTP_SENDER")
        return out

    @property
    def usable(self) -> bool:
        return not self.missing and not self.problems

    @property
    def sender_address(self) -> str:
        return parseaddr(self.sender)[1] or self.sender

    @property
    def max_bytes(self) -> int:
        return int(self.max_mb * 1024 * 1024)

    def describe(self) -> str:
        """For the console: where mail goes, never the password."""
        who = f"，账号 {self.user}" if self.user else ""
        return f"{self.host}:{self.effective_port}（{self.security or '自动'}{who}）"

    @property
    def effective_port(self) -> int:
        return self.port or DEFAULT_PORTS.get(self.security or "starttls", 25)


def settings_from(mail: Mapping, env: Mapping[str, str]) -> Settings:
    """rules.yaml `mail:` overridden by the environment. Bad values become `problems`, not exceptions:
    a run must finish even when the mail settings are wrong."""
    values, problems = {}, []
    for key, var in ENV.items():
        raw = env.get(var)
        given = raw if raw not in (None, "") else mail.get(key)
        if given not in (None, ""):
            values[key] = str(given).strip()
    security = values.get("security", "").lower()
    if security and security not in SECURITIES:
        problems.append(f"SMTP_SECURITY（或 mail.security）“{security}”无效，应为 starttls、ssl 或 none")
        security = ""
    port = 0
    if "port" in values:
        try:
            port = int(float(values["port"]))
            if not 0 < port < 65536:
                raise ValueError
        except ValueError:
            problems.append(f"SMTP_PORT（或 mail.port）“{values['port']}”不是有效端口号")
            port = 0
    if not security and port:
        security = {465: "ssl", 587: "starttls"}.get(port, "")
    timeout = _positive(values.get("timeout"), DEFAULT_TIMEOUT, "SMTP_TIMEOUT", problems)
    max_mb = _positive(mail.get("max_mb"), DEFAULT_MAX_MB, "mail.max_mb", problems)
    user = values.get("user", "")
    sender = values.get("sender") or (user if "@" in user else "")
    return Settings(host=values.get("host", ""), port=port, security=security, user=user,
                    password=env.get(PASSWORD_ENV, ""), sender=sender, cafile=values.get("cafile", ""),
                    timeout=timeout, max_mb=max_mb, problems=tuple(problems))


def _positive(value, default: float, name: str, problems: list[str]) -> float:
    if value in (None, ""):
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = 0
    if number <= 0:
        problems.append(f"{name}“{value}”应为正数")
        return default
    return number


class TemporaryFailure(Exception):
    """Try this message again later."""


class PermanentFailure(Exception):
    """The server refused this message for good. `address`: refused at RCPT, for its recipient
    (550 no such user); otherwise the server refused the message itself (its DATA)."""

    def __init__(self, text: str, address: bool = False):
        super().__init__(text)
        self.address = address


class StopSending(Exception):
    """Nothing can be sent now; `reason` is the Chinese explanation with the next step."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _reply(code, message) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message or "")
    return f"{code} {' '.join(text.split())}".strip()


def _opening_problem(exc: Exception, where: str) -> str:
    """What went wrong opening a session, for the operator: the most specific cause first."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return (f"邮件服务器拒绝登录（{_reply(exc.smtp_code, exc.smtp_error)}）。"
                "请核对 SMTP_USER 和 SMTP_PASSWORD（很多邮箱要求使用客户端授权码而不是登录密码）")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return (f"邮件服务器 {where} 不支持所需功能（{exc}）。请检查 SMTP_SECURITY 和端口是否与服务器一致；"
                "设置了 SMTP_USER 时服务器须支持登录（AUTH）")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (f"邮件服务器 {where} 的证书无法验证（{exc.verify_message}）。"
                "内部服务器的自签名证书，请将其导出并用 SMTP_CAFILE 指定")
    if isinstance(exc, ssl.SSLError):
        return (f"与邮件服务器 {where} 建立加密连接失败（{exc.reason or exc}）。"
                "请检查 SMTP_SECURITY 与端口是否对应：465 端口用 ssl，587 端口用 starttls，"
                "25 端口内网中继一般用 none")
    return (f"无法连接邮件服务器 {where}（{_os_reason(exc)}）。邮件已保留在发件箱中，"
            "服务器恢复后运行 `python process.py send` 即可补发")


class Connection:
    """One SMTP session, opened on first use and reopened after the server drops it."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def open(self) -> None:
        s = self.settings
        where = f"{s.host}:{s.effective_port}"
        context = ssl.create_default_context(cafile=s.cafile or None) if s.security != "none" else None
        smtp = None
        try:
            if s.security == "ssl":
                smtp = smtplib.SMTP_SSL(s.host, s.effective_port, timeout=s.timeout, context=context)
            else:
                smtp = smtplib.SMTP(s.host, s.effective_port, timeout=s.timeout)
            smtp.ehlo()
            if s.security == "starttls" or (not s.security and smtp.has_extn("starttls")):
                smtp.starttls(context=context)
                smtp.ehlo()
            elif not s.security and s.user:
                raise StopSending(f"邮件服务器 {where} 不支持加密（STARTTLS），为保护密码未登录。"
                                  "如确为内网中继，请设置 SMTP_SECURITY=none；否则请改用 465 端口（SMTP_SECURITY=ssl）"
                                  "或 587 端口（SMTP_SECURITY=starttls）")
            if s.user:
                if not (s.user + s.password).isascii():
                    raise StopSending("SMTP_USER 或 SMTP_PASSWORD 含有中文或全角字符，邮件服务器登录只接受英文字母、"
                                      "数字和符号。请检查是否输入法处于全角状态，或改用邮箱的客户端授权码")
                smtp.login(s.user, s.password)
        except (StopSending, smtplib.SMTPException, OSError) as exc:     # ssl.SSLError is an OSError
            _quietly_close(smtp)
            if isinstance(exc, StopSending):
                raise
            raise StopSending(_opening_problem(exc, where)) from None
        self.smtp = smtp

    def send(self, sender: str, recipient: str, data: bytes) -> None:
        """Deliver one message to one recipient, or raise one of the three failures."""
        if self.smtp is None:
            self.open()
        try:
            self.smtp.sendmail(sender, [recipient], data)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = exc.recipients.get(recipient, next(iter(exc.recipients.values()), (0, b"")))
            raise self._by_code(code, f"收件人 {recipient} 被拒收：{_reply(code, text)}", address=True) from None
        except smtplib.SMTPSenderRefused as exc:
            if exc.smtp_code >= 500:
                raise StopSending(f"发件人 {sender} 被邮件服务器拒绝（{_reply(exc.smtp_code, exc.smtp_error)}）。"
                                  "请检查 SMTP_SENDER 是否为登录账号允许使用的地址") from None
            raise TemporaryFailure(f"服务器暂不接受发件人：{_reply(exc.smtp_code, exc.smtp_error)}") from None
        except smtplib.SMTPResponseException as exc:     # SMTPDataError and other replies with a code
            raise self._by_code(exc.smtp_code, f"服务器拒收邮件：{_reply(exc.smtp_code, exc.smtp_error)}") from None
        except (smtplib.SMTPException, OSError) as exc:  # dropped connection, timeout during DATA
            self.close()
            raise TemporaryFailure(f"发送中连接中断（{_os_reason(exc)}）") from None

    def _by_code(self, code: int, text: str, address: bool = False) -> Exception:
        if code and code >= 500:
            return PermanentFailure(text, address)
        if not code or code < 400 or code == 421:   # 421: the server is closing the session; reconnect next time
            self.close()
        return TemporaryFailure(text)

    def close(self) -> None:
        smtp, self.smtp = self.smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            _quietly_close(smtp)


def _quietly_close(smtp) -> None:
    if smtp is not None:
        try:
            smtp.close()
        except OSError:
            pass


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "连接被拒绝，服务器未运行或端口不对"
    if isinstance(exc, TimeoutError):
        return "连接超时"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"服务器断开了连接：{exc}" if str(exc) else "服务器断开了连接"
    return str(exc) or exc.__class__.__name__
