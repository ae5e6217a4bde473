//! The origins a tenant's scripts may send HTTP requests to: the operator's list (set with
//! the tenant, see [`tenants`](super::tenants)), the tenant's narrowing of it
//! (`GET`/`PUT /v1/http/allowlist`), and the list that applies, computed by the calls
//! stage's [`effective_allowlist`] so that what a tenant reads here is what its calls use.
//!
//! The store keeps plain strings; everything here parses them with the outbound HTTP
//! stage's [`Origin`] and [`AllowEntry`] before they are stored, so what is stored is
//! canonical (`https://CRM.example.com:443/` is stored as `https://crm.example.com`).
//!
//! A narrowing is checked against the operator's list when the tenant sets it, and applied
//! against the operator's list as it is when a call runs: an origin the operator no longer
//! covers simply drops out of the effective list (it is not deleted from the narrowing, and
//! comes back if the operator allows it again). Not here: matching requests against the
//! list and checking the addresses a host resolves to (the outbound HTTP stage).

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Deserializer, Serialize};

use super::AppState;
use super::auth::TenantAuth;
use super::blocking::off_worker;
use super::error::{ApiError, ApiResult};
use super::extract::Json;
use huashu_calls::effective_allowlist;
use huashu_outbound_http::{AllowEntry, Allowlist, AllowlistError, Origin};
use huashu_store::{HttpAllowEntry, Tenant};

/// Most entries in an operator's list for one tenant, and most origins in a tenant's
/// narrowing. A tenant's scripts call a handful of backends; every request is matched
/// against the whole list, and 100 keeps that and the tenant record small.
pub const MAX_ALLOWLIST_ENTRIES: usize = 100;

/// The operator's entries for the tenant, as the outbound HTTP stage reads them (entries
/// that do not parse cannot have been stored by this API, and are left out as the calls
/// stage leaves them out).
fn operator_allowlist(tenant: &Tenant) -> Allowlist {
    Allowlist::new(
        tenant
            .http_allowlist
            .iter()
            .filter_map(|entry| {
                Some(AllowEntry {
                    origin: entry.origin.parse().ok()?,
                    private_network: entry.private_network,
                })
            })
            .collect(),
    )
}

/// One operator entry as the API takes it: `{"origin": "…", "private_network": true}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowEntryInput {
    origin: String,
    #[serde(default)]
    private_network: bool,
}

/// 422 `invalid_allowlist`, naming the field that holds the refused origin.
fn invalid(field: &str, error: &AllowlistError) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_allowlist",
        format!("`{field}`: {error}"),
    )
}

fn too_long(field: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_allowlist",
        format!("`{field}` may hold at most {MAX_ALLOWLIST_ENTRIES} entries"),
    )
}

/// The operator's entries, parsed and written back canonically; 422 naming the first entry
/// that is not an origin.
pub fn parse_operator_entries(entries: Vec<AllowEntryInput>) -> ApiResult<Vec<HttpAllowEntry>> {
    if entries.len() > MAX_ALLOWLIST_ENTRIES {
        return Err(too_long("http_allowlist"));
    }
    entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| {
            let origin: Origin = entry
                .origin
                .parse()
                .map_err(|e| invalid(&format!("http_allowlist[{i}].origin"), &e))?;
            Ok(HttpAllowEntry {
                origin: origin.to_string(),
                private_network: entry.private_network,
            })
        })
        .collect()
}

/// An entry as answered: the origin and, always, whether it may be on a private network.
#[derive(Debug, Serialize)]
pub struct EntryView {
    origin: String,
    private_network: bool,
}

impl From<&AllowEntry> for EntryView {
    fn from(entry: &AllowEntry) -> Self {
        Self {
            origin: entry.origin.to_string(),
            private_network: entry.private_network,
        }
    }
}

/// `GET /v1/http/allowlist`.
#[derive(Debug, Serialize)]
pub struct AllowlistView {
    /// The operator's entries for this tenant.
    operator: Vec<EntryView>,
    /// The tenant's narrowing, as it set it; `null` when it uses the operator's list.
    narrowed: Option<Vec<String>>,
    /// What its scripts may reach now.
    effective: Vec<EntryView>,
}

fn view(tenant: &Tenant) -> AllowlistView {
    AllowlistView {
        operator: tenant
            .http_allowlist
            .iter()
            .map(|entry| EntryView {
                origin: entry.origin.clone(),
                private_network: entry.private_network,
            })
            .collect(),
        narrowed: tenant.http_origins.clone(),
        effective: effective_allowlist(tenant)
            .entries()
            .iter()
            .map(EntryView::from)
            .collect(),
    }
}

pub async fn get(TenantAuth { tenant }: TenantAuth) -> JsonResponse<AllowlistView> {
    JsonResponse(view(&tenant))
}

/// `PUT /v1/http/allowlist`: `{"origins": [...]}` narrows, `{"origins": null}` resets.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Narrowing {
    /// Required, and may be `null`.
    #[serde(deserialize_with = "nullable")]
    origins: Option<Vec<String>>,
}

/// A field that must be present but may be `null`.
fn nullable<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    Option::deserialize(d)
}

