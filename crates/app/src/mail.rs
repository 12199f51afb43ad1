//! E-mail through a transactional outbox (see `docs/notices.md`).
//!
//! - An action that causes e-mail writes the rendered messages to `outbox` in the same
//!   transaction as the action itself ([`App::queue_mail`] on the action's `Tx`): a rolled-back
//!   action sends nothing, a committed one is never lost.
//! - [`App::deliver_outbox`] sends what is due over SMTP with lettre, leasing each row so two
//!   workers never send it at once; a transient failure (connection refused, timeout, 4xx) is
//!   retried with exponential backoff, a permanent refusal (5xx) or too many attempts marks the
//!   row `failed` (visible in [`App::outbox_status`] and `puente mail outbox`).
//! - Messages are bilingual templates chosen by the recipient's language and carry a link to sign
//!   in, never the child's record or name.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use puente_domain::roles::Capability;
use puente_store::{OutboxCounts, OutboxRow, Tx, new_id};

use crate::authz::Actor;
use crate::{App, AppError, Result};

/// Outbox statuses.
pub const QUEUED: &str = "queued";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";

/// Retry policy of the outbox worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxPolicy {
    /// Delay before the first retry; doubles with each attempt.
    pub base_delay_secs: i64,
    /// Longest delay between attempts.
    pub max_delay_secs: i64,
    /// Attempts before a message is marked failed.
    pub max_attempts: i64,
    /// How long a worker holds a message while sending it.
    pub lease_secs: i64,
    /// Messages per delivery round.
    pub batch: i64,
}

impl Default for OutboxPolicy {
    fn default() -> Self {
        Self {
            base_delay_secs: 60,
            max_delay_secs: 3600,
            max_attempts: 30,
            lease_secs: 120,
            batch: 100,
        }
    }
}

impl OutboxPolicy {
    /// Delay after the `attempts`-th failed attempt: base x 2^(attempts-1), at most the maximum.
    pub fn backoff(&self, attempts: i64) -> chrono::Duration {
        let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        let secs = self
            .base_delay_secs
            .saturating_mul(2i64.saturating_pow(exp))
            .min(self.max_delay_secs);
        chrono::Duration::seconds(secs)
    }
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SmtpSecurity {
    /// Plain text (a local relay or a test sink only).
    None,
    /// STARTTLS (usually port 587).
    #[default]
    StartTls,
    /// TLS from the start (usually port 465).
    Tls,
}

impl SmtpSecurity {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "none" | "plain" => Some(SmtpSecurity::None),
            "starttls" => Some(SmtpSecurity::StartTls),
            "tls" | "smtps" => Some(SmtpSecurity::Tls),
            _ => None,
        }
    }
}

/// SMTP settings.
#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    /// The sender, e.g. `Puente <no-reply@puente.example>`.
    pub from: String,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<String>,
    pub timeout: Duration,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .finish_non_exhaustive()
    }
}

/// An SMTP client.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Mailer")
    }
}

impl Mailer {
    pub fn new(s: &SmtpSettings) -> Result<Mailer> {
        let from: Mailbox = s
            .from
            .parse()
            .map_err(|_| AppError::Invalid("the sender address is not valid".into()))?;
        let builder = match s.security {
            SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host),
            SmtpSecurity::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host)
                .map_err(|_| AppError::Invalid("the SMTP host is not valid".into()))?,
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host)
                .map_err(|_| AppError::Invalid("the SMTP host is not valid".into()))?,
        };
        let mut builder = builder.port(s.port).timeout(Some(s.timeout));
        if let (Some(u), Some(p)) = (&s.username, &s.password) {
            builder = builder.credentials(Credentials::new(u.clone(), p.clone()));
        }
        Ok(Mailer {
            transport: builder.build(),
            from,
        })
    }
}

/// What one delivery round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct DeliveryReport {
    pub sent: usize,
    /// Failed this time, to be retried later.
    pub deferred: usize,
    /// Marked failed (permanent refusal or attempts exhausted).
    pub failed: usize,
}

/// The messages Puente sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    /// `puente mail test`: checks the SMTP settings.
    Test,
    MoveNotice,
    ChangeOfResidence,
    DataRequest,
    CorrectionRequest,
    /// A data request was not acknowledged in time and escalated.
    Escalated,
    /// A new message in a notice's thread.
    Reply,
    /// The daily digest of a data administrator's new and escalated worklist items.
    WorklistDigest,
}

