//! The console's quality check with a photo (issue 12 item 3): staff pass or fail an order's
//! check, with a note, and with a photo of the goods if they take one (the laptop's or the
//! phone's camera, or a file; a multipart form). A photo is taken only if it is at most
//! [`CONSOLE_PHOTO_MAX_BYTES`] and a JPEG, PNG or WebP by its first bytes whose header decodes;
//! it is then prepared as the phone prepares a product photo (`fundi_core::photos`: upright,
//! metadata such as GPS removed, 1600 px, with a 320 px thumbnail), kept content-addressed in
//! the depot's blob store (`uploads::keep_prepared`), and named by its SHA-256 in the command's
//! `photo` argument. The command goes through `push::order_command_api` like any other, and
//! the shared workflow step writes the photo into the order's history, on the depot and on the
//! phones alike. The order's page shows it through the two routes here, to a session that may
//! see the order, by the check the API makes for any blob (`uploads::blob_for`).

use super::orders::{order_page, signed_in, DEPOT};
use super::pages::{failed, form_session, message};
use super::text::Lang;
use super::{blocking, lang_of};
use crate::http::App;
use crate::store::console::{self as console_store, ConsoleSession};
use crate::store::{orders, push, uploads, ApiError};
use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use fundi_core::photos::{prepare_bytes, sniff, Format, PhotoError, PrepareOptions};
use fundi_sync::limits::CONSOLE_PHOTO_MAX_BYTES;
use fundi_sync::workflow::{order_photos, order_step, OrderCommand, OrderStatus, PHOTO_ARG};
use fundi_sync::{Extra, Relation};

/// Room the form's other fields (the CSRF token, the command, a note of 500 characters) and the
/// multipart framing take beside the photo: the route's body limit is the photo's plus this, so
/// a photo just past its limit is read, and refused with its own words, not cut off.
pub const FORM_ROOM_BYTES: usize = 64 * 1024;

/// Why a photo was not taken.
#[derive(Debug, thiserror::Error)]
pub enum PhotoRefused {
    #[error("the photo is larger than {max} bytes")]
    TooLarge { max: u64 },
    /// Not a JPEG, PNG or WebP by its first bytes (a GIF, a PDF, a video...).
    #[error("not a JPEG, PNG or WebP photo")]
    NotAPhoto,
    /// A HEIC photo (iPhones' and some Android cameras' default), which the pipeline cannot decode.
    #[error("a HEIC photo")]
    Heic,
    /// Its header or its data do not decode (cut short, damaged, a pixel bomb).
    #[error("the photo cannot be read: {0}")]
    Unreadable(PhotoError),
}

impl PhotoRefused {
    fn status(&self) -> StatusCode {
        match self {
            PhotoRefused::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    /// What the order's page says of it.
    fn words(&self, lang: Lang) -> String {
        let t = lang.text();
        let why = match self {
            PhotoRefused::TooLarge { max } => format!("{} {} MB.", t.photo_too_large, max / (1024 * 1024)),
            PhotoRefused::NotAPhoto => t.photo_not_image.into(),
            PhotoRefused::Heic => t.photo_heic.into(),
            PhotoRefused::Unreadable(_) => t.photo_unreadable.into(),
        };
        format!("{why} {}", t.nothing_recorded)
    }
}

/// Check a photo as the browser sent it and prepare what the depot keeps of it: the upload
/// image and its thumbnail.
pub fn prepare(bytes: &[u8]) -> Result<fundi_core::photos::PreparedPhoto, PhotoRefused> {
    if bytes.len() as u64 > CONSOLE_PHOTO_MAX_BYTES {
        return Err(PhotoRefused::TooLarge { max: CONSOLE_PHOTO_MAX_BYTES });
    }
    match sniff(bytes) {
        Ok(Format::Jpeg | Format::Png | Format::WebP) => {}
        Ok(Format::Gif | Format::Bmp) | Err(PhotoError::NotAnImage | PhotoError::Empty) => return Err(PhotoRefused::NotAPhoto),
        Err(PhotoError::Heic) => return Err(PhotoRefused::Heic),
        Err(e) => return Err(PhotoRefused::Unreadable(e)),
    }
    prepare_bytes(bytes, &PrepareOptions::default()).map_err(|e| match e {
        PhotoError::Heic => PhotoRefused::Heic,
        PhotoError::NotAnImage | PhotoError::Empty => PhotoRefused::NotAPhoto,
        PhotoError::FileTooLarge { .. } => PhotoRefused::TooLarge { max: CONSOLE_PHOTO_MAX_BYTES },
        other => PhotoRefused::Unreadable(other),
    })
}

/// The quality check's form as sent.
struct CheckForm {
    csrf: String,
    command: String,
    reason: String,
    /// The photo's bytes (empty: none was chosen), or why it was not read whole.
    photo: Result<Vec<u8>, PhotoRefused>,
}

/// Read the multipart form. A photo past the limit is read no further than the limit (the rest
/// of the body is drained, bounded by the route's limit, so the browser is answered, not cut off).
async fn read_form(mut multipart: Multipart) -> Result<CheckForm, StatusCode> {
    let mut form = CheckForm { csrf: String::new(), command: String::new(), reason: String::new(), photo: Ok(vec![]) };
    let too_large = || PhotoRefused::TooLarge { max: CONSOLE_PHOTO_MAX_BYTES };
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                form.photo = Err(too_large());
                break;
            }
            Err(_) => return Err(StatusCode::BAD_REQUEST),
        };
        let name = field.name().unwrap_or_default().to_string();
        let mut bytes = Vec::new();
        let mut over = false;
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) if !over => {
                    let limit = if name == "photo" { CONSOLE_PHOTO_MAX_BYTES as usize } else { FORM_ROOM_BYTES };
                    if bytes.len() + chunk.len() > limit {
                        over = true;
                        bytes = Vec::new();
                    } else {
                        bytes.extend_from_slice(&chunk);
                    }
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    over = true;
                    break;
                }
                Err(_) => return Err(StatusCode::BAD_REQUEST),
            }
        }
        let text = || String::from_utf8_lossy(&bytes).into_owned();
        match name.as_str() {
            "photo" if over => form.photo = Err(too_large()),
            "photo" => form.photo = Ok(bytes),
            _ if over => return Err(StatusCode::PAYLOAD_TOO_LARGE),
            "csrf" => form.csrf = text(),
            "command" => form.command = text(),
            "reason" => form.reason = text(),
            _ => {}
        }
    }
    Ok(form)
}

