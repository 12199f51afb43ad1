//! Notices between states (see `docs/notices.md`): move notices, system change-of-residence
//! notices, data requests with threaded messages, and parent/guardian correction requests, each
//! with its regulatory clocks ([`NoticePolicy`], counted on the working-day calendar).
//!
//! Who may do what:
//! - send a move notice: `SendMoveNotice`; send a data request or record a correction request:
//!   `SendDataRequest` (the sending state is the actor's state);
//! - act on a notice (acknowledge, arrival, outcome, answer, forward, decide, close):
//!   `AnswerDataRequest` in the state the notice is addressed to;
//! - see a notice: its receivers, and users of the sending state who may send notices.
//!
//! Every action, its audit event and the e-mails it causes commit in one transaction.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use puente_domain::notices::{NoticeFacts, Obligation};
pub use puente_domain::notices::{NoticeKind, NoticePolicy, NoticeStatus};
use puente_domain::roles::Capability;
use puente_domain::worklist::Level;
use puente_domain::{CodeSet, MsixId, StateCode, StudentRecord};
use puente_store::{NewAuditEvent, NoticeMessageRow, NoticeRow, Tx, new_id};
use serde::Serialize;

use crate::authz::Actor;
use crate::mail::{MailContext, MailKind, Recipient, normalize_locale};
use crate::{App, AppError, Result};

/// The actor id of system notices.
pub const SYSTEM: &str = "system";

/// Longest free text accepted (comments, messages, outcome notes).
pub const MAX_TEXT: usize = 4000;
/// Longest district, school or topic.
pub const MAX_SHORT: usize = 120;

/// Whether the viewer sent or receives a notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Incoming,
    Outgoing,
}

/// What the viewer may do with a notice now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Actions {
    pub acknowledge: bool,
    pub record_arrival: bool,
    pub record_outcome: bool,
    pub reply: bool,
    pub forward: bool,
    pub decide: bool,
    pub record_corrected: bool,
    pub close: bool,
}

/// A notice as shown to users.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notice {
    pub id: String,
    pub kind: NoticeKind,
    pub status: NoticeStatus,
    /// The child's current MSIX ID (after any merge).
    pub msix_id: String,
    pub from_state: Option<String>,
    pub from_district: Option<String>,
    pub to_state: String,
    pub to_district: Option<String>,
    pub to_school: Option<String>,
    pub owner_state: Option<String>,
    pub level: Level,
    pub topic: Option<String>,
    pub expected_on: Option<NaiveDate>,
    pub comments: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub created_on: NaiveDate,
    /// Earliest pending obligation.
    pub due_on: Option<NaiveDate>,
    pub overdue: bool,
    /// Pending obligations with their due dates, earliest first.
    pub obligations: Vec<(Obligation, NaiveDate)>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub escalated: bool,
    pub forwarded_at: Option<DateTime<Utc>>,
    pub arrival: Option<String>,
    pub arrival_on: Option<NaiveDate>,
    pub decision: Option<String>,
    pub decided_on: Option<NaiveDate>,
    pub outcome: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub direction: Direction,
    pub actions: Actions,
}

/// A message of a notice's thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeMessage {
    pub author: String,
    pub author_state: Option<String>,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// A notice with its thread and its e-mails' delivery state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoticeDetail {
    pub notice: Notice,
    pub messages: Vec<NoticeMessage>,
    /// (recipient's language, status) of each e-mail the notice caused.
    pub mails: Vec<(String, String)>,
}

/// Inbox counts of the viewer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct InboxCounts {
    pub incoming_open: usize,
    pub incoming_overdue: usize,
    pub outgoing_open: usize,
}

/// A move notice as entered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MoveNoticeInput {
    pub to_state: String,
    pub to_district: Option<String>,
    pub to_school: Option<String>,
    pub expected_on: Option<NaiveDate>,
    pub comments: Option<String>,
}

/// A data request as entered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataRequestInput {
    pub to_state: String,
    pub to_district: Option<String>,
    /// What is asked (withdrawal date, course history ...).
    pub topic: String,
    pub message: String,
}

/// A parent's correction request as recorded by program staff.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorrectionInput {
    /// The state whose data is contested.
    pub owner_state: String,
    /// The element(s) to correct.
    pub topic: String,
    pub details: String,
}

/// A problem with one input field: (field, problem code).
pub type FieldError = (&'static str, &'static str);

