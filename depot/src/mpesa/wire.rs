//! Daraja's JSON shapes, as Safaricom documents them (Daraja 3.0 pages for Authorization,
//! Business To Customer and Transaction Status; ADR 0016 lists what was confirmed there and what
//! was not), and what a result callback means for a payout.
//!
//! Daraja is loose with types: `expires_in` is a string in some answers and a number in others,
//! `ResultCode` a number (`2001`) or a string (`SFC_IC0003`), a parameter list an array or, with
//! one element, a lone object. Reading is lenient about exactly those; writing follows the
//! documented samples.

use super::amount::WholeKes;
use serde::de::{self, DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

pub const OAUTH_PATH: &str = "/oauth/v1/generate";
pub const OAUTH_QUERY: &str = "grant_type=client_credentials";
pub const B2C_PATH: &str = "/mpesa/b2c/v3/paymentrequest";
pub const STATUS_PATH: &str = "/mpesa/transactionstatus/v1/query";

/// The B2C command of a normal business payment to a registered customer.
pub const BUSINESS_PAYMENT: &str = "BusinessPayment";
/// The one command of the transaction-status API.
pub const TRANSACTION_STATUS_QUERY: &str = "TransactionStatusQuery";
/// `IdentifierType` of an organisation's short code.
pub const IDENTIFIER_SHORTCODE: &str = "4";
/// The only `ResponseCode` that means "accepted": any other means not accepted.
pub const ACCEPTED: &str = "0";

/// Documented result codes of a B2C result (ResultCode), and the simulator's own where Daraja
/// documents none (marked; ADR 0016).
pub mod codes {
    pub const SUCCESS: &str = "0";
    pub const INSUFFICIENT_BALANCE: &str = "1";
    pub const BELOW_MINIMUM: &str = "2";
    pub const ABOVE_MAXIMUM: &str = "3";
    #[allow(dead_code)] // documented; the depot passes every failure code on as it came
    pub const INITIATOR_NOT_ALLOWED: &str = "21";
    pub const INITIATOR_INVALID: &str = "2001";
    pub const NOT_PERMITTED_FOR_PRODUCT: &str = "2028";
    pub const CUSTOMER_TYPE_UNSUPPORTED: &str = "2040";
    #[allow(dead_code)] // documented; the depot passes every failure code on as it came
    pub const CREDENTIAL_LOCKED: &str = "8006";
    #[allow(dead_code)] // documented; the depot passes every failure code on as it came
    pub const OPERATOR_DOES_NOT_EXIST: &str = "SFC_IC0003";
    /// Simulator only: a status query for a transaction it never saw. Daraja documents no code
    /// for that; learn the real one in the sandbox before relying on it.
    pub const SIM_NOT_FOUND: &str = "SIM_NOT_FOUND";
    /// Simulator only: the `ResultCode` of its queue-timeout notice (undocumented by Daraja).
    pub const SIM_QUEUE_TIMEOUT: &str = "SIM_QUEUE_TIMEOUT";

    /// Documented errorCode of a refused repeat of an OriginatorConversationID.
    pub const DUPLICATE_ORIGINATOR: &str = "500.002.1001";
    pub const DUPLICATE_MESSAGE: &str = "Duplicate OriginatorConversationID.";
    pub const INVALID_TOKEN_MESSAGE: &str = "Invalid Access Token";
}

/// The OAuth answer. `expires_in` is seconds, written as a string or a number.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct TokenAnswer {
    pub access_token: String,
    #[serde(deserialize_with = "lenient_u64")]
    pub expires_in: u64,
}

/// A B2C payment request (`POST /mpesa/b2c/v3/paymentrequest`).
#[derive(Serialize, Deserialize, Clone)]
pub struct B2cRequest {
    #[serde(rename = "OriginatorConversationID")]
    pub originator_conversation_id: String,
    #[serde(rename = "InitiatorName")]
    pub initiator_name: String,
    #[serde(rename = "SecurityCredential")]
    pub security_credential: String,
    #[serde(rename = "CommandID")]
    pub command_id: String,
    /// Whole shillings, sent as a JSON number.
    #[serde(rename = "Amount")]
    pub amount: u32,
    /// The paying short code.
    #[serde(rename = "PartyA")]
    pub party_a: String,
    /// The receiver, `2547XXXXXXXX`.
    #[serde(rename = "PartyB")]
    pub party_b: String,
    /// 2 to 100 characters.
    #[serde(rename = "Remarks")]
    pub remarks: String,
    #[serde(rename = "QueueTimeOutURL")]
    pub queue_timeout_url: String,
    #[serde(rename = "ResultURL")]
    pub result_url: String,
    /// Optional; the current page spells it `Occassion`, older ones `Occasion`.
    #[serde(rename = "Occasion", alias = "Occassion", default, skip_serializing_if = "String::is_empty")]
    pub occasion: String,
}

