"""P-KB — knowledge-base search for Chinese text (T9): jieba words or pg_trgm?

Method.  30 realistic after-sales articles (EVAL_ARTICLES) and 20 queries as agents
type them (EVAL_QUERIES, each with the article it should find), hidden among
20,000 articles from a seeded generator that mixes the same vocabulary (products,
faults, policies), so every query word also appears in thousands of other
articles.  Each method ranks the 20,030 articles; hit@3 is the share of queries
whose expected article is among the first three.  Latency: each query repeated,
p50/p95 over all runs, measured on one connection (the database plus the jieba cut
in this process: what the service does per request).  The methods:

  words     jieba (cut_for_search) words of title+tags (A) and body (B) in a
            tsvector ('simple'), GIN; the query cut by jieba, stopwords dropped,
            OR of its words, ts_rank — the service's path (store.search_words)
  words+and the same with AND of the words (strict)
  selective the rarest words (articles adding up to ≤ 1,500, from kb_word) select the
            rows, all the words rank them (bounded work per query)
  trgm-word pg_trgm word_similarity of the query to title+body (`<%`, GIN gin_trgm_ops),
            threshold 0.3, best first
  trgm-sim  pg_trgm similarity of the query to the title (`%`, GIN), best first
  suggest   the service's suggest path on ticket-like text (a sentence or two)

Runs on temporary tables (shadowing kb_article in this session only), so it needs
any database with pg_trgm: KEFU_KB_BENCH_DB_URI, else the ticket database of the
environment.  `python -m bench.p_kb_search` prints the section.
"""
import os
import random
import statistics
import time

import psycopg2
import psycopg2.extras

from services.ticket.domain import knowledge as domain
from services.ticket.store import knowledge as store

N_ARTICLES = int(os.environ.get("KEFU_KB_BENCH_ARTICLES", 20_000))
SEED = 9
REPEAT = int(os.environ.get("KEFU_KB_BENCH_REPEAT", 10))

