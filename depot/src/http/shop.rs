//! The public shop (issue 15 item 2, ADR 0025), served with no sign-in: pages for shoppers
//! (`/shop`, the products on sale by category; `/shop/products/{id}`, one of them), the photos of
//! products on sale (`/shop/photos/{sha256}` and its thumbnail), and a product feed a hosted shop
//! imports (`/shop/feed.json`, `/shop/feed.csv`). What is public is decided in one place,
//! `store::products` (`shop`, `shop_one`, `is_public_photo`); this module only draws it. English.
//!
//! Every page, feed and photo is named by a strong ETag: a page's and a feed's is the SHA-256 of
//! its body, a photo's its own hash; `If-None-Match` is answered 304 with no body and ranges are read, as
//! for the sync API's blobs (`tus::serve_bytes`), so a shop polling the feed downloads only
//! changes. A page that does not exist — a product not on sale, whatever the reason, a category
//! or page number that is not one — is one plain HTML 404 page, its code in `Fundi-Error`; the
//! photo and feed routes answer the API's typed JSON errors.

use super::tus::{named_by_hash, serve_bytes, Serving};
use super::{error_response, query_str, App};
use crate::store::products::{self, PublicProduct};
use crate::store::{uploads, ApiError, Db};
use askama::Template;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use fundi_core::photos::{sniff, Format};
use fundi_sync::catalog::Availability;
use fundi_sync::drafts::Category;
use fundi_sync::money::group_thousands;
use serde::Serialize;

/// Products one page of the shop lists (the feed lists them all: at most `products::ON_SALE_MAX`).
pub const SHOP_PAGE_PRODUCTS: usize = 48;
/// The longest public URL `serve --public-url` takes.
pub const PUBLIC_URL_MAX_CHARS: usize = 200;

const HTML: &str = "text/html; charset=utf-8";
/// A page may be kept a minute: a product taken off sale leaves shared caches within it.
const PAGE_CACHE: &str = "public, max-age=60";
/// A shop polling the feed asks every time, and hears 304 while nothing changed.
const FEED_CACHE: &str = "public, no-cache";
/// A photo's bytes never change, but it stops being public when its product goes off sale:
/// caches keep it five minutes at most.
const PHOTO_CACHE: &str = "public, max-age=300";
/// The pages load nothing but their own photos; no script, no form, no frame.
const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

/// The address shoppers reach this depot at (`serve --public-url`, e.g. `https://shop.example.org`,
/// or `https://example.org/depot` behind a proxy): the feed's links start with it. Without one
/// they start with the scheme the depot serves and the request's `Host`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicUrl(String);

impl std::str::FromStr for PublicUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<PublicUrl, String> {
        let s = s.trim().trim_end_matches('/');
        if s.chars().count() > PUBLIC_URL_MAX_CHARS {
            return Err(format!("a public URL is at most {PUBLIC_URL_MAX_CHARS} characters"));
        }
        let rest = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .ok_or("a public URL starts with https:// or http://")?;
        let host = rest.split('/').next().unwrap_or_default();
        if !is_host(host) {
            return Err("a public URL names a host: letters, digits, dots, dashes and a port".into());
        }
        if !rest[host.len()..].bytes().all(|b| b.is_ascii_alphanumeric() || b"/-._~".contains(&b)) {
            return Err("a public URL's path is letters, digits and / - . _ ~ only (no query, no fragment)".into());
        }
        Ok(PublicUrl(s.to_string()))
    }
}

/// A host name or address with its port, as a `Host` header or a URL names it (nothing that
/// would need escaping in a link).
fn is_host(h: &str) -> bool {
    !h.is_empty() && h.len() <= 255 && h.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
}

/// The shop's settings beside the API's.
pub struct Shop {
    public_url: Option<PublicUrl>,
    /// The scheme of the depot's own address (`https` unless served in plain HTTP).
    scheme: &'static str,
}

impl Shop {
    pub fn new(public_url: Option<PublicUrl>, tls: bool) -> Shop {
        Shop { public_url, scheme: if tls { "https" } else { "http" } }
    }

    /// What the feed's absolute links start with.
    fn base(&self, headers: &HeaderMap) -> Result<String, ApiError> {
        if let Some(PublicUrl(url)) = &self.public_url {
            return Ok(url.clone());
        }
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).filter(|h| is_host(h));
        let host = host.ok_or_else(|| ApiError::malformed("the feed's links need a Host header naming this depot"))?;
        Ok(format!("{}://{host}", self.scheme))
    }
}

