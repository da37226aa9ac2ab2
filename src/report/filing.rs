//! The filing pack: the documents each mechanism's application needs (REGULATION.md §2), which
//! of them pipl-scan's outputs supply, and the realistic timeline.

use super::Lang;
use super::doc::ChecklistState::{self, Partly, Supplied, User};
use crate::assess::rules::Mechanism;

/// (state, English, Chinese) per document.
type Item = (ChecklistState, &'static str, &'static str);

const SECURITY_ASSESSMENT: &[Item] = &[
    (
        Partly,
        "Application form (数据出境安全评估申报书): the data items, their scale and sensitivity come from this report; organisation details are yours",
        "数据出境安全评估申报书：出境数据项、规模和敏感程度取自本报告；单位信息由您填写",
    ),
    (
        Partly,
        "Self-assessment report on the outbound transfer risk (数据出境风险自评估报告), at most 3 months old when filed: scale, scope, types and sensitivity of the data (Measures Art. 5(2)) come from this report and inventory.xlsx; the risk analysis is yours",
        "数据出境风险自评估报告（申报时完成不超过3个月）：出境数据的规模、范围、种类、敏感程度（《办法》第五条第（二）项）取自本报告及 inventory.xlsx；风险分析由您完成",
    ),
    (
        User,
        "Legal documents to be signed with the overseas recipient (Measures Art. 9: scope, storage location and period abroad, onward-transfer limits, remedies …)",
        "与境外接收方拟订立的法律文件（《办法》第九条：数据范围、境外存储地点和期限、再转移限制、违约责任等）",
    ),
    (
        Supplied,
        "Inventory of the outbound data items per business scenario (data assets): inventory.xlsx / inventory.csv",
        "按申报业务场景梳理的出境数据项清单（数据资产）：inventory.xlsx / inventory.csv",
    ),
    (
        Supplied,
        "Data-flow diagram of the transfer: the diagram in this report (SVG and Mermaid)",
        "数据出境流程图：本报告中的流程图（SVG 与 Mermaid 文本）",
    ),
    (
        User,
        "Description of the security measures (technical and organisational) in China and at the recipient",
        "境内及境外接收方的安全保护措施（技术和管理措施）说明",
    ),
    (
        User,
        "Documentation of the overseas recipient: its capacity, management and technical measures, and the legal environment of its country or region",
        "境外接收方情况说明：其保护能力、管理和技术措施，以及所在国家或地区的法律环境",
    ),
    (
        User,
        "Copy of the business licence / unified social credit code certificate",
        "营业执照（统一社会信用代码证书）复印件",
    ),
    (
        User,
        "ID copies of the legal representative and of the person handling the application; power of attorney",
        "法定代表人及经办人身份证件复印件；经办人授权委托书",
    ),
    (
        User,
        "Letter of commitment and other supporting proof (e.g. notices of important data)",
        "承诺书及其他相关证明材料（如重要数据告知文件）",
    ),
];

const STANDARD_CONTRACT: &[Item] = &[
    (
        Partly,
        "The signed standard contract with Appendix 1 \"个人信息出境说明\": purpose, scale and categories of PI and of sensitive PI come from this report; storage period and location after transfer are yours",
        "已签订的标准合同及附录一《个人信息出境说明》：处理目的、出境个人信息规模、个人信息种类和敏感个人信息种类取自本报告；出境后保存期限和地点由您填写",
    ),
    (
        Partly,
        "Personal information protection impact assessment report (PIPIA): the data description comes from this report and inventory.xlsx",
        "个人信息保护影响评估报告：数据情况部分取自本报告及 inventory.xlsx",
    ),
    (
        Supplied,
        "Inventory of the PI to be transferred (categories, sensitivity, number of people): inventory.xlsx / inventory.csv",
        "拟出境个人信息清单（种类、敏感程度、人数）：inventory.xlsx / inventory.csv",
    ),
    (
        Supplied,
        "Data-flow diagram: the diagram in this report (SVG and Mermaid)",
        "数据出境流程图：本报告中的流程图（SVG 与 Mermaid 文本）",
    ),
    (
        User,
        "Copy of the business licence; ID copy of the legal representative and of the person filing; power of attorney; letter of commitment",
        "营业执照复印件；法定代表人及经办人身份证件复印件；授权委托书；承诺书",
    ),
];

