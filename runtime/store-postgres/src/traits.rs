//! The storage traits on [`PgStore`]: each method hands its work to the part that owns
//! it ([`tenants`](crate::tenants), [`modules`](crate::modules), …). No query is written
//! here.

use huashu_store::{
    ApiKey, AuditEntry, CallDeletion, CallFilter, CallSummary, KeyValueStore, KvEntry, KvError,
    ModuleSummary, ModuleVersion, Page, PageRequest, PromptMeta, RoutedNumber, SecretError,
    SecretInfo, SecretStore, Store, StoreError, Tenant, Trunk,
};

use crate::PgStore;
use crate::modules::Column;
use crate::telephony::Table;
use crate::{calls, deletion, kv, modules, prompts, secrets, telephony, tenants};

impl Store for PgStore {
    fn operator_token_sha256(&self) -> Result<Option<String>, StoreError> {
        tenants::operator_token_sha256(&self.worker)
    }

    fn set_operator_token_sha256(&self, sha256: &str) -> Result<(), StoreError> {
        tenants::set_operator_token_sha256(&self.worker, sha256)
    }

    fn create_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        tenants::create(&self.worker, tenant)
    }

    fn tenant(&self, id: &str) -> Result<Option<Tenant>, StoreError> {
        tenants::get(&self.worker, id)
    }

    fn update_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        tenants::update(&self.worker, tenant)
    }

    fn list_tenants(&self, page: &PageRequest) -> Result<Page<Tenant>, StoreError> {
        tenants::list(&self.worker, page)
    }

    fn put_api_key(&self, key: &ApiKey) -> Result<(), StoreError> {
        tenants::put_api_key(&self.worker, key)
    }

    fn api_key_by_secret_sha256(&self, sha256: &str) -> Result<Option<ApiKey>, StoreError> {
        tenants::api_key_by_secret_sha256(&self.worker, sha256)
    }

    fn api_key(&self, id: &str) -> Result<Option<ApiKey>, StoreError> {
        tenants::api_key(&self.worker, id)
    }

    fn list_api_keys(&self, tenant_id: &str) -> Result<Vec<ApiKey>, StoreError> {
        tenants::list_api_keys(&self.worker, tenant_id)
    }

    fn add_module_version(
        &self,
        tenant_id: &str,
        name: &str,
        digest: &str,
        created_at_ms: u64,
        wasm: &[u8],
        artifact: &[u8],
    ) -> Result<ModuleVersion, StoreError> {
        let version = ModuleVersion {
            tenant_id: tenant_id.to_owned(),
            name: name.to_owned(),
            version: 0,
            digest: digest.to_owned(),
            size_bytes: wasm.len() as u64,
            created_at_ms,
        };
        modules::add_version(&self.worker, version, wasm, artifact)
    }

    fn module(&self, tenant_id: &str, name: &str) -> Result<Option<ModuleSummary>, StoreError> {
        modules::summary(&self.worker, tenant_id, name)
    }

    fn list_modules(&self, tenant_id: &str) -> Result<Vec<ModuleSummary>, StoreError> {
        modules::list(&self.worker, tenant_id)
    }

    fn pin_module_version(
        &self,
        tenant_id: &str,
        name: &str,
        version: Option<u32>,
    ) -> Result<(), StoreError> {
        modules::pin(&self.worker, tenant_id, name, version)
    }

    fn set_module_language(
        &self,
        tenant_id: &str,
        name: &str,
        language: Option<&str>,
    ) -> Result<(), StoreError> {
        modules::set_language(&self.worker, tenant_id, name, language)
    }

    fn module_wasm(
        &self,
        tenant_id: &str,
        name: &str,
        version: u32,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        modules::bytes(&self.worker, tenant_id, name, version, Column::Wasm)
    }

    fn module_artifact(
        &self,
        tenant_id: &str,
        name: &str,
        version: u32,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        modules::bytes(&self.worker, tenant_id, name, version, Column::Artifact)
    }

    fn replace_module_artifact(
        &self,
        tenant_id: &str,
        name: &str,
        version: u32,
        artifact: &[u8],
    ) -> Result<(), StoreError> {
        modules::replace_artifact(&self.worker, tenant_id, name, version, artifact)
    }

    fn put_prompt(&self, meta: &PromptMeta, wav: &[u8]) -> Result<(), StoreError> {
        prompts::put(&self.worker, meta, wav)
    }

    fn prompt(
        &self,
        tenant_id: &str,
        name: &str,
    ) -> Result<Option<(PromptMeta, Vec<u8>)>, StoreError> {
        prompts::get(&self.worker, tenant_id, name)
    }

    fn list_prompts(
        &self,
        tenant_id: &str,
        page: &PageRequest,
    ) -> Result<Page<PromptMeta>, StoreError> {
        prompts::list(&self.worker, tenant_id, page)
    }

    fn delete_prompt(&self, tenant_id: &str, name: &str) -> Result<bool, StoreError> {
        prompts::delete(&self.worker, tenant_id, name)
    }

    fn put_call(&self, summary: &CallSummary, record_json: &[u8]) -> Result<(), StoreError> {
        calls::put(&self.worker, summary, record_json)
    }

    fn call(
        &self,
        tenant_id: &str,
        call_id: &str,
    ) -> Result<Option<(CallSummary, Vec<u8>)>, StoreError> {
        calls::get(&self.worker, tenant_id, call_id)
    }

    fn list_calls(
        &self,
        tenant_id: &str,
        filter: &CallFilter,
        page: &PageRequest,
    ) -> Result<Page<CallSummary>, StoreError> {
        calls::list(&self.worker, tenant_id, filter, page)
    }

    fn live_calls(&self) -> Result<Vec<CallSummary>, StoreError> {
        calls::live(&self.worker)
    }

    fn delete_calls(
        &self,
        audit: &mut AuditEntry,
        call_ids: &[String],
    ) -> Result<Vec<CallDeletion>, StoreError> {
        deletion::delete_calls(&self.worker, audit, call_ids)
    }

    fn calls_ended_before(
        &self,
        tenant_id: &str,
        cutoff_ms: u64,
        page: &PageRequest,
    ) -> Result<Page<CallSummary>, StoreError> {
        deletion::calls_ended_before(&self.worker, tenant_id, cutoff_ms, page)
    }

    fn call_records(
        &self,
        tenant_id: &str,
        page: &PageRequest,
    ) -> Result<Page<(CallSummary, Vec<u8>)>, StoreError> {
        deletion::call_records(&self.worker, tenant_id, page)
    }

    fn put_audit_entry(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        deletion::put_audit_entry(&self.worker, entry)
    }

    fn audit_entries(
        &self,
        tenant_id: &str,
        page: &PageRequest,
    ) -> Result<Page<AuditEntry>, StoreError> {
        deletion::audit_entries(&self.worker, tenant_id, page)
    }

    fn put_recording(&self, tenant_id: &str, call_id: &str, wav: &[u8]) -> Result<(), StoreError> {
        calls::put_recording(&self.worker, tenant_id, call_id, wav)
    }

    fn recording(&self, tenant_id: &str, call_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        calls::recording(&self.worker, tenant_id, call_id)
    }

    fn put_trunk(&self, trunk: &Trunk) -> Result<(), StoreError> {
        telephony::put_trunk(&self.worker, trunk)
    }

    fn trunk(&self, name: &str) -> Result<Option<Trunk>, StoreError> {
        telephony::get(&self.worker, Table::Trunks, name)
    }

    fn list_trunks(&self) -> Result<Vec<Trunk>, StoreError> {
        telephony::list(&self.worker, Table::Trunks)
    }

    fn delete_trunk(&self, name: &str) -> Result<bool, StoreError> {
        telephony::delete(&self.worker, Table::Trunks, name)
    }

    fn put_number(&self, number: &RoutedNumber) -> Result<(), StoreError> {
        telephony::put_number(&self.worker, number)
    }

    fn number(&self, number: &str) -> Result<Option<RoutedNumber>, StoreError> {
        telephony::get(&self.worker, Table::Numbers, number)
    }

    fn list_numbers(&self) -> Result<Vec<RoutedNumber>, StoreError> {
        telephony::list(&self.worker, Table::Numbers)
    }

    fn delete_number(&self, number: &str) -> Result<bool, StoreError> {
        telephony::delete(&self.worker, Table::Numbers, number)
    }

    /// Every write committed before it returned: nothing is left to flush.
    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// The database is reachable and takes writes (not a standby).
    fn writable(&self) -> Result<(), StoreError> {
        self.worker.writable()
    }
}

