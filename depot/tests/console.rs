//! The depot console over HTTP against a real depot process (issue 12, ADR 0024): a password
//! set with a one-time setup code; sessions in `HttpOnly`, `SameSite=Strict`, `Secure` cookies;
//! a form without the session's CSRF token refused; "sign out everywhere" ending every session,
//! so a cookie replayed after it is refused; sign-in attempts limited per login; each role sees
//! its own Today (a mentor her mentees), and only operations the audit log, where every sign-in
//! and change is written; both languages. Operations' Shops page (a secret shown once, a revoked
//! shop's delivery refused) and Money page (exchange rates with typed refusals, a sale's margin).
//! The route matrix runs every route for staff of another depot too (ADR 0030): the artisan's
//! order, its check and her replacement code are not theirs.

mod common;
use common::Server;
use reqwest::blocking::{Client, Response};
use reqwest::header::{COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use serde_json::json;

/// A browser without a cookie jar: the tests carry cookies by hand, to replay them.
fn browser() -> Client {
    Client::builder().danger_accept_invalid_certs(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The `fundi_session` cookie a response sets (its value, and the whole header).
fn session_cookie(r: &Response) -> Option<(String, String)> {
    let header = r
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("fundi_session="))?;
    let value = header.split(';').next()?.trim_start_matches("fundi_session=").to_string();
    Some((value, header))
}

struct Console<'s> {
    server: &'s Server,
    http: Client,
}

impl Console<'_> {
    fn get(&self, path: &str, session: Option<&str>) -> Response {
        let mut r = self.http.get(format!("{}{path}", self.server.url));
        if let Some(s) = session {
            r = r.header(COOKIE, format!("fundi_session={s}"));
        }
        r.send().unwrap()
    }

    fn post(&self, path: &str, session: Option<&str>, form: &[(&str, &str)]) -> Response {
        let mut r = self.http.post(format!("{}{path}", self.server.url)).form(form);
        if let Some(s) = session {
            r = r.header(COOKIE, format!("fundi_session={s}"));
        }
        r.send().unwrap()
    }

    /// An import file uploaded as the import form does (multipart, with `csrf`).
    fn upload(&self, session: Option<&str>, csrf: &str, file: &str) -> Response {
        let (ct, body) = multipart(&[("csrf", csrf)], file);
        let mut r = self.http.post(format!("{}/console/orders/import", self.server.url)).header("content-type", ct).body(body);
        if let Some(s) = session {
            r = r.header(COOKIE, format!("fundi_session={s}"));
        }
        r.send().unwrap()
    }

    /// The quality check's form as a browser sends it (multipart), with `photo` as its file.
    fn check(&self, session: Option<&str>, path: &str, fields: &[(&str, &str)], photo: Option<&[u8]>) -> Response {
        let (ct, body) = multipart_photo(fields, photo);
        let mut r = self.http.post(format!("{}{path}", self.server.url)).header("content-type", ct).body(body);
        if let Some(s) = session {
            r = r.header(COOKIE, format!("fundi_session={s}"));
        }
        r.send().unwrap()
    }

    /// A page's text, with its status.
    fn page(&self, path: &str, session: Option<&str>) -> (u16, String) {
        let r = self.get(path, session);
        (r.status().as_u16(), r.text().unwrap())
    }

    /// A one-time setup code for `account`, from the command line.
    fn code(&self, account: &str) -> String {
        let out = self.server.cli(&["console-code", account]);
        out.split_whitespace().nth(3).unwrap().to_string()
    }

    /// Set `login`'s password with a fresh code and return the session that signs in.
    fn set_up(&self, account: &str, login: &str, password: &str) -> String {
        let code = self.code(account);
        let r = self.post(
            "/console/setup",
            None,
            &[("code", &code), ("login", login), ("password", password), ("password_again", password)],
        );
        assert_eq!(r.status().as_u16(), 303, "{}", r.text().unwrap());
        session_cookie(&r).unwrap().0
    }

    fn sign_in(&self, login: &str, password: &str) -> Response {
        self.post("/console/signin", None, &[("login", login), ("password", password)])
    }
}

/// The CSRF token a page's forms carry.
fn csrf_of(page: &str) -> String {
    let at = page.find(r#"name="csrf" value=""#).expect("a form with the CSRF token") + r#"name="csrf" value=""#.len();
    page[at..].split('"').next().unwrap().to_string()
}

#[test]
fn a_password_set_with_a_code_signs_in_and_sign_out_everywhere_ends_every_session() {
    let server = Server::start();
    let ops = server.device("operations", "ops", None);
    let c = Console { server: &server, http: browser() };

    // Nobody signed in: the console's first page is its sign-in.
    let r = c.get("/", None);
    assert_eq!((r.status().as_u16(), r.headers()[LOCATION].to_str().unwrap()), (303, "/console/signin"));
    let (s, page) = c.page("/console/signin", None);
    assert!(s == 200 && page.contains("Sign in") && page.contains(r#"autocomplete="current-password""#), "{page}");

    // The code, typed loosely (lower case, spaces); the passwords must agree; another site's form is refused.
    let code = c.code(&ops.account);
    let typed = code.to_lowercase().replace('-', " ");
    let form = |again: &'static str| {
        vec![
            ("code", typed.clone()),
            ("login", "Ops.Desk".into()),
            ("password", "kiondo-basket-42".into()),
            ("password_again", again.into()),
        ]
    };
    let pairs = |f: &Vec<(&'static str, String)>| f.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    let r = c
        .http
        .post(format!("{}/console/setup", server.url))
        .header(ORIGIN, "https://evil.example")
        .form(&pairs(&form("kiondo-basket-42")))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 403, "another site's form");
    let r = c.http.post(format!("{}/console/setup", server.url)).form(&pairs(&form("something-else-1"))).send().unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().unwrap().contains("The two passwords differ."));
    let r = c.http.post(format!("{}/console/setup", server.url)).form(&pairs(&form("kiondo-basket-42"))).send().unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let (first, header) = session_cookie(&r).expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(header.contains(attribute), "{attribute} missing: {header}");
    }
    // A code works once.
    let r = c.http.post(format!("{}/console/setup", server.url)).form(&pairs(&form("kiondo-basket-42"))).send().unwrap();
    assert_eq!(r.status().as_u16(), 422, "a used code");

    let (s, today) = c.page("/console/today", Some(&first));
    assert_eq!(s, 200);
    assert!(today.contains("Orders to assign") && today.contains("Payouts waiting for approval"), "{today}");
    // Operations see how much the data directory takes (the store itself is more than 0.0 MB).
    let size = today.split("Data on disk ").nth(1).and_then(|t| t.split(" MB").next()).expect("the data directory's size");
    assert!(size.parse::<f64>().is_ok_and(|mb| mb > 0.0), "{size}");
    let r = c.get("/console/today", None);
    assert_eq!((r.status().as_u16(), r.headers()[LOCATION].to_str().unwrap()), (303, "/console/signin"), "no session, no page");
    let csp = c.get("/console/today", Some(&first)).headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "{csp}");

    // A form without the session's CSRF token changes nothing.
    let r = c.post("/console/signout", Some(&first), &[("csrf", "not-the-token")]);
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(c.page("/console/today", Some(&first)).0, 200, "still signed in");

    // A second session (the login is kept in lower case), then sign out everywhere from the first.
    let r = c.sign_in("ops.desk", "kiondo-basket-42");
    assert_eq!(r.status().as_u16(), 303);
    let (second, _) = session_cookie(&r).unwrap();
    let r = c.post("/console/signout-everywhere", Some(&first), &[("csrf", &csrf_of(&today))]);
    assert_eq!(r.status().as_u16(), 303);
    assert!(session_cookie(&r).is_some_and(|(v, h)| v.is_empty() && h.contains("Max-Age=0")), "the cookie is cleared");
    for (which, cookie) in [("the first", &first), ("the second", &second)] {
        let r = c.get("/console/today", Some(cookie));
        assert_eq!(r.status().as_u16(), 303, "{which} session, replayed after signing out everywhere");
    }

    // The audit log: who signed in, set a password, signed out everywhere.
    let third = session_cookie(&c.sign_in("ops.desk", "kiondo-basket-42")).unwrap().0;
    let (s, audit) = c.page("/console/audit", Some(&third));
    assert_eq!(s, 200);
    for action in ["console.setup_code", "console.password_set", "console.sign_in", "console.sign_out_everywhere"] {
        assert!(audit.contains(action), "{action} not in the audit log: {audit}");
    }
}