/// A transaction-status query (`POST /mpesa/transactionstatus/v1/query`): by the M-Pesa receipt
/// (`TransactionID`), by the payment's OriginatorConversationID (`OriginalConversationID`), or
/// both. Its answer arrives later on `ResultURL`.
#[derive(Serialize, Deserialize, Clone)]
pub struct StatusRequest {
    #[serde(rename = "Initiator")]
    pub initiator: String,
    #[serde(rename = "SecurityCredential")]
    pub security_credential: String,
    #[serde(rename = "CommandID")]
    pub command_id: String,
    #[serde(rename = "TransactionID", default, skip_serializing_if = "String::is_empty")]
    pub transaction_id: String,
    #[serde(rename = "OriginalConversationID", default, skip_serializing_if = "String::is_empty")]
    pub original_conversation_id: String,
    #[serde(rename = "PartyA")]
    pub party_a: String,
    #[serde(rename = "IdentifierType")]
    pub identifier_type: String,
    #[serde(rename = "ResultURL")]
    pub result_url: String,
    #[serde(rename = "QueueTimeOutURL")]
    pub queue_timeout_url: String,
    #[serde(rename = "Remarks")]
    pub remarks: String,
    #[serde(rename = "Occasion", alias = "Occassion", default, skip_serializing_if = "String::is_empty")]
    pub occasion: String,
}

/// The synchronous answer to a B2C request or a status query. `ResponseCode` "0" means only
/// *accepted for processing*: the outcome comes later, or never.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Acknowledgement {
    #[serde(rename = "ConversationID", default)]
    pub conversation_id: String,
    /// (Older answers spell it `OriginatorCoversationID`.)
    #[serde(rename = "OriginatorConversationID", alias = "OriginatorCoversationID", default)]
    pub originator_conversation_id: String,
    #[serde(rename = "ResponseCode", deserialize_with = "lenient_string")]
    pub response_code: String,
    #[serde(rename = "ResponseDescription", default)]
    pub response_description: String,
}

/// Daraja's error answer (HTTP 4xx/5xx).
#[derive(Serialize, Deserialize, Debug, Clone, Default)]
pub struct ErrorAnswer {
    #[serde(rename = "requestId", default)]
    pub request_id: String,
    #[serde(rename = "errorCode", default, deserialize_with = "lenient_string")]
    pub error_code: String,
    #[serde(rename = "errorMessage", default)]
    pub error_message: String,
}

/// A callback Daraja POSTs: `{"Result": {...}}`, to a ResultURL (the outcome of a payment or of a
/// status query) or to a QueueTimeOutURL (the request expired in Daraja's queue).
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Callback {
    #[serde(rename = "Result")]
    pub result: CallbackResult,
}

#[derive(Serialize, Deserialize, Debug, Clone, Default)]
pub struct CallbackResult {
    /// 0: completed; 1: waiting for further messages.
    #[serde(rename = "ResultType", default, deserialize_with = "lenient_i64")]
    pub result_type: i64,
    /// Written as a number when it is one (`0`, `2001`), as Daraja's samples do.
    #[serde(rename = "ResultCode", deserialize_with = "lenient_string", serialize_with = "code_as_written")]
    pub result_code: String,
    #[serde(rename = "ResultDesc", default)]
    pub result_desc: String,
    #[serde(rename = "OriginatorConversationID", default)]
    pub originator_conversation_id: String,
    #[serde(rename = "ConversationID", default)]
    pub conversation_id: String,
    #[serde(rename = "TransactionID", default)]
    pub transaction_id: String,
    #[serde(rename = "ResultParameters", default, skip_serializing_if = "Option::is_none")]
    pub result_parameters: Option<ResultParameters>,
    #[serde(rename = "ReferenceData", default, skip_serializing_if = "Option::is_none")]
    pub reference_data: Option<ReferenceData>,
}

#[derive(Serialize, Deserialize, Debug, Clone, Default)]
pub struct ResultParameters {
    #[serde(rename = "ResultParameter", default)]
    pub items: OneOrMany<KeyValue>,
}

#[derive(Serialize, Deserialize, Debug, Clone, Default)]
pub struct ReferenceData {
    #[serde(rename = "ReferenceItem", default)]
    pub items: OneOrMany<KeyValue>,
}

