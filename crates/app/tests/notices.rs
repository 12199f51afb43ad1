#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Notices, their clocks and their e-mail on the configured backend (PUENTE_TEST_BACKEND), with a
//! real SMTP server (scripts/smtp_sink.py, aiosmtpd) for delivery.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use puente_app::ingest::RecordOutcome;
use puente_app::mail::{Mailer, SmtpSecurity, SmtpSettings};
use puente_app::notices::{
    CorrectionInput, DataRequestInput, Direction, MoveNoticeInput, NoticeKind, NoticeStatus,
};
use puente_app::{Actor, App, AppError, Clock, FixedClock};
use puente_domain::StateCode;
use puente_domain::notices::Obligation;
use puente_domain::roles::{Role, Scope};
use puente_domain::worklist::Level;
use puente_store::{AuditFilter, WriteOutcome};
use puente_testkit::fixtures::student;
use puente_testkit::smtp::{SmtpSink, free_port};

struct T {
    app: App,
    clock: Arc<FixedClock>,
    _db: puente_testkit::db::TestDb,
}

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 15, 0, 0).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

async fn setup() -> T {
    let db = puente_testkit::db::test_db().await.unwrap();
    // Wednesday 25 November 2026; Thursday 26 is Thanksgiving.
    let clock = Arc::new(FixedClock::new(at(2026, 11, 25)));
    let mut app = App::new(db.store.clone(), clock.clone()).await.unwrap();
    app.public_url = "https://puente.example".into();
    T {
        app,
        clock,
        _db: db,
    }
}

fn actor(id: &str, role: Role, state: &str) -> Actor {
    Actor {
        user_id: id.into(),
        role,
        scope: Scope::State {
            state: state.into(),
        },
        source_ip: None,
    }
}

/// A data administrator account of `state` (the default recipients of its notices).
async fn admin_account(t: &T, email: &str, state: &str, locale: Option<&str>) -> Actor {
    let id = t
        .app
        .store
        .create_user(
            email,
            "Admin",
            "data_administrator",
            Some(state),
            "x",
            t.clock.now(),
        )
        .await
        .unwrap();
    if let Some(l) = locale {
        t.app.store.set_user_locale(&id, l).await.unwrap();
    }
    actor(&id, Role::DataAdministrator, state)
}

async fn ingest(t: &T, recs: Vec<puente_domain::StudentRecord>) -> Vec<WriteOutcome> {
    t.app
        .ingest(recs, None)
        .await
        .unwrap()
        .into_iter()
        .map(|o| match o {
            RecordOutcome::Written(w) => w,
            other => panic!("unexpected {other:?}"),
        })
        .collect()
}

async fn child(t: &T) -> String {
    let out = ingest(
        t,
        vec![student(
            StateCode::TX,
            "T100",
            "Ana",
            "Quintero",
            "Salas",
            "20110407",
        )],
    )
    .await;
    out[0].msix_id.to_string()
}

fn mailer(port: u16) -> Mailer {
    Mailer::new(&SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        from: "Puente <no-reply@puente.example>".into(),
        security: SmtpSecurity::None,
        username: None,
        password: None,
        timeout: Duration::from_secs(5),
    })
    .unwrap()
}

fn move_to(state: &str) -> MoveNoticeInput {
    MoveNoticeInput {
        to_state: state.into(),
        to_district: Some("0612345".into()),
        to_school: None,
        expected_on: Some(day(2026, 12, 7)),
        comments: Some("Family moving for the lettuce harvest".into()),
    }
}

