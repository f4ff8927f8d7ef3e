//! Calendar days, for due dates. An order is due on a day, not at an instant: "by Friday 12
//! December" means the whole of that day where the depot is. A day is kept as its ISO text
//! (`2026-12-12`) on the wire and counted as days since 1970-01-01 here; "today" is the day the
//! depot's clock shows in the deployment's time zone ([`DEPLOYMENT_UTC_OFFSET_MINUTES`]: Kenya,
//! UTC+3 all year, no daylight saving), on the phone and the depot alike, so that both call the
//! same order late on the same day whatever zone a phone is set to.

use crate::money::Language;
use std::fmt;

/// The deployment's offset from UTC, in minutes (East Africa Time).
pub const DEPLOYMENT_UTC_OFFSET_MINUTES: i64 = 180;

/// The earliest and latest days a due date may name (a typo such as `0226-12-12` or
/// `20261-01-01` is refused, not kept).
pub const FIRST_YEAR: i64 = 2000;
pub const LAST_YEAR: i64 = 2100;

/// A calendar day: days since 1970-01-01.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub i64);

/// Why a due date's text is not a day.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DayError {
    #[error("a date is written YYYY-MM-DD")]
    Format,
    #[error("no such day")]
    NoSuchDay,
    #[error("a date between {FIRST_YEAR} and {LAST_YEAR}")]
    OutOfRange,
}

/// Days since 1970-01-01 of a proleptic Gregorian date (the year split into 400-year eras of
/// 146,097 days, each year counted from 1 March so the leap day falls last).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The (year, month, day) of days since 1970-01-01: the inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl Day {
    /// The day `text` (`YYYY-MM-DD`, exactly) names.
    pub fn parse(text: &str) -> Result<Day, DayError> {
        let b = text.as_bytes();
        let digits = |r: std::ops::Range<usize>| -> Result<i64, DayError> {
            let part = &b[r];
            if part.iter().all(u8::is_ascii_digit) {
                Ok(part.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
            } else {
                Err(DayError::Format)
            }
        };
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(DayError::Format);
        }
        let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
        if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
            return Err(DayError::OutOfRange);
        }
        if !(1..=12).contains(&month) || day < 1 {
            return Err(DayError::NoSuchDay);
        }
        let days = days_from_civil(year, month, day);
        // 31 February comes back as 3 March: not a day.
        if civil_from_days(days) != (year, month, day) {
            return Err(DayError::NoSuchDay);
        }
        Ok(Day(days))
    }

    /// The (year, month, day) of the day.
    pub fn civil(self) -> (i64, i64, i64) {
        civil_from_days(self.0)
    }

    /// The day a clock reading (`ms` since the epoch) falls on in the deployment's zone.
    pub fn of_ms(ms: u64) -> Day {
        let local_ms = ms as i64 + DEPLOYMENT_UTC_OFFSET_MINUTES * 60_000;
        Day(local_ms.div_euclid(86_400_000))
    }

    /// The first millisecond of the day in the deployment's zone.
    pub fn start_ms(self) -> i64 {
        self.0 * 86_400_000 - DEPLOYMENT_UTC_OFFSET_MINUTES * 60_000
    }
}

const MONTHS_EN: [&str; 12] =
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const MONTHS_SW: [&str; 12] =
    ["Januari", "Februari", "Machi", "Aprili", "Mei", "Juni", "Julai", "Agosti", "Septemba", "Oktoba", "Novemba", "Desemba"];

impl Day {
    /// The day as a reader of `language` writes it: "12 December 2026", "12 Desemba 2026".
    pub fn format(self, language: Language) -> String {
        let (y, m, d) = civil_from_days(self.0);
        let months = match language {
            Language::English => MONTHS_EN,
            Language::Swahili => MONTHS_SW,
        };
        format!("{d} {} {y}", months[(m - 1) as usize])
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = civil_from_days(self.0);
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_through_their_text() {
        assert_eq!(Day::parse("1970-01-01"), Err(DayError::OutOfRange));
        assert_eq!(Day::parse("2000-01-01").unwrap().0, 10_957);
        assert_eq!(Day::parse("2026-11-30").unwrap().0, 20_787);
        // Every day of 2000-2100 (leap years, the 2000 and 2100 century rules) round-trips.
        let (first, last) = (Day::parse("2000-01-01").unwrap().0, Day::parse("2100-12-31").unwrap().0);
        assert_eq!(last - first + 1, 101 * 365 + 25, "25 leap days: 2000 is one, 2100 is not");
        for n in first..=last {
            assert_eq!(Day::parse(&Day(n).to_string()), Ok(Day(n)));
        }
    }

    #[test]
    fn impossible_or_sloppy_dates_are_refused() {
        assert_eq!(Day::parse("2026-02-29"), Err(DayError::NoSuchDay));
        assert!(Day::parse("2028-02-29").is_ok());
        assert_eq!(Day::parse("2100-02-29"), Err(DayError::NoSuchDay));
        assert_eq!(Day::parse("2026-04-31"), Err(DayError::NoSuchDay));
        assert_eq!(Day::parse("2026-13-01"), Err(DayError::NoSuchDay));
        assert_eq!(Day::parse("2026-00-10"), Err(DayError::NoSuchDay));
        assert_eq!(Day::parse("2026-12-00"), Err(DayError::NoSuchDay));
        for bad in ["12/12/2026", "2026-1-05", "2026-01-5", " 2026-01-05", "2026-01-05T00:00", "", "２０２６-01-05", "+026-01-05"]
        {
            assert_eq!(Day::parse(bad), Err(DayError::Format), "{bad}");
        }
        assert_eq!(Day::parse("2101-01-01"), Err(DayError::OutOfRange));
    }

    #[test]
    fn days_in_each_language() {
        let day = Day::parse("2026-12-05").unwrap();
        assert_eq!(day.format(Language::English), "5 December 2026");
        assert_eq!(day.format(Language::Swahili), "5 Desemba 2026");
        assert_eq!(Day::parse("2027-01-31").unwrap().format(Language::Swahili), "31 Januari 2027");
    }

    #[test]
    fn today_is_the_day_in_kenya() {
        let day = Day::parse("2026-12-12").unwrap();
        let midnight_nairobi = day.start_ms() as u64;
        assert_eq!(midnight_nairobi, 1_797_022_800_000, "2026-12-11T21:00:00Z");
        assert_eq!(Day::of_ms(midnight_nairobi), day);
        assert_eq!(Day::of_ms(midnight_nairobi - 1), Day(day.0 - 1), "a millisecond before is the day before");
        assert_eq!(Day::of_ms(midnight_nairobi + 86_400_000 - 1), day);
    }
}
