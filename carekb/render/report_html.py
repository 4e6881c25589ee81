"""The client report: one A4 page per office, in Japanese, as one self-contained HTML file.

Input: the report dict that carekb.cli.report_cmds builds from the JSON contracts of gap, tiers,
explain, plan and requirements (see `report_page`'s keys below). Output: HTML with inline CSS and an
inline SVG chart; nothing is fetched (no web fonts, scripts or images), so it opens offline and
prints from the browser ("PDF に保存") as one A4 page per office. Unknown rates and amounts show
as 不明, never as 0.

Page keys: office{id,name,service}, as_of, period{id,label}, kb_version, generated,
current{tier,rate_pct,yen_month,yen_year}, ladder[{tier,rate_pct,yen_month,state,missing}],
checklist[{id,label,meaning,ok,kind}], plan{chosen,gain,steps[{reaches,gain,actions[{id,label,meaning,
deadline,why}]}]}, sources[{code,title,confidence}], warnings[str].
"""

from __future__ import annotations

from html import escape

from carekb.i18n import t

UNKNOWN = "不明"

CSS = """
@page { size: A4; margin: 10mm 11mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; font-family: "Noto Sans CJK JP", "Noto Sans JP", "IPAexGothic", "IPAGothic", "Hiragino Sans",
       "Yu Gothic", "Meiryo", sans-serif; font-size: 8.6pt; line-height: 1.35; color: #1d2733; }
.page { width: 188mm; height: 276mm; overflow: hidden; padding: 0; margin: 0 auto; display: flex; flex-direction: column;
        gap: 2.4mm; page-break-after: always; break-after: page; }
.page:last-child { page-break-after: auto; break-after: auto; }
h1 { font-size: 14pt; margin: 0; border-bottom: 2px solid #1f5f7a; padding-bottom: 1mm; }
h2 { font-size: 10pt; margin: 0 0 1mm; color: #1f5f7a; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
th, td { border-bottom: 1px solid #d4dbe2; padding: 0.6mm 1.2mm; text-align: left; vertical-align: top;
         overflow-wrap: anywhere; word-break: break-all; }
th { background: #eef3f6; font-weight: bold; }
.meta { display: grid; grid-template-columns: 1fr 1fr; gap: 0.4mm 4mm; margin: 0; }
.meta div { display: flex; gap: 2mm; }
.meta dt { width: 18mm; flex: none; color: #5a6a78; }
.meta dd { margin: 0; }
.headline { display: flex; gap: 4mm; align-items: baseline; background: #eef6f9; padding: 1.6mm 3mm; border-radius: 1mm; }
.headline .tier { font-size: 18pt; font-weight: bold; color: #1f5f7a; }
.headline .yen { font-size: 11pt; }
.chart svg { width: 100%; height: auto; display: block; }
.checks { list-style: none; margin: 0; padding: 0; column-count: 2; column-gap: 5mm; }
.checks li { break-inside: avoid; display: flex; gap: 1.5mm; padding: 0.5mm 0; border-bottom: 1px solid #e3e8ec; }
.checks .mark { flex: none; width: 4mm; }
.ok { color: #1c7c3a; font-weight: bold; text-align: center; }
.ng { color: #b3261e; font-weight: bold; text-align: center; }
.meaning { color: #44525f; font-size: 7pt; line-height: 1.25; }
.small { font-size: 7.2pt; color: #44525f; }
.foot { margin-top: auto; border-top: 1px solid #9fb0bd; padding-top: 1mm; font-size: 6.8pt; color: #44525f; }
.foot p { margin: 0.4mm 0; }
.mark { width: 7mm; }
.idcol { width: 30mm; }
.stepcol { width: 38mm; }
"""


def yen(v) -> str:
    return UNKNOWN if v is None else f"{v:,}円"


def pct(v) -> str:
    return UNKNOWN if v is None else f"{v}%"


def document(pages: list[dict], title: str = "") -> str:
    """The whole HTML file: one <section class="page"> per office."""
    body = "\n".join(page(p) for p in pages)
    return ("<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title or t('report.title', 'ja'))}</title><style>{CSS}</style></head>\n<body>\n{body}\n</body></html>\n")