async fn actions(t: &T, action: &str) -> usize {
    t.app
        .store
        .audit_search(&AuditFilter {
            action: Some(action.into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn move_notice_reaches_the_destination_and_follows_its_lifecycle() {
    let t = setup().await;
    let msix = child(&t).await;
    let ca_en = admin_account(&t, "ca.admin@ca.example", "CA", None).await;
    let _ca_es = admin_account(&t, "ca.admin.es@ca.example", "CA", Some("es")).await;
    let _az = admin_account(&t, "az.admin@az.example", "AZ", None).await;
    let sender = actor("sender", Role::PrimaryUser, "TX");

    // Field errors come back by field; nothing is written.
    let bad = MoveNoticeInput {
        to_state: "ZZ".into(),
        ..Default::default()
    };
    assert_eq!(
        puente_app::notices::validate_move(&bad, t.clock.today()),
        vec![("to_state", "invalid_state")]
    );
    assert!(matches!(
        t.app.send_move_notice(&sender, &msix, &bad).await,
        Err(AppError::Invalid(_))
    ));
    // A secondary user may not send.
    assert!(matches!(
        t.app
            .send_move_notice(
                &actor("s", Role::SecondaryUser, "TX"),
                &msix,
                &move_to("CA")
            )
            .await,
        Err(AppError::Forbidden)
    ));

    let n = t
        .app
        .send_move_notice(&sender, &msix, &move_to("CA"))
        .await
        .unwrap();
    assert_eq!(n.kind, NoticeKind::Move);
    assert_eq!(n.from_state.as_deref(), Some("TX"));
    assert_eq!(n.to_state, "CA");
    // 4 working days from Wed 25 Nov 2026: (Thanksgiving) 27, (weekend) 30, 1, 2 December.
    assert_eq!(n.due_on, Some(day(2026, 12, 2)));
    assert_eq!(
        n.obligations,
        vec![(Obligation::Acknowledge, day(2026, 12, 2))]
    );
    assert!(!n.overdue);
    assert_eq!(n.direction, Direction::Outgoing);
    assert!(!n.actions.acknowledge, "the sender does not acknowledge");

    // One e-mail per CA data administrator, in each one's language; none to AZ.
    let mails = t.app.store.outbox_of_notice(&n.id).await.unwrap();
    let mut got: Vec<(String, String)> = mails
        .iter()
        .map(|m| (m.recipient.clone(), m.locale.clone()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("ca.admin.es@ca.example".into(), "es".into()),
            ("ca.admin@ca.example".into(), "en".into())
        ]
    );
    for m in &mails {
        assert_eq!(m.status, "queued");
        assert!(
            m.body
                .contains(&format!("https://puente.example/notices/{}", n.id))
        );
        assert!(!m.body.contains(&msix), "no MSIX ID in e-mail");
        assert!(!m.body.contains("Ana") && !m.body.contains("Quintero"));
        assert!(!m.body.contains("lettuce"), "no comments in e-mail");
    }

    // The receiver sees it with its actions; AZ does not see it at all.
    let inbox = t.app.notice_inbox(&ca_en, false).await.unwrap();
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].direction, Direction::Incoming);
    assert!(inbox[0].actions.acknowledge && inbox[0].actions.record_arrival);
    let az = actor("az", Role::DataAdministrator, "AZ");
    assert!(t.app.notice_inbox(&az, false).await.unwrap().is_empty());
    assert!(matches!(
        t.app.notice_detail(&az, &n.id).await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        t.app.acknowledge_notice(&az, &n.id).await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        t.app
            .acknowledge_notice(&actor("tx", Role::DataAdministrator, "TX"), &n.id)
            .await,
        Err(AppError::Forbidden)
    ));

    // Overdue the day after its due date.
    t.clock.set(at(2026, 12, 3));
    let c = t.app.notice_counts(&ca_en).await.unwrap();
    assert_eq!((c.incoming_open, c.incoming_overdue), (1, 1));
    assert_eq!(t.app.notice_counts(&sender).await.unwrap().outgoing_open, 1);

    let acked = t.app.acknowledge_notice(&ca_en, &n.id).await.unwrap();
    assert_eq!(acked.status, NoticeStatus::Acknowledged);
    assert_eq!(acked.due_on, None);
    assert!(!acked.overdue);
    assert!(matches!(
        t.app.acknowledge_notice(&ca_en, &n.id).await,
        Err(AppError::Invalid(_))
    ));
    let arrived = t
        .app
        .record_arrival(&ca_en, &n.id, true, Some(day(2026, 12, 7)))
        .await
        .unwrap();
    assert_eq!(arrived.arrival.as_deref(), Some("arrived"));
    assert_eq!(arrived.arrival_on, Some(day(2026, 12, 7)));
    let closed = t
        .app
        .record_outcome(&ca_en, &n.id, "Enrolled at Salinas High")
        .await
        .unwrap();
    assert_eq!(closed.status, NoticeStatus::Closed);
    assert!(t.app.notice_inbox(&ca_en, false).await.unwrap().is_empty());
    assert_eq!(t.app.notice_inbox(&ca_en, true).await.unwrap().len(), 1);

    // The sender sees the thread; every action is audited.
    let detail = t.app.notice_detail(&sender, &n.id).await.unwrap();
    assert_eq!(
        detail.notice.outcome.as_deref(),
        Some("Enrolled at Salinas High")
    );
    assert_eq!(detail.mails.len(), 2);
    for a in [
        "notice.move.send",
        "notice.acknowledge",
        "notice.arrival",
        "notice.outcome",
        "notice.view",
    ] {
        assert_eq!(actions(&t, a).await, 1, "{a}");
    }
}

#[tokio::test]
async fn designated_recipients_replace_the_data_administrators() {
    let t = setup().await;
    let msix = child(&t).await;
    admin_account(&t, "ca.admin@ca.example", "CA", None).await;
    let tx_ua = actor("ua", Role::UserAdministrator, "TX");
    assert!(matches!(
        t.app
            .add_notice_recipient(&tx_ua, "CA", None, "mep@ca.example", "es")
            .await,
        Err(AppError::Forbidden)
    ));
    let sys = Actor::system();
    t.app
        .add_notice_recipient(&sys, "CA", None, "MEP@ca.example", "es")
        .await
        .unwrap();
    let n = t
        .app
        .send_move_notice(&actor("s", Role::PrimaryUser, "TX"), &msix, &move_to("ca"))
        .await
        .unwrap();
    assert_eq!(n.to_state, "CA");
    let mails = t.app.store.outbox_of_notice(&n.id).await.unwrap();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].recipient, "mep@ca.example");
    assert_eq!(mails[0].locale, "es");
    assert!(mails[0].subject.contains("aviso de traslado"));
}

