"""The part of a reply the sender wrote now: quoted history, attribution and signature cut."""

import re

from .charsets import _BIDI_CONTROLS, _tidy

# --------------------------------------------------------------------------
# Trimming the quoted history


def _fa_normal(value):
    """Persian text as compared: no diacritics or bidi marks, one Yeh and Kaf, ZWNJ as a space."""
    value = _BIDI_CONTROLS.sub("", value)
    value = re.sub("[\u064b-\u065f\u0670]", "", value)
    value = value.replace("\u064a", "\u06cc").replace("\u0649", "\u06cc").replace("\u0643", "\u06a9")
    return " ".join(value.replace("\u200c", " ").split())


def _unquoted(line):
    return re.sub(r"^(\s*>)+ ?", "", line)


def _is_quoted(line):
    return line.lstrip().startswith(">")


_MARKER_EN = re.compile(r"reply\s+above\s+this\s+line", re.I)
_MARKER_FA = _fa_normal("بالای این خط پاسخ")


def _is_marker(line):
    text = _unquoted(line)
    return bool(_MARKER_EN.search(text)) or _MARKER_FA in _fa_normal(text)


_ON_WROTE = re.compile(r"On\s.{4,400}\swrote\s?:", re.S)
_NAME_WROTE = re.compile(r".{0,300}@.{0,300}\swrote\s?:", re.S)
_FA_WROTE = re.compile(r"(در تاریخ\s.{2,400}|.{0,400}[@0-9\u06f0-\u06f9\u0660-\u0669].{0,400})\sنوشت\s?:", re.S)
_ORIGINAL_MESSAGE = re.compile(r"-{2,}\s*(Original Message|پیام اصلی|پیغام اصلی|نامه اصلی)\s*-{2,}", re.I)
_FORWARD_MARKERS = re.compile(
    r"-{2,}\s*Forwarded message\s*-{2,}"
    r"|Begin forwarded message\s*:"
    r"|-{2,}\s*(پیام|نامه|پیغام)\s+(بازارسال|هدایت|ارسال|فوروارد)\S*(\s+شده)?\s*-{2,}",
    re.I,
)
_FROM_LABEL = re.compile(r"\*?(From|از|فرستنده)\s*:\*?\s*\S", re.I)
_BLOCK_LABEL = re.compile(r"\*?(Sent|Date|To|Cc|Subject|ارسال شده|ارسال|تاریخ|به|رونوشت|موضوع)\s*:\*?", re.I)
_SEPARATOR = re.compile(r"[_\-=~*]{4,}")
_MOBILE_FOOTER = re.compile(
    r"(Sent from my |Sent from Mail for |Sent from Outlook|Sent from Yahoo Mail|Sent from Samsung|"
    r"Sent with Proton Mail|Get Outlook for |Envoyé de mon |"
    r"ارسال شده از |ارسال‌شده از |فرستاده شده از ).{0,60}",
    re.I,
)
_FORWARD_SUBJECT = re.compile(r"\s*(fwd?|fw|tr|wg|ارسال مجدد|بازارسال|فوروارد)\s*:", re.I)


def _plain(line):
    return _BIDI_CONTROLS.sub("", line).strip()


def _joined(lines, start, count):
    """``count`` lines from ``start`` as one line, or None when one is blank or quoted (a header is unquoted)."""
    part = lines[start : start + count]
    if len(part) < count or any(not _plain(line) or _is_quoted(line) for line in part):
        return None
    return " ".join(_plain(line) for line in part)


def _quote_follows(lines, index):
    following = next((line for line in lines[index : index + 3] if line.strip()), "")
    return _is_quoted(following)


def _reply_header(lines, index):
    """How many lines the reply header starting at ``lines[index]`` spans, or 0 when there is none."""
    line = _plain(lines[index])
    if not line or _is_quoted(line):
        return 0
    if _ORIGINAL_MESSAGE.fullmatch(line):
        return 1
    for count in (1, 2, 3):
        joined = _joined(lines, index, count)
        # A reply header is short; the length check also keeps the patterns below from backtracking long.
        if joined is None or len(joined) > 800:
            break
        if "wrote" in joined:
            # "On Monday I tried again and a colleague wrote:" is prose; a header
            # has a date or an address, or the quote follows it at once.
            if joined.startswith("On ") and _ON_WROTE.fullmatch(joined):
                if re.search(r"[0-9@]", joined) or _quote_follows(lines, index + count):
                    return count
            if count == 1 and _NAME_WROTE.fullmatch(joined):
                return 1
        if "نوشت" in joined and _FA_WROTE.fullmatch(_fa_normal(joined)):
            return count
    if _FROM_LABEL.match(_fa_normal(line)):
        labels = 0
        end = index
        for offset in range(1, 8):
            if index + offset >= len(lines):
                break
            following = _fa_normal(lines[index + offset])
            if not following:
                break
            if _BLOCK_LABEL.match(following):
                labels += 1
                end = index + offset
        back = index - 1
        while back >= 0 and not _plain(lines[back]):
            back -= 1
        after_rule = back >= 0 and bool(re.fullmatch(r"_{10,}", _plain(lines[back])))
        if labels >= 2 or (labels >= 1 and after_rule):
            return end - index + 1
    return 0


