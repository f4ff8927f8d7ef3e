//! Every limit the phone and the depot must agree on, defined once. The phone refuses what
//! breaks one before queueing it; the depot refuses the one mutation that breaks it with a
//! typed error (`RejectCode::Invalid`, `Malformed`, `ClockAhead`) and applies the rest of the
//! batch. `tests::phone_and_depot_refuse_the_same_draft_fields` (in `fields`) holds both sides
//! to the same list, field by field.

// Draft fields (the editor and the push).
pub const TITLE_MAX_CHARS: u32 = 80;
pub const DESCRIPTION_MAX_CHARS: u32 = 2000;
pub const MATERIALS_MAX: u32 = 20;
pub const MATERIAL_MAX_CHARS: u32 = 40;
/// One shilling.
pub const PRICE_MIN_MINOR: i64 = 100;
/// One million shillings: far above any handmade product, low enough to catch a slipped finger.
pub const PRICE_MAX_MINOR: i64 = 100_000_000;
pub const WEEKLY_CAPACITY_MAX: u32 = 1000;
/// More would not help a buyer and would cost the artisan data.
pub const PHOTOS_PER_DRAFT_MAX: usize = 8;
/// A reviewer's note to the artisan.
pub const REVIEW_NOTE_MAX_CHARS: usize = 2000;

// Profiles.
/// `display_name`, `location`, `phone`.
pub const PROFILE_TEXT_MAX_CHARS: usize = 120;
/// `story`: what an artisan tells shoppers about herself and her craft (ADR 0025).
pub const PROFILE_STORY_MAX_CHARS: usize = 1000;
/// An account's name, given at enrollment.
pub const ACCOUNT_NAME_MAX_CHARS: usize = 80;
/// Mentees a mentor's list carries (by name); a mentor coaches a few dozen.
pub const MENTEES_MAX: usize = 500;
/// A mentee's phones a mentor's list names (an artisan has one or two).
pub const MENTEE_DEVICES_MAX: usize = 5;

// Any document.
/// Largest serialized value of any one field (known or from a newer app).
pub const FIELD_VALUE_MAX_BYTES: usize = 8 * 1024;
/// Most fields one document may hold (known and unknown), and one write may carry.
pub const FIELDS_PER_DOCUMENT_MAX: usize = 64;
/// Field names: 1 to this many of `a-z`, `0-9`, `_`.
pub const FIELD_NAME_MAX_BYTES: usize = 48;
/// How deep a field's value may nest (lists and objects): a page of records must stay well
/// inside every phone's JSON recursion limit.
pub const FIELD_VALUE_MAX_DEPTH: usize = 8;
/// Stamps one field write may name as replaced (an edit names one, a conflict resolution two).
pub const BASE_STAMPS_MAX: usize = 8;
/// Unresolved losing values kept per field: the oldest beyond it are folded away (their values
/// dropped, their number shown as "N older versions not kept"; `document` says which, the same
/// on every replica), so a field's values cannot grow without bound by being written again and
/// again with older stamps, and no write is refused for it.
pub const CONFLICTS_PER_FIELD_MAX: usize = 8;
/// Largest merge state of one document, as the depot stores it (values, conflicts and the
/// stamps they replaced): bounds what one write costs and what every reader downloads.
pub const DOCUMENT_MAX_BYTES: usize = 256 * 1024;

// Ledgers.
/// Most any single stock movement may move (guards against a slipped finger adding a million).
pub const STOCK_DELTA_MAX: i64 = 100_000;
/// A stock movement's reason code, in bytes.
pub const STOCK_REASON_MAX_BYTES: usize = 64;

// Workflow commands.
/// A decline, failed check or cancellation reason kept on the order.
pub const COMMAND_REASON_MAX_CHARS: usize = 500;
/// Events an order's history keeps (the latest; a rework loop could otherwise grow it without
/// end). An order's ordinary life is at most a dozen.
pub const ORDER_HISTORY_MAX: usize = 40;

// The push and the pull.
/// Most mutations in one push (the phone splits larger outboxes into several batches).
pub const PUSH_BATCH_MAX: usize = 500;
/// Most changes in one pull page (the depot clamps a larger ask).
pub const PULL_PAGE_MAX: usize = 1000;
/// What the phone asks for per pull page.
pub const PULL_PAGE_ASKED: usize = 500;
/// Answers the depot keeps per device, counted back from its last counter.
pub const PUSH_RESULTS_KEPT: u64 = 5_000;
/// The greatest mutation counter (the depot stores counters as SQLite's signed 64-bit integers).
pub const COUNTER_MAX: u64 = i64::MAX as u64;

// Clocks.
/// How far ahead of the depot's wall clock a stamp may be (the depot refuses stamps beyond it).
pub const CLOCK_AHEAD_MAX_MS: u64 = 5 * 60 * 1000;