impl SecretStore for PgStore {
    fn put_secret(&self, tenant_id: &str, name: &str, value: &str) -> Result<bool, SecretError> {
        secrets::put(&self.worker, tenant_id, name, value)
    }

    fn delete_secret(&self, tenant_id: &str, name: &str) -> Result<bool, StoreError> {
        secrets::delete(&self.worker, tenant_id, name)
    }

    fn list_secrets(&self, tenant_id: &str) -> Result<Vec<SecretInfo>, StoreError> {
        secrets::list(&self.worker, tenant_id)
    }

    fn secret_value(&self, tenant_id: &str, name: &str) -> Result<Option<String>, StoreError> {
        secrets::value(&self.worker, tenant_id, name)
    }
}

impl KeyValueStore for PgStore {
    fn get(&self, tenant: &str, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        kv::get(&self.worker, tenant, key)
    }

    fn set(&self, tenant: &str, key: &str, value: &[u8]) -> Result<(), KvError> {
        kv::set(&self.worker, tenant, key, value)
    }

    fn delete(&self, tenant: &str, key: &str) -> Result<(), KvError> {
        kv::delete(&self.worker, tenant, key)
    }

    fn list(
        &self,
        tenant: &str,
        prefix: &str,
        page: &PageRequest,
    ) -> Result<Page<KvEntry>, KvError> {
        kv::list(&self.worker, tenant, prefix, page)
    }

    fn used_bytes(&self, tenant: &str) -> Result<u64, KvError> {
        kv::used_bytes(&self.worker, tenant)
    }
}
