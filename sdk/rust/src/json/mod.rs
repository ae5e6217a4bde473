//! [`Json`]: a small JSON value for HTTP bodies, with a parser ([`Json::parse`], in
//! `parse`) and a compact writer (its `Display`).
//!
//! The SDK carries its own rather than a general serialisation framework: a script needs
//! to build a request body of a few fields and read a few fields of the answer, and every
//! byte of code ends up in each call's sandbox. Scripts that already use another JSON
//! library can hand its text to [`Http::body`](crate::Http::body) and read
//! [`HttpResponse::body`](crate::HttpResponse) themselves.
//!
//! Numbers are `f64`, as in JavaScript: integers are exact up to 2^53, so send longer
//! identifiers (and phone numbers) as strings.

mod parse;

use std::fmt;

pub use parse::JsonError;

/// A JSON value. Objects keep their keys in order.
///
/// ```
/// use huashu_sdk::json::Json;
///
/// let body = Json::object([("phone", "13800138000".into()), ("campaign", "birthday".into())]);
/// assert_eq!(body.to_string(), r#"{"phone":"13800138000","campaign":"birthday"}"#);
///
/// let answer = Json::parse(r#"{"code": "BDAY-50", "amount": 50}"#).expect("valid JSON");
/// assert_eq!(answer["code"].as_str(), Some("BDAY-50"));
/// assert_eq!(answer["amount"].as_i64(), Some(50));
/// assert!(answer["missing"].is_null());
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Json {
    /// `null`; also what indexing a missing key or position gives.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, keys in the order written (a repeated key keeps every occurrence; lookups
    /// find the first).
    Object(Vec<(String, Json)>),
}

/// What indexing answers for a missing key or position.
static NULL: Json = Json::Null;

impl Json {
    /// An object from `(key, value)` pairs, in order.
    pub fn object<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Json)>) -> Json {
        Json::Object(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// An array of `values`.
    pub fn array(values: impl IntoIterator<Item = Json>) -> Json {
        Json::Array(values.into_iter().collect())
    }

    /// The member `key` of an object (the first, if repeated); `None` for a missing key or
    /// a value that is not an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(pairs) => pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// The number, if this is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// The number, if this is a whole number within ±2^53 (where `f64` is exact).
    pub fn as_i64(&self) -> Option<i64> {
        /// Beyond 2^53 an `f64` no longer holds every integer.
        const EXACT: f64 = 9_007_199_254_740_992.0;
        match self {
            Json::Number(n) if n.fract() == 0.0 && n.abs() <= EXACT => Some(*n as i64),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Array(values) => Some(values),
            _ => None,
        }
    }

    /// True for `null` (and for a missing key or position read by indexing).
    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }
}

impl std::ops::Index<&str> for Json {
    type Output = Json;

    /// The member `key`, or `null` when it is missing or this is not an object.
    fn index(&self, key: &str) -> &Json {
        self.get(key).unwrap_or(&NULL)
    }
}

impl std::ops::Index<usize> for Json {
    type Output = Json;

    /// The element at `index`, or `null` when it is out of range or this is not an array.
    fn index(&self, index: usize) -> &Json {
        self.as_array()
            .and_then(|values| values.get(index))
            .unwrap_or(&NULL)
    }
}

impl fmt::Display for Json {
    /// Compact JSON text: no spaces, keys in order, non-ASCII characters as they are.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Json::Null => f.write_str("null"),
            Json::Bool(b) => write!(f, "{b}"),
            Json::Number(n) => write_number(*n, f),
            Json::String(s) => write_string(s, f),
            Json::Array(values) => {
                f.write_str("[")?;
                for (i, value) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{value}")?;
                }
                f.write_str("]")
            }
            Json::Object(pairs) => {
                f.write_str("{")?;
                for (i, (key, value)) in pairs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write_string(key, f)?;
                    write!(f, ":{value}")?;
                }
                f.write_str("}")
            }
        }
    }
}

/// Whole numbers without a fraction (`50`, not `50.0`); JSON has no NaN or infinity, so
/// those are written as `null`.
fn write_number(n: f64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if !n.is_finite() {
        f.write_str("null")
    } else if n.fract() == 0.0 && n.abs() < 1e15 {
        write!(f, "{}", n as i64)
    } else {
        write!(f, "{n}")
    }
}

fn write_string(s: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if u32::from(c) < 0x20 => write!(f, "\\u{:04x}", u32::from(c))?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

impl From<&str> for Json {
    fn from(s: &str) -> Json {
        Json::String(s.to_owned())
    }
}

impl From<String> for Json {
    fn from(s: String) -> Json {
        Json::String(s)
    }
}

impl From<&String> for Json {
    fn from(s: &String) -> Json {
        Json::String(s.clone())
    }
}

impl From<bool> for Json {
    fn from(b: bool) -> Json {
        Json::Bool(b)
    }
}

macro_rules! from_number {
    ($($t:ty),*) => {$(
        impl From<$t> for Json {
            fn from(n: $t) -> Json {
                Json::Number(n as f64)
            }
        }
    )*};
}
from_number!(i32, i64, u32, u64, f64, usize);

impl From<Vec<Json>> for Json {
    fn from(values: Vec<Json>) -> Json {
        Json::Array(values)
    }
}

impl<T: Into<Json>> From<Option<T>> for Json {
    fn from(value: Option<T>) -> Json {
        value.map_or(Json::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_written_as_compact_json() {
        let value = Json::object([
            ("name", "王芳 \"小芳\"\n".into()),
            ("amount", 50.into()),
            ("rate", 0.5.into()),
            ("vip", true.into()),
            ("note", Json::Null),
            ("tags", Json::array(["a".into(), Json::from(1)])),
            ("bell", "\u{7}".into()),
        ]);
        assert_eq!(
            value.to_string(),
            r#"{"name":"王芳 \"小芳\"\n","amount":50,"rate":0.5,"vip":true,"note":null,"tags":["a",1],"bell":"\u0007"}"#
        );
        assert_eq!(Json::from(f64::NAN).to_string(), "null");
        assert_eq!(Json::from(None::<&str>).to_string(), "null");
    }

    #[test]
    fn written_text_parses_back_to_the_same_value() {
        let value = Json::object([
            ("text", "引号\" 反斜杠\\ 制表\t".into()),
            ("n", (-12.25).into()),
            ("list", Json::array([Json::Null, false.into()])),
        ]);
        assert_eq!(Json::parse(&value.to_string()), Ok(value));
    }

    #[test]
    fn indexing_a_missing_member_gives_null() {
        let value = Json::parse(r#"{"items": [{"code": "A"}], "count": 1.5}"#).expect("valid");
        assert_eq!(value["items"][0]["code"].as_str(), Some("A"));
        assert!(value["items"][3].is_null());
        assert!(value["count"]["x"].is_null());
        assert_eq!(value["count"].as_i64(), None);
        assert_eq!(value["count"].as_f64(), Some(1.5));
    }
}
