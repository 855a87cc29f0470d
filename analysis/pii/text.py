"""Free text: PII spans per row, from the Presidio analyzer fed with batched spaCy docs.

Values are deduplicated before analysis (notes repeat a lot), the spaCy pipeline runs once per
distinct text through `nlp.pipe` (parser off), and the spans pass three guards against false alarms:
dates must look like dates ('the evening', 'monthly', '2023' or an order number are dropped), of
overlapping spans only the strongest reading is kept (validated patterns over names and places over
dates over bare URLs: the domain of an e-mail is not a URL, part of a card number is not a date), and
allow-listed words never count.
"""

from __future__ import annotations

import re
from typing import Iterable, Optional, Sequence, Union

import numpy as np
import pandas as pd

from analysis.pii.engine import LANGUAGE, TEXT_DISABLE, TEXT_ENTITIES, Engine, get_engine, to_nlp_artifacts
from analysis.pii.findings import TextSpan
from analysis.progress import ProgressCallback, report
from analysis.settings import get_settings

Span = tuple  # (entity_type, start, end, score, method): method 'ner', 'pattern' or 'lexicon'
# Pipes free text in a language without an installed NER model does not run (English NER on German or
# Polish text tags capitalised nouns; names there come from the locale name lexicon instead).
NO_MODEL_DISABLE = TEXT_DISABLE + ("ner",)
_BATCH = 128
_HAS_DIGIT = re.compile(r"\d")


def deny_recognizer(deny_list: Sequence[str]):
    from presidio_analyzer import PatternRecognizer

    return PatternRecognizer(supported_entity="DENY_LIST", deny_list=list(deny_list), name="DenyList")


def analyze_texts(texts: Sequence[str], *, engine: Optional[Engine] = None, entities: Optional[Sequence[str]] = None,
                  score_threshold: Optional[float] = None, allow_list: Sequence[str] = (),
                  deny_list: Sequence[str] = (), progress: Optional[ProgressCallback] = None,
                  language: Optional[str] = None) -> list[list[Span]]:
    """Spans for each text (same order). Call with distinct texts: nothing is deduplicated here.
    `language` (detected per column, `analysis.pii.locales.detect_language`): its NER model when
    installed, else the English pipeline without NER plus the pattern and lexicon recognizers."""
    from analysis.pii.locale_recognizers import method_of, text_phone_recognizers

    engine = engine or get_engine()
    nlps = engine.nlps or ({LANGUAGE: engine.nlp} if engine.nlp is not None else {})
    analyzer_language = language if language in nlps else LANGUAGE
    nlp = nlps.get(analyzer_language)
    disable = TEXT_DISABLE if language in (None, LANGUAGE) or language in nlps else NO_MODEL_DISABLE
    threshold = get_settings().pii_score_threshold if score_threshold is None else float(score_threshold)
    supported = set(engine.analyzer.get_supported_entities(analyzer_language))
    wanted = [e for e in (entities or TEXT_ENTITIES) if e in supported]  # a French analyzer has no US_SSN
    ad_hoc = ([deny_recognizer(deny_list)] if deny_list else []) + text_phone_recognizers(language, analyzer_language)
    ad_hoc = ad_hoc or None
    if deny_list and "DENY_LIST" not in wanted:
        wanted.append("DENY_LIST")
    allow = list(allow_list) or None
    out: list[list[Span]] = []
    total = max(1, len(texts))
    if nlp is not None:
        docs: Iterable = nlp.pipe((str(t) for t in texts), batch_size=_BATCH,
                                  disable=[p for p in disable if p in nlp.pipe_names])
    else:
        docs = (None for _ in texts)
    for i, (text, doc) in enumerate(zip(texts, docs)):
        artifacts = to_nlp_artifacts(engine, doc, analyzer_language) if doc is not None else None
        kwargs = {"nlp_artifacts": artifacts} if artifacts is not None else {}
        results = engine.analyzer.analyze(text=str(text), language=analyzer_language, entities=wanted,
                                          score_threshold=threshold, allow_list=allow,
                                          ad_hoc_recognizers=ad_hoc, **kwargs)
        out.append(_guard([(r.entity_type, r.start, r.end, float(r.score),
                            method_of((r.recognition_metadata or {}).get("recognizer_name", "")))
                           for r in results], str(text)))
        if i % 200 == 0:
            report(progress, (i + 1) / total, f"free text {i + 1:,}/{len(texts):,}")
    report(progress, 1.0, "free text done")
    return out