#[test]
fn each_role_sees_its_own_today_and_sign_in_is_rate_limited() {
    let server = Server::start();
    let ops = server.device("operations", "ops", None);
    let staff = server.device("staff", "desk", None);
    let mentor = server.device("mentor", "Mama Wanjiku", None);
    let artisan = server.device("artisan", "Akinyi Otieno", Some(&mentor.account));
    let c = Console { server: &server, http: browser() };

    // Artisans use the app: no console code for them.
    let refused = server.cli_fails(&["console-code", &artisan.account]);
    assert!(refused.contains("artisans use the app"), "{refused}");

    // An order to assign shows on staff's Today; the audit log is operations' alone.
    let order = json!({"source": "shop", "external_ref": "C-1", "product": "Sisal mat", "quantity": 1, "price_minor": 90_000});
    assert_eq!(server.req(Some(&ops), "/v1/orders", Some(json!({ "orders": [order] }))).0, 200);
    let desk = c.set_up(&staff.account, "desk", "depot-liaison-7");
    let (s, today) = c.page("/console/today", Some(&desk));
    assert!(s == 200 && today.contains("Sisal mat"), "{today}");
    assert!(!today.contains("Payouts waiting for approval"), "staff approve no payouts");
    assert!(!today.contains("Data on disk"), "the data directory's size is for operations");
    assert_eq!(c.page("/console/audit", Some(&desk)).0, 403);

    // A mentor's Today is her mentees; in Kiswahili when she asks for it.
    let wanjiku = c.set_up(&mentor.account, "wanjiku", "mama-wanjiku-2026");
    let (s, today) = c.page("/console/today", Some(&wanjiku));
    assert!(s == 200 && today.contains("Your mentees") && today.contains("Akinyi Otieno"), "{today}");
    assert!(!today.contains("Sisal mat"), "a mentor sees her mentees, not the depot's orders");
    let r = c.get("/console/language/sw?back=/console/today", Some(&wanjiku));
    let lang = r.headers()[SET_COOKIE].to_str().unwrap().to_string();
    assert!(lang.starts_with("fundi_lang=sw"), "{lang}");
    let page = c
        .http
        .get(format!("{}/console/today", server.url))
        .header(COOKIE, format!("fundi_session={wanjiku}; fundi_lang=sw"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(page.contains(r#"<html lang="sw">"#) && page.contains("Wanafunzi wako"), "{page}");
    let r = c.get("/console/language/sw?back=https://evil.example/", None);
    assert_eq!(r.headers()[LOCATION].to_str().unwrap(), "/console/today", "no redirect off the console");

    // Five wrong passwords for a login, then even the right one waits.
    c.set_up(&ops.account, "ops", "operations-desk-1");
    for attempt in 1..=5 {
        assert_eq!(c.sign_in("ops", "wrong-password-0").status().as_u16(), 401, "attempt {attempt}");
    }
    assert_eq!(c.sign_in("ops", "operations-desk-1").status().as_u16(), 429, "the sixth attempt in the window");
    // A wrong login is answered as a wrong password.
    let r = c.sign_in("nobody-here", "wrong-password-0");
    assert_eq!(r.status().as_u16(), 401);
    assert!(r.text().unwrap().contains("Wrong login or password."));
}

/// The multipart body of an upload form: (name, value) fields, the file as `file`.
fn multipart(fields: &[(&str, &str)], file: &str) -> (String, Vec<u8>) {
    let boundary = "fundi-test-boundary-7MA4YWxk";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"orders.csv\"\r\nContent-Type: text/csv\r\n\r\n{file}\r\n--{boundary}--\r\n"
    ));
    (format!("multipart/form-data; boundary={boundary}"), body.into_bytes())
}

/// The multipart body of the quality check's form: (name, value) fields, then `photo` as the
/// `photo` file (an empty file part when `None`, as a browser sends a file input left empty).
fn multipart_photo(fields: &[(&str, &str)], photo: Option<&[u8]>) -> (String, Vec<u8>) {
    let boundary = "fundi-test-boundary-Qc7MA4YW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").into_bytes());
    }
    let filename = if photo.is_some() { "goods.jpg" } else { "" };
    body.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
            .into_bytes(),
    );
    body.extend_from_slice(photo.unwrap_or_default());
    body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A small JPEG from the phone's own encoder.
fn a_jpeg() -> Vec<u8> {
    use fundi_core::photos::{encode_rgb, RgbImage};
    let (w, h) = (96u32, 64u32);
    let data = (0..w * h).flat_map(|i| [(i % w * 2) as u8, (i / w * 3) as u8, 120]).collect();
    encode_rgb(&RgbImage { width: w, height: h, data }, 85.0).unwrap()
}

/// The photo hashes an order's page shows in its history (its thumbnails' addresses).
fn photos_on(page: &str, order: &str) -> Vec<String> {
    let prefix = format!("<img src=\"/console/orders/{order}/photos/");
    page.match_indices(&prefix).map(|(at, _)| page[at + prefix.len()..].split('/').next().unwrap().to_string()).collect()
}