/// Run store work `f` on a blocking thread.
async fn store<T: Send + 'static>(app: &App, f: impl FnOnce(&Db) -> Result<T, ApiError> + Send + 'static) -> Result<T, ApiError> {
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || f(&db)).await.unwrap_or_else(|_| Err(ApiError::internal("the shop failed")))
}

// ---- Words and numbers as shoppers read them

fn category_name(c: Category) -> &'static str {
    match c {
        Category::Jewelry => "Jewellery",
        Category::Textiles => "Textiles",
        Category::Baskets => "Baskets",
        Category::HomeDecor => "Home decor",
        Category::Carvings => "Carvings",
        Category::Pottery => "Pottery",
        Category::Leather => "Leather",
        Category::Beadwork => "Beadwork",
        Category::Other => "Other",
    }
}

/// The list's word for how a product is had.
fn availability_label(a: Availability) -> &'static str {
    match a {
        Availability::InStock => "In stock",
        Availability::MadeToOrder => "Made to order",
        Availability::OutOfStock => "Out of stock",
    }
}

/// The product page's sentence for it.
fn availability_words(a: Availability) -> &'static str {
    match a {
        Availability::InStock => "In stock: ready at our depot in Kenya to ship.",
        Availability::MadeToOrder => "Made to order: the artisan makes yours by hand, so it takes a little longer to ship.",
        Availability::OutOfStock => "Out of stock for now.",
    }
}

/// A shop price as a decimal number, "25.00" (every shop currency has two decimals).
fn decimal(minor: i64) -> String {
    let abs = minor.unsigned_abs();
    format!("{}{}.{:02}", if minor < 0 { "-" } else { "" }, abs / 100, abs % 100)
}

/// A shop price as shoppers read it: "US$1,250.00", "€25.00", "KSh 2,500.00".
pub(crate) fn price_text(minor: i64, currency: &str) -> String {
    let symbol = match currency {
        "USD" => "US$".to_string(),
        "EUR" => "€".to_string(),
        "GBP" => "£".to_string(),
        "KES" => "KSh ".to_string(),
        other => format!("{other} "),
    };
    let abs = minor.unsigned_abs();
    format!("{}{symbol}{}.{:02}", if minor < 0 { "-" } else { "" }, group_thousands(abs / 100), abs % 100)
}

fn product_href(id: &str) -> String {
    format!("/shop/products/{id}")
}

fn photo_href(sha256: &str) -> String {
    format!("/shop/photos/{sha256}")
}

fn thumbnail_href(sha256: &str) -> String {
    format!("/shop/photos/{sha256}/thumbnail")
}

/// The list's address for a category (or all) and a page.
fn list_href(category: Option<Category>, page: usize) -> String {
    match (category, page) {
        (None, 1) => "/shop".into(),
        (None, n) => format!("/shop?page={n}"),
        (Some(c), 1) => format!("/shop?category={}", c.code()),
        (Some(c), n) => format!("/shop?category={}&page={n}", c.code()),
    }
}

// ---- Answers

/// Headers every shop page carries.
fn harden(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    r
}

/// A drawn page, named by the hash of its bytes.
fn page(method: Method, headers: &HeaderMap, drawn: Result<String, askama::Error>) -> Response {
    match drawn {
        Ok(html) => {
            let bytes = html.into_bytes();
            let got = Ok((fundi_sync::hash::sha256_hex(&bytes), bytes));
            harden(serve_bytes(method, headers, got, &Serving { cache_control: PAGE_CACHE, content_type: HTML }))
        }
        Err(e) => failure_page(ApiError::internal(format!("the page could not be drawn: {e}"))),
    }
}

#[derive(Template)]
#[template(path = "shop/message.html")]
struct MessagePage {
    title: &'static str,
    message: &'static str,
}

/// A page that only says `message`, with `status`; the typed code in `Fundi-Error`.
fn message_page(status: StatusCode, code: &'static str, title: &'static str, message: &'static str) -> Response {
    let body = MessagePage { title, message }.render().unwrap_or_else(|_| message.to_string());
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(HTML));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(code) {
        h.insert(HeaderName::from_static(fundi_sync::uploads::header::FUNDI_ERROR), v);
    }
    harden(r)
}

/// The one answer for every page that does not exist.
fn not_found_page() -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        "not_found",
        "Not in the shop",
        "This is not in the shop: the product may have been taken off sale, or the link may be mistyped.",
    )
}

