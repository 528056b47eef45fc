"""The benchmark data set: N customers, reproducible from a seed, loaded by COPY.

    ensure_customers(n=1_000_000, seed=7) -> dict     # from any process (eventlet or not)
    python -m bench.generate [N] [SEED]                # the same, from a shell

The customer TEST database (KEFU_CUSTOMER_OWNER_DB_URI, owner role) ends up
holding exactly the data set of (N, seed, VERSION): `customer`, `customer_archive`,
`customer_phone`, `customer_email`, `customer_asset`.  Every value comes from
random.Random seeded per chunk of CHUNK customers, so the same (N, seed) gives the
same rows, ids included, whatever the number of worker processes.

How it loads fast, in ONE transaction (nothing half-loaded is ever visible):
TRUNCATE ... CASCADE; drop the foreign keys, primary/unique constraints and
indexes of the five tables; switch FORCE ROW LEVEL SECURITY off (PostgreSQL
refuses COPY FROM on a table whose RLS applies to the caller; the owner is
exempt only without FORCE); COPY ... FREEZE chunk after chunk while worker
processes generate the next chunks; rebuild constraints and indexes (sorted
builds); FORCE RLS again; write the marker row; COMMIT; ANALYZE.  A marker table
`bench_dataset` makes a second call with the same (N, seed) return at once.

The tickets over these customers (5,000,000) come from `ensure_tickets`, further
down: generated server-side in the ticket TEST database (see its doc).
"""
import datetime
import io
import json
import os
import random
import subprocess
import sys
import time
import warnings
from bisect import bisect

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
from services.customer.domain.records import pinyin_of  # noqa: E402  the service's reading

VERSION = 1  # bump when the generated rows change: an older data set is then rebuilt
CHUNK = 10_000  # customers per chunk; part of the data set's definition (each chunk has its RNG)
TABLES = ("customer", "customer_archive", "customer_phone", "customer_email", "customer_asset")
COLUMNS = {
    "customer": ("id", "number", "kind", "name", "created_by", "created_at", "updated_at",
                 "level", "declassify_at", "declassify_to", "grade", "lifecycle",
                 "credit_class", "region", "tags", "owner_id", "owner_group", "name_pinyin",
                 "name_initials", "last_contact_at", "reviewed_at"),
    "customer_archive": ("customer_id", "profile", "credit", "key_people", "addresses", "notes",
                         "custom"),
    "customer_phone": ("customer_id", "e164", "ext", "position"),
    "customer_email": ("customer_id", "email", "position"),
    "customer_asset": ("id", "customer_id", "kind", "product", "model", "serial", "plate",
                       "purchased_on", "warranty_end", "created_at"),
}
NULL = "\\N"

# ---------------------------------------------------------------- vocabulary
# (surname, weight ‰ of the population, roughly)
SURNAMES = [
    ("王", 71), ("李", 70), ("张", 67), ("刘", 54), ("陈", 45), ("杨", 31), ("黄", 22), ("赵", 20),
    ("吴", 20), ("周", 19), ("徐", 16), ("孙", 15), ("马", 15), ("朱", 13), ("胡", 13), ("郭", 12),
    ("何", 11), ("高", 10), ("林", 10), ("罗", 9), ("郑", 8), ("梁", 8), ("谢", 7), ("宋", 6),
    ("唐", 6), ("许", 6), ("韩", 5), ("冯", 5), ("邓", 5), ("曹", 5), ("彭", 5), ("曾", 4),
    ("肖", 4), ("田", 4), ("董", 4), ("袁", 4), ("潘", 3), ("于", 3), ("蒋", 3), ("蔡", 3),
    ("余", 3), ("杜", 3), ("叶", 3), ("程", 3), ("苏", 3), ("魏", 3), ("吕", 3), ("丁", 3),
    ("任", 3), ("沈", 3), ("姚", 2), ("卢", 2), ("姜", 2), ("崔", 2), ("钟", 2), ("谭", 2),
    ("陆", 2), ("汪", 2), ("范", 2), ("金", 2), ("石", 2), ("廖", 2), ("贾", 2), ("夏", 2),
    ("韦", 2), ("付", 2), ("方", 2), ("白", 2), ("邹", 2), ("孟", 2), ("熊", 2), ("秦", 2),
    ("邱", 2), ("江", 2), ("尹", 2), ("薛", 2), ("闫", 2), ("段", 2), ("雷", 2), ("侯", 2),
    ("龙", 2), ("史", 2), ("陶", 1), ("黎", 1), ("贺", 1), ("顾", 1), ("毛", 1), ("郝", 1),
    ("龚", 1), ("邵", 1), ("万", 1), ("钱", 1), ("严", 1), ("覃", 1), ("武", 1), ("戴", 1),
    ("莫", 1), ("孔", 1), ("向", 1), ("汤", 1), ("欧阳", 1), ("司马", 1), ("诸葛", 1), ("上官", 1),
]
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红鹏辉建文林斌宇浩凯兰梅琳晨欣怡"
         "婷雪慧颖佳思雨子轩涵博泽梓诗一诺嘉俊豪鑫帅旭东海波亮飞云峰志春燕丹莉晶倩阳国荣家金成"
         "新永德福宏健松义青璐瑶蕾琪萌悦晓小天星然安宁欢震昊睿铭瑞锐航逸晗萱妍可馨彤昕琦晴雯瑾"
         "娅岚翔毅彬坤立振玲凤琴兵庆宝虹蓉微洁楠璇宸煜熙子淑珍桐钰妮")
CITIES = [  # region, area code, plate prefix (province char + city letters), postcode, weight
    ("北京市", "10", "京", "ABCEFGHJKLMNPQ", "100", 10),
    ("上海市", "21", "沪", "ABCDEFGHJKLMN", "200", 10),
    ("天津市", "22", "津", "ABCDEFGH", "300", 4), ("重庆市", "23", "渝", "ABCDFGH", "400", 5),
    ("广东省广州市", "20", "粤", "A", "510", 7), ("广东省深圳市", "755", "粤", "B", "518", 7),
    ("广东省佛山市", "757", "粤", "E", "528", 3), ("广东省东莞市", "769", "粤", "S", "523", 3),
    ("广东省中山市", "760", "粤", "T", "528", 1), ("浙江省杭州市", "571", "浙", "A", "310", 5),
    ("浙江省宁波市", "574", "浙", "B", "315", 3), ("江苏省南京市", "25", "苏", "A", "210", 4),
    ("江苏省苏州市", "512", "苏", "E", "215", 4), ("湖北省武汉市", "27", "鄂", "A", "430", 4),
    ("四川省成都市", "28", "川", "A", "610", 5), ("陕西省西安市", "29", "陕", "A", "710", 3),
    ("辽宁省沈阳市", "24", "辽", "A", "110", 3), ("辽宁省大连市", "411", "辽", "B", "116", 2),
    ("山东省济南市", "531", "鲁", "A", "250", 2), ("山东省青岛市", "532", "鲁", "B", "266", 3),
    ("河南省郑州市", "371", "豫", "A", "450", 3), ("湖南省长沙市", "731", "湘", "A", "410", 3),
    ("河北省石家庄市", "311", "冀", "A", "050", 2), ("安徽省合肥市", "551", "皖", "A", "230", 2),
    ("福建省福州市", "591", "闽", "A", "350", 2), ("江西省南昌市", "791", "赣", "A", "330", 2),
    ("黑龙江省哈尔滨市", "451", "黑", "A", "150", 2), ("云南省昆明市", "871", "云", "A", "650", 2),
    ("海南省海口市", "898", "琼", "A", "570", 1),
]
MOBILE_PREFIXES = [(p, 4) for p in range(130, 140)] + [(p, 3) for p in (150, 151, 152, 153, 155,
    156, 157, 158, 159)] + [(p, 3) for p in range(180, 190)] + [(p, 1) for p in (166, 170, 171,
    173, 175, 176, 177, 178, 191, 193, 195, 196, 198, 199, 145, 147)]
STREETS = ("建国路", "人民路", "解放路", "中山路", "和平路", "新华路", "胜利路", "文化路", "光明路",
           "长安街", "南京路", "北京路", "科技园路", "学府路", "滨江大道", "金融街", "幸福路")