impl MailKind {
    pub fn template(&self) -> &'static str {
        match self {
            MailKind::Test => "test",
            MailKind::MoveNotice => "notice.move",
            MailKind::ChangeOfResidence => "notice.change_of_residence",
            MailKind::DataRequest => "notice.data_request",
            MailKind::CorrectionRequest => "notice.correction_request",
            MailKind::Escalated => "notice.escalated",
            MailKind::Reply => "notice.reply",
            MailKind::WorklistDigest => "worklist.digest",
        }
    }
}

/// What a message may say: states, a due date and a link. Never a child's name or record.
#[derive(Debug, Clone, Default)]
pub struct MailContext {
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub due_on: Option<NaiveDate>,
    /// Path under the public URL, e.g. `/notices/<id>`.
    pub path: String,
    /// Worklist digest: items new since the last digest, and items escalated to the recipient.
    pub new_items: usize,
    pub escalated_items: usize,
}

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MONTHS_ES: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];

/// `en` or `es` (anything else is English).
pub fn normalize_locale(l: Option<&str>) -> &'static str {
    match l {
        Some(l) if l.to_ascii_lowercase().starts_with("es") => "es",
        _ => "en",
    }
}

fn long_date(d: NaiveDate, locale: &str) -> String {
    let m = usize::try_from(d.month0()).unwrap_or(0);
    if locale == "es" {
        format!("{} de {} de {}", d.day(), MONTHS_ES[m % 12], d.year())
    } else {
        format!("{} {}, {}", MONTHS_EN[m % 12], d.day(), d.year())
    }
}

/// Renders a message in `locale` (`en` or `es`): (subject, plain-text body).
pub fn render(kind: MailKind, locale: &str, ctx: &MailContext, base_url: &str) -> (String, String) {
    let es = normalize_locale(Some(locale)) == "es";
    let from = ctx.from_state.as_deref().unwrap_or("-");
    let to = ctx.to_state.as_deref().unwrap_or("-");
    let (subject, lead) = match (kind, es) {
        (MailKind::Test, false) => (
            "Puente: test message".to_string(),
            "This is a test message from Puente. Your e-mail settings work.".to_string(),
        ),
        (MailKind::Test, true) => (
            "Puente: mensaje de prueba".to_string(),
            "Este es un mensaje de prueba de Puente. La configuración de correo funciona."
                .to_string(),
        ),
        (MailKind::MoveNotice, false) => (
            format!("Puente: move notice for {to}"),
            format!("{from} has sent a move notice: a migrant student is moving to {to}."),
        ),
        (MailKind::MoveNotice, true) => (
            format!("Puente: aviso de traslado para {to}"),
            format!(
                "{from} ha enviado un aviso de traslado: un estudiante migrante se muda a {to}."
            ),
        ),
        (MailKind::ChangeOfResidence, false) => (
            format!("Puente: change of residence, updates due from {to}"),
            format!(
                "A student {to} reported has enrolled in {from}. Please submit new and updated data for this student."
            ),
        ),
        (MailKind::ChangeOfResidence, true) => (
            format!("Puente: cambio de residencia, {to} debe enviar actualizaciones"),
            format!(
                "Un estudiante reportado por {to} se ha inscrito en {from}. Envíe los datos nuevos y actualizados de este estudiante."
            ),
        ),
        (MailKind::DataRequest, false) => (
            format!("Puente: data request for {to}"),
            format!("{from} has asked {to} for a student's data."),
        ),
        (MailKind::DataRequest, true) => (
            format!("Puente: solicitud de datos para {to}"),
            format!("{from} ha solicitado a {to} datos de un estudiante."),
        ),
        (MailKind::CorrectionRequest, false) => (
            format!("Puente: parent correction request for {to}"),
            format!("A parent or guardian has asked for a correction of data {to} holds."),
        ),
        (MailKind::CorrectionRequest, true) => (
            format!("Puente: solicitud de corrección de un padre para {to}"),
            format!("Un padre, madre o tutor ha solicitado corregir datos que tiene {to}."),
        ),
        (MailKind::Escalated, false) => (
            format!("Puente: data request for {to} not acknowledged"),
            format!(
                "A data request from {from} to {to} has not been acknowledged in time and has been escalated to you."
            ),
        ),
        (MailKind::Escalated, true) => (
            format!("Puente: solicitud de datos para {to} sin confirmar"),
            format!(
                "Una solicitud de datos de {from} a {to} no se confirmó a tiempo y se le ha escalado."
            ),
        ),
        (MailKind::Reply, false) => (
            "Puente: new message on a notice".to_string(),
            format!("There is a new message from {from} on a notice."),
        ),
        (MailKind::Reply, true) => (
            "Puente: nuevo mensaje en un aviso".to_string(),
            format!("Hay un mensaje nuevo de {from} en un aviso."),
        ),
        (MailKind::WorklistDigest, false) => (
            format!(
                "Puente: your worklist ({} new, {} escalated)",
                ctx.new_items, ctx.escalated_items
            ),
            format!(
                "Since your last digest, {} new {} and {} escalated {} reached your worklist.",
                ctx.new_items,
                if ctx.new_items == 1 { "item" } else { "items" },
                ctx.escalated_items,
                if ctx.escalated_items == 1 {
                    "item"
                } else {
                    "items"
                },
            ),
        ),
        (MailKind::WorklistDigest, true) => (
            format!(
                "Puente: su lista de trabajo ({} nuevos, {} escalados)",
                ctx.new_items, ctx.escalated_items
            ),
            format!(
                "Desde su último resumen llegaron a su lista de trabajo {} {} y {} {}.",
                ctx.new_items,
                if ctx.new_items == 1 {
                    "elemento nuevo"
                } else {
                    "elementos nuevos"
                },
                ctx.escalated_items,
                if ctx.escalated_items == 1 {
                    "elemento escalado"
                } else {
                    "elementos escalados"
                },
            ),
        ),
    };
    let due = ctx.due_on.map(|d| {
        if es {
            format!("\nFecha límite: {}.", long_date(d, "es"))
        } else {
            format!("\nDue by: {}.", long_date(d, "en"))
        }
    });
    let link = format!("{}{}", base_url.trim_end_matches('/'), ctx.path);
    let (sign_in, footer) = if es {
        (
            "Inicie sesión en Puente para verlo:",
            "Este mensaje no contiene datos del estudiante. No responda a este correo.",
        )
    } else {
        (
            "Sign in to Puente to see it:",
            "This message carries no student data. Please do not reply to this e-mail.",
        )
    };
    let body = format!(
        "{lead}{}\n\n{sign_in}\n{link}\n\n{footer}\n",
        due.unwrap_or_default()
    );
    (subject, body)
}

