//! SIP trunks (with their digest passwords) and routed numbers: one JSON row each in
//! `trunks` and `numbers`, keyed by name and by E.164 number.

use huashu_store::{RoutedNumber, StoreError, Trunk};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::sql::{backend, from_json, to_json};
use crate::worker::Worker;

/// The two tables, which differ only in name and key column.
#[derive(Debug, Clone, Copy)]
pub enum Table {
    /// `trunks`, keyed by name.
    Trunks,
    /// `numbers`, keyed by number.
    Numbers,
}

impl Table {
    fn sql(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Table::Trunks => (
                "INSERT INTO trunks (name, doc) VALUES ($1, $2)
                 ON CONFLICT (name) DO UPDATE SET doc = EXCLUDED.doc",
                "SELECT doc FROM trunks WHERE name = $1",
                "SELECT doc FROM trunks ORDER BY name",
                "DELETE FROM trunks WHERE name = $1",
            ),
            Table::Numbers => (
                "INSERT INTO numbers (number, doc) VALUES ($1, $2)
                 ON CONFLICT (number) DO UPDATE SET doc = EXCLUDED.doc",
                "SELECT doc FROM numbers WHERE number = $1",
                "SELECT doc FROM numbers ORDER BY number",
                "DELETE FROM numbers WHERE number = $1",
            ),
        }
    }

    fn what(self) -> &'static str {
        match self {
            Table::Trunks => "trunk",
            Table::Numbers => "number",
        }
    }
}

/// Creates or replaces the row of `key`.
pub fn put<T: Serialize>(
    worker: &Worker,
    table: Table,
    key: &str,
    value: &T,
) -> Result<(), StoreError> {
    let (key, doc) = (key.to_owned(), to_json(value)?);
    worker.run(move |client| async move {
        client
            .execute(table.sql().0, &[&key, &doc])
            .await
            .map_err(backend)?;
        Ok(())
    })
}

pub fn get<T: DeserializeOwned + Send + 'static>(
    worker: &Worker,
    table: Table,
    key: &str,
) -> Result<Option<T>, StoreError> {
    if key.contains('\0') {
        return Ok(None);
    }
    let key = key.to_owned();
    worker.run(move |client| async move {
        let row = client
            .query_opt(table.sql().1, &[&key])
            .await
            .map_err(backend)?;
        row.map(|row| from_json(row.get(0), || format!("{} {key}", table.what())))
            .transpose()
    })
}

pub fn list<T: DeserializeOwned + Send + 'static>(
    worker: &Worker,
    table: Table,
) -> Result<Vec<T>, StoreError> {
    worker.run(move |client| async move {
        let rows = client.query(table.sql().2, &[]).await.map_err(backend)?;
        rows.iter()
            .map(|row| from_json(row.get(0), || format!("a stored {}", table.what())))
            .collect()
    })
}

/// Whether the row existed.
pub fn delete(worker: &Worker, table: Table, key: &str) -> Result<bool, StoreError> {
    if key.contains('\0') {
        return Ok(false);
    }
    let key = key.to_owned();
    worker.run(move |client| async move {
        let deleted = client
            .execute(table.sql().3, &[&key])
            .await
            .map_err(backend)?;
        Ok(deleted == 1)
    })
}

/// Creates or replaces the trunk named `trunk.name`.
pub fn put_trunk(worker: &Worker, trunk: &Trunk) -> Result<(), StoreError> {
    put(worker, Table::Trunks, &trunk.name, trunk)
}

/// Creates or replaces the route of `number.number`.
pub fn put_number(worker: &Worker, number: &RoutedNumber) -> Result<(), StoreError> {
    put(worker, Table::Numbers, &number.number, number)
}