DISTRICTS = ("东区", "西区", "南区", "北区", "高新区", "开发区", "新区", "老城区")
BRANDS = ("华信", "恒通", "中科", "天成", "金鼎", "鑫源", "宏达", "永盛", "瑞丰", "博远", "德润",
          "东方", "新锐", "卓越", "汇通", "安泰", "联创", "佳禾", "盛世", "万达", "远航", "星辰",
          "海润", "泰和", "嘉信", "宏图", "明德", "诚信", "凯旋", "宇通", "华夏", "锦程", "九州",
          "腾飞", "同创", "创新", "信达", "天虹", "蓝海", "正大")
INDUSTRIES = (("科技", "信息技术"), ("贸易", "批发零售"), ("物流", "交通运输"), ("建设", "建筑业"),
              ("餐饮管理", "住宿餐饮"), ("电子", "制造业"), ("信息技术", "信息技术"),
              ("实业", "制造业"), ("商贸", "批发零售"), ("文化传媒", "文化传媒"),
              ("医疗器械", "医疗健康"), ("汽车服务", "汽车"), ("教育咨询", "教育"),
              ("食品", "食品饮料"))
SUFFIXES = (("有限公司", 6), ("股份有限公司", 2), ("集团有限公司", 1), ("有限责任公司", 1))
OCCUPATIONS = ("教师", "工程师", "医生", "护士", "会计", "销售", "公务员", "个体经营", "程序员",
               "设计师", "司机", "律师", "学生", "退休", "自由职业", "厨师", "经理")
EDUCATION = ("初中", "高中", "中专", "大专", "本科", "硕士", "博士")
MARITAL = (("married", 6), ("single", 3), ("divorced", 1), ("unknown", 1))
TITLES = ("总经理", "采购经理", "财务总监", "行政主管", "技术总监", "董事长", "办公室主任")
TAGS = ("老客户", "高价值", "投诉过", "需回访", "价格敏感", "线上", "线下", "潜在流失", "企业客户",
        "转介绍", "活动参与", "会员", "大客户", "保修期内")
GRADES = (("normal", 80), ("silver", 10), ("gold", 7), ("vip", 3))
LIFECYCLES = (("normal", 65), ("potential", 15), ("declining", 12), ("lost", 8))
CREDIT = ((None, 40), ("A", 10), ("B", 25), ("C", 20), ("D", 5))
LEVELS = ((0, 970), (1, 20), (2, 8), (3, 2))
NOTES = ("", "", "", "", "客户偏好电话联系", "工作日白天方便接听", "曾反映产品质量问题，已解决",
         "需要发票", "请勿在晚上致电", "对价格较敏感")
EMAIL_DOMAINS = ("163.com", "126.com", "qq.com", "sina.com", "sohu.com", "foxmail.com",
                 "139.com", "gmail.com", "outlook.com")
PRODUCTS = (  # product, brand code for serials, models
    ("空调", "GR", ("KFR-35GW", "KFR-26GW", "KFR-72LW")), ("冰箱", "HR", ("BCD-470", "BCD-215")),
    ("洗衣机", "LS", ("XQG100", "XQB80")), ("电视", "TC", ("55V8", "65Q10", "75C845")),
    ("热水器", "AO", ("E60VN", "JSQ30")), ("净水器", "MD", ("MRO1890", "HRO5001")),
    ("扫地机器人", "EC", ("T30", "X2")), ("笔记本电脑", "LN", ("X1C", "Y9000P")),
    ("手机", "HW", ("Mate60", "P70", "nova12")), ("油烟机", "FT", ("CXW-260", "EMS9018")),
)
VEHICLES = (("比亚迪汉", "2023款"), ("比亚迪秦PLUS", "2024款"), ("大众朗逸", "2022款"),
            ("丰田凯美瑞", "2023款"), ("本田雅阁", "2022款"), ("特斯拉Model Y", "2024款"),
            ("吉利星越L", "2023款"), ("长安CS75", "2022款"), ("理想L7", "2024款"),
            ("日产轩逸", "2021款"), ("别克GL8", "2023款"))
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I, O
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"  # no I, O, Q

# Fixed calendar so the data set does not depend on the day it is generated.
EPOCH = datetime.date(2019, 1, 1)
DAYS = [(EPOCH + datetime.timedelta(days=d)).isoformat() for d in range(365 * 14)]
LAST_DAY = (datetime.date(2026, 10, 31) - EPOCH).days  # created/contacted up to here
FUTURE = (datetime.date(2027, 1, 1) - EPOCH).days  # declassifications fall in 2027–2030


def _cum(pairs):
    values, total, cum = [], 0, []
    for value, weight in pairs:
        total += weight
        values.append(value)
        cum.append(total)
    return values, cum, total


def _picker(pairs):
    values, cum, total = _cum(pairs)

    def pick(rng):
        return values[bisect(cum, rng.random() * total)]
    return pick


_surname = _picker(SURNAMES)
_city = _picker([(c, c[5]) for c in CITIES])
_mobile_prefix = _picker(MOBILE_PREFIXES)
_suffix = _picker(SUFFIXES)
_marital = _picker(MARITAL)
_grade = _picker(GRADES)
_lifecycle = _picker(LIFECYCLES)
_credit = _picker(CREDIT)
_level = _picker(LEVELS)


# ---------------------------------------------------------------- phones
def mobile(rng) -> str:
    return f"+86{_mobile_prefix(rng)}{rng.getrandbits(27) % 100_000_000:08d}"


def landline(rng, area: str) -> str:
    return f"+86{area}{_rr(rng, 2, 8)}{rng.getrandbits(24) % 10_000_000:07d}"


def split_phone(e164: str) -> tuple[str, str]:
    """(area code or "", local part) of a +86 number; mobiles have no area code."""
    national = e164[3:]
    if national[0] == "1" and len(national) == 11 and national[1] != "0":
        return "", national
    width = 2 if national[0] in "12" else 3
    return national[:width], national[width:]


MOBILE_FORMS = ("+86 {a} {b} {c}", "0086-{a}-{b}-{c}", "86 {m}", "{a}-{b}-{c}", "{m}",
                "(+86){m}", "+86-{a}-{b}-{c}", "{a} {b} {c}")
LANDLINE_FORMS = ("0{area}-{local}", "(0{area}){local}", "0{area} {l1} {l2}", "+86 {area} {local}",
                  "0086-{area}-{local}", "(0{area}) {l1}-{l2}")
EXT_FORMS = (" ext {ext}", "转{ext}", " x {ext}", " 分机{ext}")