/// `POST /console/orders/{id}/check`: pass or fail the quality check of order `id`, with a
/// note (a failure's reason) and a photo if one was chosen; back to the order, or its page
/// with why not. Nothing is kept of a photo the check's command may not be given with.
pub async fn check(State(app): State<App>, headers: HeaderMap, Path(id): Path<String>, multipart: Multipart) -> Response {
    let lang = lang_of(&headers);
    let form = match read_form(multipart).await {
        Ok(f) => f,
        Err(status) => return message(lang, None, status, "the form could not be read".into()),
    };
    let s = match form_session(&app, &headers, &form.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !DEPOT.contains(&s.caller.role) {
        return message(lang, Some(&s), StatusCode::FORBIDDEN, lang.text().forbidden.into());
    }
    let Some(command) = OrderCommand::from_code(&form.command).filter(|c| c.takes_photo()) else {
        let why = format!("{:?} is not a quality check", form.command);
        return message(lang, Some(&s), StatusCode::UNPROCESSABLE_ENTITY, why);
    };
    // The command must be the caller's to give now before any photo is kept: the same table the
    // command's own decision reads (which decides again, against the order as it is then).
    let (db, caller, key) = (app.db.clone(), s.caller.clone(), id.clone());
    let allowed = blocking(move || -> Result<(), ApiError> {
        let order = db.read(|tx| orders::get_order(tx, &caller, &key))?;
        let from = OrderStatus::from_code(&order.status).ok_or_else(|| ApiError::internal("an order's status"))?;
        order_step(from, command, caller.role, Relation::Other)?;
        Ok(())
    })
    .await
    .unwrap_or_else(|| Err(ApiError::internal("reading the order failed")));
    match allowed {
        Ok(()) => {}
        Err(e) if matches!(e.status, 409 | 422 | 400) => return refused(&app, lang, &s, id, e).await,
        Err(e) => return failed(lang, Some(&s), e),
    }
    let photo = match form.photo {
        Ok(bytes) => bytes,
        Err(why) => return order_page(&app, lang, &s, id, why.status(), Some(why.words(lang))).await,
    };
    let reason = form.reason.trim().to_string();
    let (db, caller, key) = (app.db.clone(), s.caller.clone(), id.clone());
    let done = blocking(move || -> Result<Result<(), PhotoRefused>, ApiError> {
        let mut args = Extra::new();
        if !reason.is_empty() {
            args.insert("reason".into(), reason.clone().into());
        }
        let mut detail = reason;
        if !photo.is_empty() {
            let prepared = match prepare(&photo) {
                Ok(p) => p,
                Err(why) => return Ok(Err(why)),
            };
            let sha256 = uploads::keep_prepared(&db, &prepared.upload.bytes, &prepared.thumbnail.bytes)?;
            detail = [detail, format!("photo {sha256}")].into_iter().filter(|d| !d.is_empty()).collect::<Vec<_>>().join("; ");
            args.insert(PHOTO_ARG.into(), sha256.into());
        }
        push::order_command_api(&db, &caller, &key, command.code(), args)?;
        let detail = (!detail.is_empty()).then_some(detail);
        db.write(|tx| {
            console_store::audit(tx, &caller.account_id, &format!("order.{}", command.code()), Some(&key), detail.as_deref())
        })?;
        Ok(Ok(()))
    })
    .await
    .unwrap_or_else(|| Err(ApiError::internal("the quality check failed")));
    match done {
        Ok(Ok(())) => Redirect::to(&format!("/console/orders/{id}")).into_response(),
        Ok(Err(why)) => order_page(&app, lang, &s, id, why.status(), Some(why.words(lang))).await,
        Err(e) if matches!(e.status, 409 | 422 | 400 | 413) => refused(&app, lang, &s, id, e).await,
        Err(e) => failed(lang, Some(&s), e),
    }
}

/// The order's page again, saying why the store refused.
async fn refused(app: &App, lang: Lang, s: &ConsoleSession, id: String, e: ApiError) -> Response {
    let status = super::refusal_status(&e);
    order_page(app, lang, s, id, status, Some(e.detail)).await
}

/// `GET /console/orders/{id}/photos/{photo}`: a photo order `id`'s history names, whole.
pub async fn photo(State(app): State<App>, headers: HeaderMap, Path((id, photo)): Path<(String, String)>) -> Response {
    serve_photo(&app, &headers, id, photo, false).await
}

/// `GET /console/orders/{id}/photos/{photo}/thumbnail`: its thumbnail, as the order's page shows it.
pub async fn thumbnail(State(app): State<App>, headers: HeaderMap, Path((id, photo)): Path<(String, String)>) -> Response {
    serve_photo(&app, &headers, id, photo, true).await
}

/// A photo of an order's history (or its thumbnail), to a session that may see the order (the
/// order pages' roles, `orders::get_order`) and may read a record that names the photo (the
/// API's check for any blob). A photo the order does not name does not exist here, whatever
/// else names it.
async fn serve_photo(app: &App, headers: &HeaderMap, id: String, photo: String, small: bool) -> Response {
    let lang = lang_of(headers);
    let s = match signed_in(app, headers, DEPOT).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !fundi_sync::hash::is_content_hash(&photo) {
        return failed(lang, Some(&s), ApiError::not_found("no such photo"));
    }
    let (db, caller) = (app.db.clone(), s.caller.clone());
    let got = blocking(move || -> Result<Vec<u8>, ApiError> {
        let order = db.read(|tx| orders::get_order(tx, &caller, &id))?;
        if !order_photos(&order.history).any(|p| p == photo) {
            return Err(ApiError::not_found("this order names no such photo"));
        }
        if small {
            uploads::thumbnail_for(&db, &caller, &photo).map(|(_, bytes)| bytes)
        } else {
            uploads::blob_for(&db, &caller, &photo)
        }
    })
    .await
    .unwrap_or_else(|| Err(ApiError::internal("reading the photo failed")));
    match got {
        Ok(bytes) => {
            let kind = match sniff(&bytes) {
                Ok(Format::Png) => "image/png",
                Ok(Format::WebP) => "image/webp",
                _ => "image/jpeg",
            };
            let mut r = (StatusCode::OK, bytes).into_response();
            let h = r.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
            // Named by its hash: the bytes behind this address never change.
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=86400, immutable"));
            h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
            r
        }
        Err(e) => failed(lang, Some(&s), e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fundi_core::photos::{encode_rgb, RgbImage};

    fn a_jpeg() -> Vec<u8> {
        let (w, h) = (64u32, 48u32);
        let pixels = (0..w * h).flat_map(|i| [(i % w * 4) as u8, (i / w * 5) as u8, 90]).collect();
        encode_rgb(&RgbImage { width: w, height: h, data: pixels }, 85.0).unwrap()
    }

    #[test]
    fn a_photo_is_taken_only_as_a_jpeg_png_or_webp_that_decodes_within_the_limit() {
        let jpeg = a_jpeg();
        let p = prepare(&jpeg).unwrap();
        assert_eq!((p.upload.width, p.upload.height), (64, 48));
        assert_eq!(sniff(&p.thumbnail.bytes).unwrap(), Format::Jpeg);
        let words = |r: PhotoRefused| (r.status(), r.words(Lang::En));
        let refused = |bytes: &[u8]| prepare(bytes).map(|_| ()).unwrap_err();
        assert!(matches!(refused(b"GIF89a\x01\x00\x01\x00"), PhotoRefused::NotAPhoto));
        assert!(matches!(refused(b"%PDF-1.7 not a photo at all"), PhotoRefused::NotAPhoto));
        assert!(matches!(refused(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00"), PhotoRefused::Heic));
        // The right first bytes, a header cut short.
        assert!(matches!(refused(&jpeg[..40]), PhotoRefused::Unreadable(_)), "{:?}", refused(&jpeg[..40]));
        let (status, text) = words(refused(&jpeg[..40]));
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(text.contains("could not be read"), "{text}");
        // One byte past the limit: refused by its size, before anything is decoded.
        let mut big = jpeg.clone();
        big.resize(CONSOLE_PHOTO_MAX_BYTES as usize + 1, 0);
        let (status, text) = words(refused(&big));
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(text.contains("16 MB"), "{text}");
    }
}
