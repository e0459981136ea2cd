"""The demo workspace's cases: fictitious people and units of a fictitious 示范市, one line of facts each.

Each case names its regulation, respondents, clue, facts, the step it stops at (``until``), the actions recorded
after that (``then``: withdrawal, appeal, closing without filing) and ``days``: for every recorded action, how
many days before the demo's "today" it happened. Deadlines are derived from those dates, so the same table gives
overdue cases, cases due within days and cases on time whatever day the demo is built. ID numbers use the
non-existent region prefix 99 so that none can belong to a real person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

CITY = "示范市"
REGIONS = {"清河区": "990102", "东湖区": "990103", "北山县": "990121", "高新区": "990171"}
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(unit: str, birth: date, serial: int, male: bool) -> str:
    """An 18-digit resident ID number with a valid GB 11643 check digit (region 99: no real person has it)."""
    region = next((code for name, code in REGIONS.items() if name in unit), "990100")
    body = f"{region}{birth:%Y%m%d}{(serial % 50) * 2 + 10 + (1 if male else 0):03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11]


def person(name: str, sex: str, birth: str, unit: str, post: str, rank: str, ethnicity: str = "汉族") -> dict:
    born = date.fromisoformat(birth)
    unit = CITY + unit
    return {"kind": "person", "name": name, "gender": "male" if sex == "男" else "female", "ethnicity": ethnicity,
            "birth_date": born, "unit": unit, "post": post, "rank": rank,
            "id_number": id_number(unit, born, sum(map(ord, name)), sex == "男")}


def unit(name: str, principal: str) -> dict:
    return {"kind": "unit", "name": CITY + name, "principal": principal}


@dataclass(frozen=True)
class DemoCase:
    profile: str
    title: str
    respondents: tuple[dict, ...]
    source: str
    provider: str
    clue: str
    facts: str
    until: str
    days: tuple[int, ...]  # days before today of each recorded action, in order
    received: int  # days before today the clue came in
    situation: str = ""
    form: str = ""
    then: tuple[str, ...] = ()
    reason: str = ""
    extra: dict[str, dict[str, Any]] = field(default_factory=dict)  # more data for one action
    clerk: bool = False  # handled by the second demo user
    attachment: tuple[str, str] | None = None


def case(profile: str, title: str, who: list[dict], source: str, provider: str, clue: str, facts: str,
         until: str = "clue", days: str = "", received: int = 0, **options: Any) -> DemoCase:
    offsets = tuple(int(d) for d in days.split())
    return DemoCase(profile, title, tuple(who), source, provider, clue, facts, until, offsets,
                    received or (offsets[0] + 3 if offsets else 2), **options)


MA = person("马建华", "男", "1970-08-21", "东湖区水务局", "局长", "正处级")
LETTER = ("群众来信摘录.txt", "来信人反映：我们小区是2000年前建成的老旧小区，今年纳入改造计划。施工队进场后，"
          "外墙保温层多处空鼓脱落，雨污分流管道接反，屋面防水施工后仍然漏雨。我们多次向区住建局反映，"
          "答复都是“已督促施工单位整改”，但一直没有人来处理。联名住户：23户（名单附后）。")
REPORT = ("整改情况报告.txt", "关于防汛工作问题整改情况的报告\n一、已对全区12处易涝点逐一制定“一点一案”；\n"
          "二、已修订防汛应急预案并组织演练2次；\n三、已对3座泵站完成检修，备用电源全部到位；\n"
          "四、本人已向区委作出书面检查。\n东湖区水务局 马建华")

CASES: list[DemoCase] = [
    # -- gz2009: the full procedure, with deadlines in working days --------------------------------------------
    case("gz2009", "关于对清河区城管执法局副局长刘志强在占道经营整治中不作为问题的问责线索",
         [person("刘志强", "男", "1976-03-12", "清河区城市管理和综合执法局", "副局长", "副处级")],
         "media", "《示范晚报》", "报道清河区兴业路夜市占道经营问题群众投诉两年未解决。",
         "兴业路夜市占道经营、油烟扰民问题经12345热线反映40余次，分管负责人未组织整治。"),
    case("gz2009", "关于对清河区住建局局长王建军在老旧小区改造中履职不力问责的案件",
         [person("王建军", "男", "1971-11-05", "清河区住房和城乡建设局", "局长", "正处级")],
         "complaint", "幸福里小区23户居民联名", "反映老旧小区改造工程质量差、投诉无人处理。",
         "幸福里小区改造工程外墙空鼓、管道错接，住户多次投诉，区住建局未组织质量复查。",
         "checked", "9", situation="social_management", attachment=LETTER),
    case("gz2009", "关于对东湖区市场监管局副局长周丽华在食品抽检工作中失职问题的问责线索",
         [person("周丽华", "女", "1979-06-30", "东湖区市场监督管理局", "副局长", "副处级", "回族")],
         "media", "示范网络电视台", "曝光一家连锁超市销售过期食品。",
         "经初核，过期食品系企业临时调货未入台账所致，区市场监管局已按计划抽检，并无失职。",
         "checked", "30 21", then=("close_without_filing",),
         reason="经初核，反映问题系企业自身管理原因所致，周丽华同志已按规定履行监管职责，不予立项。"),
    case("gz2009", "关于对北山县交通运输局局长陈国栋在农村公路养护中履职不力问责的案件",
         [person("陈国栋", "男", "1968-02-17", "北山县交通运输局", "局长", "正科级")],
         "proposal", "示范市审计局", "审计发现农村公路养护专项资金闲置一年以上。",
         "2025年度农村公路养护专项资金1260万元闲置超过一年，部分路段坑槽长期未修补。",
         "filed", "6 1", situation="executing_superiors"),
    case("gz2009", "关于对市自然资源局耕地保护科科长赵明在违法占地处置中不作为问责的案件",
         [person("赵明", "男", "1982-09-09", "自然资源和规划局", "耕地保护科科长", "正科级")],
         "inspection", "省自然资源厅土地督察专员", "卫片执法检查发现多宗违法占用耕地未及时制止。",
         "2026年卫片执法检查发现违法占用耕地7宗共43亩，均未在发现后及时制止和上报。",
         "investigating", "70 64 58 57", situation="law_enforcement", clerk=True),
    case("gz2009", "关于对东湖区教育局副局长孙海涛在校外培训监管中履职不力问责的案件",
         [person("孙海涛", "男", "1980-04-22", "东湖区教育局", "副局长", "副处级")],
         "complaint", "家长代表（实名）", "反映无证培训机构卷款停业，区教育局接报后未处置。",
         "辖区两家无证培训机构违规收费后停业，涉及学员家长300余人，接报后三个月未查处。",
         "findings_informed", "42 38 37 37 36 30 14", situation="social_management", clerk=True),
    case("gz2009", "关于对北山县应急管理局副局长黄志刚在安全生产检查中履职不力问责的案件",
         [person("黄志刚", "男", "1974-12-01", "北山县应急管理局", "副局长", "副科级")],
         "instruction", "市委主要领导批示", "北山县一处砂石料场坍塌，要求查明监管责任。",
         "北山县石岭砂石料场发生边坡坍塌，造成设备损毁，需查明日常检查是否到位。",
         "investigating", "45 40 39 39 20", then=("withdraw",), situation="law_enforcement",
         reason="经调查，坍塌系连续特大暴雨引发，属不可抗力，且日常检查记录完整，问责事由已不存在，决定撤项。"),
    case("gz2009", "关于对东湖区水务局局长马建华在城区排水防涝工作中再次履职不力问责的案件", [MA],
         "instruction", "市政府分管领导批示", "10月强降雨期间城区多处严重内涝，要求追究责任。",
         "10月强降雨中东湖区6处低洼路段积水超过半米，排涝泵站未按预案启动，群众反映强烈。",
         "decided", "75 70 69 69 68 62 50 45 30 10", situation="executing_superiors", form="通报批评"),
    case("gz2009", "关于对市卫健委医政医管科科长郑红梅在医疗机构监管中失职问责的案件",
         [person("郑红梅", "女", "1978-07-14", "卫生健康委员会", "医政医管科科长", "正科级")],
         "complaint", "患者家属（实名）", "反映一家民营医院长期超范围执业，举报后未查处。",
         "某民营医院超出执业范围开展医疗美容项目达两年，期间收到举报4次均未立案查处。",
         "served", "80 76 75 75 74 68 55 50 40 16 14 9", then=("lodge_appeal",),
         situation="law_enforcement", form="诫勉谈话", extra={"lodge_appeal": {"review_kind": "复核"}}),
    case("gz2009", "关于对东湖区水务局局长马建华在防汛工作中履职不力问责的案件", [MA],
         "assessment", "市防汛抗旱指挥部", "汛期检查中东湖区防汛预案未更新、泵站备用电源缺失。",
         "6月防汛检查发现东湖区防汛应急预案三年未修订，2座排涝泵站无备用电源。",
         "archived", "200 196 195 195 194 188 175 170 160 150 148 134 120",
         situation="executing_superiors", form="责令作出书面检查", attachment=REPORT),
    # -- wf2011: school safety, decisions within working-day limits --------------------------------------------
    case("wf2011", "关于对示范市第三中学副校长李卫东等在学生食堂食物中毒事件中问责的案件",
         [person("李卫东", "男", "1975-05-03", "第三中学", "副校长", "副处级"),
          person("钱芳", "女", "1984-10-19", "第三中学", "后勤处主任", "正科级")],
         "instruction", "市教育局", "11名学生午餐后出现呕吐腹泻，经疾控中心确认为食物中毒。",
         "学生食堂留样制度未落实，食材进货查验记录缺失，导致11名学生食物中毒。",
         "investigating", "30 29", situation="poisoning_epidemic", clerk=True),
    case("wf2011", "关于对东湖区实验小学在课间楼梯拥挤事故中问责的案件",
         [unit("东湖区实验小学", "张秀英")], "other", "学校安全事故报告",
         "课间操集合时楼梯发生拥挤，3名学生轻微受伤。",
         "学校未按规定安排教师在楼梯口值守疏导，课间操集合时东楼梯发生拥挤，3名学生受伤。",
         "defence_heard", "40 39 28 15", situation="safety_management_lapse", form="通报批评"),
    case("wf2011", "关于对北山县第二中学校长高建平在学生溺水事故中问责的案件",
         [person("高建平", "男", "1969-01-27", "北山县第二中学", "校长", "正科级")],
         "other", "北山县教育局", "暑期前一名住校生私自外出游泳溺亡。",
         "学校未落实住校生晚间点名制度，防溺水安全教育流于形式，一名学生私自外出溺亡。",
         "served", "120 119 110 105 100 98 92 70", then=("lodge_appeal", "decide_appeal"),
         situation="safety_management_lapse", form="约谈"),
    case("wf2011", "关于对清河区第一幼儿园园长王丽在户外设施安全管理中问责的案件",
         [person("王丽", "女", "1983-03-08", "清河区第一幼儿园", "园长", "副科级")],
         "complaint", "家长（实名）", "反映幼儿园滑梯护栏松动导致幼儿摔伤。",
         "户外滑梯护栏螺栓松动一个月未维修，导致一名幼儿摔伤，园方未及时告知家长。",
         "decided", "25 25 16 8 2", situation="unsafe_facilities", form="责令作出书面检查"),
    # -- jt2019: work-style accountability in government offices -------------------------------------------------
    case("jt2019", "关于对市政务服务中心窗口工作人员许静推诿扯皮问题的问责线索",
         [person("许静", "女", "1992-12-11", "政务服务中心", "综合窗口科员", "一级科员")],
         "complaint", "12345政务服务便民热线", "群众反映办理营业执照时被要求反复补交材料。",
         "群众办理个体工商户营业执照，窗口人员三次要求补交清单外材料，未一次性告知。"),
    case("jt2019", "关于对市发改委项目科科长冯涛在项目审批中慢作为问责的案件",
         [person("冯涛", "男", "1981-08-02", "发展和改革委员会", "项目审批科科长", "正科级")],
         "assessment", "市作风建设领导小组办公室", "营商环境评价中企业反映项目核准超时。",
         "3个企业投资项目核准超过承诺时限20个工作日以上，无正当理由，企业多次催办。",
         "served", "90 85 84 70 60 45 43", situation="sluggishness", form="诫勉"),
    case("jt2019", "关于对东湖区民政局办公室主任杨帆上班时间脱岗问题问责的案件",
         [person("杨帆", "男", "1987-02-25", "东湖区民政局", "办公室主任", "副科级", "满族")],
         "inspection", "区作风办明察暗访组", "暗访发现工作日上午办公室无人值守。",
         "工作日上午10时暗访时办公室无人在岗，经查杨帆擅自离岗处理私事达两小时。",
         "archived", "160 155 154 140 130 120 118 100 95", situation="sluggishness", form="批评教育"),
    # -- ccp2016: party accountability --------------------------------------------------------------------------
    case("ccp2016", "关于对中共示范市清河区委组织部在选人用人中把关不严问责的案件",
         [unit("清河区委组织部", "部长 沈立群")], "inspection", "市委第二巡察组",
         "巡察发现干部选拔任用档案审核不严，一名干部“带病提拔”。",
         "干部选拔任用中对档案中的问题未核查，致使一名受过处分未满影响期的干部被提拔。",
         "investigating", "20", situation="party_building_deficient"),
    case("ccp2016", "关于对市国资委党委副书记邓建新落实国企党建责任不力问责的案件",
         [person("邓建新", "男", "1970-10-10", "国有资产监督管理委员会", "党委副书记", "副处级")],
         "inspection", "市委第一巡察组", "巡察发现市属国企党组织会议长期不正常召开。",
         "分管的4家市属国企党委“三会一课”长期不落实，两家企业党委一年未召开民主生活会。",
         "reported", "60 10", situation="party_building_deficient", form="诫勉"),
    case("ccp2016", "关于对中共北山县林业局党组书记石磊在生态保护中失职问责的案件",
         [person("石磊", "男", "1973-04-16", "北山县林业局", "党组书记、局长", "正科级")],
         "inspection", "中央生态环境保护督察反馈", "督察发现自然保护区内违规建设项目长期未整改。",
         "自然保护区缓冲区内违规建设的旅游设施被督察通报后一年未整改到位。",
         "served", "70 40 26 24", situation="weakened_leadership", form="组织调整或者组织处理"),
    case("ccp2016", "关于对中共示范市东湖区卫生健康局党组在疫情防控中工作不力问责的案件",
         [unit("东湖区卫生健康局党组", "党组书记 何晓")], "instruction", "区委主要领导批示",
         "传染病疫情报告不及时，造成聚集性传播。", "辖区内发生聚集性传染病疫情，报告迟延三天，处置不力。",
         "archived", "150 120 100 98 80 75", situation="strict_governance_weak", form="通报"),
    # -- jc2017: government supervision (督查) ------------------------------------------------------------------
    case("jc2017", "关于对东湖区住房保障中心在保障房分配中落实不力问责的案件",
         [unit("东湖区住房保障中心", "主任 陆勇")], "inspection", "市政府督查室",
         "督查发现保障房分配进度滞后半年，群众多次信访。",
         "今年计划分配的420套保障性住房至今仅分配96套，整改要求下达后仍无进展。",
         "checked", "12", situation="inaction", extra={"preliminary_check": {"severity": "ordinary"}}),
    case("jc2017", "关于对市营商环境建设局审批科科长罗晓峰违反“13710”制度问责的案件",
         [person("罗晓峰", "男", "1985-11-23", "营商环境建设局", "审批服务科科长", "正科级")],
         "inspection", "市政府督查室“13710”督办系统", "督办事项多次超期未办结，系统亮红灯。",
         "5项督办事项超过规定时限未办结也未说明理由，“13710”督办系统连续亮红灯。",
         "investigating", "26 24 22", situation="system_13710", clerk=True,
         extra={"preliminary_check": {"severity": "major"}}),
    case("jc2017", "关于对北山县农业农村局副局长郭敏在高标准农田建设中问题的问责案件",
         [person("郭敏", "女", "1977-09-05", "北山县农业农村局", "副局长", "副科级")],
         "inspection", "市政府督查组", "督查发现高标准农田建设进度滞后。",
         "经调查，进度滞后系施工期间连续降雨所致，郭敏已按要求调度推进，不应问责。",
         "reported", "60 55 54 30 20", then=("decide_no_accountability",), situation="inaction",
         reason="经调查，工程进度滞后系连续降雨等客观原因造成，当事人已积极履职，决定不予问责。",
         extra={"submit_report": {"accountable": False, "recommended_forms": []}}),
    case("jc2017", "关于对市交通运输局在城区道路改造督查中整改不力问责的案件",
         [unit("交通运输局", "局长 唐伟")], "inspection", "市政府督查室",
         "督查发现主干道改造工期延误，交通拥堵长期未缓解。",
         "建设路改造工程延误工期四个月，督查组两次下达整改通知，均未按期整改到位。",
         "archived", "140 138 135 120 110 108 90 85", situation="inaction", form="检查"),
    # -- sh2022: the national health city campaign (创卫) -------------------------------------------------------
    case("sh2022", "关于对清河区东关街道办事处在背街小巷环境整治中问责的案件",
         [unit("清河区东关街道办事处", "主任 田宏")], "assessment", "市创卫办", "创卫暗访发现背街小巷垃圾堆积。",
         "创卫暗访测评中东关街道12条背街小巷垃圾乱堆、污水横流，测评扣分居全市末位。",
         "checked", "5", situation="standard_not_met", clerk=True),
    case("sh2022", "关于对清河区城管局环卫所所长谢东在农贸市场周边保洁中问责的案件",
         [person("谢东", "男", "1979-12-30", "清河区城市管理和综合执法局环卫所", "所长", "副科级")],
         "assessment", "市创卫办", "农贸市场周边保洁不到位，被省级暗访点名。",
         "南门农贸市场周边保洁长期不到位，被省级暗访通报点名，整改后又反弹。",
         "executed", "90 85 84 84 60 58 30", situation="repeated_problem", form="通报批评"),
    case("sh2022", "关于对北山县城关镇人民政府在创卫工作中组织不力问责的案件",
         [unit("北山县城关镇人民政府", "镇长 孔令军")], "assessment", "市创卫办", "创卫迎检中城关镇多项指标未达标。",
         "城关镇未制定创卫实施方案，未明确工作专班，迎检时病媒生物防制等5项指标未达标。",
         "archived", "150 145 144 144 120 118 100 95", situation="no_organisation", form="取消单位当年评优评先资格"),
    # -- bx2019: not taking responsibility (不担当不作为) in the high-tech zone --------------------------------
    case("bx2019", "关于对高新区经济发展局局长韩冰在招商项目落地中不作为的问责线索",
         [person("韩冰", "女", "1980-05-18", "高新区经济发展局", "局长", "正科级")],
         "complaint", "投资企业（实名）", "反映签约项目一年未落地，部门之间相互推诿。",
         "签约投资项目因用地手续推诿一年未能开工，企业多次反映无人牵头协调。"),
    case("bx2019", "关于对高新区建设管理局副局长唐亮在欠薪问题处置中不担当问责的案件",
         [person("唐亮", "男", "1983-07-07", "高新区建设管理局", "副局长", "副科级")],
         "complaint", "农民工代表", "反映工程款拖欠农民工工资，多次信访无果。",
         "在建项目拖欠62名农民工工资，信访事项交办后两个月未协调解决，引发集体上访。",
         "reported", "6", situation="petitions", form="通报批评"),
    case("bx2019", "关于对高新区生态环境分局在企业排污问题整改中不作为问责的案件",
         [unit("高新区生态环境分局", "局长 蒋文")], "media", "《示范日报》", "报道园区企业夜间偷排废水。",
         "园区一家化工企业多次夜间偷排，群众举报后分局仅作口头警告，未依法查处。",
         "decided", "30 12", situation="environment", form="通报批评"),
]