/// One `{"Key": ..., "Value": ...}`; the value may be absent, a string or a number.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct KeyValue {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "Value", default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

impl KeyValue {
    pub fn new(key: &str, value: impl Into<Value>) -> KeyValue {
        KeyValue { key: key.into(), value: Some(value.into()) }
    }
}

/// A list Daraja writes as an array, or as a lone object when it has one element.
#[derive(Debug, Clone, PartialEq)]
pub struct OneOrMany<T>(pub Vec<T>);

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        OneOrMany(Vec::new())
    }
}

impl<T: Serialize> Serialize for OneOrMany<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => one.serialize(s),
            all => all.serialize(s),
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Array(items) => items.into_iter().map(serde_json::from_value).collect::<Result<_, _>>().map(OneOrMany),
            Value::Null => Ok(OneOrMany(Vec::new())),
            one => serde_json::from_value(one).map(|v| OneOrMany(vec![v])),
        }
        .map_err(de::Error::custom)
    }
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Null => Ok(String::new()),
        other => Err(de::Error::custom(format!("expected a string or a number, got {other}"))),
    }
}

fn code_as_written<S: Serializer>(code: &str, s: S) -> Result<S::Ok, S::Error> {
    match code.parse::<u64>() {
        Ok(n) if n.to_string() == code => s.serialize_u64(n),
        _ => s.serialize_str(code),
    }
}

fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match Value::deserialize(d)? {
        Value::Number(n) => n.as_u64().ok_or_else(|| de::Error::custom("expected a whole number of seconds")),
        Value::String(s) => s.trim().parse().map_err(|_| de::Error::custom("expected a whole number of seconds")),
        other => Err(de::Error::custom(format!("expected seconds, got {other}"))),
    }
}

fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    match Value::deserialize(d)? {
        Value::Number(n) => n.as_i64().ok_or_else(|| de::Error::custom("expected an integer")),
        Value::String(s) => s.trim().parse().map_err(|_| de::Error::custom("expected an integer")),
        Value::Null => Ok(0),
        other => Err(de::Error::custom(format!("expected an integer, got {other}"))),
    }
}

/// A callback that could not be understood. It changes nothing: the payout is reconciled by a
/// status query instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error("callback body too large")]
    TooLarge,
    #[error("callback is not Daraja's JSON: {0}")]
    Malformed(String),
    #[error("a success without {0}")]
    Incomplete(&'static str),
    #[error("amount {0:?} is not whole shillings")]
    BadAmount(String),
}

impl Callback {
    /// Parse a callback body (bounded: [`super::MAX_ANSWER_BYTES`]).
    pub fn parse(body: &[u8]) -> Result<Callback, CallbackError> {
        if body.len() > super::MAX_ANSWER_BYTES {
            return Err(CallbackError::TooLarge);
        }
        serde_json::from_slice(body).map_err(|e| CallbackError::Malformed(e.to_string()))
    }
}

/// Money Daraja says it moved: the receipt (`TransactionReceipt`, also sent to the receiver by
/// SMS) and the amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub receipt: String,
    pub amount: WholeKes,
    /// `ReceiverPartyPublicName` ("2547… - NAME"), when given. Personal data: not for logs.
    pub receiver_public_name: Option<String>,
    /// As Daraja writes it (`06.07.2024 22:48:52` for a B2C result, `20180223054112` for a
    /// status result), when given.
    pub completed_at: Option<String>,
}

/// What a B2C result callback says. Callbacks are unsigned (ADR 0016): a `Paid` here is a hint
/// that the payout state machine confirms with a status query before it marks money paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum B2cOutcome {
    Paid(Payment),
    /// Not paid, with Daraja's code and description (insufficient balance, unregistered
    /// receiver, invalid initiator, ...). The earning goes back to the artisan's balance.
    Failed {
        code: String,
        description: String,
    },
}

/// What a transaction-status result says about the payment it was asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusOutcome {
    /// `TransactionStatus` "Completed": the money moved.
    Completed { original_originator_conversation_id: Option<String>, payment: Payment },
    /// A final status that is not a payment ("Declined", "Cancelled", "Expired").
    NotCompleted { original_originator_conversation_id: Option<String>, status: String },
    /// Not final yet ("Initiated", "Authorized", "Pending…"): ask again later.
    Pending { status: String },
    /// The transaction is not known (only the simulator's code is recognised: see
    /// [`codes::SIM_NOT_FOUND`]).
    NotFound,
    /// The query itself failed (`ResultCode` not 0): this says nothing about the payment.
    QueryFailed { code: String, description: String },
}

