"""DMS visits (C7): a dealer system's export of workshop visits read on the machine of
domain/tabular.py with its own mapping spec and row handler.  No I/O.

A line is one visit of a vehicle: its plate and/or VIN (车牌号, 车架号), the visit date
(进厂日期), and optionally the service type, mileage and amount.  The vehicle is found
in the archive by VIN, else plate (store/visits.py).  A visit is the same visit when
its vehicle, date, service type and amount are the same: lines repeating an earlier
line of the file are reported, and a re-import adds nothing.
"""
import datetime
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from services.common.errors import Invalid
from services.customer.contract.imports import VISIT_LABELS
from services.customer.domain import tabular
from services.customer.domain.records import norm_code
from services.customer.domain.tabular import BadValue, Plan, Table, parse_date

_ALIASES = {
    "plate": "车牌 车牌号 车牌号码 号牌号码 牌照号 牌照号码 plate platenumber licenseplate",
    "vin": "vin vin码 车架号 车架号码 车辆识别代号 车辆识别码 车辆识别号 底盘号 vinno vincode",
    "visited_on": "进厂日期 进厂时间 到店日期 到店时间 来店日期 来店时间 维修日期 进站日期"
                  " 进站时间 接车日期 接车时间 开单日期 开单时间 服务日期 visitdate visitedon"
                  " visited date",
    "service_type": "服务类型 维修类型 业务类型 维修类别 服务项目 工单类型 servicetype service"
                    " type",
    "mileage": "里程 里程数 进厂里程 行驶里程 公里数 表显里程 mileage odometer km",
    "amount": "金额 结算金额 总金额 费用 维修金额 工单金额 应收金额 实收金额 合计金额 amount"
              " total cost",
}
SPEC = tabular.Spec("visits", dict(VISIT_LABELS), _ALIASES, ("plate", "vin"),
                    "no column gives the plate (车牌号) or the VIN (车架号)")
ORDER = ("vehicle", "customer") + SPEC.fields
MAX_MILEAGE = 3_000_000
MAX_AMOUNT = Decimal("9999999999.99")
_NUMBER_NOISE = re.compile(r"[,，\s]|km|公里|千米|元|¥|￥|rmb|cny", re.IGNORECASE)


@dataclass(slots=True)
class Visit:
    row: int
    visited_on: datetime.date
    plate: str | None = None
    vin: str | None = None
    service_type: str = ""
    mileage: int | None = None
    amount: Decimal | None = None

    @property
    def key(self) -> tuple:
        """What makes two lines of a file the same visit."""
        return (self.vin or self.plate, self.visited_on, self.service_type, self.amount)


def read_table(filename: str, data: bytes, mapping: dict | None = None) -> Table:
    return tabular.read_table(SPEC, filename, data, mapping)


def build_plan(headers: list[str], mapping: dict | None) -> Plan:
    plan = tabular.build_plan(SPEC, headers, mapping)
    if "visited_on" not in plan.fields:
        raise Invalid("the column mapping is not usable",
                      {"mapping": ["no column gives the visit date (进厂日期)"]})
    return plan


def parse_visit_date(value: str) -> datetime.date:
    day = parse_date(value)
    if day > datetime.date.today() + datetime.timedelta(days=1):
        raise BadValue(f"{value[:20]!r}: in the future")
    return day


def _number(value: str) -> str:
    return _NUMBER_NOISE.sub("", unicodedata.normalize("NFKC", value))


def parse_mileage(value: str) -> int:
    """Kilometres, a whole number (`12,345 km`, `12345.0`)."""
    try:
        number = Decimal(_number(value))
    except InvalidOperation as exc:
        raise BadValue(f"{value[:20]!r}: not a number of kilometres") from exc
    if not number.is_finite() or number < 0 or number > MAX_MILEAGE:
        raise BadValue(f"{value[:20]!r}: not between 0 and {MAX_MILEAGE:,} km")
    return int(number)


def parse_amount(value: str) -> Decimal:
    """Yuan with at most two decimals (`¥1,234.50`, `1234.5元`)."""
    try:
        number = Decimal(_number(value))
    except InvalidOperation as exc:
        raise BadValue(f"{value[:20]!r}: not an amount of money") from exc
    if not number.is_finite() or number < 0 or number > MAX_AMOUNT:
        raise BadValue(f"{value[:20]!r}: not an amount between 0 and {MAX_AMOUNT}")
    if number != number.quantize(Decimal("0.01")):
        raise BadValue(f"{value[:20]!r}: more than two decimals")
    return number.quantize(Decimal("0.01"))


def _code(name: str, most: int):
    def parse(value: str) -> str:
        code = norm_code(tabular.text(unicodedata.normalize("NFKC", value), most))
        if code is None:
            raise BadValue(f"{value[:20]!r}: no letters or digits")
        return code
    return parse


def _service_type(value: str) -> str:
    return tabular.text(value, 50)


_PARSERS = {"plate": _code("plate", 16), "vin": _code("vin", 64),
            "visited_on": parse_visit_date, "service_type": _service_type,
            "mileage": parse_mileage, "amount": parse_amount}


def parse_row(row_no: int, cells: list, plan: Plan) -> tuple[Visit | None, list[dict]]:
    """The line as a Visit, or None with every bad value of it; (None, []) when blank."""
    texts = tabular.cells_of(cells, plan.columns)
    if not texts:
        return None, []
    values: dict = {}
    errors: list[dict] = []
    for name, cell in texts.items():
        try:
            values[name] = _PARSERS[name](cell[0])
        except BadValue as exc:
            errors.append(tabular.row_error(row_no, name, str(exc)))
    if "visited_on" not in texts:
        errors.append(tabular.row_error(row_no, "visited_on", "the visit date is missing"))
    if "plate" not in texts and "vin" not in texts:
        errors.append(tabular.row_error(row_no, "vehicle",
                                        "neither a plate (车牌号) nor a VIN (车架号)"))
    if errors:
        return None, errors
    return Visit(row_no, **values), []


def parse_rows(table: Table, plan: Plan) -> tuple[list[Visit], list[dict], int]:
    """(visits, errors of bad lines, number of non-blank lines); a line repeating an
    earlier line's visit (same vehicle, date, service type and amount) is reported."""
    visits: list[Visit] = []
    errors: list[dict] = []
    seen: dict[tuple, int] = {}
    total = 0
    for row_no, cells in table.rows:
        if tabular.is_footer(cells):
            continue
        visit, row_errors = parse_row(row_no, cells, plan)
        if row_errors:
            total += 1
            errors.extend(row_errors)
        elif visit is not None:
            total += 1
            if visit.key in seen:
                errors.append(tabular.row_error(
                    row_no, "visited_on", f"the same visit as row {seen[visit.key]} (vehicle,"
                                          " date, service type and amount)"))
                continue
            seen[visit.key] = row_no
            visits.append(visit)
    return visits, errors, total


def sort_errors(errors: list[dict], plan: Plan) -> list[dict]:
    """By row and field, each naming its column(s); an error about the vehicle or its
    owner (`vehicle`, `customer`, or a VIN/plate field the file has no column of) names
    the plate and VIN columns."""
    out = tabular.with_columns(errors, plan, ORDER)
    vehicle = ", ".join(c for c in (plan.column_of("plate"), plan.column_of("vin")) if c)
    return [{**e, "column": vehicle}
            if e["field"] in ("vehicle", "customer", "plate", "vin") and not e["column"] else e
            for e in out]
