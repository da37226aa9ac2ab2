//! The report's sections, in order: summary, determination (with every rule, figure, article,
//! both sensitivity standards and any straddled threshold), flows, data items, sources and
//! charts, approval calendar and pending-transfer guard, data-flow diagram, filing pack and
//! timeline, method. Built once as a [`Doc`] and rendered by the markdown and HTML writers.

use anyhow::Result;

use super::charts::{self, Bar};
use super::doc::{Block, Doc};
use super::tables::{self, DataItemRow};
use super::{Input, Lang, diagram, filing, fmt_estimate, thousands};
use crate::assess::calendar::{ApprovalState, EXTENSION_WORKING_DAYS, Uncovered};
use crate::assess::profile::{MechanismKind, Status};
use crate::assess::rules::{Decision, Mechanism, RULES, Regime};
use crate::assess::{Assessment, Note};
use crate::detect::Standard;

fn yes_no(b: bool, l: Lang) -> String {
    if b {
        l.t("yes", "是")
    } else {
        l.t("no", "否")
    }
    .to_string()
}

fn mech_name(m: Mechanism, l: Lang) -> &'static str {
    l.t(m.name_en(), m.name_zh())
}

fn std_name(id: &str, l: Lang) -> String {
    match id {
        "gbt45574-2025" => l.t("GB/T 45574-2025", "GB/T 45574-2025").to_string(),
        "gbt35273-2020" => l.t("GB/T 35273-2020", "GB/T 35273-2020").to_string(),
        other => other.to_string(),
    }
}

fn note_text(n: &Note, l: Lang) -> String {
    l.t(&n.en, &n.zh).to_string()
}

