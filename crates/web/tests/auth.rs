#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Sign-in, sessions, CSRF and the authorization matrix (every role x every declared route),
//! through the real router on the configured backend.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use puente_app::accounts::DEMO_PASSWORD;
use puente_app::auth::totp_at;
use puente_domain::roles::Role;
use puente_web::auth::{Access, route_table};
use puente_web::{WebState, router};
use tower::ServiceExt;

struct Site {
    router: Router,
    app: Arc<puente_app::App>,
    _db: puente_testkit::db::TestDb,
}

async fn site() -> Site {
    let db = puente_testkit::db::test_db().await.unwrap();
    let app = Arc::new(
        puente_app::App::new(db.store.clone(), Arc::new(puente_app::SystemClock))
            .await
            .unwrap(),
    );
    app.seed_demo_accounts().await.unwrap();
    Site {
        router: router(WebState { app: app.clone() }),
        app,
        _db: db,
    }
}

fn email(role: Role) -> String {
    format!("{}@demo.puente.test", role.code().replace('_', "."))
}

async fn send(s: &Site, req: Request<Body>) -> (Response<Body>, String) {
    let resp = s.router.clone().oneshot(req).await.unwrap();
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (
        Response::from_parts(parts, Body::empty()),
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

fn header(r: &Response<Body>, name: &str) -> String {
    r.headers()
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The value of a cookie set by a response.
fn set_cookie(r: &Response<Body>, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap().to_owned())
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let rest = html
        .split(&marker)
        .nth(1)
        .unwrap_or_else(|| panic!("no {name}"));
    rest.split('"').next().unwrap().to_owned()
}

fn form_post(uri: &str, cookie: &str, body: &str) -> Request<Body> {
    Request::post(uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", cookie)
        .body(Body::from(body.to_owned()))
        .unwrap()
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Signs in through the pages; returns the session cookie value and its CSRF token.
async fn sign_in(s: &Site, role: Role) -> (String, String) {
    let (resp, html) = send(s, Request::get("/login").body(Body::empty()).unwrap()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let pre = set_cookie(&resp, "puente_csrf").unwrap();
    let csrf = hidden(&html, "_csrf");
    let (resp, _) = send(
        s,
        form_post(
            "/login",
            &format!("puente_csrf={pre}"),
            &format!(
                "_csrf={csrf}&email={}&password={}&next=%2F",
                enc(&email(role)),
                enc(DEMO_PASSWORD)
            ),
        ),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{role:?}");
    assert!(header(&resp, "location").starts_with("/login/mfa"));
    let pending = set_cookie(&resp, "puente_session").unwrap();
    let cookie = format!("puente_session={pending}");
    let (resp, html) = send(
        s,
        Request::get("/login/mfa?next=%2F")
            .header("cookie", &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let csrf = hidden(&html, "_csrf");
    let secret = s
        .app
        .store
        .user_by_email(&email(role))
        .await
        .unwrap()
        .unwrap()
        .totp_secret
        .unwrap();
    let code = totp_at(&secret, chrono::Utc::now()).unwrap();
    let (resp, _) = send(
        s,
        form_post(
            "/login/mfa",
            &cookie,
            &format!("_csrf={csrf}&code={code}&next=%2F"),
        ),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let session = set_cookie(&resp, "puente_session").unwrap();
    assert_ne!(session, pending, "a new session id at login");
    let info = s.app.session(&session, None).await.unwrap().unwrap();
    (session, info.csrf_token)
}

#[tokio::test]
async fn sign_in_sets_a_safe_cookie_and_sign_out_ends_the_session() {
    let s = site().await;
    let (resp, _) = send(&s, Request::get("/login").body(Body::empty()).unwrap()).await;
    assert!(header(&resp, "set-cookie").contains("HttpOnly"));
    let (token, csrf) = sign_in(&s, Role::PrimaryUser).await;
    let cookie = format!("puente_session={token}");
    let (resp, html) = send(
        &s,
        Request::get("/search")
            .header("cookie", &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(html.contains("action=\"/logout\""));
    // Navigation shows only permitted sections.
    assert!(!html.contains("href=\"/admin\""));
    // Logout without the token is refused; with it, the session is gone.
    let (resp, _) = send(&s, form_post("/logout", &cookie, "")).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let (resp, _) = send(&s, form_post("/logout", &cookie, &format!("_csrf={csrf}"))).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(header(&resp, "set-cookie").contains("puente_session=; Path=/; Max-Age=0"));
    assert!(s.app.session(&token, None).await.unwrap().is_none());
    let (resp, _) = send(
        &s,
        Request::get("/search")
            .header("cookie", &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(header(&resp, "location"), "/login?next=%2Fsearch");
}

#[tokio::test]
async fn session_cookie_attributes() {
    let c = puente_web::session::session_cookie("abc", false);
    assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && !c.contains("Secure"));
    assert!(puente_web::session::session_cookie("abc", true).contains("; Secure"));
}

#[tokio::test]
async fn a_session_id_planted_before_login_is_not_kept() {
    let s = site().await;
    let (planted, _) = sign_in(&s, Role::SecondaryUser).await;
    // Sign in again while sending the old cookie: the old session ends, a new id is issued.
    let (resp, html) = send(&s, Request::get("/login").body(Body::empty()).unwrap()).await;
    let pre = set_cookie(&resp, "puente_csrf").unwrap();
    let csrf = hidden(&html, "_csrf");
    let (resp, _) = send(
        &s,
        form_post(
            "/login",
            &format!("puente_csrf={pre}; puente_session={planted}"),
            &format!(
                "_csrf={csrf}&email={}&password={}",
                enc(&email(Role::SecondaryUser)),
                enc(DEMO_PASSWORD)
            ),
        ),
    )
    .await;
    // With a session, the CSRF token must be the session's: the login form's token is refused.
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let (resp, _) = send(
        &s,
        form_post(
            "/login",
            &format!("puente_csrf={pre}"),
            &format!(
                "_csrf={csrf}&email={}&password={}",
                enc(&email(Role::SecondaryUser)),
                enc(DEMO_PASSWORD)
            ),
        ),
    )
    .await;
    let new = set_cookie(&resp, "puente_session").unwrap();
    assert_ne!(new, planted);
}

#[tokio::test]
async fn wrong_password_and_unknown_account_get_the_same_page() {
    let s = site().await;
    let (resp, html) = send(&s, Request::get("/login").body(Body::empty()).unwrap()).await;
    let pre = set_cookie(&resp, "puente_csrf").unwrap();
    let csrf = hidden(&html, "_csrf");
    let mut pages = Vec::new();
    for who in ["nobody@example.org", &email(Role::PrimaryUser)] {
        let (resp, html) = send(
            &s,
            form_post(
                "/login",
                &format!("puente_csrf={pre}"),
                &format!("_csrf={csrf}&email=x&password=wrong+password+here&next=%2F")
                    .replace("email=x", &format!("email={}", enc(who))),
            ),
        )
        .await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        assert!(set_cookie(&resp, "puente_session").is_none());
        pages.push(html.replace(&enc(who), "").replace(who, ""));
    }
    assert_eq!(pages[0], pages[1]);
}

#[tokio::test]
async fn state_changing_requests_need_the_csrf_token() {
    let s = site().await;
    // No token at all.
    let (resp, _) = send(
        &s,
        form_post("/login", "", "email=a%40b.c&password=whatever+whatever"),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // A token that does not match the cookie.
    let (resp, _) = send(
        &s,
        form_post(
            "/login",
            "puente_csrf=aaaa",
            "_csrf=bbbb&email=a%40b.c&password=whatever+whatever",
        ),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // A signed-in user's form with another session's token.
    let (token, _) = sign_in(&s, Role::DataAdministrator).await;
    let (_, other_csrf) = sign_in(&s, Role::PrimaryUser).await;
    let (resp, _) = send(
        &s,
        form_post(
            "/account/rules",
            &format!("puente_session={token}"),
            &format!("_csrf={other_csrf}&accept=on"),
        ),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

fn sample_path(p: &str) -> String {
    p.replace("{code}", "es")
        .replace("{*path}", "css/puente.css")
        .replace("{guide}", "registrar")
        .replace("{file}", "index.html")
        .replace("{token}", &"0".repeat(64))
        .replace("{id}", "00000000-0000-7000-8000-000000000000")
        // A print needs its purpose (without one the form comes back).
        .replace("/report.pdf", "/report.pdf?purpose=enrollment")
}

/// What a route's path parameter designates, for the in-scope / out-of-scope rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Subject {
    /// Nothing scoped (or scoped by the signed-in user's own state, not by a path parameter).
    None,
    /// One child's consolidated record (`{msix_id}`). The exchange is national: an authorized
    /// user of any state views any child's consolidated record (it exists so that the state a
    /// family moves to sees what the other states sent; domain-rules "Records" and
    /// "Who uses it"). Out-of-scope children are therefore allowed to every viewing role.
    ChildNational,
    /// One child's record where only users whose state holds a record of the child may act
    /// (for routes that change a child's record rather than view it).
    ChildOwnState,
    /// One account application (`{application_id}`): decided by a user administrator of the
    /// applicant's state, or a national administrator.
    Application,
    /// One user account (`{user_id}`): a state user administrator manages their state's accounts
    /// only; national administrators any.
    Account,
}

/// The authorization matrix, written independently of `route_table()`: every declared route
/// with the roles that may use it. Letters: S secondary user, P primary user, D data
/// administrator, U user administrator, F federal viewer, A system administrator, M state system
/// (API token; API routes only); `*` anyone, signed in or not. A route missing here fails
/// `matrix_covers_every_route`: add its line when you add the route.
const MATRIX: &[(&str, &str, &str, Subject)] = &[
    ("GET", "/", "*", Subject::None),
    ("GET", "/healthz", "*", Subject::None),
    ("GET", "/api/v1", "*", Subject::None),
    ("GET", "/api/openapi.json", "*", Subject::None),
    ("GET", "/api/docs", "*", Subject::None),
    ("GET", "/api/docs/{file}", "*", Subject::None),
    ("GET", "/language/{code}", "*", Subject::None),
    ("GET", "/static/{*path}", "*", Subject::None),
    ("GET", "/help", "*", Subject::None),
    ("GET", "/help/{guide}", "*", Subject::None),
    ("GET", "/login", "*", Subject::None),
    ("POST", "/login", "*", Subject::None),
    ("GET", "/login/mfa", "*", Subject::None),
    ("POST", "/login/mfa", "*", Subject::None),
    ("GET", "/login/enroll", "*", Subject::None),
    ("POST", "/login/enroll", "*", Subject::None),
    ("POST", "/logout", "*", Subject::None),
    ("GET", "/account/rules", "SPDUFA", Subject::None),
    ("POST", "/account/rules", "SPDUFA", Subject::None),
    ("GET", "/search", "SPD", Subject::None),
    ("GET", "/students/{msix_id}", "SPD", Subject::ChildNational),
    (
        "GET",
        "/students/{msix_id}/report.pdf",
        "SPD",
        Subject::ChildNational,
    ),
    (
        "GET",
        "/api/v1/students/{msix_id}/report.pdf",
        "SPD",
        Subject::ChildNational,
    ),
    ("GET", "/api/v1/students", "SPD", Subject::None),
    (
        "GET",
        "/api/v1/students/{msix_id}",
        "SPD",
        Subject::ChildNational,
    ),
    ("POST", "/api/v1/submissions", "DM", Subject::None),
    ("GET", "/api/v1/submissions/{id}", "DM", Subject::None),
    (
        "GET",
        "/api/v1/submissions/{id}/report.csv",
        "DM",
        Subject::None,
    ),
    ("GET", "/worklists", "D", Subject::None),
    ("GET", "/worklists/{id}", "D", Subject::None),
    ("POST", "/worklists/{id}/resolve", "D", Subject::None),
    ("POST", "/worklists/{id}/validate", "D", Subject::None),
    ("POST", "/worklists/{id}/reassign", "D", Subject::None),
    // Identity history and merges/splits change (or reveal the changes of) a child's identity:
    // only for children with a record or enrollment in the user's state.
    (
        "GET",
        "/students/{msix_id}/history",
        "D",
        Subject::ChildOwnState,
    ),
    (
        "GET",
        "/students/{msix_id}/merge",
        "PD",
        Subject::ChildOwnState,
    ),
    (
        "POST",
        "/students/{msix_id}/merge",
        "PD",
        Subject::ChildOwnState,
    ),
    (
        "GET",
        "/students/{msix_id}/split",
        "PD",
        Subject::ChildOwnState,
    ),
    (
        "POST",
        "/students/{msix_id}/split",
        "PD",
        Subject::ChildOwnState,
    ),
    ("GET", "/notices", "PD", Subject::None),
    ("GET", "/notices/{id}", "PD", Subject::None),
    ("POST", "/notices/{id}", "PD", Subject::None),
    ("GET", "/notices/{id}/letter.pdf", "PD", Subject::None),
    (
        "GET",
        "/students/{msix_id}/move-notice",
        "PD",
        Subject::ChildNational,
    ),
    (
        "POST",
        "/students/{msix_id}/move-notice",
        "PD",
        Subject::ChildNational,
    ),
    (
        "GET",
        "/students/{msix_id}/data-request",
        "PD",
        Subject::ChildNational,
    ),
    (
        "POST",
        "/students/{msix_id}/data-request",
        "PD",
        Subject::ChildNational,
    ),
    (
        "GET",
        "/students/{msix_id}/correction-request",
        "PD",
        Subject::ChildNational,
    ),
    (
        "POST",
        "/students/{msix_id}/correction-request",
        "PD",
        Subject::ChildNational,
    ),
    ("GET", "/reports", "DFA", Subject::None),
    ("GET", "/reports/child-count.csv", "DFA", Subject::None),
    ("GET", "/reports/child-count.xlsx", "DFA", Subject::None),
    ("GET", "/reports/quality.csv", "DFA", Subject::None),
    ("GET", "/reports/quality.xlsx", "DFA", Subject::None),
    ("GET", "/reports/child-count.pdf", "DFA", Subject::None),
    ("GET", "/reports/quality.pdf", "DFA", Subject::None),
    ("GET", "/reports/list", "D", Subject::None),
    ("GET", "/reports/oversight", "DUFA", Subject::None),
    ("GET", "/reports/rejected", "D", Subject::None),
    ("GET", "/reports/reconcile", "D", Subject::None),
    ("POST", "/reports/reconcile", "D", Subject::None),
    ("GET", "/submissions", "D", Subject::None),
    ("POST", "/submissions", "D", Subject::None),
    ("GET", "/submissions/{id}", "D", Subject::None),
    ("GET", "/admin", "UA", Subject::None),
    ("GET", "/admin/outbox", "A", Subject::None),
    ("POST", "/admin/outbox/{id}", "A", Subject::None),
    ("GET", "/admin/users", "UA", Subject::None),
    ("GET", "/admin/users/{user_id}", "UA", Subject::Account),
    (
        "POST",
        "/admin/users/{user_id}/status",
        "UA",
        Subject::Account,
    ),
    (
        "POST",
        "/admin/users/{user_id}/role",
        "UA",
        Subject::Account,
    ),
    ("GET", "/admin/applications", "UA", Subject::None),
    (
        "GET",
        "/admin/applications/{application_id}",
        "UA",
        Subject::Application,
    ),
    (
        "POST",
        "/admin/applications/{application_id}/approve",
        "UA",
        Subject::Application,
    ),
    (
        "POST",
        "/admin/applications/{application_id}/deny",
        "UA",
        Subject::Application,
    ),
    ("GET", "/apply", "*", Subject::None),
    ("POST", "/apply", "*", Subject::None),
    ("GET", "/apply/sent", "*", Subject::None),
    ("GET", "/apply/attest/{token}", "*", Subject::None),
    ("POST", "/apply/attest/{token}", "*", Subject::None),
    ("GET", "/apply/attested", "*", Subject::None),
    ("GET", "/apply/activate/{token}", "*", Subject::None),
    ("POST", "/apply/activate/{token}", "*", Subject::None),
    ("GET", "/admin/audit", "UA", Subject::None),
    ("GET", "/admin/audit.csv", "UA", Subject::None),
];

fn letter(role: Role) -> char {
    match role {
        Role::SecondaryUser => 'S',
        Role::PrimaryUser => 'P',
        Role::DataAdministrator => 'D',
        Role::UserAdministrator => 'U',
        Role::FederalViewer => 'F',
        Role::SystemAdministrator => 'A',
        Role::StateSystem => 'M',
    }
}

/// Whether the matrix lets `role` (or nobody) use a route on an in-scope or out-of-scope subject.
/// Demo accounts are scoped to TX, except the national federal viewer and system administrator.
fn expected(who: &str, subject: Subject, role: Option<Role>, in_scope: bool) -> bool {
    if who == "*" {
        return true;
    }
    let Some(role) = role else { return false };
    if !who.contains(letter(role)) {
        return false;
    }
    let national = matches!(role, Role::FederalViewer | Role::SystemAdministrator);
    match subject {
        Subject::None | Subject::ChildNational => true,
        Subject::ChildOwnState | Subject::Account | Subject::Application => in_scope || national,
    }
}

#[test]
fn matrix_covers_every_route() {
    let declared: Vec<(String, &str)> = route_table()
        .into_iter()
        .map(|(m, p, _)| (m.to_string(), p))
        .collect();
    for (m, p) in &declared {
        let rows = MATRIX.iter().filter(|r| r.0 == m && r.1 == *p).count();
        assert_eq!(
            rows, 1,
            "{m} {p}: add exactly one line for it to MATRIX (tests/auth.rs)"
        );
    }
    for (m, p, _, subject) in MATRIX {
        assert!(
            declared.iter().any(|(dm, dp)| dm == m && dp == p),
            "{m} {p} is in MATRIX but not in route_table()"
        );
        if p.contains("{msix_id}") {
            assert!(
                matches!(subject, Subject::ChildNational | Subject::ChildOwnState),
                "{m} {p} concerns a child: say whose children it reaches"
            );
        }
        if p.contains("{user_id}") {
            assert_eq!(*subject, Subject::Account, "{m} {p}");
        }
        if p.contains("{application_id}") {
            assert_eq!(*subject, Subject::Application, "{m} {p}");
        }
    }
    // The declared access agrees with the matrix for every role (the behaviour is checked by
    // `authorization_matrix`).
    for (m, p, access) in route_table() {
        let row = MATRIX
            .iter()
            .find(|r| r.0 == m.as_str() && r.1 == p)
            .unwrap();
        for role in Role::ALL {
            if role == Role::StateSystem && !p.starts_with("/api/") {
                continue;
            }
            assert_eq!(
                access.allows_role(Some(role)),
                row.2 == "*" || row.2.contains(letter(role)),
                "{role:?} {m} {p}"
            );
        }
    }
}

/// The subjects of the in-scope / out-of-scope rows.
struct Subjects {
    /// A child with a TX record only (inside the demo accounts' TX scope).
    child_tx: String,
    /// A child with a CA record only (outside it).
    child_ca: String,
    /// An account of TX and one of CA.
    user_tx: String,
    user_ca: String,
    /// Applications for access in TX and in CA.
    app_tx: String,
    app_ca: String,
}

async fn subjects(s: &Site) -> Subjects {
    use puente_domain::StateCode;
    use puente_testkit::fixtures::student;
    let out = s
        .app
        .ingest(
            vec![
                student(StateCode::TX, "TX1", "Rosa", "Medina", "Solís", "20110405"),
                student(
                    StateCode::CA,
                    "CA1",
                    "Pedro",
                    "Alvarado",
                    "Ruiz",
                    "20090917",
                ),
            ],
            None,
        )
        .await
        .unwrap();
    let msix = |i: usize| match &out[i] {
        puente_app::ingest::RecordOutcome::Written(w) => w.msix_id.to_string(),
        other => panic!("{other:?}"),
    };
    let mut users = Vec::new();
    for state in ["TX", "CA"] {
        let id = s
            .app
            .create_account(
                &puente_app::Actor::system(),
                &puente_app::accounts::NewAccount {
                    email: format!("matrix.{state}@example.org").to_lowercase(),
                    display_name: format!("Matrix {state}"),
                    role: Role::SecondaryUser,
                    scope_state: Some(state.into()),
                    password: "a fine long passphrase".into(),
                },
            )
            .await
            .unwrap()
            .unwrap();
        users.push(id);
    }
    let mut apps = Vec::new();
    for state in ["TX", "CA"] {
        let sub = s
            .app
            .apply_for_access(
                &puente_app::applications::ApplicationForm {
                    full_name: format!("Applicant {state}"),
                    email: format!("applicant.{state}@example.org").to_lowercase(),
                    organisation: "Migrant program".into(),
                    role: "secondary_user".into(),
                    state: state.into(),
                    district: String::new(),
                    supervisor_name: "Supervisor".into(),
                    supervisor_email: "supervisor@example.org".into(),
                    accept_rules: "on".into(),
                },
                "en",
                None,
            )
            .await
            .unwrap()
            .unwrap();
        apps.push(sub.id);
    }
    Subjects {
        app_tx: apps[0].clone(),
        app_ca: apps[1].clone(),
        child_tx: msix(0),
        child_ca: msix(1),
        user_tx: users[0].clone(),
        user_ca: users[1].clone(),
    }
}

/// Every role (and nobody) against every declared route, and for routes about one child or one
/// account, against a subject inside the user's scope (TX) and one outside it (CA): allowed
/// requests are served (child records: 200), others redirect to the login (nobody) or answer 403
/// (portal) / 401-403 problem+json (API). Zero unexpected allows.
#[tokio::test]
async fn authorization_matrix() {
    let s = site().await;
    let subj = subjects(&s).await;
    let (_, state_token) = s
        .app
        .issue_api_token(&puente_app::Actor::system(), "TX", "matrix")
        .await
        .unwrap();
    // (role, session cookie and CSRF token, bearer token)
    type Who = (Option<Role>, Option<(String, String)>, Option<String>);
    let mut sessions: Vec<Who> = vec![(None, None, None)];
    for role in Role::ALL {
        if role == Role::StateSystem {
            sessions.push((Some(role), None, Some(state_token.clone())));
        } else {
            sessions.push((Some(role), Some(sign_in(&s, role).await), None));
        }
    }
    let mut checked = 0;
    let mut out_of_scope_checked = 0;
    for (role, sess, bearer) in &sessions {
        for (method, path, access) in route_table() {
            let row = MATRIX
                .iter()
                .find(|r| r.0 == method.as_str() && r.1 == path)
                .unwrap_or_else(|| panic!("{method} {path} missing from MATRIX"));
            let api = path.starts_with("/api/");
            if bearer.is_some() && !api {
                // Tokens are only read on the API.
                continue;
            }
            if method == Method::POST && access == Access::Public && sess.is_some() {
                // Login and logout forms: public, and they would end this session.
                continue;
            }
            let variants: Vec<(String, bool)> = match row.3 {
                Subject::None => vec![(sample_path(path), true)],
                Subject::ChildNational | Subject::ChildOwnState => vec![
                    (path.replace("{msix_id}", &subj.child_tx), true),
                    (path.replace("{msix_id}", &subj.child_ca), false),
                ],
                Subject::Account => vec![
                    (path.replace("{user_id}", &subj.user_tx), true),
                    (path.replace("{user_id}", &subj.user_ca), false),
                ],
                Subject::Application => vec![
                    (path.replace("{application_id}", &subj.app_tx), true),
                    (path.replace("{application_id}", &subj.app_ca), false),
                ],
            };
            for (uri, in_scope) in variants {
                let uri = sample_path(&uri);
                let mut req = Request::builder().method(method.clone()).uri(&uri);
                if let Some((token, csrf)) = sess {
                    req = req
                        .header("cookie", format!("puente_session={token}"))
                        .header("x-csrf-token", csrf);
                }
                if let Some(b) = bearer {
                    req = req.header("authorization", format!("Bearer {b}"));
                }
                if method == Method::POST {
                    req = req.header("content-type", "application/x-www-form-urlencoded");
                }
                let (resp, body) = send(&s, req.body(Body::empty()).unwrap()).await;
                let st = resp.status();
                let allowed = expected(row.2, row.3, *role, in_scope);
                let what = format!("{role:?} {method} {uri} (in scope: {in_scope}): {st}");
                if allowed && method == Method::POST && role.is_none() {
                    // Anonymous forms (login) without the pre-login CSRF cookie: refused by CSRF.
                    assert_eq!(st, StatusCode::FORBIDDEN, "{what}");
                } else if allowed {
                    assert!(
                        st != StatusCode::FORBIDDEN && st != StatusCode::UNAUTHORIZED,
                        "{what}"
                    );
                    if row.3 != Subject::None && method == Method::GET {
                        assert_eq!(st, StatusCode::OK, "{what}");
                    }
                } else if role.is_none() {
                    if api {
                        assert_eq!(st, StatusCode::UNAUTHORIZED, "{what}");
                        assert!(header(&resp, "content-type").contains("problem+json"));
                    } else if method == Method::GET {
                        assert_eq!(st, StatusCode::SEE_OTHER, "{what}");
                        assert!(header(&resp, "location").starts_with("/login?next="));
                    } else {
                        // Without a session, the CSRF check refuses first.
                        assert!(
                            st == StatusCode::FORBIDDEN || st == StatusCode::SEE_OTHER,
                            "{what}"
                        );
                    }
                } else {
                    assert_eq!(st, StatusCode::FORBIDDEN, "{what}");
                    if api {
                        assert!(header(&resp, "content-type").contains("problem+json"));
                    } else {
                        assert!(body.contains("<h1>"), "{what}: the 403 page");
                    }
                }
                if !in_scope {
                    out_of_scope_checked += 1;
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 7 * 15, "{checked}");
    assert!(out_of_scope_checked >= 7 * 2, "{out_of_scope_checked}");
    // Every allowed view of a child was audited once, the out-of-scope child too.
    let views = s
        .app
        .store
        .audit_search(&puente_store::AuditFilter {
            action: Some("record.view".into()),
            child_msix_id: Some(subj.child_ca.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(views.len(), 3 * 2, "S, P and D, portal and API");
}

#[tokio::test]
async fn task_sections_require_the_matching_capability() {
    let s = site().await;
    let expect = [
        (Role::SecondaryUser, "/search", true),
        (Role::SecondaryUser, "/worklists", false),
        (Role::DataAdministrator, "/worklists", true),
        (Role::PrimaryUser, "/notices", true),
        (Role::SecondaryUser, "/notices", false),
        (Role::FederalViewer, "/reports", true),
        (Role::FederalViewer, "/search", false),
        (Role::DataAdministrator, "/submissions", true),
        (Role::PrimaryUser, "/submissions", false),
        (Role::UserAdministrator, "/admin", true),
        (Role::DataAdministrator, "/admin", false),
    ];
    for (role, path, ok) in expect {
        let (token, _) = sign_in(&s, role).await;
        let (resp, _) = send(
            &s,
            Request::get(path)
                .header("cookie", format!("puente_session={token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        let want = if ok {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(resp.status(), want, "{role:?} {path}");
    }
}

#[tokio::test]
async fn routes_missing_from_the_table_are_refused() {
    // A route added without a line in the route table cannot be reached (fail closed).
    let s = site().await;
    let r: Router = Router::new()
        .route("/undeclared", axum::routing::get(|| async { "secret" }))
        .route_layer(axum::middleware::from_fn(puente_web::auth::guard));
    let resp = r
        .oneshot(Request::get("/undeclared").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    drop(s);
}

#[tokio::test]
async fn rules_of_behavior_are_asked_before_anything_else() {
    let s = site().await;
    let (token, csrf) = sign_in(&s, Role::PrimaryUser).await;
    // Make the acceptance a year old.
    let u = s
        .app
        .store
        .user_by_email(&email(Role::PrimaryUser))
        .await
        .unwrap()
        .unwrap();
    let mut tx = s.app.store.begin().await.unwrap();
    tx.set_rules_accepted(&u.id, chrono::Utc::now() - chrono::Duration::days(400))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let cookie = format!("puente_session={token}");
    let (resp, _) = send(
        &s,
        Request::get("/search")
            .header("cookie", &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(header(&resp, "location"), "/account/rules?next=%2Fsearch");
    let (resp, _) = send(
        &s,
        form_post(
            "/account/rules",
            &cookie,
            &format!("_csrf={csrf}&accept=on&training=on&next=%2Fsearch"),
        ),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(header(&resp, "location"), "/search");
    let (resp, _) = send(
        &s,
        Request::get("/search")
            .header("cookie", &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn first_login_enrols_mfa_with_a_qr_code() {
    let s = site().await;
    let admin = puente_app::Actor::system();
    s.app
        .create_account(
            &admin,
            &puente_app::accounts::NewAccount {
                email: "new.user@example.org".into(),
                display_name: "New".into(),
                role: Role::SecondaryUser,
                scope_state: Some("TX".into()),
                password: "a fine long passphrase".into(),
            },
        )
        .await
        .unwrap()
        .unwrap();
    let (resp, html) = send(&s, Request::get("/login").body(Body::empty()).unwrap()).await;
    let pre = set_cookie(&resp, "puente_csrf").unwrap();
    let csrf = hidden(&html, "_csrf");
    let (resp, _) = send(
        &s,
        form_post(
            "/login",
            &format!("puente_csrf={pre}"),
            &format!("_csrf={csrf}&email=new.user%40example.org&password=a+fine+long+passphrase"),
        ),
    )
    .await;
    assert!(header(&resp, "location").starts_with("/login/enroll"));
    let cookie = format!(
        "puente_session={}",
        set_cookie(&resp, "puente_session").unwrap()
    );
    let (resp, html) = send(
        &s,
        Request::get("/login/enroll")
            .header("cookie", &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(html.contains("src=\"data:image/svg+xml,"));
    assert!(!html.contains("<script>"));
    let secret = html
        .split("class=\"puente-secret\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let csrf = hidden(&html, "_csrf");
    let code = totp_at(&secret, chrono::Utc::now()).unwrap();
    let (resp, html) = send(
        &s,
        form_post(
            "/login/enroll",
            &cookie,
            &format!("_csrf={csrf}&code={code}"),
        ),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(html.matches("<li><code>").count(), 10, "ten recovery codes");
    assert!(set_cookie(&resp, "puente_session").is_some());
}
