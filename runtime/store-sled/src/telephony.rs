//! SIP trunks and routed numbers.
//!
//! | tree | key | value |
//! |---|---|---|
//! | `trunks` | trunk name | JSON [`Trunk`], password included |
//! | `numbers` | E.164 number (`+8613800138000`) | JSON [`RoutedNumber`] |
//!
//! Neither is per tenant: the operator owns them. Both are small (a few trunks, at most
//! thousands of numbers), so listings read the whole tree.
//!
//! A trunk record holds its digest password in the clear (answering a challenge needs it),
//! so a trunk that cannot be decoded is reported without serde's message, which may quote
//! the stored text.

use super::keys::{backend, corrupt, from_json, refuse, to_json, valid_name};
use huashu_store::{RoutedNumber, StoreError, Trunk, normalize_e164};

pub struct TelephonyTrees {
    pub trunks: sled::Tree,
    pub numbers: sled::Tree,
}

/// A stored trunk, or `Corrupt` naming it and where its JSON breaks, never what it says.
fn decode_trunk(bytes: &[u8], name: &str) -> Result<Trunk, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| {
        corrupt(
            format!("trunk {name}"),
            format!(
                "not a trunk record ({:?} error at line {} column {})",
                e.classify(),
                e.line(),
                e.column()
            ),
        )
    })
}

/// Whether `number` is a key of the `numbers` tree: E.164 exactly as normalized.
fn number_key(number: &str) -> bool {
    normalize_e164(number).as_deref() == Some(number)
}

impl TelephonyTrees {
    pub fn put_trunk(&self, trunk: &Trunk) -> Result<(), StoreError> {
        if !valid_name(&trunk.name) {
            return Err(refuse("trunk name", &trunk.name));
        }
        self.trunks
            .insert(trunk.name.as_bytes(), to_json(trunk)?)
            .map_err(backend)?;
        Ok(())
    }

    pub fn trunk(&self, name: &str) -> Result<Option<Trunk>, StoreError> {
        if !valid_name(name) {
            return Ok(None);
        }
        self.trunks
            .get(name.as_bytes())
            .map_err(backend)?
            .map(|v| decode_trunk(&v, name))
            .transpose()
    }

    /// Ordered by name.
    pub fn list_trunks(&self) -> Result<Vec<Trunk>, StoreError> {
        self.trunks
            .iter()
            .map(|entry| {
                let (key, value) = entry.map_err(backend)?;
                decode_trunk(&value, &String::from_utf8_lossy(&key))
            })
            .collect()
    }

    /// Whether there was such a trunk.
    pub fn delete_trunk(&self, name: &str) -> Result<bool, StoreError> {
        if !valid_name(name) {
            return Ok(false);
        }
        Ok(self
            .trunks
            .remove(name.as_bytes())
            .map_err(backend)?
            .is_some())
    }

    pub fn put_number(&self, route: &RoutedNumber) -> Result<(), StoreError> {
        if !number_key(&route.number) {
            return Err(StoreError::Backend(format!(
                "number {:?} cannot be stored: numbers are stored in E.164",
                route.number
            )));
        }
        if !valid_name(&route.tenant_id) {
            return Err(refuse("tenant id", &route.tenant_id));
        }
        self.numbers
            .insert(route.number.as_bytes(), to_json(route)?)
            .map_err(backend)?;
        Ok(())
    }

    pub fn number(&self, number: &str) -> Result<Option<RoutedNumber>, StoreError> {
        if !number_key(number) {
            return Ok(None);
        }
        self.numbers
            .get(number.as_bytes())
            .map_err(backend)?
            .map(|v| from_json(&v, || format!("number {number}")))
            .transpose()
    }

    /// Ordered by number, as text.
    pub fn list_numbers(&self) -> Result<Vec<RoutedNumber>, StoreError> {
        self.numbers
            .iter()
            .map(|entry| {
                let (key, value) = entry.map_err(backend)?;
                from_json(&value, || {
                    format!("number {}", String::from_utf8_lossy(&key))
                })
            })
            .collect()
    }

    /// Whether the number had a route.
    pub fn delete_number(&self, number: &str) -> Result<bool, StoreError> {
        if !number_key(number) {
            return Ok(false);
        }
        Ok(self
            .numbers
            .remove(number.as_bytes())
            .map_err(backend)?
            .is_some())
    }
}

#[cfg(test)]
mod tests {
    use crate::SledStore;
    use huashu_store::{RoutedNumber, SipTransport, Store, StoreError, Trunk, TrunkCodec};

    fn trunk(name: &str) -> Trunk {
        let mut trunk = Trunk::new(name, "sip.carrier.example");
        trunk.transport = SipTransport::Tcp;
        trunk.outbound_proxy = Some("proxy.carrier.example:5070".into());
        trunk.username = Some("1001".into());
        trunk.password = Some("s3cret-digest-pw".into());
        trunk.caller_ids = vec!["+8613800138000".into()];
        trunk.codecs = vec![TrunkCodec::Pcmu];
        trunk.tenants = vec!["t_01".into()];
        trunk.created_at_ms = 5;
        trunk.updated_at_ms = 6;
        trunk
    }