pub fn build(input: &Input) -> Result<Doc> {
    let l = input.lang;
    let inv = input.inventory;
    let mut d = Doc::new(l.t(
        "Personal information inventory and cross-border transfer assessment",
        "个人信息数据清单与出境评估报告",
    ));

    // ---- summary -------------------------------------------------------------------------
    let (chosen, other) = tables::standards(input);
    let mut meta = vec![
        vec![
            l.t("Organisation", "单位").to_string(),
            input
                .profile
                .map(|p| p.organisation.name.clone())
                .unwrap_or_else(|| l.t("(no profile given)", "（未提供画像文件）").to_string()),
        ],
        vec![
            l.t("Scanned roots", "扫描范围").to_string(),
            inv.scan.roots.join(", "),
        ],
        vec![
            l.t("Scan finished", "扫描完成时间").to_string(),
            inv.scan.finished_at.clone(),
        ],
        vec![
            l.t("Files scanned", "已扫描文件").to_string(),
            format!(
                "{} ({} {})",
                thousands(inv.scan.files_scanned + inv.scan.files_partial),
                thousands(inv.scan.bytes_scanned),
                l.t("bytes", "字节")
            ),
        ],
        vec![
            l.t("Scan complete", "扫描是否完整").to_string(),
            yes_no(inv.scan.complete, l),
        ],
        vec![
            l.t("Sensitivity standard", "敏感个人信息判定标准")
                .to_string(),
            std_name(&chosen, l),
        ],
    ];
    if let Some(a) = input.assessment {
        meta.push(vec![
            l.t("Assessment date", "评估日期").to_string(),
            a.date.to_string(),
        ]);
        meta.push(vec![
            l.t("Regime", "适用规则").to_string(),
            l.t(a.regime.name_en(), a.regime.name_zh()).to_string(),
        ]);
        meta.push(vec![
            l.t("Counting window", "累计计算期间").to_string(),
            format!("{} – {}", a.window_start, a.date),
        ]);
    }
    if let Some(signer) = &input.checked {
        meta.push(vec![
            l.t("Inventory check", "清单校验").to_string(),
            match signer {
                Some(k) => format!(
                    "{} {k}",
                    l.t(
                        "consistent (figures, sketches, categories, links file); signature good, key",
                        "前后一致（数量、草图、类别、关联文件）；签名有效，密钥"
                    )
                ),
                None => l
                    .t(
                        "consistent (figures, sketches, categories, links file); not signed",
                        "前后一致（数量、草图、类别、关联文件）；未签名",
                    )
                    .to_string(),
            },
        ]);
    }
    meta.push(vec![
        l.t("Report generated", "报告生成时间").to_string(),
        format!("{} (pipl-scan {})", input.generated_at, inv.tool.version),
    ]);
    d.h(2, "summary", l.t("Summary", "概况"));
    d.table(
        vec![l.t("Item", "项目").into(), l.t("Value", "内容").into()],
        meta,
    );
    let t = &inv.totals;
    d.table(
        vec![
            l.t("Figure (whole inventory)", "数量（全部清单）").into(),
            l.t("Estimate (95% bounds)", "估计值（95%区间）").into(),
        ],
        vec![
            vec![
                l.t("People (subjects)", "个人（主体）").into(),
                fmt_count(&t.subjects),
            ],
            vec![
                format!(
                    "{} [{}]",
                    l.t("People with sensitive PI", "涉及敏感个人信息的个人"),
                    std_name(&chosen, l)
                ),
                t.sensitive_subjects_by_standard
                    .get(&chosen)
                    .map(fmt_count)
                    .unwrap_or_default(),
            ],
            vec![
                format!(
                    "{} [{}]",
                    l.t("People with sensitive PI", "涉及敏感个人信息的个人"),
                    std_name(&other, l)
                ),
                t.sensitive_subjects_by_standard
                    .get(&other)
                    .map(fmt_count)
                    .unwrap_or_default(),
            ],
            vec![
                l.t("Minors under 14", "不满十四周岁未成年人").into(),
                fmt_count(&t.minor_subjects),
            ],
            vec![
                l.t(
                    "Largest distinct count of one identifier (not a bound on people)",
                    "单一标识符最大去重数（非人数界限）",
                )
                .into(),
                thousands(t.largest_identifier_distinct),
            ],
            vec![l.t("Records", "记录数").into(), thousands(t.records)],
            vec![
                l.t(
                    "Records with PI but no identifier",
                    "含个人信息但无标识符的记录",
                )
                .into(),
                thousands(t.unidentified_records),
            ],
        ],
    );

    // ---- determination -------------------------------------------------------------------
    d.h(2, "determination", l.t("Determination", "评估结论"));
    match input.assessment {
        Some(a) => determination(&mut d, a, l),
        None => d.note(l.t(
            "No organisation profile was given, so no determination is made. Run `pipl-scan assess INVENTORY --profile pipl-scan.toml` (or `scan --profile`).",
            "未提供单位画像文件，故不作评估结论。请运行 `pipl-scan assess INVENTORY --profile pipl-scan.toml`（或 `scan --profile`）。",
        )),
    }

    // ---- flows -----------------------------------------------------------------------------
    if let Some(a) = input.assessment {
        d.h(2, "flows", l.t("Outbound flows", "出境数据流"));
        let rows = a
            .flows
            .iter()
            .map(|f| {
                vec![
                    f.name.clone(),
                    format!("{} ({})", f.recipient, f.country),
                    f.purpose.clone(),
                    if f.exemption.id() == "none" {
                        "—".into()
                    } else {
                        format!(
                            "{} ({})",
                            f.exemption.id(),
                            l.t(f.exemption.basis_en(), f.exemption.basis_zh())
                        )
                    },
                    yes_no(f.counted, l),
                    f.sources.len().to_string(),
                    fmt_estimate(&f.inventory.subjects),
                    format!(
                        "{} ({})",
                        fmt_estimate(&f.ledger.subjects),
                        f.ledger_entries
                    ),
                    fmt_estimate(&f.cumulative.subjects),
                    fmt_estimate(&f.cumulative.sensitive(std_of(&a.sensitivity))),
                ]
            })
            .collect();
        d.table(
            vec![
                l.t("Flow", "数据流").into(),
                l.t("Recipient (country/region)", "境外接收方（国家/地区）")
                    .into(),
                l.t("Purpose", "目的").into(),
                l.t("Exemption claimed", "主张的豁免").into(),
                l.t("Counted", "计入累计").into(),
                l.t("Sources with PI", "含个人信息的数据源").into(),
                l.t("People in this inventory", "本清单人数").into(),
                l.t("People in the ledger (entries)", "台账人数（记录数）")
                    .into(),
                l.t("People, cumulative", "累计人数").into(),
                format!(
                    "{} [{}]",
                    l.t("Sensitive, cumulative", "敏感，累计"),
                    std_name(&a.sensitivity, l)
                ),
            ],
            rows,
        );
    }

    // ---- data items ----------------------------------------------------------------------
    d.h(2, "data-items", l.t("Data items", "出境数据项"));
    d.p(l.t(
        "One row per flow and category of personal information: the data-item table of the declaration form, the self-assessment report and Appendix 1 of the standard contract. \"Distinct values\" counts the different values of the category (≈ people); a figure marked * is bounded by the largest source (low) and the sum of the sources (high), because the category's values were not sketched per source.",
        "每个数据流、每类个人信息一行：对应申报书、自评估报告和标准合同附录一的出境数据项表。“去重数”为该类信息不同取值的数量（约等于人数）；标 * 的数量以最大的数据源为下限、各数据源之和为上限，因为各数据源的该类信息未单独做草图。",
    ));
    let items = tables::data_items(input);
    d.table(
        vec![
            l.t("Flow", "数据流").into(),
            l.t("Category", "个人信息种类").into(),
            format!("{} [{}]", l.t("Sensitive", "敏感"), std_name(&chosen, l)),
            format!("{} [{}]", l.t("Sensitive", "敏感"), std_name(&other, l)),
            l.t("Distinct values (95%)", "去重数（95%区间）").into(),
            l.t("Occurrences", "出现次数").into(),
            l.t("Sources and fields", "数据源及字段").into(),
            l.t("Purpose", "目的").into(),
            l.t("Recipient", "接收方").into(),
        ],
        items.iter().map(|r| item_row(r, l)).collect(),
    );

    // ---- sources and charts --------------------------------------------------------------
    d.h(2, "sources", l.t("Sources", "数据源"));
    let with_pi: Vec<_> = inv
        .sources
        .iter()
        .filter(|s| !s.categories.is_empty())
        .collect();
    let cat_bars: Vec<Bar> = t
        .categories
        .iter()
        .map(|c| Bar {
            label: l.t(&c.name, &c.name_zh).to_string(),
            value: c.distinct.estimate,
            low: c.distinct.low,
            high: c.distinct.high,
        })
        .collect();
    // The largest sources only: a share of thousands of files would make an unreadable chart.
    let mut largest = with_pi.clone();
    largest.sort_by(|a, b| {
        b.subjects
            .estimate
            .cmp(&a.subjects.estimate)
            .then(a.path.cmp(&b.path))
    });
    largest.truncate(MAX_BARS);
    let src_bars: Vec<Bar> = largest
        .iter()
        .map(|s| Bar {
            label: s.path.clone(),
            value: s.subjects.estimate,
            low: s.subjects.low,
            high: s.subjects.high,
        })
        .collect();
    let c1 = l.t("Distinct values per PI category", "各类个人信息去重数");
    let svg = charts::bars(c1, &cat_bars);
    if !svg.is_empty() {
        d.blocks.push(Block::Svg {
            svg,
            alt: c1.to_string(),
        });
    }
    let c2 = if with_pi.len() > MAX_BARS {
        format!(
            "{} ({} {MAX_BARS} / {})",
            l.t("People per source", "各数据源人数"),
            l.t("largest", "最大的"),
            thousands(with_pi.len() as u64)
        )
    } else {
        l.t("People per source", "各数据源人数").to_string()
    };
    let c2 = c2.as_str();
    let svg = charts::bars(c2, &src_bars);
    if !svg.is_empty() {
        d.blocks.push(Block::Svg {
            svg,
            alt: c2.to_string(),
        });
    }
    d.table(
        vec![
            l.t("Source", "数据源").into(),
            l.t("Format", "格式").into(),
            l.t("Status", "状态").into(),
            l.t("Records", "记录数").into(),
            l.t("People", "人数").into(),
            format!("{} [{}]", l.t("Sensitive", "敏感"), std_name(&chosen, l)),
            format!("{} [{}]", l.t("Sensitive", "敏感"), std_name(&other, l)),
            l.t("Minors", "未成年人").into(),
        ],
        inv.sources
            .iter()
            .filter(|s| !s.categories.is_empty() || s.reason.is_some())
            .map(|s| {
                vec![
                    s.path.clone(),
                    s.format.clone(),
                    // The status in lower case; the reason as written (it names paths and
                    // flags whose case matters).
                    match &s.reason {
                        Some(r) => format!("{}: {r}", format!("{:?}", s.status).to_lowercase()),
                        None => format!("{:?}", s.status).to_lowercase(),
                    },
                    thousands(s.records),
                    fmt_count(&s.subjects),
                    s.sensitive_subjects_by_standard
                        .get(&chosen)
                        .map(fmt_count)
                        .unwrap_or_default(),
                    s.sensitive_subjects_by_standard
                        .get(&other)
                        .map(fmt_count)
                        .unwrap_or_default(),
                    fmt_count(&s.minor_subjects),
                ]
            })
            .collect(),
    );

    // ---- calendar and guard --------------------------------------------------------------
    if let Some(a) = input.assessment {
        calendar(&mut d, a, l);
    }

    // ---- diagram ---------------------------------------------------------------------------
    if let Some(g) = diagram::graph(input) {
        d.h(2, "diagram", l.t("Data-flow diagram", "数据出境流程图"));
        d.blocks.push(Block::Svg {
            svg: diagram::svg(&g, l),
            alt: l
                .t(
                    "Sources in China → outbound flows → overseas recipients",
                    "境内数据源 → 出境数据流 → 境外接收方",
                )
                .to_string(),
        });
        d.blocks.push(Block::Code {
            lang: "mermaid".into(),
            caption: l
                .t(
                    "The same diagram as Mermaid text:",
                    "同一流程图的 Mermaid 文本：",
                )
                .to_string(),
            text: diagram::mermaid(&g, l),
        });
    }

    // ---- filing pack -----------------------------------------------------------------------
    if let Some(a) = input.assessment {
        let m = a.decision.conservative();
        d.h(2, "filing-pack", l.t("Filing pack", "申报材料清单"));
        d.p(format!(
            "{} {}",
            l.t("Documents for:", "适用程序："),
            mech_name(m, l)
        ));
        d.blocks
            .push(Block::Checklist(super::filing::checklist(m, l)));
        d.h(3, "timeline", l.t("Realistic timeline", "实际时间预期"));
        d.list(filing::timeline(m, l));
    }

    // ---- method ------------------------------------------------------------------------------
    method(&mut d, input, l);
    Ok(d)
}