def page(p: dict) -> str:
    o, cur = p["office"], p["current"]
    name = o.get("name") or o.get("id") or ""
    meta = [(t("report.office", "ja"), f"{name}" + (f"（事業所番号 {o['id']}）" if o.get("id") and o.get("name") else "")),
            (t("report.service", "ja"), o["service"]),
            (t("report.as_of", "ja"), p["as_of"]),
            (t("report.period", "ja"), f"{p['period']['label']}（{p['period']['id']}）"),
            (t("report.kb", "ja"), f"{p['kb_version']}　作成日 {p['generated']}")]
    meta_rows = "".join(f"<div><dt>{escape(k)}</dt><dd>{escape(v)}</dd></div>" for k, v in meta)
    headline = (f"<div class=\"headline\"><span>{escape(t('report.current', 'ja'))}</span>"
                f"<span class=\"tier\">{escape(cur['tier'])}</span><span>{escape(pct(cur['rate_pct']) if cur['tier_id'] else '—')}</span>"
                f"<span class=\"yen\">月額 {escape(yen(cur['yen_month']))}　年額 {escape(yen(cur['yen_year']))}</span></div>")
    return (f"<section class=\"page\">\n<h1>{escape(t('report.title', 'ja'))}</h1>\n"
            f"<dl class=\"meta\">{meta_rows}</dl>\n{headline}\n"
            f"<div class=\"chart\"><h2>{escape(t('report.ladder', 'ja'))}</h2>{ladder_svg(p['ladder'])}</div>\n"
            f"<div>{checklist(p['checklist'])}</div>\n<div>{plan(p['plan'])}</div>\n"
            f"{footnote(p)}\n</section>")


# --------------------------------------------------------------------------- the tier ladder

STATE_STYLE = {  # fill, stroke, text colour, caption key
    "current": ("#1f5f7a", "#1f5f7a", "#ffffff", "report.state_current"),
    "attained": ("#7fb7c9", "#4f8ea3", "#1d2733", "report.state_attained"),
    "reachable": ("#fbe3c4", "#d98a1c", "#1d2733", "report.state_short"),
    "unreachable": ("#e6e9ec", "#a7b1ba", "#6b7782", "report.state_unreachable"),
}