def written_form(e164: str, ext: str | None, i: int) -> str:
    """The i-th way (cycling) a caller or agent might type this number."""
    area, local = split_phone(e164)
    if not area:
        form = MOBILE_FORMS[i % len(MOBILE_FORMS)]
        return form.format(m=local, a=local[:3], b=local[3:7], c=local[7:])
    half = len(local) // 2
    text = LANDLINE_FORMS[i % len(LANDLINE_FORMS)].format(
        area=area, local=local, l1=local[:half], l2=local[half:])
    if ext:
        text += EXT_FORMS[(i // len(LANDLINE_FORMS)) % len(EXT_FORMS)].format(ext=ext)
    return text


# ---------------------------------------------------------------- rows
def _rr(rng, a: int, b: int | None = None) -> int:
    """randrange(a) / randrange(a, b), five times cheaper (float draw; bias far below 1e-9)."""
    if b is None:
        return int(rng.random() * a)
    return a + int(rng.random() * (b - a))


def _uuid(rng) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def _stamp(day: int, rng) -> str:
    s = rng.getrandbits(16) % 50400 + 28800  # 08:00–21:59 China time
    return f"{DAYS[day]} {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+08"


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("\\", "\\\\")


def person_name(rng) -> str:
    surname = _surname(rng)
    if rng.random() < 0.3:
        return surname + GIVEN[_rr(rng, len(GIVEN))]
    return surname + GIVEN[_rr(rng, len(GIVEN))] + GIVEN[_rr(rng, len(GIVEN))]


def organization_name(rng, city) -> tuple[str, str]:
    short = city[0].split("省")[-1].removesuffix("市")
    brand = BRANDS[_rr(rng, len(BRANDS))]
    business, industry = INDUSTRIES[_rr(rng, len(INDUSTRIES))]
    return f"{short}{brand}{business}{_suffix(rng)}", industry


def generate_chunk(seed: int, chunk: int, n: int) -> dict[str, str]:
    """COPY text (tab separated, \\N for NULL) of every table for customers
    [chunk*CHUNK, min(n, (chunk+1)*CHUNK)); depends only on (seed, chunk, n)."""
    rng = random.Random(f"kefu-bench:{seed}:{chunk}")
    rand = rng.random
    out: dict[str, list[str]] = {table: [] for table in TABLES}
    customers, archives = out["customer"], out["customer_archive"]
    phone_rows, email_rows, asset_rows = (out["customer_phone"], out["customer_email"],
                                          out["customer_asset"])
    chunk_phones: list[tuple[str, str]] = []
    for index in range(chunk * CHUNK, min(n, (chunk + 1) * CHUNK)):
        cid = _uuid(rng)
        city = _city(rng)
        region, area, province, letters, postcode = city[:5]
        organization = rand() < 0.05
        if organization:
            name, industry = organization_name(rng, city)
        else:
            name = person_name(rng)
        full, initials = pinyin_of(name)
        created_day = int(rand() * LAST_DAY)
        created = _stamp(created_day, rng)
        level = _level(rng)
        declassify_at = declassify_to = NULL
        if level and rand() < 0.25:
            declassify_at = _stamp(FUTURE + int(rand() * 4 * 365), rng)
            declassify_to = str(int(rand() * level))
        credit_class = _credit(rng)
        tags = [TAGS[int(rand() * len(TAGS))] for _ in range(min(3, int(rng.expovariate(1.2))))]
        if organization:
            tags.append("企业客户")
        group = int(rand() * 25)
        owner_group = f"group{group:02d}" if group < 20 else NULL
        owner_id = f"bench-agent-{group:02d}-{int(rand() * 10)}" if group < 20 else NULL
        last_contact = (_stamp(created_day + int(rand() * LAST_DAY - created_day + 1), rng)
                        if rand() < 0.8 else NULL)
        reviewed = (_stamp(created_day + int(rand() * LAST_DAY - created_day + 1), rng)
                    if rand() < 0.5 else NULL)
        customers.append("\t".join((
            cid, f"KH{index + 1:08d}", "organization" if organization else "person", name,
            "bench", created, created, str(level), declassify_at, declassify_to, _grade(rng),
            _lifecycle(rng), credit_class or NULL, region,
            "{" + ",".join(dict.fromkeys(tags)) + "}", owner_id, owner_group, full, initials,
            last_contact, reviewed)))

        # phones: mostly one mobile; organizations a switchboard; a few shared numbers
        phones: list[tuple[str, str]] = []
        if organization:
            phones.append((landline(rng, area), str(_rr(rng, 800, 900))
                           if rand() < 0.4 else ""))
            if rand() < 0.6:
                phones.append((mobile(rng), ""))
        else:
            count = 1 if rand() < 0.75 else (2 if rand() < 0.8 else 3)
            for _ in range(count):
                if rand() < 0.08:
                    phones.append((landline(rng, area), str(_rr(rng, 1, 100))
                                   if rand() < 0.1 else ""))
                else:
                    phones.append((mobile(rng), ""))
        if chunk_phones and rand() < 0.015:  # family member, shared office line
            phones.append(chunk_phones[int(rand() * len(chunk_phones))])
        phones = list(dict.fromkeys(phones))
        chunk_phones.extend(phones[:1])
        for position, (e164, ext) in enumerate(phones):
            phone_rows.append(f"{cid}\t{e164}\t{ext}\t{position}")

        # emails
        emails = []
        if organization:
            if rand() < 0.6:
                emails.append(f"service@{initials}{int(rand() * 100)}.com.cn")
        elif rand() < 0.35:
            if rand() < 0.3:
                emails.append(f"{_rr(rng, 10_000, 3_000_000_000)}@qq.com")
            else:
                domain = EMAIL_DOMAINS[int(rand() * len(EMAIL_DOMAINS))]
                emails.append(f"{full}{_rr(rng, 1, 10_000)}@{domain}")
            if rand() < 0.05:
                emails.append(f"{initials}{_rr(rng, 1960, 2006)}@"
                              f"{EMAIL_DOMAINS[int(rand() * len(EMAIL_DOMAINS))]}")
        for position, email in enumerate(dict.fromkeys(emails)):
            email_rows.append(f"{cid}\t{email}\t{position}")

        # archive
        if organization:
            profile = {"industry": industry, "staff_count": int(rng.paretovariate(1.2) * 10),
                       "founded": DAYS[int(rand() * LAST_DAY)]}
            key_people = [{"name": person_name(rng), "title": TITLES[int(rand() * len(TITLES))],
                           "phone": mobile(rng), "decision_maker": k == 0, "notes": ""}
                          for k in range(1 + int(rand() * 3))]
            key_json = _json(key_people)
            profile_json = _json(profile)
        else:
            birth = datetime.date(1950 + int(rand() * 55), 1 + int(rand() * 12),
                                  1 + int(rand() * 28))
            profile_json = (
                f'{{"gender":"{"male" if rand() < 0.5 else "female"}",'
                f'"birth_date":"{birth.isoformat()}",'
                f'"occupation":"{OCCUPATIONS[int(rand() * len(OCCUPATIONS))]}",'
                f'"education":"{EDUCATION[int(rand() * len(EDUCATION))]}",'
                f'"marital_status":"{_marital(rng)}"}}')
            key_json = "[]"
        credit = f'{{"limit":"{_rr(rng, 1, 500) * 1000}.00"}}' if credit_class else "{}"
        addresses = "[]"
        if rand() < 0.7:
            text = (f"{DISTRICTS[int(rand() * len(DISTRICTS))]}"
                    f"{STREETS[int(rand() * len(STREETS))]}{_rr(rng, 1, 400)}号")
            if not organization:
                text += f"{_rr(rng, 1, 30)}栋{_rr(rng, 1, 30)}{_rr(rng, 1, 5):02d}室"
            addresses = (f'[{{"kind":"{"office" if organization else "home"}",'
                         f'"region":"{region}","text":"{text}",'
                         f'"postcode":"{postcode}{int(rand() * 1000):03d}"}}]')
        archives.append(f"{cid}\t{profile_json}\t{credit}\t{key_json}\t{addresses}\t"
                        f"{NOTES[int(rand() * len(NOTES))]}\t{{}}")

        # owned products and vehicles (plates and serials upper-case, no separators)
        products = (_rr(rng, 1, 6) if rand() < 0.5 else 0) if organization else (
            _rr(rng, 1, 3) if rand() < 0.3 else 0)
        vehicles = (_rr(rng, 1, 4) if rand() < 0.2 else 0) if organization else (
            1 if rand() < 0.15 else 0)
        for _ in range(products):
            product, code, models = PRODUCTS[int(rand() * len(PRODUCTS))]
            bought = created_day + int(rand() * LAST_DAY - created_day + 1)
            serial = f"{code}{DAYS[bought][:4]}{rng.getrandbits(32):08X}"
            asset_rows.append("\t".join((
                _uuid(rng), cid, "product", product, models[int(rand() * len(models))], serial,
                NULL, DAYS[bought], DAYS[bought + 365 * _rr(rng, 1, 4)], created)))
        for _ in range(vehicles):
            car, model = VEHICLES[int(rand() * len(VEHICLES))]
            bought = created_day + int(rand() * LAST_DAY - created_day + 1)
            city_letter = letters[int(rand() * len(letters))]
            if rand() < 0.15:  # new-energy plate: 6 characters after the city letter
                tail = "DF"[int(rand() * 2)] + f"{int(rand() * 100_000):05d}"
            else:
                tail = "".join(PLATE_LETTERS[int(rand() * 24)] if rand() < 0.2
                               else str(int(rand() * 10)) for _ in range(5))
            vin = "L" + "".join(VIN_CHARS[int(rand() * len(VIN_CHARS))] for _ in range(16))
            asset_rows.append("\t".join((
                _uuid(rng), cid, "vehicle", car, model, vin, province + city_letter + tail,
                DAYS[bought], DAYS[bought + 365 * 3], created)))
    return {table: "\n".join(rows) + "\n" if rows else "" for table, rows in out.items()}


def _chunk_job(args):
    return generate_chunk(*args)


# ---------------------------------------------------------------- loading
MARKER_DDL = """CREATE TABLE IF NOT EXISTS bench_dataset (
    one boolean PRIMARY KEY DEFAULT true CHECK (one), n integer NOT NULL, seed bigint NOT NULL,
    version integer NOT NULL, generated_at timestamptz NOT NULL DEFAULT now(),
    seconds double precision NOT NULL, counts jsonb NOT NULL)"""


def _owner_uri() -> str:
    uri = os.environ.get("KEFU_CUSTOMER_OWNER_DB_URI")
    if not uri:
        raise SystemExit("KEFU_CUSTOMER_OWNER_DB_URI is not set: "
                         "export KEFU_ENV=test; . deploy/local/env.sh")
    return uri


def _connect(uri: str):
    import psycopg2
    import psycopg2.extras
    conn = psycopg2.connect(uri, cursor_factory=psycopg2.extras.RealDictCursor)
    with conn.cursor() as cur:  # FORCE RLS binds the owner too: act as the system principal
        cur.execute("SELECT set_config('kefu.principal', 'bench', false),"
                    " set_config('kefu.system', 'on', false)")
    conn.commit()
    return conn


def current(uri: str | None = None) -> dict | None:
    """The marker of the loaded data set, when the tables still hold it."""
    conn = _connect(uri or _owner_uri())
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass('bench_dataset') IS NOT NULL AS present")
            if not cur.fetchone()["present"]:
                return None
            cur.execute("SELECT n, seed, version, seconds, counts, generated_at FROM bench_dataset")
            marker = cur.fetchone()
            if marker is None:
                return None
            cur.execute("SELECT count(*) AS n FROM customer")
            if cur.fetchone()["n"] != marker["counts"]["customer"]:
                return None  # somebody added or removed customers since
            return marker
    finally:
        conn.close()


def ensure_customers(n: int = 1_000_000, seed: int = 7) -> dict:
    """Make the customer test database hold exactly the (n, seed) data set; returns
    {"n", "seed", "generated": bool, "seconds", "counts": {table: rows}}."""
    marker = current()
    if marker and (marker["n"], marker["seed"], marker["version"]) == (n, seed, VERSION):
        return {"n": n, "seed": seed, "generated": False, "seconds": marker["seconds"],
                "counts": marker["counts"]}
    # Generate in a fresh interpreter: worker processes and blocking COPY do not mix with
    # an eventlet-patched caller.
    subprocess.run([sys.executable, "-m", "bench.generate", str(n), str(seed)], check=True,
                   env={**os.environ})
    marker = current()
    if not marker or (marker["n"], marker["seed"]) != (n, seed):
        raise RuntimeError("the generator finished but the data set is not there")
    return {"n": n, "seed": seed, "generated": True, "seconds": marker["seconds"],
            "counts": marker["counts"]}


def _drop_constraints_and_indexes(cur, foreign, keys, indexes) -> None:
    """Before a bulk load: no constraint or index to maintain row by row."""
    from psycopg2 import sql
    for c in foreign + keys:
        cur.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
            sql.Identifier(c["tbl"]), sql.Identifier(c["name"])))
    for index in indexes:
        cur.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(index["name"])))