#[tokio::test]
async fn notice_email_is_delivered_to_a_real_smtp_server_in_each_language() {
    let t = setup().await;
    let msix = child(&t).await;
    admin_account(&t, "ca.admin@ca.example", "CA", None).await;
    admin_account(&t, "ca.admin.es@ca.example", "CA", Some("es")).await;
    let n = t
        .app
        .send_move_notice(&actor("s", Role::PrimaryUser, "TX"), &msix, &move_to("CA"))
        .await
        .unwrap();
    let sink = SmtpSink::start(free_port().unwrap()).unwrap();
    let report = t.app.deliver_outbox(&mailer(sink.port)).await.unwrap();
    assert_eq!((report.sent, report.deferred, report.failed), (2, 0, 0));
    let got = sink.wait_for(2, Duration::from_secs(10)).unwrap();
    assert_eq!(got.len(), 2);
    let en = got
        .iter()
        .find(|m| m.rcpt_tos == vec!["ca.admin@ca.example".to_string()])
        .expect("English recipient");
    let es = got
        .iter()
        .find(|m| m.rcpt_tos == vec!["ca.admin.es@ca.example".to_string()])
        .expect("Spanish recipient");
    assert_eq!(en.mail_from, "no-reply@puente.example");
    assert_eq!(en.subject, "Puente: move notice for CA");
    assert!(en.body.contains("Due by: December 2, 2026."), "{}", en.body);
    assert_eq!(es.subject, "Puente: aviso de traslado para CA");
    assert!(
        es.body.contains("Fecha límite: 2 de diciembre de 2026."),
        "{}",
        es.body
    );
    for m in [en, es] {
        assert!(
            m.body
                .contains(&format!("https://puente.example/notices/{}", n.id))
        );
        assert!(!m.data.contains(&msix) && !m.data.contains("Quintero"));
    }
    let mails = t.app.store.outbox_of_notice(&n.id).await.unwrap();
    assert!(mails.iter().all(|m| m.status == "sent" && m.attempts == 1));
    // Nothing is sent twice.
    let again = t.app.deliver_outbox(&mailer(sink.port)).await.unwrap();
    assert_eq!(again.sent, 0);
    assert_eq!(sink.messages().unwrap().len(), 2);
}

