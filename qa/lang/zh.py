"""Chinese: measure words, units and qualifiers, as data.

Lists are space-separated strings split once (easier to read and extend than quoted
items). General Chinese only: no word of any one corpus belongs here.
"""

CODE = "zh"

# Measure words (量词) that count things: 3个, 两支, 六座.
COUNT_MEASURES = """个 家 座 条 项 类 户 次 台 套 所 件 处 名 位 种 批 期 支 只 匹 头 张 部 款 本 册 首 篇
场 届 轮 艘 架 辆 枚 颗 棵 株 间 层 块 根 份 封 幅 栋 幢 节 组 队 集 章 笔 粒 滴 盏 杯 瓶 箱 包 袋 帧 页 版
站 例 宗 步 圈 口 尊 扇 成 发 局 盘 球 名次""".split()

# Nouns written straight after a digit as its unit (10省, 500强, 300人); after a Chinese
# numeral they are words, not counts (万人 in 每万人, 一国两制).
COUNTED_NOUNS = "人 人次 万人 省 市 城市 区县 县 区 镇 乡 村 国 行业 节点 端口 强".split()

# Units of time: a count of years (7年) is a quantity, 1943年 is a date.
TIME_UNITS = "年 个月 月 周 星期 天 日 小时 分钟 秒 毫秒 微秒 世纪 年代 岁".split()

# Units of measure and money, as written after a number (ASCII ones as well: Chinese text writes 9540GB).
UNITS = """个百分点 百分点 倍 亿元 万元 千元 元 美元 欧元 英镑 日元 港元 澳元 卢布 法郎 马克 镑 角 分钱
亿美元 万美元 万亩 亩 公顷 平方公里 平方千米 平方米 平方英里 平方英尺 公里 千米 米 厘米 毫米 微米 纳米
英里 英尺 英寸 公分 码 海里 光年 吨 万吨 亿吨 公斤 千克 克 毫克 斤 磅 盎司 升 毫升 立方米 立方公里 加仑 桶
度 摄氏度 华氏度 千瓦 兆瓦 瓦 伏 安 赫兹 千瓦时 度电 马力 卡 千卡 焦耳 分贝
GB TB PB MB KB Gbps Mbps Tbps kbps MHz GHz Hz kW MW GW km m cm mm kg""".split()

# Words before a figure that are part of it: 超38个 is not 38个.
QUALIFIERS_BEFORE = "超过 超 逾 约 近 将近 接近 大约 不足 不到 至少 最多 多达 高达 仅 约合 上".split()

# Words after a figure that are part of it: 30余个, 100多家.
QUALIFIERS_AFTER = "余 多 左右 以上 以下 之多".split()

# The commonest surnames: a word jieba tags as a name (惠企 in "惠企和利民") counts as a
# Chinese name only when it starts with one.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)

# The dots that join the parts of a transliterated foreign name (哈兰·艾里森, 萨蒂亚・纳德拉).
NAME_JOINERS = "·・•‧"

# Characters that transliterate foreign names (the common ones of Xinhua's 译音用字): the
# parts of 古列尔莫·马可尼 around the dot are runs of these.
TRANSLIT_CHARS = (
    "阿埃艾爱安昂奥澳巴拜班邦保鲍贝本比彼毕宾波伯博布查达戴丹道德登迪蒂丁东杜顿多厄恩尔法范菲费芬丰弗福"
    "富伽盖甘冈戈格根贡古圭果哈海汉豪赫亨胡华霍基吉加贾杰捷金卡凯坎康考柯科克肯库夸奎拉莱赖兰朗劳勒雷蕾"
    "里利莉丽连列林琳隆卢鲁路伦罗洛马迈麦曼芒梅门蒙米明缪莫姆穆纳奈南内尼宁纽努诺欧帕潘庞佩彭皮平珀普齐"
    "奇契恰乔切钦琼丘萨塞桑瑟森沙莎尚舍什施舒斯松苏索塔泰坦汤唐特滕提廷托图瓦万旺威韦维温沃乌伍西希锡夏"
    "谢辛休雅亚扬耶伊因英尤约泽扎詹兹佐尧茨赞娜娅妮丝黛薇琪露歇勃萧可卜默瑞狄史喀罕迦斐士耳仑玛撒"
)

# Verbs that introduce a name ("被命名为布鲁黑文", "名为 Abilene"): what follows, up to the
# clause's end, is the name a "叫什么 / 名为" question asks for.
NAMING_VERBS = "被命名为 命名为 被称为 称为 名为 叫做 名叫 简称 又称 俗称 定名为 取名为 更名为 改名为".split()