/// Bars in the per-source chart.
const MAX_BARS: usize = 30;

/// Sources listed per data item in the report (inventory.csv and the xlsx list them all).
const MAX_LOCATIONS: usize = 10;

fn std_of(id: &str) -> Standard {
    Standard::from_id(id).unwrap_or(Standard::Gbt45574_2025)
}

fn fmt_count(c: &crate::inventory::Count) -> String {
    fmt_estimate(&crate::sketch::Estimate {
        estimate: c.estimate,
        low: c.low,
        high: c.high,
    })
}

fn item_row(r: &DataItemRow, l: Lang) -> Vec<String> {
    let distinct = if r.exact_union {
        fmt_estimate(&r.distinct)
    } else {
        format!(
            "{}–{} *",
            thousands(r.distinct.low),
            thousands(r.distinct.high)
        )
    };
    vec![
        r.flow
            .clone()
            .unwrap_or_else(|| l.t("(not transferred)", "（不出境）").to_string()),
        format!("{} ({})", l.t(&r.name_en, &r.name_zh), r.detector),
        yes_no(r.sensitive, l),
        yes_no(r.sensitive_other, l),
        distinct,
        thousands(r.matches),
        {
            let mut shown: Vec<String> = r
                .locations
                .iter()
                .take(MAX_LOCATIONS)
                .map(|(s, f)| format!("{s}: {}", f.join(", ")))
                .collect();
            if r.locations.len() > MAX_LOCATIONS {
                shown.push(format!(
                    "… +{} {}",
                    thousands((r.locations.len() - MAX_LOCATIONS) as u64),
                    l.t(
                        "more sources (inventory.csv)",
                        "个其他数据源（见 inventory.csv）"
                    )
                ));
            }
            shown.join("\n")
        },
        r.purpose.clone(),
        if r.recipient.is_empty() {
            String::new()
        } else {
            format!("{} ({})", r.recipient, r.country)
        },
    ]
}