#[tokio::test]
async fn an_smtp_outage_delays_but_never_loses_mail() {
    let t = setup().await;
    let msix = child(&t).await;
    admin_account(&t, "ca.admin@ca.example", "CA", None).await;
    t.app
        .send_move_notice(&actor("s", Role::PrimaryUser, "TX"), &msix, &move_to("CA"))
        .await
        .unwrap();
    // Nothing listens on the port: the attempt fails and is deferred with backoff.
    let port = free_port().unwrap();
    let m = mailer(port);
    let r = t.app.deliver_outbox(&m).await.unwrap();
    assert_eq!((r.sent, r.deferred, r.failed), (0, 1, 0));
    let row = &t.app.store.outbox(None, 10).await.unwrap()[0];
    assert_eq!((row.status.as_str(), row.attempts), ("queued", 1));
    assert_eq!(
        row.next_attempt_at,
        at(2026, 11, 25) + chrono::Duration::seconds(60)
    );
    assert!(row.last_error.as_deref().unwrap().starts_with("smtp "));
    // Not due again before the backoff has passed.
    assert_eq!(t.app.deliver_outbox(&m).await.unwrap().deferred, 0);
    // Second failure doubles the delay.
    t.clock.advance(chrono::Duration::seconds(60));
    assert_eq!(t.app.deliver_outbox(&m).await.unwrap().deferred, 1);
    let row = &t.app.store.outbox(None, 10).await.unwrap()[0];
    assert_eq!(row.attempts, 2);
    assert_eq!(
        row.next_attempt_at,
        at(2026, 11, 25) + chrono::Duration::seconds(60 + 120)
    );
    let c = t.app.store.outbox_counts().await.unwrap();
    assert_eq!((c.queued, c.sent, c.failed), (1, 0, 0));

    // The server comes back: the next round delivers it, exactly once.
    let sink = SmtpSink::start(port).unwrap();
    assert_eq!(
        t.app.deliver_outbox(&m).await.unwrap().sent,
        0,
        "still backing off"
    );
    t.clock.advance(chrono::Duration::seconds(120));
    assert_eq!(t.app.deliver_outbox(&m).await.unwrap().sent, 1);
    t.clock.advance(chrono::Duration::seconds(3600));
    assert_eq!(t.app.deliver_outbox(&m).await.unwrap().sent, 0);
    let got = sink.wait_for(1, Duration::from_secs(10)).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].rcpt_tos, vec!["ca.admin@ca.example".to_string()]);
    let c = t.app.store.outbox_counts().await.unwrap();
    assert_eq!((c.queued, c.sent, c.failed), (0, 1, 0));
}

#[tokio::test]
async fn mail_fails_visibly_after_the_last_attempt_and_can_be_retried() {
    let mut t = setup().await;
    t.app.outbox.max_attempts = 2;
    let sys = Actor::system();
    t.app
        .queue_test_mail(&sys, "ops@puente.example", "es")
        .await
        .unwrap();
    let m = mailer(free_port().unwrap());
    assert_eq!(t.app.deliver_outbox(&m).await.unwrap().deferred, 1);
    t.clock.advance(chrono::Duration::seconds(60));
    assert_eq!(t.app.deliver_outbox(&m).await.unwrap().failed, 1);
    let (counts, rows) = t.app.outbox_status(&sys, Some("failed"), 10).await.unwrap();
    assert_eq!(counts.failed, 1);
    assert_eq!(rows[0].template, "test");
    assert!(rows[0].subject.contains("mensaje de prueba"));
    assert!(matches!(
        t.app
            .outbox_status(&actor("a", Role::DataAdministrator, "TX"), None, 10)
            .await,
        Err(AppError::Forbidden)
    ));
    t.app.retry_mail(&sys, &rows[0].id).await.unwrap();
    let sink = SmtpSink::start(free_port().unwrap()).unwrap();
    assert_eq!(
        t.app.deliver_outbox(&mailer(sink.port)).await.unwrap().sent,
        1
    );
    assert_eq!(sink.wait_for(1, Duration::from_secs(10)).unwrap().len(), 1);
}