EVAL_ARTICLES = [
    ("空调不制冷的排查方法", "空调开机后不制冷或制冷效果差：先确认遥控器设为制冷模式、温度设在26度以下；检查过滤网是否积灰堵塞，清洗后再试；室外机是否运转、风扇是否转动。若外机不转或缺氟，请登记报修，由师傅上门检测加氟。", ["空调", "制冷", "报修"]),  # noqa: E501
    ("滚筒洗衣机漏水处理", "洗衣机底部漏水多为排水管松动、进水管接头老化或门封圈破损。请先关闭水龙头、断电，检查进水管和排水管接口是否拧紧；门封圈有破损需更换，保修期内免费。", ["洗衣机", "漏水"]),  # noqa: E501
    ("空调安装预约流程", "购买空调后可通过电话、微信或官网预约安装，需提供订单号、安装地址和方便的时间段。安装师傅会在上门前一天电话确认，空调安装一般需要两小时。", ["安装", "预约", "空调"]),  # noqa: E501
    ("家电保修期说明", "整机保修一年，空调压缩机、冰箱压缩机保修十年，电视面板保修三年。保修期从发票日期开始计算，没有发票的按出厂日期加三个月计算。", ["保修期", "保修", "政策"]),  # noqa: E501
    ("发票开具说明", "可开具增值税普通发票和增值税专用发票。开专票需提供公司名称、纳税人识别号、开户行及账号、地址电话。电子发票在签收后七天内发送到预留邮箱。", ["发票", "专票"]),  # noqa: E501
    ("退换货政策", "自签收之日起七天内商品无质量问题可无理由退货，需保持包装完好、配件齐全；十五天内出现质量问题可换货。定制商品和已安装使用的大家电不支持无理由退货。", ["退货", "换货", "退换货"]),  # noqa: E501
    ("冰箱冷藏室不冷怎么办", "冰箱冷藏室不冷请先检查温控档位是否调到合适位置、门封是否关严、食物是否堵住出风口。冷冻正常冷藏不冷可能是风门或风机故障，需要报修。", ["冰箱", "制冷"]),  # noqa: E501
    ("热水器不出热水排查", "电热水器不出热水：检查电源指示灯、温度设定、是否处于保温模式；燃气热水器请检查燃气阀门是否打开、电池是否没电、水压是否过低。", ["热水器", "不热"]),  # noqa: E501
    ("空调故障代码一览", "E1 室内温度传感器故障；E2 室内盘管传感器故障；E4 室外机通讯故障；F0 缺氟保护；H6 室内风机故障。显示故障代码时请记录代码并报修。", ["故障码", "空调", "E1"]),  # noqa: E501
    ("油烟机噪音大的原因", "油烟机噪音大多因叶轮积油过多导致不平衡、电机轴承磨损或安装不牢。建议清洗叶轮和油网，若仍有异响，请预约师傅上门检修。", ["油烟机", "噪音"]),  # noqa: E501
    ("空调移机收费标准", "空调移机包括拆机和重新安装，挂机移机费150元，柜机移机费200元，如需加长铜管或加氟另行收费。搬家前请提前三天预约。", ["移机", "收费", "空调"]),  # noqa: E501
    ("上门维修收费标准", "保修期内上门维修免费；保修期外收取上门费50元，另按实际更换的配件价格收费，维修后提供收费清单和收据。", ["维修", "收费", "上门费"]),  # noqa: E501
    ("延保服务办理", "购买家电后九十天内可办理延长保修，延保一年、两年、三年可选，在官网或电话登记机身条码和发票即可，延保期内维修免人工费和配件费。", ["延保", "保修"]),  # noqa: E501
    ("洗衣机不脱水怎么办", "洗衣机甩干时不转或不脱水，常见原因是衣物放置不均匀、排水不畅、门锁未锁好。请重新摆放衣物、清理排水泵过滤器，仍不脱水请报修。", ["洗衣机", "脱水"]),  # noqa: E501
    ("电视黑屏有声音", "电视有声音没有图像多为背光灯条或电源板故障。请先确认信号源选择正确、重启电视；若仍黑屏，请报修，面板三年保修。", ["电视", "黑屏"]),  # noqa: E501
    ("空调室内机滴水", "室内机往下滴水一般是排水管堵塞、坡度不够或室内机安装不水平。请检查排水管是否弯折、出口是否被堵，必要时预约师傅调整。", ["空调", "滴水", "漏水"]),  # noqa: E501
    ("送货时间说明", "大家电一般在下单后三天内送货到家，偏远地区五到七天。送货前司机会电话联系确认收货时间，可以改约。", ["送货", "配送"]),  # noqa: E501
    ("以旧换新活动规则", "以旧换新可回收旧冰箱、旧洗衣机、旧空调、旧电视，按品类抵扣新机货款，旧机由送货师傅上门拆走，需在下单时勾选以旧换新。", ["以旧换新", "回收"]),  # noqa: E501
    ("燃气灶打不着火", "燃气灶点不着火：检查电池是否电量不足、燃气阀门是否打开、点火针是否潮湿或有油污，炉头是否放正。仍打不着请关闭气源后报修。", ["燃气灶", "点火"]),  # noqa: E501
    ("净水器滤芯更换周期", "PP棉滤芯建议六个月更换，活性炭滤芯十二个月，RO反渗透膜二十四个月。滤芯到期时机器会提示，可在官方商城购买原装滤芯。", ["净水器", "滤芯"]),  # noqa: E501
    ("空调清洗保养", "空调建议每年换季前清洗一次过滤网和蒸发器，可预约专业清洗服务，收费按挂机80元、柜机120元。", ["空调", "清洗", "保养"]),  # noqa: E501
    ("冰箱有异味处理", "冰箱有异味请清理变质食物，用温水加小苏打擦洗内胆，可放置活性炭除味剂，保持生熟分开存放。", ["冰箱", "异味"]),  # noqa: E501
    ("微波炉不加热", "微波炉转盘转但不加热，可能是磁控管、高压电容或高压二极管故障，属于高压部件，请勿自行拆修，请报修。", ["微波炉", "加热"]),  # noqa: E501
    ("洗碗机洗不干净", "洗碗机洗不干净请检查餐具摆放是否遮挡喷淋臂、洗涤剂用量是否合适、过滤网是否堵塞，选择强力洗程序。", ["洗碗机"]),  # noqa: E501
    ("空调遥控器失灵", "遥控器没反应请更换电池，对准室内机接收窗；若遥控器损坏可购买原装遥控器或使用手机APP控制。", ["遥控器", "空调"]),  # noqa: E501
    ("会员积分规则", "每消费一元积一分，积分可在会员商城兑换礼品或抵扣延保费用，积分有效期两年。", ["会员", "积分"]),  # noqa: E501
    ("配件购买渠道", "原装配件可在官方商城或服务网点购买，维修时由师傅携带，配件保修三个月。", ["配件"]),  # noqa: E501
    ("投诉处理流程", "客户投诉受理后二十四小时内回复，由投诉专员跟进处理，七个工作日内给出处理结果并回访。", ["投诉"]),  # noqa: E501
    ("发票抬头修改", "发票开具后如需修改抬头，请在三十天内联系客服，提供原发票和正确的抬头信息，作废后重新开具。", ["发票", "抬头"]),  # noqa: E501
    ("安装辅材收费标准", "空调安装标配三米铜管，超出部分按每米80元收费；支架、打孔、高空作业费用按收费标准执行，师傅需出示价目表。", ["安装", "辅材", "收费"]),  # noqa: E501
]