def _find_cut(lines, forwarded):
    """(index, span, kind) of the first place the sender's new text ends; kind is marker, header or forward."""
    for index, line in enumerate(lines):
        if _is_marker(line):
            return index, 1, "marker"
        if _is_quoted(line):
            continue
        if _FORWARD_MARKERS.fullmatch(_plain(line)):
            return index, 0, "forward"
        span = _reply_header(lines, index)
        if span and forwarded:
            # "FW:" mail from Outlook announces the forwarded message with the
            # same From/Sent block as a reply: that block is the content.
            if index and re.fullmatch(r"_{10,}", _plain(lines[index - 1])):
                index -= 1
            return index, 0, "forward"
        if span:
            return index, span, "header"
    return None


def _drop_quoted_tail(lines):
    lines = list(lines)
    while lines and (not lines[-1].strip() or _is_quoted(lines[-1]) or _SEPARATOR.fullmatch(_plain(lines[-1]))):
        lines.pop()
    return lines


def _drop_signature(lines):
    for index, line in enumerate(lines):
        if line.rstrip() == "--":
            lines = lines[:index]
            break
    lines = list(lines)
    while True:
        while lines and not lines[-1].strip():
            lines.pop()
        if lines and _MOBILE_FOOTER.fullmatch(_plain(lines[-1])):
            lines.pop()
            continue
        return lines


def _written_below(lines):
    """What a sender wrote below or between '>'-quoted history (bottom posting, inline answers).

    Bottom posting keeps the sender's lines only; inline answers keep the
    quoted lines they answer too, or the answers would make no sense.
    """
    first = next((line for line in lines if line.strip()), None)
    if first is None or not _is_quoted(first):
        return []
    rows = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if _is_marker(line):
            index += 1
            continue
        if _is_quoted(line):
            rows.append(("quote", line) if _unquoted(line).strip() else ("blank", ""))
        elif not line.strip():
            rows.append(("blank", ""))
        else:
            span = _reply_header(lines, index)
            if span:
                index += span
                continue
            rows.append(("own", line))
        index += 1
    own = [position for position, (kind, _line) in enumerate(rows) if kind == "own"]
    if not own:
        return []
    if any(kind == "quote" for kind, _line in rows[own[0] : own[-1]]):
        kept = [line for _kind, line in rows[: own[-1] + 1]]
    else:
        kept = [line for kind, line in rows[own[0] :] if kind != "quote"]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(_drop_signature(kept))).strip("\n")
    return text.split("\n") if text.strip() else []


def _drop_attribution(head, lines):
    """Drop an unrecognised attribution ("03.02.2025, 10:12, "Helpdesk" <reply@…>:") left above the quote."""
    last = len(head) - 1
    while last >= 0 and not head[last].strip():
        last -= 1
    if last >= 0 and len(head[last]) <= 300 and re.fullmatch(r"[^@]{0,300}@.{0,300}:", _plain(head[last])):
        following = next((line for line in lines[last + 1 :] if line.strip()), None)
        if following is not None and (_is_quoted(following) or _is_marker(following)):
            return head[:last]
    return head


def trim_quoted(text, *, forwarded=False):
    """The part of a reply its sender wrote now.

    Cut at our :data:`REPLY_MARKER` (either half of it will do), else at the
    first reply header ("On … wrote:", "در تاریخ … نوشت:", Outlook's
    "-----Original Message-----" and From/Sent/To/Subject block); trailing
    '>' lines, the signature after "-- " and a mobile footer go. A sender who
    wrote below or between the quoted lines keeps that text. A forwarded
    message ("---------- Forwarded message ---------", or anything after the
    From block when ``forwarded``, e.g. for a "Fw:" subject) is kept whole.
    When trimming would leave nothing, the whole text is returned.
    """
    full = _tidy(text)
    if not full:
        return ""
    lines = full.split("\n")
    cut = _find_cut(lines, forwarded)
    below, tail = [], []
    if cut is None:
        head = lines
    else:
        index, span, kind = cut
        head = lines[:index]
        if kind == "forward":
            tail = lines[index:]
        else:
            below = _written_below(lines[index + span :])
    head = _drop_signature(_drop_attribution(_drop_quoted_tail(head), lines))
    result = "\n".join(head).strip("\n")
    if below:
        result = (result + "\n\n" if result else "") + "\n".join(below)
    if tail:
        result = (result + "\n\n" if result.strip() else "") + "\n".join(tail).strip("\n")
    return result if result.strip() else full