# What a question asks for, by its question words, tried in this order (the first that
# matches decides; none: an open question). Regular expressions over the folded question.
_RATE_TOPICS = "比例|占比|普及率|覆盖率|渗透率|增长率|增速|增幅|满意度|效率"
_HOW_MUCH = "多少|几|多高|多大"
ASKS = [
    ("person", r"是谁|谁是|叫什么名字|姓名"),
    ("date", r"何时|什么时候|哪一?年|哪天|哪一天|几月|几号|日期|发布时间|发布于|哪个世纪|哪一?年代"),
    (
        "percent",
        rf"百分之|百分比|多少%|(?:{_RATE_TOPICS}).*(?:{_HOW_MUCH})|(?:{_HOW_MUCH}).*(?:{_RATE_TOPICS})",
    ),
    (
        "quantity",
        r"多少|(?<!哪)几[个家座条项类次倍年户万亿]|多大|多高|多长|多久|多快|多远|多重|数量|规模|总量|总数",
    ),
    ("place", r"哪里|哪儿|在哪|什么地方|哪个(?:国家|地区|区县|城市|省|区|县|地方)"),
    ("list", r"哪些|有哪|包括什么|包括哪|列举|分别|什么活动|哪几|哪[两三四五六七八九十][个类项种条家]"),
    ("name", r"\b谁\b|是谁|叫什么|名称|名字|什么名|名为|哪个|哪家"),
]

# A question that asks yes or no (and no question word above): 吗 at the end, 是否, 有没有.
YES_NO = (
    r"^(?!.*(?:什么|怎么|哪|谁|多少|几|如何|何时|何地|为何|为什么))"
    r"(?:.*(?:吗|嘛)\s*[?？]?\s*$|.*(?:是否|有没有|是不是|能否|可否|对不对|有无))"
)

# Words that negate a statement: a sentence that negates what a yes/no question asks answers 否.
NEGATIONS = "不 没 没有 未 尚未 并未 从未 未曾 无 并非 非 绝非 从不 不再 不曾 不会 不能 毫无".split()

# How the answer to a yes/no question starts.
YES, NO = "是", "否"

# Words jieba tags as places that name no particular place: never a short answer to "where".
GENERIC_PLACES = """城市 地区 都市区 新区 城区 市区 郊区 农村 乡村 全国 全市 全省 国家 地方 区域 沿海 内陆
边境 海外 国内 国外 境内 境外""".split()

# What a question measures and the units an answer about it may carry ("带宽" wants GB).
MEASURED = [
    ("带宽", ["GB", "TB", "PB", "G", "T", "M", "Gbps", "Mbps", "Tbps"]),
    ("流量", ["G", "GB", "TB", "PB"]),
    ("投资|投入|资金|收入|金额|营收|经费|补助|补贴", ["元"]),
    ("面积", ["亩", "平方公里", "公顷"]),
    ("时延|延迟", ["毫秒", "秒"]),
    ("速率|网速|下载速度|速度", ["Mbps", "Gbps", "M", "G"]),
]

# Words that say a figure is asked for, not what it is of.
GENERIC_MEASURES = "总量 总数 总额 数量 数目 规模 金额 数值 数字 水平".split()

# The words that ask for a count: 多少, or 几 not after 哪 (哪几 asks for a list).
# MAGNITUDES may stand between them and the unit (多少万户 asks for 户).
HOW_MANY = r"多少|(?<!哪)几"
MAGNITUDES = "万 亿 千 百".split()

# Words that ask for a rate or a share rather than an amount, and those that ask for growth.
RATE_ASKED = r"每|年均|平均|人均|占比|比例|增长|增速|增幅|提升|翻"
GROWTH_ASKED = r"增长|增速|增幅|增加|提升"

# Question words: the focus of a question is the nouns right before (or after) the first one.
QUESTION_WORDS = r"多少|几|多大|多高|多长|多久|哪|什么|怎样|如何|怎么|是否|谁"

# Words that ask for a year, not a day: the short answer of a full date is then its year
# (哪一年 → 1943 年, not 1943 年 1 月 7 日); YEAR_OF_DATE is the year as a date starts with it.
ASKS_YEAR = r"哪一?年(?!代)|何年|哪个年份|什么年份|年份"
YEAR_OF_DATE = r"\d{3,4}\s?年"

# Words that ask how big, not how many: 果园有多大 is answered by 22.31万亩, not by 3637家.
MAGNITUDE = r"多大|多高|多长|多重|多远|多宽|多深|多久"

# Words that ask when something was published or launched.
PUBLICATION = r"发布|发表|刊发|上线"

# A follow-up in this language after a question in another ("那10G-PON端口呢?" after "How
# many 5G base stations…?"): the new topic is asked in the way of the previous question's
# kind (qa.answer.question.Asked), written in this language.
FOLLOWUP_FRAMES = {
    "person": "{topic}是谁?",
    "percent": "{topic}的比例是多少?",
    "quantity": "{topic}有多少?",
    "date": "{topic}是什么时候?",
    "list": "{topic}有哪些?",
    "place": "{topic}在哪里?",
    "name": "{topic}叫什么?",
    "yes_no": "{topic}是吗?",
    "open": "{topic}的情况如何?",
}

# Words around a question word that say nothing about what is measured or asked about.
FOCUS_SKIP = """超过 达到 累计 共有 拥有 一共 总共 目前 现在 增长 提升 增加 实现 全市 我市 全省 全国 持有
进行 开展 推进 属于 成为 包括 覆盖 建成 获得 完成 提到 介绍 描述 概括 总结 名字 名称""".split()