def _rebuild_constraints_and_indexes(cur, foreign, keys, indexes) -> None:
    """After a bulk load: keys, then indexes, then the foreign keys that need them."""
    from psycopg2 import sql
    for c in keys:
        cur.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} " + c["def"]).format(
            sql.Identifier(c["tbl"]), sql.Identifier(c["name"])))
    for index in indexes:
        cur.execute(index["def"])
    for c in foreign:
        cur.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} " + c["def"]).format(
            sql.Identifier(c["tbl"]), sql.Identifier(c["name"])))


def _constraints_and_indexes(cur, tables=TABLES) -> tuple[list, list, list]:
    tables = list(tables)
    cur.execute(
        "SELECT conrelid::regclass::text AS tbl, conname AS name, pg_get_constraintdef(oid) AS def"
        " FROM pg_constraint WHERE contype = 'f' AND (conrelid = ANY(%s::regclass[])"
        " OR confrelid = ANY(%s::regclass[])) ORDER BY conname", (tables, tables))
    foreign = cur.fetchall()
    cur.execute(
        "SELECT conrelid::regclass::text AS tbl, conname AS name, pg_get_constraintdef(oid) AS def"
        " FROM pg_constraint WHERE contype IN ('p', 'u') AND conrelid = ANY(%s::regclass[])"
        " ORDER BY conname", (tables,))
    keys = cur.fetchall()
    cur.execute(
        "SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS def"
        " FROM pg_index i WHERE indrelid = ANY(%s::regclass[]) AND NOT EXISTS ("
        "  SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid"
        "  AND c.contype IN ('p', 'u', 'x')) ORDER BY 1", (tables,))
    return foreign, keys, cur.fetchall()


def load(n: int, seed: int, workers: int | None = None, rebuild_indexes: bool = True,
         uri: str | None = None, log=print) -> dict:
    """Generate and load in one transaction (see the module doc); returns the marker."""
    import multiprocessing

    from psycopg2 import sql

    started = time.perf_counter()
    conn = _connect(uri or _owner_uri())
    cur = conn.cursor()
    cur.execute("SET maintenance_work_mem = '512MB'")
    cur.execute("SET max_parallel_maintenance_workers = 2")
    cur.execute(MARKER_DDL)
    cur.execute("DELETE FROM bench_dataset")
    cur.execute("TRUNCATE customer CASCADE")  # every table that refers to a customer too
    cur.execute("SELECT relname FROM pg_class WHERE relname = ANY(%s) AND relforcerowsecurity",
                (list(TABLES),))
    forced = [row["relname"] for row in cur.fetchall()]
    for table in forced:
        cur.execute(sql.SQL("ALTER TABLE {} NO FORCE ROW LEVEL SECURITY").format(
            sql.Identifier(table)))
    foreign, keys, indexes = _constraints_and_indexes(cur)
    if rebuild_indexes:
        _drop_constraints_and_indexes(cur, foreign, keys, indexes)
    counts = dict.fromkeys(TABLES, 0)
    chunks = (n + CHUNK - 1) // CHUNK
    workers = workers or max(1, min(2, os.cpu_count() or 1))
    copy = {table: sql.SQL("COPY {} ({}) FROM STDIN WITH (FREEZE)").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, COLUMNS[table])))
        for table in TABLES}
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for done, data in enumerate(pool.imap(_chunk_job, [(seed, c, n) for c in range(chunks)]),
                                    1):
            for table in TABLES:
                text = data[table]
                if text:
                    raw = text.encode()
                    cur.copy_expert(copy[table], io.BytesIO(raw), size=len(raw))
                    counts[table] += cur.rowcount
            if done % 20 == 0 or done == chunks:
                log(f"  {done * CHUNK if done < chunks else n:>9,} customers"
                    f"  {time.perf_counter() - started:6.1f} s")
    loaded = time.perf_counter()
    if rebuild_indexes:
        _rebuild_constraints_and_indexes(cur, foreign, keys, indexes)
    indexed = time.perf_counter()
    for table in forced:
        cur.execute(sql.SQL("ALTER TABLE {} FORCE ROW LEVEL SECURITY").format(
            sql.Identifier(table)))
    cur.execute("SELECT setval('customer_number_seq', %s)", (max(n, 1),))
    seconds = time.perf_counter() - started
    cur.execute("INSERT INTO bench_dataset (n, seed, version, seconds, counts)"
                " VALUES (%s, %s, %s, %s, %s)", (n, seed, VERSION, seconds, json.dumps(counts)))
    conn.commit()
    conn.autocommit = True
    for table in TABLES:
        cur.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
    analyzed = time.perf_counter()
    cur.execute("UPDATE bench_dataset SET seconds = %s", (analyzed - started,))
    conn.close()
    log(f"  generate+COPY {loaded - started:.1f} s, constraints+indexes {indexed - loaded:.1f} s,"
        f" ANALYZE {analyzed - indexed:.1f} s; {counts}")
    return {"n": n, "seed": seed, "seconds": analyzed - started, "counts": counts,
            "copy_seconds": loaded - started, "index_seconds": indexed - loaded,
            "analyze_seconds": analyzed - indexed}