EVAL_QUERIES = [
    ("客户说空调开了半天不出冷风", {0}),
    ("滚筒洗衣机底下漏水", {1}),
    ("想约师傅上门装空调", {2}),
    ("买了两年的冰箱还在保修吗", {3}),
    ("需要开增值税专用发票", {4}),
    ("收到货不想要了能退吗", {5}),
    ("冰箱冷藏室不冷", {6}),
    ("热水器打开水不热", {7}),
    ("空调显示E1", {8}),
    ("抽油烟机声音特别大", {9}),
    ("搬家空调要移机多少钱", {10}),
    ("过了保修期维修怎么收费", {11}),
    ("延长保修怎么办理", {12}),
    ("洗衣机甩干不转", {13}),
    ("电视有声音没图像", {14}),
    ("空调室内机往下滴水", {15}),
    ("什么时候能送货", {16}),
    ("旧冰箱可以换新吗", {17}),
    ("燃气灶点不着", {18}),
    ("净水器多久换滤芯", {19}),
]
# What an agent types into a ticket's content (suggestions, T9.4).
TICKET_TEXTS = [
    "客户来电反映家里的空调开机两个小时了一直不制冷，外机好像不转，要求尽快上门",
    "用户反映滚筒洗衣机洗衣服的时候底部一直漏水，地上全是水，购买一年半",
    "客户咨询发票抬头开错了，想改成公司名称，需要怎么处理",
    "客户询问冰箱买了两年多压缩机坏了还在不在保修期内",
]

_PRODUCTS = ["空调", "冰箱", "洗衣机", "电视", "热水器", "油烟机", "燃气灶", "净水器",
             "微波炉", "洗碗机", "电饭煲", "吸尘器", "加湿器", "电风扇", "烤箱"]
_FAULTS = ["不启动", "噪音大", "漏水", "不加热", "显示故障", "异味", "遥控失灵", "指示灯闪烁",
           "跳闸", "异响", "结冰", "按键失灵", "门关不上", "出风小", "不排水"]
_TOPICS = ["使用说明", "常见问题", "维修案例", "保养建议", "安装注意事项", "配件说明",
           "收费说明", "服务承诺", "操作指南", "选购建议"]
_SENTENCES = [
    "请先断电五分钟后重新开机观察", "如问题依旧请登记报修并提供机身条码",
    "保修期内免费维修，保修期外按标准收费", "师傅上门前会电话确认时间",
    "建议定期清洁以延长使用寿命", "请勿自行拆机以免影响保修", "可通过官网或微信公众号预约服务",
    "配件价格以服务网点公示为准", "安装时请确认电源和水源符合要求", "如需开具发票请提供抬头",
    "签收时请检查外包装是否完好", "夏季使用高峰期预约可能需要等待", "部分型号支持手机APP远程控制",
    "维修完成后请在服务单上签字确认", "延保用户享受免费上门服务", "旧机回收可抵扣部分货款",
]


