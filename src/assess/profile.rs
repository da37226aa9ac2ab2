//! The organisation profile, `pipl-scan.toml`: the facts about an organisation and its outbound
//! data flows that no scan can discover.
//!
//! Every table is `deny_unknown_fields`, so a misspelt key is an error that names it rather than a
//! fact silently ignored. `examples/pipl-scan.toml` is a documented example; `docs/compliance.md`
//! ("The organisation profile") describes every key.

use std::path::Path;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Deserializer, Serialize};

/// The whole profile.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub organisation: Organisation,
    #[serde(default)]
    pub important_data: ImportantData,
    /// The outbound flows: `[[flow]]` tables.
    #[serde(default, rename = "flow")]
    pub flows: Vec<Flow>,
    #[serde(default)]
    pub calendar: CalendarConfig,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    pub name: String,
    /// Critical information infrastructure operator (关键信息基础设施运营者), as notified by the
    /// sector regulator.
    #[serde(default)]
    pub ciio: bool,
    /// The pilot free-trade zone whose negative list applies to the organisation, if any
    /// (Provisions Art. 6). Flows may then claim `exemption = "ftz-negative-list"`.
    #[serde(default)]
    pub free_trade_zone: Option<String>,
}

/// Important data (重要数据): the scanner cannot decide it; the organisation states it.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ImportantData {
    /// The organisation holds data that is, or may be, important data.
    #[serde(default)]
    pub holds: bool,
    /// Some of it is provided abroad.
    #[serde(default)]
    pub transfers: bool,
    /// A department or region has notified it, or published it, as important data
    /// (Provisions Art. 2). Under the 2024 Provisions only such data counts as important data.
    #[serde(default)]
    pub notified: bool,
    #[serde(default)]
    pub description: String,
}

/// One outbound data flow.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    /// A short unique name (used by `ledger add --flow`).
    pub name: String,
    /// Globs over the inventory's source paths (`**/crm/*.csv`); a glob also matches a path
    /// relative to its scan root.
    pub sources: Vec<String>,
    /// Overseas recipient (境外接收方).
    pub recipient: String,
    /// Country or region of the recipient.
    pub country: String,
    /// Purpose of the transfer (出境目的).
    pub purpose: String,
    /// Business scenario (业务场景), if it differs from the purpose.
    #[serde(default)]
    pub scenario: Option<String>,
    /// How the data leaves: API, file transfer, remote access, e-mail …
    #[serde(default)]
    pub transfer_method: Option<String>,
    /// Where and how long the recipient keeps the data.
    #[serde(default)]
    pub storage_location: Option<String>,
    #[serde(default)]
    pub retention: Option<String>,
    /// An exemption the flow claims; `none` by default.
    #[serde(default)]
    pub exemption: Exemption,
    /// The flow's transfer mechanism and where it stands.
    #[serde(default)]
    pub mechanism: MechanismStatus,
}

/// Exemptions of the 2024 Provisions a flow may claim (none existed under the 2022 Measures).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Exemption {
    #[default]
    None,
    /// Art. 3: data of international trade, transport, academic cooperation, manufacturing and
    /// marketing that contains no PI and no important data.
    NoPersonalInformation,
    /// Art. 4: PI collected abroad, processed in China and sent back, nothing domestic added.
    Transit,
    /// Art. 5(1): necessary to conclude or perform a contract with the individual.
    Contract,
    /// Art. 5(2): cross-border human-resources management.
    HrManagement,
    /// Art. 5(3): emergency, to protect life, health or property.
    Emergency,
    /// Art. 6: data outside the negative list of the organisation's free-trade zone.
    FtzNegativeList,
}

impl Exemption {
    pub fn id(self) -> &'static str {
        match self {
            Exemption::None => "none",
            Exemption::NoPersonalInformation => "no-personal-information",
            Exemption::Transit => "transit",
            Exemption::Contract => "contract",
            Exemption::HrManagement => "hr-management",
            Exemption::Emergency => "emergency",
            Exemption::FtzNegativeList => "ftz-negative-list",
        }
    }

    pub fn basis_en(self) -> &'static str {
        match self {
            Exemption::None => "",
            Exemption::NoPersonalInformation => "Provisions Art. 3",
            Exemption::Transit => "Provisions Art. 4",
            Exemption::Contract => "Provisions Art. 5(1)",
            Exemption::HrManagement => "Provisions Art. 5(2)",
            Exemption::Emergency => "Provisions Art. 5(3)",
            Exemption::FtzNegativeList => "Provisions Art. 6",
        }
    }

    pub fn basis_zh(self) -> &'static str {
        match self {
            Exemption::None => "",
            Exemption::NoPersonalInformation => "《规定》第三条",
            Exemption::Transit => "《规定》第四条",
            Exemption::Contract => "《规定》第五条第（一）项",
            Exemption::HrManagement => "《规定》第五条第（二）项",
            Exemption::Emergency => "《规定》第五条第（三）项",
            Exemption::FtzNegativeList => "《规定》第六条",
        }
    }
}