# ================================================================ tickets
# ensure_tickets(n=5_000_000, seed=7): the ticket TEST database (KEFU_TICKET_OWNER_DB_URI)
# ends up holding exactly the (n, seed, TICKET_VERSION) data set over the customers of
# ensure_customers(customers, customer_seed).  Generated server-side by ONE
# INSERT ... SELECT over generate_series: every random value is a hash of (seed, row
# number, purpose) (hashint8extended), so the rows, ids included, do not depend on the
# plan, the number of workers or the day of generation.  Same single transaction as the
# customers: TRUNCATE ticket CASCADE, drop the foreign keys to and from `ticket`, its
# primary/unique constraints and indexes, disable its user triggers (the destroyed-customer
# guard, queue counts...), INSERT, rebuild, enable, then the derived tables (serial
# counters, queue counts), marker, COMMIT, VACUUM ANALYZE.
#
# What the rows are like (TICKET_VERSION 1):
# - two years of days, TICKET_FIRST_DAY..TICKET_LAST_DAY (fixed: the data set's "today" is
#   TICKET_LAST_DAY), weekdays busier than weekends, a slow growth and day-to-day noise;
#   kinds consultation 45 %, after-sales 35 %, complaint 12 %, suggestion 8 %;
# - accepted 08:00–22:00 China time, serials ZX/SH/TS/JY-YYYYMMDD-NNNN numbered in time
#   order per prefix and day; `serial_counter` advanced to the last number of each day;
# - customers: 70 % uniform over the 1M, 30 % over the first 5 % (repeat callers);
# - 300 agents (TICKET_AGENTS: deterministic uuids, 15 per group) in 20 groups
#   (group00..group19; consultation handled by 00–07, after-sales 08–14, complaints 15–17,
#   suggestions 18–19); the acceptor is a front-line agent of groups 00–07;
# - status by age: open with probability exp(-age/30 days) × (consultation 0.4, suggestion
#   0.8, others 1) — about 3 % open, new 15 % / assigned 25 % / in progress 40 % / waiting
#   20 %; "new" ones are unassigned (the group queue), the others have an assignee of the
#   group; the rest closed 96 %, cancelled 2.5 %, resolved 1.5 %;
# - 40 categories (upserted by (kind, name)); channel, urgency, warranty, fee/paid
#   (out-of-warranty after-sales), short Chinese content from templates;
# - trail rows only for the OPEN tickets (created, assigned, status): the closed history's
#   trail is never read by a measured path and would triple the load time;
# - no SLA due times (NULL: the escalation timer must not wake on two years of history),
#   no outbox events (the report service's rollups do not see the generated history).
TICKET_VERSION = 1
TICKET_FIRST_DAY = datetime.date(2024, 11, 1)
TICKET_LAST_DAY = datetime.date(2026, 10, 31)
TICKET_KINDS = (("consultation", "ZX", 45), ("after_sales", "SH", 35), ("complaint", "TS", 12),
                ("suggestion", "JY", 8))
GROUPS_OF_KIND = {"consultation": (0, 8), "after_sales": (8, 7), "complaint": (15, 3),
                  "suggestion": (18, 2)}  # first group, number of groups
AGENTS_PER_GROUP = 15
GROUP_COUNT = 20
FRONT_LINE = 8 * AGENTS_PER_GROUP  # acceptors: the agents of groups 00–07
OPEN_STATUSES = ("new", "assigned", "in_progress", "waiting")
TICKET_MARKER_DDL = """CREATE TABLE IF NOT EXISTS bench_ticket_dataset (
    one boolean PRIMARY KEY DEFAULT true CHECK (one), n integer NOT NULL, seed bigint NOT NULL,
    version integer NOT NULL, customers integer NOT NULL, customer_seed bigint NOT NULL,
    generated_at timestamptz NOT NULL DEFAULT now(), seconds double precision NOT NULL,
    counts jsonb NOT NULL)"""
CATEGORIES = {
    "consultation": [(None, n) for n in (
        "产品功能", "价格与促销", "保修政策", "安装预约", "使用方法", "配件购买", "发票开具",
        "会员积分", "门店信息", "以旧换新", "物流查询", "其他咨询")],
    "after_sales": [(sub, f"{label}-{item}") for sub, label in (
        ("delivery", "送货"), ("installation", "安装"), ("repair", "维修"),
        ("maintenance", "保养"), ("return", "退货"), ("exchange", "换货"))
        for item in ("家电", "数码", "其他")],
    "complaint": [(None, n) for n in ("服务态度", "维修质量", "时效", "收费", "产品质量",
                                      "其他投诉")],
    "suggestion": [(None, n) for n in ("产品建议", "服务建议", "渠道建议", "其他建议")],
}
TEMPLATES = {
    "consultation": ("请问{p}的保修期是多久", "{p}如何预约上门安装", "咨询{p}的使用方法",
                     "咨询{p}的价格和近期促销活动", "购买{p}后发票怎么开", "会员积分如何兑换{p}",
                     "{p}的配件在哪里可以买到", "附近门店的营业时间", "{p}的能效等级是多少",
                     "{p}以旧换新政策咨询", "{p}订单物流到哪里了", "{p}第{n}代和上一代有什么区别"),
    "after_sales": ("{p}无法开机，需要上门维修", "{p}漏水，地板已经湿了", "{p}运行时噪音很大",
                    "预约{p}上门安装，希望周末", "{p}送货时间需要改期", "{p}需要定期保养清洗",
                    "申请退货：{p}外壳有划痕", "{p}型号发错，申请换货", "{p}遥控器失灵",
                    "{p}显示故障代码E{n}", "{p}不制冷", "{p}使用{n}个月后出现异响"),
    "complaint": ("维修人员迟到{n}小时", "客服热线长时间无人接听", "{p}多次维修仍未解决",
                  "送货员态度恶劣", "退款{n}周仍未到账", "上门费收费不合理，要求退还",
                  "{p}安装师傅没有清理现场"),
    "suggestion": ("建议增加夜间人工热线", "希望公众号可以查询维修进度", "建议延长{p}的保修期",
                   "希望安装师傅上门前电话联系", "建议App增加在线预约功能"),
}
SUFFIXES_TEXT = ("", "", "，客户要求尽快处理", "，请回电", "，客户情绪激动", "，已告知处理时限",
                 "，客户方便时间为下午", "，已发送短信确认")
PRODUCT_NAMES = tuple(p[0] for p in PRODUCTS)


def _hash_uuid(text: str) -> str:
    import hashlib
    import uuid
    return str(uuid.UUID(hashlib.md5(text.encode()).hexdigest()))


def ticket_agents(seed: int = 7) -> list[dict]:
    """The 300 agents of the ticket data set: id (uuid, deterministic), username, group."""
    return [{"id": _hash_uuid(f"kefu-bench-agent:{seed}:{k}"),
             "username": f"bench-t-agent-{k:03d}",
             "display_name": f"坐席{k:03d}",
             "group": f"group{k // AGENTS_PER_GROUP:02d}"}
            for k in range(GROUP_COUNT * AGENTS_PER_GROUP)]