fn figure_rows(a: &Assessment, dec: &Decision, l: Lang) -> Vec<Vec<String>> {
    let f = &dec.facts;
    let mut rows = vec![vec![
        l.t(
            "People whose PI is provided abroad (counted flows, cumulative)",
            "向境外提供个人信息的个人（计入的数据流，累计）",
        )
        .into(),
        fmt_estimate(&f.transferred),
        thresholds(a.regime, crate::assess::rules::Figure::TransferredSubjects),
    ]];
    if a.regime == Regime::Provisions2024 {
        rows.push(vec![
            match a.threshold_reading {
                crate::assess::ThresholdReading::NonSensitive => format!(
                    "{} [{}]",
                    l.t(
                        "People whose PI excluding sensitive PI is provided abroad",
                        "向境外提供个人信息（不含敏感个人信息）的个人"
                    ),
                    std_name(&a.sensitivity, l)
                ),
                crate::assess::ThresholdReading::Everyone => l
                    .t(
                        "People counted against the \"excluding sensitive PI\" thresholds: everyone (conservative reading, --count-everyone)",
                        "按“不含敏感个人信息”标准计算的人数：全部人数（稳妥口径，--count-everyone）",
                    )
                    .to_string(),
            },
            fmt_estimate(&f.transferred_non_sensitive),
            thresholds(
                a.regime,
                crate::assess::rules::Figure::TransferredNonSensitive,
            ),
        ]);
    }
    rows.extend([vec![
        format!(
            "{} [{}]",
            l.t(
                "People whose sensitive PI is provided abroad",
                "向境外提供敏感个人信息的个人"
            ),
            std_name(&a.sensitivity, l)
        ),
        fmt_estimate(&f.transferred_sensitive),
        thresholds(a.regime, crate::assess::rules::Figure::TransferredSensitive),
    ]]);
    if a.regime == Regime::Measures2022 {
        rows.push(vec![
            l.t(
                "People whose PI is processed (whole inventory)",
                "处理个人信息的个人（全部清单）",
            )
            .into(),
            fmt_estimate(&f.processed),
            thresholds(a.regime, crate::assess::rules::Figure::ProcessedSubjects),
        ]);
    }
    rows
}