/// The mechanism a flow has (or is getting) and where it stands.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MechanismStatus {
    /// `security-assessment`, `standard-contract` or `certification`; absent when none.
    #[serde(default)]
    pub kind: Option<MechanismKind>,
    #[serde(default)]
    pub status: Status,
    /// The application was submitted (security assessment, certification) or the contract
    /// signed and took effect (standard contract: its effective date; it covers transfers from
    /// that day, and must be filed within 10 working days of it).
    #[serde(default, deserialize_with = "de_date")]
    pub applied_on: Option<NaiveDate>,
    /// The assessment was passed, the certificate issued, or the contract filed (status
    /// `approved`).
    #[serde(default, deserialize_with = "de_date")]
    pub approved_on: Option<NaiveDate>,
    /// Standard contract: the day it was filed with the provincial CAC, when that is not
    /// `approved_on` (e.g. filed, acknowledgement pending).
    #[serde(default, deserialize_with = "de_date")]
    pub filed_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "de_date")]
    pub refused_on: Option<NaiveDate>,
    /// Overrides the computed end of validity (e.g. after an extension).
    #[serde(default, deserialize_with = "de_date")]
    pub valid_until: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MechanismKind {
    SecurityAssessment,
    StandardContract,
    Certification,
}

impl MechanismKind {
    pub fn id(self) -> &'static str {
        match self {
            MechanismKind::SecurityAssessment => "security-assessment",
            MechanismKind::StandardContract => "standard-contract",
            MechanismKind::Certification => "certification",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    #[default]
    NotStarted,
    /// Applied or filed, no decision yet: in process is not approval.
    Applied,
    Approved,
    Refused,
}

impl Status {
    pub fn id(self) -> &'static str {
        match self {
            Status::NotStarted => "not-started",
            Status::Applied => "applied",
            Status::Approved => "approved",
            Status::Refused => "refused",
        }
    }
}

/// Days off that the working-day calendar cannot compute (lunar holidays, one-off changes).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarConfig {
    /// Extra non-working days (e.g. Spring Festival, Qingming, Dragon Boat, Mid-Autumn as the
    /// State Council's yearly notice sets them).
    #[serde(default, deserialize_with = "de_dates")]
    pub holidays: Vec<NaiveDate>,
    /// Weekend days that are working days (调休 make-up days) in the yearly notice.
    #[serde(default, deserialize_with = "de_dates")]
    pub working_weekends: Vec<NaiveDate>,
}

/// A TOML date literal (`2025-03-01`) or a string holding one.
#[derive(Deserialize)]
#[serde(untagged)]
enum DateRepr {
    Toml(toml::value::Datetime),
    Text(String),
}

fn to_date(r: DateRepr) -> Result<NaiveDate, String> {
    let s = match r {
        DateRepr::Toml(d) => d.to_string(),
        DateRepr::Text(s) => s,
    };
    NaiveDate::parse_from_str(&s, "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date (YYYY-MM-DD)"))
}

fn de_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    let r = Option::<DateRepr>::deserialize(d)?;
    r.map(to_date).transpose().map_err(serde::de::Error::custom)
}

fn de_dates<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<NaiveDate>, D::Error> {
    let v = Vec::<DateRepr>::deserialize(d)?;
    v.into_iter()
        .map(to_date)
        .collect::<Result<_, _>>()
        .map_err(serde::de::Error::custom)
}

impl Profile {
    pub fn load(path: &Path) -> Result<Profile> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading profile {}", path.display()))?;
        Profile::parse(&text).with_context(|| format!("profile {}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Profile> {
        let p: Profile = toml::from_str(text)?;
        p.check()?;
        Ok(p)
    }

    /// Consistency checks that serde cannot express.
    fn check(&self) -> Result<()> {
        let mut names = std::collections::BTreeSet::new();
        for f in &self.flows {
            if f.name.trim().is_empty() {
                bail!("a [[flow]] has an empty `name`");
            }
            if !names.insert(f.name.as_str()) {
                bail!("flow `{}` is defined twice", f.name);
            }
            if f.sources.is_empty() {
                bail!("flow `{}`: `sources` lists no glob", f.name);
            }
            SourceMatcher::new(&f.sources).with_context(|| format!("flow `{}`", f.name))?;
            if f.exemption == Exemption::FtzNegativeList
                && self.organisation.free_trade_zone.is_none()
            {
                bail!(
                    "flow `{}` claims `ftz-negative-list` but [organisation] has no `free_trade_zone`",
                    f.name
                );
            }
            let m = &f.mechanism;
            let need = |d: Option<NaiveDate>, field: &str| {
                if d.is_none() {
                    bail!(
                        "flow `{}`: mechanism status `{}` needs `{field}`",
                        f.name,
                        m.status.id()
                    );
                }
                Ok(())
            };
            match m.status {
                Status::NotStarted => {}
                Status::Applied => need(m.applied_on, "applied_on")?,
                Status::Approved => need(m.approved_on, "approved_on")?,
                Status::Refused => need(m.refused_on, "refused_on")?,
            }
            if m.status != Status::NotStarted && m.kind.is_none() {
                bail!(
                    "flow `{}`: mechanism status `{}` needs `kind`",
                    f.name,
                    m.status.id()
                );
            }
        }
        Ok(())
    }

    pub fn flow(&self, name: &str) -> Option<&Flow> {
        self.flows.iter().find(|f| f.name == name)
    }
}

/// Matches inventory source paths against a flow's globs.
#[derive(Debug, Clone)]
pub struct SourceMatcher {
    set: GlobSet,
}

impl SourceMatcher {
    pub fn new(globs: &[String]) -> Result<SourceMatcher> {
        let mut b = GlobSetBuilder::new();
        for g in globs {
            b.add(Glob::new(g).with_context(|| format!("bad glob `{g}`"))?);
        }
        Ok(SourceMatcher { set: b.build()? })
    }

