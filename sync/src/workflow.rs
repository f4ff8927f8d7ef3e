//! Workflows: commands validated against allowed-transitions tables. The server applies a
//! command only if the table allows it from the record's current state and for the caller's
//! role and relation; otherwise the command is refused and shown on the sending phone as a
//! conflict. The phone runs the same function to replay its pending commands over the last
//! server state (the optimistic view).

use super::wire::{CommandBody, Extra, OrderBody, OrderEvent, RejectCode, Rejection};
use crate::dates::Day;
use crate::limits::{COMMAND_REASON_MAX_CHARS, ORDER_HISTORY_MAX};
use crate::roles::{Relation, Role};

macro_rules! codes {
    ($name:ident { $($variant:ident => $code:literal),* $(,)? }) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),* }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
            pub fn code(self) -> &'static str { match self { $($name::$variant => $code),* } }
            pub fn from_code(s: &str) -> Option<$name> { Self::ALL.iter().copied().find(|v| v.code() == s) }
        }
    };
}

codes!(OrderStatus {
    New => "new",
    Assigned => "assigned",
    Accepted => "accepted",
    Declined => "declined",
    InProduction => "in_production",
    ReadyForPickup => "ready_for_pickup",
    Received => "received",
    QcPassed => "qc_passed",
    QcFailed => "qc_failed",
    Shipped => "shipped",
    Delivered => "delivered",
    Cancelled => "cancelled",
    Stocked => "stocked",
});

codes!(OrderCommand {
    Assign => "assign",
    Accept => "accept",
    Decline => "decline",
    StartProduction => "start_production",
    MarkReady => "mark_ready",
    Receive => "receive",
    QcPass => "qc_pass",
    QcFail => "qc_fail",
    Rework => "rework",
    Ship => "ship",
    Deliver => "deliver",
    Cancel => "cancel",
    Stock => "stock",
});

codes!(DraftCommand {
    Submit => "submit",
    RequestChanges => "request_changes",
    Approve => "approve",
    Revise => "revise",
});

/// Where a draft is in its review.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DraftStatus {
    /// Being written by the artisan; editable.
    Draft,
    /// Sent for review; locked until the reviewer answers.
    Submitted,
    /// The reviewer asked for changes; editable again.
    ChangesRequested,
    /// Accepted into the catalog.
    Approved,
}

impl DraftStatus {
    pub fn code(self) -> &'static str {
        match self {
            DraftStatus::Draft => "draft",
            DraftStatus::Submitted => "submitted",
            DraftStatus::ChangesRequested => "changes_requested",
            DraftStatus::Approved => "approved",
        }
    }

    pub fn from_code(code: &str) -> Option<DraftStatus> {
        [DraftStatus::Draft, DraftStatus::Submitted, DraftStatus::ChangesRequested, DraftStatus::Approved]
            .into_iter()
            .find(|s| s.code() == code)
    }

    /// Whether the artisan may change the draft's content in this state.
    pub fn is_editable(self) -> bool {
        matches!(self, DraftStatus::Draft | DraftStatus::ChangesRequested)
    }
}

/// Who may issue a command: a role, and for phone roles the relation they need to the record.
#[derive(Clone, Copy, Debug)]
pub enum Issuer {
    /// The assigned / owning artisan.
    OwnerArtisan,
    /// The owner's mentor.
    OwnersMentor,
    Role(Role),
}

impl Issuer {
    fn allows(self, role: Role, relation: Relation) -> bool {
        match self {
            Issuer::OwnerArtisan => role == Role::Artisan && relation == Relation::Owner,
            Issuer::OwnersMentor => role == Role::Mentor && relation == Relation::Mentor,
            // Staff act on their own depot's records only (ADR 0030).
            Issuer::Role(r) => r == role && relation != Relation::OtherDepot,
        }
    }
}

pub struct Transition<S: 'static, C> {
    pub from: &'static [S],
    pub command: C,
    pub to: S,
    pub by: &'static [Issuer],
}

use Issuer::{OwnerArtisan, OwnersMentor};
use OrderStatus as O;
const OPS: Issuer = Issuer::Role(Role::Operations);
const STAFF: Issuer = Issuer::Role(Role::Staff);

