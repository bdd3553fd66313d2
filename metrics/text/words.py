"""Words of a cleaned case text (jieba, offline: its dictionary ships inside the package) without stop words.

Segmentation is the slow step (a few thousand texts a second), and case texts repeat their clauses a lot, so
texts are cut into clauses at punctuation and each distinct clause is segmented once per process (an LRU memo).
"""
import logging
import re
from functools import lru_cache

import jieba

jieba.setLogLevel(logging.WARNING)

# 12345 boilerplate and words that say nothing about the problem: they would top every hot-word table.
STOP_WORDS = frozenset("""
反映 来电 来电人 市民 网友 留言 诉求 诉求人 希望 要求 请求 尽快 及时 处理 解决 协调 核实 相关
有关 部门 相关部门 有关部门 问题 情况 现象 存在 进行 没有 不能 无法 一直 已经 目前 现在 多次
再次 表示 咨询 给予 解答 派人 查看 谢谢 您好 你好 我们 他们 你们 自己 这个 那个 这些 那些
什么 怎么 如何 为什么 是否 能否 可以 不是 还是 就是 但是 而且 因为 所以 如果 虽然 以及 或者
并且 一个 一些 很多 非常 特别 比较 严重 长期 长时间 经常 总是 每天 时候 之后 以后 以前 之前
期间 当时 今年 去年 明年 这里 那里 附近 周边 领导 政府 书记 市长 尊敬 感谢 关注 重视 回复
答复 举报 投诉 建议 影响 导致 造成 出现 发生 没人 无人 不到 不好 不了 需要 应该 必须 仍然
一下 一次 两次 年月日 另外 此外 还有 持续 明显 只有 家中 家里 请问 关于 这样 那样 作为 本人
知道 大家 各位 以来 可能 这种 那种 时间 可是 然而 因此 由于 对于 根据 按照 通过 其中 之一
其他 各种 以上 以下 这么 那么 怎样 为何 到底
""".split())
_CLAUSE = re.compile(r"[，,。；;！!？?、：:（）()【】\[\]“”\"'《》\s]+")
_KEEP = re.compile(r"[\u4e00-\u9fffA-Za-z]")
_DIGIT = re.compile(r"\d")  # 2号, A7 (an area's code), 3号楼: numbers and codes say where, not what


@lru_cache(maxsize=200_000)
def _clause_words(clause: str) -> tuple[str, ...]:
    return tuple(w for w in jieba.lcut(clause, HMM=False)
                 if len(w) >= 2 and w not in STOP_WORDS and _KEEP.search(w) and not _DIGIT.search(w))


def words(clean: str) -> list[str]:
    """The content words of a text already passed through clean_text, in order."""
    out: list[str] = []
    for clause in _CLAUSE.split(clean):
        if clause:
            out.extend(_clause_words(clause))
    return out