#[tokio::test]
async fn a_rolled_back_action_sends_nothing() {
    let t = setup().await;
    admin_account(&t, "ca.admin@ca.example", "CA", None).await;
    // Unknown child: the notice fails and no e-mail is queued.
    let r = t
        .app
        .send_move_notice(
            &actor("s", Role::PrimaryUser, "TX"),
            "100000000007",
            &move_to("CA"),
        )
        .await;
    assert!(r.is_err());
    assert_eq!(t.app.store.outbox_counts().await.unwrap().queued, 0);
}

#[tokio::test]
async fn data_request_escalates_after_two_working_days_and_closes_when_answered() {
    let t = setup().await;
    let msix = child(&t).await;
    let ca = admin_account(&t, "ca.admin@ca.example", "CA", Some("es")).await;
    let tx_admin = admin_account(&t, "tx.admin@tx.example", "TX", None).await;
    let asker = actor("asker", Role::PrimaryUser, "TX");
    let bad = DataRequestInput {
        to_state: "CA".into(),
        ..Default::default()
    };
    assert_eq!(
        puente_app::notices::validate_data_request(&bad),
        vec![("topic", "required"), ("message", "required")]
    );
    let n = t
        .app
        .send_data_request(
            &asker,
            &msix,
            &DataRequestInput {
                to_state: "CA".into(),
                to_district: Some("0612345".into()),
                topic: "withdrawal date".into(),
                message: "Please send the withdrawal date from Salinas.".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(n.level, Level::District);
    assert_eq!(n.due_on, Some(day(2026, 12, 2)));

    // Wed 25 Nov + 2 working days = Mon 30 Nov (Thanksgiving and the weekend do not count).
    for (d, expected) in [(at(2026, 11, 27), 0), (at(2026, 11, 30), 0)] {
        t.clock.set(d);
        assert_eq!(t.app.escalate_notices().await.unwrap(), expected);
    }
    t.clock.set(at(2026, 12, 1));
    assert_eq!(t.app.escalate_notices().await.unwrap(), 1);
    assert_eq!(t.app.escalate_notices().await.unwrap(), 0, "escalates once");
    let d = t.app.notice_detail(&ca, &n.id).await.unwrap();
    assert_eq!(d.notice.level, Level::Regional);
    assert!(d.notice.escalated);
    assert!(!d.notice.overdue);
    let mails = t.app.store.outbox_of_notice(&n.id).await.unwrap();
    let templates: Vec<&str> = mails.iter().map(|m| m.template.as_str()).collect();
    assert_eq!(templates, vec!["notice.data_request", "notice.escalated"]);
    assert_eq!(actions(&t, "notice.escalate").await, 1);

    // Overdue after 2 December; the thread: the asker adds a message, CA answers and closes.
    t.clock.set(at(2026, 12, 3));
    assert!(
        t.app
            .notice_detail(&ca, &n.id)
            .await
            .unwrap()
            .notice
            .overdue
    );
    t.app
        .post_notice_message(&asker, &n.id, "Any news?", true)
        .await
        .unwrap();
    let open = t.app.notice_detail(&ca, &n.id).await.unwrap();
    assert_eq!(
        open.notice.status,
        NoticeStatus::Open,
        "the asker's message does not close"
    );
    let answered = t
        .app
        .post_notice_message(&ca, &n.id, "Withdrawn on 20 November 2026.", true)
        .await
        .unwrap();
    assert_eq!(answered.status, NoticeStatus::Closed);
    assert_eq!(answered.outcome.as_deref(), Some("answered"));
    let d = t.app.notice_detail(&asker, &n.id).await.unwrap();
    assert_eq!(d.messages.len(), 3);
    assert_eq!(d.messages[2].author_state.as_deref(), Some("CA"));
    // Replies were e-mailed to the other side (TX's data administrator for CA's answer).
    let replies: Vec<_> = t
        .app
        .store
        .outbox_of_notice(&n.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.template == "notice.reply")
        .collect();
    assert_eq!(replies.len(), 2);
    assert_eq!(replies[1].recipient, "tx.admin@tx.example");
    let _ = tx_admin;
    assert!(matches!(
        t.app.post_notice_message(&ca, &n.id, "more", false).await,
        Err(AppError::Invalid(_))
    ));
}

#[tokio::test]
async fn correction_request_clocks_forwarding_and_decision() {
    let t = setup().await;
    // Tuesday 22 December 2026.
    t.clock.set(at(2026, 12, 22));
    let msix = child(&t).await;
    let tx = admin_account(&t, "tx.admin@tx.example", "TX", None).await;
    let ca = admin_account(&t, "ca.admin@ca.example", "CA", None).await;
    let staff = actor("staff", Role::PrimaryUser, "TX");
    let n = t
        .app
        .record_correction_request(
            &staff,
            &msix,
            &CorrectionInput {
                owner_state: "CA".into(),
                topic: "birth date".into(),
                details: "Mother says the birth date is 7 April, not 4 July.".into(),
            },
        )
        .await
        .unwrap();
    // Forward within 4 working days: 23, 24, (Christmas), 28, 29; decide within 30 calendar days.
    assert_eq!(
        n.obligations,
        vec![
            (Obligation::Forward, day(2026, 12, 29)),
            (Obligation::Decide, day(2027, 1, 21))
        ]
    );
    assert_eq!(n.to_state, "TX");
    // The recording state cannot decide another state's data; CA does not see it yet.
    assert!(matches!(
        t.app.decide_correction(&tx, &n.id, true, "").await,
        Err(AppError::Invalid(_))
    ));
    assert!(t.app.notice_inbox(&ca, false).await.unwrap().is_empty());
    t.clock.set(at(2026, 12, 30));
    assert!(
        t.app
            .notice_detail(&tx, &n.id)
            .await
            .unwrap()
            .notice
            .overdue
    );
    let f = t.app.forward_correction(&tx, &n.id).await.unwrap();
    assert_eq!(f.to_state, "CA");
    assert_eq!(f.obligations, vec![(Obligation::Decide, day(2027, 1, 21))]);
    assert!(!f.overdue);
    let inbox = t.app.notice_inbox(&ca, false).await.unwrap();
    assert_eq!(inbox.len(), 1);
    assert!(inbox[0].actions.decide);
    // Decided to correct on Thursday 31 December: (New Year's Day, weekend) 4..7 January.
    t.clock.set(at(2026, 12, 31));
    let d = t
        .app
        .decide_correction(&ca, &n.id, true, "Birth certificate checked")
        .await
        .unwrap();
    assert_eq!(
        d.obligations,
        vec![(Obligation::SendCorrectedData, day(2027, 1, 7))]
    );
    t.clock.set(at(2027, 1, 8));
    assert!(
        t.app
            .notice_detail(&ca, &n.id)
            .await
            .unwrap()
            .notice
            .overdue
    );
    let c = t.app.record_corrected(&ca, &n.id).await.unwrap();
    assert_eq!(c.status, NoticeStatus::Closed);
    assert!(!c.overdue);
    for a in [
        "notice.correction_request.record",
        "notice.correction.forward",
        "notice.correction.decide",
        "notice.correction.corrected",
    ] {
        assert_eq!(actions(&t, a).await, 1, "{a}");
    }
}

#[tokio::test]
async fn change_of_residence_is_raised_once_to_the_previous_state() {
    let t = setup().await;
    let tx_admin = admin_account(&t, "tx.admin@tx.example", "TX", None).await;
    let tx_rec = student(
        StateCode::TX,
        "T100",
        "Ana",
        "Quintero",
        "Salas",
        "20110407",
    );
    ingest(&t, vec![tx_rec.clone()]).await;
    // Re-sending the same TX record is no move.
    ingest(&t, vec![tx_rec.clone()]).await;
    assert!(
        t.app
            .store
            .notices_for_state(None, true)
            .await
            .unwrap()
            .is_empty()
    );

    // The child enrolls in California: a CA record with a newer enrollment, sent twice in one
    // batch and again in a later batch.
    let mut ca_rec = student(
        StateCode::CA,
        "C100",
        "Ana",
        "Quintero",
        "Salas",
        "20110407",
    );
    let e = &mut ca_rec.enrollments[0];
    e.enrollment_date = day(2026, 11, 20);
    e.facility_state = Some(StateCode::CA);
    e.district_id = Some("0612345".into());
    e.withdrawal_date = None;
    let out = ingest(&t, vec![ca_rec.clone(), ca_rec.clone()]).await;
    t.clock.advance(chrono::Duration::hours(1));
    ingest(&t, vec![ca_rec.clone()]).await;
    let notices = t.app.store.notices_for_state(None, true).await.unwrap();
    let cors: Vec<_> = notices
        .iter()
        .filter(|n| n.kind == "change_of_residence")
        .collect();
    assert_eq!(cors.len(), 1, "raised once, not once per record");
    let n = cors[0];
    assert_eq!(n.to_state, "TX");
    assert_eq!(n.to_district.as_deref(), Some("4845120"));
    assert_eq!(n.from_state.as_deref(), Some("CA"));
    assert_eq!(n.msix_id, out[0].msix_id.to_string());
    // The previous state's 4-working-day clock: Wed 25 Nov -> Wed 2 Dec.
    assert_eq!(n.due_on, Some(day(2026, 12, 2)));
    let inbox = t.app.notice_inbox(&tx_admin, false).await.unwrap();
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].kind, NoticeKind::ChangeOfResidence);
    assert_eq!(
        inbox[0].obligations,
        vec![(Obligation::SubmitUpdates, day(2026, 12, 2))]
    );
    let mails = t.app.store.outbox_of_notice(&n.id).await.unwrap();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].recipient, "tx.admin@tx.example");
    assert_eq!(actions(&t, "notice.change_of_residence.raise").await, 1);
    // Acknowledging keeps the update clock running until the outcome is recorded.
    let acked = t.app.acknowledge_notice(&tx_admin, &n.id).await.unwrap();
    assert_eq!(acked.due_on, Some(day(2026, 12, 2)));
    let closed = t
        .app
        .record_outcome(&tx_admin, &n.id, "Withdrawal date submitted")
        .await
        .unwrap();
    assert_eq!(closed.status, NoticeStatus::Closed);
}