impl CallbackResult {
    /// The value of result parameter `key`, as text (numbers in their JSON spelling).
    pub fn parameter(&self, key: &str) -> Option<String> {
        let items = &self.result_parameters.as_ref()?.items.0;
        match items.iter().find(|kv| kv.key == key)?.value.as_ref()? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// The amount in parameter `key`, whole shillings ("300", 300, 300.0 or "300.00"; never a
    /// float in between: the digits are read as text).
    fn amount(&self, key: &'static str) -> Result<WholeKes, CallbackError> {
        let text = self.parameter(key).ok_or(CallbackError::Incomplete(key))?;
        let minor = fundi_sync::money::parse_kes(&text).map_err(|_| CallbackError::BadAmount(text.clone()))?;
        WholeKes::from_money(fundi_sync::money::Money::kes_minor(minor)).map_err(|_| CallbackError::BadAmount(text))
    }

    /// Read a B2C result (what arrives on a payment's ResultURL).
    pub fn b2c_outcome(&self) -> Result<B2cOutcome, CallbackError> {
        if self.result_code != codes::SUCCESS {
            return Ok(B2cOutcome::Failed { code: self.result_code.clone(), description: self.result_desc.clone() });
        }
        let receipt = self
            .parameter("TransactionReceipt")
            .or_else(|| Some(self.transaction_id.clone()))
            .filter(|r| !r.is_empty())
            .ok_or(CallbackError::Incomplete("TransactionReceipt"))?;
        Ok(B2cOutcome::Paid(Payment {
            receipt,
            amount: self.amount("TransactionAmount")?,
            receiver_public_name: self.parameter("ReceiverPartyPublicName"),
            completed_at: self.parameter("TransactionCompletedDateTime"),
        }))
    }

    /// Read a transaction-status result (what arrives on a status query's ResultURL).
    pub fn status_outcome(&self) -> Result<StatusOutcome, CallbackError> {
        if self.result_code == codes::SIM_NOT_FOUND {
            return Ok(StatusOutcome::NotFound);
        }
        if self.result_code != codes::SUCCESS {
            return Ok(StatusOutcome::QueryFailed { code: self.result_code.clone(), description: self.result_desc.clone() });
        }
        let status = self.parameter("TransactionStatus").ok_or(CallbackError::Incomplete("TransactionStatus"))?;
        let original = self.parameter("OriginatorConversationID").filter(|s| !s.is_empty());
        match status.as_str() {
            "Completed" => {
                let receipt =
                    self.parameter("ReceiptNo").filter(|r| !r.is_empty()).ok_or(CallbackError::Incomplete("ReceiptNo"))?;
                let payment = Payment {
                    receipt,
                    amount: self.amount("Amount")?,
                    receiver_public_name: self.parameter("CreditPartyName"),
                    completed_at: self.parameter("FinalisedTime"),
                };
                Ok(StatusOutcome::Completed { original_originator_conversation_id: original, payment })
            }
            "Declined" | "Cancelled" | "Expired" => {
                Ok(StatusOutcome::NotCompleted { original_originator_conversation_id: original, status })
            }
            _ => Ok(StatusOutcome::Pending { status }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A success as the B2C page shows it (values made up), with the amount a number and the
    /// reference item a lone object.
    const PAID: &str = r#"{"Result": {"ResultType": 0, "ResultCode": 0,
        "ResultDesc": "The service request is processed successfully.",
        "OriginatorConversationID": "payout-1", "ConversationID": "AG_20250101_1", "TransactionID": "TXA1B2C3D4",
        "ResultParameters": {"ResultParameter": [
            {"Key": "TransactionAmount", "Value": 1250},
            {"Key": "TransactionReceipt", "Value": "TXA1B2C3D4"},
            {"Key": "ReceiverPartyPublicName", "Value": "254712345678 - AKINYI"},
            {"Key": "TransactionCompletedDateTime", "Value": "01.01.2025 10:00:00"},
            {"Key": "B2CChargesPaidAccountAvailableFunds", "Value": -120.50}]},
        "ReferenceData": {"ReferenceItem": {"Key": "QueueTimeoutURL", "Value": "https://example.invalid/t"}}}}"#;

    #[test]
    fn a_documented_success_reads_as_paid_with_its_receipt_and_whole_amount() {
        let cb = Callback::parse(PAID.as_bytes()).unwrap();
        let B2cOutcome::Paid(p) = cb.result.b2c_outcome().unwrap() else { panic!("not paid") };
        assert_eq!(p.receipt, "TXA1B2C3D4");
        assert_eq!(p.amount.kes(), 1250);
        assert_eq!(p.receiver_public_name.as_deref(), Some("254712345678 - AKINYI"));
        assert_eq!(cb.result.reference_data.as_ref().unwrap().items.0.len(), 1);
    }

    #[test]
    fn failure_codes_are_read_as_numbers_or_strings() {
        let failed = r#"{"Result": {"ResultType": 0, "ResultCode": 2040, "ResultDesc": "Credit Party customer type can't be supported",
            "OriginatorConversationID": "p", "ConversationID": "c", "TransactionID": "T"}}"#;
        let out = Callback::parse(failed.as_bytes()).unwrap().result.b2c_outcome().unwrap();
        assert_eq!(
            out,
            B2cOutcome::Failed { code: "2040".into(), description: "Credit Party customer type can't be supported".into() }
        );
        let operator = r#"{"Result": {"ResultCode": "SFC_IC0003", "ResultDesc": "The operator does not exist."}}"#;
        let out = Callback::parse(operator.as_bytes()).unwrap().result.b2c_outcome().unwrap();
        assert!(matches!(out, B2cOutcome::Failed { code, .. } if code == "SFC_IC0003"));
    }