/// The thresholds of `regime` on `fig`, e.g. `≥ 100,000; ≥ 1,000,000`.
fn thresholds(regime: Regime, fig: crate::assess::rules::Figure) -> String {
    let mut v: Vec<u64> = RULES
        .iter()
        .filter(|r| r.regime == regime)
        .flat_map(|r| r.at_least.iter())
        .filter(|(f, n)| *f == fig && *n > 1)
        .map(|(_, n)| *n)
        .collect();
    v.sort_unstable();
    v.dedup();
    v.iter()
        .map(|n| format!("≥ {}", thousands(*n)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The headline: "Result:" for an outcome that requires nothing (exempt, no transfer),
/// "Required:" only when a mechanism is, "Undetermined" when a figure or the scan leaves it
/// open.
pub fn headline(a: &Assessment, l: Lang) -> String {
    let dec = &a.decision;
    let m = dec.conservative();
    if a.incomplete_undetermined {
        format!(
            "{}{}",
            l.t(
                "Undetermined (incomplete scan) — as far as it was read: ",
                "尚未确定（扫描不完整）——仅就已读取的数据而言："
            ),
            mech_name(m, l)
        )
    } else if dec.undetermined() {
        format!(
            "{}{}",
            l.t("Undetermined — plan for: ", "尚未确定——请按以下程序准备："),
            mech_name(m, l)
        )
    } else if dec.mechanism <= Mechanism::Exempt {
        format!(
            "{}{}",
            l.t("Result: ", "结论："),
            mech_name(dec.mechanism, l)
        )
    } else {
        format!(
            "{}{}",
            l.t("Required: ", "须履行："),
            mech_name(dec.mechanism, l)
        )
    }
}

fn determination(d: &mut Doc, a: &Assessment, l: Lang) {
    let dec = &a.decision;
    let m = dec.conservative();
    if a.incomplete_undetermined {
        d.warn(l.t(
            "INCOMPLETE SCAN: files were skipped, read in part or unreadable (see the sources table and scan.errors). What was not read could make the result stricter, so it is undetermined. Scan everything, or assess with --accept-incomplete to accept the result for what was read.",
            "扫描不完整：有文件被跳过、部分读取或无法读取（见数据源表和 scan.errors）。未读取的数据可能使结论更严格，因此结论尚未确定。请完整扫描，或使用 --accept-incomplete 接受仅基于已读取数据的结论。",
        ));
    }
    let title = headline(a, l);
    let basis: Vec<&str> = dec
        .fired
        .iter()
        .map(|r| l.t(r.basis_en, r.basis_zh))
        .collect();
    let detail = if basis.is_empty() {
        l.t(
            "No personal information or important data is provided abroad by the flows of the profile.",
            "画像文件中的数据流未向境外提供个人信息或重要数据。",
        )
        .to_string()
    } else {
        format!(
            "{}{}",
            l.t("Legal basis: ", "法律依据："),
            basis.join(l.t("; ", "；"))
        )
    };
    d.blocks.push(Block::Verdict {
        tone: m.id().to_string(),
        title,
        detail,
    });
    if !a.guard.is_empty() {
        d.warn(format!(
            "{} {}",
            thousands(a.guard.len() as u64),
            l.t(
                "ledger entries show data sent without the mechanism it required (see the pending-transfer guard below). In process is not approval.",
                "条台账记录显示未完成所需程序即出境（见下文出境合规核查）。受理不等于通过。"
            )
        ));
    }
    d.p(match l {
        Lang::En => format!(
            "Decided under the {} ({}). Thresholds count people (not records), cumulatively over the counting window.",
            a.regime.name_en(),
            std_name(&a.sensitivity, l)
        ),
        Lang::ZhCn => format!(
            "依据{}（敏感个人信息按 {} 判定）。各项标准按人数（而非记录数）计算，在累计计算期间内累计。",
            a.regime.name_zh(),
            std_name(&a.sensitivity, l)
        ),
    });
    d.h(3, "rules", l.t("Rules that fired", "触发的规则"));
    if dec.fired.is_empty() {
        d.p(l.t("None.", "无。"));
    } else {
        d.table(
            vec![
                l.t("Rule", "规则").into(),
                l.t("Condition", "条件").into(),
                l.t("Requires", "要求").into(),
                l.t("Legal basis", "法律依据").into(),
            ],
            dec.fired
                .iter()
                .map(|r| {
                    vec![
                        r.id.to_string(),
                        l.t(r.text_en, r.text_zh).to_string(),
                        mech_name(r.mechanism, l).to_string(),
                        l.t(r.basis_en, r.basis_zh).to_string(),
                    ]
                })
                .collect(),
        );
    }
    d.h(3, "figures", l.t("Figures used", "所用数量"));
    d.table(
        vec![
            l.t("Figure", "数量").into(),
            l.t("Estimate (95% bounds)", "估计值（95%区间）").into(),
            l.t("Thresholds", "标准").into(),
        ],
        figure_rows(a, dec, l),
    );
    let mut flags = vec![
        format!(
            "{}: {}",
            l.t("CIIO", "关键信息基础设施运营者"),
            yes_no(dec.facts.ciio, l)
        ),
        format!(
            "{}: {}",
            l.t("Important data provided abroad", "向境外提供重要数据"),
            yes_no(dec.facts.important_data, l)
        ),
    ];
    flags.push(format!(
        "{}: {} {}",
        l.t("Counting window", "累计计算期间"),
        a.window_start,
        l.t("to the assessment date", "至评估日")
    ));
    d.list(flags);

    // Straddled thresholds.
    for s in &dec.straddles {
        let text = format!(
            "{} {} {} {} (95%: {}–{}). {} {}",
            l.t(s.figure.name_en(), s.figure.name_zh()),
            l.t("straddles the threshold", "的区间跨越标准"),
            thousands(s.threshold),
            l.t("— estimate", "——估计值"),
            thousands(s.value.low),
            thousands(s.value.high),
            l.t(
                "The data cannot tell which side the true count is on; until it is settled, plan for the stricter mechanism.",
                "无法从数据判断真实人数位于标准哪一侧；确认之前，请按更严格的程序准备。"
            ),
            a.settle.as_ref().map(|n| note_text(n, l)).unwrap_or_default()
        );
        d.warn(text);
    }
    if dec.undetermined() {
        d.warn(format!(
            "{} {} / {}: {}",
            l.t("At the low bounds:", "按区间下限："),
            mech_name(dec.mechanism_low, l),
            l.t("at the high bounds", "按区间上限"),
            mech_name(dec.mechanism_high, l)
        ));
    }

    // Both standards side by side.
    d.h(
        3,
        "standards",
        l.t("Both sensitivity standards", "两项敏感个人信息标准对照"),
    );
    d.table(
        vec![
            l.t("Standard", "标准").into(),
            l.t(
                "People with sensitive PI provided abroad",
                "向境外提供敏感个人信息的人数",
            )
            .into(),
            l.t("Mechanism", "程序").into(),
        ],
        a.by_standard
            .iter()
            .map(|sd| {
                let (id, dd) = (&sd.standard, &sd.decision);
                vec![
                    std_name(id, l),
                    fmt_estimate(&dd.facts.transferred_sensitive),
                    mech_name(dd.conservative(), l).to_string(),
                ]
            })
            .collect(),
    );
    if a.standards_differ {
        d.warn(l.t(
            "The two standards lead to different mechanisms. GB/T 45574-2025 (in force since 2025-11-01) no longer treats a bare ID number as sensitive; GB/T 35273-2020 does. Decide which one your filing follows, and say so in the self-assessment; the conservative choice is the stricter mechanism.",
            "两项标准得出不同的程序。GB/T 45574-2025（2025年11月1日起实施）不再将单独的身份证号视为敏感个人信息，GB/T 35273-2020 则视为敏感。请确定申报所依据的标准并在自评估报告中说明；稳妥做法是按更严格的程序准备。",
        ));
    } else {
        d.p(l.t(
            "Both standards lead to the same mechanism.",
            "两项标准得出相同的程序。",
        ));
    }

    if !a.notes.is_empty() {
        d.h(3, "notes", l.t("Notes", "说明"));
        for n in &a.notes {
            d.note(note_text(n, l));
        }
    }
}

fn state_text(s: ApprovalState, l: Lang) -> &'static str {
    match s {
        ApprovalState::NotNeeded => l.t("not needed", "无需"),
        ApprovalState::NotStarted => l.t("NOT STARTED", "未启动"),
        ApprovalState::Pending => l.t(
            "PENDING — in process is not approval",
            "审查中——受理不等于通过",
        ),
        ApprovalState::Refused => l.t("REFUSED", "未通过"),
        ApprovalState::Valid => l.t("valid", "有效"),
        ApprovalState::ExtensionDue => {
            l.t("valid — start the extension now", "有效——请立即启动延期")
        }
        ApprovalState::ExtensionOpen => l.t(
            "valid — apply for the extension now (the 60-working-day window is open)",
            "有效——延期申请期（届满前60个工作日内）已开始，请立即申请",
        ),
        ApprovalState::FilingDue => l.t(
            "in effect — file it by the filing deadline",
            "已生效——请在备案截止日前备案",
        ),
        ApprovalState::FilingOverdue => l.t(
            "NOT FILED — the 10-working-day filing deadline has passed",
            "未备案——已超过10个工作日备案期限",
        ),
        ApprovalState::ExtensionLate => l.t(
            "valid — the extension deadline has passed",
            "有效——已过延期申请截止日",
        ),
        ApprovalState::Expired => l.t("EXPIRED", "已过期"),
        ApprovalState::WrongMechanism => {
            l.t("WRONG MECHANISM for what is required", "所办程序与要求不符")
        }
    }
}

pub fn uncovered_text(u: Uncovered, l: Lang) -> &'static str {
    match u {
        Uncovered::NotStarted => l.t("sent with no mechanism started", "未启动任何程序即出境"),
        Uncovered::Pending => l.t("sent while the application was pending", "申报审查期间出境"),
        Uncovered::BeforeApproval => l.t("sent before the approval", "在通过前出境"),
        Uncovered::Refused => l.t("sent after the application was refused", "申报未通过后出境"),
        Uncovered::Expired => l.t("sent after the approval expired", "有效期届满后出境"),
        Uncovered::WrongMechanism => l.t(
            "sent under a weaker mechanism than required",
            "以低于要求的程序出境",
        ),
        Uncovered::Unfiled => l.t(
            "sent under a standard contract past its filing deadline, before it was filed",
            "标准合同超过备案期限且尚未备案时出境",
        ),
    }
}

fn kind_text(k: Option<MechanismKind>, l: Lang) -> String {
    match k {
        None => "—",
        Some(MechanismKind::SecurityAssessment) => l.t("security assessment", "安全评估"),
        Some(MechanismKind::StandardContract) => l.t("standard contract", "标准合同"),
        Some(MechanismKind::Certification) => l.t("certification", "认证"),
    }
    .to_string()
}

fn status_text(s: Status, l: Lang) -> &'static str {
    match s {
        Status::NotStarted => l.t("not started", "未启动"),
        Status::Applied => l.t("applied / signed", "已申报/已签订"),
        Status::Approved => l.t("approved", "已通过"),
        Status::Refused => l.t("refused", "未通过"),
    }
}