#[tokio::test]
async fn the_quality_report_counts_change_of_residence_updates_against_the_four_working_days() {
    let t = setup().await;
    let tx_admin = actor("tx-dq", Role::DataAdministrator, "TX");
    // Two children leave Texas for California on Wednesday 25 November 2026 (Thanksgiving on
    // the 26th): Texas must send updates by Wednesday 2 December.
    let moved = |ssid: &str, first: &str, birth: &str, state: StateCode| {
        let mut r = student(state, ssid, first, "Quintero", "Salas", birth);
        if state == StateCode::CA {
            let e = &mut r.enrollments[0];
            e.enrollment_date = day(2026, 11, 20);
            e.facility_state = Some(StateCode::CA);
            e.district_id = Some("0612345".into());
            e.withdrawal_date = None;
        }
        r
    };
    let tx_a = moved("T1", "Ana", "20110407", StateCode::TX);
    let tx_b = moved("T2", "Eva", "20090101", StateCode::TX);
    ingest(&t, vec![tx_a.clone(), tx_b.clone()]).await;
    t.clock.advance(chrono::Duration::hours(1));
    ingest(
        &t,
        vec![
            moved("C1", "Ana", "20110407", StateCode::CA),
            moved("C2", "Eva", "20090101", StateCode::CA),
        ],
    )
    .await;
    // Texas re-sends Eva's record on Tuesday 1 December: on time.
    t.clock.set(at(2026, 12, 1));
    ingest(&t, vec![tx_b]).await;
    t.clock.set(at(2026, 12, 2));
    assert_eq!(
        late_residence_updates(&t, &tx_admin).await,
        0,
        "nothing is late on the last day"
    );
    t.clock.set(at(2026, 12, 3));
    assert_eq!(
        late_residence_updates(&t, &tx_admin).await,
        1,
        "Ana's update has not come"
    );
    // Ana's update on the 3rd is one working day late, and stays counted.
    ingest(&t, vec![tx_a]).await;
    t.clock.set(at(2026, 12, 10));
    assert_eq!(late_residence_updates(&t, &tx_admin).await, 1);
    let ids = t
        .app
        .data_quality_list(&tx_admin, "TX", "late.change_of_residence", None)
        .await
        .unwrap();
    assert_eq!(ids.len(), 1);
}

async fn late_residence_updates(t: &T, a: &Actor) -> u64 {
    t.app
        .data_quality(a, "TX")
        .await
        .unwrap()
        .tally
        .by_code
        .get("late.change_of_residence")
        .copied()
        .unwrap_or(0)
}