/// The order lifecycle. Cancel is allowed until the goods leave the depot.
pub const ORDER_TRANSITIONS: &[Transition<OrderStatus, OrderCommand>] = &[
    Transition { from: &[O::New, O::Assigned, O::Declined], command: OrderCommand::Assign, to: O::Assigned, by: &[OPS] },
    Transition { from: &[O::Assigned], command: OrderCommand::Accept, to: O::Accepted, by: &[OwnerArtisan] },
    Transition { from: &[O::Assigned], command: OrderCommand::Decline, to: O::Declined, by: &[OwnerArtisan] },
    Transition { from: &[O::Accepted], command: OrderCommand::StartProduction, to: O::InProduction, by: &[OwnerArtisan] },
    Transition { from: &[O::InProduction], command: OrderCommand::MarkReady, to: O::ReadyForPickup, by: &[OwnerArtisan] },
    Transition { from: &[O::ReadyForPickup], command: OrderCommand::Receive, to: O::Received, by: &[STAFF] },
    Transition { from: &[O::Received], command: OrderCommand::QcPass, to: O::QcPassed, by: &[STAFF] },
    Transition { from: &[O::Received], command: OrderCommand::QcFail, to: O::QcFailed, by: &[STAFF] },
    Transition { from: &[O::QcFailed], command: OrderCommand::Rework, to: O::InProduction, by: &[OwnerArtisan] },
    Transition { from: &[O::QcPassed], command: OrderCommand::Ship, to: O::Shipped, by: &[STAFF, OPS] },
    Transition { from: &[O::Shipped], command: OrderCommand::Deliver, to: O::Delivered, by: &[STAFF, OPS] },
    // Pieces that passed the check and are sold to no one yet (a replenishment, ADR 0025) go
    // into the depot's stock: the depot records the movement in the same transaction.
    Transition { from: &[O::QcPassed], command: OrderCommand::Stock, to: O::Stocked, by: &[STAFF, OPS] },
    Transition {
        from: &[
            O::New,
            O::Assigned,
            O::Accepted,
            O::Declined,
            O::InProduction,
            O::ReadyForPickup,
            O::Received,
            O::QcPassed,
            O::QcFailed,
        ],
        command: OrderCommand::Cancel,
        to: O::Cancelled,
        by: &[OPS],
    },
];

use DraftStatus as D;
/// The draft review. Staff (liaisons) review any draft; a mentor reviews their mentees'.
pub const DRAFT_TRANSITIONS: &[Transition<DraftStatus, DraftCommand>] = &[
    Transition { from: &[D::Draft, D::ChangesRequested], command: DraftCommand::Submit, to: D::Submitted, by: &[OwnerArtisan] },
    Transition {
        from: &[D::Submitted],
        command: DraftCommand::RequestChanges,
        to: D::ChangesRequested,
        by: &[OwnersMentor, STAFF],
    },
    Transition { from: &[D::Submitted], command: DraftCommand::Approve, to: D::Approved, by: &[OwnersMentor, STAFF] },
    // A new version of an approved product: editable again, while the approved version stays
    // on sale until the next approval (ADR 0025).
    Transition { from: &[D::Approved], command: DraftCommand::Revise, to: D::Draft, by: &[OwnerArtisan] },
];

fn step<S: Copy + PartialEq + std::fmt::Debug, C: Copy + PartialEq + std::fmt::Debug>(
    table: &[Transition<S, C>],
    from: S,
    command: C,
    role: Role,
    relation: Relation,
) -> Result<S, Rejection> {
    let t =
        table.iter().find(|t| t.command == command).ok_or_else(|| Rejection::new(RejectCode::Malformed, "unknown command"))?;
    if !t.by.iter().any(|i| i.allows(role, relation)) {
        return Err(Rejection::new(RejectCode::Forbidden, format!("{role:?} may not {command:?}")));
    }
    if !t.from.contains(&from) {
        return Err(Rejection::new(RejectCode::IllegalTransition, format!("cannot {command:?} from {from:?}")));
    }
    Ok(t.to)
}