/// The store failed: the page says so, without its details.
fn failure_page(e: ApiError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    message_page(status, e.code, "The shop could not be shown", "Something went wrong on our side. Please try again in a moment.")
}

// ---- The list

/// The list's query: a category (its code) and a page (from 1). Other parameters are ignored
/// (a shared link's tracking parameters); a category or page that is not one is `None`.
#[derive(Debug, PartialEq)]
struct Filter {
    category: Option<Category>,
    page: usize,
}

fn filter_of(q: &Option<String>) -> Option<Filter> {
    let category = match query_str(q, "category") {
        None | Some("") => None,
        Some(code) => Some(Category::from_code(code)?),
    };
    let page = match query_str(q, "page") {
        None | Some("") => 1,
        Some(n) if n.len() <= 6 && n.bytes().all(|b| b.is_ascii_digit()) => n.parse().ok().filter(|n| *n >= 1)?,
        Some(_) => return None,
    };
    Some(Filter { category, page })
}

struct CategoryLink {
    href: String,
    label: &'static str,
    count: usize,
    current: bool,
}

struct Card {
    href: String,
    title: String,
    price: String,
    availability: &'static str,
    thumbnail: Option<String>,
}

#[derive(Template)]
#[template(path = "shop/list.html")]
struct ListPage {
    title: &'static str,
    total: usize,
    all_current: bool,
    categories: Vec<CategoryLink>,
    cards: Vec<Card>,
    page: usize,
    pages: usize,
    prev: Option<String>,
    next: Option<String>,
}

/// The list page for `f`, or `None` when its page number is past the last.
fn list_page(all: &[PublicProduct], f: &Filter) -> Option<ListPage> {
    let shown: Vec<&PublicProduct> = all.iter().filter(|p| f.category.is_none_or(|c| p.category == c)).collect();
    let pages = shown.len().div_ceil(SHOP_PAGE_PRODUCTS).max(1);
    if f.page > pages {
        return None;
    }
    let cards = shown
        .iter()
        .skip((f.page - 1) * SHOP_PAGE_PRODUCTS)
        .take(SHOP_PAGE_PRODUCTS)
        .map(|p| Card {
            href: product_href(&p.id),
            title: p.title.clone(),
            price: price_text(p.price_minor, &p.currency),
            availability: availability_label(p.availability),
            thumbnail: p.photos.first().map(|h| thumbnail_href(h)),
        })
        .collect();
    let categories = Category::ALL
        .into_iter()
        .filter_map(|c| {
            let count = all.iter().filter(|p| p.category == c).count();
            let current = f.category == Some(c);
            (count > 0 || current).then(|| CategoryLink { href: list_href(Some(c), 1), label: category_name(c), count, current })
        })
        .collect();
    Some(ListPage {
        title: f.category.map_or("Handmade in Kenya", category_name),
        total: all.len(),
        all_current: f.category.is_none(),
        categories,
        cards,
        page: f.page,
        pages,
        prev: (f.page > 1).then(|| list_href(f.category, f.page - 1)),
        next: (f.page < pages).then(|| list_href(f.category, f.page + 1)),
    })
}

/// `GET /shop?category=&page=`: the products on sale, by title, a page at a time.
pub async fn list(State(app): State<App>, method: Method, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let Some(filter) = filter_of(&q) else { return not_found_page() };
    let all = match store(&app, products::shop).await {
        Ok(all) => all,
        Err(e) => return failure_page(e),
    };
    match list_page(&all, &filter) {
        Some(p) => page(method, &headers, p.render()),
        None => not_found_page(),
    }
}

// ---- One product

struct ProductView {
    title: String,
    description: String,
    materials: String,
    category: &'static str,
    category_href: String,
    price: String,
    availability: &'static str,
    photos: Vec<String>,
    artisan_name: Option<String>,
    artisan_story: Option<String>,
}

#[derive(Template)]
#[template(path = "shop/product.html")]
struct ProductPage {
    title: String,
    p: ProductView,
}

fn product_page(p: PublicProduct) -> ProductPage {
    ProductPage {
        title: p.title.clone(),
        p: ProductView {
            materials: p.materials.join(", "),
            category: category_name(p.category),
            category_href: list_href(Some(p.category), 1),
            price: price_text(p.price_minor, &p.currency),
            availability: availability_words(p.availability),
            photos: p.photos.iter().map(|h| photo_href(h)).collect(),
            title: p.title,
            description: p.description,
            artisan_name: p.artisan_name,
            artisan_story: p.artisan_story,
        },
    }
}