# When spans overlap, the stronger reading wins: validated patterns, then names and places (NER),
# then dates, then bare URLs (often the domain of an e-mail).
_PRIORITY = {"PERSON": 1, "LOCATION": 1, "NRP": 2, "DATE_TIME": 2, "URL": 3}
_MONTH = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b", re.IGNORECASE)
_NUMERIC_DATE = re.compile(r"\b\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}\b")


def _date_like(snippet: str) -> bool:
    """A date span worth reporting: a numeric date or a month name with a number (not '2023',
    'monthly' or an order number)."""
    return bool(_NUMERIC_DATE.search(snippet)) or (bool(_MONTH.search(snippet)) and bool(_HAS_DIGIT.search(snippet)))


def _guard(spans: list[Span], text: str) -> list[Span]:
    candidates = [sp for sp in spans if not (sp[0] == "DATE_TIME" and not _date_like(text[sp[1]:sp[2]]))]
    candidates.sort(key=lambda sp: (_PRIORITY.get(sp[0], 0), -(sp[2] - sp[1]), -sp[3], sp[1], sp[0]))
    kept: list[Span] = []
    for sp in candidates:
        if all(sp[2] <= k[1] or sp[1] >= k[2] for k in kept):
            kept.append(sp)
    return sorted(kept, key=lambda x: (x[1], x[2], x[0]))


def _texts_job(task: dict) -> list[list[Span]]:
    """Module-level worker for parallel_map: analyze one partition of distinct texts."""
    engine = get_engine(task["model"])
    return analyze_texts(task["texts"], engine=engine, entities=task["entities"],
                         score_threshold=task["threshold"], allow_list=task["allow"], deny_list=task["deny"],
                         language=task.get("language"))


def find_text_spans(values: pd.Series, *, rows: Union[None, str, int] = None,
                    entities: Optional[Sequence[str]] = None, score_threshold: Optional[float] = None,
                    allow_list: Sequence[str] = (), deny_list: Sequence[str] = (), backend: str = "auto",
                    seed: Optional[int] = None, progress: Optional[ProgressCallback] = None) -> list[TextSpan]:
    """PII spans in a text column.

    rows: None -> a seeded sample of `pii_sample_rows` rows (setting); "all" -> every row; an int N ->
    a seeded sample of N rows. `TextSpan.row` is the 0-based position in `values`. Spans are sorted
    by (row, start). Missing values have no spans.
    """
    if not isinstance(values, pd.Series):
        raise ValueError(f"values must be a pandas Series, got {type(values).__name__}")
    settings = get_settings()
    n = len(values)
    if rows is None:
        count = settings.pii_sample_rows
    elif rows == "all":
        count = n
    elif isinstance(rows, (int, np.integer)) and not isinstance(rows, bool) and rows > 0:
        count = int(rows)
    else:
        raise ValueError(f"rows must be None, 'all' or a positive int, got {rows!r}")
    positions = np.arange(n)
    if count < n:
        rng = np.random.default_rng(settings.seed if seed is None else seed)
        positions = np.sort(rng.choice(n, size=count, replace=False))
    raw = values.iloc[positions]
    mask = raw.notna().to_numpy()
    positions = positions[mask]
    texts = raw[mask].astype(str).tolist()
    distinct = list(dict.fromkeys(texts))
    from analysis.pii.locales import detect_language

    language = detect_language(distinct)
    spans_by_text = analyze_distinct(distinct, entities=entities, score_threshold=score_threshold,
                                     allow_list=allow_list, deny_list=deny_list, backend=backend, progress=progress,
                                     language=language)
    found = dict(zip(distinct, spans_by_text))
    out = []
    for pos, text in zip(positions, texts):
        for kind, start, end, score, _method in found[text]:
            out.append(TextSpan(row=int(pos), entity_type=kind, start=int(start), end=int(end), score=round(score, 4)))
    return out