/// The commands `role` (in `relation` to the order) may issue from `from` on its own, in the
/// table's order: those [`order_step`] accepts and whose arguments need nothing but an optional
/// reason (an assignment, which must name its artisan, is left out). What the phone offers as
/// buttons, so the app shows only what the depot would accept.
pub fn order_commands(from: OrderStatus, role: Role, relation: Relation) -> Vec<OrderCommand> {
    ORDER_TRANSITIONS
        .iter()
        .map(|t| t.command)
        .filter(|c| order_step(from, *c, role, relation).is_ok() && c.check_args(&Extra::new()).is_ok())
        .collect()
}

/// The review commands `role` (in `relation` to the draft) may issue from `from`, in the
/// table's order: a reviewer's buttons (approve, request changes), and no others.
pub fn draft_commands(from: DraftStatus, role: Role, relation: Relation) -> Vec<DraftCommand> {
    DRAFT_TRANSITIONS.iter().map(|t| t.command).filter(|c| draft_step(from, *c, role, relation).is_ok()).collect()
}

/// The order's next status after `command`, or why not.
pub fn order_step(from: OrderStatus, command: OrderCommand, role: Role, relation: Relation) -> Result<OrderStatus, Rejection> {
    step(ORDER_TRANSITIONS, from, command, role, relation)
}

/// The draft's next review status after `command`, or why not.
pub fn draft_step(from: DraftStatus, command: DraftCommand, role: Role, relation: Relation) -> Result<DraftStatus, Rejection> {
    step(DRAFT_TRANSITIONS, from, command, role, relation)
}

/// Apply an already-validated order command to an order: its new status, stamp and note. The
/// depot runs it after [`order_step`] accepts; a phone runs it when the depot acknowledges the
/// command, so both hold the very same record without sending it back.
pub fn apply_order_command(order: &mut OrderBody, to: OrderStatus, c: &CommandBody) {
    order.status = to.code().to_string();
    order.updated_hlc = order.updated_hlc.max(c.hlc);
    // Only an assignment names the artisan; the argument is ignored on any other command.
    if c.name == OrderCommand::Assign.code() {
        if let Some(a) = assigned_artisan(&c.args) {
            order.artisan_id = Some(a.to_string());
        }
    }
    // Only the commands that say why (decline, a failed check, cancel) set the order's note;
    // a reason sent with any other command is ignored, so it cannot overwrite the note.
    let mut reason = None;
    if OrderCommand::from_code(&c.name).is_some_and(OrderCommand::takes_reason) {
        if let Some(text) = c.args.get("reason").and_then(|v| v.as_str()) {
            let text: String = text.chars().take(COMMAND_REASON_MAX_CHARS).collect();
            order.note = Some(text.clone());
            reason = Some(text);
        }
    }
    // Only a quality check keeps a photo; one sent with any other command is ignored, and
    // `check_args` has refused one that is not a content hash.
    let photo = if OrderCommand::from_code(&c.name).is_some_and(OrderCommand::takes_photo) {
        photo_arg(&c.args).map(str::to_string)
    } else {
        None
    };
    record_order_event(order, OrderEvent { event: c.name.clone(), status: to.code().to_string(), hlc: c.hlc, reason, photo });
}

/// The photos an order's history names (the quality checks'), oldest first: the blobs the
/// order refers to.
pub fn order_photos(history: &[OrderEvent]) -> impl Iterator<Item = &str> {
    history.iter().filter_map(|e| e.photo.as_deref())
}

/// Append `event` to the order's history, dropping the oldest past [`ORDER_HISTORY_MAX`].
pub fn record_order_event(order: &mut OrderBody, event: OrderEvent) {
    order.history.push(event);
    let over = order.history.len().saturating_sub(ORDER_HISTORY_MAX);
    if over > 0 {
        order.history.drain(..over);
        order.history_dropped = order.history_dropped.saturating_add(over as u32);
    }
}

impl OrderStatus {
    /// Whether the artisan still has pieces to make (or remake) for the order.
    pub fn awaits_artisan(self) -> bool {
        matches!(self, OrderStatus::Assigned | OrderStatus::Accepted | OrderStatus::InProduction | OrderStatus::QcFailed)
    }
}

/// Whether an order in `status`, due on `due_date` (`YYYY-MM-DD`), is late on `today`: its due
/// day has passed and the artisan has not yet brought the pieces (an order without a readable
/// due date is never late).
pub fn order_is_late(status: OrderStatus, due_date: Option<&str>, today: Day) -> bool {
    let due = due_date.and_then(|d| Day::parse(d).ok());
    status.awaits_artisan() && due.is_some_and(|due| today > due)
}

