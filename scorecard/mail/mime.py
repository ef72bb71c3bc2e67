"""The MIME of a message every common client reads (Outlook, Foxmail, QQ Mail, NetEase, web mail):
attachment names in both RFC 2231 and RFC 2047, headers folded, a stored message readdressed.
"""
from __future__ import annotations

import base64
import datetime as dt
import urllib.parse
from email.message import EmailMessage, MIMEPart
from email.utils import format_datetime, parseaddr


from .messages import POLICY, Attachment, Draft


def build_message(draft: Draft, recipient: str, msg_id: str, *, sender: str | None = None,
                  date: dt.datetime | None = None) -> EmailMessage:
    msg = EmailMessage(policy=POLICY)
    msg["Subject"] = draft.subject
    if recipient in draft.cc:       # a copy (§14 督办): addressed to the department, this reader in Cc
        msg["To"] = ", ".join(draft.recipients)
    else:
        msg["To"] = recipient
    if draft.cc:
        msg["Cc"] = ", ".join(draft.cc)
    if sender:
        msg["From"] = sender
    msg["Date"] = format_datetime((date or dt.datetime.now()).astimezone())
    msg["Message-ID"] = msg_id
    msg["X-Scorecard-Kind"] = draft.kind
    msg.set_content(draft.text, subtype="plain", charset="utf-8", cte="base64")
    msg.add_alternative(draft.html, subtype="html", charset="utf-8", cte="base64")
    if draft.attachments:
        msg.make_mixed()
        for att in draft.attachments:
            msg.attach(attachment_part(att))
    for part in msg.walk():
        if part is not msg:
            del part["MIME-Version"]        # only the top level carries it
    return msg


def attachment_part(att: Attachment) -> EmailMessage:
    """An attachment whose Chinese name survives every common client: the RFC 2047 form in
    Content-Type `name` and Content-Disposition `filename` (what Outlook and many web mails read)
    and the RFC 2231 form `filename*` (what the standard says). The stdlib writes only RFC 2231,
    so both headers are written here, pre-folded, and stored raw."""
    maintype, subtype = att.mime
    part = MIMEPart(policy=POLICY)
    part.set_content(att.data, maintype=maintype, subtype=subtype, cte="base64")
    del part["Content-Type"]
    del part["Content-Disposition"]
    words = encoded_words(att.name)
    charset = ['charset="utf-8"'] if maintype == "text" else []      # our text files are UTF-8 (看板.html)
    part.set_raw("Content-Type", _fold_params(f"{maintype}/{subtype}", [*charset, f'name="{words}"']))
    part.set_raw("Content-Disposition", _fold_params("attachment", [f'filename="{words}"', *rfc2231(att.name)]))
    return part


def encoded_words(text: str, limit: int = 45) -> str:
    """RFC 2047 B-encoded words, each at most 75 characters, never splitting a character."""
    if text.isascii() and '"' not in text and "\\" not in text:
        return text
    chunks, current = [], b""
    for ch in text:
        raw = ch.encode("utf-8")
        if len(current) + len(raw) > limit:
            chunks.append(current)
            current = b""
        current += raw
    chunks.append(current)
    return " ".join(f"=?utf-8?b?{base64.b64encode(c).decode()}?=" for c in chunks)


def rfc2231(text: str, param: str = "filename", limit: int = 54) -> list[str]:
    """filename*=utf-8''… split into numbered sections (filename*0*=…) no longer than a header line."""
    pieces, current = [], ""
    for ch in text:
        quoted = urllib.parse.quote(ch, safe="")
        if len(current) + len(quoted) > limit:
            pieces.append(current)
            current = ""
        current += quoted
    pieces.append(current)
    if len(pieces) == 1:
        return [f"{param}*=utf-8''{pieces[0]}"]
    return [f"{param}*{i}*={'utf-8' + chr(39) * 2 if i == 0 else ''}{p}" for i, p in enumerate(pieces)]


def _fold_params(value: str, params: list[str]) -> str:
    """`value;` then each parameter on its own continuation line; an encoded-word list is split
    at its spaces so that no line passes 78 characters (a longer line would be refolded)."""
    lines = [value + ";"]
    for i, param in enumerate(params):
        tail = ";" if i < len(params) - 1 else ""
        pieces = param.split(" ") if param.count("=?") > 1 else [param]
        for j, piece in enumerate(pieces):
            lines.append(" " + piece + (tail if j == len(pieces) - 1 else ""))
    return "\r\n".join(lines)


def message_bytes(msg: EmailMessage) -> bytes:
    return msg.as_bytes(policy=POLICY)


def readdress(eml: bytes, *, sender: str | None, date: dt.datetime) -> bytes:
    """The stored message with From (the current setting) and Date (now) put in, nothing else changed.

    Headers are edited as bytes so the attachments' hand-folded parameters stay exactly as built."""
    head, sep, body = eml.partition(b"\r\n\r\n")
    kept = [line for line in _header_lines(head) if not line.lower().startswith((b"from:", b"date:"))]
    holder = EmailMessage(policy=POLICY)
    if sender:
        holder["From"] = sender
    holder["Date"] = format_datetime(date.astimezone())
    new = holder.as_bytes(policy=POLICY).split(b"\r\n\r\n")[0].split(b"\r\n")
    return b"\r\n".join(new + kept) + sep + body


def _header_lines(head: bytes) -> list[bytes]:
    """Header fields, each with its continuation lines joined back by CRLF."""
    fields: list[bytes] = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += b"\r\n" + line
        else:
            fields.append(line)
    return fields


def sender_address(sender: str) -> str:
    """The bare address of a sender setting that may carry a display name ("创建办 <a@b>")."""
    return parseaddr(sender)[1] or sender