/// A recipient: e-mail address and language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub email: String,
    pub locale: String,
}

impl App {
    /// Queues one message per recipient in `tx` (the transaction of the event that causes it).
    pub(crate) async fn queue_mail(
        &self,
        tx: &mut Tx,
        kind: MailKind,
        recipients: &[Recipient],
        ctx: &MailContext,
        notice_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        for r in recipients {
            let locale = normalize_locale(Some(&r.locale));
            let (subject, body) = render(kind, locale, ctx, &self.public_url);
            tx.enqueue_mail(&OutboxRow {
                id: new_id(),
                recipient: r.email.clone(),
                locale: locale.into(),
                template: kind.template().into(),
                subject,
                body,
                notice_id: notice_id.map(str::to_owned),
                status: QUEUED.into(),
                attempts: 0,
                next_attempt_at: now,
                claimed_until: None,
                last_error: None,
                created_at: now,
                sent_at: None,
                updated_at: now,
            })
            .await?;
        }
        Ok(())
    }

    /// Queues a test message to `to` (capability `AdministerSystem`), audited.
    pub async fn queue_test_mail(&self, actor: &Actor, to: &str, locale: &str) -> Result<()> {
        actor.require(Capability::AdministerSystem)?;
        if to.parse::<Mailbox>().is_err() {
            return Err(AppError::Invalid("the address is not valid".into()));
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        self.queue_mail(
            &mut tx,
            MailKind::Test,
            &[Recipient {
                email: to.into(),
                locale: locale.into(),
            }],
            &MailContext {
                path: "/".into(),
                ..Default::default()
            },
            None,
            now,
        )
        .await?;
        tx.append_audit(
            &puente_store::NewAuditEvent {
                actor: actor.user_id.clone(),
                action: "mail.test".into(),
                source_ip: actor.source_ip.clone(),
                ..Default::default()
            },
            now,
        );
        tx.commit().await?;
        Ok(())
    }

    /// Sends every queued message that is due, once. Call it from a loop
    /// ([`spawn_outbox_worker`]) or directly in tests.
    pub async fn deliver_outbox(&self, mailer: &Mailer) -> Result<DeliveryReport> {
        let mut report = DeliveryReport::default();
        let now = self.clock.now();
        let due = self.store.due_mail(now, self.outbox.batch).await?;
        for m in due {
            let lease = now + chrono::Duration::seconds(self.outbox.lease_secs);
            if !self.store.claim_mail(&m.id, now, lease).await? {
                continue;
            }
            let attempts = m.attempts + 1;
            let outcome = match build_message(mailer, &m) {
                Ok(msg) => mailer.transport.send(msg).await.map(|_| ()).map_err(|e| {
                    let class = if e.is_permanent() {
                        "permanent"
                    } else if e.is_transient() {
                        "transient"
                    } else if e.is_timeout() {
                        "timeout"
                    } else {
                        "connection"
                    };
                    let code = e.status().map(|c| c.to_string());
                    (
                        e.is_permanent(),
                        match code {
                            Some(c) => format!("smtp {class} {c}"),
                            None => format!("smtp {class}"),
                        },
                    )
                }),
                Err(e) => Err((true, e.to_string())),
            };
            let at = self.clock.now();
            match outcome {
                Ok(()) => {
                    self.store
                        .mark_mail(&m.id, SENT, attempts, m.next_attempt_at, None, at)
                        .await?;
                    report.sent += 1;
                }
                Err((permanent, why)) => {
                    tracing::warn!(mail = %m.id, attempts, error = %why, "e-mail delivery failed");
                    if permanent || attempts >= self.outbox.max_attempts {
                        self.store
                            .mark_mail(&m.id, FAILED, attempts, m.next_attempt_at, Some(&why), at)
                            .await?;
                        report.failed += 1;
                    } else {
                        let next = at + self.outbox.backoff(attempts);
                        self.store
                            .mark_mail(&m.id, QUEUED, attempts, next, Some(&why), at)
                            .await?;
                        report.deferred += 1;
                    }
                }
            }
        }
        Ok(report)
    }

    /// Counts and the most recent messages of the outbox (capability `AdministerSystem`);
    /// `status` filters (`queued`, `sent`, `failed`).
    pub async fn outbox_status(
        &self,
        actor: &Actor,
        status: Option<&str>,
        limit: i64,
    ) -> Result<(OutboxCounts, Vec<OutboxRow>)> {
        actor.require(Capability::AdministerSystem)?;
        let counts = self.store.outbox_counts().await?;
        let rows = self.store.outbox(status, limit).await?;
        Ok((counts, rows))
    }

    /// Puts a failed message back in the queue (capability `AdministerSystem`), audited.
    pub async fn retry_mail(&self, actor: &Actor, id: &str) -> Result<()> {
        actor.require(Capability::AdministerSystem)?;
        let now = self.clock.now();
        if !self.store.requeue_mail(id, now).await? {
            return Err(AppError::NotFound);
        }
        self.audit(actor, "mail.retry", Some(&format!("mail={id}")))
            .await
    }
}

#[derive(Debug, thiserror::Error)]
enum BuildError {
    #[error("invalid recipient address")]
    Recipient,
    #[error("message could not be built")]
    Message,
}

fn build_message(mailer: &Mailer, m: &OutboxRow) -> std::result::Result<Message, BuildError> {
    let to: Mailbox = m.recipient.parse().map_err(|_| BuildError::Recipient)?;
    Message::builder()
        .from(mailer.from.clone())
        .to(to)
        .subject(m.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(m.body.clone())
        .map_err(|_| BuildError::Message)
}

/// Runs [`App::deliver_outbox`] every `every` until the runtime stops.
pub fn spawn_outbox_worker(
    app: Arc<App>,
    mailer: Mailer,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match app.deliver_outbox(&mailer).await {
                Ok(r) if r.sent + r.deferred + r.failed > 0 => {
                    tracing::info!(
                        sent = r.sent,
                        deferred = r.deferred,
                        failed = r.failed,
                        "outbox delivery"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "outbox delivery round failed"),
            }
            tokio::time::sleep(every).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = OutboxPolicy::default();
        assert_eq!(p.backoff(1).num_seconds(), 60);
        assert_eq!(p.backoff(2).num_seconds(), 120);
        assert_eq!(p.backoff(3).num_seconds(), 240);
        assert_eq!(p.backoff(10).num_seconds(), 3600);
        assert_eq!(p.backoff(1000).num_seconds(), 3600);
    }

    #[test]
    fn templates_are_bilingual_and_carry_no_record() {
        let ctx = MailContext {
            from_state: Some("TX".into()),
            to_state: Some("CA".into()),
            due_on: NaiveDate::from_ymd_opt(2026, 12, 2),
            path: "/notices/abc".into(),
            ..Default::default()
        };
        let (s, b) = render(MailKind::MoveNotice, "en", &ctx, "https://puente.example/");
        assert!(s.contains("move notice for CA"));
        assert!(b.contains("Due by: December 2, 2026."));
        assert!(b.contains("https://puente.example/notices/abc"));
        let (s, b) = render(MailKind::MoveNotice, "es", &ctx, "https://puente.example");
        assert!(s.contains("aviso de traslado para CA"));
        assert!(b.contains("Fecha límite: 2 de diciembre de 2026."));
        assert!(b.contains("https://puente.example/notices/abc"));
        assert_eq!(normalize_locale(Some("es-MX")), "es");
        assert_eq!(normalize_locale(None), "en");
    }
}