/// The value of the hidden `payload` field of the preview's confirm form, unescaped.
fn payload_of(page: &str) -> Option<String> {
    let at = page.find(r#"name="payload" value=""#)? + r#"name="payload" value=""#.len();
    let raw = page[at..].split('"').next()?;
    Some(
        raw.replace("&#10;", "\n")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

#[test]
fn operations_import_orders_with_a_preview_and_staff_take_one_through_the_quality_check() {
    let server = Server::start();
    let ops = server.device("operations", "ops", None);
    let staff = server.device("staff", "desk", None);
    let akinyi = server.device("artisan", "Akinyi Otieno", None);
    let c = Console { server: &server, http: browser() };
    let ops_session = c.set_up(&ops.account, "ops", "operations-desk-1");
    let desk = c.set_up(&staff.account, "desk", "depot-liaison-7");
    let (_, page) = c.page("/console/orders/import", Some(&ops_session));
    let csrf = csrf_of(&page);
    assert_eq!(c.page("/console/orders/import", Some(&desk)).0, 403, "staff do not import orders");

    // A file with a bad row: every row shown, the bad one with its reason, nothing to confirm.
    let bad = "source,external_ref,product,quantity,price_minor\nshop,W-1,Woven basket,2,250000\nshop,W-2,Bowl,0,1000\n";
    let r = c.upload(Some(&ops_session), &csrf, bad);
    let page = r.text().unwrap();
    assert!(page.contains("Woven basket") && page.contains("quantity or price out of range"), "{page}");
    assert!(payload_of(&page).is_none(), "no confirm while a row is bad");
    // Without the session's token the upload is refused.
    let r = c.upload(Some(&ops_session), "forged", bad);
    assert_eq!(r.status().as_u16(), 403);

    // The file fixed: previewed, confirmed, listed.
    let good = format!("source,external_ref,product,quantity,price_minor,artisan_id,due_date\nshop,W-1,Woven basket,2,250000,,\nshop,W-2,Olive wood bowl,1,180000,{},2030-01-15\n", akinyi.account);
    let r = c.upload(Some(&ops_session), &csrf, &good);
    let page = r.text().unwrap();
    let payload = payload_of(&page).expect("a confirm form");
    assert_eq!(payload, good, "the confirm form carries the file as uploaded");
    let r = c.post("/console/orders/import/confirm", Some(&ops_session), &[("csrf", &csrf), ("payload", &payload)]);
    assert_eq!(r.status().as_u16(), 303);
    let (_, list) = c.page(r.headers()[LOCATION].to_str().unwrap(), Some(&ops_session));
    assert!(list.contains("2 orders imported") && list.contains("Woven basket") && list.contains("Olive wood bowl"), "{list}");
    let basket = list
        .split("/console/orders/")
        .filter_map(|p| p.split('"').next())
        .find(|id| id.len() == 36 && list.contains(&format!("/console/orders/{id}\">Woven basket")))
        .unwrap()
        .to_string();

    // Operations assign the basket, choosing from the artisans with their load and record.
    let (_, order) = c.page(&format!("/console/orders/{basket}"), Some(&ops_session));
    assert!(order.contains("Akinyi Otieno (1 orders in hand; quality checks passed / failed 0/0)"), "{order}");
    let r = c.post(
        &format!("/console/orders/{basket}/command"),
        Some(&ops_session),
        &[("csrf", &csrf), ("command", "assign"), ("artisan_id", &akinyi.account)],
    );
    assert_eq!(r.status().as_u16(), 303);
    // A command the state does not allow is refused, and said so on the order's page.
    let r = c.post(&format!("/console/orders/{basket}/command"), Some(&ops_session), &[("csrf", &csrf), ("command", "ship")]);
    assert_eq!(r.status().as_u16(), 409);
    assert!(r.text().unwrap().contains("role=\"alert\""));

    // Her phone takes it to ready; staff receive it and fail the check with a note; she reworks.
    let push = |commands: &[&str]| {
        let ms = commands.iter().map(|c| common::command("order", &basket, c)).collect();
        assert!(server.push(&akinyi, ms).iter().all(Option::is_none));
    };
    push(&["accept", "start_production", "mark_ready"]);
    let (_, page) = c.page(&format!("/console/orders/{basket}"), Some(&desk));
    let desk_csrf = csrf_of(&page);
    assert!(page.contains("Receive the goods"), "{page}");
    let give = |command: &str, reason: &str| {
        let r = c.post(
            &format!("/console/orders/{basket}/command"),
            Some(&desk),
            &[("csrf", &desk_csrf), ("command", command), ("reason", reason)],
        );
        assert_eq!(r.status().as_u16(), 303, "{command}: {}", r.text().unwrap());
    };
    give("receive", "");
    give("qc_fail", "Handles loose on two pieces");
    let (_, page) = c.page(&format!("/console/orders/{basket}"), Some(&desk));
    assert!(page.contains("failed the quality check") && page.contains("Handles loose on two pieces"), "{page}");
    push(&["rework", "mark_ready"]);
    for command in ["receive", "qc_pass", "ship", "deliver"] {
        give(command, "");
    }
    let (_, page) = c.page(&format!("/console/orders/{basket}"), Some(&desk));
    assert!(page.contains("delivered") && page.contains("Nothing for your role to do"), "{page}");
    // Delivered through the console as through the API: she earned the agreed price.
    let ledger = server.cli(&["ledger", &akinyi.account]);
    assert!(ledger.contains("balance: KSh 2,500"), "{ledger}");
    // Every change is in the audit log, with who made it.
    let (_, audit) = c.page("/console/audit", Some(&ops_session));
    for action in ["orders.import", "order.assign", "order.qc_fail", "order.deliver"] {
        assert!(audit.contains(action), "{action} missing: {audit}");
    }
    assert!(audit.contains("Handles loose on two pieces"));
}

#[test]
fn staff_fail_a_check_with_a_photo_the_order_keeps_and_only_who_may_see_the_order_sees_it() {
    let server = Server::start();
    let ops = server.device("operations", "ops", None);
    let staff = server.device("staff", "desk", None);
    let mentor = server.device("mentor", "Mama Wanjiku", None);
    let akinyi = server.device("artisan", "Akinyi Otieno", Some(&mentor.account));
    let other = server.device("artisan", "Zawadi Mwangi", None);
    let c = Console { server: &server, http: browser() };
    let desk = c.set_up(&staff.account, "desk", "depot-liaison-7");
    let ops_session = c.set_up(&ops.account, "ops", "operations-desk-1");
    let wanjiku = c.set_up(&mentor.account, "wanjiku", "mama-wanjiku-2026");
    let orders = json!({ "orders": [
        {"source": "shop", "external_ref": "P-1", "product": "Sisal basket", "quantity": 2, "price_minor": 250_000, "artisan_id": akinyi.account},
        {"source": "shop", "external_ref": "P-2", "product": "Bowl", "quantity": 1, "price_minor": 90_000, "artisan_id": other.account},
    ]});
    let (_, v) = server.req(Some(&ops), "/v1/orders", Some(orders));
    let (basket, bowl) = (v["created"][0].as_str().unwrap().to_string(), v["created"][1].as_str().unwrap().to_string());
    let push = |dev: &common::Dev, id: &str, commands: &[&str]| {
        let ms = commands.iter().map(|c| common::command("order", id, c)).collect();
        assert!(server.push(dev, ms).iter().all(Option::is_none));
    };
    push(&akinyi, &basket, &["accept", "start_production", "mark_ready"]);
    let page_of = |session: &str| c.page(&format!("/console/orders/{basket}"), Some(session));
    let (_, page) = page_of(&desk);
    let csrf = csrf_of(&page);
    let r = c.post(&format!("/console/orders/{basket}/command"), Some(&desk), &[("csrf", &csrf), ("command", "receive")]);
    assert_eq!(r.status().as_u16(), 303);

    // Received: the check's two forms are multipart, each with a camera input.
    let (_, page) = page_of(&desk);
    assert_eq!(page.matches(r#"action="/console/orders/"#).count(), 2, "pass and fail: {page}");
    assert_eq!(page.matches(r#"enctype="multipart/form-data""#).count(), 2, "{page}");
    assert_eq!(page.matches(r#"type="file""#).count(), 2, "{page}");
    assert!(page.contains(r#"accept="image/*" capture="environment""#), "{page}");
    assert!(page.contains("of at most 16 MB."), "{page}");

    let check = format!("/console/orders/{basket}/check");
    let fail_with = |session: &str, token: &str, photo: Option<&[u8]>| {
        c.check(Some(session), &check, &[("csrf", token), ("command", "qc_fail"), ("reason", "Handles loose")], photo)
    };
    let status_now = || {
        let (_, page) = page_of(&desk);
        page.contains("received at the depot") && !page.contains("failed the quality check")
    };
    // Refused, each with nothing recorded and nothing kept: another site's form (no token)...
    assert_eq!(fail_with(&desk, "forged", Some(&a_jpeg())).status().as_u16(), 403);
    // ... a file that is no photo, a photo cut short, a HEIC photo, and one past the limit.
    let refusals: [(&[u8], u16, &str); 4] = [
        (include_bytes!("../../fixtures/photos/hostile/not-an-image.jpg"), 422, "not a JPEG, PNG or WebP photo"),
        (include_bytes!("../../fixtures/photos/hostile/truncated.jpg"), 422, "could not be read"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", 422, "HEIC"),
        (
            &vec![0xFF; fundi_sync::limits::CONSOLE_PHOTO_MAX_BYTES as usize + 1],
            413,
            "too large. The most the console takes is 16 MB",
        ),
    ];
    for (photo, status, words) in refusals {
        let r = fail_with(&desk, &csrf, Some(photo));
        assert_eq!(r.status().as_u16(), status, "{words}");
        let page = r.text().unwrap();
        assert!(page.contains(words) && page.contains("Nothing was recorded.") && page.contains(r#"role="alert""#), "{page}");
        assert!(status_now(), "{words}: the order is still waiting for its check");
    }
    assert!(server.files("blobs").is_empty(), "no blob kept of a refused photo: {:?}", server.files("blobs"));
    // Only the check's two commands come this way.
    let r = c.check(Some(&desk), &check, &[("csrf", &csrf), ("command", "ship")], Some(&a_jpeg()));
    assert_eq!(r.status().as_u16(), 422);

    // A camera's photo (12 MP would do; this one is sideways with EXIF orientation 6 and GPS):
    // kept upright and without its metadata, with a thumbnail, and named in the history.
    let camera = include_bytes!("../../fixtures/photos/camera-portrait-orientation6.jpg");
    let r = fail_with(&desk, &csrf, Some(camera));
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().unwrap());
    let (_, page) = page_of(&desk);
    assert!(page.contains("failed the quality check") && page.contains("Handles loose"), "{page}");
    let photos = photos_on(&page, &basket);
    assert_eq!(photos.len(), 1, "{page}");
    let photo = photos[0].clone();
    assert!(page.contains(&format!(r#"<a class="check-photo" href="/console/orders/{basket}/photos/{photo}">"#)), "{page}");
    assert!(page.contains(r#"alt="Photo taken at the quality check, "#), "{page}");
    let whole = c.get(&format!("/console/orders/{basket}/photos/{photo}"), Some(&desk));
    assert_eq!(whole.status().as_u16(), 200);
    assert_eq!(whole.headers()["content-type"], "image/jpeg");
    let whole = whole.bytes().unwrap();
    assert_eq!(common::sha(&whole), photo, "named by its hash");
    let decoded = fundi_core::photos::decode_full(&whole).unwrap();
    assert_eq!((decoded.width, decoded.height), (1067, 1600), "upright, 1600 px on its long edge");
    assert!(!whole.windows(12).any(|w| w == b"FundiTestCam"), "the camera's metadata is not kept");
    let thumb = c.get(&format!("/console/orders/{basket}/photos/{photo}/thumbnail"), Some(&desk)).bytes().unwrap();
    let thumb = fundi_core::photos::decode_full(&thumb).unwrap();
    assert_eq!((thumb.width, thumb.height), (213, 320));
    assert_eq!(server.files("blobs").len(), 2, "the photo and its thumbnail: {:?}", server.files("blobs"));

    // Who sees it: whoever may see the order's page; a mentor has no order pages; nobody
    // signed in is sent to sign in; through another order it does not exist.
    let get = |path: String, session: Option<&str>| c.get(&path, session).status().as_u16();
    assert_eq!(get(format!("/console/orders/{basket}/photos/{photo}"), Some(&ops_session)), 200);
    assert_eq!(get(format!("/console/orders/{basket}/photos/{photo}/thumbnail"), Some(&wanjiku)), 403);
    assert_eq!(get(format!("/console/orders/{basket}/photos/{photo}"), None), 303);
    assert_eq!(get(format!("/console/orders/{bowl}/photos/{photo}"), Some(&desk)), 404);
    assert_eq!(get(format!("/console/orders/{basket}/photos/{}", "ab".repeat(32)), Some(&desk)), 404);

    // The artisan's phone holds the very history, photo included, and may fetch the photo
    // through the API as any blob of a record of hers; another artisan may not.
    let change = server.pull_all(&akinyi).into_iter().find(|c| c["kind"] == "order" && c["id"] == basket.as_str()).unwrap();
    let last = change["body"]["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["event"].as_str(), last["photo"].as_str()), (Some("qc_fail"), Some(photo.as_str())), "{change}");
    assert_eq!(server.req(Some(&akinyi), &format!("/v1/blobs/{photo}"), None).0, 200);
    assert_eq!(server.req(Some(&akinyi), &format!("/v1/blobs/{photo}/thumbnail"), None).0, 200);
    assert_eq!(server.req(Some(&other), &format!("/v1/blobs/{photo}"), None).0, 404);

    // She reworks; the second check passes with a photo of its own, and no photo is needed.
    push(&akinyi, &basket, &["rework", "mark_ready"]);
    let r = c.post(&format!("/console/orders/{basket}/command"), Some(&desk), &[("csrf", &csrf), ("command", "receive")]);
    assert_eq!(r.status().as_u16(), 303);
    let r = c.check(Some(&desk), &check, &[("csrf", &csrf), ("command", "qc_pass")], Some(&a_jpeg()));
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().unwrap());
    let (_, page) = page_of(&desk);
    assert_eq!(photos_on(&page, &basket).len(), 2, "both checks' photos, newest first: {page}");
    assert_eq!(photos_on(&page, &basket)[1], photo);
    // Every change is in the audit log with the photo it kept.
    let (_, audit) = c.page("/console/audit", Some(&ops_session));
    assert!(audit.contains(&format!("Handles loose; photo {photo}")), "{audit}");
    // The order without a photo: an empty file input is no photo.
    push(&other, &bowl, &["accept", "start_production", "mark_ready"]);
    let r = c.post(&format!("/console/orders/{bowl}/command"), Some(&desk), &[("csrf", &csrf), ("command", "receive")]);
    assert_eq!(r.status().as_u16(), 303);
    let r = c.check(Some(&desk), &format!("/console/orders/{bowl}/check"), &[("csrf", &csrf), ("command", "qc_pass")], None);
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().unwrap());
    let (_, page) = c.page(&format!("/console/orders/{bowl}"), Some(&desk));
    assert!(page.contains("passed the quality check") && photos_on(&page, &bowl).is_empty(), "{page}");
}

#[test]
fn people_are_enrolled_with_a_printed_card_their_lost_phones_revoked_and_mentors_see_only_their_mentees() {
    let server = Server::start();
    let ops = server.device("operations", "ops", None);
    let staff = server.device("staff", "desk", None);
    let wanjiku = server.device("mentor", "Mama Wanjiku", None);
    let other_mentor = server.device("mentor", "Mama Zawadi", None);
    let zawadis = server.device("artisan", "Neema Chebet", Some(&other_mentor.account));
    let c = Console { server: &server, http: browser() };
    let ops_session = c.set_up(&ops.account, "ops", "operations-desk-1");
    let (_, page) = c.page("/console/people", Some(&ops_session));
    let csrf = csrf_of(&page);

    // Operations enroll an artisan under Mama Wanjiku: a card with the code, as text and QR.
    let r = c.post(
        "/console/people/enroll",
        Some(&ops_session),
        &[("csrf", &csrf), ("name", "Akinyi Otieno"), ("role", "artisan"), ("mentor_id", &wanjiku.account)],
    );
    assert_eq!(r.status().as_u16(), 200);
    let card = r.text().unwrap();
    assert!(card.contains("Akinyi Otieno") && card.contains("<svg"), "{card}");
    let code = card
        .split(r#"<p class="code""#)
        .nth(1)
        .and_then(|p| p.split('>').nth(1))
        .and_then(|p| p.split('<').next())
        .unwrap()
        .to_string();
    assert_eq!(code.len(), 14, "a code like 0FFF-3A15-4537: {code}");
    // A phone enrolls with the code read off the card.
    let device = common::uuid_like();
    let (s, v) = server.enroll_raw(&code, &device);
    assert_eq!(s, 200, "{v}");
    let token = v["token"].as_str().unwrap().to_string();
    let account = v["account_id"].as_str().unwrap().to_string();

    // Her mentor sees her, with her phone; not the other mentor's mentee.
    let mentor_session = c.set_up(&wanjiku.account, "wanjiku", "mama-wanjiku-2026");
    let (_, page) = c.page("/console/people", Some(&mentor_session));
    assert!(page.contains("Akinyi Otieno") && page.contains(&device[..8]), "{page}");
    assert!(!page.contains("Neema Chebet"), "another mentor's mentee");
    assert!(!page.contains("console-code"), "only operations give console codes");
    let mentor_csrf = csrf_of(&page);
    // She cannot revoke another mentor's mentee's phone (it does not exist for her).
    let r = c.post(&format!("/console/devices/{}/revoke", zawadis.device), Some(&mentor_session), &[("csrf", &mentor_csrf)]);
    assert_eq!(r.status().as_u16(), 404);
    // She revokes her mentee's lost phone: its next request is refused.
    let r = c.post(&format!("/console/devices/{device}/revoke"), Some(&mentor_session), &[("csrf", &mentor_csrf)]);
    assert_eq!(r.status().as_u16(), 303);
    let refused = c.http.get(format!("{}/v1/sync/pull?cursor=0", server.url)).bearer_auth(&token).send().unwrap();
    assert_eq!(refused.status().as_u16(), 401, "a revoked phone");
    // And gives her a new code for the replacement phone.
    let r = c.post(&format!("/console/people/{account}/code"), Some(&mentor_session), &[("csrf", &mentor_csrf)]);
    assert!(r.status().as_u16() == 200 && r.text().unwrap().contains("Akinyi Otieno"));

    // Staff enroll artisans only: a mentor posted by hand is refused.
    let desk = c.set_up(&staff.account, "desk", "depot-liaison-7");
    let (_, page) = c.page("/console/people", Some(&desk));
    let r = c.post("/console/people/enroll", Some(&desk), &[("csrf", &csrf_of(&page)), ("name", "Someone"), ("role", "mentor")]);
    assert_eq!(r.status().as_u16(), 403);

    // Operations move her to Mama Zawadi, and give Mama Zawadi a console setup code that works.
    let r = c.post(
        &format!("/console/people/{account}/mentor"),
        Some(&ops_session),
        &[("csrf", &csrf), ("mentor_id", &other_mentor.account)],
    );
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = c.page("/console/people", Some(&mentor_session));
    assert!(!page.contains("Akinyi Otieno"), "moved to another mentor");
    let r = c.post(&format!("/console/people/{}/console-code", other_mentor.account), Some(&ops_session), &[("csrf", &csrf)]);
    let card = r.text().unwrap();
    let setup = card
        .split(r#"<p class="code""#)
        .nth(1)
        .and_then(|p| p.split('>').nth(1))
        .and_then(|p| p.split('<').next())
        .unwrap()
        .to_string();
    let r = c.post(
        "/console/setup",
        None,
        &[("code", &setup), ("login", "zawadi"), ("password", "mama-zawadi-2026"), ("password_again", "mama-zawadi-2026")],
    );
    assert_eq!(r.status().as_u16(), 303);
    let (_, audit) = c.page("/console/audit", Some(&ops_session));
    for action in ["account.enroll", "device.revoke", "account.code", "account.set_mentor"] {
        assert!(audit.contains(action), "{action} missing: {audit}");
    }
}

#[test]
fn a_mentor_reviews_her_mentees_drafts_in_the_console_as_on_her_phone() {
    let server = Server::start();
    let wanjiku = server.device("mentor", "Mama Wanjiku", None);
    let zawadi = server.device("mentor", "Mama Zawadi", None);
    let akinyi = server.device("artisan", "Akinyi Otieno", Some(&wanjiku.account));
    let c = Console { server: &server, http: browser() };
    // Two submitted drafts: a basket, and a bowl whose photo has not reached the depot.
    let (basket, bowl) = (common::uuid_like(), common::uuid_like());
    let photo = "ab".repeat(32);
    let writes = vec![
        common::field_write(&basket, "draft", "title", json!("Kiondo basket")),
        common::field_write(&basket, "draft", "price", json!(250_000)),
        common::command("draft", &basket, "submit"),
        common::field_write(&bowl, "draft", "title", json!("Olive wood bowl")),
        common::field_write(&bowl, "draft", "photos", json!([photo])),
        common::command("draft", &bowl, "submit"),
    ];
    assert!(server.push(&akinyi, writes).iter().all(Option::is_none));

    let mine = c.set_up(&wanjiku.account, "wanjiku", "mama-wanjiku-2026");
    let theirs = c.set_up(&zawadi.account, "zawadi", "mama-zawadi-2026");
    let (_, page) = c.page("/console/catalog", Some(&theirs));
    assert!(!page.contains("Kiondo basket"), "another mentor's mentee's drafts");
    let (s, page) = c.page("/console/catalog", Some(&mine));
    assert!(
        s == 200 && page.contains("Kiondo basket") && page.contains("KSh 2,500") && page.contains("Olive wood bowl"),
        "{page}"
    );
    assert!(page.contains(&format!("/console/thumbnails/{photo}")), "{page}");
    let csrf = csrf_of(&page);
    // The photo is not at the depot: no thumbnail yet, and nothing for a stranger.
    assert_eq!(c.get(&format!("/console/thumbnails/{photo}"), Some(&mine)).status().as_u16(), 404);
    assert_eq!(c.get(&format!("/console/thumbnails/{photo}"), None).status().as_u16(), 401);
    // The other mentor cannot review it, even by posting the form by hand.
    let (_, their_page) = c.page("/console/catalog", Some(&theirs));
    let r = c.post(
        &format!("/console/catalog/{basket}/review"),
        Some(&theirs),
        &[("csrf", &csrf_of(&their_page)), ("decision", "approve")],
    );
    assert!(matches!(r.status().as_u16(), 403 | 404), "{}", r.status());

    // Approving the bowl waits for its photo: said on the page.
    let r = c.post(&format!("/console/catalog/{bowl}/review"), Some(&mine), &[("csrf", &csrf), ("decision", "approve")]);
    assert!(r.status().is_client_error(), "{}", r.status());
    assert!(r.text().unwrap().contains("role=\"alert\""));
    // Changes asked for the basket, with a note her phone receives; then nothing left to review of it.
    let r = c.post(
        &format!("/console/catalog/{basket}/review"),
        Some(&mine),
        &[("csrf", &csrf), ("decision", "request_changes"), ("note", "Show the handle up close, please")],
    );
    assert_eq!(r.status().as_u16(), 303);
    let change = server.pull_all(&akinyi).into_iter().find(|c| c["kind"] == "draft" && c["id"] == basket.as_str()).unwrap();
    assert_eq!(change["body"]["status"], "changes_requested", "{change}");
    assert_eq!(change["body"]["doc"]["fields"]["review_note"]["value"], "Show the handle up close, please", "{change}");
    let (_, page) = c.page("/console/catalog", Some(&mine));
    assert!(!page.contains("Kiondo basket"), "reviewed: no longer waiting");
}

/// `METHOD /path` of every console route, read from the console's router.
fn console_routes() -> std::collections::BTreeSet<String> {
    let source = include_str!("../src/http/console/mod.rs");
    let mut out = std::collections::BTreeSet::new();
    for line in source.lines().filter_map(|l| l.trim().strip_prefix(".route(\"")) {
        let (path, rest) = line.split_once('"').unwrap();
        for method in ["get", "post"] {
            if rest.contains(&format!("{method}(")) {
                out.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    out
}

#[test]
fn every_console_route_by_every_role() {
    use Who::*;
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Who {
        Anonymous,
        Staff,
        /// Staff of another depot than the artisan's (ADR 0030).
        OtherStaff,
        Operations,
        Mentor,
    }
    const ALL: [Who; 5] = [Anonymous, Staff, OtherStaff, Operations, Mentor];
    let server = Server::start();
    let ops = server.device("operations", "ops", None);
    let staff = server.device("staff", "desk", None);
    let north = server.add_depot("North");
    let other_staff = server.device_in(&north, "staff", "north desk", None);
    let mentor = server.device("mentor", "Mama Wanjiku", None);
    let artisan = server.device("artisan", "Akinyi Otieno", Some(&mentor.account));
    let c = Console { server: &server, http: browser() };
    let sessions = [
        (Staff, c.set_up(&staff.account, "desk", "depot-liaison-7")),
        (OtherStaff, c.set_up(&other_staff.account, "north-desk", "north-liaison-7")),
        (Operations, c.set_up(&ops.account, "ops", "operations-desk-1")),
        (Mentor, c.set_up(&mentor.account, "wanjiku", "mama-wanjiku-2026")),
    ];
    // An order of no one's yet (in no depot: every depot's staff see it), and one of the artisan's.
    let order = json!({"source": "shop", "external_ref": "M-1", "product": "Mat", "quantity": 1, "price_minor": 90_000});
    let (_, v) = server.req(Some(&ops), "/v1/orders", Some(json!({ "orders": [order] })));
    let order = v["created"][0].as_str().unwrap().to_string();
    let hers = json!({"source": "shop", "external_ref": "M-2", "product": "Bowl", "quantity": 1, "price_minor": 90_000,
        "artisan_id": artisan.account});
    let (_, v) = server.req(Some(&ops), "/v1/orders", Some(json!({ "orders": [hers] })));
    let hers = v["created"][0].as_str().unwrap().to_string();
    let draft = common::uuid_like();
    assert!(server
        .push(
            &artisan,
            vec![common::field_write(&draft, "draft", "title", json!("Bowl")), common::command("draft", &draft, "submit")]
        )
        .iter()
        .all(Option::is_none));
    let photo = "cd".repeat(32);

    // (route as the router names it, the path asked, who may, what a GET expects of the allowed).
    let e = |r: &str| r.to_string();
    let rows: Vec<(String, String, &[Who])> = vec![
        (e("GET /"), e("/"), &ALL),
        (e("GET /console/signin"), e("/console/signin"), &ALL),
        (e("POST /console/signin"), e("/console/signin"), &ALL),
        (e("GET /console/setup"), e("/console/setup"), &ALL),
        (e("POST /console/setup"), e("/console/setup"), &ALL),
        (e("GET /console/language/{code}"), e("/console/language/sw"), &ALL),
        (e("GET /console/today"), e("/console/today"), &[Staff, OtherStaff, Operations, Mentor]),
        (e("GET /console/audit"), e("/console/audit"), &[Operations]),
        (e("GET /console/orders"), e("/console/orders"), &[Staff, OtherStaff, Operations]),
        (e("GET /console/orders/import"), e("/console/orders/import"), &[Operations]),
        (e("POST /console/orders/import"), e("/console/orders/import"), &[Operations]),
        (e("POST /console/orders/import/confirm"), e("/console/orders/import/confirm"), &[Operations]),
        (e("GET /console/orders/{id}"), format!("/console/orders/{order}"), &[Staff, OtherStaff, Operations]),
        // The artisan's order is her depot's: another depot's staff do not find it.
        (e("GET /console/orders/{id}"), format!("/console/orders/{hers}"), &[Staff, Operations]),
        // The command sent is "cancel", which only operations may give (the workflow's rule).
        (e("POST /console/orders/{id}/command"), format!("/console/orders/{order}/command"), &[Operations]),
        (e("POST /console/orders/{id}/command"), format!("/console/orders/{hers}/command"), &[Operations]),
        // A quality check (staff's, by the workflow's table) of an order not yet at the depot:
        // refused as an illegal step to staff, as forbidden to operations.
        (e("POST /console/orders/{id}/check"), format!("/console/orders/{order}/check"), &[Staff, OtherStaff]),
        (e("POST /console/orders/{id}/check"), format!("/console/orders/{hers}/check"), &[Staff]),
        // A photo the order's history does not name: not found to those who may see the order.
        (
            e("GET /console/orders/{id}/photos/{photo}"),
            format!("/console/orders/{order}/photos/{photo}"),
            &[Staff, OtherStaff, Operations],
        ),
        (
            e("GET /console/orders/{id}/photos/{photo}/thumbnail"),
            format!("/console/orders/{order}/photos/{photo}/thumbnail"),
            &[Staff, OtherStaff, Operations],
        ),
        (e("GET /console/people"), e("/console/people"), &[Staff, OtherStaff, Operations, Mentor]),
        (e("POST /console/people/enroll"), e("/console/people/enroll"), &[Staff, OtherStaff, Operations, Mentor]),
        (
            e("POST /console/people/{account}/code"),
            format!("/console/people/{}/code", artisan.account),
            &[Staff, Operations, Mentor],
        ),
        (
            e("POST /console/people/{account}/console-code"),
            format!("/console/people/{}/console-code", staff.account),
            &[Operations],
        ),
        (e("POST /console/people/{account}/mentor"), format!("/console/people/{}/mentor", artisan.account), &[Operations]),
        // No depot named: refused by the rules (422) to operations, by role to the others.
        (e("POST /console/people/{account}/depot"), format!("/console/people/{}/depot", artisan.account), &[Operations]),
        (
            e("POST /console/devices/{device}/revoke"),
            format!("/console/devices/{}/revoke", artisan.device),
            &[Operations, Mentor],
        ),
        (e("GET /console/catalog"), e("/console/catalog"), &[Staff, OtherStaff, Operations, Mentor]),
        // Staff (the depot's liaisons) and the artisan's mentor review; operations do not (the workflow's table).
        (e("POST /console/catalog/{draft}/review"), format!("/console/catalog/{draft}/review"), &[Staff, Mentor]),
        (e("GET /console/thumbnails/{photo}"), format!("/console/thumbnails/{photo}"), &[]),
        (e("GET /console/products"), e("/console/products"), &[Staff, OtherStaff, Operations]),
        (e("POST /console/products/{product}/listing"), format!("/console/products/{draft}/listing"), &[Operations]),
        (e("GET /console/stock"), e("/console/stock"), &[Staff, OtherStaff, Operations]),
        (e("POST /console/stock/movements"), e("/console/stock/movements"), &[Staff, OtherStaff, Operations]),
        (e("GET /console/payouts"), e("/console/payouts"), &[Operations]),
        (e("POST /console/payouts/batches"), e("/console/payouts/batches"), &[Operations]),
        (e("POST /console/payouts/batches/{batch}/approve"), e("/console/payouts/batches/no-such-batch/approve"), &[Operations]),
        (e("GET /console/money"), e("/console/money"), &[Operations]),
        // Harmless values: empty fields, refused by the rules (422) to operations.
        (e("POST /console/money/rates"), e("/console/money/rates"), &[Operations]),
        (e("GET /console/shops"), e("/console/shops"), &[Operations]),
        (e("POST /console/shops"), e("/console/shops"), &[Operations]),
        (e("POST /console/shops/{shop}/revoke"), e("/console/shops/no-such-shop/revoke"), &[Operations]),
        // Last: they end the sessions the rows above use.
        (e("POST /console/signout"), e("/console/signout"), &[Staff, OtherStaff, Operations, Mentor]),
        (e("POST /console/signout-everywhere"), e("/console/signout-everywhere"), &[Staff, OtherStaff, Operations, Mentor]),
    ];
    let covered: std::collections::BTreeSet<String> = rows.iter().map(|(r, ..)| r.clone()).collect();
    assert_eq!(covered, console_routes(), "every console route has its row, and every row a route");

    for (route, path, allowed) in &rows {
        let post = route.starts_with("POST");
        for who in ALL {
            let session = sessions.iter().find(|(w, _)| *w == who).map(|(_, s)| s.as_str());
            // Forms carry the session's own token: a refusal is the rule's, not the token's.
            // (None once a sign-out row above ended the session.)
            let csrf = session
                .map(|s| c.page("/console/people", Some(s)).1)
                .filter(|page| page.contains(r#"name="csrf""#))
                .map(|page| csrf_of(&page))
                .unwrap_or_default();
            let status = if route == "POST /console/orders/import" {
                c.upload(session, &csrf, "source,external_ref,product,quantity,price_minor\n").status().as_u16()
            } else if route == "POST /console/orders/{id}/check" {
                c.check(session, path, &[("csrf", &csrf), ("command", "qc_pass")], Some(&a_jpeg())).status().as_u16()
            } else if post {
                // Harmless values: a refused caller must be refused whatever they send.
                c.post(
                    path,
                    session,
                    &[
                        ("csrf", &csrf),
                        ("command", "cancel"),
                        ("reason", "matrix"),
                        ("decision", "request_changes"),
                        ("note", "matrix"),
                        ("name", "Matrix Test"),
                        ("role", "artisan"),
                        ("login", "nobody"),
                        ("password", "wrong-password"),
                        ("code", "0000-0000-0000-0000"),
                        ("password_again", "x"),
                        ("payload", "source,external_ref,product,quantity,price_minor\n"),
                        ("period_from", "2026-01-01"),
                        ("period_to", "2026-01-02"),
                        ("product_id", "no-such-product"),
                        ("delta", "1"),
                    ],
                )
                .status()
                .as_u16()
            } else {
                c.get(path, session).status().as_u16()
            };
            let public = allowed.contains(&Anonymous);
            if allowed.contains(&who) {
                assert!(status < 500 && status != 403, "{route} as {who:?}: {status}");
            } else if who == Anonymous && !public {
                assert!(matches!(status, 303 | 401), "{route} anonymous: {status} (sign in first)");
            } else {
                assert!(matches!(status, 403 | 404), "{route} as {who:?}: {status}, not refused");
            }
        }
    }
    // Artisans have no console: no setup code, so no password, so no session.
    assert!(server.cli_fails(&["console-code", &artisan.account]).contains("artisans use the app"));
}

#[test]
fn operations_pay_what_is_owed_and_a_second_account_approves_a_large_batch() {
    let server = Server::start();
    let ops = server.device("operations", "ops", None);
    let ops2 = server.device("operations", "ops2", None);
    let staff = server.device("staff", "desk", None);
    let akinyi = server.device("artisan", "Akinyi Otieno", None);
    let write = common::field_write(&akinyi.account, "profile", "phone", json!("0712 300 002"));
    assert_eq!(server.push(&akinyi, vec![write]), vec![None]);
    server.delivered_order(&ops, &akinyi, &staff, "P-1", 6_000_000);
    let c = Console { server: &server, http: browser() };
    let first = c.set_up(&ops.account, "ops", "operations-desk-1");
    let second = c.set_up(&ops2.account, "ops2", "operations-desk-2");
    let (_, page) = c.page("/console/payouts", Some(&first));
    let csrf = csrf_of(&page);
    let today = fundi_sync::dates::Day::of_ms(fundi_sync::hlc::wall_clock_ms()).to_string();
    let r = c.post(
        "/console/payouts/batches",
        Some(&first),
        &[("csrf", &csrf), ("period_from", "2026-01-01"), ("period_to", &today)],
    );
    let page = r.text().unwrap();
    assert!(page.contains("Batch created, awaiting approval: KSh 60,000"), "{page}");
    let batch = page.split("/console/payouts/batches/").nth(1).and_then(|p| p.split('/').next()).unwrap().to_string();
    // Her own batch: not hers to approve.
    let r = c.post(&format!("/console/payouts/batches/{batch}/approve"), Some(&first), &[("csrf", &csrf)]);
    assert_eq!(r.status().as_u16(), 403);
    // Nothing more is owed: a second batch is refused, and said why.
    let r = c.post(
        "/console/payouts/batches",
        Some(&first),
        &[("csrf", &csrf), ("period_from", "2026-01-01"), ("period_to", &today)],
    );
    assert_eq!(r.status().as_u16(), 409);
    // Today shows the batch waiting; the other operations account approves it.
    let (_, today_page) = c.page("/console/today", Some(&second));
    assert!(today_page.contains("KSh 60,000"), "{today_page}");
    let (_, page) = c.page("/console/payouts", Some(&second));
    let r = c.post(&format!("/console/payouts/batches/{batch}/approve"), Some(&second), &[("csrf", &csrf_of(&page))]);
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = c.page("/console/payouts", Some(&second));
    assert!(page.contains("approved") && !page.contains("/approve\""), "{page}");
    // No M-Pesa here: the payout waits, and operations see it waiting, with its sends so far.
    assert!(page.contains("Payouts not settled yet <span class=\"count\">(1)</span>"), "{page}");
    assert!(page.contains("<td>queued</td>") && page.contains("<td>0 / 0</td>"), "{page}");
}

#[test]
fn staff_see_what_the_depot_holds_and_who_recorded_each_movement() {
    let server = Server::start();
    let staff = server.device("staff", "Depot liaison", None);
    let mentor = server.device("mentor", "Mama Wanjiku", None);
    let akinyi = server.device("artisan", "Akinyi Otieno", Some(&mentor.account));
    let basket = common::uuid_like();
    let writes =
        vec![common::field_write(&basket, "draft", "title", json!("Kiondo basket")), common::command("draft", &basket, "submit")];
    assert!(server.push(&akinyi, writes).iter().all(Option::is_none));
    assert_eq!(server.push(&staff, vec![common::command("draft", &basket, "approve")]), vec![None]);
    // Two pieces counted on staff's phone, before anything in the console.
    assert_eq!(server.push(&staff, vec![common::stock_entry(&basket, 2)]), vec![None]);

    let c = Console { server: &server, http: browser() };
    let desk = c.set_up(&staff.account, "desk", "depot-liaison-7");
    let (s, page) = c.page("/console/stock", Some(&desk));
    assert!(s == 200 && page.contains("Kiondo basket") && page.contains("Akinyi Otieno"), "{page}");
    let csrf = csrf_of(&page);
    // Three more received, recorded in the console; a wrong number is explained.
    let r = c.post(
        "/console/stock/movements",
        Some(&desk),
        &[("csrf", &csrf), ("product_id", &basket), ("delta", "+3"), ("reason", "received")],
    );
    assert_eq!(r.status().as_u16(), 303);
    let r = c.post(
        "/console/stock/movements",
        Some(&desk),
        &[("csrf", &csrf), ("product_id", &basket), ("delta", "three"), ("reason", "received")],
    );
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().unwrap().contains("A whole number"));
    let (_, page) = c.page("/console/stock", Some(&desk));
    assert!(page.contains("<td>Kiondo basket</td><td>Akinyi Otieno</td><td>5</td>"), "2 + 3 held: {page}");
    assert_eq!(page.matches("<td>Depot liaison</td>").count(), 2, "both movements name who recorded them: {page}");
    // Her phone sees the movement the console recorded, like any other.
    let held: i64 = server
        .pull_all(&akinyi)
        .iter()
        .filter(|c| c["kind"] == "stock")
        .map(|c| c["body"]["entry"]["delta"].as_i64().unwrap())
        .sum();
    assert_eq!(held, 5);
    // A mentor has no Stock page.
    let wanjiku = c.set_up(&mentor.account, "wanjiku", "mama-wanjiku-2026");
    assert_eq!(c.page("/console/stock", Some(&wanjiku)).0, 403);
}

#[test]
fn operations_put_an_approved_product_on_sale_and_take_it_off_from_the_products_page() {
    let server = Server::start();
    let ops = server.device("operations", "ops", None);
    let staff = server.device("staff", "Depot liaison", None);
    let mentor = server.device("mentor", "Mama Wanjiku", None);
    let akinyi = server.device("artisan", "Akinyi Otieno", Some(&mentor.account));
    let basket = server.approved_product(&akinyi, &mentor, "Kiondo basket", 150_000, 2);
    server.cli(&["exchange-rate", "--currency", "USD", "--from", "2000-01-01", "--kes", "129.50"]);
    let c = Console { server: &server, http: browser() };
    let office = c.set_up(&ops.account, "ops", "operations-desk-1");
    let (s, page) = c.page("/console/products", Some(&office));
    assert!(s == 200 && page.contains("Kiondo basket") && page.contains("waiting for a shop price"), "{page}");
    let csrf = csrf_of(&page);
    let listing = format!("/console/products/{basket}/listing");
    // A price that is not one is explained, and nothing changes.
    let r =
        c.post(&listing, Some(&office), &[("csrf", &csrf), ("action", "publish"), ("price", "25 dollars"), ("currency", "USD")]);
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().unwrap().contains("A price such as 25"));
    let r = c.post(&listing, Some(&office), &[("csrf", &csrf), ("action", "publish"), ("price", "25.50"), ("currency", "USD")]);
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = c.page("/console/products", Some(&office));
    assert!(page.contains("on sale · 25.50 USD"), "{page}");
    let (_, v) = server.req(Some(&ops), "/v1/products", None);
    assert_eq!(v[0]["body"]["shop_price_minor"], 2550, "{v}");
    // Staff see the list, without the forms; their post is refused.
    let desk = c.set_up(&staff.account, "desk", "depot-liaison-7");
    let (s, page) = c.page("/console/products", Some(&desk));
    assert!(s == 200 && page.contains("Kiondo basket") && !page.contains(&listing), "{page}");
    let r = c.post(&listing, Some(&desk), &[("csrf", &csrf_of(&page)), ("action", "unpublish")]);
    assert_eq!(r.status().as_u16(), 403);
    let r = c.post(&listing, Some(&office), &[("csrf", &csrf), ("action", "unpublish")]);
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = c.page("/console/products", Some(&office));
    assert!(page.contains("taken off sale · 25.50 USD"), "{page}");
    // Both changes are in the audit log.
    let (_, audit) = c.page("/console/audit", Some(&office));
    assert_eq!(audit.matches("product_listing").count(), 2, "{audit}");
}

/// A shop's delivery of `body`, signed now with its `secret` as a shop signs: (status, answer).
fn shop_delivers(server: &Server, shop: &str, secret: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
    use fundi_sync::shop::{sign, SHOP_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
    let body = body.to_string();
    let ts = (fundi_sync::hlc::wall_clock_ms() / 1000).to_string();
    let r = common::raw_client()
        .post(format!("{}/v1/shop/orders", server.url))
        .header("content-type", "application/json")
        .header(SHOP_HEADER, shop)
        .header(TIMESTAMP_HEADER, &ts)
        .header(SIGNATURE_HEADER, sign(secret, &ts, body.as_bytes()))
        .body(body)
        .send()
        .unwrap();
    (r.status().as_u16(), serde_json::from_str(&r.text().unwrap()).unwrap_or_default())
}

/// The text of the first `<code{attrs}>` after `label` on a page.
fn code_after(page: &str, label: &str, attrs: &str) -> String {
    let open = format!("<code{attrs}>");
    let at = page.find(label).unwrap_or_else(|| panic!("{label} in {page}"));
    let from = at + page[at..].find(&open).unwrap() + open.len();
    page[from..].split('<').next().unwrap().to_string()
}

#[test]
fn operations_add_a_shop_whose_secret_is_shown_once_revoke_it_and_see_each_delivery_answered() {
    let server = Server::start();
    let ops = server.device("operations", "ops", None);
    let staff = server.device("staff", "desk", None);
    let mentor = server.device("mentor", "Mama Wanjiku", None);
    let akinyi = server.device("artisan", "Akinyi Otieno", Some(&mentor.account));
    let basket = server.approved_product(&akinyi, &mentor, "Kiondo basket", 150_000, 4);
    let change = json!({"action": "publish", "price_minor": 250_000, "currency": "KES"});
    assert_eq!(server.req(Some(&ops), &format!("/v1/products/{basket}/listing"), Some(change)).0, 200);
    let c = Console { server: &server, http: browser() };
    let office = c.set_up(&ops.account, "ops", "operations-desk-1");
    let (s, page) = c.page("/console/shops", Some(&office));
    assert!(
        s == 200 && page.contains("<h1>Shops</h1>") && page.contains(r#"href="/console/shops" aria-current="page""#),
        "{page}"
    );
    let csrf = csrf_of(&page);

    // A name that is none is refused, said beside the field, and adds nothing.
    let r = c.post("/console/shops", Some(&office), &[("csrf", &csrf), ("name", "  ")]);
    assert_eq!(r.status().as_u16(), 422);
    let page = r.text().unwrap();
    assert!(page.contains(r#"id="shop-name-error""#) && page.contains("a shop&#39;s name is 1 to 80"), "{page}");
    assert!(server.cli(&["shop", "list"]).trim().is_empty(), "nothing added");

    // Added: the answer shows the id, the secret (this once) and how to sign.
    let r = c.post("/console/shops", Some(&office), &[("csrf", &csrf), ("name", "Duka la Mtandao")]);
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let answer = r.text().unwrap();
    let (shop, secret) = (code_after(&answer, "Shop id", ""), code_after(&answer, "Secret", r#" class="secret""#));
    assert_eq!((shop.len(), secret.len() >= 32), (36, true), "{answer}");
    assert_eq!(answer.matches(&secret).count(), 1, "the secret, once: {answer}");
    for words in ["POST /v1/shop/orders", "X-Fundi-Shop: ", "X-Fundi-Timestamp", "X-Fundi-Signature: sha256=", "HMAC-SHA256"] {
        assert!(answer.contains(words), "{words}: {answer}");
    }
    assert!(
        answer.contains("&quot;&lt;timestamp&gt;.&lt;body&gt;&quot;") || answer.contains("\"&lt;timestamp&gt;.&lt;body&gt;\"")
    );
    let (_, list) = c.page("/console/shops", Some(&office));
    assert!(list.contains("Duka la Mtandao") && list.contains(&shop) && list.contains("<td>active</td>"), "{list}");
    assert!(!list.contains(&secret), "the list never shows the secret");

    // The shop signs an order with it: taken.
    let order = |id: &str| json!({"order_id": id, "lines": [{"product_id": basket, "quantity": 1}]});
    let (status, v) = shop_delivers(&server, &shop, &secret, &order("W-1"));
    assert_eq!(status, 200, "{v}");
    assert!(v["orders"][0]["order_id"].is_string(), "{v}");

    // Staff and mentors have no Shops page, and cannot add or revoke one.
    for (who, account, login, password) in
        [("staff", &staff.account, "desk", "depot-liaison-7"), ("mentor", &mentor.account, "wanjiku", "mama-wanjiku-2026")]
    {
        let session = c.set_up(account, login, password);
        assert_eq!(c.page("/console/shops", Some(&session)).0, 403, "{who}");
        let their_csrf = csrf_of(&c.page("/console/today", Some(&session)).1);
        let r = c.post("/console/shops", Some(&session), &[("csrf", &their_csrf), ("name", "Not theirs")]);
        assert_eq!(r.status().as_u16(), 403, "{who}");
        let r = c.post(&format!("/console/shops/{shop}/revoke"), Some(&session), &[("csrf", &their_csrf)]);
        assert_eq!(r.status().as_u16(), 403, "{who}");
        assert!(!c.page("/console/today", Some(&session)).1.contains("/console/shops"), "{who}: not in the navigation");
    }
    assert!(!server.cli(&["shop", "list"]).contains("Not theirs"));

    // Revoked (its button says what it does): its next delivery is refused, 401 revoked.
    assert!(list.contains("Refuse every order from Duka la Mtandao"), "{list}");
    let r = c.post(&format!("/console/shops/{shop}/revoke"), Some(&office), &[("csrf", "forged")]);
    assert_eq!(r.status().as_u16(), 403, "not without the session's token");
    let r = c.post(&format!("/console/shops/{shop}/revoke"), Some(&office), &[("csrf", &csrf)]);
    assert_eq!((r.status().as_u16(), r.headers()[LOCATION].to_str().unwrap()), (303, "/console/shops"));
    let (status, v) = shop_delivers(&server, &shop, &secret, &order("W-2"));
    assert_eq!((status, v["error"].as_str()), (401, Some("revoked")), "{v}");

    // Both deliveries listed, newest first; the refused filter shows the refused one only.
    let (_, list) = c.page("/console/shops", Some(&office));
    assert!(list.contains("<td>revoked</td>") && !list.contains(&format!("/console/shops/{shop}/revoke")), "{list}");
    // (A revoked shop's body is not read: its order id is not known.)
    let (refused_at, taken_at) = (list.find("<td></td><td>401 revoked</td>"), list.find("<td>W-1</td><td>200 ok</td>"));
    assert!(refused_at.is_some() && taken_at.is_some() && refused_at < taken_at, "{list}");
    assert!(list.contains(r#"<tr class="bad"><td>"#), "a refused delivery stands out: {list}");
    let (s, refused) = c.page("/console/shops?show=refused", Some(&office));
    assert!(s == 200 && refused.contains("<td>401 revoked</td>") && !refused.contains("<td>W-1</td>"), "{refused}");
    assert!(refused.contains(r#"href="/console/shops?show=refused" aria-current="page""#), "{refused}");
    assert!(!refused.contains(&secret));

    // Audited once each, by the store, naming who; the secret is nowhere else.
    let (_, audit) = c.page("/console/audit", Some(&office));
    assert_eq!((audit.matches("<td>shop.add</td>").count(), audit.matches("<td>shop.revoke</td>").count()), (1, 1), "{audit}");
    assert!(audit.contains(&shop) && !audit.contains(&secret), "{audit}");
    // In Kiswahili too.
    let page = c
        .http
        .get(format!("{}/console/shops", server.url))
        .header(COOKIE, format!("fundi_session={office}; fundi_lang=sw"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(page.contains("<h1>Maduka</h1>") && page.contains("Zilizokataliwa tu") && page.contains("limezuiwa"), "{page}");
}

/// Today in the deployment's calendar, `offset` days away.
fn day(offset: i64) -> String {
    fundi_sync::dates::Day(fundi_sync::dates::Day::of_ms(fundi_sync::hlc::wall_clock_ms()).0 + offset).to_string()
}

#[test]
fn operations_set_exchange_rates_with_typed_refusals_and_see_the_margin_of_a_delivered_shop_sale() {
    let server = Server::start();
    let ops = server.device("operations", "ops", None);
    let staff = server.device("staff", "desk", None);
    let mentor = server.device("mentor", "Mama Wanjiku", None);
    let akinyi = server.device("artisan", "Akinyi Otieno", Some(&mentor.account));
    let c = Console { server: &server, http: browser() };
    let office = c.set_up(&ops.account, "ops", "operations-desk-1");
    let (s, page) = c.page("/console/money", Some(&office));
    assert!(s == 200 && page.contains("<h1>Money</h1>") && page.contains("No exchange rate set"), "{page}");
    let csrf = csrf_of(&page);
    let rates = || -> Vec<(String, String, i64)> {
        let db = server.db();
        let mut q = db.prepare("SELECT currency, effective_day, kes_per_unit_e4 FROM exchange_rates ORDER BY 1, 2").unwrap();
        q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
    };
    let set = |session: &str, token: &str, currency: &str, from: &str, kes: &str| {
        c.post("/console/money/rates", Some(session), &[("csrf", token), ("currency", currency), ("from", from), ("kes", kes)])
    };

    // A rate from a week ago: set, listed as in force, audited with who set it.
    let r = set(&office, &csrf, "USD", &day(-7), "129.5037");
    assert_eq!((r.status().as_u16(), r.headers()[LOCATION].to_str().unwrap()), (303, "/console/money"));
    let kept = vec![("USD".to_string(), day(-7), 1_295_037)];
    assert_eq!(rates(), kept);
    let (_, page) = c.page("/console/money", Some(&office));
    assert!(page.contains(&format!("<tr><td>{}</td><td>129.5037</td><td>in force today</td></tr>", day(-7))), "{page}");
    let (_, audit) = c.page("/console/audit", Some(&office));
    assert!(audit.contains("<td>exchange_rate.set</td>"), "{audit}");
    assert!(audit.contains(&format!("from {}: KSh 129.5037 a unit", day(-7))), "{audit}");

    // Refused, each with the command line's typed reason beside its field and what was typed kept; nothing saved.
    for (currency, from, kes, status, field, says) in [
        ("USD", day(1), "129.12345", 422, "rate-kes-error", "a rate has at most 4 decimals"),
        ("USD", day(1), "1e2", 422, "rate-kes-error", "is not a number of shillings"),
        ("JPY", day(1), "129", 422, "rate-currency-error", "is not a shop currency"),
        ("KES", day(1), "1", 422, "rate-currency-error", "its rate is always 1"),
        ("USD", "2026-02-30".to_string(), "129", 422, "rate-from-error", "no such day"),
        ("USD", day(-7), "130", 409, "rate-from-error", "is set already: set a rate from another day"),
    ] {
        let r = set(&office, &csrf, currency, &from, kes);
        assert_eq!(r.status().as_u16(), status, "{currency} {from} {kes}");
        let page = r.text().unwrap();
        let error =
            page.split(&format!(r#"<p id="{field}" class="error" role="alert">"#)).nth(1).unwrap_or_else(|| panic!("{page}"));
        assert!(error.split("</p>").next().unwrap().contains(says), "{currency} {from} {kes}: {page}");
        for typed in [currency, from.as_str(), kes] {
            assert!(page.contains(&format!(r#"value="{typed}""#)), "{typed} kept: {page}");
        }
        assert!(page.contains(r#"aria-invalid="true""#), "{page}");
    }
    assert_eq!(rates(), kept, "nothing refused was saved");
    // In Kiswahili, the same refusal in her words.
    let r = c
        .http
        .post(format!("{}/console/money/rates", server.url))
        .header(COOKIE, format!("fundi_session={office}; fundi_lang=sw"))
        .form(&[("csrf", csrf.as_str()), ("currency", "USD"), ("from", &day(1)), ("kes", "0")])
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().unwrap().contains("kiwango ni zaidi ya shilingi 0"));

    // Staff and mentors have no Money page, and set no rate.
    for (who, account, login, password) in
        [("staff", &staff.account, "desk", "depot-liaison-7"), ("mentor", &mentor.account, "wanjiku", "mama-wanjiku-2026")]
    {
        let session = c.set_up(account, login, password);
        assert_eq!(c.page("/console/money", Some(&session)).0, 403, "{who}");
        let their_csrf = csrf_of(&c.page("/console/today", Some(&session)).1);
        assert_eq!(set(&session, &their_csrf, "EUR", &day(0), "140").status().as_u16(), 403, "{who}");
        assert_eq!(set(&session, &their_csrf, "JPY", "x", "y").status().as_u16(), 403, "{who}: refused before any reason");
    }
    assert_eq!(rates(), kept);

    // A shop's sale, delivered: 2 x US$25.00 at the week-old rate, with a 5% commission (as
    // depot/tests/margins.rs works it out by hand: KSh 6,475.18 less her KSh 3,000 and the
    // mentor's KSh 150 leaves the platform KSh 3,325.18).
    server.cli(&["commission-rate", "--from", &day(-30), "--percent", "5"]);
    let basket = server.approved_product(&akinyi, &mentor, "Kikapu", 150_000, 10);
    let change = json!({"action": "publish", "price_minor": 2_500, "currency": "USD"});
    assert_eq!(server.req(Some(&ops), &format!("/v1/products/{basket}/listing"), Some(change)).0, 200);
    let shop: serde_json::Value = serde_json::from_str(&server.cli(&["shop", "add", "--json", "--name", "Duka"])).unwrap();
    let sale = json!({"order_id": "M-1", "lines": [{"product_id": basket, "quantity": 2}]});
    let (status, v) = shop_delivers(&server, shop["id"].as_str().unwrap(), shop["secret"].as_str().unwrap(), &sale);
    assert_eq!(status, 200, "{v}");
    let order = v["orders"][0]["order_id"].as_str().unwrap().to_string();
    server.cli(&["assign", &order, &akinyi.account]);
    let hers = ["accept", "start_production", "mark_ready"].map(|n| common::command("order", &order, n)).to_vec();
    assert_eq!(server.push(&akinyi, hers), vec![None, None, None]);
    for command in ["receive", "qc_pass", "ship", "deliver"] {
        let (status, v) = server.req(Some(&staff), &format!("/v1/orders/{order}/commands"), Some(json!({ "command": command })));
        assert_eq!(status, 200, "{command}: {v}");
    }
    let ledger: serde_json::Value = serde_json::from_str(&server.cli(&["margins", "--json"])).unwrap();
    assert_eq!(ledger["totals"], json!({"KES": 332_518}), "the store's margin: {ledger}");

    let (_, page) = c.page("/console/money", Some(&office));
    let row = format!(
        "<a href=\"/console/orders/{order}\">{order}</a><br><span class=\"muted\">margin</span></td><td>US$50.00</td>\
         <td>129.5037</td><td>KSh 6,475.18</td><td>KSh 3,000</td><td>KSh 150</td><td>KSh 3,325.18</td>"
    );
    assert!(page.contains(&row), "{row} in {page}");
    assert!(page.contains("<dt>Total (KES)</dt><dd>KSh 3,325.18</dd>") && page.contains("1 shown of 1."), "{page}");
    // A refund reverses it, listed newest first; the total is back to nothing.
    server.cli(&["refund", &order, "--reason", "Returned by the buyer"]);
    let (_, page) = c.page("/console/money", Some(&office));
    let reversal = page.find("reversed (refund): Returned by the buyer").expect("the reversal");
    assert!(reversal < page.find("<span class=\"muted\">margin</span>").unwrap(), "newest first: {page}");
    assert!(page.contains("<td>-KSh 3,325.18</td>") && page.contains("<dd>KSh 0</dd>"), "{page}");
}