fn calendar(d: &mut Doc, a: &Assessment, l: Lang) {
    d.h(2, "calendar", l.t("Approval calendar", "审批日历"));
    let opt = |x: Option<chrono::NaiveDate>| x.map(|d| d.to_string()).unwrap_or_else(|| "—".into());
    d.table(
        vec![
            l.t("Flow", "数据流").into(),
            l.t("Mechanism", "程序").into(),
            l.t("Status", "状态").into(),
            l.t("Applied", "申报日").into(),
            l.t("Approved", "通过日").into(),
            l.t("Valid through", "有效期至").into(),
            l.t("File contract by", "合同备案截止日").into(),
            l.t("Start extension (recommended)", "建议启动延期").into(),
            l.t("Extension window opens", "延期申请期开始").into(),
            l.t("Last day to apply for extension", "延期申请截止日")
                .into(),
            l.t("State", "当前状态").into(),
        ],
        a.approvals
            .iter()
            .map(|ap| {
                vec![
                    ap.flow.clone(),
                    kind_text(ap.kind, l),
                    status_text(ap.status, l).to_string(),
                    opt(ap.applied_on),
                    opt(ap.approved_on),
                    opt(ap.valid_through),
                    opt(ap.filing_deadline),
                    opt(ap.recommended_start),
                    opt(ap.extension_opens),
                    opt(ap.extension_deadline),
                    state_text(ap.state, l).to_string(),
                ]
            })
            .collect(),
    );
    d.p(format!(
        "{} {} {}",
        l.t(
            &format!(
                "A security-assessment result is valid for {} years under this regime ({}). {} Start six months before expiry: the self-assessment must be at most three months old when filed, and reviews take months.",
                a.regime.validity_years(),
                if a.regime == Regime::Provisions2024 { "Provisions Art. 9" } else { "Measures Art. 14" },
                if a.regime == Regime::Provisions2024 {
                    format!("The extension is applied for within the {EXTENSION_WORKING_DAYS} working days before expiry: the window opens {EXTENSION_WORKING_DAYS} working days before expiry and the last day to apply is the last day of validity.")
                } else {
                    format!("The last day to re-apply is {EXTENSION_WORKING_DAYS} working days before expiry.")
                }
            ),
            &format!(
                "数据出境安全评估结果有效期为{}年（{}）。{}建议在届满前六个月启动：自评估报告须在申报前三个月内完成，且审查需要数月。",
                a.regime.validity_years(),
                if a.regime == Regime::Provisions2024 { "《规定》第九条" } else { "《办法》第十四条" },
                if a.regime == Regime::Provisions2024 {
                    format!("延期应在有效期届满前{EXTENSION_WORKING_DAYS}个工作日内申请：申请期自届满前第{EXTENSION_WORKING_DAYS}个工作日开始，最后一日为有效期最后一日。")
                } else {
                    format!("重新申报最迟须在有效期届满前{EXTENSION_WORKING_DAYS}个工作日提出。")
                }
            ),
        ),
        l.t(
            "Working days exclude weekends and the fixed-date public holidays (1 January, 1–2 May, 1–3 October); the lunar holidays and make-up working weekends change every year and are counted only when listed under [calendar] in the profile, so without them the deadline may be a few days too late — apply earlier.",
            "工作日不含周末及固定日期的法定节假日（1月1日、5月1日至2日、10月1日至3日）；农历节日和调休每年不同，仅在画像文件 [calendar] 中列出时计入，未列出时截止日可能偏晚几天——请提前申请。"
        ),
        l.t("Standard contracts do not expire by themselves but must be filed within 10 working days after taking effect (SCC Measures Art. 7): the deadline runs from the effective date (`applied_on`), and a contract not filed by then is shown as NOT FILED.", "标准合同本身不设有效期，但须在生效之日起10个工作日内备案（《标准合同办法》第七条）：期限自生效日（`applied_on`）起算，逾期未备案的显示为“未备案”。"),
    ));

    d.h(3, "guard", l.t("Pending-transfer guard", "出境合规核查"));
    if a.guard.is_empty() {
        d.p(l.t(
            "No ledger entry shows data sent without the mechanism it required.",
            "台账中没有未按要求完成程序即出境的记录。",
        ));
    } else {
        d.warn(l.t(
            "The ledger shows data sent without the mechanism it required. An application in process is not an approval: stop these transfers until the mechanism is in place.",
            "台账显示存在未完成所需程序即出境的情况。申报受理不等于通过：请在完成程序前停止这些出境。",
        ));
        d.table(
            vec![
                l.t("Flow", "数据流").into(),
                l.t("Ledger entry", "台账记录").into(),
                l.t("Sent on", "出境日期").into(),
                l.t("People", "人数").into(),
                l.t("Required when sent", "出境时的要求").into(),
                l.t("Problem", "问题").into(),
            ],
            a.guard
                .iter()
                .map(|g| {
                    vec![
                        g.flow.clone(),
                        format!("#{}", g.entry),
                        g.sent_on.to_string(),
                        thousands(g.subjects),
                        format!(
                            "{} ({} {})",
                            mech_name(g.required_when_sent, l),
                            l.t("regime", "规则"),
                            g.regime_when_sent.id()
                        ),
                        uncovered_text(g.reason, l).to_string(),
                    ]
                })
                .collect(),
        );
    }
}