    fn route(number: &str, tenant_id: &str) -> RoutedNumber {
        RoutedNumber {
            number: number.into(),
            tenant_id: tenant_id.into(),
            module: "inbound".into(),
            updated_at_ms: 7,
        }
    }

    #[test]
    fn trunks_are_stored_with_their_password_replaced_listed_by_name_and_deleted() {
        let store = SledStore::temporary().unwrap();
        for name in ["carrier-b", "carrier-a", "carrier-c"] {
            store.put_trunk(&trunk(name)).unwrap();
        }
        assert_eq!(store.trunk("carrier-a").unwrap(), Some(trunk("carrier-a")));
        let mut changed = trunk("carrier-a");
        changed.password = None;
        changed.max_channels = 120;
        store.put_trunk(&changed).unwrap();
        assert_eq!(store.trunk("carrier-a").unwrap(), Some(changed));
        let names: Vec<_> = store
            .list_trunks()
            .unwrap()
            .into_iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(names, ["carrier-a", "carrier-b", "carrier-c"]);
        assert!(store.delete_trunk("carrier-b").unwrap());
        assert!(!store.delete_trunk("carrier-b").unwrap());
        assert_eq!(store.trunk("carrier-b").unwrap(), None);
        assert_eq!(store.trunk("../carrier-a").unwrap(), None);
        assert!(!store.delete_trunk("a/b").unwrap());
        assert!(store.put_trunk(&trunk("a/b")).is_err());
        assert_eq!(store.list_trunks().unwrap().len(), 2);
    }

    #[test]
    fn numbers_are_routed_by_e164_rerouted_listed_and_deleted() {
        let store = SledStore::temporary().unwrap();
        store.put_number(&route("+8613800138000", "t_01")).unwrap();
        store.put_number(&route("+14155550100", "t_01")).unwrap();
        store.put_number(&route("+8613800138000", "t_02")).unwrap();
        assert_eq!(
            store.number("+8613800138000").unwrap(),
            Some(route("+8613800138000", "t_02"))
        );
        let numbers: Vec<_> = store
            .list_numbers()
            .unwrap()
            .into_iter()
            .map(|r| r.number)
            .collect();
        assert_eq!(numbers, ["+14155550100", "+8613800138000"]);
        // Only the normalized form is a key.
        assert_eq!(store.number("008613800138000").unwrap(), None);
        assert!(!store.delete_number("+86 138 0013 8000").unwrap());
        assert!(store.put_number(&route("13800138000", "t_01")).is_err());
        assert!(store.put_number(&route("+8613800138001", "t/01")).is_err());
        assert!(store.delete_number("+8613800138000").unwrap());
        assert!(!store.delete_number("+8613800138000").unwrap());
        assert_eq!(store.number("+8613800138000").unwrap(), None);
    }

    #[test]
    fn trunks_and_numbers_survive_closing_and_reopening_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = SledStore::open(dir.path()).unwrap();
            store.put_trunk(&trunk("carrier-a")).unwrap();
            store.put_number(&route("+8613800138000", "t_01")).unwrap();
        }
        let store = SledStore::open(dir.path()).unwrap();
        assert_eq!(store.trunk("carrier-a").unwrap(), Some(trunk("carrier-a")));
        assert_eq!(
            store.number("+8613800138000").unwrap(),
            Some(route("+8613800138000", "t_01"))
        );
    }

    #[test]
    fn the_stored_record_spells_enums_in_lowercase() {
        let store = SledStore::temporary().unwrap();
        store.put_trunk(&trunk("carrier-a")).unwrap();
        let raw = store.telephony.trunks.get("carrier-a").unwrap().unwrap();
        let json: serde_json::Value = serde_json::from_slice(&raw).unwrap();
        assert_eq!(json["transport"], "tcp");
        assert_eq!(json["codecs"], serde_json::json!(["pcmu"]));
    }

    #[test]
    fn a_corrupt_trunk_is_reported_without_quoting_its_password() {
        let store = SledStore::temporary().unwrap();
        let mut record = serde_json::to_value(trunk("carrier-a")).unwrap();
        record["max_channels"] = serde_json::json!("s3cret-digest-pw");
        store
            .telephony
            .trunks
            .insert("carrier-a", serde_json::to_vec(&record).unwrap())
            .unwrap();
        for error in [
            store.trunk("carrier-a").unwrap_err(),
            store.list_trunks().unwrap_err(),
        ] {
            match &error {
                StoreError::Corrupt { what, .. } => assert_eq!(what, "trunk carrier-a"),
                other => panic!("expected corrupt, got {other:?}"),
            }
            assert!(!error.to_string().contains("s3cret"), "{error}");
        }
    }
}