    #[test]
    fn a_success_without_amount_or_with_cents_is_an_error_not_a_payment() {
        let no_amount = PAID.replace(r#"{"Key": "TransactionAmount", "Value": 1250},"#, "");
        let r = Callback::parse(no_amount.as_bytes()).unwrap().result.b2c_outcome();
        assert_eq!(r, Err(CallbackError::Incomplete("TransactionAmount")));
        let cents = PAID.replace(r#""Value": 1250}"#, r#""Value": 1250.5}"#);
        let r = Callback::parse(cents.as_bytes()).unwrap().result.b2c_outcome();
        assert!(matches!(r, Err(CallbackError::BadAmount(_))), "{r:?}");
        let decimals = PAID.replace(r#""Value": 1250}"#, r#""Value": "1250.00"}"#);
        let r = Callback::parse(decimals.as_bytes()).unwrap().result.b2c_outcome().unwrap();
        assert!(matches!(r, B2cOutcome::Paid(p) if p.amount.kes() == 1250));
    }

    #[test]
    fn status_results_tell_completed_final_and_pending_apart() {
        let body = |status: &str| {
            format!(
                r#"{{"Result": {{"ResultCode": 0, "ResultDesc": "ok", "ResultParameters": {{"ResultParameter": [
                {{"Key": "ReceiptNo", "Value": "TXA1"}}, {{"Key": "Amount", "Value": "300"}},
                {{"Key": "TransactionStatus", "Value": "{status}"}}, {{"Key": "OriginatorConversationID", "Value": "payout-9"}},
                {{"Key": "TransactionReason"}}]}}}}}}"#
            )
        };
        let read = |s: &str| Callback::parse(body(s).as_bytes()).unwrap().result.status_outcome().unwrap();
        let StatusOutcome::Completed { original_originator_conversation_id, payment } = read("Completed") else { panic!() };
        assert_eq!((original_originator_conversation_id.as_deref(), payment.amount.kes()), (Some("payout-9"), 300));
        assert!(matches!(read("Declined"), StatusOutcome::NotCompleted { .. }));
        assert!(matches!(read("Expired"), StatusOutcome::NotCompleted { .. }));
        assert!(matches!(read("Authorized"), StatusOutcome::Pending { .. }));
        let failed = r#"{"Result": {"ResultCode": "2001", "ResultDesc": "The initiator information is invalid."}}"#;
        let out = Callback::parse(failed.as_bytes()).unwrap().result.status_outcome().unwrap();
        assert!(matches!(out, StatusOutcome::QueryFailed { code, .. } if code == "2001"));
    }

    #[test]
    fn token_expiry_is_read_as_a_string_or_a_number_and_bodies_are_bounded() {
        let a: TokenAnswer = serde_json::from_str(r#"{"access_token": "t", "expires_in": "3599"}"#).unwrap();
        let b: TokenAnswer = serde_json::from_str(r#"{"access_token": "t", "expires_in": 3599}"#).unwrap();
        assert_eq!((a.expires_in, b.expires_in), (3599, 3599));
        assert!(serde_json::from_str::<TokenAnswer>(r#"{"access_token": "t", "expires_in": "soon"}"#).is_err());
        let huge = vec![b' '; super::super::MAX_ANSWER_BYTES + 1];
        assert_eq!(Callback::parse(&huge).unwrap_err(), CallbackError::TooLarge);
        assert!(matches!(Callback::parse(b"<xml/>"), Err(CallbackError::Malformed(_))));
    }
}