impl OrderCommand {
    /// Whether the command carries a reason the order keeps as its note.
    pub fn takes_reason(self) -> bool {
        matches!(self, OrderCommand::Decline | OrderCommand::QcFail | OrderCommand::Cancel)
    }

    /// Whether the command may carry a photo the order's history keeps: a quality check's,
    /// taken of the goods at the depot.
    pub fn takes_photo(self) -> bool {
        matches!(self, OrderCommand::QcPass | OrderCommand::QcFail)
    }

    /// Whether `args` hold what the command needs: an assignment names the artisan; a quality
    /// check's photo, when it has one, is a content hash. Checked where a command is queued (the
    /// phone) and where it is applied (the depot), after the transition table allowed it; a
    /// command without refused `Invalid`, on its own.
    pub fn check_args(self, args: &Extra) -> Result<(), Rejection> {
        if self == OrderCommand::Assign && assigned_artisan(args).is_none() {
            return Err(Rejection::new(RejectCode::Invalid, "assign needs artisan_id"));
        }
        if self.takes_photo() && args.contains_key(PHOTO_ARG) && photo_arg(args).is_none() {
            return Err(Rejection::new(RejectCode::Invalid, "photo must be a SHA-256 in 64 lowercase hex digits"));
        }
        Ok(())
    }
}

/// The argument naming a quality check's photo.
pub const PHOTO_ARG: &str = "photo";

/// The photo a command's arguments name (`photo`: a content hash), if any.
fn photo_arg(args: &Extra) -> Option<&str> {
    args.get(PHOTO_ARG).and_then(|v| v.as_str()).filter(|h| crate::hash::is_content_hash(h))
}

impl OrderCommand {
    /// Whether `order` can take the command at all, whatever its status: only an order for a
    /// catalog product, with its artisan, goes into stock (the ledger counts pieces per product
    /// and artisan); a replenishment (ADR 0026) goes into stock and is never shipped: its pieces
    /// restore what the depot sold, and the artisan was paid for those when they were
    /// delivered. Checked where a command is offered, queued and applied.
    pub fn check_order(self, order: &OrderBody) -> Result<(), Rejection> {
        if self == OrderCommand::Stock && (order.product_id.is_none() || order.artisan_id.is_none()) {
            return Err(Rejection::new(RejectCode::Invalid, "only an order for a catalog product goes into stock"));
        }
        if self == OrderCommand::Ship && order.source == crate::shop::REPLENISH_SOURCE {
            return Err(Rejection::new(RejectCode::IllegalTransition, "a replenishment goes into stock, not to a buyer"));
        }
        Ok(())
    }
}

/// The commands `role` may give `order` in `status` (its optimistic status on a phone): those
/// [`order_commands`] offers that also fit the order itself ([`OrderCommand::check_order`]).
pub fn commands_for_order(order: &OrderBody, status: OrderStatus, role: Role, relation: Relation) -> Vec<OrderCommand> {
    order_commands(status, role, relation).into_iter().filter(|c| c.check_order(order).is_ok()).collect()
}

/// The artisan an assignment's arguments name (`artisan_id`: non-empty text), if any.
pub fn assigned_artisan(args: &Extra) -> Option<&str> {
    args.get("artisan_id").and_then(|v| v.as_str()).filter(|a| !a.is_empty())
}

/// Where `command` leads from `from`, whoever issues it (for replaying acknowledged commands).
pub fn order_target(from: OrderStatus, command: OrderCommand) -> Option<OrderStatus> {
    ORDER_TRANSITIONS.iter().find(|t| t.command == command && t.from.contains(&from)).map(|t| t.to)
}

/// Where a review command leads from `from`, whoever issues it.
pub fn draft_target(from: DraftStatus, command: DraftCommand) -> Option<DraftStatus> {
    DRAFT_TRANSITIONS.iter().find(|t| t.command == command && t.from.contains(&from)).map(|t| t.to)
}

