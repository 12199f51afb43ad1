//! Per-test databases on either backend. The backend comes from `PUENTE_TEST_BACKEND`
//! (`sqlite`, the default, or `postgres`); PostgreSQL tests get a fresh database each, created
//! through the admin URL in `PUENTE_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).

use anyhow::Context;
use puente_store::Store;
use sqlx::Connection;

/// Default admin URL of the local PostgreSQL server.
pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A migrated store that lives as long as this value (its SQLite directory is removed on drop).
#[derive(Debug)]
pub struct TestDb {
    pub store: Store,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

/// Which backend the tests run on.
pub fn backend_name() -> String {
    std::env::var("PUENTE_TEST_BACKEND").unwrap_or_else(|_| "sqlite".into())
}

/// A fresh, migrated database on the configured backend.
pub async fn test_db() -> anyhow::Result<TestDb> {
    match backend_name().as_str() {
        "postgres" => postgres_db().await,
        _ => sqlite_db().await,
    }
}

/// A fresh, migrated SQLite database in a temporary directory.
pub async fn sqlite_db() -> anyhow::Result<TestDb> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("puente.db").display());
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    Ok(TestDb {
        store,
        url,
        _dir: Some(dir),
    })
}

/// A fresh, migrated PostgreSQL database (named `puente_t_<uuid>`).
pub async fn postgres_db() -> anyhow::Result<TestDb> {
    let admin = std::env::var("PUENTE_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.into());
    let name = format!("puente_t_{}", uuid::Uuid::now_v7().simple());
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .context("connect to the PostgreSQL admin URL")?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b.to_string())
        .unwrap_or(admin.clone());
    let url = format!("{base}/{name}");
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    Ok(TestDb {
        store,
        url,
        _dir: None,
    })
}

/// Runs one raw SQL statement on the store's write connection: for tests that break the schema
/// on purpose (a table that cannot be written) to prove that nothing is half-written.
pub async fn exec(store: &puente_store::Store, sql: &str) -> anyhow::Result<()> {
    match store {
        puente_store::Store::Sqlite { write, .. } => {
            sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(write)
                .await?;
        }
        puente_store::Store::Postgres(p) => {
            sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(p)
                .await?;
        }
    }
    Ok(())
}
