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
        .replace("{id}", "00000000-0000-7000-8000-000000000000")
}

/// Every role (and nobody) against every declared route: allowed routes are not refused,
/// others redirect to the login (nobody) or answer 403 (portal) / 401-403 problem+json (API).
#[tokio::test]
async fn authorization_matrix() {
    let s = site().await;
    let mut sessions = vec![(None, None::<(String, String)>)];
    for role in Role::ALL {
        if role == Role::StateSystem {
            continue;
        }
        sessions.push((Some(role), Some(sign_in(&s, role).await)));
    }
    let mut checked = 0;
    for (role, sess) in &sessions {
        for (method, path, access) in route_table() {
            let uri = sample_path(path);
            if method == Method::POST && access == Access::Public && sess.is_some() {
                // Login and logout forms: public, and they would end this session.
                continue;
            }
            let mut req = Request::builder().method(method.clone()).uri(&uri);
            if let Some((token, csrf)) = sess {
                req = req
                    .header("cookie", format!("puente_session={token}"))
                    .header("x-csrf-token", csrf);
            }
            if method == Method::POST {
                req = req.header("content-type", "application/x-www-form-urlencoded");
            }
            let (resp, body) = send(&s, req.body(Body::empty()).unwrap()).await;
            let st = resp.status();
            let allowed = access.allows_role(*role);
            let api = uri.starts_with("/api/");
            if allowed && method == Method::POST && sess.is_none() {
                // Anonymous forms (login) without the pre-login CSRF cookie: refused by CSRF.
                assert_eq!(st, StatusCode::FORBIDDEN, "{method} {uri}");
            } else if allowed {
                assert!(
                    st != StatusCode::FORBIDDEN && st != StatusCode::UNAUTHORIZED,
                    "{role:?} {method} {uri}: {st}"
                );
            } else if role.is_none() {
                if api {
                    assert_eq!(st, StatusCode::UNAUTHORIZED, "{method} {uri}");
                    assert!(header(&resp, "content-type").contains("problem+json"));
                } else if method == Method::GET {
                    assert_eq!(st, StatusCode::SEE_OTHER, "{method} {uri}");
                    assert!(header(&resp, "location").starts_with("/login?next="));
                } else {
                    // Without a session, the CSRF check refuses first.
                    assert!(
                        st == StatusCode::FORBIDDEN || st == StatusCode::SEE_OTHER,
                        "{method} {uri}: {st}"
                    );
                }
            } else {
                assert_eq!(st, StatusCode::FORBIDDEN, "{role:?} {method} {uri}");
                if api {
                    assert!(header(&resp, "content-type").contains("problem+json"));
                } else {
                    assert!(body.contains("<h1>"), "{uri}: the 403 page");
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 7 * 15, "{checked}");
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