/// `GET /shop/products/{id}`: one product on sale; any other id is the 404 page.
pub async fn product(
    State(app): State<App>,
    method: Method,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    // An id that is not UTF-8 names no product either.
    let Ok(Path(id)) = id else { return not_found_page() };
    match store(&app, move |db| products::shop_one(db, &id)).await {
        Ok(Some(p)) => page(method, &headers, product_page(p).render()),
        Ok(None) => not_found_page(),
        Err(e) => failure_page(e),
    }
}

// ---- Photos

/// The media type of a photo by its first bytes (the phone's pipeline makes JPEGs).
fn media_type(bytes: &[u8]) -> &'static str {
    match sniff(bytes) {
        Ok(Format::Jpeg) => "image/jpeg",
        Ok(Format::Png) => "image/png",
        Ok(Format::WebP) => "image/webp",
        _ => "application/octet-stream",
    }
}

/// Refused unless a product on sale shows the photo: the same 404 for a draft's photo, an
/// unpublished product's, a quality check's and one the depot never heard of.
fn public_photo(db: &Db, sha256: &str) -> Result<(), ApiError> {
    named_by_hash(sha256)?;
    if db.read(|tx| products::is_public_photo(tx, sha256))? {
        Ok(())
    } else {
        Err(ApiError::not_found("no product on sale shows this photo"))
    }
}

fn serve_photo(method: Method, headers: &HeaderMap, got: Result<(String, Vec<u8>), ApiError>) -> Response {
    let content_type = got.as_ref().map_or("application/octet-stream", |(_, bytes)| media_type(bytes));
    let mut r = serve_bytes(method, headers, got, &Serving { cache_control: PHOTO_CACHE, content_type });
    r.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    r
}

/// `GET /shop/photos/{sha256}`: a photo of a product on sale.
pub async fn photo(State(app): State<App>, method: Method, headers: HeaderMap, Path(sha256): Path<String>) -> Response {
    let got = store(&app, move |db| {
        public_photo(db, &sha256)?;
        let bytes = uploads::stored_blob(db, &sha256)?;
        Ok((sha256, bytes))
    })
    .await;
    serve_photo(method, &headers, got)
}

/// `GET /shop/photos/{sha256}/thumbnail`: its thumbnail (its own hash in the ETag), when it
/// has exactly one; else the photo itself. A photo's hash is public (the feed links it), and
/// anyone who names it in a draft of her own may link a thumbnail to it: with two, which one is
/// the owner's is not known, and the photo itself is always right. It also stands in while no
/// thumbnail has reached the depot, so that the list never shows a hole.
pub async fn thumbnail(State(app): State<App>, method: Method, headers: HeaderMap, Path(sha256): Path<String>) -> Response {
    let got = store(&app, move |db| {
        public_photo(db, &sha256)?;
        if let [only] = &uploads::thumbnails_of(db, &sha256)?[..] {
            match uploads::stored_blob(db, only) {
                Ok(bytes) => return Ok((only.clone(), bytes)),
                Err(e) if e.status == 404 => {}
                Err(e) => return Err(e),
            }
        }
        Ok((sha256.clone(), uploads::stored_blob(db, &sha256)?))
    })
    .await;
    serve_photo(method, &headers, got)
}

// ---- The feed

/// One product of the feed: the fields shop platforms import (their availability words;
/// absolute links to the product's page and photos).
#[derive(Serialize)]
struct FeedItem<'a> {
    id: &'a str,
    /// The approved version on sale (one more at each approval).
    version: u32,
    title: &'a str,
    description: &'a str,
    materials: &'a [String],
    /// Its category's code, and its English name.
    category: &'static str,
    category_name: &'static str,
    price_minor: i64,
    currency: &'a str,
    /// The price as a decimal number, "25.00".
    price: String,
    availability: &'static str,
    link: String,
    image_links: Vec<String>,
    artisan_name: Option<&'a str>,
}

#[derive(Serialize)]
struct Feed<'a> {
    products: Vec<FeedItem<'a>>,
}

fn feed_item<'a>(p: &'a PublicProduct, base: &str) -> FeedItem<'a> {
    FeedItem {
        id: &p.id,
        version: p.version,
        title: &p.title,
        description: &p.description,
        materials: &p.materials,
        category: p.category.code(),
        category_name: category_name(p.category),
        price_minor: p.price_minor,
        currency: &p.currency,
        price: decimal(p.price_minor),
        availability: p.availability.code(),
        link: format!("{base}{}", product_href(&p.id)),
        image_links: p.photos.iter().map(|h| format!("{base}{}", photo_href(h))).collect(),
        artisan_name: p.artisan_name.as_deref(),
    }
}

