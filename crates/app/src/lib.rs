//! Puente use cases. Each takes a [`Clock`] (time is a parameter) and works through the
//! [`puente_store::Store`]; nothing here knows HTTP.

pub mod accounts;
pub mod applications;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod clock;
pub mod ingest;
pub mod mail;
pub mod notices;
pub mod oversight;
pub mod reports;
pub mod search;
pub mod student;
pub mod submit;
pub mod tokens;
pub mod worklists;

use std::sync::Arc;

pub use authz::Actor;
pub use clock::{Clock, FixedClock, SystemClock};
use puente_store::Store;

/// Errors of the use cases, mapped to HTTP in one place in `web`.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The store's own message (no "storage:" prefix: the CLI prints the error chain, which
    /// would repeat it).
    #[error(transparent)]
    Store(#[from] puente_store::StoreError),
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("invalid input: {0}")]
    Invalid(String),
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// The application: storage, clock and the in-memory linkage index.
pub struct App {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    /// Authentication policy (timeouts, lockout, password rules).
    pub auth: auth::AuthPolicy,
    /// Working days per worklist level (district, regional, state).
    pub worklists: worklists::WorklistPolicy,
    /// Link lifetimes and paperwork retention of account applications.
    pub applications: applications::ApplicationPolicy,
    /// Clocks of notices, data requests and correction requests.
    pub notices: notices::NoticePolicy,
    /// Retry policy of the e-mail outbox.
    pub outbox: mail::OutboxPolicy,
    /// The portal's public address, for links in e-mails.
    pub public_url: String,
    /// Built on first use (a submission, a merge or split, a near-match decision), not at
    /// start: search, records and reports never need it, and at a million children it takes
    /// minutes and gigabytes to build. `puente serve` warms it in the background.
    pub(crate) linker: tokio::sync::Mutex<Option<ingest::LinkIndex>>,
    /// Held while a report brings its kept rows up to date (one refresh at a time).
    pub(crate) report_refresh: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("backend", &self.store.backend())
            .finish()
    }
}

impl App {
    /// Builds the application over a migrated store (the linkage index is built on first use).
    pub async fn new(store: Store, clock: Arc<dyn Clock>) -> Result<App> {
        Ok(App {
            store,
            clock,
            auth: auth::AuthPolicy::default(),
            worklists: worklists::WorklistPolicy::default(),
            applications: applications::ApplicationPolicy::default(),
            notices: notices::NoticePolicy::default(),
            outbox: mail::OutboxPolicy::default(),
            public_url: "http://127.0.0.1:8080".into(),
            linker: tokio::sync::Mutex::new(None),
            report_refresh: tokio::sync::Mutex::new(()),
        })
    }

    /// The linkage index, locked; built from the store if this is its first use.
    pub(crate) async fn link_index(
        &self,
    ) -> Result<tokio::sync::MappedMutexGuard<'_, ingest::LinkIndex>> {
        let mut guard = self.linker.lock().await;
        if guard.is_none() {
            *guard = Some(ingest::LinkIndex::load(&self.store).await?);
        }
        Ok(tokio::sync::MutexGuard::map(guard, |index| {
            index.get_or_insert_with(ingest::LinkIndex::empty)
        }))
    }

    /// Builds the linkage index now (a server calls this in the background at start, so the
    /// first upload does not wait for it). Returns the number of children indexed.
    pub async fn warm_link_index(&self) -> Result<usize> {
        Ok(self.link_index().await?.num_children())
    }

    /// Whether the service can answer: the database responds.
    pub async fn health(&self) -> bool {
        self.store.ping().await.is_ok()
    }

    /// Whole-exchange counts.
    pub async fn stats(&self) -> Result<puente_store::Stats> {
        Ok(self.store.stats().await?)
    }
}