def generated_articles(n: int, seed: int = SEED):
    """n filler articles from the same vocabulary (title, body, tags), reproducible."""
    rng = random.Random(seed)
    for _ in range(n):
        product, fault, topic = (rng.choice(_PRODUCTS), rng.choice(_FAULTS),
                                 rng.choice(_TOPICS))
        body = f"{product}{fault}的{topic}。" + "，".join(rng.sample(_SENTENCES, 4)) + "。"
        yield f"{product}{fault}{topic}", body, [product]


def _connect():
    uri = os.environ.get("KEFU_KB_BENCH_DB_URI") or os.environ["KEFU_TICKET_DB_URI"]
    conn = psycopg2.connect(uri, cursor_factory=psycopg2.extras.RealDictCursor)
    conn.autocommit = True
    return conn


def load(cur, n: int) -> tuple[list[str], float]:
    """Temporary kb_article with the eval articles then n generated; returns the eval
    articles' ids and the seconds jieba took to cut everything."""
    cur.execute(
        "CREATE TEMP TABLE kb_article (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),"
        " category_id uuid, ticket_kind text, ticket_category_id uuid, title text NOT NULL,"
        " body text NOT NULL, tags text[] NOT NULL DEFAULT '{}', status text NOT NULL,"
        " version int NOT NULL DEFAULT 1, search tsvector NOT NULL,"
        " created_at timestamptz NOT NULL DEFAULT now(),"
        " updated_at timestamptz NOT NULL DEFAULT now(), doc text)")
    ids, rows, cut = [], [], 0.0
    everything = [*EVAL_ARTICLES, *generated_articles(n)]
    for title, body, tags in everything:
        started = time.perf_counter()
        words = (domain.index_words(title + " " + " ".join(tags)), domain.index_words(body))
        cut += time.perf_counter() - started
        rows.append((title, body, tags, *words, title + " " + body))
    psycopg2.extras.execute_values(
        cur,
        "INSERT INTO kb_article (title, body, tags, status, search, doc)"
        " SELECT v.title, v.body, v.tags::text[], 'published',"
        " setweight(to_tsvector('simple', v.tw), 'A') || setweight(to_tsvector('simple', v.bw),"
        " 'B'), v.doc FROM (VALUES %s) v (title, body, tags, tw, bw, doc) RETURNING id::text",
        rows, page_size=1000, fetch=True)
    cur.execute("SELECT id::text, title FROM kb_article WHERE title = ANY(%s)",
                ([t for t, _, _ in EVAL_ARTICLES],))
    by_title = {r["title"]: r["id"] for r in cur.fetchall()}
    ids = [by_title[t] for t, _, _ in EVAL_ARTICLES]
    # kb_word as the service keeps it on write (one more article per word), in one go
    cur.execute("CREATE TEMP TABLE kb_word AS SELECT word, ndoc AS articles"
                " FROM ts_stat('SELECT search FROM kb_article')")
    cur.execute("CREATE INDEX ON kb_word (word text_pattern_ops)")
    cur.execute("CREATE INDEX ON kb_article USING gin (search)")
    cur.execute("CREATE INDEX ON kb_article USING gin (title gin_trgm_ops)")
    cur.execute("CREATE INDEX ON kb_article USING gin (doc gin_trgm_ops)")
    cur.execute("ANALYZE kb_article")
    return ids, cut


def words_or(cur, text, limit=3):
    return [r["id"] for r in store.search_words(
        cur, domain.tsquery(domain.query_words(text)), ("published",), limit)]


def words_selective(cur, text, limit=3):
    """The service's path: the rarest words (≤ 1,500 articles) select, all words rank."""
    words = domain.query_words(text)
    chosen = domain.selective_words(words, store.word_counts(cur, words))
    return [r["id"] for r in store.search_words(
        cur, domain.tsquery(chosen), ("published",), limit,
        rank_query=domain.tsquery(words))] if chosen else []


