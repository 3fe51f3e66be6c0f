//! Re-matching after a knowledge-base update: every published product's components go
//! through the engine's matcher again (the same code `assess` runs, not a copy); the
//! stored vulnerabilities are replaced and products that gained a known-exploited
//! vulnerability are flagged. The label and the log are untouched: they record what
//! was stated at publication.

use std::collections::BTreeSet;

use crate::Error;
use crate::store::Store;

/// What a re-match did.
#[derive(Debug, Default)]
pub struct RematchReport {
    pub products: u64,
    /// (label id, known-exploited ids gained).
    pub flagged: Vec<(String, Vec<String>)>,
}

pub async fn rematch(
    store: &Store,
    engine: &baseliner_engine::Engine,
) -> Result<RematchReport, Error> {
    let mut report = RematchReport::default();
    for id in store.all_ids().await? {
        let Some((_, text)) = store.documents(&id).await? else {
            continue;
        };
        let a: baseliner_model::Assessment = serde_json::from_str(&text)
            .map_err(|e| Error::Db(format!("stored assessment {id}: {e}")))?;
        let Some(matches) =
            tokio::task::block_in_place(|| engine.vulnerabilities(&a.components, None))
                .map_err(|e| Error::Db(e.to_string()))?
        else {
            return Err(Error::Invalid(
                "no vulnerability knowledge base: run `baseliner db update` or give --kb".into(),
            ));
        };
        let before: BTreeSet<String> = store
            .vulns(&id)
            .await?
            .into_iter()
            .filter(|v| v.3)
            .map(|v| v.0)
            .collect();
        let stated: BTreeSet<String> = a
            .vulnerabilities
            .iter()
            .filter(|v| v.kev)
            .map(|v| v.id.to_string())
            .collect();
        let rows: Vec<(String, String, String, bool)> = matches
            .iter()
            .filter(|m| m.may_affect())
            .map(|m| {
                (
                    m.id.to_string(),
                    m.component.to_string(),
                    m.version.to_string(),
                    m.kev,
                )
            })
            .collect();
        let gained: Vec<String> = rows
            .iter()
            .filter(|r| r.3 && !stated.contains(&r.0))
            .map(|r| r.0.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let _ = before;
        store.replace_vulns(&id, &rows, &gained).await?;
        store.bump_generation().await?;
        report.products += 1;
        if !gained.is_empty() {
            report.flagged.push((id, gained));
        }
    }
    Ok(report)
}