fn clean(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn check_state(field: &'static str, s: &str, errors: &mut Vec<FieldError>) {
    if s.trim().is_empty() {
        errors.push((field, "required"));
    } else if StateCode::parse(s.trim()).is_none() {
        errors.push((field, "invalid_state"));
    }
}

fn check_len(field: &'static str, s: Option<&str>, max: usize, errors: &mut Vec<FieldError>) {
    if s.is_some_and(|s| s.chars().count() > max) {
        errors.push((field, "too_long"));
    }
}

/// Field problems of a move notice (empty when it may be sent).
pub fn validate_move(i: &MoveNoticeInput, today: NaiveDate) -> Vec<FieldError> {
    let mut e = Vec::new();
    check_state("to_state", &i.to_state, &mut e);
    check_len("to_district", i.to_district.as_deref(), MAX_SHORT, &mut e);
    check_len("to_school", i.to_school.as_deref(), MAX_SHORT, &mut e);
    check_len("comments", i.comments.as_deref(), MAX_TEXT, &mut e);
    if let Some(d) = i.expected_on
        && (d < today - chrono::Days::new(366) || d > today + chrono::Days::new(366))
    {
        e.push(("expected_on", "implausible_date"));
    }
    e
}

/// Field problems of a data request.
pub fn validate_data_request(i: &DataRequestInput) -> Vec<FieldError> {
    let mut e = Vec::new();
    check_state("to_state", &i.to_state, &mut e);
    check_len("to_district", i.to_district.as_deref(), MAX_SHORT, &mut e);
    if i.topic.trim().is_empty() {
        e.push(("topic", "required"));
    }
    check_len("topic", Some(&i.topic), MAX_SHORT, &mut e);
    if i.message.trim().is_empty() {
        e.push(("message", "required"));
    }
    check_len("message", Some(&i.message), MAX_TEXT, &mut e);
    e
}

/// Field problems of a correction request.
pub fn validate_correction(i: &CorrectionInput) -> Vec<FieldError> {
    let mut e = Vec::new();
    check_state("owner_state", &i.owner_state, &mut e);
    if i.topic.trim().is_empty() {
        e.push(("topic", "required"));
    }
    check_len("topic", Some(&i.topic), MAX_SHORT, &mut e);
    if i.details.trim().is_empty() {
        e.push(("details", "required"));
    }
    check_len("details", Some(&i.details), MAX_TEXT, &mut e);
    e
}

fn invalid(errors: &[FieldError]) -> AppError {
    let fields: Vec<&str> = errors.iter().map(|(f, _)| *f).collect();
    AppError::Invalid(format!("invalid fields: {}", fields.join(", ")))
}

fn state_code(s: &str) -> String {
    s.trim().to_ascii_uppercase()
}

fn facts(n: &NoticeRow) -> NoticeFacts {
    NoticeFacts {
        kind: NoticeKind::parse(&n.kind).unwrap_or(NoticeKind::Move),
        status: NoticeStatus::parse(&n.status).unwrap_or(NoticeStatus::Open),
        created_on: n.created_on,
        forward_pending: n.kind == NoticeKind::CorrectionRequest.code()
            && n.forwarded_at.is_none()
            && n.owner_state.as_deref().is_some_and(|o| o != n.to_state),
        decided: n
            .decided_on
            .map(|d| (d, n.decision.as_deref() == Some("correct"))),
    }
}

/// Whether `actor` receives (may act on) notice `n`.
pub fn is_receiver(actor: &Actor, n: &NoticeRow) -> bool {
    actor.can(Capability::AnswerDataRequest) && actor.covers_state(&n.to_state)
}

/// Whether `actor` is on the sending side of notice `n`.
pub fn is_sender(actor: &Actor, n: &NoticeRow) -> bool {
    (actor.can(Capability::SendMoveNotice) || actor.can(Capability::SendDataRequest))
        && n.from_state
            .as_deref()
            .is_some_and(|s| actor.covers_state(s))
}

fn event(actor: &Actor, action: &str, msix: &str, details: serde_json::Value) -> NewAuditEvent {
    NewAuditEvent {
        actor: actor.user_id.clone(),
        action: action.into(),
        child_msix_id: Some(msix.into()),
        purpose: None,
        source_ip: actor.source_ip.clone(),
        details: Some(details.to_string()),
    }
}

impl App {
    fn notice_facts_due(&self, n: &NoticeRow) -> Option<NaiveDate> {
        self.notices.due_on(&facts(n))
    }

    /// The recipients of `state`'s notices: its designated recipients, else its active data
    /// administrators.
    pub async fn notice_recipients(&self, state: &str) -> Result<Vec<Recipient>> {
        let designated = self.store.recipients_of_state(state).await?;
        if !designated.is_empty() {
            return Ok(designated
                .into_iter()
                .map(|r| Recipient {
                    email: r.email,
                    locale: normalize_locale(Some(&r.locale)).into(),
                })
                .collect());
        }
        Ok(self
            .store
            .data_administrators_of_state(state)
            .await?
            .into_iter()
            .map(|(email, locale)| Recipient {
                email,
                locale: normalize_locale(locale.as_deref()).into(),
            })
            .collect())
    }

    /// Designates `email` (language `locale`) as a recipient of `state`'s notices (capability
    /// `ManageUsers` covering the state), audited.
    pub async fn add_notice_recipient(
        &self,
        actor: &Actor,
        state: &str,
        region: Option<&str>,
        email: &str,
        locale: &str,
    ) -> Result<()> {
        actor.require_in_state(Capability::ManageUsers, state)?;
        if StateCode::parse(state).is_none() {
            return Err(AppError::Invalid("not a state code".into()));
        }
        if email.parse::<lettre::message::Mailbox>().is_err() {
            return Err(AppError::Invalid("the address is not valid".into()));
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let id = new_id();
        tx.insert_recipient(&puente_store::RecipientRow {
            id: id.clone(),
            state: state_code(state),
            region: region.map(str::to_owned),
            email: email.to_lowercase(),
            locale: normalize_locale(Some(locale)).into(),
            created_by: actor.user_id.clone(),
            created_at: now,
        })
        .await?;
        tx.append_audit(
            &NewAuditEvent {
                actor: actor.user_id.clone(),
                action: "notice.recipient.add".into(),
                source_ip: actor.source_ip.clone(),
                details: Some(
                    serde_json::json!({"recipient": id, "state": state_code(state)}).to_string(),
                ),
                ..Default::default()
            },
            now,
        );
        tx.commit().await?;
        Ok(())
    }

    async fn child_of(&self, msix: &str) -> Result<(String, MsixId)> {
        let id = MsixId::parse(msix).map_err(|_| AppError::NotFound)?;
        self.store.resolve_msix(id).await?.ok_or(AppError::NotFound)
    }

    /// The state a national-scope actor sends from: the child's current state.
    async fn sending_state(
        &self,
        actor: &Actor,
        child_id: &str,
    ) -> Result<(String, Option<String>)> {
        let district = match &actor.scope {
            puente_domain::roles::Scope::District { district, .. } => Some(district.clone()),
            _ => None,
        };
        match actor.state() {
            Some(s) => Ok((state_code(s), district)),
            None => match self.store.child_assignment(child_id).await? {
                (Some(s), d) => Ok((s, d)),
                (None, _) => Err(AppError::Invalid("the child has no state".into())),
            },
        }
    }

    fn base_row(
        &self,
        kind: NoticeKind,
        child_id: &str,
        msix: &MsixId,
        to_state: String,
        created_by: &str,
        now: DateTime<Utc>,
    ) -> NoticeRow {
        NoticeRow {
            id: new_id(),
            kind: kind.code().into(),
            status: NoticeStatus::Open.code().into(),
            child_id: child_id.into(),
            msix_id: msix.to_string(),
            from_state: None,
            from_district: None,
            to_state,
            to_district: None,
            to_school: None,
            owner_state: None,
            level: Level::State.code().into(),
            topic: None,
            expected_on: None,
            comments: None,
            created_by: created_by.into(),
            created_at: now,
            created_on: now.date_naive(),
            due_on: None,
            acknowledged_by: None,
            acknowledged_at: None,
            escalated_at: None,
            forwarded_at: None,
            arrival: None,
            arrival_on: None,
            decision: None,
            decided_by: None,
            decided_on: None,
            outcome: None,
            closed_by: None,
            closed_at: None,
            dedupe_key: None,
            updated_at: now,
        }
    }

    async fn mail_state(
        &self,
        tx: &mut Tx,
        kind: MailKind,
        n: &NoticeRow,
        state: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let recipients = self.notice_recipients(state).await?;
        let ctx = MailContext {
            from_state: n.from_state.clone(),
            to_state: Some(n.to_state.clone()),
            due_on: n.due_on,
            path: format!("/notices/{}", n.id),
            ..Default::default()
        };
        self.queue_mail(tx, kind, &recipients, &ctx, Some(&n.id), now)
            .await
    }

    /// Sends a move notice about the child `msix` to the destination state (capability
    /// `SendMoveNotice`). The destination's recipients get it in their inbox and by e-mail.
    pub async fn send_move_notice(
        &self,
        actor: &Actor,
        msix: &str,
        input: &MoveNoticeInput,
    ) -> Result<Notice> {
        actor.require(Capability::SendMoveNotice)?;
        let now = self.clock.now();
        let errors = validate_move(input, now.date_naive());
        if !errors.is_empty() {
            return Err(invalid(&errors));
        }
        let (child_id, current) = self.child_of(msix).await?;
        let (from_state, from_district) = self.sending_state(actor, &child_id).await?;
        let mut n = self.base_row(
            NoticeKind::Move,
            &child_id,
            &current,
            state_code(&input.to_state),
            &actor.user_id,
            now,
        );
        n.from_state = Some(from_state);
        n.from_district = from_district;
        n.to_district = clean(&input.to_district);
        n.to_school = clean(&input.to_school);
        n.expected_on = input.expected_on;
        n.comments = clean(&input.comments);
        n.level = if n.to_district.is_some() {
            Level::District
        } else {
            Level::State
        }
        .code()
        .into();
        n.due_on = self.notice_facts_due(&n);
        let mut tx = self.store.begin().await?;
        tx.insert_notice(&n).await?;
        tx.append_audit(
            &event(
                actor,
                "notice.move.send",
                &n.msix_id,
                serde_json::json!({"notice": n.id, "to_state": n.to_state}),
            ),
            now,
        );
        let to = n.to_state.clone();
        self.mail_state(&mut tx, MailKind::MoveNotice, &n, &to, now)
            .await?;
        tx.commit().await?;
        self.view(actor, &n).await
    }

    /// Asks the state holding the data for something missing or newer (capability
    /// `SendDataRequest`); the first message opens the thread.
    pub async fn send_data_request(
        &self,
        actor: &Actor,
        msix: &str,
        input: &DataRequestInput,
    ) -> Result<Notice> {
        actor.require(Capability::SendDataRequest)?;
        let errors = validate_data_request(input);
        if !errors.is_empty() {
            return Err(invalid(&errors));
        }
        let now = self.clock.now();
        let (child_id, current) = self.child_of(msix).await?;
        let (from_state, from_district) = self.sending_state(actor, &child_id).await?;
        let mut n = self.base_row(
            NoticeKind::DataRequest,
            &child_id,
            &current,
            state_code(&input.to_state),
            &actor.user_id,
            now,
        );
        n.from_state = Some(from_state.clone());
        n.from_district = from_district;
        n.to_district = clean(&input.to_district);
        n.topic = Some(input.topic.trim().to_string());
        n.level = if n.to_district.is_some() {
            Level::District
        } else {
            Level::State
        }
        .code()
        .into();
        n.due_on = self.notice_facts_due(&n);
        let mut tx = self.store.begin().await?;
        tx.insert_notice(&n).await?;
        tx.insert_notice_message(&NoticeMessageRow {
            id: new_id(),
            notice_id: n.id.clone(),
            author: actor.user_id.clone(),
            author_state: Some(from_state),
            body: input.message.trim().to_string(),
            created_at: now,
        })
        .await?;
        tx.append_audit(
            &event(
                actor,
                "notice.data_request.send",
                &n.msix_id,
                serde_json::json!({"notice": n.id, "to_state": n.to_state}),
            ),
            now,
        );
        let to = n.to_state.clone();
        self.mail_state(&mut tx, MailKind::DataRequest, &n, &to, now)
            .await?;
        tx.commit().await?;
        self.view(actor, &n).await
    }

    /// Records a parent's or guardian's correction request (capability `SendDataRequest`). The
    /// recording state handles it; when the data is another state's, it must forward it within
    /// the forward clock ([`App::forward_correction`]).
    pub async fn record_correction_request(
        &self,
        actor: &Actor,
        msix: &str,
        input: &CorrectionInput,
    ) -> Result<Notice> {
        actor.require(Capability::SendDataRequest)?;
        let errors = validate_correction(input);
        if !errors.is_empty() {
            return Err(invalid(&errors));
        }
        let now = self.clock.now();
        let (child_id, current) = self.child_of(msix).await?;
        let (from_state, from_district) = self.sending_state(actor, &child_id).await?;
        let mut n = self.base_row(
            NoticeKind::CorrectionRequest,
            &child_id,
            &current,
            from_state.clone(),
            &actor.user_id,
            now,
        );
        n.from_state = Some(from_state.clone());
        n.from_district = from_district;
        n.owner_state = Some(state_code(&input.owner_state));
        n.topic = Some(input.topic.trim().to_string());
        n.comments = Some(input.details.trim().to_string());
        n.due_on = self.notice_facts_due(&n);
        let mut tx = self.store.begin().await?;
        tx.insert_notice(&n).await?;
        tx.append_audit(
            &event(
                actor,
                "notice.correction_request.record",
                &n.msix_id,
                serde_json::json!({"notice": n.id, "owner_state": n.owner_state}),
            ),
            now,
        );
        self.mail_state(&mut tx, MailKind::CorrectionRequest, &n, &from_state, now)
            .await?;
        tx.commit().await?;
        self.view(actor, &n).await
    }

    async fn notice_row(&self, id: &str) -> Result<NoticeRow> {
        self.store.notice(id).await?.ok_or(AppError::NotFound)
    }

    /// Loads a notice for a receiver action inside a transaction; refuses closed notices and
    /// actors that do not receive it.
    async fn for_receiver(&self, tx: &mut Tx, actor: &Actor, id: &str) -> Result<NoticeRow> {
        actor.require(Capability::AnswerDataRequest)?;
        let n = tx.notice(id).await?.ok_or(AppError::NotFound)?;
        if !is_receiver(actor, &n) {
            return Err(if is_sender(actor, &n) {
                AppError::Forbidden
            } else {
                AppError::NotFound
            });
        }
        if n.status == NoticeStatus::Closed.code() {
            return Err(AppError::Invalid("the notice is closed".into()));
        }
        Ok(n)
    }

    async fn save(
        &self,
        mut tx: Tx,
        actor: &Actor,
        mut n: NoticeRow,
        action: &str,
        details: serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<Notice> {
        n.due_on = self.notice_facts_due(&n);
        n.updated_at = now;
        tx.save_notice(&n).await?;
        tx.append_audit(&event(actor, action, &n.msix_id, details), now);
        tx.commit().await?;
        self.view(actor, &n).await
    }

    /// Acknowledges a move notice, data request or change-of-residence notice (receiver).
    pub async fn acknowledge_notice(&self, actor: &Actor, id: &str) -> Result<Notice> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let mut n = self.for_receiver(&mut tx, actor, id).await?;
        if n.status != NoticeStatus::Open.code() {
            return Err(AppError::Invalid("already acknowledged".into()));
        }
        if n.kind == NoticeKind::CorrectionRequest.code() {
            return Err(AppError::Invalid("correction requests are decided".into()));
        }
        n.status = NoticeStatus::Acknowledged.code().into();
        n.acknowledged_by = Some(actor.user_id.clone());
        n.acknowledged_at = Some(now);
        let details = serde_json::json!({"notice": n.id});
        self.save(tx, actor, n, "notice.acknowledge", details, now)
            .await
    }

    /// Records whether the child of a move notice arrived (`arrived`) or not (`no_show`)
    /// (receiver). Acknowledges the notice if it was not yet.
    pub async fn record_arrival(
        &self,
        actor: &Actor,
        id: &str,
        arrived: bool,
        on: Option<NaiveDate>,
    ) -> Result<Notice> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let mut n = self.for_receiver(&mut tx, actor, id).await?;
        if n.kind != NoticeKind::Move.code() {
            return Err(AppError::Invalid(
                "only move notices record an arrival".into(),
            ));
        }
        if n.status == NoticeStatus::Open.code() {
            n.status = NoticeStatus::Acknowledged.code().into();
            n.acknowledged_by = Some(actor.user_id.clone());
            n.acknowledged_at = Some(now);
        }
        n.arrival = Some(if arrived { "arrived" } else { "no_show" }.into());
        n.arrival_on = if arrived {
            Some(on.unwrap_or(now.date_naive()))
        } else {
            None
        };
        let details = serde_json::json!({"notice": n.id, "arrival": n.arrival});
        self.save(tx, actor, n, "notice.arrival", details, now)
            .await
    }

    /// Records the outcome of a move notice or change-of-residence notice and closes it
    /// (receiver).
    pub async fn record_outcome(&self, actor: &Actor, id: &str, outcome: &str) -> Result<Notice> {
        let outcome = outcome.trim();
        if outcome.is_empty() || outcome.chars().count() > MAX_TEXT {
            return Err(AppError::Invalid("outcome".into()));
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let mut n = self.for_receiver(&mut tx, actor, id).await?;
        if n.kind != NoticeKind::Move.code() && n.kind != NoticeKind::ChangeOfResidence.code() {
            return Err(AppError::Invalid("this notice closes otherwise".into()));
        }
        if n.acknowledged_at.is_none() {
            n.acknowledged_by = Some(actor.user_id.clone());
            n.acknowledged_at = Some(now);
        }
        n.status = NoticeStatus::Closed.code().into();
        n.outcome = Some(outcome.to_string());
        n.closed_by = Some(actor.user_id.clone());
        n.closed_at = Some(now);
        let details = serde_json::json!({"notice": n.id});
        self.save(tx, actor, n, "notice.outcome", details, now)
            .await
    }

    /// Adds a message to a data request's thread: the requesting side (`SendDataRequest`) or the
    /// receiving side (`AnswerDataRequest`). A receiver's message with `answers` closes the
    /// request as answered (and acknowledges it if needed).
    pub async fn post_notice_message(
        &self,
        actor: &Actor,
        id: &str,
        body: &str,
        answers: bool,
    ) -> Result<Notice> {
        let body = body.trim();
        if body.is_empty() || body.chars().count() > MAX_TEXT {
            return Err(AppError::Invalid("message".into()));
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let mut n = tx.notice(id).await?.ok_or(AppError::NotFound)?;
        let receiver = is_receiver(actor, &n);
        let sender = is_sender(actor, &n) && actor.can(Capability::SendDataRequest);
        if !receiver && !sender {
            return Err(AppError::NotFound);
        }
        if n.kind != NoticeKind::DataRequest.code() {
            return Err(AppError::Invalid("only data requests have a thread".into()));
        }
        if n.status == NoticeStatus::Closed.code() {
            return Err(AppError::Invalid("the notice is closed".into()));
        }
        let author_state = if receiver {
            Some(n.to_state.clone())
        } else {
            n.from_state.clone()
        };
        tx.insert_notice_message(&NoticeMessageRow {
            id: new_id(),
            notice_id: n.id.clone(),
            author: actor.user_id.clone(),
            author_state,
            body: body.to_string(),
            created_at: now,
        })
        .await?;
        let reply_to = if receiver {
            n.from_state.clone()
        } else {
            Some(n.to_state.clone())
        };
        if receiver {
            if n.acknowledged_at.is_none() {
                n.acknowledged_by = Some(actor.user_id.clone());
                n.acknowledged_at = Some(now);
                n.status = NoticeStatus::Acknowledged.code().into();
            }
            if answers {
                n.status = NoticeStatus::Closed.code().into();
                n.outcome = Some("answered".into());
                n.closed_by = Some(actor.user_id.clone());
                n.closed_at = Some(now);
            }
        }
        if let Some(state) = reply_to {
            let recipients = self.notice_recipients(&state).await?;
            let ctx = MailContext {
                from_state: if receiver {
                    Some(n.to_state.clone())
                } else {
                    n.from_state.clone()
                },
                to_state: Some(state.clone()),
                due_on: None,
                path: format!("/notices/{}", n.id),
                ..Default::default()
            };
            self.queue_mail(
                &mut tx,
                MailKind::Reply,
                &recipients,
                &ctx,
                Some(&n.id),
                now,
            )
            .await?;
        }
        let action = if receiver && answers {
            "notice.answer"
        } else {
            "notice.message"
        };
        let details = serde_json::json!({"notice": n.id});
        self.save(tx, actor, n, action, details, now).await
    }

    /// Forwards a correction request about another state's data to that state (receiver of the
    /// recording state).
    pub async fn forward_correction(&self, actor: &Actor, id: &str) -> Result<Notice> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let mut n = self.for_receiver(&mut tx, actor, id).await?;
        let owner = match (
            &n.owner_state,
            n.kind == NoticeKind::CorrectionRequest.code(),
        ) {
            (Some(o), true) if *o != n.to_state && n.forwarded_at.is_none() => o.clone(),
            _ => return Err(AppError::Invalid("nothing to forward".into())),
        };
        n.to_state = owner.clone();
        n.to_district = None;
        n.forwarded_at = Some(now);
        n.due_on = self.notice_facts_due(&n);
        self.mail_state(&mut tx, MailKind::CorrectionRequest, &n, &owner, now)
            .await?;
        let details = serde_json::json!({"notice": n.id, "to_state": owner});
        self.save(tx, actor, n, "notice.correction.forward", details, now)
            .await
    }

    /// Decides a correction request (receiver of the owning state): `correct` starts the clock
    /// for the corrected data; a denial closes it. The family is told the outcome by letter
    /// (see docs/notices.md).
    pub async fn decide_correction(
        &self,
        actor: &Actor,
        id: &str,
        correct: bool,
        note: &str,
    ) -> Result<Notice> {
        let note = note.trim();
        if note.chars().count() > MAX_TEXT {
            return Err(AppError::Invalid("note".into()));
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let mut n = self.for_receiver(&mut tx, actor, id).await?;
        if n.kind != NoticeKind::CorrectionRequest.code() || n.decided_on.is_some() {
            return Err(AppError::Invalid("nothing to decide".into()));
        }
        if n.owner_state.as_deref().is_some_and(|o| o != n.to_state) {
            return Err(AppError::Invalid(
                "the owning state decides: forward the request first".into(),
            ));
        }
        n.decision = Some(if correct { "correct" } else { "deny" }.into());
        n.decided_by = Some(actor.user_id.clone());
        n.decided_on = Some(now.date_naive());
        n.acknowledged_at.get_or_insert(now);
        if n.acknowledged_by.is_none() {
            n.acknowledged_by = Some(actor.user_id.clone());
        }
        n.status = if correct {
            NoticeStatus::Acknowledged
        } else {
            NoticeStatus::Closed
        }
        .code()
        .into();
        if !note.is_empty() {
            n.outcome = Some(note.to_string());
        }
        if !correct {
            n.closed_by = Some(actor.user_id.clone());
            n.closed_at = Some(now);
        }
        let details = serde_json::json!({"notice": n.id, "decision": n.decision});
        self.save(tx, actor, n, "notice.correction.decide", details, now)
            .await
    }

    /// Records that the corrected data was sent and closes the correction request (receiver).
    pub async fn record_corrected(&self, actor: &Actor, id: &str) -> Result<Notice> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let mut n = self.for_receiver(&mut tx, actor, id).await?;
        if n.decision.as_deref() != Some("correct") {
            return Err(AppError::Invalid("no decision to correct".into()));
        }
        n.status = NoticeStatus::Closed.code().into();
        n.closed_by = Some(actor.user_id.clone());
        n.closed_at = Some(now);
        let details = serde_json::json!({"notice": n.id});
        self.save(tx, actor, n, "notice.correction.corrected", details, now)
            .await
    }

    async fn view(&self, actor: &Actor, n: &NoticeRow) -> Result<Notice> {
        let today = self.clock.today();
        let f = facts(n);
        let obligations = self.notices.obligations(&f);
        let current = match MsixId::parse(&n.msix_id) {
            Ok(m) => self
                .store
                .resolve_msix(m)
                .await?
                .map(|(_, m)| m.to_string())
                .unwrap_or_else(|| n.msix_id.clone()),
            Err(_) => n.msix_id.clone(),
        };
        let receiver = is_receiver(actor, n);
        let open = f.status != NoticeStatus::Closed;
        let kind = f.kind;
        let actions = if receiver && open {
            Actions {
                acknowledge: f.status == NoticeStatus::Open
                    && kind != NoticeKind::CorrectionRequest,
                record_arrival: kind == NoticeKind::Move && n.arrival.is_none(),
                record_outcome: matches!(kind, NoticeKind::Move | NoticeKind::ChangeOfResidence),
                reply: kind == NoticeKind::DataRequest,
                forward: f.forward_pending,
                decide: kind == NoticeKind::CorrectionRequest
                    && n.decided_on.is_none()
                    && !f.forward_pending,
                record_corrected: n.decision.as_deref() == Some("correct"),
                close: false,
            }
        } else if open && kind == NoticeKind::DataRequest && is_sender(actor, n) {
            Actions {
                reply: actor.can(Capability::SendDataRequest),
                ..Default::default()
            }
        } else {
            Actions::default()
        };
        Ok(Notice {
            id: n.id.clone(),
            kind,
            status: f.status,
            msix_id: current,
            from_state: n.from_state.clone(),
            from_district: n.from_district.clone(),
            to_state: n.to_state.clone(),
            to_district: n.to_district.clone(),
            to_school: n.to_school.clone(),
            owner_state: n.owner_state.clone(),
            level: Level::parse(&n.level).unwrap_or(Level::State),
            topic: n.topic.clone(),
            expected_on: n.expected_on,
            comments: n.comments.clone(),
            created_by: n.created_by.clone(),
            created_at: n.created_at,
            created_on: n.created_on,
            due_on: obligations.first().map(|(_, d)| *d),
            overdue: self.notices.overdue(&f, today),
            obligations,
            acknowledged_by: n.acknowledged_by.clone(),
            acknowledged_at: n.acknowledged_at,
            escalated: n.escalated_at.is_some(),
            forwarded_at: n.forwarded_at,
            arrival: n.arrival.clone(),
            arrival_on: n.arrival_on,
            decision: n.decision.clone(),
            decided_on: n.decided_on,
            outcome: n.outcome.clone(),
            closed_at: n.closed_at,
            direction: if receiver {
                Direction::Incoming
            } else {
                Direction::Outgoing
            },
            actions,
        })
    }

    fn may_use_notices(actor: &Actor) -> Result<()> {
        if actor.can(Capability::SendMoveNotice)
            || actor.can(Capability::SendDataRequest)
            || actor.can(Capability::AnswerDataRequest)
        {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// The notices `actor` receives or sent, incoming first, then by due date; open ones only
    /// unless `include_closed`.
    pub async fn notice_inbox(&self, actor: &Actor, include_closed: bool) -> Result<Vec<Notice>> {
        Self::may_use_notices(actor)?;
        let rows = self
            .store
            .notices_for_state(actor.state(), include_closed)
            .await?;
        let mut out = Vec::new();
        for r in rows
            .iter()
            .filter(|r| is_receiver(actor, r) || is_sender(actor, r))
        {
            out.push(self.view(actor, r).await?);
        }
        out.sort_by(|a, b| {
            (a.direction != Direction::Incoming)
                .cmp(&(b.direction != Direction::Incoming))
                .then((a.status == NoticeStatus::Closed).cmp(&(b.status == NoticeStatus::Closed)))
                .then(a.due_on.is_none().cmp(&b.due_on.is_none()))
                .then(a.due_on.cmp(&b.due_on))
                .then(b.created_at.cmp(&a.created_at))
        });
        Ok(out)
    }

    /// Counts for the inbox badge.
    pub async fn notice_counts(&self, actor: &Actor) -> Result<InboxCounts> {
        let mut c = InboxCounts::default();
        for n in self.notice_inbox(actor, false).await? {
            match n.direction {
                Direction::Incoming => {
                    c.incoming_open += 1;
                    if n.overdue {
                        c.incoming_overdue += 1;
                    }
                }
                Direction::Outgoing => c.outgoing_open += 1,
            }
        }
        Ok(c)
    }

    /// One notice with its thread (receivers and the sending side), audited as a disclosure of
    /// the child's MSIX ID.
    pub async fn notice_detail(&self, actor: &Actor, id: &str) -> Result<NoticeDetail> {
        Self::may_use_notices(actor)?;
        let n = self.notice_row(id).await?;
        if !is_receiver(actor, &n) && !is_sender(actor, &n) {
            return Err(AppError::NotFound);
        }
        self.store
            .append_audit(
                &event(
                    actor,
                    "notice.view",
                    &n.msix_id,
                    serde_json::json!({"notice": n.id}),
                ),
                self.clock.now(),
            )
            .await?;
        let notice = self.view(actor, &n).await?;
        let messages = self
            .store
            .notice_messages(&n.id)
            .await?
            .into_iter()
            .map(|m| NoticeMessage {
                author: m.author,
                author_state: m.author_state,
                body: m.body,
                created_at: m.created_at,
            })
            .collect();
        let mails = self
            .store
            .outbox_of_notice(&n.id)
            .await?
            .into_iter()
            .map(|m| (m.locale, m.status))
            .collect();
        Ok(NoticeDetail {
            notice,
            messages,
            mails,
        })
    }

    /// Escalates data requests not acknowledged within the escalation clock one level
    /// (district -> regional -> state) and e-mails the receiving state's recipients. Run daily
    /// (`puente notices escalate`) and by the server. Returns how many escalated.
    pub async fn escalate_notices(&self) -> Result<usize> {
        let now = self.clock.now();
        let today = now.date_naive();
        let system = Actor::system();
        let mut done = 0;
        for mut n in self.store.unacknowledged_requests().await? {
            if !self.notices.escalates(n.created_on, today) {
                continue;
            }
            let level = Level::parse(&n.level).unwrap_or(Level::State);
            n.level = match level {
                Level::District => Level::Regional,
                Level::Regional | Level::State => Level::State,
            }
            .code()
            .into();
            n.escalated_at = Some(now);
            n.updated_at = now;
            let mut tx = self.store.begin().await?;
            tx.save_notice(&n).await?;
            let to = n.to_state.clone();
            self.mail_state(&mut tx, MailKind::Escalated, &n, &to, now)
                .await?;
            tx.append_audit(
                &event(
                    &system,
                    "notice.escalate",
                    &n.msix_id,
                    serde_json::json!({"notice": n.id, "from": level.code(), "to": n.level}),
                ),
                now,
            );
            tx.commit().await?;
            done += 1;
        }
        Ok(done)
    }

    /// Change-of-residence notices for records about to be written: for each record of a known
    /// child whose newest enrollment is in another state or district than the child's newest
    /// enrollment so far (and not older), one notice to the previous state, once per move (a
    /// unique key makes re-sent records and several records of one move raise it once).
    /// Returns the notices to create after the records are written, keyed by child.
    pub(crate) async fn residence_changes(
        &self,
        pending: &[(String, &StudentRecord)],
    ) -> Result<Vec<ResidenceChange>> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        for (child_id, rec) in pending {
            let Some(newest) = rec.enrollments.iter().max_by_key(|e| e.enrollment_date) else {
                continue;
            };
            let new_state = newest
                .facility_state
                .unwrap_or(rec.reporting_state)
                .code()
                .to_string();
            let new_district = newest.district_id.clone();
            let Some((Some(prev_state), prev_district, prev_date)) =
                self.store.latest_enrollment(child_id).await?
            else {
                continue;
            };
            if newest.enrollment_date < prev_date {
                continue;
            }
            let district_changed = match (&prev_district, &new_district) {
                (Some(a), Some(b)) => a != b,
                _ => false,
            };
            if prev_state == new_state && !district_changed {
                continue;
            }
            let key = format!(
                "cor:{child_id}:{prev_state}:{}:{new_state}:{}:{}",
                prev_district.as_deref().unwrap_or(""),
                new_district.as_deref().unwrap_or(""),
                newest.enrollment_date
            );
            if !seen.insert(key.clone()) {
                continue;
            }
            out.push(ResidenceChange {
                child_id: child_id.clone(),
                prev_state,
                prev_district,
                new_state,
                new_district,
                key,
            });
        }
        Ok(out)
    }

    /// Raises the change-of-residence notices found by [`App::residence_changes`] (system
    /// actor), each with its e-mails, once per unique key.
    pub(crate) async fn raise_residence_changes(
        &self,
        tx: &mut Tx,
        changes: Vec<ResidenceChange>,
    ) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let now = self.clock.now();
        let system = Actor::system();
        for c in changes {
            let Some(msix) = self.store.msix_of_child(&c.child_id).await? else {
                continue;
            };
            let mut n = self.base_row(
                NoticeKind::ChangeOfResidence,
                &c.child_id,
                &msix,
                c.prev_state.clone(),
                SYSTEM,
                now,
            );
            n.from_state = Some(c.new_state.clone());
            n.from_district = c.new_district.clone();
            n.to_district = c.prev_district.clone();
            n.level = if n.to_district.is_some() {
                Level::District
            } else {
                Level::State
            }
            .code()
            .into();
            n.dedupe_key = Some(c.key.clone());
            n.due_on = self.notice_facts_due(&n);
            if !tx.insert_notice(&n).await? {
                continue;
            }
            tx.append_audit(
                &event(
                    &system,
                    "notice.change_of_residence.raise",
                    &n.msix_id,
                    serde_json::json!({"notice": n.id, "to_state": n.to_state, "from_state": n.from_state}),
                ),
                now,
            );
            self.mail_state(tx, MailKind::ChangeOfResidence, &n, &c.prev_state, now)
                .await?;
        }
        Ok(())
    }
}

/// A change of residence found during ingest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResidenceChange {
    pub child_id: String,
    pub prev_state: String,
    pub prev_district: Option<String>,
    pub new_state: String,
    pub new_district: Option<String>,
    pub key: String,
}
