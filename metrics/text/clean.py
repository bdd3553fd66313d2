"""Case text made fit for a model, a cluster label or a hot word: personal data removed, 12345 boilerplate dropped.

Every text feature calls `clean_text` first, so a phone number, an ID number or a caller's name never reaches a
vectorizer's vocabulary, a stored model, a label or a hot-word table. Removal rather than masking: a masked
number (138****5678) is still a token a model would learn.
"""
import re
from functools import lru_cache

# Links (a query or path may carry an account), numbers: ID cards (raw or masked), phones written any way (+86,
# dashes, spaces, masked with *), QQ / e-mail,
# and any other run of five or more digits (case numbers, account numbers): none says what the problem is.
_PERSONAL = [
    re.compile(r"(?i)(?:https?://|www\.)[A-Za-z0-9./?=&%#:~+_-]*"),
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    re.compile(r"(?i)(?:qq|微信|微信号)[:：]?\s*[\w-]{5,}"),
    re.compile(r"(?<![0-9A-Za-z])\d{6}[\d*]{8}[\d*]{3}[\dXx*](?![0-9A-Za-z])"),
    re.compile(r"(?<![\d*])(?:\+?86[- ]?)?\(?0\d{2,3}\)?[- ]?[\d*]{7,8}(?![\d*])"),
    re.compile(r"(?<![\d*])(?:\+?86[- ]?)?1[\d*]{2}[- ]?[\d*]{4}[- ]?[\d*]{4}(?![\d*])"),
    re.compile(r"[\d*]*\*{3,}[\d*]*"),
    re.compile(r"\d{5,}"),
]
_MAYBE_NUMBER = re.compile(r"[\d*@/]|qq|QQ|微信|www")
# Names: 张先生 / 李女士 / 王师傅, 姓名：张三, 我叫张三, 联系人张三.
_SURNAME_TITLE = re.compile(r"[\u4e00-\u9fff](?:先生|女士|小姐|师傅|阿姨|大爷|大妈|同志)")
_NAMED = re.compile(r"(?:姓名|联系人|本人|我叫|我是)[:：]?\s*[\u4e00-\u9fff]{2,3}(?=[，,。；;\s]|$)")
_CONTACT = re.compile(r"(?:联系|来电|手机|座机|电话|号码|联系方式|身份证|证件)(?:电话|号码|方式|号)?[:：为是]*\s*(?=[，,。；;（(\s]|$)")
_EMPTY_BRACKETS = re.compile(r"[（(]\s*[）)]")
# What a 12345 operator writes around every request, whatever it is about.
_BOILERPLATE = re.compile(
    r"(?:(?:来电人|来电市民|市民|网友|诉求人|来电者)(?:再次|多次)?(?:来电)?|(?:再次|多次)?来电)"
    r"(?:反映|表示|咨询|称|留言|投诉|举报)[:：，,]?"
    r"|网友留言[:：]?|^(?:尊敬的[\u4e00-\u9fff]{0,6}[:：，,]?)|您好[!！，,。]?"
    r"|^[\u4e00-\u9fff]{1,3}(?:书记|市长|县长|区长|局长|主任)[您你]?好?[:：，,！!]"
    r"|(?:希望|要求|请)(?:相关部门|有关部门)?(?:尽快|及时|彻底)?(?:核实|处理|解决|协调解决|派人查看|给予解答|解决)[。！!]?"
    r"|此问题已反映多次[，,]?|谢谢[!！。]?"
    # a letter's greeting and thanks (message boards): "你们好！", "感谢您在百忙之中……。"
    r"|(?:你们?|大家|各位(?:领导)?)好[!！，,。：:]?|(?:首先)?感谢[^。！!]{0,6}百忙之中[^。！!]*[。！!]?")
_EXCEL_ESCAPE = re.compile(r"_x[0-9A-Fa-f]{4}_")  # a carriage return some xlsx writers store as "_x000D_"
_SPACE = re.compile(r"[\s\u3000\xa0]+")
_PUNCT_RUN = re.compile(r"([，,。；;！!？?])[，,。；;！!？?\s]+")


def strip_personal(text: str) -> str:
    """The text without numbers that identify a person and without names."""
    if _MAYBE_NUMBER.search(text):  # most texts hold no number at all: skip the seven number patterns
        for pattern in _PERSONAL:
            text = pattern.sub("", text)
    text = _NAMED.sub("", text)
    text = _SURNAME_TITLE.sub("", text)
    return _CONTACT.sub("", _EMPTY_BRACKETS.sub("", text))


@lru_cache(maxsize=100_000)  # texts repeat (operators' templates), and cleaning runs a dozen patterns
def clean_text(text: str | None) -> str:
    """Personal data removed, boilerplate dropped, whitespace squeezed; '' for an empty text."""
    if not text:
        return ""
    text = _SPACE.sub("", _EXCEL_ESCAPE.sub("", str(text)))
    text = strip_personal(text)
    text = _BOILERPLATE.sub("", text)
    return _PUNCT_RUN.sub(r"\1", text).strip("，,。；;：: ")


ANALYSED_CHARS = 160  # what a problem is, callers say first; a long letter's later pages add cost, not topic


def analysed(text: str | None, address: str | None = None) -> str:
    """What the text features read of a case: its cleaned text without the recorded address (a field of its own,
    listed per cluster; left in, it would split one problem by house number and top every hot-word table), cut
    to its opening ANALYSED_CHARS characters."""
    if text and address:
        text = text.replace(address, "")
    return clean_text(text)[:ANALYSED_CHARS]