const EXEMPT: &[Item] = &[
    (
        Supplied,
        "Record of the figures showing the transfer below every threshold: this report, assessment.json and the ledger",
        "证明出境数量低于各项标准的记录：本报告、assessment.json 及累计台账",
    ),
    (
        User,
        "Evidence for each exemption claimed (contracts with the individuals, HR rules, emergency records, the free-trade-zone negative list)",
        "所主张豁免的证明材料（与个人订立的合同、人力资源管理制度、紧急情况记录、自贸区负面清单）",
    ),
    (
        User,
        "PIPL obligations that apply regardless: notice and separate consent (Art. 39), PIPIA (Art. 55)",
        "无论是否豁免均须履行的义务：告知并取得单独同意（《个人信息保护法》第三十九条）、个人信息保护影响评估（第五十五条）",
    ),
];

pub fn checklist(m: Mechanism, lang: Lang) -> Vec<(ChecklistState, String, String)> {
    let items = match m {
        Mechanism::SecurityAssessment => SECURITY_ASSESSMENT,
        Mechanism::StandardContract => STANDARD_CONTRACT,
        Mechanism::Exempt | Mechanism::NotApplicable => EXEMPT,
    };
    items
        .iter()
        .map(|(state, en, zh)| {
            (
                *state,
                state_label(*state, lang).to_string(),
                lang.t(en, zh).to_string(),
            )
        })
        .collect()
}

pub fn state_label(s: ChecklistState, lang: Lang) -> &'static str {
    match s {
        Supplied => lang.t("pipl-scan", "pipl-scan 提供"),
        Partly => lang.t("partly pipl-scan", "部分由 pipl-scan 提供"),
        User => lang.t("you provide", "由您提供"),
    }
}

/// The realistic timeline, so nobody plans on three months.
pub fn timeline(m: Mechanism, lang: Lang) -> Vec<String> {
    match m {
        Mechanism::SecurityAssessment => vec![
            lang.t(
                "The provincial CAC checks the application for completeness within 5 working days (Measures Art. 11); the CAC then completes the assessment within 45 working days of accepting it (Art. 12), a period it may extend when the case is complex or material must be added or corrected.",
                "省级网信部门自收到申报材料之日起5个工作日内完成完备性查验（《办法》第十一条）；国家网信部门自受理之日起45个工作日内完成评估，情况复杂或需要补充、更正材料的可以适当延长（第十二条）。",
            )
            .to_string(),
            lang.t(
                "In practice, from the start of preparation to a decision takes 6 to 18 months (self-assessment, negotiation of the legal documents, supplementary requests). Plan on that, not on three months, and do not send data on the strength of a pending application: in process is not approval.",
                "实践中，从开始准备到取得评估结果通常需要6至18个月（自评估、法律文件谈判、补充材料）。请按此规划，而不是按三个月规划；申报期间不得凭“正在申报”出境数据：受理不等于通过。",
            )
            .to_string(),
            lang.t(
                "The self-assessment must be completed within the 3 months before the application.",
                "自评估报告须在申报前3个月内完成。",
            )
            .to_string(),
        ],
        Mechanism::StandardContract => vec![
            lang.t(
                "File the standard contract with the provincial CAC within 10 working days after it takes effect, together with the PIPIA report (Standard Contract Measures Art. 7).",
                "标准合同生效之日起10个工作日内，向省级网信部门备案，并提交个人信息保护影响评估报告（《个人信息出境标准合同办法》第七条）。",
            )
            .to_string(),
            lang.t(
                "Negotiating the contract and completing the PIPIA typically take 1 to 3 months; supplementary requests after filing are common. Certification is an alternative (Certification Measures, in force 2026-01-01, certificates valid 3 years).",
                "合同谈判和个人信息保护影响评估通常需要1至3个月；备案后被要求补正材料的情况较为常见。也可选择个人信息保护认证（《个人信息出境认证办法》，2026年1月1日起施行，证书有效期3年）。",
            )
            .to_string(),
        ],
        Mechanism::Exempt | Mechanism::NotApplicable => vec![
            lang.t(
                "No filing is due. Re-assess when volumes grow: the count resets every 1 January, and the first export that crosses a threshold needs the mechanism in place before it is sent.",
                "无需申报。数据量增长时请重新评估：累计数量每年1月1日清零，首次超过标准的出境须在出境前完成相应程序。",
            )
            .to_string(),
        ],
    }
}
