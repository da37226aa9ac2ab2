//! `inventory.xlsx` for compliance teams who live in Excel: one sheet per table, each with a
//! bold frozen header row and an autofilter over its data; numbers are numbers, so they sort and
//! sum.

use anyhow::Result;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};

use super::tables::{self, data_items, field_rows};
use super::{Input, Lang, filing};

enum Cell {
    Text(String),
    Num(u64),
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}
impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}
impl From<u64> for Cell {
    fn from(n: u64) -> Cell {
        Cell::Num(n)
    }
}

struct Sheet {
    name: String,
    head: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

fn yn(b: bool, l: Lang) -> Cell {
    Cell::Text(
        if b {
            l.t("yes", "是")
        } else {
            l.t("no", "否")
        }
        .to_string(),
    )
}

/// The sheets, in order; shared with the tests, which read them back.
fn sheets(input: &Input) -> Vec<Sheet> {
    let l = input.lang;
    let (chosen, other) = tables::standards(input);
    let mut out = Vec::new();

    if let Some(a) = input.assessment {
        let d = &a.decision;
        let mut rows: Vec<Vec<Cell>> = vec![
            vec![
                l.t("Organisation", "单位").into(),
                a.organisation.clone().into(),
            ],
            vec![
                l.t("Assessment date", "评估日期").into(),
                a.date.to_string().into(),
            ],
            vec![
                l.t("Regime", "适用规则").into(),
                l.t(a.regime.name_en(), a.regime.name_zh()).into(),
            ],
            vec![
                l.t("Counting window from", "累计计算起始日").into(),
                a.window_start.to_string().into(),
            ],
            vec![
                l.t("Sensitivity standard", "敏感个人信息标准").into(),
                a.sensitivity.clone().into(),
            ],
            vec![
                l.t("Headline", "结论标题").into(),
                super::content::headline(a, l).into(),
            ],
            vec![
                l.t("Mechanism at the estimates", "按估计值的程序").into(),
                l.t(d.mechanism.name_en(), d.mechanism.name_zh()).into(),
            ],
            vec![
                l.t(
                    "Mechanism to plan for (high bounds)",
                    "应准备的程序（按区间上限）",
                )
                .into(),
                l.t(d.conservative().name_en(), d.conservative().name_zh())
                    .into(),
            ],
            vec![
                l.t(
                    "Undetermined (straddles a threshold, or incomplete scan)",
                    "尚未确定（跨越标准或扫描不完整）",
                )
                .into(),
                yn(a.undetermined(), l),
            ],
            vec![
                l.t("People provided abroad", "出境人数").into(),
                d.facts.transferred.estimate.into(),
            ],
            vec![
                l.t("  95% low", "  95%下限").into(),
                d.facts.transferred.low.into(),
            ],
            vec![
                l.t("  95% high", "  95%上限").into(),
                d.facts.transferred.high.into(),
            ],
            vec![
                format!(
                    "{} [{}]",
                    l.t(
                        "People with PI excluding sensitive PI provided abroad",
                        "出境个人信息（不含敏感个人信息）人数"
                    ),
                    a.sensitivity
                )
                .into(),
                d.facts.transferred_non_sensitive.estimate.into(),
            ],
            vec![
                format!(
                    "{} [{}]",
                    l.t(
                        "People with sensitive PI provided abroad",
                        "出境敏感个人信息人数"
                    ),
                    a.sensitivity
                )
                .into(),
                d.facts.transferred_sensitive.estimate.into(),
            ],
            vec![
                l.t("  95% low", "  95%下限").into(),
                d.facts.transferred_sensitive.low.into(),
            ],
            vec![
                l.t("  95% high", "  95%上限").into(),
                d.facts.transferred_sensitive.high.into(),
            ],
            vec![
                l.t("People processed (whole inventory)", "处理人数（全部清单）")
                    .into(),
                d.facts.processed.estimate.into(),
            ],
            vec![
                l.t("Standards lead to different mechanisms", "两项标准结论不同")
                    .into(),
                yn(a.standards_differ, l),
            ],
            vec![
                l.t("Exit code", "退出码").into(),
                (a.exit_code as u64).into(),
            ],
        ];
        for r in &d.fired {
            rows.push(vec![
                format!("{} {}", l.t("Rule", "规则"), r.id).into(),
                format!(
                    "{} — {}",
                    l.t(r.text_en, r.text_zh),
                    l.t(r.basis_en, r.basis_zh)
                )
                .into(),
            ]);
        }
        for n in &a.notes {
            rows.push(vec![l.t("Note", "说明").into(), l.t(&n.en, &n.zh).into()]);
        }
        out.push(Sheet {
            name: l.t("Determination", "评估结论").into(),
            head: vec![l.t("Item", "项目").into(), l.t("Value", "内容").into()],
            rows,
        });
    }

    out.push(Sheet {
        name: l.t("Data items", "出境数据项").into(),
        head: [
            l.t("Flow", "数据流"),
            l.t("Detector", "检测器"),
            l.t("Category", "个人信息种类"),
            l.t("Category group", "类别"),
            &format!("{} [{chosen}]", l.t("Sensitive", "敏感")),
            &format!("{} [{other}]", l.t("Sensitive", "敏感")),
            l.t("Distinct values", "去重数"),
            l.t("95% low", "95%下限"),
            l.t("95% high", "95%上限"),
            l.t("Exact union", "精确并集"),
            l.t("Occurrences", "出现次数"),
            l.t("Sources and fields", "数据源及字段"),
            l.t("Purpose", "目的"),
            l.t("Recipient", "接收方"),
            l.t("Country/region", "国家/地区"),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows: data_items(input)
            .into_iter()
            .map(|r| {
                vec![
                    r.flow
                        .unwrap_or_else(|| l.t("(not transferred)", "（不出境）").into())
                        .into(),
                    r.detector.into(),
                    l.t(&r.name_en, &r.name_zh).into(),
                    r.category.into(),
                    yn(r.sensitive, l),
                    yn(r.sensitive_other, l),
                    r.distinct.estimate.into(),
                    r.distinct.low.into(),
                    r.distinct.high.into(),
                    yn(r.exact_union, l),
                    r.matches.into(),
                    r.locations
                        .iter()
                        .map(|(s, f)| format!("{s}: {}", f.join(", ")))
                        .collect::<Vec<_>>()
                        .join("; ")
                        .into(),
                    r.purpose.into(),
                    r.recipient.into(),
                    r.country.into(),
                ]
            })
            .collect(),
    });

    out.push(Sheet {
        name: l.t("Fields", "字段").into(),
        head: [
            l.t("Source", "数据源"),
            l.t("Format", "格式"),
            l.t("Status", "状态"),
            l.t("Field", "字段"),
            l.t("Detector", "检测器"),
            l.t("Category", "个人信息种类"),
            l.t("Sensitive [gbt45574-2025]", "敏感 [gbt45574-2025]"),
            l.t("Sensitive [gbt35273-2020]", "敏感 [gbt35273-2020]"),
            l.t("Identifier", "标识符"),
            l.t("Matches", "匹配数"),
            l.t("Distinct values", "去重数"),
            l.t("95% low", "95%下限"),
            l.t("95% high", "95%上限"),
            l.t("Masked samples", "脱敏样例"),
            l.t("Flows", "数据流"),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows: field_rows(input)
            .into_iter()
            .map(|r| {
                vec![
                    r.source.into(),
                    r.format.into(),
                    r.status.into(),
                    r.field.into(),
                    r.detector.into(),
                    l.t(&r.name_en, &r.name_zh).into(),
                    yn(r.sensitive_45574, l),
                    yn(r.sensitive_35273, l),
                    yn(r.identifier, l),
                    r.matches.into(),
                    r.distinct.estimate.into(),
                    r.distinct.low.into(),
                    r.distinct.high.into(),
                    r.samples.join(" | ").into(),
                    r.flows.join(" | ").into(),
                ]
            })
            .collect(),
    });

    let inv = input.inventory;
    out.push(Sheet {
        name: l.t("Sources", "数据源").into(),
        head: [
            l.t("Source", "数据源"),
            l.t("Format", "格式"),
            l.t("Status", "状态"),
            l.t("Records", "记录数"),
            l.t("Bytes", "字节"),
            l.t("People", "人数"),
            l.t("95% low", "95%下限"),
            l.t("95% high", "95%上限"),
            "gbt45574-2025",
            "gbt35273-2020",
            l.t("Minors", "未成年人"),
            l.t("Unidentified records", "无标识记录"),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows: inv
            .sources
            .iter()
            .map(|s| {
                let sens = |id: &str| {
                    s.sensitive_subjects_by_standard
                        .get(id)
                        .map(|c| c.estimate)
                        .unwrap_or(0)
                };
                vec![
                    s.path.clone().into(),
                    s.format.clone().into(),
                    format!("{:?}", s.status).to_lowercase().into(),
                    s.records.into(),
                    s.bytes.into(),
                    s.subjects.estimate.into(),
                    s.subjects.low.into(),
                    s.subjects.high.into(),
                    sens("gbt45574-2025").into(),
                    sens("gbt35273-2020").into(),
                    s.minor_subjects.estimate.into(),
                    s.unidentified_records.into(),
                ]
            })
            .collect(),
    });

    if let Some(a) = input.assessment {
        let st = crate::detect::Standard::from_id(&a.sensitivity)
            .unwrap_or(crate::detect::Standard::Gbt45574_2025);
        out.push(Sheet {
            name: l.t("Flows", "数据流").into(),
            head: [
                l.t("Flow", "数据流"),
                l.t("Recipient", "接收方"),
                l.t("Country/region", "国家/地区"),
                l.t("Purpose", "目的"),
                l.t("Exemption", "豁免"),
                l.t("Counted", "计入累计"),
                l.t("Sources with PI", "含个人信息的数据源"),
                l.t("People in this inventory", "本清单人数"),
                l.t("People in the ledger", "台账人数"),
                l.t("Ledger entries", "台账记录数"),
                l.t("People, cumulative", "累计人数"),
                l.t("95% low", "95%下限"),
                l.t("95% high", "95%上限"),
                l.t("Sensitive, cumulative", "敏感，累计"),
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            rows: a
                .flows
                .iter()
                .map(|f| {
                    vec![
                        f.name.clone().into(),
                        f.recipient.clone().into(),
                        f.country.clone().into(),
                        f.purpose.clone().into(),
                        f.exemption.id().into(),
                        yn(f.counted, l),
                        (f.sources.len() as u64).into(),
                        f.inventory.subjects.estimate.into(),
                        f.ledger.subjects.estimate.into(),
                        (f.ledger_entries as u64).into(),
                        f.cumulative.subjects.estimate.into(),
                        f.cumulative.subjects.low.into(),
                        f.cumulative.subjects.high.into(),
                        f.cumulative.sensitive(st).estimate.into(),
                    ]
                })
                .collect(),
        });
        let opt = |d: Option<chrono::NaiveDate>| -> Cell {
            d.map(|d| d.to_string()).unwrap_or_default().into()
        };
        out.push(Sheet {
            name: l.t("Calendar", "审批日历").into(),
            head: [
                l.t("Flow", "数据流"),
                l.t("Mechanism", "程序"),
                l.t("Status", "状态"),
                l.t("Applied", "申报日"),
                l.t("Approved", "通过日"),
                l.t("Valid through", "有效期至"),
                l.t("File contract by", "合同备案截止日"),
                l.t("Start extension (recommended)", "建议启动延期"),
                l.t("Extension window opens", "延期申请期开始"),
                l.t("Last day to apply for extension", "延期申请截止日"),
                l.t("State", "当前状态"),
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            rows: a
                .approvals
                .iter()
                .map(|ap| {
                    vec![
                        ap.flow.clone().into(),
                        ap.kind.map(|k| k.id()).unwrap_or("").into(),
                        ap.status.id().into(),
                        opt(ap.applied_on),
                        opt(ap.approved_on),
                        opt(ap.valid_through),
                        opt(ap.filing_deadline),
                        opt(ap.recommended_start),
                        opt(ap.extension_opens),
                        opt(ap.extension_deadline),
                        serde_json::to_value(ap.state)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default()
                            .into(),
                    ]
                })
                .collect(),
        });
        out.push(Sheet {
            name: l.t("Filing pack", "申报材料").into(),
            head: vec![
                l.t("Supplied by", "提供方").into(),
                l.t("Document", "材料").into(),
            ],
            rows: filing::checklist(a.decision.conservative(), l)
                .into_iter()
                .map(|(_, label, item)| vec![label.into(), item.into()])
                .collect(),
        });
    }
    out
}

/// Excel refuses a cell longer than 32,767 characters (a data item held in thousands of files
/// lists them all); such a cell is cut, and says so.
const MAX_CELL_CHARS: usize = 32_767;

fn clip_cell(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().count() <= MAX_CELL_CHARS {
        return s.into();
    }
    let mark = " … (cut at Excel's cell limit; inventory.csv has it all)";
    let keep = MAX_CELL_CHARS - mark.chars().count();
    let mut out: String = s.chars().take(keep).collect();
    out.push_str(mark);
    out.into()
}

pub fn render(input: &Input) -> Result<Vec<u8>> {
    let mut wb = Workbook::new();
    // A fixed creation time (the scan's date) keeps the file reproducible.
    let date = input
        .inventory
        .scan
        .finished_at
        .get(..10)
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    if let Some(d) = date {
        use chrono::Datelike;
        if let Ok(dt) = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8) {
            wb.set_properties(
                &DocProperties::new()
                    .set_title("pipl-scan inventory")
                    .set_creation_datetime(&dt),
            );
        }
    }
    let bold = Format::new().set_bold().set_background_color("F2F4F7");
    for sheet in sheets(input) {
        let ws = wb.add_worksheet();
        ws.set_name(&sheet.name)?;
        for (c, h) in sheet.head.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, h, &bold)?;
            let width = sheet
                .rows
                .iter()
                .map(|r| match r.get(c) {
                    Some(Cell::Text(s)) => s.chars().count().min(60),
                    Some(Cell::Num(n)) => n.to_string().len(),
                    None => 0,
                })
                .max()
                .unwrap_or(0)
                .max(h.chars().count())
                .clamp(8, 60);
            ws.set_column_width(c as u16, width as f64 + 2.0)?;
        }
        for (r, row) in sheet.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                match cell {
                    Cell::Text(s) => {
                        ws.write_string(r, c as u16, clip_cell(s))?;
                    }
                    Cell::Num(n) => {
                        ws.write_number(r, c as u16, *n as f64)?;
                    }
                }
            }
        }
        ws.set_freeze_panes(1, 0)?;
        let last_col = sheet.head.len().saturating_sub(1) as u16;
        ws.autofilter(0, 0, sheet.rows.len() as u32, last_col)?;
    }
    Ok(wb.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_cut_at_excels_limit_and_say_so() {
        assert_eq!(clip_cell("short"), "short");
        let long = "a".repeat(40_000);
        let c = clip_cell(&long);
        assert_eq!(c.chars().count(), MAX_CELL_CHARS);
        assert!(c.ends_with("inventory.csv has it all)"));
    }
}