def words_and(cur, text, limit=3):
    return [r["id"] for r in store.search_words(
        cur, domain.tsquery(domain.query_words(text), match_all=True), ("published",), limit)]


def trgm_word(cur, text, limit=3):
    cur.execute("SET pg_trgm.word_similarity_threshold = 0.3")
    cur.execute("SELECT id::text FROM kb_article WHERE %s <%% doc"
                " ORDER BY word_similarity(%s, doc) DESC LIMIT %s", (text, text, limit))
    return [r["id"] for r in cur.fetchall()]


def trgm_title(cur, text, limit=3):
    cur.execute("SET pg_trgm.similarity_threshold = 0.1")
    cur.execute("SELECT id::text FROM kb_article WHERE title %% %s"
                " ORDER BY similarity(title, %s) DESC LIMIT %s", (text, text, limit))
    return [r["id"] for r in cur.fetchall()]


def combined(cur, text, limit=3):
    """The service's _find: words, and titles containing the text when none match."""
    return words_selective(cur, text, limit) or [r["id"] for r in store.search_title(
        cur, text.strip()[:50], ("published",), limit)]


METHODS = {"words (OR, ts_rank)": words_or, "words (AND)": words_and,
           "words (rarest select, all rank)": words_selective,
           "trgm word_similarity title+body": trgm_word, "trgm similarity title": trgm_title,
           "words, else title contains (service)": combined}


def evaluate(cur, ids, method, repeat: int = REPEAT) -> dict:
    hits, times = 0, []
    for text, expected in EVAL_QUERIES:
        found = method(cur, text)
        hits += any(ids[i] in found for i in expected)
        for _ in range(repeat):
            started = time.perf_counter()
            method(cur, text)
            times.append((time.perf_counter() - started) * 1000)
    return {"hit3": hits / len(EVAL_QUERIES), **_stats(times)}


def _stats(times):
    times = sorted(times)
    return {"p50": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1],
            "max": times[-1]}


def run() -> str:
    domain.load_words()
    conn = _connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW lc_ctype")
            ctype = cur.fetchone()["lc_ctype"]
            cur.execute("SELECT array_length(show_trgm('空调不制冷'), 1) AS n")
            trigrams = cur.fetchone()["n"]
            ids, cut = load(cur, N_ARTICLES)
            total = N_ARTICLES + len(EVAL_ARTICLES)
            results = {name: evaluate(cur, ids, m) for name, m in METHODS.items()}
            suggest = []
            for text in TICKET_TEXTS:
                for _ in range(REPEAT * 5):
                    started = time.perf_counter()
                    combined(cur, text, 5)
                    suggest.append((time.perf_counter() - started) * 1000)
            cur.execute("SELECT pg_size_pretty(pg_total_relation_size('kb_article')) AS s")
            size = cur.fetchone()["s"]
    finally:
        conn.close()
    lines = [
        "## P-KB — knowledge-base search for Chinese text (T9)", "",
        f"{total} articles ({len(EVAL_ARTICLES)} hand-written among {N_ARTICLES} generated,"
        f" seed {SEED}), {len(EVAL_QUERIES)} queries as agents type them; lc_ctype {ctype},"
        f" pg_trgm gives {trigrams} trigrams for 空调不制冷 (CJK characters are extracted)."
        f" jieba cut all articles in {cut:.1f} s; table with indexes {size}.", "",
        "| method | hit@3 | p50 ms | p95 ms | max ms |", "|---|---|---|---|---|"]
    for name, r in results.items():
        lines.append(f"| {name} | {r['hit3']:.0%} | {r['p50']:.1f} | {r['p95']:.1f}"
                     f" | {r['max']:.1f} |")
    s = _stats(suggest)
    lines += ["", f"suggest (ticket text of 30–40 characters, limit 5, jieba cut included):"
              f" p50 {s['p50']:.1f} ms, p95 {s['p95']:.1f} ms, max {s['max']:.1f} ms"
              f" over {len(suggest)} calls (target p95 ≤ 50 ms).", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
