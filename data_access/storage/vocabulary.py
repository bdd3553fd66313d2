"""The rating and class words of DATA_FORMAT.md §1, declared once: import checks, counts, credits and the rules
file's fixed keys all read them from here."""

SOLVED = ("解决", "部分解决", "未解决")                  # a solved_rated case carries one of these
FULLY_SOLVED = "解决"
SATISFACTION_RATED = ("满意", "基本满意", "不满意")      # a satisfaction_rated case carries one of these
NOT_RATED = "未评价"                                    # a valid answer that rates nothing
SATISFACTION = (*SATISFACTION_RATED, NOT_RATED)
SATISFIED = ("满意", "基本满意")                         # what 首办双肯 counts as satisfied
URGENCIES = ("紧急", "一般")
DEADLINE_CLASSES = ("紧急", "水电气热", "一般", "疑难")
DEFAULT_CLASS = "一般"                                  # an empty urgency / deadline class counts as 一般

# The unit summaries' column for each rated value (stat_unit_day).
SOLVED_COLUMNS = dict(zip(SOLVED, ("solved_full", "solved_part", "solved_none")))
SAT_COLUMNS = dict(zip(SATISFACTION_RATED, ("sat_full", "sat_basic", "sat_none")))