/// The tenant's origins, parsed, each checked against the operator's list, written back
/// canonically and without repeats; 422 naming the first one refused.
fn check_narrowing(tenant: &Tenant, origins: Vec<String>) -> ApiResult<Vec<String>> {
    if origins.len() > MAX_ALLOWLIST_ENTRIES {
        return Err(too_long("origins"));
    }
    let operator = operator_allowlist(tenant);
    let mut checked: Vec<String> = Vec::with_capacity(origins.len());
    for (i, text) in origins.iter().enumerate() {
        let field = format!("origins[{i}]");
        let origin: Origin = text.parse().map_err(|e| invalid(&field, &e))?;
        operator
            .narrowed(std::slice::from_ref(&origin))
            .map_err(|e| invalid(&field, &e))?;
        let canonical = origin.to_string();
        if !checked.contains(&canonical) {
            checked.push(canonical);
        }
    }
    Ok(checked)
}

pub async fn put(
    TenantAuth { mut tenant }: TenantAuth,
    State(state): State<AppState>,
    Json(body): Json<Narrowing>,
) -> ApiResult<JsonResponse<AllowlistView>> {
    tenant.http_origins = match body.origins {
        Some(origins) => Some(check_narrowing(&tenant, origins)?),
        None => None,
    };
    let (store, updated) = (state.store.clone(), tenant.clone());
    off_worker(move || store.update_tenant(&updated)).await?;
    Ok(JsonResponse(view(&tenant)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use huashu_store::Quotas;

    fn tenant(operator: &[(&str, bool)], narrowed: Option<&[&str]>) -> Tenant {
        Tenant {
            id: "t_1".into(),
            name: "Acme".into(),
            created_at_ms: 0,
            disabled: false,
            quotas: Quotas::default(),
            record_calls: false,
            http_allowlist: operator
                .iter()
                .map(|(origin, private_network)| HttpAllowEntry {
                    origin: (*origin).into(),
                    private_network: *private_network,
                })
                .collect(),
            http_origins: narrowed.map(|list| list.iter().map(|o| (*o).into()).collect()),
            language: None,
        }
    }

    /// The effective list as `GET /v1/http/allowlist` answers it.
    fn effective(tenant: &Tenant) -> Vec<(String, bool)> {
        view(tenant)
            .effective
            .into_iter()
            .map(|e| (e.origin, e.private_network))
            .collect()
    }

    #[test]
    fn without_a_narrowing_the_operators_list_applies_as_it_is() {
        let t = tenant(
            &[
                ("https://*.example.com", false),
                ("http://10.0.0.5:8080", true),
            ],
            None,
        );
        assert_eq!(
            effective(&t),
            [
                ("https://*.example.com".into(), false),
                ("http://10.0.0.5:8080".into(), true)
            ]
        );
    }

    #[test]
    fn a_narrowed_origin_the_operator_no_longer_covers_drops_out_of_the_effective_list() {
        let mut t = tenant(
            &[
                ("https://*.example.com", false),
                ("http://10.0.0.5:8080", true),
            ],
            Some(&["https://crm.example.com", "http://10.0.0.5:8080"]),
        );
        assert_eq!(
            effective(&t),
            [
                ("https://crm.example.com".into(), false),
                ("http://10.0.0.5:8080".into(), true)
            ]
        );
        t.http_allowlist.remove(0);
        assert_eq!(effective(&t), [("http://10.0.0.5:8080".into(), true)]);
    }

    #[test]
    fn an_empty_narrowing_allows_nothing() {
        let t = tenant(&[("https://crm.example.com", false)], Some(&[]));
        assert!(effective(&t).is_empty());
    }

    #[test]
    fn operator_entries_are_stored_canonically_and_a_bad_one_is_named_by_its_field() {
        let parsed = parse_operator_entries(vec![AllowEntryInput {
            origin: "HTTPS://CRM.Example.com:443/".into(),
            private_network: false,
        }])
        .expect("an origin");
        assert_eq!(parsed[0].origin, "https://crm.example.com");
        let refused = parse_operator_entries(vec![
            AllowEntryInput {
                origin: "https://crm.example.com".into(),
                private_network: false,
            },
            AllowEntryInput {
                origin: "https://crm.example.com/v1".into(),
                private_network: true,
            },
        ])
        .expect_err("a path is not an origin");
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused.message.starts_with("`http_allowlist[1].origin`:"),
            "{}",
            refused.message
        );
    }

    #[test]
    fn a_narrowing_wider_than_the_operators_list_is_refused_naming_the_origin() {
        let t = tenant(&[("https://*.example.com", false)], None);
        let checked = check_narrowing(
            &t,
            vec![
                "https://CRM.example.com".into(),
                "https://crm.example.com".into(),
            ],
        )
        .expect("covered");
        assert_eq!(checked, ["https://crm.example.com"]);
        let refused = check_narrowing(
            &t,
            vec!["https://a.example.com".into(), "https://evil.net".into()],
        )
        .expect_err("not covered");
        assert!(
            refused.message.contains("`origins[1]`"),
            "{}",
            refused.message
        );
        assert!(
            refused.message.contains("https://evil.net"),
            "{}",
            refused.message
        );
    }
}