/// Statuses from which no command leads anywhere.
pub fn order_is_final(s: OrderStatus) -> bool {
    !ORDER_TRANSITIONS.iter().any(|t| t.from.contains(&s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reviewer_is_offered_approve_and_request_changes_on_a_submitted_draft_only() {
        use DraftCommand as C;
        assert_eq!(draft_commands(D::Submitted, Role::Mentor, Relation::Mentor), vec![C::RequestChanges, C::Approve]);
        assert_eq!(draft_commands(D::Submitted, Role::Mentor, Relation::Other), vec![]);
        assert_eq!(draft_commands(D::Approved, Role::Staff, Relation::Other), vec![]);
        assert_eq!(draft_commands(D::Draft, Role::Artisan, Relation::Owner), vec![C::Submit]);
        // Only its artisan starts a new version of an approved product.
        assert_eq!(draft_commands(D::Approved, Role::Artisan, Relation::Owner), vec![C::Revise]);
        assert_eq!(draft_commands(D::Approved, Role::Mentor, Relation::Mentor), vec![]);
        assert_eq!(draft_step(D::Approved, C::Revise, Role::Artisan, Relation::Owner), Ok(D::Draft));
    }

    #[test]
    fn the_commands_offered_are_exactly_those_the_table_accepts_without_arguments() {
        use OrderCommand as C;
        assert_eq!(order_commands(O::Assigned, Role::Artisan, Relation::Owner), vec![C::Accept, C::Decline]);
        assert_eq!(order_commands(O::Assigned, Role::Artisan, Relation::Other), vec![]);
        assert_eq!(order_commands(O::InProduction, Role::Artisan, Relation::Owner), vec![C::MarkReady]);
        assert_eq!(order_commands(O::QcFailed, Role::Artisan, Relation::Owner), vec![C::Rework]);
        assert_eq!(order_commands(O::Delivered, Role::Operations, Relation::Other), vec![]);
        // Operations may assign only with an artisan named: not offered on its own.
        assert_eq!(order_commands(O::New, Role::Operations, Relation::Other), vec![C::Cancel]);
        for &from in OrderStatus::ALL {
            for role in [Role::Artisan, Role::Mentor, Role::Staff, Role::Operations] {
                for rel in RELS {
                    for c in order_commands(from, role, rel) {
                        assert!(order_step(from, c, role, rel).is_ok(), "{from:?} {c:?} {role:?} {rel:?}");
                    }
                }
            }
        }
    }

    fn an_order(status: OrderStatus) -> OrderBody {
        OrderBody {
            status: status.code().into(),
            artisan_id: None,
            product: "Kiondo".into(),
            product_id: None,
            quantity: 1,
            price_minor: 1,
            source: "shop".into(),
            external_ref: "A".into(),
            updated_hlc: Default::default(),
            note: Some("deliver by Friday".into()),
            due_date: None,
            history: vec![],
            history_dropped: 0,
            extra: Extra::new(),
        }
    }

    fn command(name: &str, wall_ms: u64, reason: Option<&str>) -> CommandBody {
        let args = reason.map(|r| ("reason".to_string(), serde_json::json!(r))).into_iter().collect();
        CommandBody::new(name, crate::hlc::Timestamp { wall_ms, counter: 0, node: 1 }, args)
    }

    #[test]
    fn only_a_command_that_says_why_sets_the_note() {
        let mut order = an_order(OrderStatus::Assigned);
        apply_order_command(&mut order, OrderStatus::Accepted, &command("accept", 1, Some("overwritten?")));
        assert_eq!(order.note.as_deref(), Some("deliver by Friday"));
        apply_order_command(&mut order, OrderStatus::Cancelled, &command("cancel", 2, Some("overwritten?")));
        assert_eq!(order.note.as_deref(), Some("overwritten?"));
    }

    #[test]
    fn every_command_applied_is_in_the_history_which_stays_bounded() {
        let mut order = an_order(OrderStatus::Assigned);
        apply_order_command(&mut order, OrderStatus::Accepted, &command("accept", 10, Some("ignored")));
        apply_order_command(&mut order, OrderStatus::QcFailed, &command("qc_fail", 20, Some("loose weave")));
        let seen: Vec<_> =
            order.history.iter().map(|e| (e.event.as_str(), e.status.as_str(), e.hlc.wall_ms, e.reason.as_deref())).collect();
        assert_eq!(seen, [("accept", "accepted", 10, None), ("qc_fail", "qc_failed", 20, Some("loose weave"))]);
        // A rework loop without end keeps the latest events and counts the rest.
        for i in 0..100 {
            apply_order_command(&mut order, OrderStatus::InProduction, &command("rework", 100 + i, None));
        }
        assert_eq!(order.history.len(), ORDER_HISTORY_MAX);
        assert_eq!(order.history_dropped as usize, 102 - ORDER_HISTORY_MAX);
        assert_eq!(order.history.last().unwrap().hlc.wall_ms, 199);
        assert_eq!(order.history[0].hlc.wall_ms, 199 - ORDER_HISTORY_MAX as u64 + 1);
    }

    #[test]
    fn a_quality_check_keeps_its_photo_and_no_other_command_does() {
        let photo = crate::hash::sha256_hex(b"a photo of two baskets");
        let with_photo = |name: &str, wall_ms: u64, value: serde_json::Value| {
            let mut c = command(name, wall_ms, None);
            c.args.insert(PHOTO_ARG.into(), value);
            c
        };
        let mut order = an_order(OrderStatus::ReadyForPickup);
        // A photo sent with another command is ignored, as a reason is.
        apply_order_command(&mut order, OrderStatus::Received, &with_photo("receive", 1, serde_json::json!(photo)));
        let mut fail = with_photo("qc_fail", 2, serde_json::json!(photo));
        fail.args.insert("reason".into(), serde_json::json!("loose weave"));
        apply_order_command(&mut order, OrderStatus::QcFailed, &fail);
        apply_order_command(&mut order, OrderStatus::InProduction, &command("rework", 3, None));
        let seen: Vec<_> = order.history.iter().map(|e| (e.event.as_str(), e.photo.as_deref())).collect();
        assert_eq!(seen, [("receive", None), ("qc_fail", Some(photo.as_str())), ("rework", None)]);
        assert_eq!(order_photos(&order.history).collect::<Vec<_>>(), [photo.as_str()]);
        // On the wire an event without a photo is as it was before photos existed.
        let json = serde_json::to_value(&order.history).unwrap();
        let first: std::collections::BTreeSet<&str> = json[0].as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(first, ["event", "hlc", "status"].into_iter().collect());
        assert_eq!(json[1]["photo"], serde_json::json!(photo));
        let back: Vec<OrderEvent> = serde_json::from_value(json).unwrap();
        assert_eq!(back, order.history);

        // A quality check's photo must be a content hash; other commands' arguments are not read.
        for bad in [serde_json::json!("not-a-hash"), serde_json::json!(photo.to_uppercase()), serde_json::json!(7)] {
            for c in [OrderCommand::QcPass, OrderCommand::QcFail] {
                let args: Extra = [(PHOTO_ARG.to_string(), bad.clone())].into_iter().collect();
                assert_eq!(c.check_args(&args).unwrap_err().code, RejectCode::Invalid, "{c:?} {bad}");
            }
            let args: Extra = [(PHOTO_ARG.to_string(), bad.clone())].into_iter().collect();
            assert_eq!(OrderCommand::Receive.check_args(&args), Ok(()));
        }
        let args: Extra = [(PHOTO_ARG.to_string(), serde_json::json!(photo))].into_iter().collect();
        assert_eq!(OrderCommand::QcPass.check_args(&args), Ok(()));
    }

    #[test]
    fn an_order_is_late_after_its_due_day_while_the_artisan_still_owes_it() {
        let day = Day::parse("2026-12-12").unwrap();
        let (on_the_day, after) = (day, Day(day.0 + 1));
        let due = Some("2026-12-12");
        for status in [OrderStatus::Assigned, OrderStatus::Accepted, OrderStatus::InProduction, OrderStatus::QcFailed] {
            assert!(!order_is_late(status, due, on_the_day), "{status:?}: due today is not late");
            assert!(order_is_late(status, due, after), "{status:?}");
        }
        for status in
            [OrderStatus::New, OrderStatus::ReadyForPickup, OrderStatus::Received, OrderStatus::Delivered, OrderStatus::Cancelled]
        {
            assert!(!order_is_late(status, due, after), "{status:?}: not the artisan's to bring");
        }
        assert!(!order_is_late(OrderStatus::Accepted, None, after), "no due date");
        assert!(!order_is_late(OrderStatus::Accepted, Some("someday"), after), "an unreadable date");
    }

    const RELS: [Relation; 4] = [Relation::Owner, Relation::Mentor, Relation::Other, Relation::OtherDepot];

    /// Every (status, command, role, relation) against an independent statement of the rules.
    #[test]
    fn order_table_exhaustively() {
        let mut allowed = 0;
        for &from in OrderStatus::ALL {
            for &cmd in OrderCommand::ALL {
                for role in Role::ALL {
                    for rel in RELS {
                        let artisan_owner = role == Role::Artisan && rel == Relation::Owner;
                        // A role acts by itself, on its own depot's orders (ADR 0030).
                        let by = |r: Role| role == r && rel != Relation::OtherDepot;
                        let depot_wide = by(Role::Staff) || by(Role::Operations);
                        use OrderCommand as C;
                        let expected = match (cmd, from) {
                            (C::Assign, O::New | O::Assigned | O::Declined) if by(Role::Operations) => Some(O::Assigned),
                            (C::Accept, O::Assigned) if artisan_owner => Some(O::Accepted),
                            (C::Decline, O::Assigned) if artisan_owner => Some(O::Declined),
                            (C::StartProduction, O::Accepted) if artisan_owner => Some(O::InProduction),
                            (C::MarkReady, O::InProduction) if artisan_owner => Some(O::ReadyForPickup),
                            (C::Receive, O::ReadyForPickup) if by(Role::Staff) => Some(O::Received),
                            (C::QcPass, O::Received) if by(Role::Staff) => Some(O::QcPassed),
                            (C::QcFail, O::Received) if by(Role::Staff) => Some(O::QcFailed),
                            (C::Rework, O::QcFailed) if artisan_owner => Some(O::InProduction),
                            (C::Ship, O::QcPassed) if depot_wide => Some(O::Shipped),
                            (C::Deliver, O::Shipped) if depot_wide => Some(O::Delivered),
                            (C::Stock, O::QcPassed) if depot_wide => Some(O::Stocked),
                            (C::Cancel, f)
                                if by(Role::Operations)
                                    && !matches!(f, O::Shipped | O::Delivered | O::Cancelled | O::Stocked) =>
                            {
                                Some(O::Cancelled)
                            }
                            _ => None,
                        };
                        let got = order_step(from, cmd, role, rel);
                        assert_eq!(got.as_ref().ok().copied(), expected, "{from:?} {cmd:?} {role:?} {rel:?}");
                        if got.is_ok() {
                            allowed += 1;
                        }
                    }
                }
            }
        }
        assert!(allowed > 20);
        assert!(order_is_final(O::Delivered) && order_is_final(O::Cancelled) && !order_is_final(O::Shipped));
        assert!(order_is_final(O::Stocked), "pieces in stock are sold through a new order");
    }

    #[test]
    fn only_an_order_for_a_catalog_product_with_its_artisan_is_offered_and_takes_stock() {
        let mut order = an_order(O::QcPassed);
        order.artisan_id = Some("a1".into());
        let staff = |o: &OrderBody| commands_for_order(o, O::QcPassed, Role::Staff, Relation::Other);
        assert_eq!(OrderCommand::Stock.check_order(&order).unwrap_err().code, RejectCode::Invalid);
        assert!(!staff(&order).contains(&OrderCommand::Stock), "not offered without a product");
        order.product_id = Some("p1".into());
        assert!(OrderCommand::Stock.check_order(&order).is_ok());
        assert!(staff(&order).contains(&OrderCommand::Stock) && staff(&order).contains(&OrderCommand::Ship));
        order.artisan_id = None;
        assert!(OrderCommand::Stock.check_order(&order).is_err(), "nor without an artisan");
        assert!(OrderCommand::Ship.check_order(&order).is_ok(), "other commands do not care");
    }

    /// A replenishment (ADR 0026) is stocked, never shipped (so it never earns by itself): the
    /// phone and the console do not offer it, and the depot refuses it.
    #[test]
    fn a_replenishment_is_offered_stock_and_never_ship() {
        let mut order = an_order(O::QcPassed);
        order.artisan_id = Some("a1".into());
        order.product_id = Some("p1".into());
        order.source = crate::shop::REPLENISH_SOURCE.into();
        let staff = commands_for_order(&order, O::QcPassed, Role::Staff, Relation::Other);
        assert!(staff.contains(&OrderCommand::Stock) && !staff.contains(&OrderCommand::Ship), "{staff:?}");
        assert_eq!(OrderCommand::Ship.check_order(&order).unwrap_err().code, RejectCode::IllegalTransition);
    }

    #[test]
    fn an_assignment_names_its_artisan_and_no_other_command_needs_an_argument() {
        let args = |v: serde_json::Value| -> Extra { serde_json::from_value(v).unwrap() };
        for bad in
            [args(serde_json::json!({})), args(serde_json::json!({"artisan_id": ""})), args(serde_json::json!({"artisan_id": 7}))]
        {
            assert_eq!(OrderCommand::Assign.check_args(&bad).unwrap_err().code, RejectCode::Invalid, "{bad:?}");
        }
        assert_eq!(OrderCommand::Assign.check_args(&args(serde_json::json!({"artisan_id": "a1"}))), Ok(()));
        for &c in OrderCommand::ALL.iter().filter(|c| **c != OrderCommand::Assign) {
            assert_eq!(c.check_args(&Extra::new()), Ok(()), "{c:?}");
        }
    }

    #[test]
    fn a_forbidden_role_is_told_forbidden_and_a_wrong_state_illegal() {
        let e = order_step(O::QcPassed, OrderCommand::Ship, Role::Artisan, Relation::Owner).unwrap_err();
        assert_eq!(e.code, RejectCode::Forbidden);
        let e = order_step(O::Cancelled, OrderCommand::Ship, Role::Staff, Relation::Other).unwrap_err();
        assert_eq!(e.code, RejectCode::IllegalTransition);
    }

    #[test]
    fn draft_review_table() {
        assert_eq!(draft_step(D::Draft, DraftCommand::Submit, Role::Artisan, Relation::Owner), Ok(D::Submitted));
        assert!(draft_step(D::Draft, DraftCommand::Submit, Role::Artisan, Relation::Other).is_err());
        assert_eq!(draft_step(D::Submitted, DraftCommand::Approve, Role::Mentor, Relation::Mentor), Ok(D::Approved));
        assert!(draft_step(D::Submitted, DraftCommand::Approve, Role::Mentor, Relation::Other).is_err());
        assert_eq!(draft_step(D::Submitted, DraftCommand::RequestChanges, Role::Staff, Relation::Other), Ok(D::ChangesRequested));
        assert_eq!(
            draft_step(D::Approved, DraftCommand::Approve, Role::Staff, Relation::Other).unwrap_err().code,
            RejectCode::IllegalTransition
        );
        assert!(draft_step(D::Submitted, DraftCommand::Approve, Role::Artisan, Relation::Owner).is_err());
    }

    /// Random pairs of concurrent commands on one order, applied in either order, as the
    /// server does: never an illegal state, and the loser always gets a rejection to show.
    #[test]
    fn concurrent_command_pairs_never_reach_an_illegal_state() {
        let reachable = |s: OrderStatus| s == O::New || ORDER_TRANSITIONS.iter().any(|t| t.to == s);
        let actors = [(Role::Artisan, Relation::Owner), (Role::Staff, Relation::Other), (Role::Operations, Relation::Other)];
        let mut rejections = 0;
        for &start in OrderStatus::ALL {
            for &c1 in OrderCommand::ALL {
                for &c2 in OrderCommand::ALL {
                    for a1 in actors {
                        for a2 in actors {
                            let mut s = start;
                            let mut refused = 0;
                            for (c, (role, rel)) in [(c1, a1), (c2, a2)] {
                                match order_step(s, c, role, rel) {
                                    Ok(next) => {
                                        assert!(ORDER_TRANSITIONS.iter().any(|t| t.from.contains(&s) && t.to == next));
                                        s = next;
                                    }
                                    Err(r) => {
                                        assert_ne!(r.code, RejectCode::Malformed);
                                        refused += 1;
                                    }
                                }
                            }
                            assert!(reachable(s));
                            rejections += refused;
                        }
                    }
                }
            }
        }
        assert!(rejections > 0);
    }
}