fn method(d: &mut Doc, input: &Input, l: Lang) {
    let inv = input.inventory;
    d.h(2, "method", l.t("Method", "方法说明"));
    let mut items = vec![
        l.t(
            "Records: a line of a text file, a row of a table, one JSON object. Each record yields at most one subject key: its highest-priority identifier (resident ID > passport > permits > mobile > e-mail > bank card), normalised (upper-case X, no +86 or separators). A record with PI but no identifier is counted as an unidentified record, not as a person.",
            "记录：文本文件的一行、表格的一行或一个 JSON 对象。每条记录至多产生一个主体键，即其优先级最高的标识符（身份证号 > 护照号 > 通行证 > 手机号 > 电子邮箱 > 银行卡号），并经规范化（X 大写，去掉 +86 和分隔符）。含个人信息但无标识符的记录计为“无标识记录”，不计入人数。",
        )
        .to_string(),
        format!(
            "{} (lg_k = {}).",
            l.t(
                "People are counted as distinct subject keys with HyperLogLog sketches (Apache DataSketches HLL): exact up to about 1,500 distinct keys per sketch, then with a relative standard error of about 0.8%",
                "人数为主体键的去重数，使用 HyperLogLog 草图（Apache DataSketches HLL）计算：每个草图约1,500个以内为精确值，超过后相对标准误差约0.8%",
            ),
            inv.scan.sketch.lg_k
        ),
        l.t(
            "Bounds: every figure is given with its 95% interval (±2 standard errors). A decision uses the point estimate; when an interval contains a threshold, the report says so, names how to settle it, and the stricter mechanism is the one to plan for.",
            "区间：每个数量均附95%区间（±2个标准误差）。结论依据点估计值；区间跨越某项标准时，报告予以说明并给出确认方法，应按更严格的程序准备。",
        )
        .to_string(),
        l.t(
            "Unions: sketches merge, so a person found in several sources, flows or exports counts once. A flow's figure is the union of the sources its globs select; the cumulative figure adds the ledger's entries of the counting window. Inputs are hashed with a secret key kept outside the inventory, so no one can test from an inventory whether a given person is in it.",
            "合并：草图可合并，同一人出现在多个数据源、数据流或多次出境中只计一次。数据流的人数为其所选数据源的并集；累计人数再并入台账中计数期间内的记录。输入经密钥哈希，密钥不存于清单中，因此无法借助清单判断某人是否在其中。",
        )
        .to_string(),
        l.t(
            "Conservative reading: one person carrying different identifiers in different records (an ID number here, only a phone number there) may count twice, so the subject figure can exceed the truth; the lower bound is the largest distinct count of a single identifier. The 100,000 and 1,000,000 thresholds of the 2024 Provisions count PI excluding sensitive PI: they are compared with the people whose transferred PI includes PI that is not sensitive (a person whose only PI is a card number counts toward the 10,000 sensitive threshold only), or with everyone under the conservative reading (--count-everyone).",
            "稳妥口径：同一人在不同记录中使用不同标识符（此处为身份证号、彼处仅有手机号）时可能被计两次，因此人数可能高于实际；人数下限为单一标识符的最大去重数。《规定》10万人、100万人标准按“个人信息（不含敏感个人信息）”计算：与出境个人信息中含非敏感个人信息的人数比较（仅有银行卡号等敏感个人信息的个人只计入1万人敏感标准），稳妥口径（--count-everyone）下与全部出境人数比较。",
        )
        .to_string(),
        l.t(
            "Sensitive PI depends on the standard: under GB/T 45574-2025 a bare ID number is not sensitive, under GB/T 35273-2020 it is. Both figures are computed; all PI of minors under 14 (from the birth date in the resident ID) is sensitive under both.",
            "敏感个人信息取决于所依据的标准：GB/T 45574-2025 下单独的身份证号不属于敏感个人信息，GB/T 35273-2020 下属于。两种口径均已计算；不满十四周岁未成年人（依身份证号中的出生日期判断）的全部个人信息在两种标准下均为敏感个人信息。",
        )
        .to_string(),
        l.t(
            "Samples are masked (e.g. 110105********002X, 138****5678); raw values never leave the scanning process.",
            "样例均已脱敏（如 110105********002X、138****5678）；原始值不会离开扫描进程。",
        )
        .to_string(),
    ];
    if let Some(a) = input.assessment {
        items.push(match a.regime {
            Regime::Provisions2024 => l
                .t(
                    "Counting window (2024 Provisions): from 1 January of the current year. Flows claiming an exemption of Art. 3–6 are left out of the cumulative figures (common practice; not yet confirmed by a primary text).",
                    "累计计算期间（2024年《规定》）：自当年1月1日起。主张第三条至第六条豁免的数据流不计入累计数量（实务做法，尚未见原始文本确认）。",
                )
                .to_string(),
            Regime::Measures2022 => l
                .t(
                    "Counting window (2022 Measures): from 1 January of the previous year. The 1,000,000 threshold counts all PI processed: the whole inventory, a lower bound if the scan did not cover all of the organisation's data.",
                    "累计计算期间（2022年《办法》）：自上年1月1日起。100万人标准按处理的全部个人信息计算，即全部清单；若扫描未覆盖单位全部数据，则为下限。",
                )
                .to_string(),
        });
    }
    d.list(items);
    d.p(l.t(
        "This report supports, and does not replace, legal advice: the organisation remains responsible for its filing.",
        "本报告用于辅助而非替代法律意见：申报责任仍由单位承担。",
    ));
}