/// The CSV feed's columns: the JSON feed's, a list joined (materials by `, `), the photos as
/// `image_link` and `additional_image_links` (comma-separated), as shop platforms name them.
const CSV_COLUMNS: [&str; 15] = [
    "id",
    "version",
    "title",
    "description",
    "materials",
    "category",
    "category_name",
    "price_minor",
    "currency",
    "price",
    "availability",
    "link",
    "image_link",
    "additional_image_links",
    "artisan_name",
];

fn csv_body(items: &[FeedItem]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(vec![]);
    w.write_record(CSV_COLUMNS)?;
    for i in items {
        let (first, rest) = i.image_links.split_first().map_or(("", &[][..]), |(f, r)| (f.as_str(), r));
        w.write_record([
            i.id,
            &i.version.to_string(),
            i.title,
            i.description,
            &i.materials.join(", "),
            i.category,
            i.category_name,
            &i.price_minor.to_string(),
            i.currency,
            &i.price,
            i.availability,
            &i.link,
            first,
            &rest.join(","),
            i.artisan_name.unwrap_or_default(),
        ])?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

async fn feed(app: App, method: Method, headers: HeaderMap, csv: bool) -> Response {
    let base = match app.shop.base(&headers) {
        Ok(base) => base,
        Err(e) => return error_response(e, None),
    };
    let got = store(&app, move |db| {
        let all = products::shop(db)?;
        let items: Vec<FeedItem> = all.iter().map(|p| feed_item(p, &base)).collect();
        let body = if csv {
            csv_body(&items).map_err(|e| ApiError::internal(format!("writing the feed: {e}")))?
        } else {
            serde_json::to_vec(&Feed { products: items }).expect("the feed serializes")
        };
        Ok((fundi_sync::hash::sha256_hex(&body), body))
    })
    .await;
    let content_type = if csv { "text/csv; charset=utf-8" } else { "application/json" };
    serve_bytes(method, &headers, got, &Serving { cache_control: FEED_CACHE, content_type })
}

/// `GET /shop/feed.json`: every product on sale, for a hosted shop to import.
pub async fn feed_json(State(app): State<App>, method: Method, headers: HeaderMap) -> Response {
    feed(app, method, headers, false).await
}

/// `GET /shop/feed.csv`: the same feed as CSV.
pub async fn feed_csv(State(app): State<App>, method: Method, headers: HeaderMap) -> Response {
    feed(app, method, headers, true).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_as_shoppers_and_shops_read_them() {
        assert_eq!(price_text(2500, "USD"), "US$25.00");
        assert_eq!(price_text(125_050, "EUR"), "€1,250.50");
        assert_eq!(price_text(9_999_999, "GBP"), "£99,999.99");
        assert_eq!(price_text(250_000, "KES"), "KSh 2,500.00");
        assert_eq!((decimal(1), decimal(2500), decimal(10_000_000)), ("0.01".into(), "25.00".into(), "100000.00".into()));
    }

    #[test]
    fn the_list_reads_its_category_and_page_and_ignores_the_rest() {
        let q = |s: &str| filter_of(&Some(s.to_string()));
        assert_eq!(filter_of(&None), Some(Filter { category: None, page: 1 }));
        assert_eq!(q("category=baskets&page=2&utm_source=x"), Some(Filter { category: Some(Category::Baskets), page: 2 }));
        assert_eq!(q("category="), Some(Filter { category: None, page: 1 }));
        for bad in ["category=Baskets", "category=nope", "page=0", "page=-1", "page=1.5", "page=1234567", "page=%31"] {
            assert_eq!(q(bad), None, "{bad}");
        }
        assert_eq!(list_href(Some(Category::HomeDecor), 3), "/shop?category=home_decor&page=3");
    }

    #[test]
    fn a_public_url_is_a_plain_http_address() {
        let ok = |s: &str| s.parse::<PublicUrl>().map(|u| u.0);
        assert_eq!(ok("https://shop.example.org/"), Ok("https://shop.example.org".into()));
        assert_eq!(ok("http://10.0.0.5:8080/depot"), Ok("http://10.0.0.5:8080/depot".into()));
        for bad in [
            "shop.example.org",
            "ftp://x",
            "https://",
            "https://a b",
            "https://x/?q=1",
            "https://x/#f",
            "https://u@x",
            "https://x,y",
        ] {
            assert!(ok(bad).is_err(), "{bad}");
        }
    }
}