# Below this many distinct texts, one process is faster than starting workers (each builds its engine).
PARALLEL_MIN_TEXTS = 4000
# Work of one text, in microseconds of one core (measured alone: 2,000 notes of ~100 characters, 9 s),
# to cut worker-pool tasks (analysis.worker_pool.TASK_MICROSECONDS each).
COST_TEXT, COST_TEXT_CHAR = 500, 45


def analyze_distinct(distinct: list[str], *, entities=None, score_threshold=None, allow_list=(), deny_list=(),
                     backend: str = "auto", progress: Optional[ProgressCallback] = None,
                     language: Optional[str] = None) -> list[list[Span]]:
    """Spans for distinct texts, split into partitions over joblib or Ray when worth it."""
    from analysis.compute import parallel_map, resolve_backend

    settings = get_settings()
    kind = resolve_backend(backend)
    if backend == "auto" and kind == "joblib" and len(distinct) < PARALLEL_MIN_TEXTS:
        kind = "serial"
    if kind == "workers":  # the app's worker pool: tasks of about TASK_MICROSECONDS of work each
        from analysis.worker_pool import TASK_MICROSECONDS

        cumulative = np.cumsum([COST_TEXT + COST_TEXT_CHAR * len(t) for t in distinct])
        cuts = np.searchsorted(cumulative, np.arange(1, int(cumulative[-1] // TASK_MICROSECONDS) + 1)
                               * TASK_MICROSECONDS) if distinct else []
        edges = sorted({0, len(distinct), *(int(c) for c in cuts)})
        chunks = [distinct[a:b] for a, b in zip(edges[:-1], edges[1:]) if b > a]
    elif kind == "serial" or len(distinct) <= 1:
        return analyze_texts(distinct, entities=entities, score_threshold=score_threshold,
                             allow_list=allow_list, deny_list=deny_list, progress=progress, language=language)
    else:
        parts = max(2, settings.n_jobs * 2)
        chunks = [list(c) for c in np.array_split(np.array(distinct, dtype=object), parts) if len(c)]
    tasks = [dict(model=settings.spacy_model, texts=c, entities=list(entities) if entities else None,
                  threshold=score_threshold, allow=list(allow_list), deny=list(deny_list), language=language)
             for c in chunks]
    results = parallel_map(_texts_job, tasks, backend=kind, progress=progress, label="free-text partition")
    return [spans for part in results for spans in part]


def highlight_html(text: str, spans: Sequence[TextSpan], *, mask: bool = False) -> str:
    """`text` as Markdown with HTML on (st.markdown(..., unsafe_allow_html=True)): each span wrapped in <mark>
    and labelled with its entity type; with `mask` the span's content is masked. The text itself is escaped
    for Markdown (`markdown_text`), so a cell holding `![x](https://host/b.png)` or `<img ...>` stays text."""
    from analysis.pii.findings import mask_value
    from analysis.text_safety import markdown_text

    out, pos = [], 0
    for span in sorted(spans, key=lambda s: s.start):
        if span.start < pos:
            continue
        out.append(markdown_text(text[pos:span.start]))
        inner = text[span.start:span.end]
        inner = mask_value(inner, span.entity_type) if mask else inner
        out.append(f'<mark title="{span.entity_type} {span.score:.2f}" style="background:#fde2c4;padding:0 2px">'
                   f"{markdown_text(inner)}<sub style=\"font-size:0.7em;color:#8a4b12\"> {span.entity_type}</sub></mark>")
        pos = span.end
    out.append(markdown_text(text[pos:]))
    return "".join(out)
