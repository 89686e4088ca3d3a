//! One Slack message as the export writes it, read field by field without building a
//! value tree: the fields the store keeps, and the rest skipped.

use super::*;

/// Day files are parsed in batches of about this many bytes: enough that handing a
/// batch to another thread costs nothing, few enough that little is held in flight.
pub(crate) const BATCH_BYTES: usize = 1 << 20;

/// A day file as read from the export: its member name, its channel, its bytes (or why
/// they could not be read).
pub(crate) struct DayFile {
    pub(crate) member: String,
    pub(crate) channel: String,
    pub(crate) content: Result<Vec<u8>, crate::record::Rejection>,
}

/// The keys of a message [`Reader::message`] reads; the rest (rich-text blocks, the
/// author's profile, reactions, files) is skipped unparsed.
pub(crate) const MESSAGE_KEYS: &[&str] = &[
    "ts",
    "subtype",
    "user",
    "bot_id",
    "bot_profile",
    "thread_ts",
    "text",
];

/// Indices into [`MESSAGE_KEYS`].
pub(crate) mod key {
    pub const TS: usize = 0;
    pub const SUBTYPE: usize = 1;
    pub const USER: usize = 2;
    pub const BOT_ID: usize = 3;
    pub const BOT_PROFILE: usize = 4;
    pub const THREAD_TS: usize = 5;
    pub const TEXT: usize = 6;
}

/// A message's kept fields as read: strings borrowed from the day file where they hold
/// no escapes, other values whole. No JSON tree is built for a message.
#[derive(Default)]
pub(crate) struct Message<'de> {
    pub(crate) fields: [Option<Field<'de>>; MESSAGE_KEYS.len()],
    /// The fields in the order they came (for the excerpt of a reject): `order[..seen]`.
    pub(crate) order: [usize; MESSAGE_KEYS.len()],
    pub(crate) seen: usize,
    /// The element when it is not an object.
    pub(crate) other: Option<Json>,
}

pub(crate) enum Field<'de> {
    Str(Cow<'de, str>),
    Other(Json),
}

impl Message<'_> {
    /// A non-empty string field (what [`Get::str_at`] gives on a JSON value).
    pub(crate) fn str(&self, k: usize) -> Option<&str> {
        match &self.fields[k] {
            Some(Field::Str(s)) if !s.is_empty() => Some(s),
            _ => None,
        }
    }

    pub(crate) fn present(&self, k: usize) -> bool {
        self.fields[k].is_some()
    }

    pub(crate) fn non_null(&self, k: usize) -> bool {
        !matches!(self.fields[k], None | Some(Field::Other(Json::Null)))
    }

    /// The message as the JSON it was read as (kept keys only), for an excerpt.
    pub(crate) fn json(&self) -> Json {
        if let Some(v) = &self.other {
            return v.clone();
        }
        let mut map = serde_json::Map::new();
        for &k in &self.order[..self.seen] {
            let v = match &self.fields[k] {
                Some(Field::Str(s)) => Json::String(s.to_string()),
                Some(Field::Other(v)) => v.clone(),
                None => continue,
            };
            map.insert(MESSAGE_KEYS[k].to_string(), v);
        }
        Json::Object(map)
    }
}

/// Reads one element of a day file as a [`Message`].
#[derive(Clone, Copy)]
pub(crate) struct MessageSeed;

impl<'de> DeserializeSeed<'de> for MessageSeed {
    type Value = Message<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Message<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for MessageSeed {
    type Value = Message<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a message")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Message<'de>, A::Error> {
        let mut m = Message::default();
        while let Some(k) = json::key_in(&mut map, MESSAGE_KEYS)? {
            match k {
                Some(k) => {
                    let v = map.next_value::<Field>()?;
                    if m.fields[k].replace(v).is_none() {
                        m.order[m.seen] = k;
                        m.seen += 1;
                    }
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(m)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Message<'de>, A::Error> {
        let v = Json::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
        Ok(Message::other(v))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Message<'de>, E> {
        Ok(Message::other(Json::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Message<'de>, E> {
        Ok(Message::other(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Message<'de>, E> {
        Ok(Message::other(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Message<'de>, E> {
        Ok(Message::other(v.into()))
    }

    fn visit_str<E>(self, v: &str) -> Result<Message<'de>, E> {
        Ok(Message::other(v.into()))
    }

    fn visit_unit<E>(self) -> Result<Message<'de>, E> {
        Ok(Message::other(Json::Null))
    }
}

impl Message<'_> {
    pub(crate) fn other(v: Json) -> Self {
        Message {
            other: Some(v),
            ..Message::default()
        }
    }
}

impl<'de> Deserialize<'de> for Field<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Field<'de>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Field<'de>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }

            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Field<'de>, E> {
                Ok(Field::Str(Cow::Borrowed(v)))
            }

            fn visit_str<E>(self, v: &str) -> Result<Field<'de>, E> {
                Ok(Field::Str(Cow::Owned(v.to_string())))
            }

            fn visit_string<E>(self, v: String) -> Result<Field<'de>, E> {
                Ok(Field::Str(Cow::Owned(v)))
            }

            fn visit_bool<E>(self, v: bool) -> Result<Field<'de>, E> {
                Ok(Field::Other(Json::Bool(v)))
            }

            fn visit_i64<E>(self, v: i64) -> Result<Field<'de>, E> {
                Ok(Field::Other(v.into()))
            }

            fn visit_u64<E>(self, v: u64) -> Result<Field<'de>, E> {
                Ok(Field::Other(v.into()))
            }

            fn visit_f64<E>(self, v: f64) -> Result<Field<'de>, E> {
                Ok(Field::Other(v.into()))
            }

            fn visit_unit<E>(self) -> Result<Field<'de>, E> {
                Ok(Field::Other(Json::Null))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Field<'de>, A::Error> {
                Json::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
                    .map(Field::Other)
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Field<'de>, A::Error> {
                Json::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(Field::Other)
            }
        }
        d.deserialize_any(V)
    }
}