// Credentials.
/// An enrollment code is valid for a week.
pub const ENROLLMENT_CODE_TTL_MS: u64 = 7 * 24 * 3600 * 1000;
/// A lost reply to a code's exchange may be retried by the same phone for this long.
pub const ENROLLMENT_RETRY_WINDOW_MS: u64 = 15 * 60 * 1000;
/// Lifetime of a device credential by default (rotation renews it).
pub const TOKEN_TTL_MS: u64 = 30 * 24 * 3600 * 1000;
/// Wrong enrollment codes accepted per client address per minute (then `rate_limited`).
pub const ENROLLMENT_FAILURES_PER_MINUTE: u32 = 10;
/// Token rotations per device per minute (a phone rotates once a week).
pub const TOKEN_ROTATIONS_PER_MINUTE: u32 = 6;
/// The phone renews its credential when it has less than this left.
pub const TOKEN_RENEW_BEFORE_MS: u64 = 7 * 24 * 3600 * 1000;

// Bodies on the wire.
/// Largest answer the phone accepts once inflated.
pub const PHONE_INFLATED_MAX_BYTES: u64 = 64 * 1024 * 1024;
/// Largest request body the depot accepts once inflated.
pub const DEPOT_INFLATED_MAX_BYTES: usize = 16 * 1024 * 1024;

// Uploads (tus, ADR 0013).
/// Largest blob the depot takes. A prepared photo is 1600 px on its long edge (ADR 0007), about
/// 150 KB at the pipeline's quality. The worst the pipeline can make, measured with
/// `fundi-depot prepare-photos` on 1600 x 1600 px of pure noise: 1.25 MiB at its quality (74),
/// 3.44 MiB at quality 100. So 4 MiB takes any photo the pipeline makes at any quality it may come
/// to choose, and bounds one upload's disk and one PATCH body.
pub const BLOB_MAX_BYTES: u64 = 4 * 1024 * 1024;
/// Largest thumbnail the depot takes. The pipeline's thumbnails are 320 px on the long edge,
/// about 15 KB; this leaves four times room for a busy picture.
pub const THUMBNAIL_MAX_BYTES: u64 = 64 * 1024;
/// Bytes one device may hold in unfinished uploads (declared lengths): 16 photos of the largest
/// size, two drafts' worth, or some 400 typical photos.
pub const UPLOAD_DEVICE_QUOTA_BYTES: u64 = 64 * 1024 * 1024;
/// Bytes the whole depot may hold in unfinished uploads: 32 devices at their quota, a small share
/// of a depot box's storage.
pub const UPLOAD_DEPOT_QUOTA_BYTES: u64 = 2 * 1024 * 1024 * 1024;
/// Largest photo the depot console's quality-check form takes, as the browser sends it (a
/// laptop's or a phone's camera: 8-13 MP JPEGs of 3-8 MB; a 50 MP camera's some 15 MB). The
/// depot prepares it as the phone prepares a product photo (upright, metadata removed, 1600 px
/// and a 320 px thumbnail), so what it keeps fits [`BLOB_MAX_BYTES`] and [`THUMBNAIL_MAX_BYTES`].
pub const CONSOLE_PHOTO_MAX_BYTES: u64 = 16 * 1024 * 1024;
/// An unfinished upload expires this long after its last progress (creation or a stored chunk):
/// an artisan reaches the depot's Wi-Fi a few times a week, so an upload cut on Monday must still
/// resume on Sunday. Then its bytes are reclaimed.
pub const UPLOAD_EXPIRY_MS: u64 = 7 * 24 * 3600 * 1000;

// The shop order webhook (ADR 0026).
/// Largest body of a shop order delivery, in bytes: an order of the most lines takes some 5 KiB.
pub const SHOP_ORDER_MAX_BYTES: usize = 64 * 1024;
/// Lines one shop order may have.
pub const SHOP_ORDER_LINES_MAX: usize = 50;
/// A shop's order id, in characters: with `#<line>` it stays within an order reference's 64.
pub const SHOP_ORDER_ID_MAX_CHARS: usize = 48;
/// How far a delivery's timestamp may be from the depot's wall clock, either way, in seconds:
/// the same signature is refused as a replay while its timestamp is inside this window, and
/// after it the timestamp is refused.
pub const SHOP_REPLAY_WINDOW_SECS: u64 = 5 * 60;
/// A shop's name, given when operations add it.
pub const SHOP_NAME_MAX_CHARS: usize = 80;
/// Refused deliveries accepted per client address per minute, by default; then every delivery
/// from it is refused `rate_limited` for the rest of the minute, before any work or write.
pub const SHOP_REFUSALS_PER_MINUTE: u32 = 30;
/// Deliveries taken per shop per minute, by default (a leaked secret cannot flood the depot
/// with orders); then `rate_limited`. A shop of this size sends a few an hour.
pub const SHOP_DELIVERIES_PER_MINUTE: u32 = 120;