def ticket_days(n: int, seed: int) -> list[tuple[datetime.date, str, str, int]]:
    """(day, kind, prefix, count) for every day and kind; the counts sum to n exactly."""
    rng = random.Random(f"kefu-bench-tickets:{seed}:days")
    days = [TICKET_FIRST_DAY + datetime.timedelta(days=d)
            for d in range((TICKET_LAST_DAY - TICKET_FIRST_DAY).days + 1)]
    weights = []
    for index, day in enumerate(days):
        weekday = (1.0, 1.05, 1.0, 1.0, 0.95, 0.6, 0.5)[day.weekday()]
        weights.append(weekday * (0.85 + 0.3 * index / len(days)) * rng.uniform(0.85, 1.15))
    total_weight = sum(weights)
    per_day = [int(n * w / total_weight) for w in weights]
    for i in range(n - sum(per_day)):  # the remainder, spread over the days in turn
        per_day[i % len(per_day)] += 1
    rows = []
    for day, count in zip(days, per_day, strict=True):
        shares = [count * weight / 100 for _, _, weight in TICKET_KINDS]
        counts = [int(s) for s in shares]
        for i in sorted(range(len(shares)), key=lambda k: counts[k] - shares[k])[
                :count - sum(counts)]:
            counts[i] += 1
        rows += [(day, kind, prefix, c)
                 for (kind, prefix, _), c in zip(TICKET_KINDS, counts, strict=True)]
    return rows


def _ticket_uri() -> str:
    uri = os.environ.get("KEFU_TICKET_OWNER_DB_URI")
    if not uri:
        raise SystemExit("KEFU_TICKET_OWNER_DB_URI is not set: "
                         "export KEFU_ENV=test; . deploy/local/env.sh")
    return uri


def current_tickets(uri: str | None = None) -> dict | None:
    """The marker of the loaded ticket data set, when the tickets of its window are all
    there (tickets created live later, after the window, do not count against it)."""
    conn = _connect(uri or _ticket_uri())
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass('bench_ticket_dataset') IS NOT NULL AS present")
            if not cur.fetchone()["present"]:
                return None
            cur.execute("SELECT n, seed, version, customers, customer_seed, seconds, counts,"
                        " generated_at FROM bench_ticket_dataset")
            marker = cur.fetchone()
            if marker is None:
                return None
            cur.execute("SELECT count(*) AS n FROM ticket WHERE accepted_at < %s",
                        (TICKET_LAST_DAY + datetime.timedelta(days=2),))
            if cur.fetchone()["n"] != marker["n"]:
                return None
            return marker
    finally:
        conn.close()


def ensure_tickets(n: int = 5_000_000, seed: int = 7, customers: int = 1_000_000,
                   customer_seed: int = 7) -> dict:
    """Make the ticket test database hold exactly the (n, seed) ticket data set over the
    (customers, customer_seed) customer data set (made first if needed); returns
    {"n", "seed", "generated": bool, "seconds", "counts", "customers": <ensure_customers>}."""
    people = ensure_customers(customers, customer_seed)
    marker = current_tickets()
    wanted = (n, seed, TICKET_VERSION, customers, customer_seed)
    if not marker or (marker["n"], marker["seed"], marker["version"], marker["customers"],
                      marker["customer_seed"]) != wanted:
        subprocess.run([sys.executable, "-m", "bench.generate", "tickets", str(n), str(seed),
                        str(customers), str(customer_seed)], check=True, env={**os.environ})
        marker = current_tickets()
        if not marker or (marker["n"], marker["seed"]) != (n, seed):
            raise RuntimeError("the ticket generator finished but the data set is not there")
        generated = True
    else:
        generated = False
    return {"n": n, "seed": seed, "generated": generated, "seconds": marker["seconds"],
            "counts": marker["counts"], "customers": people}


def _u(k: int) -> str:
    """SQL for the k-th uniform [0, 1) draw of row i (seed bound as %(seed)s)."""
    return f"pg_temp.u(s.i, %(seed)s, {k})"


# One row per ticket: `s` has day, kind, prefix, cnt (tickets of that kind that day),
# num (1..cnt: the serial number, in time order) and i (global row number).
# Only constants are interpolated into the text (_u, AGENTS_PER_GROUP); values are bound.
TICKET_SELECT = f"""
WITH s AS (
    SELECT d.day, d.kind, d.prefix, d.cnt, g.num, d.base + g.num AS i,
           (%(last_day)s::date - d.day) AS age
    FROM bench_day AS d
    CROSS JOIN LATERAL generate_series(1, d.cnt) AS g(num)
), a AS (
    SELECT s.*,
        ((s.day + interval '8 hours' + ((s.num - 1) + {_u(1)}) * (interval '14 hours' / s.cnt))
            AT TIME ZONE 'Asia/Shanghai') AS accepted_at,
        CASE WHEN {_u(3)} < 0.3 THEN 1 + floor({_u(2)} * %(heavy)s)::int
             ELSE 1 + floor({_u(2)} * %(customers)s)::int END AS cust_n,
        CASE WHEN {_u(10)} < exp(-s.age / 30.0) * CASE s.kind WHEN 'consultation' THEN 0.4
                                                 WHEN 'suggestion' THEN 0.8 ELSE 1.0 END
             THEN CASE WHEN {_u(11)} < 0.15 THEN 'new' WHEN {_u(11)} < 0.40 THEN 'assigned'
                       WHEN {_u(11)} < 0.80 THEN 'in_progress' ELSE 'waiting' END
             ELSE CASE WHEN {_u(11)} < 0.96 THEN 'closed' WHEN {_u(11)} < 0.985 THEN 'cancelled'
                       ELSE 'resolved' END
        END AS status,
        (CASE s.kind WHEN 'consultation' THEN 0 WHEN 'after_sales' THEN 8
                     WHEN 'complaint' THEN 15 ELSE 18 END)
          + floor({_u(7)} * CASE s.kind WHEN 'consultation' THEN 8 WHEN 'after_sales' THEN 7
                                       WHEN 'complaint' THEN 3 ELSE 2 END)::int AS grp,
        CASE WHEN s.kind = 'after_sales'
             THEN CASE WHEN {_u(17)} < 0.6 THEN 'in' WHEN {_u(17)} < 0.9 THEN 'out'
                       ELSE 'unknown' END
             ELSE 'unknown' END AS warranty
    FROM s
    OFFSET 0  -- evaluated once per row, not inlined into every later use
), b AS (
    SELECT s.*,
        CASE WHEN s.status = 'new' THEN NULL
             ELSE s.accepted_at + interval '1 minute' * (2 + 118 * {_u(21)}) END
            AS first_response_at,
        CASE WHEN s.status IN ('resolved', 'closed')
             THEN s.accepted_at + interval '1 hour' * (0.2 + 120 * {_u(22)} ^ 2) END
            AS resolved_at
    FROM a AS s
    OFFSET 0  -- evaluated once per row, not inlined into every later use
), c AS (
    SELECT s.*,
        CASE WHEN s.status = 'closed'
             THEN s.resolved_at + interval '1 hour' * (0.1 + 48 * {_u(23)})
             WHEN s.status = 'cancelled'
             THEN s.accepted_at + interval '1 hour' * (0.1 + 24 * {_u(23)}) END AS closed_at
    FROM b AS s
    OFFSET 0  -- evaluated once per row, not inlined into every later use
)
SELECT
    md5('kefu-bench-ticket:' || %(seed)s || ':' || s.i)::uuid AS id,
    s.prefix || '-' || to_char(s.day, 'YYYYMMDD') || '-' || lpad(s.num::text, 4, '0') AS serial,
    s.kind,
    cu.id AS customer_id,
    replace(replace(
        (CASE s.kind WHEN 'consultation' THEN %(t_consultation)s::text[]
                     WHEN 'after_sales' THEN %(t_after_sales)s::text[]
                     WHEN 'complaint' THEN %(t_complaint)s::text[]
                     ELSE %(t_suggestion)s::text[] END)[1 + floor({_u(13)} * CASE s.kind
            WHEN 'consultation' THEN %(n_consultation)s WHEN 'after_sales' THEN %(n_after_sales)s
            WHEN 'complaint' THEN %(n_complaint)s ELSE %(n_suggestion)s END)::int],
        '{{p}}', (%(products)s::text[])[1 + floor({_u(14)} * %(n_products)s)::int]),
        '{{n}}', (2 + floor({_u(15)} * 8)::int)::text)
      || (%(suffixes)s::text[])[1 + floor({_u(16)} * %(n_suffixes)s)::int] AS content,
    CASE WHEN {_u(4)} < 0.58 THEN 'phone' WHEN {_u(4)} < 0.72 THEN 'wechat'
         WHEN {_u(4)} < 0.82 THEN 'web' WHEN {_u(4)} < 0.87 THEN 'sms'
         WHEN {_u(4)} < 0.92 THEN 'email' WHEN {_u(4)} < 0.98 THEN 'walk_in'
         ELSE 'fax' END AS channel,
    CASE WHEN {_u(5)} < 0.2 THEN 'low' WHEN {_u(5)} < 0.8 THEN 'medium'
         WHEN {_u(5)} < 0.95 THEN 'high' ELSE 'urgent' END AS urgency,
    s.status,
    (%(agents)s::text[])[1 + floor({_u(9)} * %(front_line)s)::int] AS acceptor_id,
    s.accepted_at,
    CASE WHEN {_u(6)} < 0.95 THEN
        (CASE s.kind WHEN 'consultation' THEN %(c_consultation)s::uuid[]
                     WHEN 'after_sales' THEN %(c_after_sales)s::uuid[]
                     WHEN 'complaint' THEN %(c_complaint)s::uuid[]
                     ELSE %(c_suggestion)s::uuid[] END)[1 + floor({_u(8)} * CASE s.kind
            WHEN 'consultation' THEN %(m_consultation)s WHEN 'after_sales' THEN %(m_after_sales)s
            WHEN 'complaint' THEN %(m_complaint)s ELSE %(m_suggestion)s END)::int]
    END AS category_id,
    s.warranty,
    CASE WHEN s.warranty = 'out' THEN round((50 + 450 * {_u(18)})::numeric, 0) ELSE 0 END AS fee,
    s.warranty = 'out' AND {_u(19)} < 0.85 AS paid,
    'group' || lpad(s.grp::text, 2, '0') AS group_name,
    CASE WHEN s.status = 'new' THEN NULL
         ELSE (%(agents)s::text[])[1 + s.grp * {AGENTS_PER_GROUP}
                                   + floor({_u(12)} * {AGENTS_PER_GROUP})::int] END
        AS assignee_id,
    CASE WHEN s.status = 'waiting' THEN CASE WHEN {_u(20)} < 0.6 THEN 'customer' ELSE 'parts' END
    END AS waiting_on,
    s.first_response_at,
    s.resolved_at,
    s.closed_at,
    greatest(s.accepted_at, s.first_response_at, s.resolved_at, s.closed_at) AS updated_at
FROM c AS s
JOIN bench_customer cu ON cu.n = s.cust_n
"""  # noqa: S608
TICKET_COLUMNS = ("id", "serial", "kind", "customer_id", "content", "channel", "urgency",
                  "status", "acceptor_id", "accepted_at", "category_id", "warranty", "fee",
                  "paid", "group_name", "assignee_id", "waiting_on", "first_response_at",
                  "resolved_at", "closed_at", "updated_at")


