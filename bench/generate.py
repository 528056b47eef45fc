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

Tickets for these customers (5M, next issue) hook in at `ensure_tickets`.
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


def ensure_tickets(per_customer: float = 5.0, seed: int = 7) -> dict:
    """Hook for the 5,000,000-ticket data set (next issue): same pattern, ticket test DB."""
    raise NotImplementedError("tickets come with the ticket-queue issue")


def _constraints_and_indexes(cur) -> tuple[list, list, list]:
    tables = list(TABLES)
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
        for c in foreign + keys:
            cur.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                sql.Identifier(c["tbl"]), sql.Identifier(c["name"])))
        for index in indexes:
            cur.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(index["name"])))
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
        for c in keys:
            cur.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} " + c["def"]).format(
                sql.Identifier(c["tbl"]), sql.Identifier(c["name"])))
        for index in indexes:
            cur.execute(index["def"])
        for c in foreign:
            cur.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} " + c["def"]).format(
                sql.Identifier(c["tbl"]), sql.Identifier(c["name"])))
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


def main(argv: list[str]) -> None:
    n = int(argv[0]) if argv else 1_000_000
    seed = int(argv[1]) if len(argv) > 1 else 7
    rebuild = os.environ.get("KEFU_BENCH_KEEP_INDEXES", "") != "1"
    print(f"bench data set: {n:,} customers, seed {seed}", flush=True)
    result = load(n, seed, rebuild_indexes=rebuild, log=lambda m: print(m, flush=True))
    print(f"bench data set: loaded in {result['seconds']:.1f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
