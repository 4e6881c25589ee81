"""Commands that show the knowledge base: requirements, services."""

from __future__ import annotations

import click

from carekb.app import api
from carekb.inputs.user_rates import unknown_rates_csv
from carekb.model.errors import CarekbError
from carekb.app.report import short_tier
from carekb.cli.common import ENDPOINT_OPTION, FORMAT_OPTION, LANG_OPTION, as_of_date, echo_json, handles_errors, load_rules, table
from carekb.cli.group import main
from carekb.render.provisions_text import with_text as with_text_lines
from carekb.render.rule_text import in_words, requirements_text
from carekb.render.width import fit
from carekb.inputs import normalize
from carekb.i18n import t

SCHEME_OPTION = click.option("--scheme", metavar="S")


@main.command()
@click.option("--period", metavar="P")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD")
@SCHEME_OPTION
@click.option("--with-text", "with_text", is_flag=True)
@click.option("--service", metavar="SERVICE")
@click.option("--raw", is_flag=True)
@FORMAT_OPTION
@LANG_OPTION
@ENDPOINT_OPTION
@handles_errors
def requirements(period, as_of, scheme, with_text, service, raw, endpoint, fmt, lang):
    """`carekb requirements` (its --help: help.requirements in carekb/i18n/messages-help.yaml)."""
    rules = load_rules(endpoint)
    if service:
        service = normalize.service(rules, service, "--service")
        if scheme and rules.of_scheme(scheme) is not rules.for_service(service):
            raise CarekbError(t("rules.service_not_in_scheme", service=service, scheme=scheme), "--service")
        scheme = rules.for_service(service).scheme
    result = api.requirements(period, as_of=as_of_date(as_of), scheme=scheme, kb=rules, with_text=with_text, lang=lang)
    data, (kb, p) = result.to_dict(), result.context
    if service:  # the tiers the service has
        data["tiers"] = [x for x in data["tiers"] if set(x["service_groups"]) & kb.services[service].groups]
    if fmt == "json":
        echo_json(data)
        return
    if with_text:
        header = f"{p.id}: {data['label']} ({data['valid_from']} – {data['valid_to'] or ''})  KB {kb.version}\n"
        click.echo(fit(header + with_text_lines(data if raw else in_words(data, kb, lang, service), short_tier, lang)))
        return
    click.echo(requirements_text(data, kb, lang, service, raw))


@main.command()
@click.option("--period", metavar="P")
@SCHEME_OPTION
@FORMAT_OPTION
@LANG_OPTION
@ENDPOINT_OPTION
@click.option("--unknown-rates", "unknown_rates", is_flag=True)
@handles_errors
def services(period, scheme, endpoint, fmt, lang, unknown_rates):
    """`carekb services` (its --help: help.services in carekb/i18n/messages-help.yaml)."""
    kb = load_rules(endpoint).of_scheme(scheme)
    if unknown_rates:
        if period and period not in kb.periods:
            raise CarekbError(t("err.unknown_period", period=period, periods=", ".join(kb.periods)), "--period")
        click.echo(unknown_rates_csv(kb, period), nl=False)
        return
    result = api.services(period, kb=kb, lang=lang)
    if fmt == "json":
        echo_json(result.to_dict())
        return
    p, ja, data = result.context[1], lang == "ja", result.to_dict()["services"]
    rows = [[d["service_id"], d["name_ja"] if ja else d["name_en"],
             " ".join(f"{short_tier(t['tier'], lang)}:{t['rate_pct'] if t['rate_pct'] is not None else '?'}" for t in d["tiers"])
             or ("（対象外）" if ja else "(not covered)")] for d in data]
    click.echo(f"{p.id} {p.label_ja if ja else p.label_en}\n" +
               table(rows, ["service_id", "サービス" if ja else "service", "区分:加算率(%)" if ja else "tier:rate(%)"]))
    click.echo("\n".join(rate_coverage(kb, lang)))


def rate_coverage(kb, lang: str) -> list[str]:
    """Per period: how many (service, tier) rates are known and how many are unknown."""
    out = []
    for pid in kb.periods:
        pairs = [(s, t.id) for s in kb.own_services() for t in kb.tiers_for(pid, s)]
        known = sum((pid, s, t) in kb.rates for s, t in pairs)
        out.append(f"{pid}: 加算率 既知 {known}・不明 {len(pairs) - known}" if lang == "ja"
                   else f"{pid}: rates known {known}, unknown {len(pairs) - known}")
    return out