def _ticket_params(n: int, seed: int, customers: int, categories: dict, agents: list) -> dict:
    rows = ticket_days(n, seed)
    if max(r[3] for r in rows) > 9999:
        raise ValueError("more than 9,999 tickets of a kind a day: serials have 4 digits")
    bases, base = [], 0
    for row in rows:
        bases.append(base)
        base += row[3]
    params = {
        "seed": seed, "last_day": TICKET_LAST_DAY, "customers": customers,
        "heavy": max(1, customers // 20),
        "days": [r[0] for r in rows], "kinds": [r[1] for r in rows],
        "prefixes": [r[2] for r in rows], "counts": [r[3] for r in rows], "bases": bases,
        "products": list(PRODUCT_NAMES), "n_products": len(PRODUCT_NAMES),
        "suffixes": list(SUFFIXES_TEXT), "n_suffixes": len(SUFFIXES_TEXT),
        "agents": [a["id"] for a in agents], "front_line": FRONT_LINE,
    }
    for kind, templates in TEMPLATES.items():
        params[f"t_{kind}"], params[f"n_{kind}"] = list(templates), len(templates)
        params[f"c_{kind}"], params[f"m_{kind}"] = categories[kind], len(categories[kind])
    return params


def _ticket_session(cur, params: dict) -> None:
    """What TICKET_SELECT needs in the session: the draw function and the day table
    (a table, not unnest of bound arrays: PostgreSQL takes seconds over the latter)."""
    cur.execute("CREATE FUNCTION pg_temp.u(i bigint, seed bigint, k integer) RETURNS float8"
                " LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT (hashint8extended(i,"
                " seed * 1000 + k) & 2147483647)::float8 / 2147483648.0 $$")
    cur.execute("CREATE TEMP TABLE bench_day (day date NOT NULL, kind text NOT NULL,"
                " prefix text NOT NULL, cnt integer NOT NULL, base bigint NOT NULL)")
    rows = zip(params["days"], params["kinds"], params["prefixes"], params["counts"],
               params["bases"], strict=True)
    text = "".join(f"{d.isoformat()}\t{k}\t{p}\t{c}\t{b}\n" for d, k, p, c, b in rows)
    cur.copy_expert("COPY bench_day FROM STDIN", io.BytesIO(text.encode()))
    cur.execute("ANALYZE bench_day")


QUEUE_COUNT_REBUILDERS = ("ticket_queue_counts_rebuild", "queue_counts_rebuild",
                          "queue_count_rebuild")
# Migration 0005-ticket-queues: counts per (assignee | unassigned group) × status × slot,
# kept by the ticket_queue_count trigger; this is the migration's own "what exists already".
QUEUE_COUNT_REBUILD = """
INSERT INTO queue_count (scope, key, status, slot, n)
SELECT CASE WHEN assignee_id IS NOT NULL THEN 'assignee' ELSE 'group' END,
       coalesce(assignee_id, group_name), status, abs(hashtext(id::text) % 8), count(*)
FROM ticket
WHERE assignee_id IS NOT NULL OR group_name IS NOT NULL
GROUP BY 1, 2, 3, 4"""


def _rebuild_queue_counts(cur, log) -> str:
    """The queue counts (trigger-maintained, the triggers were off during the load) from
    the tickets, set-based: the queue area's rebuild function if it has one, else the
    same GROUP BY as its migration.  Returns how, or "" when there is no such table."""
    started = time.perf_counter()
    cur.execute("SELECT proname FROM pg_proc WHERE proname = ANY(%s) AND pronargs = 0"
                " ORDER BY proname", (list(QUEUE_COUNT_REBUILDERS),))
    found = [r["proname"] for r in cur.fetchall()]
    if found:
        from psycopg2 import sql
        cur.execute(sql.SQL("SELECT {}()").format(sql.Identifier(found[0])))
        how = f"{found[0]}()"
    else:
        cur.execute("SELECT array_agg(attname::text ORDER BY attname) AS cols FROM pg_attribute"
                    " WHERE attrelid = to_regclass('queue_count') AND attnum > 0"
                    " AND NOT attisdropped")
        cols = cur.fetchone()["cols"] or []
        if not cols:
            return ""
        if not {"scope", "key", "status", "slot", "n"} <= set(cols):
            log(f"  WARNING: queue_count has columns {cols}, not those of migration 0005:"
                " counts NOT rebuilt")
            return "not rebuilt"
        cur.execute("DELETE FROM queue_count")
        cur.execute(QUEUE_COUNT_REBUILD)
        how = "GROUP BY of migration 0005"
    log(f"  queue counts rebuilt ({how}) in {time.perf_counter() - started:.1f} s")
    return how


def load_tickets(n: int, seed: int, customers: int, customer_seed: int, uri: str | None = None,
                 log=print) -> dict:
    """Generate and load the tickets in one transaction (see above); returns the marker."""
    from psycopg2 import sql

    started = time.perf_counter()
    # The customers' ids, in their number order (KH00000001...): row n of bench_customer.
    people = _connect(_owner_uri())
    ids = io.BytesIO()
    with people.cursor() as cur:
        cur.copy_expert(sql.SQL(
            "COPY (SELECT id FROM customer WHERE number LIKE 'KH%' ORDER BY number LIMIT {})"
            " TO STDOUT").format(sql.Literal(customers)), ids)
    people.close()
    ids.seek(0)
    conn = _connect(uri or _ticket_uri())
    cur = conn.cursor()
    cur.execute("SET maintenance_work_mem = '1GB'")
    cur.execute("SET work_mem = '256MB'")
    cur.execute("SET max_parallel_maintenance_workers = 2")
    cur.execute("SET max_parallel_workers_per_gather = 0")
    cur.execute("CREATE TEMP TABLE bench_customer (n serial PRIMARY KEY, id uuid NOT NULL)")
    cur.copy_expert("COPY bench_customer (id) FROM STDIN", ids)
    if cur.rowcount != customers:
        raise RuntimeError(f"{cur.rowcount} generated customers found, {customers} wanted")
    cur.execute("ANALYZE bench_customer")
    cur.execute(TICKET_MARKER_DDL)
    cur.execute("DELETE FROM bench_ticket_dataset")
    # categories: upserted by (kind, name), ids deterministic when new
    categories: dict[str, list[str]] = {}
    for kind, entries in CATEGORIES.items():
        categories[kind] = []
        for subtype, name in entries:
            cur.execute("INSERT INTO category (id, kind, subtype, name) VALUES (%s, %s, %s, %s)"
                        " ON CONFLICT (kind, name) DO UPDATE SET active = true"
                        " RETURNING id::text", (_hash_uuid(f"kefu-bench-category:{kind}:{name}"),
                                                kind, subtype, name))
            categories[kind].append(cur.fetchone()["id"])
    agents = ticket_agents(seed)
    for k, agent in enumerate(agents):
        cur.execute("INSERT INTO staff_member (id, username, display_name, roles, groups,"
                    " on_duty) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET"
                    " username = EXCLUDED.username, groups = EXCLUDED.groups",
                    (agent["id"], agent["username"], agent["display_name"], ["agent"],
                     [agent["group"]], k % 3 != 0))
    params = _ticket_params(n, seed, customers, categories, agents)
    _ticket_session(cur, params)
    prepared = time.perf_counter()

    cur.execute("TRUNCATE ticket CASCADE")  # and every table that refers to a ticket
    cur.execute("SELECT relforcerowsecurity AS forced FROM pg_class WHERE oid = 'ticket'::regclass")
    forced = cur.fetchone()["forced"]
    if forced:
        cur.execute("ALTER TABLE ticket NO FORCE ROW LEVEL SECURITY")
    foreign, keys, indexes = _constraints_and_indexes(cur, ("ticket",))
    _drop_constraints_and_indexes(cur, foreign, keys, indexes)
    cur.execute("ALTER TABLE ticket DISABLE TRIGGER USER")
    cur.execute(sql.SQL("INSERT INTO ticket ({}) ").format(
        sql.SQL(", ").join(map(sql.Identifier, TICKET_COLUMNS))) + sql.SQL(TICKET_SELECT), params)
    inserted = cur.rowcount
    loaded = time.perf_counter()
    log(f"  {inserted:,} tickets inserted in {loaded - prepared:.1f} s")
    _rebuild_constraints_and_indexes(cur, foreign, keys, indexes)
    indexed = time.perf_counter()
    log(f"  constraints and {len(indexes) + len(keys)} indexes rebuilt in"
        f" {indexed - loaded:.1f} s")
    cur.execute("ALTER TABLE ticket ENABLE TRIGGER USER")
    if forced:
        cur.execute("ALTER TABLE ticket FORCE ROW LEVEL SECURITY")
    # trail of the open tickets: created, assigned, status
    cur.execute(
        "INSERT INTO ticket_trail (ticket_id, at, actor_id, action, to_status, to_handler)"
        " SELECT id, accepted_at, acceptor_id, 'created', 'new', 'group:' || group_name"
        " FROM ticket WHERE status = ANY(%s) ORDER BY accepted_at, id", (list(OPEN_STATUSES),))
    trail = cur.rowcount
    cur.execute(
        "INSERT INTO ticket_trail (ticket_id, at, actor_id, action, from_status, to_status,"
        " from_handler, to_handler)"
        " SELECT id, first_response_at, assignee_id, 'assigned', 'new', 'assigned',"
        " 'group:' || group_name, 'staff:' || assignee_id FROM ticket"
        " WHERE status = ANY(%s) AND assignee_id IS NOT NULL ORDER BY accepted_at, id",
        (list(OPEN_STATUSES),))
    trail += cur.rowcount
    cur.execute(
        "INSERT INTO ticket_trail (ticket_id, at, actor_id, action, from_status, to_status)"
        " SELECT id, first_response_at + interval '5 minutes', assignee_id, 'status',"
        " 'assigned', status FROM ticket WHERE status IN ('in_progress', 'waiting')"
        " ORDER BY accepted_at, id")
    trail += cur.rowcount
    cur.execute("INSERT INTO serial_counter (prefix, day, last)"
                " SELECT * FROM unnest(%s::text[], %s::date[], %s::int[])"
                " ON CONFLICT (prefix, day) DO UPDATE"
                " SET last = greatest(serial_counter.last, EXCLUDED.last)",
                (params["prefixes"], params["days"], params["counts"]))
    rebuilt = _rebuild_queue_counts(cur, log)
    cur.execute("SELECT status, count(*) AS n FROM ticket GROUP BY status ORDER BY status")
    statuses = {r["status"]: r["n"] for r in cur.fetchall()}
    counts = {"ticket": inserted, "ticket_trail": trail,
              "category": sum(map(len, categories.values())),
              "staff_member": len(agents), "serial_counter": len(params["days"]),
              "status": statuses}
    seconds = time.perf_counter() - started
    cur.execute("INSERT INTO bench_ticket_dataset (n, seed, version, customers, customer_seed,"
                " seconds, counts) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (n, seed, TICKET_VERSION, customers, customer_seed, seconds, json.dumps(counts)))
    conn.commit()
    committed = time.perf_counter()
    conn.autocommit = True
    cur.execute("VACUUM (ANALYZE) ticket")
    cur.execute("VACUUM (ANALYZE) ticket_trail")
    cur.execute("ANALYZE serial_counter")
    analyzed = time.perf_counter()
    cur.execute("UPDATE bench_ticket_dataset SET seconds = %s", (analyzed - started,))
    conn.close()
    log(f"  prepare {prepared - started:.1f} s, INSERT {loaded - prepared:.1f} s, constraints+"
        f"indexes {indexed - loaded:.1f} s, trail/counters/commit {committed - indexed:.1f} s,"
        f" VACUUM ANALYZE {analyzed - committed:.1f} s; {counts}"
        + (f"; queue counts: {rebuilt}" if rebuilt else ""))
    return {"n": n, "seed": seed, "seconds": analyzed - started, "counts": counts,
            "insert_seconds": loaded - prepared, "index_seconds": indexed - loaded,
            "vacuum_seconds": analyzed - committed}


def main(argv: list[str]) -> None:
    if argv and argv[0] == "tickets":
        n, seed, customers, customer_seed = (list(map(int, argv[1:])) + [5_000_000, 7,
                                                                        1_000_000, 7][
            len(argv) - 1:])[:4]
        print(f"bench data set: {n:,} tickets, seed {seed}, over {customers:,} customers",
              flush=True)
        result = load_tickets(n, seed, customers, customer_seed,
                              log=lambda m: print(m, flush=True))
        print(f"bench data set: tickets loaded in {result['seconds']:.1f} s", flush=True)
        return
    n = int(argv[0]) if argv else 1_000_000
    seed = int(argv[1]) if len(argv) > 1 else 7
    rebuild = os.environ.get("KEFU_BENCH_KEEP_INDEXES", "") != "1"
    print(f"bench data set: {n:,} customers, seed {seed}", flush=True)
    result = load(n, seed, rebuild_indexes=rebuild, log=lambda m: print(m, flush=True))
    print(f"bench data set: loaded in {result['seconds']:.1f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