    /// Whether `path` (as written in the inventory) matches, either as it is or relative to one
    /// of the scan `roots`.
    pub fn matches(&self, path: &str, roots: &[String]) -> bool {
        if self.set.is_match(path) {
            return true;
        }
        roots.iter().any(|r| {
            Path::new(path)
                .strip_prefix(r)
                .is_ok_and(|rel| !rel.as_os_str().is_empty() && self.set.is_match(rel))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[organisation]
name = "Example Co."

[[flow]]
name = "crm"
sources = ["**/customers*.txt"]
recipient = "Example GmbH"
country = "DE"
purpose = "customer service"
"#;

    #[test]
    fn a_minimal_profile_parses_with_defaults() {
        let p = Profile::parse(MINIMAL).unwrap();
        assert!(!p.organisation.ciio);
        assert_eq!(p.flows[0].exemption, Exemption::None);
        assert_eq!(p.flows[0].mechanism.status, Status::NotStarted);
    }

    #[test]
    fn an_unknown_key_is_an_error_naming_it() {
        let bad = MINIMAL.replace("purpose =", "purpos =");
        let e = format!("{:#}", Profile::parse(&bad).unwrap_err());
        assert!(e.contains("purpos"), "{e}");
        let bad = MINIMAL.replace("[organisation]", "[organisation]\ncio = true");
        let e = format!("{:#}", Profile::parse(&bad).unwrap_err());
        assert!(e.contains("cio"), "{e}");
    }

    #[test]
    fn dates_are_toml_dates_or_strings_and_status_needs_them() {
        let ok = format!(
            "{MINIMAL}[flow.mechanism]\nkind = \"security-assessment\"\nstatus = \"approved\"\napproved_on = 2025-03-01\napplied_on = \"2024-10-01\"\n"
        );
        let p = Profile::parse(&ok).unwrap();
        assert_eq!(
            p.flows[0].mechanism.approved_on,
            NaiveDate::from_ymd_opt(2025, 3, 1)
        );
        assert_eq!(
            p.flows[0].mechanism.applied_on,
            NaiveDate::from_ymd_opt(2024, 10, 1)
        );
        let missing = format!(
            "{MINIMAL}[flow.mechanism]\nkind = \"security-assessment\"\nstatus = \"approved\"\n"
        );
        let e = format!("{:#}", Profile::parse(&missing).unwrap_err());
        assert!(e.contains("approved_on"), "{e}");
        let bad = format!("{MINIMAL}[flow.mechanism]\napplied_on = \"March\"\n");
        assert!(Profile::parse(&bad).is_err());
    }

    #[test]
    fn duplicate_flows_and_ftz_without_zone_are_errors() {
        let dup = format!("{MINIMAL}{}", &MINIMAL[MINIMAL.find("[[flow]]").unwrap()..]);
        assert!(format!("{:#}", Profile::parse(&dup).unwrap_err()).contains("twice"));
        let ftz = MINIMAL.replace(
            "purpose = \"customer service\"",
            "purpose = \"x\"\nexemption = \"ftz-negative-list\"",
        );
        assert!(format!("{:#}", Profile::parse(&ftz).unwrap_err()).contains("free_trade_zone"));
    }

    #[test]
    fn globs_match_paths_as_written_or_relative_to_a_root() {
        let m = SourceMatcher::new(&["text/*.log".to_string()]).unwrap();
        let roots = vec!["fixtures".to_string()];
        assert!(m.matches("fixtures/text/app.log", &roots));
        assert!(!m.matches("fixtures/text/app.txt", &roots));
        assert!(!m.matches("other/text/app.log", &roots));
        let m = SourceMatcher::new(&["**/app.log".to_string()]).unwrap();
        assert!(m.matches("/abs/fixtures/text/app.log", &[]));
    }
}