def ladder_svg(ladder: list[dict]) -> str:
    """Bars from the lowest tier to the highest: height by rate (a dashed outline when the rate is
    unknown), the rate on top, below it the tier, its monthly yen and how far the office is from it."""
    n = max(len(ladder), 1)
    w, h, top, base = 680, 160, 22, 106
    slot = w / n
    bar = min(56, slot * 0.62)
    rates = [x["rate_pct"] for x in ladder if x["rate_pct"] is not None]
    high = max(rates) if rates else 1
    small = n > 8
    parts = [f"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" role=\"img\" "
             f"aria-label=\"{escape(t('report.ladder', 'ja'))}\">",
             f"<line x1=\"0\" y1=\"{base}\" x2=\"{w}\" y2=\"{base}\" stroke=\"#9fb0bd\" stroke-width=\"1\"/>"]
    for i, x in enumerate(ladder):
        fill, stroke, ink, caption = STATE_STYLE[x["state"]]
        cx = slot * i + slot / 2
        known = x["rate_pct"] is not None
        bh = (base - top) * (x["rate_pct"] / high if known else 0.35)
        y = base - bh
        dash = "" if known else " stroke-dasharray=\"4 3\""
        parts.append(f"<rect class=\"bar\" x=\"{cx - bar / 2:.1f}\" y=\"{y:.1f}\" width=\"{bar:.1f}\" height=\"{bh:.1f}\" "
                     f"fill=\"{fill if known else '#ffffff'}\" stroke=\"{stroke}\" stroke-width=\"1.2\"{dash}/>")
        fs = 9 if small else 11
        parts.append(f"<text x=\"{cx:.1f}\" y=\"{y - 4:.1f}\" font-size=\"{fs}\" text-anchor=\"middle\" "
                     f"fill=\"#1d2733\">{escape(pct(x['rate_pct']))}</text>")
        parts.append(f"<text x=\"{cx:.1f}\" y=\"{base + 14}\" font-size=\"{fs + 1}\" font-weight=\"bold\" "
                     f"text-anchor=\"middle\" fill=\"#1d2733\">{escape(x['tier'])}</text>")
        parts.append(f"<text x=\"{cx:.1f}\" y=\"{base + 28}\" font-size=\"{fs - 1}\" text-anchor=\"middle\" "
                     f"fill=\"#1d2733\">{escape(yen(x['yen_month']) if not small else _short_yen(x['yen_month']))}</text>")
        state = t(caption, "ja", n=x.get("missing") or 0)
        parts.append(f"<text x=\"{cx:.1f}\" y=\"{base + 42}\" font-size=\"{fs - 1}\" text-anchor=\"middle\" "
                     f"fill=\"{stroke if x['state'] != 'current' else '#1f5f7a'}\">{escape(state)}</text>")
    parts.append(f"<text x=\"0\" y=\"12\" font-size=\"9\" fill=\"#5a6a78\">{escape(t('report.ladder_axis', 'ja'))}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _short_yen(v) -> str:
    return UNKNOWN if v is None else f"{v / 10_000:,.1f}万円"


# --------------------------------------------------------------------------- checklist and plan

def checklist(items: list[dict]) -> str:
    rows = []
    for c in items:
        mark = "<span class=\"mark ok\">○</span>" if c["ok"] else "<span class=\"mark ng\">×</span>"
        # what a requirement means is shown where it is still to do; a met one needs only its name
        meaning = f"<div class=\"meaning\">{escape(c['meaning'])}</div>" if c.get("meaning") and not c["ok"] else ""
        rows.append(f"<li>{mark}<div>{escape(c['label'])}{meaning}</div></li>")
    return (f"<h2>{escape(t('report.checklist', 'ja'))}</h2>"
            f"<ul class=\"checks\">{''.join(rows)}</ul>")


def plan(pl: dict) -> str:
    """The chosen tier and its actions in stages, in one table (a stage's first row names it)."""
    out = [f"<h2>{escape(t('report.plan', 'ja'))}</h2>"]
    if not pl.get("steps"):
        out.append(f"<p>{escape(pl.get('none') or t('report.plan_none', 'ja'))}</p>")
        return "".join(out)
    basis = pl.get("basis", "yen")
    out.append(f"<p>{escape(t('report.plan_chosen', 'ja', tier=pl['chosen'], gain=_gain(pl['gain'], basis)))}</p>")
    rows = []
    for s in pl["steps"]:
        for k, a in enumerate(s["actions"]):
            step = (f"<td rowspan=\"{len(s['actions'])}\" class=\"stepcol\">"
                    f"{escape(t('report.plan_step', 'ja', n=s['n'], tier=s['reaches'], gain=_gain(s['gain'], basis)))}</td>"
                    if k == 0 else "")
            why = f"<div class=\"meaning\">{escape(a['why'])}</div>" if a.get("why") else ""
            rows.append(f"<tr>{step}<td>{escape(a['label'])}{why}</td><td class=\"idcol\">{escape(a.get('deadline') or '—')}</td></tr>")
    out.append(f"<table><tr><th class=\"stepcol\">{escape(t('report.step', 'ja'))}</th><th>{escape(t('report.action', 'ja'))}</th>"
               f"<th class=\"idcol\">{escape(t('report.deadline', 'ja'))}</th></tr>{''.join(rows)}</table>")
    return "".join(out)


def _gain(v, basis: str = "yen") -> str:
    """月額 +24,243円, or 加算率 +1.6pt where no amount is known; 不明 when the gain is unknown."""
    if v is None:
        return UNKNOWN
    return t("report.gain_yen", "ja", v=f"{v:+,}") if basis == "yen" else t("report.gain_pt", "ja", v=f"{v:+g}")


def footnote(p: dict) -> str:
    srcs = "；".join(f"{s['code']}（{s['title']}）: {s['confidence']}" if s.get("title") else f"{s['code']}: {s['confidence']}"
                    for s in p["sources"])
    notes = "".join(f"<p>※ {escape(w)}</p>" for w in p.get("warnings", [])[:4])
    return (f"<div class=\"foot\"><p><b>{escape(t('report.sources', 'ja'))}</b> {escape(srcs)}</p>"
            f"<p>{escape(t('report.legend', 'ja', legend=p.get('legend', '')))}</p>{notes}<p>{escape(t('report.disclaimer', 'ja'))}</p></div>")
